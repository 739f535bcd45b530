#include "daira/services/transaction_repository.h"

#include <array>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/services/wallet_requests.h"
#include "query/table_repository.h"

namespace daira::inline v0::services {

using model::Transaction;
using model::TransactionField;
using model::TransactionStatus;

namespace {

using Column = query::ColumnSpec<Transaction, TransactionField>;
using query::ReadColumn;

const query::Table<Transaction, TransactionField>& TransactionTable() {
  static const auto* kTable = new query::Table<Transaction, TransactionField>(
      {.table = "transactions",
       .entity = "transaction",
       .unique_keys = {{"transactions_idempotency_uidx",
                        "transactions.wallet_id, transactions.idempotency_key", "idempotency_key",
                        "is already used by another transaction of this wallet"}}},
      std::array{
          Column{TransactionField::kId, "id", &ReadColumn<&Transaction::id>, query::kPrimaryKey},
          Column{TransactionField::kWalletId, "wallet_id", &ReadColumn<&Transaction::wallet_id>},
          Column{TransactionField::kCounterpartyWalletId, "counterparty_wallet_id",
                 &ReadColumn<&Transaction::counterparty_wallet_id>},
          Column{TransactionField::kType, "type", &ReadColumn<&Transaction::type>},
          Column{TransactionField::kStatus, "status", &ReadColumn<&Transaction::status>},
          Column{TransactionField::kAmount, "amount", &ReadColumn<&Transaction::amount>},
          Column{TransactionField::kCurrency, "currency", &ReadColumn<&Transaction::currency>},
          Column{TransactionField::kBalanceAfter, "balance_after", &ReadColumn<&Transaction::balance_after>},
          Column{TransactionField::kMetadata, "metadata", &ReadColumn<&Transaction::metadata>},
          Column{TransactionField::kIdempotencyKey, "idempotency_key",
                 &ReadColumn<&Transaction::idempotency_key>},
          Column{TransactionField::kCreatedAt, "created_at", &ReadColumn<&Transaction::created_at>},
          Column{TransactionField::kUpdatedAt, "updated_at", &ReadColumn<&Transaction::updated_at>},
          Column{TransactionField::kCompletedAt, "completed_at", &ReadColumn<&Transaction::completed_at>},
          Column{TransactionField::kDescription, "description", &ReadColumn<&Transaction::description>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<TransactionField>& TransactionColumns() { return TransactionTable().fields(); }

TransactionFieldMask AllTransactionFields() { return TransactionColumns().All(); }

absl::StatusOr<Transaction> TransactionRepository::Get(const RequestContext& ctx, TransactionId id,
                                                       TransactionFieldMask mask) const {
  return TransactionTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<TransactionBatch> TransactionRepository::GetMany(const RequestContext& ctx,
                                                                std::span<const TransactionId> ids,
                                                                TransactionFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, TransactionTable().GetMany(*deps_.db, ctx, raw, mask));
  return TransactionBatch{std::move(found.items), query::TypedIds<TransactionId>(found.missing)};
}

absl::StatusOr<Transaction> TransactionRepository::FindByIdempotencyKey(const RequestContext& ctx,
                                                                        WalletId wallet_id,
                                                                        std::string_view idempotency_key,
                                                                        TransactionFieldMask mask) const {
  return TransactionTable().FindOne(*deps_.db, ctx, "wallet_id = ? AND idempotency_key = ?",
                                    {wallet_id.value, idempotency_key}, mask,
                                    absl::StrCat("no transaction of wallet ", wallet_id.value,
                                                 " with idempotency_key ", QuoteForMessage(idempotency_key)));
}

absl::StatusOr<bool> TransactionRepository::Exists(const RequestContext& ctx, TransactionId id) const {
  return TransactionTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> TransactionRepository::Count(const RequestContext& ctx,
                                                     const TransactionFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.wallet_id) {
    where.push_back("wallet_id = ?");
    params.emplace_back(filter.wallet_id->value);
  }
  if (filter.type) {
    where.push_back("type = ?");
    params.emplace_back(model::ToString(*filter.type));
  }
  if (filter.status) {
    where.push_back("status = ?");
    params.emplace_back(model::ToString(*filter.status));
  }
  return TransactionTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<Transaction>> TransactionRepository::ListByWallet(
    const RequestContext& ctx, WalletId wallet_id, const query::PageRequest& page,
    TransactionFieldMask mask) const {
  return TransactionTable().List(*deps_.db, ctx, absl::StrCat("wallet:", wallet_id.value), "wallet_id = ?",
                                 {wallet_id.value}, query::SortOrder::kDescending, page, mask, deps_.cursors);
}

absl::StatusOr<Transaction> TransactionRepository::Create(const RequestContext& ctx,
                                                          const NewTransaction& t) const {
  constexpr std::string_view kOp = "create transaction";
  Violations v;
  v.Id("wallet_id", t.wallet_id.value);
  if (t.counterparty_wallet_id) {
    if (v.Id("counterparty_wallet_id", t.counterparty_wallet_id->value)) {
      v.Require("counterparty_wallet_id", t.counterparty_wallet_id->value != t.wallet_id.value,
                absl::StrCat("must differ from wallet_id (got ", t.wallet_id.value, ")"));
    }
  }
  v.Require("type", !model::ToString(t.type).empty(),
            "must be one of DEPOSIT, WITHDRAWAL, TIP, EARNING, REFUND");
  v.Require("status", !model::ToString(t.status).empty(), "must be one of PENDING, COMPLETED, FAILED");
  v.Amount("amount", t.amount, kMaxTransferAmount);
  v.Currency("currency", t.currency);
  if (t.balance_after) v.Range("balance_after", *t.balance_after, 0, std::numeric_limits<int64_t>::max());
  if (v.Length("metadata", t.metadata, 0, kMaxPaymentMetadataLength)) v.JsonObject("metadata", t.metadata);
  if (t.description) v.Length("description", *t.description, 0, kMaxTransactionDescriptionLength);
  if (t.idempotency_key) {
    v.Token("idempotency_key", *t.idempotency_key, kMinIdempotencyKeyLength, kMaxIdempotencyKeyLength);
  }
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  const int64_t now = deps_.NowMicros();
  DAIRA_ASSIGN_OR_RETURN(const int64_t new_id, deps_.NextId());
  return TransactionTable().Insert(
      *deps_.db, ctx, kOp,
      {{"id", new_id},
       {"wallet_id", t.wallet_id.value},
       {"counterparty_wallet_id", query::OptionalValue(t.counterparty_wallet_id)},
       {"type", model::ToString(t.type)},
       {"status", model::ToString(t.status)},
       {"amount", t.amount},
       {"currency", t.currency},
       {"balance_after", query::OptionalValue(t.balance_after)},
       {"metadata", store::Value::Json(t.metadata)},
       {"idempotency_key", query::OptionalValue(t.idempotency_key)},
       {"created_at", now},
       {"updated_at", now},
       {"completed_at", t.status == TransactionStatus::kCompleted ? store::Value(now) : store::Value()},
       {"description", query::OptionalValue(t.description)}});
}

absl::Status TransactionRepository::Update(const RequestContext& ctx, TransactionId id,
                                           const TransactionPatch& patch) const {
  constexpr std::string_view kOp = "update transaction";
  Violations v;
  if (patch.status) {
    v.Require("status", !model::ToString(*patch.status).empty(), "must be one of PENDING, COMPLETED, FAILED");
  }
  if (patch.balance_after)
    v.Range("balance_after", *patch.balance_after, 0, std::numeric_limits<int64_t>::max());
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  std::vector<query::Assignment> sets;
  if (patch.status) sets.push_back({"status", model::ToString(*patch.status)});
  if (patch.completed_at) sets.push_back({"completed_at", ToUnixMicros(*patch.completed_at)});
  if (patch.balance_after) sets.push_back({"balance_after", *patch.balance_after});
  const query::RowGuard guard{.predicate = "status = 'PENDING'",
                              .field = "status",
                              .problem = "is final: only a PENDING transaction changes"};
  return TransactionTable().Update(*deps_.db, ctx, kOp, id.value, std::move(sets), deps_.NowMicros(), &guard);
}

absl::Status TransactionRepository::Delete(const RequestContext& ctx, TransactionId id) const {
  const query::RowGuard guard{.predicate = "status <> 'COMPLETED'",
                              .field = "status",
                              .problem = "is COMPLETED: the journal keeps completed transactions"};
  return TransactionTable().Delete(*deps_.db, ctx, "delete transaction", id.value, &guard);
}

}  // namespace daira::inline v0::services
