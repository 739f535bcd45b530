#include "daira/services/payments.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/services/payment_repository.h"
#include "daira/store/connection.h"

namespace daira::inline v0::services {
namespace {

using store::Connection;
using store::ResultSet;
using store::Value;

absl::Status Unauthenticated(std::string_view problem) {
  absl::Status s = absl::UnauthenticatedError(absl::StrCat("webhook: signature ", ToAbsl(problem)));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("signature"));
  return s;
}

std::string HmacHex(std::string_view secret, std::string_view message) {
  // HMAC-SHA256 with a key of any length (libsodium's streaming API hashes long keys as HMAC requires).
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex);
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

}  // namespace

// ---- WebhookVerifier ----

WebhookVerifier::WebhookVerifier(std::string secret, std::chrono::seconds tolerance, const Clock* clock)
    : secret_(std::move(secret)), tolerance_(tolerance), clock_(clock != nullptr ? clock : Clock::System()) {
  (void)sodium_init();
}

std::string WebhookVerifier::Sign(std::string_view payload, Clock::TimePoint timestamp) const {
  const int64_t t = std::chrono::duration_cast<std::chrono::seconds>(timestamp.time_since_epoch()).count();
  return absl::StrCat("t=", t, ",v1=", HmacHex(secret_, absl::StrCat(t, ".", ToAbsl(payload))));
}

absl::Status WebhookVerifier::Verify(std::string_view payload, std::string_view header) const {
  if (secret_.empty()) return absl::FailedPreconditionError("webhook: no signing secret configured");
  std::optional<int64_t> t;
  std::vector<std::string> v1;
  for (absl::string_view part : absl::StrSplit(ToAbsl(header), ',')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "t") {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size()) break;
      t = n;
    } else if (k == "v1") {
      v1.emplace_back(v);
    }
  }
  if (!t || v1.empty()) {
    return InvalidField("webhook", "signature", "must be \"t=<unix seconds>,v1=<hex HMAC-SHA256>\"");
  }
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
  const std::string expected = HmacHex(secret_, absl::StrCat(*t, ".", ToAbsl(payload)));
  bool match = false;
  for (const std::string& got : v1) {
    // Constant time over equal lengths; a length mismatch reveals only the (public) length.
    if (got.size() == expected.size() && sodium_memcmp(got.data(), expected.data(), expected.size()) == 0) {
      match = true;
    }
  }
  if (!match) return Unauthenticated("does not match");
  if (now - *t > tolerance_.count() || *t - now > tolerance_.count()) {
    return Unauthenticated(absl::StrCat("timestamp is outside the tolerance window of ", tolerance_.count(),
                                        " s (got t=", *t, ", now ", now, "; a replay?)"));
  }
  return absl::OkStatus();
}

// ---- Stripe-shaped events ----

absl::StatusOr<WebhookEvent> ParseStripeEvent(std::string_view payload) {
  absl::StatusOr<JsonValue> v = ParseJson(payload);
  if (!v.ok()) return InvalidField("webhook", "payload", "is not JSON");
  const JsonValue* id = v->Get("id");
  const JsonValue* type = v->Get("type");
  const JsonValue* data = v->Get("data");
  const JsonValue* object = data != nullptr ? data->Get("object") : nullptr;
  const JsonValue* ext = object != nullptr ? object->Get("id") : nullptr;
  if (id == nullptr || id->AsString().empty() || type == nullptr || ext == nullptr ||
      ext->AsString().empty()) {
    return InvalidField("webhook", "payload", "must have id, type and data.object.id");
  }
  WebhookEvent e;
  e.event_id = id->AsString();
  e.external_id = ext->AsString();
  const std::string& t = type->AsString();
  if (t == "payment_intent.succeeded") {
    e.kind = WebhookEvent::Kind::kSucceeded;
  } else if (t == "payment_intent.payment_failed") {
    e.kind = WebhookEvent::Kind::kFailed;
    const JsonValue* err = object->Get("last_payment_error");
    const JsonValue* msg = err != nullptr ? err->Get("message") : nullptr;
    if (msg != nullptr) e.error = msg->AsString().substr(0, 1000);
  }
  return e;
}

// ---- LocalProvider ----

LocalProvider::LocalProvider(LocalProviderOptions options)
    : options_(std::move(options)), verifier_(options_.secret, options_.tolerance, options_.clock) {}

absl::StatusOr<PaymentIntent> LocalProvider::CreateIntent(const RequestContext&, int64_t, std::string_view,
                                                          std::string_view reference) {
  return PaymentIntent{.external_id = absl::StrCat("local_", ToAbsl(reference)),
                       .client_secret = absl::StrCat("local_secret_", ToAbsl(reference))};
}

absl::Status LocalProvider::Refund(const RequestContext&, std::string_view, int64_t) {
  return absl::OkStatus();
}

absl::StatusOr<WebhookEvent> LocalProvider::ParseWebhook(std::string_view payload,
                                                         std::string_view signature) const {
  DAIRA_RETURN_IF_ERROR(verifier_.Verify(payload, signature));
  return ParseStripeEvent(payload);
}

SignedWebhook LocalProvider::Settle(std::string_view external_id, bool succeeded) {
  JsonWriter w;
  w.BeginObject()
      .Key("id")
      .String(absl::StrCat("evt_local_", next_.fetch_add(1), "_", ToAbsl(external_id)))
      .Key("type")
      .String(succeeded ? "payment_intent.succeeded" : "payment_intent.payment_failed")
      .Key("data")
      .BeginObject()
      .Key("object")
      .BeginObject()
      .Key("id")
      .String(external_id);
  if (!succeeded)
    w.Key("last_payment_error").BeginObject().Key("message").String("declined (local)").EndObject();
  w.EndObject().EndObject().EndObject();
  SignedWebhook out;
  out.payload = w.Take();
  const Clock* clock = options_.clock != nullptr ? options_.clock : Clock::System();
  out.signature = verifier_.Sign(out.payload, clock->Now());
  return out;
}

// ---- PaymentsOptions ----

absl::StatusOr<model::PaymentProvider> ParseProviderName(std::string_view op, std::string_view text) {
  model::PaymentProvider p;
  if (model::Parse(text, &p)) return p;
  return InvalidField(
      op, "provider",
      absl::StrCat("must be one of STRIPE, PAYPAL, FAWRY, INSTAPAY (got \"", ToAbsl(text), "\")"));
}

absl::Status PaymentsOptions::SetLocal(std::string_view provider, std::string secret,
                                       std::chrono::seconds tolerance) {
  constexpr std::string_view kOp = "payments";
  DAIRA_ASSIGN_OR_RETURN(model::PaymentProvider which, ParseProviderName(kOp, provider));
  if (secret.empty()) return InvalidField(kOp, "secret", "is empty (the webhook signing secret)");
  if (tolerance < std::chrono::seconds(1) || tolerance > std::chrono::hours(24)) {
    return InvalidField(kOp, "tolerance",
                        absl::StrCat("must be between 1 s and 1 day (got ", tolerance.count(), " s)"));
  }
  LocalProviderOptions o{.provider = which, .secret = std::move(secret), .tolerance = tolerance};
  for (LocalProviderOptions& existing : local) {
    if (existing.provider == which) {
      existing = std::move(o);
      return absl::OkStatus();
    }
  }
  local.push_back(std::move(o));
  return absl::OkStatus();
}

absl::Status PaymentsOptions::Validate() const {
  std::vector<model::PaymentProvider> seen;
  auto claim = [&](model::PaymentProvider p) -> absl::Status {
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) {
      return InvalidField("payments options", "payments",
                          absl::StrCat("configure provider ", ToAbsl(model::ToString(p)), " more than once"));
    }
    seen.push_back(p);
    return absl::OkStatus();
  };
  for (const PaymentProvider* p : providers) {
    if (p == nullptr) return InvalidField("payments options", "payments", "providers has a null entry");
    DAIRA_RETURN_IF_ERROR(claim(p->provider()));
  }
  for (const LocalProviderOptions& o : local) {
    if (o.secret.empty()) {
      return InvalidField(
          "payments options", "payments",
          absl::StrCat("local provider ", ToAbsl(model::ToString(o.provider)), " has no secret"));
    }
    DAIRA_RETURN_IF_ERROR(claim(o.provider));
  }
  return absl::OkStatus();
}

// ---- Payments ----

Payments::Payments(const ServiceDeps& deps, Wallets& wallets, PaymentsOptions options)
    : deps_(deps), wallets_(wallets), options_(std::move(options)) {
  if (options_.event_retention < std::chrono::hours(24)) options_.event_retention = std::chrono::hours(24);
  for (LocalProviderOptions o : options_.local) {
    if (o.clock == nullptr) o.clock = &deps_.clock_or_default();
    owned_.push_back(std::make_unique<LocalProvider>(std::move(o)));
  }
}

PaymentProvider* Payments::Find(model::PaymentProvider p) const {
  for (PaymentProvider* candidate : options_.providers) {
    if (candidate != nullptr && candidate->provider() == p) return candidate;
  }
  for (const std::unique_ptr<LocalProvider>& candidate : owned_) {
    if (candidate->provider() == p) return candidate.get();
  }
  return nullptr;
}

LocalProvider* Payments::local(model::PaymentProvider provider) const {
  return dynamic_cast<LocalProvider*>(Find(provider));
}

absl::StatusOr<PaymentStart> Payments::StartDeposit(const RequestContext& ctx,
                                                    const DepositRequest& request) {
  return Start(ctx, request, std::nullopt);
}

absl::StatusOr<PaymentStart> Payments::RecordDeposit(const RequestContext& ctx, const DepositRequest& request,
                                                     std::string_view external_id) {
  const bool printable =
      std::all_of(external_id.begin(), external_id.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
  if (external_id.empty() || external_id.size() > 255 || !printable) {
    return InvalidField("deposit", "external_id",
                        absl::StrCat("must be 1-255 printable ASCII characters without spaces (got ",
                                     external_id.size(), " bytes)"));
  }
  return Start(ctx, request, external_id);
}

absl::StatusOr<PaymentStart> Payments::Start(const RequestContext& ctx, const DepositRequest& request,
                                             std::optional<std::string_view> external_id) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_ASSIGN_OR_RETURN(model::PaymentProvider which, model::ParsePaymentProvider(request.provider));
  PaymentProvider* provider = Find(which);
  if (provider == nullptr) {
    absl::Status s = absl::FailedPreconditionError(
        absl::StrCat("deposit: provider ", request.provider, " is not configured"));
    s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("provider"));
    return s;
  }
  PaymentRepository payments(deps_);
  PaymentStart out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    out = PaymentStart{};
    DAIRA_ASSIGN_OR_RETURN(out.movement, wallets_.Deposit(ctx, request));
    DAIRA_ASSIGN_OR_RETURN(ResultSet existing, c.Execute("SELECT id FROM payments WHERE transaction_id = ?",
                                                         {out.movement.id.value}));
    if (!existing.empty()) {  // a replay: the intent was created by the first call
      DAIRA_ASSIGN_OR_RETURN(out.payment, payments.Get(ctx, PaymentId{existing.front().Int64(0)}));
      if (external_id && out.payment.external_id != std::string(*external_id)) {
        absl::Status s = absl::FailedPreconditionError(absl::StrCat(
            "deposit: external_id differs from the one recorded under this idempotency_key (got \"",
            ToAbsl(*external_id), "\")"));
        s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("external_id"));
        return s;
      }
      return absl::OkStatus();
    }
    PaymentIntent intent;
    if (external_id) {
      intent.external_id = std::string(*external_id);  // created by the application at the provider
    } else {
      DAIRA_ASSIGN_OR_RETURN(intent, provider->CreateIntent(ctx, request.amount, request.currency,
                                                            absl::StrCat(out.movement.id.value)));
    }
    out.client_secret = intent.client_secret;
    DAIRA_ASSIGN_OR_RETURN(out.payment, payments.Create(ctx, {.user_id = out.movement.user_id,
                                                              .provider = which,
                                                              .amount = request.amount,
                                                              .currency = request.currency,
                                                              .external_id = intent.external_id,
                                                              .wallet_id = out.movement.wallet_id,
                                                              .transaction_id = out.movement.id}));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<WebhookResult> Payments::HandleWebhook(const RequestContext& ctx, model::PaymentProvider which,
                                                      std::string_view payload, std::string_view signature) {
  PaymentProvider* provider = Find(which);
  if (provider == nullptr) {
    absl::Status s = absl::FailedPreconditionError(
        absl::StrCat("webhook: provider ", ToAbsl(model::ToString(which)), " is not configured"));
    s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("provider"));
    return s;
  }
  DAIRA_ASSIGN_OR_RETURN(WebhookEvent event, provider->ParseWebhook(payload, signature));
  const std::string scope = absl::StrCat("webhook:", ToAbsl(model::ToString(which)));
  const std::string hash = Sha256Hex(payload);
  PaymentRepository payments(deps_);
  WebhookResult out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    out = WebhookResult{};
    const int64_t now = deps_.NowMicros();
    const int64_t expires =
        now + std::chrono::duration_cast<std::chrono::microseconds>(options_.event_retention).count();
    // The event id, claimed in the same transaction as its effect: handled at most once.
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet claimed,
        c.Execute(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, response_code, created_at, "
            "expires_at) VALUES (?, ?, ?, 'COMPLETED', 0, ?, ?) ON CONFLICT (scope, key) DO NOTHING "
            "RETURNING key",
            {scope, event.event_id, hash, now, expires}));
    if (claimed.empty()) {
      out.outcome = WebhookResult::Outcome::kDuplicate;
      return absl::OkStatus();
    }
    absl::StatusOr<model::Payment> p = payments.FindByExternalId(ctx, which, event.external_id);
    if (!p.ok()) {
      if (absl::IsNotFound(p.status())) {
        absl::Status s = absl::NotFoundError(
            absl::StrCat("webhook: external_id not found (got \"", event.external_id, "\")"));
        s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("external_id"));
        return s;
      }
      return p.status();
    }
    out.payment = *p;
    if (event.kind == WebhookEvent::Kind::kOther || !p->transaction_id) {
      out.outcome = WebhookResult::Outcome::kIgnored;
      return absl::OkStatus();
    }
    if (event.kind == WebhookEvent::Kind::kSucceeded) {
      if (p->status == model::PaymentStatus::kFailed) {
        // Succeeded after failed: the provider changed its mind. The deposit is FAILED and final, so
        // record it for a human (the payment's error) rather than move money twice or silently.
        DAIRA_RETURN_IF_ERROR(payments.Update(
            ctx, p->id, {.error = "provider reported success after failure; reconcile manually"}));
        DAIRA_ASSIGN_OR_RETURN(out.payment, payments.Get(ctx, p->id));
        out.outcome = WebhookResult::Outcome::kIgnored;
        return absl::OkStatus();
      }
      DAIRA_ASSIGN_OR_RETURN(Movement m, wallets_.ConfirmDeposit(ctx, *p->transaction_id));
      if (p->status != model::PaymentStatus::kCompleted) {
        DAIRA_RETURN_IF_ERROR(payments.Update(ctx, p->id, {.status = model::PaymentStatus::kCompleted}));
        DAIRA_ASSIGN_OR_RETURN(out.payment, payments.Get(ctx, p->id));
      }
      out.movement = std::move(m);
      return absl::OkStatus();
    }
    // Failed.
    if (p->status == model::PaymentStatus::kCompleted || p->status == model::PaymentStatus::kRefunded) {
      out.outcome = WebhookResult::Outcome::kIgnored;  // late "failed" after success: changes nothing
      return absl::OkStatus();
    }
    DAIRA_ASSIGN_OR_RETURN(Movement m, wallets_.FailDeposit(ctx, *p->transaction_id));
    DAIRA_RETURN_IF_ERROR(payments.Update(
        ctx, p->id,
        {.status = model::PaymentStatus::kFailed, .error = event.error.empty() ? "failed" : event.error}));
    DAIRA_ASSIGN_OR_RETURN(out.payment, payments.Get(ctx, p->id));
    out.movement = std::move(m);
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace daira::inline v0::services
