#include "daira/services/payment_repository.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/services/wallet_requests.h"
#include "query/table_repository.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using model::Payment;
using model::PaymentField;

namespace {

using Column = query::ColumnSpec<Payment, PaymentField>;
using query::ReadColumn;

const query::Table<Payment, PaymentField>& PaymentTable() {
  static const auto* kTable = new query::Table<Payment, PaymentField>(
      {.table = "payments",
       .entity = "payment",
       .unique_keys = {{"payments_external_uidx", "payments.provider, payments.external_id", "external_id",
                        "is already recorded for this provider"}}},
      std::array{
          Column{PaymentField::kId, "id", &ReadColumn<&Payment::id>, query::kPrimaryKey},
          Column{PaymentField::kUserId, "user_id", &ReadColumn<&Payment::user_id>},
          Column{PaymentField::kWalletId, "wallet_id", &ReadColumn<&Payment::wallet_id>},
          Column{PaymentField::kTransactionId, "transaction_id", &ReadColumn<&Payment::transaction_id>},
          Column{PaymentField::kProvider, "provider", &ReadColumn<&Payment::provider>},
          Column{PaymentField::kExternalId, "external_id", &ReadColumn<&Payment::external_id>},
          Column{PaymentField::kAmount, "amount", &ReadColumn<&Payment::amount>},
          Column{PaymentField::kCurrency, "currency", &ReadColumn<&Payment::currency>},
          Column{PaymentField::kStatus, "status", &ReadColumn<&Payment::status>},
          Column{PaymentField::kError, "error", &ReadColumn<&Payment::error>},
          Column{PaymentField::kMetadata, "metadata", &ReadColumn<&Payment::metadata>},
          Column{PaymentField::kCreatedAt, "created_at", &ReadColumn<&Payment::created_at>},
          Column{PaymentField::kUpdatedAt, "updated_at", &ReadColumn<&Payment::updated_at>},
      });
  return *kTable;
}

void EnumRule(Violations& v, std::string_view field, std::string_view spelled, std::string_view allowed) {
  v.Require(field, !spelled.empty(), absl::StrCat("must be one of ", ToAbsl(allowed)));
}

// Provider error text: anything a provider may say, as long as the database can hold it.
void ErrorText(Violations& v, const std::string& error) {
  if (v.Length("error", error, 0, kMaxPaymentErrorLength)) {
    v.Require("error", error.find('\0') == std::string::npos, "must not contain NUL characters");
  }
}

}  // namespace

const query::FieldTable<PaymentField>& PaymentColumns() { return PaymentTable().fields(); }

PaymentFieldMask AllPaymentFields() { return PaymentColumns().All(); }

absl::StatusOr<Payment> PaymentRepository::Get(const RequestContext& ctx, PaymentId id,
                                               PaymentFieldMask mask) const {
  return PaymentTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<PaymentBatch> PaymentRepository::GetMany(const RequestContext& ctx,
                                                        std::span<const PaymentId> ids,
                                                        PaymentFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, PaymentTable().GetMany(*deps_.db, ctx, raw, mask));
  return PaymentBatch{std::move(found.items), query::TypedIds<PaymentId>(found.missing)};
}

absl::StatusOr<Payment> PaymentRepository::FindByExternalId(const RequestContext& ctx,
                                                            model::PaymentProvider provider,
                                                            std::string_view external_id,
                                                            PaymentFieldMask mask) const {
  return PaymentTable().FindOne(*deps_.db, ctx, "provider = ? AND external_id = ?",
                                {model::ToString(provider), external_id}, mask,
                                absl::StrCat("no ", ToAbsl(model::ToString(provider)),
                                             " payment with external_id ", QuoteForMessage(external_id)));
}

absl::StatusOr<bool> PaymentRepository::Exists(const RequestContext& ctx, PaymentId id) const {
  return PaymentTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> PaymentRepository::Count(const RequestContext& ctx,
                                                 const PaymentFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.user_id) {
    where.push_back("user_id = ?");
    params.emplace_back(filter.user_id->value);
  }
  if (filter.provider) {
    where.push_back("provider = ?");
    params.emplace_back(model::ToString(*filter.provider));
  }
  if (filter.status) {
    where.push_back("status = ?");
    params.emplace_back(model::ToString(*filter.status));
  }
  return PaymentTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<Payment>> PaymentRepository::ListByUser(const RequestContext& ctx, UserId user_id,
                                                                   const query::PageRequest& page,
                                                                   PaymentFieldMask mask) const {
  return PaymentTable().List(*deps_.db, ctx, absl::StrCat("user:", user_id.value), "user_id = ?",
                             {user_id.value}, query::SortOrder::kDescending, page, mask, deps_.cursors);
}

absl::StatusOr<Payment> PaymentRepository::Create(const RequestContext& ctx, const NewPayment& p) const {
  constexpr std::string_view kOp = "create payment";
  Violations v;
  v.Id("user_id", p.user_id.value);
  EnumRule(v, "provider", model::ToString(p.provider), "STRIPE, PAYPAL, FAWRY, INSTAPAY");
  v.Amount("amount", p.amount, kMaxTransferAmount);
  v.Currency("currency", p.currency);
  if (p.external_id) internal::OpaqueAscii(v, "external_id", *p.external_id, 1, kMaxExternalIdLength);
  if (p.wallet_id) v.Id("wallet_id", p.wallet_id->value);
  if (p.transaction_id) v.Id("transaction_id", p.transaction_id->value);
  EnumRule(v, "status", model::ToString(p.status), "PENDING, PROCESSING, COMPLETED, FAILED, REFUNDED");
  if (v.Length("metadata", p.metadata, 0, kMaxPaymentMetadataLength)) v.JsonObject("metadata", p.metadata);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  const int64_t now = deps_.NowMicros();
  DAIRA_ASSIGN_OR_RETURN(const int64_t new_id, deps_.NextId());
  return PaymentTable().Insert(*deps_.db, ctx, kOp,
                               {{"id", new_id},
                                {"user_id", p.user_id.value},
                                {"wallet_id", query::OptionalValue(p.wallet_id)},
                                {"transaction_id", query::OptionalValue(p.transaction_id)},
                                {"provider", model::ToString(p.provider)},
                                {"external_id", query::OptionalValue(p.external_id)},
                                {"amount", p.amount},
                                {"currency", p.currency},
                                {"status", model::ToString(p.status)},
                                {"metadata", store::Value::Json(p.metadata)},
                                {"created_at", now},
                                {"updated_at", now}});
}

absl::Status PaymentRepository::Update(const RequestContext& ctx, PaymentId id,
                                       const PaymentPatch& patch) const {
  constexpr std::string_view kOp = "update payment";
  Violations v;
  if (patch.status) {
    EnumRule(v, "status", model::ToString(*patch.status), "PENDING, PROCESSING, COMPLETED, FAILED, REFUNDED");
  }
  if (patch.external_id) internal::OpaqueAscii(v, "external_id", *patch.external_id, 1, kMaxExternalIdLength);
  if (patch.error) ErrorText(v, *patch.error);
  if (patch.wallet_id) v.Id("wallet_id", patch.wallet_id->value);
  if (patch.transaction_id) v.Id("transaction_id", patch.transaction_id->value);
  if (patch.metadata && v.Length("metadata", *patch.metadata, 0, kMaxPaymentMetadataLength)) {
    v.JsonObject("metadata", *patch.metadata);
  }
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  std::vector<query::Assignment> sets;
  if (patch.status) sets.push_back({"status", model::ToString(*patch.status)});
  if (patch.external_id) sets.push_back({"external_id", *patch.external_id});
  if (patch.error)
    sets.push_back({"error", patch.error->empty() ? store::Value() : store::Value(*patch.error)});
  if (patch.wallet_id) sets.push_back({"wallet_id", patch.wallet_id->value});
  if (patch.transaction_id) sets.push_back({"transaction_id", patch.transaction_id->value});
  if (patch.metadata) sets.push_back({"metadata", store::Value::Json(*patch.metadata)});
  return PaymentTable().Update(*deps_.db, ctx, kOp, id.value, std::move(sets), deps_.NowMicros());
}

absl::Status PaymentRepository::Delete(const RequestContext& ctx, PaymentId id) const {
  const query::RowGuard guard{.predicate = "status IN ('PENDING', 'FAILED')",
                              .field = "status",
                              .problem = "must be PENDING or FAILED to delete a payment"};
  return PaymentTable().Delete(*deps_.db, ctx, "delete payment", id.value, &guard);
}

}  // namespace daira::inline v0::services
