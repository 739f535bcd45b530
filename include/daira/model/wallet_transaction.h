// Transaction: one row of the money journal (`transactions`): a deposit, withdrawal, tip, earning or
// refund against one wallet, in integer minor units.
//
//   model::Transaction t;                         // usually filled by services::TransactionRepository
//   if (t.type == model::TransactionType::kTip && t.status == model::TransactionStatus::kCompleted) { ... }
//   std::string_view s = model::ToString(model::TransactionType::kRefund);                  // "REFUND"
//   absl::StatusOr<model::TransactionStatus> st = model::ParseTransactionStatus("FAILED");  // kFailed
//   t.metadata;                                   // JSON object text, e.g. {"note": "thanks"}
//
// The journal is append-only: a row is written once, may move from PENDING to COMPLETED or FAILED,
// and a COMPLETED row is never deleted. Wallet balances change only together with journal rows, in
// one transaction (ARCHITECTURE §5). An optional member is std::nullopt when its column was not
// selected (and, for nullable columns, also when NULL). `id` is always present.
//
// metadata is stored as TEXT (SQLite) or JSONB (PostgreSQL): the same JSON object comes back, but
// PostgreSQL normalizes its spelling (key order, spaces), so compare parsed JSON, not text.
//
// Thread-safety: plain values; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

// transactions.type (CHECK constraint in migration 004).
enum class TransactionType { kDeposit, kWithdrawal, kTip, kEarning, kRefund };
// transactions.status (CHECK constraint in migration 004).
enum class TransactionStatus { kPending, kCompleted, kFailed };

inline constexpr std::string_view kTransactionTypeNames[] = {"DEPOSIT", "WITHDRAWAL", "TIP", "EARNING",
                                                             "REFUND"};
inline constexpr std::string_view kTransactionStatusNames[] = {"PENDING", "COMPLETED", "FAILED"};

// "DEPOSIT" | "WITHDRAWAL" | "TIP" | "EARNING" | "REFUND" ("" for a value outside the enum).
inline std::string_view ToString(TransactionType t) {
  const auto i = static_cast<size_t>(t);
  return i < std::size(kTransactionTypeNames) ? kTransactionTypeNames[i] : std::string_view();
}
// "PENDING" | "COMPLETED" | "FAILED" ("" for a value outside the enum).
inline std::string_view ToString(TransactionStatus s) {
  const auto i = static_cast<size_t>(s);
  return i < std::size(kTransactionStatusNames) ? kTransactionStatusNames[i] : std::string_view();
}
// Exact, upper-case spellings as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, TransactionType* out) {
  for (size_t i = 0; i < std::size(kTransactionTypeNames); ++i) {
    if (kTransactionTypeNames[i] == text) {
      *out = static_cast<TransactionType>(i);
      return true;
    }
  }
  return false;
}
inline bool Parse(std::string_view text, TransactionStatus* out) {
  for (size_t i = 0; i < std::size(kTransactionStatusNames); ++i) {
    if (kTransactionStatusNames[i] == text) {
      *out = static_cast<TransactionStatus>(i);
      return true;
    }
  }
  return false;
}
// The same, as StatusOr: InvalidArgument naming "type" / "status" for an unknown spelling.
inline absl::StatusOr<TransactionType> ParseTransactionType(std::string_view text) {
  TransactionType t;
  if (Parse(text, &t)) return t;
  return InvalidField("transaction type", "type", "must be one of DEPOSIT, WITHDRAWAL, TIP, EARNING, REFUND");
}
inline absl::StatusOr<TransactionStatus> ParseTransactionStatus(std::string_view text) {
  TransactionStatus s;
  if (Parse(text, &s)) return s;
  return InvalidField("transaction status", "status", "must be one of PENDING, COMPLETED, FAILED");
}

// The columns of `transactions`, for field masks.
enum class TransactionField {
  kId,
  kWalletId,
  kCounterpartyWalletId,
  kType,
  kStatus,
  kAmount,
  kCurrency,
  kBalanceAfter,
  kMetadata,
  kIdempotencyKey,
  kCreatedAt,
  kUpdatedAt,
  kCompletedAt,
  kDescription,  // migration 016
};

struct Transaction {
  TransactionId id;                                // always set
  std::optional<WalletId> wallet_id;               // the wallet this entry belongs to
  std::optional<WalletId> counterparty_wallet_id;  // the other side of a tip; nullopt also when NULL
  std::optional<TransactionType> type;
  std::optional<TransactionStatus> status;
  std::optional<int64_t> amount;               // minor units, > 0 (the type says which way it moves)
  std::optional<std::string> currency;         // 3 upper-case letters
  std::optional<int64_t> balance_after;        // the wallet's balance once applied; nullopt also when NULL
  std::optional<std::string> metadata;         // a JSON object as text
  std::optional<std::string> idempotency_key;  // unique per wallet; nullopt also when NULL
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> completed_at;  // nullopt also while not completed
  std::optional<std::string> description;        // free text, at most 500 characters; nullopt also when NULL
};

}  // namespace daira::inline v0::model
