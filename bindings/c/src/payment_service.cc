// daira_payment_service_*: services::Payments over JSON (docs/money.md "Payments", include/daira_c.h
// "payment service") — a deposit started through a provider, its refunds, their signed webhooks, and
// the local provider's settle — plus the open option "payments" that configures the local providers by name.
#include <chrono>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/services/payments.h"
#include "internal.h"
#include "service_call.h"

using daira::JsonWriter;

namespace daira::cabi {

namespace {

// `s` (InvalidArgument "<from>: <field> <reason>" naming <field>) as "<op>: <at>.<field> <reason>", so
// the error names the item of the option list.
absl::Status NameItem(std::string_view op, std::string_view at, std::string_view from,
                      const absl::Status& s) {
  std::string field = StatusField(s);
  std::string message(s.message());
  const std::string prefix = absl::StrCat(ToAbsl(from), ": ", field, " ");
  if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  if (field == "tolerance") field = "tolerance_s";
  return InvalidField(op, absl::StrCat(ToAbsl(at), ".", field), message);
}

}  // namespace

absl::Status ParsePayments(std::string_view op, Request& r, services::PaymentsOptions& out) {
  std::optional<std::vector<std::string>> texts = r.OptObjectListTexts("payments");
  if (!texts) return absl::OkStatus();
  for (size_t i = 0; i < texts->size(); ++i) {
    const std::string at = absl::StrCat("payments[", i, "]");
    DAIRA_ASSIGN_OR_RETURN(Request item, Request::Parse(op, (*texts)[i], at));
    const std::string provider = item.String("provider");
    const std::optional<std::string> secret = item.OptString("secret");
    const int64_t tolerance_s = item.Int("tolerance_s", 300);
    if (absl::Status read = item.Finish(); !read.ok()) return NameItem(op, at, op, read);
    if (!secret) return InvalidField(op, at + ".secret", "is required (the webhook signing secret)");
    absl::Status set = out.SetLocal(provider, *secret, std::chrono::seconds(tolerance_s));
    if (!set.ok()) return NameItem(op, at, "payments", set);
  }
  return absl::OkStatus();
}

}  // namespace daira::cabi

namespace {
namespace services = daira::services;
using daira::cabi::MovementJson;
using daira::cabi::PaymentJson;

constexpr std::string_view kOutcomeNames[] = {"applied", "duplicate", "ignored"};

// The "provider" field of `r` by name (InvalidArgument naming it, with the value got); `fallback`
// when absent.
std::optional<daira::model::PaymentProvider> ProviderOf(daira::cabi::Request& r,
                                                        std::string_view fallback = "") {
  const bool present = r.Has("provider");
  const std::string name = r.String("provider", std::string(fallback));
  if (!present && fallback.empty()) {
    r.Fail("provider", "is required (STRIPE | PAYPAL | FAWRY | INSTAPAY)");
    return std::nullopt;
  }
  absl::StatusOr<daira::model::PaymentProvider> parsed = services::ParseProviderName(r.op(), name);
  if (!parsed.ok()) {
    r.Fail("provider", absl::StrCat("must be one of STRIPE, PAYPAL, FAWRY, INSTAPAY (got \"", name, "\")"));
    return std::nullopt;
  }
  return *parsed;
}

std::string RefundJson(const services::PaymentRefund& f) {
  JsonWriter w;
  w.BeginObject().Key("movement").Raw(MovementJson(f.movement));
  w.Key("provider").String(daira::model::ToString(f.provider)).Key("external_id").String(f.external_id);
  w.Key("refund_id").String(f.refund_id).Key("error");
  if (f.error) {
    w.String(*f.error);
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

}  // namespace

DAIRA_CABI_SERVICE_CALL(daira_payment_service_refund, "payment_service.refund",
                        &daira::Platform::payment_service, &services::Payments::Refund, RefundJson,
                        daira::cabi::ReadRefundRequest)

DAIRA_CABI_SERVICE_CALL(daira_payment_service_get_refund, "payment_service.get_refund",
                        &daira::Platform::payment_service, &services::Payments::GetRefund, RefundJson,
                        daira::cabi::fields::IdAs<daira::TransactionId>{"transaction_id"})

DAIRA_CABI_CALL(daira_payment_service_start_deposit, "payment_service.start_deposit") {
  const services::DepositRequest req = daira::cabi::ReadDepositRequest(r);
  const std::optional<std::string> external_id = r.OptString("external_id");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::PaymentStart s,
                         external_id ? p.payment_service().RecordDeposit(ctx, req, *external_id)
                                     : p.payment_service().StartDeposit(ctx, req));
  JsonWriter w;
  w.BeginObject().Key("movement").Raw(MovementJson(s.movement)).Key("payment").Raw(PaymentJson(s.payment));
  w.Key("client_secret").String(s.client_secret).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_payment_service_handle_webhook, "payment_service.handle_webhook") {
  const std::optional<daira::model::PaymentProvider> provider = ProviderOf(r);
  const std::optional<std::string> payload = r.OptString("payload");
  const std::optional<std::string> signature = r.OptString("signature");
  if (!payload) r.Fail("payload", "is required (the request body exactly as received)");
  if (!signature) r.Fail("signature", "is required (the Stripe-Signature header)");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::WebhookResult result,
                         p.payment_service().HandleWebhook(ctx, *provider, *payload, *signature));
  JsonWriter w;
  w.BeginObject().Key("outcome").String(kOutcomeNames[static_cast<size_t>(result.outcome)]).Key("movement");
  if (result.movement) {
    w.Raw(MovementJson(*result.movement));
  } else {
    w.Null();
  }
  w.Key("payment");
  if (result.payment) {
    w.Raw(PaymentJson(*result.payment));
  } else {
    w.Null();
  }
  w.Key("refund");
  if (result.refund) {
    w.Raw(RefundJson(*result.refund));
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_payment_service_settle, "payment_service.settle") {
  const std::optional<daira::model::PaymentProvider> provider = ProviderOf(r, "STRIPE");
  const std::string external_id = r.String("external_id");
  if (!r.Has("external_id")) r.Fail("external_id", "is required");
  const bool succeeded = r.OptBool("succeeded").value_or(true);
  const std::optional<std::string> refund_id = r.OptString("refund_id");
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  services::LocalProvider* local = p.payment_service().local(*provider);
  if (local == nullptr) {
    absl::Status s = absl::FailedPreconditionError(
        absl::StrCat("payment_service.settle: provider ", daira::ToAbsl(daira::model::ToString(*provider)),
                     " has no local provider (configure it with the open option \"payments\")"));
    s.SetPayload(daira::ToAbsl(daira::kFieldPayloadUrl), absl::Cord("provider"));
    return s;
  }
  const services::SignedWebhook hook = refund_id ? local->SettleRefund(external_id, *refund_id, succeeded)
                                                 : local->Settle(external_id, succeeded);
  JsonWriter w;
  w.BeginObject().Key("payload").String(hook.payload).Key("signature").String(hook.signature).EndObject();
  return w.Take();
}
