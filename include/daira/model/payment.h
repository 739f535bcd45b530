// Payment: a charge or payout with an external provider (Stripe, PayPal, Fawry, InstaPay), linked to
// the wallet and journal row it funds once they exist.
//
//   // services/payment_repository.h fills it:
//   DAIRA_ASSIGN_OR_RETURN(model::Payment p,
//                          payments.FindByExternalId(ctx, model::PaymentProvider::kStripe, "pi_3Nf0x2"));
//   if (p.status == model::PaymentStatus::kFailed) std::cout << p.error.value_or("");
//   model::ToString(model::PaymentProvider::kFawry);                       // "FAWRY"
//   absl::StatusOr<model::PaymentStatus> s = model::ParsePaymentStatus("REFUNDED");
//
// Amounts are integer minor units. An optional member is std::nullopt when its column was not
// selected (and, for nullable columns, also when NULL); `id` is always present. metadata is a JSON
// object as text (PostgreSQL normalizes its spelling; see model/wallet_transaction.h).
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

// payments.provider (CHECK constraint in migration 004).
enum class PaymentProvider { kStripe, kPaypal, kFawry, kInstapay };
// payments.status (CHECK constraint in migration 004).
enum class PaymentStatus { kPending, kProcessing, kCompleted, kFailed, kRefunded };

inline constexpr std::string_view kPaymentProviderNames[] = {"STRIPE", "PAYPAL", "FAWRY", "INSTAPAY"};
inline constexpr std::string_view kPaymentStatusNames[] = {"PENDING", "PROCESSING", "COMPLETED", "FAILED",
                                                           "REFUNDED"};

// "STRIPE" | "PAYPAL" | "FAWRY" | "INSTAPAY" ("" for a value outside the enum).
inline std::string_view ToString(PaymentProvider v) {
  const auto i = static_cast<size_t>(v);
  return i < std::size(kPaymentProviderNames) ? kPaymentProviderNames[i] : std::string_view();
}
// The exact, upper-case spelling as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, PaymentProvider* out) {
  for (size_t i = 0; i < std::size(kPaymentProviderNames); ++i) {
    if (kPaymentProviderNames[i] == text) {
      *out = static_cast<PaymentProvider>(i);
      return true;
    }
  }
  return false;
}
// The same as StatusOr: InvalidArgument naming "provider" for an unknown spelling.
inline absl::StatusOr<PaymentProvider> ParsePaymentProvider(std::string_view text) {
  PaymentProvider v;
  if (Parse(text, &v)) return v;
  return InvalidField("payment provider", "provider", "must be one of STRIPE, PAYPAL, FAWRY, INSTAPAY");
}
// "PENDING" | "PROCESSING" | "COMPLETED" | "FAILED" | "REFUNDED" ("" for a value outside the enum).
inline std::string_view ToString(PaymentStatus v) {
  const auto i = static_cast<size_t>(v);
  return i < std::size(kPaymentStatusNames) ? kPaymentStatusNames[i] : std::string_view();
}
// The exact, upper-case spelling as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, PaymentStatus* out) {
  for (size_t i = 0; i < std::size(kPaymentStatusNames); ++i) {
    if (kPaymentStatusNames[i] == text) {
      *out = static_cast<PaymentStatus>(i);
      return true;
    }
  }
  return false;
}
// The same as StatusOr: InvalidArgument naming "status" for an unknown spelling.
inline absl::StatusOr<PaymentStatus> ParsePaymentStatus(std::string_view text) {
  PaymentStatus v;
  if (Parse(text, &v)) return v;
  return InvalidField("payment status", "status",
                      "must be one of PENDING, PROCESSING, COMPLETED, FAILED, REFUNDED");
}

// The columns of `payments`, for field masks.
enum class PaymentField {
  kId,
  kUserId,
  kWalletId,
  kTransactionId,
  kProvider,
  kExternalId,
  kAmount,
  kCurrency,
  kStatus,
  kError,
  kMetadata,
  kCreatedAt,
  kUpdatedAt,
};

struct Payment {
  PaymentId id;                                 // always set
  std::optional<UserId> user_id;                // who pays or is paid
  std::optional<WalletId> wallet_id;            // nullopt also when NULL
  std::optional<TransactionId> transaction_id;  // the journal row it funded; nullopt also when NULL
  std::optional<PaymentProvider> provider;
  std::optional<std::string> external_id;  // the provider's reference; nullopt also when NULL
  std::optional<int64_t> amount;           // minor units, > 0
  std::optional<std::string> currency;     // 3 upper-case letters
  std::optional<PaymentStatus> status;
  std::optional<std::string> error;     // the provider's error text; nullopt also when NULL
  std::optional<std::string> metadata;  // a JSON object as text
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
};

}  // namespace daira::inline v0::model
