// Wallets: the service that moves money — deposits, withdrawals, tips, earnings and refunds over a
// double-entry ledger, with idempotency keys on every call that moves money (docs/money.md).
//
//   services::Wallets wallets(deps, {.tip_fee_bps = 500});                 // 5% platform fee on tips
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(services::Movement dep, wallets.Deposit(ctx, {.user_id = 1, .amount = 2500,
//       .currency = "USD", .provider = "STRIPE", .idempotency_key = "dep-7f3a9c21"}));   // PENDING
//   DAIRA_RETURN_IF_ERROR(wallets.ConfirmDeposit(ctx, dep.id).status());               // COMPLETED: +25.00
//   DAIRA_ASSIGN_OR_RETURN(services::Movement tip, wallets.Tip(ctx, {.sender_id = 1, .receiver_id = 2,
//       .amount = 500, .currency = "USD", .idempotency_key = "tip-0c1d2e3f"}));          // 4.75 to 2, 0.25
//       fee
//   DAIRA_ASSIGN_OR_RETURN(services::WalletBalance b, wallets.Balance(ctx, UserId{2}, "USD"));  // 475
//   DAIRA_ASSIGN_OR_RETURN(auto page, wallets.Statement(ctx, UserId{2}, "USD", {.limit = 20}));
//
// The ledger: every movement is one `transactions` row plus `ledger_lines` that sum to zero. One side
// is a user's wallet (one per user per currency, created on first use); the other is another wallet
// or a system account: PLATFORM (tip fees, earnings paid), EXTERNAL (money outside: providers) or
// HOLD (withdrawals in flight). A wallet's balance always equals the sum of its lines, and the seed's
// counters (earned_total, spent_total, tips_received, last_payout_at) change with them. A balance never
// goes negative (a debit that would is FailedPrecondition naming "amount", nothing written).
//
//   deposit        PENDING, no lines; ConfirmDeposit: wallet +a, EXTERNAL −a; FailDeposit: FAILED
//   withdraw       at once: wallet −a, HOLD +a (PENDING); CompleteWithdrawal: HOLD −a, EXTERNAL +a;
//                  FailWithdrawal: HOLD −a, wallet +a (the hold is released)
//   tip            sender −a, receiver +(a − fee), PLATFORM +fee; fee = a × tip_fee_bps / 10000 (floor)
//   earning        PLATFORM −a, wallet +a
//   refund         of a COMPLETED deposit, tip or earning, reversing its lines in proportion; the sum of
//                  refunds never exceeds the original (a second full refund is FailedPrecondition)
//
// Idempotency: Deposit, Withdraw, Tip, Earn and Refund take an idempotency key (8–128 of
// [A-Za-z0-9_-]). The same key with the same request returns the first call's Movement exactly
// (equal field by field) and moves no money; with a different request → FailedPrecondition naming
// "idempotency_key". Keys are scoped to the acting user (deposit/withdraw/tip: the user; earning and
// refund: the platform) and kept WalletsOptions::idempotency_retention (≥ 24 h). A call that fails
// writes nothing, its key included, so it may be retried with the same key. Confirm/Fail/Complete of a
// movement are idempotent by state: repeating the same outcome returns the movement again; the
// opposite outcome of a settled movement is FailedPrecondition naming "status" and changes nothing.
//
// Concurrency: every call is one Database::RunInTransaction with the caller's context (joining an
// open one). Wallet rows are updated in wallet-id order and a refunded movement is locked first
// (Postgres `FOR UPDATE`), so concurrent transfers never deadlock each other; serialization failures
// and deadlocks (Aborted) rerun the whole call within the request deadline, up to max_attempts.
// SQLite has one writer.
//
// Errors: InvalidArgument naming the field (ids, amount ≤ 0 or > kMaxTransferAmount, currency not 3
// upper-case letters, self-tip naming "receiver_id", the key); NotFound naming user_id / sender_id /
// receiver_id / transaction_id; FailedPrecondition for a user who is not ACTIVE (a tip) or DELETED/
// BANNED (anything), a block between tipper and receiver, insufficient balance, refund rules. Database
// errors pass through. Every error writes nothing.
//
// Thread-safety: a Wallets is immutable after construction and safe to use from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/wallet_transaction.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"
#include "daira/services/wallet_requests.h"

namespace daira::inline v0::services {

struct WalletsOptions {
  // Platform fee on tips, in basis points of the amount (0–9999; 500 = 5%). Default 0 (no fee).
  int64_t tip_fee_bps = 0;
  // How long an idempotency key is remembered. At least 24 h (shorter values are raised to 24 h).
  std::chrono::seconds idempotency_retention = std::chrono::hours(24);
  // Attempts per call when the database reports a serialization failure or deadlock (Aborted).
  int max_attempts = 10;
};

// The result of a call that moves money: the movement's journal row as the caller sees it.
struct Movement {
  TransactionId id;
  model::TransactionType type = model::TransactionType::kDeposit;
  model::TransactionStatus status = model::TransactionStatus::kPending;
  UserId user_id;                                    // owner of wallet_id
  WalletId wallet_id;                                // deposit/withdraw/earning: the user's; tip: sender's
  std::optional<WalletId> counterparty_wallet_id{};  // tip: the receiver's wallet
  int64_t amount = 0;                                // minor units, > 0
  int64_t fee = 0;  // tip: the platform's part of amount; refund: fee returned
  std::string currency;
  int64_t balance_after = 0;                 // wallet_id's balance right after the movement was made
  std::optional<TransactionId> refund_of{};  // refund: the movement refunded
  std::optional<std::string> description{};
  Clock::TimePoint created_at{};
  friend bool operator==(const Movement&, const Movement&) = default;
};

// Gives a user money from the platform (a creator payout, a bonus).
struct EarningRequest {
  int64_t user_id = 0;                       // > 0
  int64_t amount = 0;                        // minor units, 1 .. kMaxTransferAmount
  std::string currency = "USD";              // 3 upper-case letters
  std::string idempotency_key{};             // 8–128 of [A-Za-z0-9_-]
  std::optional<std::string> description{};  // 0–500 characters
};

// Refunds (part of) a COMPLETED deposit, tip or earning.
struct RefundRequest {
  int64_t transaction_id = 0;           // > 0: the movement to refund
  int64_t amount = 0;                   // minor units, 1 .. what remains unrefunded
  std::string idempotency_key{};        // 8–128 of [A-Za-z0-9_-]
  std::optional<std::string> reason{};  // 0–500 characters, stored as the refund's description
  std::optional<int64_t> actor_id{};    // > 0: who refunds (an admin), in the refund's audit row; none: the system
};

struct WalletBalance {
  WalletId wallet_id;  // 0 when the user has no wallet in this currency yet
  std::string currency;
  int64_t balance = 0;
  int64_t earned_total = 0;   // tips received net of fees + earnings − their refunds
  int64_t spent_total = 0;    // tips sent − their refunds
  int64_t tips_received = 0;  // tips received net of fees − their refunds
};

// One ledger line of a wallet, with its movement.
struct StatementLine {
  int64_t line_id = 0;  // keyset key (newest first)
  TransactionId transaction_id;
  model::TransactionType type = model::TransactionType::kDeposit;
  model::TransactionStatus status = model::TransactionStatus::kPending;
  int64_t amount = 0;  // signed: + into the wallet, − out of it
  std::string currency;
  std::optional<std::string> description{};
  Clock::TimePoint created_at{};
};

// A wallet whose balance differs from the sum of its ledger lines (Wallets::CheckLedger).
struct LedgerDifference {
  WalletId wallet_id;
  int64_t balance = 0;
  int64_t lines_sum = 0;
};

class Wallets {
 public:
  // `deps.db` must be migrated (016_money) and outlive this object.
  explicit Wallets(const ServiceDeps& deps, WalletsOptions options = {});

  // Starts a deposit: a PENDING movement, no money yet. `provider` is recorded in the metadata.
  absl::StatusOr<Movement> Deposit(const RequestContext& ctx, const DepositRequest& request);
  // The provider confirmed the deposit: the wallet is credited, COMPLETED. Again on a COMPLETED
  // deposit returns it unchanged; FailedPrecondition naming "status" on a FAILED one; NotFound naming
  // transaction_id; InvalidArgument when it is not a deposit.
  absl::StatusOr<Movement> ConfirmDeposit(const RequestContext& ctx, TransactionId id);
  // The deposit failed: FAILED, nothing credited. Again on FAILED returns it; FailedPrecondition on
  // COMPLETED (a later "failed" never takes back confirmed money; refund it instead).
  absl::StatusOr<Movement> FailDeposit(const RequestContext& ctx, TransactionId id);

  // Holds the amount at once (PENDING) for a payout. FailedPrecondition naming "amount" when the
  // balance is short.
  absl::StatusOr<Movement> Withdraw(const RequestContext& ctx, const WithdrawRequest& request);
  // The payout went out: COMPLETED, the hold leaves to EXTERNAL, last_payout_at = now. Idempotent.
  absl::StatusOr<Movement> CompleteWithdrawal(const RequestContext& ctx, TransactionId id);
  // The payout failed: FAILED, the hold is released back to the wallet. Idempotent; FailedPrecondition
  // on a COMPLETED withdrawal.
  absl::StatusOr<Movement> FailWithdrawal(const RequestContext& ctx, TransactionId id);

  // Moves money from sender to receiver at once (COMPLETED), minus the platform fee. `note` becomes
  // the description. FailedPrecondition when either user is not ACTIVE, when either blocks the other,
  // when the sender's balance is short.
  absl::StatusOr<Movement> Tip(const RequestContext& ctx, const TipRequest& request);
  // The platform pays the user (COMPLETED).
  absl::StatusOr<Movement> Earn(const RequestContext& ctx, const EarningRequest& request);
  // Refunds `amount` of a COMPLETED deposit, tip or earning (COMPLETED refund movement on the original's
  // wallet). FailedPrecondition naming "transaction_id" (not COMPLETED / not refundable) or "amount"
  // (more than remains; nothing remains; the paying wallet's balance is short).
  absl::StatusOr<Movement> Refund(const RequestContext& ctx, const RefundRequest& request);

  // The user's wallet in `currency` (zeros and wallet_id 0 when none exists yet).
  absl::StatusOr<WalletBalance> Balance(const RequestContext& ctx, UserId user, std::string_view currency);
  // The user's ledger lines in `currency`, newest first (keyset over line id; one statement per page).
  absl::StatusOr<query::Page<StatementLine>> Statement(const RequestContext& ctx, UserId user,
                                                       std::string_view currency,
                                                       const query::PageRequest& page);
  // The movement `id`.
  absl::StatusOr<Movement> Get(const RequestContext& ctx, TransactionId id);
  // The platform account's balance in `currency` (fees taken − earnings paid − fees refunded).
  absl::StatusOr<int64_t> PlatformBalance(const RequestContext& ctx, std::string_view currency);

  // Wallets whose balance differs from the sum of their lines, and movements whose lines do not sum to
  // zero (their ids in `unbalanced`). Both empty on a healthy ledger. Two statements.
  struct LedgerReport {
    std::vector<LedgerDifference> wallets;
    std::vector<TransactionId> unbalanced;
  };
  absl::StatusOr<LedgerReport> CheckLedger(const RequestContext& ctx);
  // Deletes remembered idempotency keys past their retention; returns how many.
  absl::StatusOr<int64_t> PurgeExpiredKeys(const RequestContext& ctx);

  const WalletsOptions& options() const { return options_; }

 private:
  ServiceDeps deps_;
  WalletsOptions options_;
};

}  // namespace daira::inline v0::services
