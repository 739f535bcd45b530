#include "daira/services/wallet_repository.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "query/table_repository.h"

namespace daira::inline v0::services {

using model::Wallet;
using model::WalletField;

namespace {

using Column = query::ColumnSpec<Wallet, WalletField>;
using query::ReadColumn;

const query::Table<Wallet, WalletField>& WalletTable() {
  static const auto* kTable = new query::Table<Wallet, WalletField>(
      {.table = "wallets",
       .entity = "wallet",
       .unique_keys = {{"wallets_user_uidx", "wallets.user_id, wallets.currency", "user_id",
                        "already has a wallet in this currency"}}},
      std::array{
          Column{WalletField::kId, "id", &ReadColumn<&Wallet::id>, query::kPrimaryKey},
          Column{WalletField::kUserId, "user_id", &ReadColumn<&Wallet::user_id>},
          Column{WalletField::kBalance, "balance", &ReadColumn<&Wallet::balance>},
          Column{WalletField::kCurrency, "currency", &ReadColumn<&Wallet::currency>},
          Column{WalletField::kEarnedTotal, "earned_total", &ReadColumn<&Wallet::earned_total>},
          Column{WalletField::kSpentTotal, "spent_total", &ReadColumn<&Wallet::spent_total>},
          Column{WalletField::kTipsReceived, "tips_received", &ReadColumn<&Wallet::tips_received>},
          Column{WalletField::kLastPayoutAt, "last_payout_at", &ReadColumn<&Wallet::last_payout_at>},
          Column{WalletField::kCreatedAt, "created_at", &ReadColumn<&Wallet::created_at>},
          Column{WalletField::kUpdatedAt, "updated_at", &ReadColumn<&Wallet::updated_at>},
      });
  return *kTable;
}

// A wallet that holds money keeps its currency and its row.
query::RowGuard EmptyWalletGuard(std::string problem) {
  return {.predicate = "balance = 0", .field = "balance", .problem = std::move(problem)};
}

}  // namespace

const query::FieldTable<WalletField>& WalletColumns() { return WalletTable().fields(); }

WalletFieldMask AllWalletFields() { return WalletColumns().All(); }

absl::StatusOr<Wallet> WalletRepository::Get(const RequestContext& ctx, WalletId id,
                                             WalletFieldMask mask) const {
  return WalletTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<WalletBatch> WalletRepository::GetMany(const RequestContext& ctx,
                                                      std::span<const WalletId> ids,
                                                      WalletFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, WalletTable().GetMany(*deps_.db, ctx, raw, mask));
  return WalletBatch{std::move(found.items), query::TypedIds<WalletId>(found.missing)};
}

absl::StatusOr<Wallet> WalletRepository::FindByUserId(const RequestContext& ctx, UserId user_id,
                                                      WalletFieldMask mask) const {
  return WalletTable().FindOne(*deps_.db, ctx, "user_id = ? ORDER BY id LIMIT 1", {user_id.value}, mask,
                               absl::StrCat("no wallet with user_id ", user_id.value));
}

absl::StatusOr<bool> WalletRepository::Exists(const RequestContext& ctx, WalletId id) const {
  return WalletTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> WalletRepository::Count(const RequestContext& ctx,
                                                std::optional<std::string_view> currency) const {
  if (!currency.has_value()) return WalletTable().Count(*deps_.db, ctx);
  return WalletTable().Count(*deps_.db, ctx, "currency = ?", {*currency});
}

absl::StatusOr<Wallet> WalletRepository::Create(const RequestContext& ctx, const NewWallet& w) const {
  Violations v;
  v.Id("user_id", w.user_id.value);
  v.Currency("currency", w.currency);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("create wallet"));
  const int64_t now = deps_.NowMicros();
  DAIRA_ASSIGN_OR_RETURN(const int64_t new_id, deps_.NextId());
  return WalletTable().Insert(*deps_.db, ctx, "create wallet",
                              {{"id", new_id},
                               {"user_id", w.user_id.value},
                               {"currency", w.currency},
                               {"created_at", now},
                               {"updated_at", now}});
}

absl::Status WalletRepository::Update(const RequestContext& ctx, WalletId id,
                                      const WalletPatch& patch) const {
  Violations v;
  if (patch.currency) v.Currency("currency", *patch.currency);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("update wallet"));
  std::vector<query::Assignment> sets;
  if (patch.currency) sets.push_back({"currency", *patch.currency});
  if (patch.last_payout_at) sets.push_back({"last_payout_at", ToUnixMicros(*patch.last_payout_at)});
  const query::RowGuard guard = EmptyWalletGuard("must be 0 to change the currency");
  return WalletTable().Update(*deps_.db, ctx, "update wallet", id.value, std::move(sets), deps_.NowMicros(),
                              patch.currency ? &guard : nullptr);
}

absl::Status WalletRepository::Delete(const RequestContext& ctx, WalletId id) const {
  const query::RowGuard guard = EmptyWalletGuard("must be 0 to delete a wallet");
  return WalletTable().Delete(*deps_.db, ctx, "delete wallet", id.value, &guard);
}

}  // namespace daira::inline v0::services
