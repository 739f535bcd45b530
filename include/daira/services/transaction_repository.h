// TransactionRepository: typed access to the money journal (`transactions`) — get, batch get, find by
// (wallet, idempotency key), exists, count, append, settle (status / completed_at / balance_after),
// delete of rows that never completed, and a wallet's history newest first — with field masks.
//
//   services::TransactionRepository journal(deps);
//   DAIRA_ASSIGN_OR_RETURN(model::Transaction t, journal.Create(ctx, {
//       .wallet_id = WalletId{5}, .type = model::TransactionType::kDeposit, .amount = 2500,
//       .idempotency_key = "dep-7f3a9c21", .metadata = R"({"provider":"STRIPE"})"}));
//   DAIRA_RETURN_IF_ERROR(journal.Update(ctx, t.id, {.status = model::TransactionStatus::kCompleted,
//                                                    .completed_at = clock.Now(), .balance_after = 2500}));
//   DAIRA_ASSIGN_OR_RETURN(auto page, journal.ListByWallet(ctx, WalletId{5}, {.limit = 20}));  // newest 1st
//   DAIRA_ASSIGN_OR_RETURN(auto again, journal.FindByIdempotencyKey(ctx, WalletId{5}, "dep-7f3a9c21"));
//
// The journal is append-only (ARCHITECTURE §5): amount, type, currency, wallets, metadata and the key
// are written once. Only a PENDING row changes — its status (to COMPLETED or FAILED), completed_at and
// balance_after — and a COMPLETED row is never deleted. Appending a row does not touch the wallet: the
// wallet service writes the journal row and the balance in one database transaction (it passes the
// same RequestContext to both, inside Database::RunInTransaction).
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a connection of
// its own (reads on a read connection, which may be a replica). Inputs are validated first:
// InvalidArgument naming the field, and nothing is written.
//
// Thread-safety: TransactionRepository is stateless apart from its dependencies and safe from any thread.
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
#include "daira/model/wallet_transaction.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"
#include "daira/services/wallet_requests.h"

namespace daira::inline v0::services {

using TransactionFieldMask = query::FieldMask<model::TransactionField>;

// The column table of `transactions` (id is the primary key).
const query::FieldTable<model::TransactionField>& TransactionColumns();
// Every column of `transactions`.
TransactionFieldMask AllTransactionFields();

struct TransactionBatch {
  std::vector<model::Transaction> transactions;  // found, in the caller's order (duplicates once)
  std::vector<TransactionId> missing;            // ids with no row
};

// A journal row to append.
struct NewTransaction {
  WalletId wallet_id;                                // > 0
  std::optional<WalletId> counterparty_wallet_id{};  // > 0 and != wallet_id (the other side of a tip)
  model::TransactionType type = model::TransactionType::kDeposit;
  model::TransactionStatus status = model::TransactionStatus::kPending;  // COMPLETED sets completed_at = now
  int64_t amount = 0;                            // minor units, 1 .. kMaxTransferAmount
  std::string currency = "USD";                  // 3 upper-case letters
  std::optional<int64_t> balance_after{};        // >= 0
  std::string metadata = "{}";                   // a JSON object, at most 16384 characters
  std::optional<std::string> idempotency_key{};  // 8–128 of [A-Za-z0-9_-]; unique per wallet
  std::optional<std::string> description{};      // free text, 0–500 characters (migration 016)
};

// Settling a PENDING row: only these fields ever change.
struct TransactionPatch {
  std::optional<model::TransactionStatus> status{};
  std::optional<Clock::TimePoint> completed_at{};
  std::optional<int64_t> balance_after{};  // >= 0
};

// Count filters (all given ones must match).
struct TransactionFilter {
  std::optional<WalletId> wallet_id{};
  std::optional<model::TransactionType> type{};
  std::optional<model::TransactionStatus> status{};
};

class TransactionRepository {
 public:
  explicit TransactionRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The row with `id` (columns of `mask` plus id). NotFound "transactions: transaction 9 not found".
  absl::StatusOr<model::Transaction> Get(const RequestContext& ctx, TransactionId id,
                                         TransactionFieldMask mask = AllTransactionFields()) const;
  // The rows with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order given;
  // ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<TransactionBatch> GetMany(const RequestContext& ctx, std::span<const TransactionId> ids,
                                           TransactionFieldMask mask = AllTransactionFields()) const;
  // The row of `wallet_id` with `idempotency_key` (the unique key a retried request finds its first
  // attempt by). NotFound naming the key.
  absl::StatusOr<model::Transaction> FindByIdempotencyKey(
      const RequestContext& ctx, WalletId wallet_id, std::string_view idempotency_key,
      TransactionFieldMask mask = AllTransactionFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, TransactionId id) const;
  // Number of rows matching `filter` (every row when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const TransactionFilter& filter = {}) const;
  // A page of `wallet_id`'s rows, newest first (keyset over id; one statement). InvalidArgument naming
  // "limit" or "cursor" for a bad request.
  absl::StatusOr<query::Page<model::Transaction>> ListByWallet(
      const RequestContext& ctx, WalletId wallet_id, const query::PageRequest& page = {},
      TransactionFieldMask mask = AllTransactionFields()) const;
  // Appends the row (id from ServiceDeps::ids, created_at = updated_at = now) and returns it as stored.
  // InvalidArgument naming the field; AlreadyExists naming "idempotency_key" when the wallet already has
  // a row with that key; FailedPrecondition when a wallet does not exist. Wallet balances are not touched.
  absl::StatusOr<model::Transaction> Create(const RequestContext& ctx, const NewTransaction& row) const;
  // Settles a PENDING row: writes the given fields and bumps updated_at. InvalidArgument naming "patch"
  // when empty (or the field at fault); NotFound; FailedPrecondition naming "status" when the row is no
  // longer PENDING (COMPLETED and FAILED rows are final).
  absl::Status Update(const RequestContext& ctx, TransactionId id, const TransactionPatch& patch) const;
  // Deletes a row that never completed (PENDING or FAILED). NotFound; FailedPrecondition naming "status"
  // for a COMPLETED row (the journal keeps it), or (from the database) while a payment references it.
  absl::Status Delete(const RequestContext& ctx, TransactionId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
