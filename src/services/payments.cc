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
#include "daira/services/audit_log.h"
#include "daira/services/payment_repository.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "services/wallet_internal.h"

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
  // < 0 only without an entropy source; the MAC itself needs no init (this picks CPU features once).
  [[maybe_unused]] static const int init = sodium_init();
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
  const JsonValue* object_kind = object->Get("object");
  if ((object_kind != nullptr && object_kind->AsString() == "refund") || t.rfind("refund.", 0) == 0 ||
      t.rfind("charge.refund.", 0) == 0) {
    // A refund object: its own id, the payment it refunds, and where it stands.
    const JsonValue* intent = object->Get("payment_intent");
    if (intent == nullptr || intent->AsString().empty()) {
      return InvalidField("webhook", "payload", "a refund event must have data.object.payment_intent");
    }
    e.refund_id = e.external_id;
    e.external_id = intent->AsString();
    const JsonValue* status = object->Get("status");
    const std::string state = status != nullptr ? status->AsString() : "";
    if (state == "succeeded") {
      e.kind = WebhookEvent::Kind::kRefundSucceeded;
    } else if (state == "failed" || state == "canceled") {
      e.kind = WebhookEvent::Kind::kRefundFailed;
      const JsonValue* reason = object->Get("failure_reason");
      e.error = reason != nullptr && !reason->AsString().empty() ? reason->AsString().substr(0, 1000) : state;
    }
    return e;
  }
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

absl::StatusOr<ProviderRefund> LocalProvider::Refund(const RequestContext&, std::string_view, int64_t,
                                                     std::string_view idempotency_key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = refunds_.find(idempotency_key);
  if (it == refunds_.end()) {
    it = refunds_.emplace(std::string(idempotency_key), absl::StrCat("local_re_", next_.fetch_add(1))).first;
  }
  return ProviderRefund{.refund_id = it->second};
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
  return Sign(w.Take());
}

SignedWebhook LocalProvider::SettleRefund(std::string_view external_id, std::string_view refund_id,
                                          bool succeeded) {
  JsonWriter w;
  w.BeginObject()
      .Key("id")
      .String(absl::StrCat("evt_local_", next_.fetch_add(1), "_", ToAbsl(refund_id)))
      .Key("type")
      .String("refund.updated")
      .Key("data")
      .BeginObject()
      .Key("object")
      .BeginObject()
      .Key("id")
      .String(refund_id)
      .Key("object")
      .String("refund")
      .Key("payment_intent")
      .String(external_id)
      .Key("status")
      .String(succeeded ? "succeeded" : "failed");
  if (!succeeded) w.Key("failure_reason").String("declined (local)");
  w.EndObject().EndObject().EndObject();
  return Sign(w.Take());
}

SignedWebhook LocalProvider::Sign(std::string payload) {
  SignedWebhook out;
  out.payload = std::move(payload);
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

namespace {

// The provider-refund facts kept in a REFUND movement's metadata (written by Payments::Refund).
struct RefundFacts {
  model::PaymentProvider provider = model::PaymentProvider::kStripe;
  int64_t payment_id = 0;
  std::string external_id;
  std::string refund_id;
  std::optional<std::string> error;
};

std::string EncodeRefundFacts(const RefundFacts& f) {
  JsonWriter w;
  w.BeginObject()
      .Key("provider")
      .String(model::ToString(f.provider))
      .Key("payment_id")
      .Int(f.payment_id)
      .Key("external_id")
      .String(f.external_id)
      .Key("refund_id")
      .String(f.refund_id);
  if (f.error) w.Key("error").String(*f.error);
  w.EndObject();
  return w.Take();
}

// nullopt when `metadata` is not a provider refund's.
std::optional<RefundFacts> DecodeRefundFacts(std::string_view metadata) {
  absl::StatusOr<JsonValue> v = ParseJson(metadata);
  if (!v.ok()) return std::nullopt;
  const JsonValue* provider = v->Get("provider");
  const JsonValue* refund_id = v->Get("refund_id");
  const JsonValue* external_id = v->Get("external_id");
  const JsonValue* payment_id = v->Get("payment_id");
  RefundFacts f;
  if (provider == nullptr || !model::Parse(provider->AsString(), &f.provider) || refund_id == nullptr ||
      refund_id->AsString().empty() || external_id == nullptr) {
    return std::nullopt;
  }
  f.refund_id = refund_id->AsString();
  f.external_id = external_id->AsString();
  f.payment_id = payment_id != nullptr ? payment_id->AsInt() : 0;
  if (const JsonValue* error = v->Get("error"); error != nullptr && !error->is_null())
    f.error = error->AsString();
  return f;
}

absl::Status RefundNotFound(std::string_view op, std::string_view field, std::string_view what) {
  absl::Status s = absl::NotFoundError(absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " ", ToAbsl(what)));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

// The provider facts of refund movement `id` (NotFound naming transaction_id when it is none).
absl::StatusOr<RefundFacts> LoadRefundFacts(Connection& c, int64_t id) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs, c.Execute("SELECT metadata FROM transactions WHERE id = ? AND type = 'REFUND'", {id}));
  std::optional<RefundFacts> f;
  if (!rs.empty() && !rs.front().IsNull(0)) f = DecodeRefundFacts(rs.front().Text(0));
  if (!f) {
    return RefundNotFound("refund", "transaction_id",
                          absl::StrCat("is no refund through a provider (got ", id, ")"));
  }
  return *std::move(f);
}

PaymentRefund MakeRefund(Movement m, RefundFacts f) {
  return PaymentRefund{.movement = std::move(m),
                       .provider = f.provider,
                       .external_id = std::move(f.external_id),
                       .refund_id = std::move(f.refund_id),
                       .error = std::move(f.error)};
}

}  // namespace

absl::StatusOr<PaymentRefund> Payments::Refund(const RequestContext& ctx, const RefundRequest& request) {
  PaymentRepository payments(deps_);
  // Asked once the refund rules passed and the amount is held, inside the refund's transaction.
  auto ask = [&](const Movement& deposit, int64_t amount) -> absl::StatusOr<std::string> {
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet rs,
        deps_.db->Execute(ctx, "SELECT id FROM payments WHERE transaction_id = ?", {deposit.id.value}));
    if (rs.empty()) {
      absl::Status s = absl::FailedPreconditionError(
          absl::StrCat("refund: transaction_id was not paid through a provider; use the wallet refund (got ",
                       deposit.id.value, ")"));
      s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("transaction_id"));
      return s;
    }
    DAIRA_ASSIGN_OR_RETURN(model::Payment payment, payments.Get(ctx, PaymentId{rs.front().Int64(0)}));
    PaymentProvider* provider = payment.provider ? Find(*payment.provider) : nullptr;
    if (provider == nullptr || !payment.external_id) {
      absl::Status s = absl::FailedPreconditionError(absl::StrCat(
          "refund: provider ", ToAbsl(model::ToString(payment.provider.value_or(model::PaymentProvider{}))),
          " is not configured"));
      s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("provider"));
      return s;
    }
    DAIRA_ASSIGN_OR_RETURN(ProviderRefund refund,
                           provider->Refund(ctx, *payment.external_id, amount,
                                            absl::StrCat("daira-refund-", request.idempotency_key)));
    if (refund.refund_id.empty() || refund.refund_id.size() > kMaxExternalIdLength) {
      return absl::InternalError(absl::StrCat("refund: the provider returned a refund id of ",
                                              refund.refund_id.size(), " bytes (want 1-255)"));
    }
    return EncodeRefundFacts({.provider = *payment.provider,
                              .payment_id = payment.id.value,
                              .external_id = *payment.external_id,
                              .refund_id = refund.refund_id,
                              .error = std::nullopt});
  };
  PaymentRefund out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Movement m,
                           internal::RefundThroughProvider(deps_, wallets_.options(), ctx, request, ask));
    DAIRA_ASSIGN_OR_RETURN(RefundFacts facts, LoadRefundFacts(c, m.id.value));
    facts.error.reset();  // the first result (a replay returns it too): PENDING, no error yet
    out = MakeRefund(std::move(m), std::move(facts));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<PaymentRefund> Payments::GetRefund(const RequestContext& ctx, TransactionId id) {
  if (id.value <= 0) {
    return InvalidField("get refund", "transaction_id", absl::StrCat("must be > 0 (got ", id.value, ")"));
  }
  DAIRA_ASSIGN_OR_RETURN(RefundFacts facts,
                         store::WithConnection(*deps_.db, ctx, store::Access::kRead,
                                               [&](Connection& c) { return LoadRefundFacts(c, id.value); }));
  DAIRA_ASSIGN_OR_RETURN(Movement m, wallets_.Get(ctx, id));
  return MakeRefund(std::move(m), std::move(facts));
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
    if (event.kind == WebhookEvent::Kind::kRefundSucceeded ||
        event.kind == WebhookEvent::Kind::kRefundFailed) {
      // The refund movement that asked for this refund id (few per deposit: matched here).
      DAIRA_ASSIGN_OR_RETURN(
          ResultSet refunds,
          c.Execute(
              "SELECT id, metadata FROM transactions WHERE refund_of = ? AND type = 'REFUND' ORDER BY id",
              {p->transaction_id->value}));
      int64_t refund = 0;
      std::optional<RefundFacts> facts;
      for (const store::Row& row : refunds) {
        if (row.IsNull(1)) continue;
        facts = DecodeRefundFacts(row.Text(1));
        if (facts && facts->refund_id == event.refund_id) {
          refund = row.Int64(0);
          break;
        }
      }
      if (refund == 0) {
        return RefundNotFound("webhook", "refund_id",
                              absl::StrCat("not found for payment \"", event.external_id, "\" (got \"",
                                           event.refund_id, "\")"));
      }
      const bool succeeded = event.kind == WebhookEvent::Kind::kRefundSucceeded;
      DAIRA_ASSIGN_OR_RETURN(Movement m, wallets_.Get(ctx, TransactionId{refund}));
      if (m.status != model::TransactionStatus::kPending) {
        // Settled already (a second event about it, or "failed" after "succeeded"): changes nothing.
        out.outcome = WebhookResult::Outcome::kIgnored;
      } else {
        DAIRA_ASSIGN_OR_RETURN(m, internal::SettleProviderRefund(deps_, wallets_.options(), ctx,
                                                                 TransactionId{refund}, succeeded));
        if (!succeeded) {
          facts->error = event.error.empty() ? "failed" : event.error;
          DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE transactions SET metadata = ? WHERE id = ?",
                                          {Value::Json(EncodeRefundFacts(*facts)), refund})
                                    .status());
        } else {
          DAIRA_ASSIGN_OR_RETURN(ResultSet done,
                                 c.Execute("SELECT COALESCE(SUM(amount), 0) FROM transactions "
                                           "WHERE refund_of = ? AND status = 'COMPLETED'",
                                           {p->transaction_id->value}));
          if (p->amount && done.front().Int64(0) >= *p->amount) {
            DAIRA_RETURN_IF_ERROR(payments.Update(ctx, p->id, {.status = model::PaymentStatus::kRefunded}));
            DAIRA_ASSIGN_OR_RETURN(out.payment, payments.Get(ctx, p->id));
          }
        }
        JsonWriter changes;
        changes.BeginObject()
            .Key("refund_id")
            .String(event.refund_id)
            .Key("event_id")
            .String(event.event_id)
            .Key("status")
            .String(model::ToString(m.status));
        if (facts->error) changes.Key("error").String(*facts->error);
        changes.EndObject();
        DAIRA_RETURN_IF_ERROR(
            AuditLog(deps_)
                .Append(ctx, {.action = succeeded ? "payment.refund.succeeded" : "payment.refund.failed",
                              .resource_type = "transaction",
                              .resource_id = refund,
                              .changes = changes.Take(),
                              .reason = facts->error})
                .status());
      }
      out.refund = MakeRefund(m, *facts);
      out.movement = std::move(m);
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
      // A late "succeeded" never turns a REFUNDED payment back into COMPLETED.
      if (p->status != model::PaymentStatus::kCompleted && p->status != model::PaymentStatus::kRefunded) {
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
