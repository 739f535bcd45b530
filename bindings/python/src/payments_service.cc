// p.payments' provider flow (docs/money.md, "Payments"): start a deposit through a configured provider,
// handle its signed webhooks (applied / duplicate / ignored, money moved once), and — with a local
// provider — settle a payment by producing the webhook a real provider would send. Also the
// `payments=` option of daira.open() that configures the local providers by name.
//
//   p = daira.open("sqlite:app.db", payments={"STRIPE": "whsec_…"})
//   s = p.payments.start_deposit(user_id=alice.id, amount=2500, provider="STRIPE", idempotency_key="dep-1")
//   payload, signature = p.payments.settle(s["payment"].external_id)      # local provider only
//   r = p.payments.handle_webhook("STRIPE", payload, signature)          # r["outcome"] == "applied"
//   f = p.payments.refund(s["movement"]["id"], amount=500, idempotency_key="ref-1")   # PENDING, held
//   p.payments.handle_webhook("STRIPE", *p.payments.settle(f["external_id"], refund_id=f["refund_id"]))
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "common.h"
#include "daira/core/status.h"
#include "daira/services/payments.h"
#include "module.h"
#include "service_call.h"

namespace daira::python {
namespace {

constexpr std::string_view kOutcomeNames[] = {"applied", "duplicate", "ignored"};

model::PaymentProvider ProviderArg(std::string_view op, const std::string& name) {
  return Unwrap(services::ParseProviderName(op, name));
}

// A webhook body as received: bytes (the raw request body) or str (taken as UTF-8).
std::string BodyArg(const py::handle& payload) {
  if (py::isinstance<py::bytes>(payload)) return py::cast<std::string>(payload);
  if (py::isinstance<py::str>(payload)) return py::cast<std::string>(payload);
  Throw(InvalidField("webhook", "payload", "must be bytes or str (got " + Repr(payload) + ")"));
}

// secret | {"secret": str, "tolerance": seconds} → (secret, tolerance); InvalidArgument naming `field`.
std::pair<std::string, std::chrono::seconds> LocalSpec(const std::string& field, const py::handle& spec) {
  if (py::isinstance<py::str>(spec)) return {py::cast<std::string>(spec), std::chrono::minutes(5)};
  if (!py::isinstance<py::dict>(spec)) {
    Throw(InvalidField(
        "open", field,
        "must be the webhook secret or {'secret': str, 'tolerance': seconds} (got " + Repr(spec) + ")"));
  }
  std::string secret;
  std::chrono::seconds tolerance = std::chrono::minutes(5);
  bool has_secret = false;
  for (auto [k, v] : py::reinterpret_borrow<py::dict>(spec)) {
    const std::string key = py::cast<std::string>(py::str(k));
    if (key == "secret" && py::isinstance<py::str>(v)) {
      secret = py::cast<std::string>(v);
      has_secret = true;
    } else if (key == "tolerance" && (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) &&
               !py::isinstance<py::bool_>(v)) {
      const double s = py::cast<double>(v);
      if (!std::isfinite(s) || s < 1 || s > 86400) {
        Throw(InvalidField("open", field + ".tolerance",
                           "must be between 1 and 86400 seconds (got " + Repr(v) + ")"));
      }
      tolerance = std::chrono::seconds(std::llround(s));
    } else if (key == "secret" || key == "tolerance") {
      Throw(InvalidField("open", field + "." + key,
                         std::string(key == "secret" ? "must be a str" : "must be a number of seconds") +
                             " (got " + Repr(v) + ")"));
    } else {
      Throw(InvalidField("open", field + "." + key, "is not an option (secret, tolerance)"));
    }
  }
  if (!has_secret) Throw(InvalidField("open", field + ".secret", "is required (the webhook signing secret)"));
  return {std::move(secret), tolerance};
}

py::dict StartDict(const services::PaymentStart& s) {
  py::dict d;
  d["movement"] = MovementDict(s.movement);
  d["payment"] = py::cast(s.payment);
  d["client_secret"] = s.client_secret;
  return d;
}

py::dict RefundDict(const services::PaymentRefund& r) {
  py::dict d;
  d["movement"] = MovementDict(r.movement);
  d["provider"] = std::string(model::ToString(r.provider));
  d["external_id"] = r.external_id;
  d["refund_id"] = r.refund_id;
  d["error"] = r.error ? py::object(py::str(*r.error)) : py::object(py::none());
  return d;
}

py::dict WebhookDict(const services::WebhookResult& r) {
  py::dict d;
  d["outcome"] = std::string(kOutcomeNames[static_cast<size_t>(r.outcome)]);
  d["movement"] = r.movement ? py::object(MovementDict(*r.movement)) : py::object(py::none());
  d["payment"] = r.payment ? py::cast(*r.payment) : py::object(py::none());
  d["refund"] = r.refund ? py::object(RefundDict(*r.refund)) : py::object(py::none());
  return d;
}

}  // namespace

void ApplyPayments(const py::dict& providers, services::PaymentsOptions& out) {
  for (auto [k, v] : providers) {
    const std::string name = py::cast<std::string>(py::str(k));
    const std::string field = "payments[" + name + "]";
    auto [secret, tolerance] = LocalSpec(field, v);
    absl::Status set = out.SetLocal(name, std::move(secret), tolerance);
    if (!set.ok()) {
      const std::string sub = StatusField(set);
      std::string message(ToStd(set.message()));
      const std::string prefix = "payments: " + sub + " ";
      if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
      Throw(InvalidField("open", sub == "provider" ? field : field + "." + sub, message));
    }
  }
}

void AddPaymentFlow(py::class_<PaymentsApi>& c) {
  c.def(
       "start_deposit",
       [](PaymentsApi& a, int64_t user, int64_t amount, const std::string& currency,
          const std::string& provider, const std::string& key, std::optional<std::string> external_id) {
         services::DepositRequest req{.user_id = user,
                                      .amount = amount,
                                      .currency = currency,
                                      .provider = provider,
                                      .idempotency_key = key};
         return StartDict(a.core->Call([&](Platform& p) {
           RequestContext ctx;
           return external_id ? p.payment_service().RecordDeposit(ctx, req, *external_id)
                              : p.payment_service().StartDeposit(ctx, req);
         }));
       },
       py::kw_only(), py::arg("user_id"), py::arg("amount"), py::arg("currency") = "USD", py::arg("provider"),
       py::arg("idempotency_key"), py::arg("external_id") = py::none(),
       "Starts a deposit through a configured provider → {'movement': dict (PENDING), 'payment':\n"
       "Payment (PENDING, external_id = the provider's intent), 'client_secret': str ('' on a replay)}.\n"
       "external_id: an intent the application created itself at the provider (e.g. with Stripe's SDK),\n"
       "recorded instead of asking the provider for one. The same idempotency_key returns the first\n"
       "result. FailedPrecondition (field 'provider') when no provider is configured for it.")
      .def(
          "handle_webhook",
          [](PaymentsApi& a, const std::string& provider, const py::object& payload,
             const std::string& signature) {
            const model::PaymentProvider which = ProviderArg("webhook", provider);
            const std::string body = BodyArg(payload);
            return WebhookDict(a.core->Call([&](Platform& p) {
              return p.payment_service().HandleWebhook(RequestContext(), which, body, signature);
            }));
          },
          py::arg("provider"), py::arg("payload"), py::arg("signature"),
          "Verifies and applies a provider's webhook: the raw request body (bytes or str) and its\n"
          "Stripe-Signature header → {'outcome': 'applied' | 'duplicate' | 'ignored', 'movement': dict or\n"
          "None, 'payment': Payment or None}. Delivered twice, money moves once ('duplicate'); a late\n"
          "'failed' after success changes nothing ('ignored'). Unauthenticated (field 'signature') for a\n"
          "bad or stale signature, nothing written; NotFound (field 'external_id') for an unknown payment;\n"
          "InvalidArgument (field 'provider') for an unknown provider name, FailedPrecondition for one\n"
          "not configured.");
  using services::RefundRequest;
  DefRequest<&Platform::payment_service, &services::Payments::Refund,
             Fields<&RefundRequest::transaction_id, &RefundRequest::amount, &RefundRequest::idempotency_key,
                    &RefundRequest::reason, &RefundRequest::actor_id>,
             &RefundDict>(
      c, NoTx{"refund"}, py::arg("transaction_id"), py::kw_only(), py::arg("amount"),
      py::arg("idempotency_key"), py::arg("reason") = py::none(), py::arg("actor_id") = py::none(),
      "Refunds amount of a COMPLETED deposit made through a provider → {'movement': dict (REFUND,\n"
      "PENDING: the amount is held), 'provider', 'external_id', 'refund_id', 'error': None}. The\n"
      "provider's signed refund webhook (settle(external_id, refund_id=...)) completes it (the money\n"
      "leaves, once) or fails it (the hold is released, 'error' says why). Never more than remains,\n"
      "never twice; the same idempotency_key returns the first result. FailedPrecondition naming\n"
      "'transaction_id', 'amount' or 'idempotency_key'; an audit row 'payment.refund' (actor_id).");
  DefCall<&Platform::payment_service, &services::Payments::GetRefund, &RefundDict>(
      c, NoTx{"get_refund"}, py::arg("transaction_id"),
      "The provider refund whose movement is transaction_id, as it stands now (the refund() dict,\n"
      "'error' set once it FAILED). NotFound (field 'transaction_id') for anything else.");
  c
      .def(
          "settle",
          [](PaymentsApi& a, const std::string& external_id, bool succeeded, const std::string& provider,
             std::optional<std::string> refund_id) {
            const model::PaymentProvider which = ProviderArg("settle", provider);
            services::SignedWebhook hook =
                a.core->Call([&](Platform& p) -> absl::StatusOr<services::SignedWebhook> {
                  services::LocalProvider* local = p.payment_service().local(which);
                  if (local == nullptr) {
                    absl::Status s = absl::FailedPreconditionError(
                        "settle: provider " + provider +
                        " has no local provider (configure it with daira.open(payments=…))");
                    s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("provider"));
                    return s;
                  }
                  return refund_id ? local->SettleRefund(external_id, *refund_id, succeeded)
                                   : local->Settle(external_id, succeeded);
                });
            return py::make_tuple(hook.payload, hook.signature);
          },
          py::arg("external_id"), py::kw_only(), py::arg("succeeded") = true, py::arg("provider") = "STRIPE",
          py::arg("refund_id") = py::none(),
          "With a local provider: the signed webhook it would send for the payment external_id (or, with\n"
          "refund_id, for that refund of it) → (payload: str, signature: str), to pass to handle_webhook\n"
          "as a real provider's POST would. Moves no money by itself. FailedPrecondition (field\n"
          "'provider') without a local provider.");
}

}  // namespace daira::python
