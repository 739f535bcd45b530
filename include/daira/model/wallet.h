// Wallet: one user's balance in one currency, in integer minor units (cents for USD).
//
//   // services/wallet_repository.h fills it:
//   DAIRA_ASSIGN_OR_RETURN(model::Wallet w, wallets.FindByUserId(ctx, UserId{7}));
//   int64_t cents = w.balance.value_or(0);                  // 1250 == 12.50 USD
//   w.currency;                                             // "USD"
//   model::WalletField f = model::WalletField::kBalance;    // for field masks
//
// Balances and the totals (earned, spent, tips received) change only through journal entries written
// in the same transaction (model/wallet_transaction.h; ARCHITECTURE §5): no repository offers a raw
// balance update. Reads take a field mask: an optional member is std::nullopt when its column was not
// selected (and, for last_payout_at, also when NULL). `id` is always present.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daira/core/clock.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

// The columns of `wallets`, for field masks.
enum class WalletField {
  kId,
  kUserId,
  kBalance,
  kCurrency,
  kEarnedTotal,
  kSpentTotal,
  kTipsReceived,
  kLastPayoutAt,
  kCreatedAt,
  kUpdatedAt,
};

struct Wallet {
  WalletId id;                                     // always set
  std::optional<UserId> user_id;                   // the owner (one wallet per user)
  std::optional<int64_t> balance;                  // minor units, >= 0
  std::optional<std::string> currency;             // 3 upper-case letters ("USD")
  std::optional<int64_t> earned_total;             // minor units earned over the wallet's life
  std::optional<int64_t> spent_total;              // minor units spent
  std::optional<int64_t> tips_received;            // minor units received as tips
  std::optional<Clock::TimePoint> last_payout_at;  // nullopt also when never paid out
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
};

}  // namespace daira::inline v0::model
