// Wallet requests (tip, deposit, withdraw, provider payments) and their validation rules.
//
//   daira::services::TipRequest tip{.sender_id = 1, .receiver_id = 2, .amount = 500,   // 5.00 USD
//                                   .currency = "USD", .idempotency_key = "tip-7f3a9c21"};
//   tip.Validate();                                   // OK
//   tip.amount = 0;
//   tip.receiver_id = 1;
//   tip.Validate();  // InvalidArgument "tip: amount must be greater than 0 (got 0); receiver_id must differ
//                    // from sender_id (got 1)"
//
// Money is integer minor units (cents for USD); currencies are 3 upper-case letters. Every request
// that moves money carries an idempotency key so a retried call cannot pay twice. Balances and limits
// per account are the service's check. Rule tables: docs/validation.md.
//
// Thread-safety: requests are plain values; Validate() is const and touches nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::services {

// Largest amount one request may move, in minor units: 1,000,000.00 in a two-decimal currency.
inline constexpr int64_t kMaxTransferAmount = 100'000'000;
inline constexpr size_t kMinIdempotencyKeyLength = 8;
inline constexpr size_t kMaxIdempotencyKeyLength = 128;
inline constexpr size_t kMaxTipNoteLength = 200;
// transactions.description (migration 016).
inline constexpr size_t kMaxTransactionDescriptionLength = 500;
inline constexpr size_t kMaxExternalIdLength = 255;
inline constexpr size_t kMaxPaymentMetadataLength = 16384;

// payments.provider
inline constexpr std::array<std::string_view, 4> kPaymentProviders = {"STRIPE", "PAYPAL", "FAWRY", "INSTAPAY"};

struct TipRequest {
  int64_t sender_id = 0;            // > 0
  int64_t receiver_id = 0;          // > 0, != sender_id
  int64_t amount = 0;               // minor units, 1 .. 100,000,000
  std::string currency = "USD";     // 3 upper-case letters
  std::string idempotency_key{};      // 8–128 of [A-Za-z0-9_-]
  std::optional<std::string> note{};  // 0–200 characters, single line
  absl::Status Validate() const;    // op "tip"
};

// Adds money to a wallet through a payment provider.
struct DepositRequest {
  int64_t user_id = 0;             // > 0
  int64_t amount = 0;              // minor units, 1 .. 100,000,000
  std::string currency = "USD";    // 3 upper-case letters
  std::string provider{};            // STRIPE | PAYPAL | FAWRY | INSTAPAY
  std::string idempotency_key{};     // 8–128 of [A-Za-z0-9_-]
  absl::Status Validate() const;   // op "deposit"
};

// Pays money out of a wallet through a payment provider.
struct WithdrawRequest {
  int64_t user_id = 0;             // > 0
  int64_t amount = 0;              // minor units, 1 .. 100,000,000
  std::string currency = "USD";    // 3 upper-case letters
  std::string provider{};            // STRIPE | PAYPAL | FAWRY | INSTAPAY
  std::string idempotency_key{};     // 8–128 of [A-Za-z0-9_-]
  absl::Status Validate() const;   // op "withdraw"
};

// Records a payment with an external provider (a charge or a payout).
struct PaymentRequest {
  int64_t user_id = 0;                     // > 0
  std::string provider{};                    // STRIPE | PAYPAL | FAWRY | INSTAPAY
  int64_t amount = 0;                      // minor units, 1 .. 100,000,000
  std::string currency = "USD";            // 3 upper-case letters
  std::string idempotency_key{};             // 8–128 of [A-Za-z0-9_-]
  std::optional<std::string> external_id{};  // provider's reference: 1–255 printable ASCII, no spaces
  std::string metadata = "{}";             // a JSON object, at most 16384 characters
  absl::Status Validate() const;           // op "payment"
};

}  // namespace daira::inline v0::services
