// WalletRepository: typed access to `wallets` — get, batch get, find by owner, exists, count, create,
// a partial update of the fields that are not money, delete — with field masks.
//
//   services::WalletRepository wallets(deps);
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(model::Wallet w, wallets.Create(ctx, {.user_id = UserId{7}, .currency = "EGP"}));
//   auto mask = services::WalletFieldMask{model::WalletField::kBalance, model::WalletField::kCurrency};
//   // SELECT id, balance, currency FROM wallets WHERE user_id = ?
//   DAIRA_ASSIGN_OR_RETURN(model::Wallet b, wallets.FindByUserId(ctx, UserId{7}, mask));
//   DAIRA_ASSIGN_OR_RETURN(auto batch, wallets.GetMany(ctx, wallet_ids));   // ONE statement, caller's order
//   DAIRA_RETURN_IF_ERROR(wallets.Update(ctx, w.id, {.last_payout_at = clock.Now()}));
//
// The money rule (ARCHITECTURE §5): balance, earned_total, spent_total and tips_received change only
// together with journal rows (`transactions`) in one database transaction, so that the sum over wallets
// always equals the sum over the journal. This repository therefore has no way to write them: a new
// wallet starts at zero, WalletPatch has no money fields, a currency changes only while the balance is
// 0, and a wallet holding money (or referenced by journal rows or payments) cannot be deleted. The
// wallet service that moves money writes the balance and the journal row in one statement batch.
//
// Every method runs inside the request's open transaction when `ctx` has one (a service composing
// several writes in Database::RunInTransaction), else on a connection of its own (reads on a read
// connection, which may be a replica). Inputs are validated first: InvalidArgument naming the field,
// and nothing is written.
//
// Thread-safety: WalletRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/wallet.h"
#include "daira/query/field_mask.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using WalletFieldMask = query::FieldMask<model::WalletField>;

// The column table of `wallets` (id is the primary key). WalletColumns().Parse("balance,currency")
// reads a request's ?fields= list.
const query::FieldTable<model::WalletField>& WalletColumns();
// Every column of `wallets`.
WalletFieldMask AllWalletFields();

// The result of GetMany: the wallets found in the caller's order (duplicates once), and the ids missing.
struct WalletBatch {
  std::vector<model::Wallet> wallets;
  std::vector<WalletId> missing;
};

// A new wallet: zero balance and totals.
struct NewWallet {
  UserId user_id;                // > 0; one wallet per user per currency (migration 016)
  std::string currency = "USD";  // 3 upper-case letters
};

// The fields of a wallet that are not money. There is deliberately no balance or total here (the
// money rule above).
struct WalletPatch {
  std::optional<std::string> currency{};             // 3 upper-case letters; only while the balance is 0
  std::optional<Clock::TimePoint> last_payout_at{};  // when the owner was last paid out
};

class WalletRepository {
 public:
  explicit WalletRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The wallet with `id`, selecting the columns of `mask` (plus id). NotFound "wallets: wallet 7 not found".
  absl::StatusOr<model::Wallet> Get(const RequestContext& ctx, WalletId id,
                                    WalletFieldMask mask = AllWalletFields()) const;
  // The wallets with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order given;
  // ids with no row are listed in `missing`. No ids: no statement.
  absl::StatusOr<WalletBatch> GetMany(const RequestContext& ctx, std::span<const WalletId> ids,
                                      WalletFieldMask mask = AllWalletFields()) const;
  // The wallet of `user_id`: since migration 016 a user has one per currency, and this is the oldest
  // (services::Wallets::Balance takes the currency). NotFound "wallets: no wallet with user_id 7".
  absl::StatusOr<model::Wallet> FindByUserId(const RequestContext& ctx, UserId user_id,
                                             WalletFieldMask mask = AllWalletFields()) const;
  // Whether a wallet with `id` exists.
  absl::StatusOr<bool> Exists(const RequestContext& ctx, WalletId id) const;
  // Number of wallets, or of wallets in `currency` when given.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx,
                                std::optional<std::string_view> currency = {}) const;
  // Inserts a wallet with zero balance and totals (id from ServiceDeps::ids, created_at = updated_at =
  // now) and returns it as stored. InvalidArgument naming user_id / currency; AlreadyExists naming
  // user_id when the user has a wallet in that currency; FailedPrecondition when the user does not exist.
  absl::StatusOr<model::Wallet> Create(const RequestContext& ctx, const NewWallet& wallet) const;
  // Writes the given fields and bumps updated_at (one UPDATE). InvalidArgument naming "patch" when it
  // names no field, or the field at fault; NotFound when no such wallet; FailedPrecondition naming
  // "balance" when the currency changes while the balance is not 0.
  absl::Status Update(const RequestContext& ctx, WalletId id, const WalletPatch& patch) const;
  // Deletes an empty wallet. NotFound when no such wallet; FailedPrecondition naming "balance" while it
  // holds money, or (from the database) while journal rows or payments reference it.
  absl::Status Delete(const RequestContext& ctx, WalletId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
