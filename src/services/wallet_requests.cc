#include "daira/services/wallet_requests.h"

#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using internal::MoneyRules;

absl::Status TipRequest::Validate() const {
  Violations v;
  v.Id("sender_id", sender_id);
  v.Id("receiver_id", receiver_id);
  internal::Different(v, "sender_id", sender_id, "receiver_id", receiver_id);
  MoneyRules(v, amount, currency, idempotency_key);
  if (note.has_value()) {
    internal::BodyText(v, "note", *note, kMaxTipNoteLength, /*multiline=*/false, /*required=*/false);
  }
  return v.ToStatus("tip");
}

absl::Status DepositRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  MoneyRules(v, amount, currency, idempotency_key);
  v.OneOf("provider", provider, kPaymentProviders);
  return v.ToStatus("deposit");
}

absl::Status WithdrawRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  MoneyRules(v, amount, currency, idempotency_key);
  v.OneOf("provider", provider, kPaymentProviders);
  return v.ToStatus("withdraw");
}

absl::Status PaymentRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  v.OneOf("provider", provider, kPaymentProviders);
  MoneyRules(v, amount, currency, idempotency_key);
  if (external_id.has_value()) internal::OpaqueAscii(v, "external_id", *external_id, 1, kMaxExternalIdLength);
  if (v.Length("metadata", metadata, 0, kMaxPaymentMetadataLength)) v.JsonObject("metadata", metadata);
  return v.ToStatus("payment");
}

}  // namespace daira::inline v0::services
