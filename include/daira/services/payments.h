// Payments: money entering wallets through a payment provider — a provider interface (create an
// intent, refund, parse and verify a webhook), a Stripe-style signed-webhook verifier, a built-in
// local provider for embedded use and tests, and the webhook handler that settles deposits exactly once.
//
//   services::LocalProvider local({.provider = model::PaymentProvider::kStripe, .secret = "whsec_test"});
//   services::Payments payments(deps, wallets, {.providers = {&local}});
//   DAIRA_ASSIGN_OR_RETURN(services::PaymentStart s, payments.StartDeposit(ctx, {.user_id = 1, .amount =
//   2500,
//       .currency = "USD", .provider = "STRIPE", .idempotency_key = "dep-7f3a9c21"}));   // PENDING
//   // ... the provider calls back; with the local one, the test or app asks it to:
//   services::SignedWebhook hook = local.Settle(s.payment.external_id.value(), /*succeeded=*/true);
//   DAIRA_ASSIGN_OR_RETURN(services::WebhookResult r,
//                          payments.HandleWebhook(ctx, model::PaymentProvider::kStripe, hook.payload,
//                          hook.signature));
//
// Webhooks: the signature header is Stripe's `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`
// (several v1 entries allowed, for key rotation), compared in constant time (libsodium), and refused when
// `t` is further than `tolerance` from now (replay). Each event is handled once by its provider event id
// (kept in idempotency_keys, scope "webhook:<PROVIDER>"): delivered twice, money moves once. A "failed"
// event for a payment that already succeeded is recorded and ignored (never takes money back; refund
// instead), so out-of-order delivery cannot corrupt state.
//
// Refunds: Payments::Refund holds the amount and asks the provider; the provider's signed refund webhook
// completes the refund (the money leaves to EXTERNAL, once) or fails it (the hold is released).
//
// The provider's CreateIntent runs inside the deposit's database transaction so that a retried
// StartDeposit (same idempotency key) finds the intent already recorded and never creates a second one.
//
// Bindings (which cannot pass a C++ provider) configure owned local providers by name through
// PaymentsOptions::local / SetLocal; RecordDeposit records an intent the application created itself.
//
// Thread-safety: Payments, WebhookVerifier and LocalProvider are safe from any number of threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/model/payment.h"
#include "daira/services/service_deps.h"
#include "daira/services/wallet_requests.h"
#include "daira/services/wallets.h"

namespace daira::inline v0::services {

// What a provider returns for a new payment.
struct PaymentIntent {
  std::string external_id;    // the provider's reference (1–255 printable ASCII, no spaces)
  std::string client_secret;  // for the client SDK, if the provider has one ("" otherwise); never stored
};

// What a provider returns for a refund it accepted (the money moves when its webhook confirms it).
struct ProviderRefund {
  std::string refund_id;  // the provider's refund reference (1–255 printable ASCII, no spaces), what its
                          // refund webhooks name
};

// A parsed, verified webhook event.
struct WebhookEvent {
  // kSucceeded / kFailed: a payment; kRefundSucceeded / kRefundFailed: a refund of one (refund_id).
  enum class Kind { kSucceeded, kFailed, kOther, kRefundSucceeded, kRefundFailed };
  std::string event_id;  // the provider's event id (what makes delivery idempotent)
  Kind kind = Kind::kOther;
  std::string external_id;  // the payment it is about
  std::string error;        // kFailed / kRefundFailed: the provider's reason, if any
  std::string refund_id;    // refund events: the provider's refund reference
};

// A payment provider. Implementations must be thread-safe.
class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // Which of the seed's providers this is (payments.provider).
  virtual model::PaymentProvider provider() const = 0;
  // Creates a payment intent for `amount` minor units. `reference` is daira's movement id (for the
  // provider's metadata). Unavailable when the provider cannot be reached.
  virtual absl::StatusOr<PaymentIntent> CreateIntent(const RequestContext& ctx, int64_t amount,
                                                     std::string_view currency,
                                                     std::string_view reference) = 0;
  // Asks the provider to refund `amount` of the payment `external_id`; the outcome arrives later as a
  // refund webhook naming the returned refund_id. `idempotency_key` is the same for every retry of one
  // daira refund (pass it as the provider API's idempotency key: a retry must not refund twice).
  // Unavailable when the provider cannot be reached; any error leaves daira's state unchanged.
  virtual absl::StatusOr<ProviderRefund> Refund(const RequestContext& ctx, std::string_view external_id,
                                                int64_t amount, std::string_view idempotency_key) = 0;
  // Verifies `signature` over `payload` and parses it. Unauthenticated for a bad or stale signature;
  // InvalidArgument naming "payload" / "signature" for malformed input.
  virtual absl::StatusOr<WebhookEvent> ParseWebhook(std::string_view payload,
                                                    std::string_view signature) const = 0;
};

// Stripe-style webhook signatures: HMAC-SHA256 over "<timestamp>.<payload>".
class WebhookVerifier {
 public:
  // `secret`: the endpoint's signing secret (not empty). `tolerance`: how far the header's timestamp
  // may be from clock's now (default 5 minutes). `clock`: null → Clock::System(); not owned.
  WebhookVerifier(std::string secret, std::chrono::seconds tolerance = std::chrono::minutes(5),
                  const Clock* clock = nullptr);
  // OK when one v1 signature of `header` matches and its timestamp is within tolerance.
  // InvalidArgument naming "signature" for a malformed header; Unauthenticated "signature does not
  // match" / "timestamp outside the tolerance window (replay?)".
  absl::Status Verify(std::string_view payload, std::string_view header) const;
  // The header a sender would attach at `timestamp` (for the local provider and tests).
  std::string Sign(std::string_view payload, Clock::TimePoint timestamp) const;

 private:
  std::string secret_;
  std::chrono::seconds tolerance_;
  const Clock* clock_;
};

// A signed webhook delivery, as the provider would POST it.
struct SignedWebhook {
  std::string
      payload;  // JSON: {"id":"evt_…","type":"payment_intent.succeeded"|"payment_intent.payment_failed",
                //        "data":{"object":{"id":"<external_id>","last_payment_error":…}}}
  std::string signature;  // the Stripe-Signature header value
};

struct LocalProviderOptions {
  model::PaymentProvider provider = model::PaymentProvider::kStripe;  // the value recorded in payments
  std::string secret = "whsec_local";                                 // webhook signing secret
  std::chrono::seconds tolerance = std::chrono::minutes(5);
  const Clock* clock = nullptr;  // null → Clock::System(); not owned
};

// A provider that moves no real money: intents are "local_<n>", and Settle() produces the signed
// webhook a real provider would send, so embedded apps and tests settle through the same path.
class LocalProvider final : public PaymentProvider {
 public:
  explicit LocalProvider(LocalProviderOptions options = {});
  model::PaymentProvider provider() const override { return options_.provider; }
  absl::StatusOr<PaymentIntent> CreateIntent(const RequestContext& ctx, int64_t amount,
                                             std::string_view currency, std::string_view reference) override;
  // Accepts every refund: refund_id "local_re_<n>", the same one for a retried idempotency_key.
  absl::StatusOr<ProviderRefund> Refund(const RequestContext& ctx, std::string_view external_id,
                                        int64_t amount, std::string_view idempotency_key) override;
  absl::StatusOr<WebhookEvent> ParseWebhook(std::string_view payload,
                                            std::string_view signature) const override;
  // The signed "succeeded" / "failed" event for `external_id`, with a fresh event id.
  SignedWebhook Settle(std::string_view external_id, bool succeeded);
  // The signed refund event ("refund.updated", status "succeeded" / "failed") for the refund
  // `refund_id` of the payment `external_id`, with a fresh event id.
  SignedWebhook SettleRefund(std::string_view external_id, std::string_view refund_id, bool succeeded);
  const WebhookVerifier& verifier() const { return verifier_; }

 private:
  SignedWebhook Sign(std::string payload);
  LocalProviderOptions options_;
  WebhookVerifier verifier_;
  std::atomic<int64_t> next_{1};
  std::mutex mu_;
  std::map<std::string, std::string, std::less<>> refunds_;  // idempotency key → refund id
};

// Parses a Stripe-shaped event (see SignedWebhook) after the signature was verified: payment_intent.*
// events, and refund events (type "refund.*" or "charge.refund.*" whose data.object is a refund:
// {"object":"refund","id":"<refund_id>","payment_intent":"<external_id>","status":"succeeded"|"failed"|
// "canceled"|"pending","failure_reason":…}; pending → kOther). InvalidArgument naming "payload".
absl::StatusOr<WebhookEvent> ParseStripeEvent(std::string_view payload);

// The provider named `text` ("STRIPE" | "PAYPAL" | "FAWRY" | "INSTAPAY", exact spelling), for callers
// that route webhooks by name (the bindings). InvalidArgument "<op>: provider must be one of … (got
// "<text>")" naming "provider".
absl::StatusOr<model::PaymentProvider> ParseProviderName(std::string_view op, std::string_view text);

struct PaymentsOptions {
  // The providers webhooks and deposits may name (at most one per model::PaymentProvider). Not owned.
  std::vector<PaymentProvider*> providers{};
  // Built-in local providers that Payments creates and owns — what the bindings' `payments` open
  // option configures, since a binding cannot hand over a C++ object. Each creates "local_<n>"
  // intents, signs Settle() webhooks and verifies incoming ones with its secret, so a webhook signed
  // by anyone holding that secret (Stripe itself, for an endpoint whose signing secret it is) is
  // accepted. A null clock is the service's (ServiceDeps::clock).
  std::vector<LocalProviderOptions> local{};
  // How long a handled webhook event id is remembered (at least 24 h).
  std::chrono::seconds event_retention = std::chrono::hours(72);

  // Adds the local provider of `provider` ("STRIPE" | …), or replaces the one `local` already has for
  // it, with its webhook signing secret and replay window. InvalidArgument naming "provider" (an
  // unknown name), "secret" (empty) or "tolerance" (under 1 s or over 1 day); nothing changes then.
  absl::Status SetLocal(std::string_view provider, std::string secret,
                        std::chrono::seconds tolerance = std::chrono::minutes(5));
  // OK when every model::PaymentProvider has at most one provider across `providers` and `local`, no
  // entry of `providers` is null and every local secret is set; InvalidArgument naming "payments"
  // otherwise. Platform::Open checks it.
  absl::Status Validate() const;
};

struct PaymentStart {
  Movement movement;          // the PENDING deposit
  model::Payment payment;     // the payments row (external_id = the provider's intent)
  std::string client_secret;  // from the provider's intent ("" on a replay: it is never stored)
};

// A refund through the provider (Payments::Refund / GetRefund).
struct PaymentRefund {
  Movement movement;  // the REFUND movement: PENDING (its amount held) until the provider's webhook,
                      // then COMPLETED or FAILED (the hold released)
  model::PaymentProvider provider = model::PaymentProvider::kStripe;
  std::string external_id;           // the payment refunded
  std::string refund_id;             // the provider's refund reference (what its webhooks name)
  std::optional<std::string> error;  // FAILED: why (the provider's reason)
};

struct WebhookResult {
  enum class Outcome { kApplied, kDuplicate, kIgnored };
  Outcome outcome = Outcome::kApplied;      // kDuplicate: the event id was handled before; kIgnored: a
                                            // late/unknown-kind event that changed nothing
  std::optional<Movement> movement{};       // the deposit or refund movement the event was about
  std::optional<model::Payment> payment{};  // the payments row as the event left it (none for kDuplicate)
  std::optional<PaymentRefund> refund{};    // refund events: the refund as the event left it
};

class Payments {
 public:
  // `deps` and `wallets` must outlive this object.
  Payments(const ServiceDeps& deps, Wallets& wallets, PaymentsOptions options = {});

  // Starts a deposit through request.provider: the PENDING movement (Wallets::Deposit, same key
  // rules), the provider's intent and a PENDING payments row, in one transaction. FailedPrecondition
  // naming "provider" when no provider is configured for it.
  absl::StatusOr<PaymentStart> StartDeposit(const RequestContext& ctx, const DepositRequest& request);
  // StartDeposit for an intent the application created itself at the provider (e.g. with Stripe's
  // own SDK): records `external_id` (1–255 printable ASCII, no spaces) on the payments row instead of
  // calling the provider's CreateIntent; the configured provider still verifies the webhooks that
  // settle it. A retry with the same key returns the first result; with the same key but another
  // external_id it is FailedPrecondition naming "external_id". InvalidArgument naming "external_id"
  // for a malformed one.
  absl::StatusOr<PaymentStart> RecordDeposit(const RequestContext& ctx, const DepositRequest& request,
                                             std::string_view external_id);
  // Verifies and applies a webhook from `provider`: "succeeded" confirms the deposit and completes the
  // payment; "failed" fails both (unless already completed: kIgnored). Unauthenticated for a bad or
  // stale signature (nothing written); NotFound naming "external_id" for an unknown payment.
  // FailedPrecondition naming "provider" when no provider is configured for `provider`.
  absl::StatusOr<WebhookResult> HandleWebhook(const RequestContext& ctx, model::PaymentProvider provider,
                                              std::string_view payload, std::string_view signature);

  // Refunds `request.amount` of a COMPLETED deposit made through a provider (StartDeposit /
  // RecordDeposit), under Wallets::Refund's rules: never more than what remains (refunds still PENDING
  // count), never twice, and the wallet's balance must cover it — the amount is held at once (wallet −a,
  // HOLD +a). The provider is asked for the refund and the REFUND movement is PENDING with an audit row
  // "payment.refund", in one transaction; the provider's signed refund webhook settles it in
  // HandleWebhook (succeeded: HOLD → EXTERNAL, COMPLETED, the payment REFUNDED once nothing remains;
  // failed: the hold is released, FAILED with the provider's reason in `error`). The same key and
  // request returns the first result without asking the provider again; the same key with another
  // request is FailedPrecondition naming "idempotency_key". FailedPrecondition naming "transaction_id"
  // (not a COMPLETED deposit paid through a provider; fully refunded), "amount" (more than remains; the
  // balance is short) or "provider" (not configured); the provider's own error passes through (nothing
  // written).
  absl::StatusOr<PaymentRefund> Refund(const RequestContext& ctx, const RefundRequest& request);
  // The provider refund whose movement is `id`, as it stands now. NotFound naming "transaction_id" when
  // `id` is no refund through a provider.
  absl::StatusOr<PaymentRefund> GetRefund(const RequestContext& ctx, TransactionId id);

  // The local provider configured for `provider` (one of PaymentsOptions::local, or an entry of
  // PaymentsOptions::providers that is a LocalProvider); null when there is none. Lives as long as
  // this object (or, for one of `providers`, as long as its owner keeps it).
  LocalProvider* local(model::PaymentProvider provider) const;

 private:
  PaymentProvider* Find(model::PaymentProvider p) const;
  absl::StatusOr<PaymentStart> Start(const RequestContext& ctx, const DepositRequest& request,
                                     std::optional<std::string_view> external_id);
  ServiceDeps deps_;
  Wallets& wallets_;
  PaymentsOptions options_;
  std::vector<std::unique_ptr<LocalProvider>> owned_;  // from options_.local
};

}  // namespace daira::inline v0::services
