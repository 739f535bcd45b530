// What services::Payments shares with services::Wallets (both in src/services; not public): a refund of a
// provider deposit that holds the money while the provider works, and its settlement when the provider's
// webhook arrives. The ledger rules stay in wallets.cc, in one place for both paths.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/services/service_deps.h"
#include "daira/services/wallets.h"

namespace daira::inline v0::services::internal {

// Called once inside the refund's transaction, after the refund rules passed and the amount is held:
// asks the provider for the refund of `amount` of the deposit `original` and returns the refund
// movement's metadata (a JSON object naming the provider's refund). An error rolls everything back.
using AskProvider = std::function<absl::StatusOr<std::string>(const Movement& original, int64_t amount)>;

// A refund of a COMPLETED deposit through its provider, under the same rules and idempotency keys as
// Wallets::Refund (never more than what remains — PENDING refunds count —, never twice, the wallet's
// balance must cover it): the amount is held at once (wallet −a, HOLD +a), the REFUND movement is
// PENDING with `ask`'s metadata, and an audit row "payment.refund" is written, all in one transaction
// (joining ctx's). The same key and request returns the first Movement without asking again.
absl::StatusOr<Movement> RefundThroughProvider(const ServiceDeps& deps, const WalletsOptions& options,
                                               const RequestContext& ctx, const RefundRequest& request,
                                               const AskProvider& ask);

// Settles a PENDING provider refund: `succeeded` → HOLD −a, EXTERNAL +a, COMPLETED; otherwise the hold
// is released (HOLD −a, wallet +a), FAILED. A refund already in the target state is returned as it is;
// FailedPrecondition naming "status" for the opposite one (nothing changes).
absl::StatusOr<Movement> SettleProviderRefund(const ServiceDeps& deps, const WalletsOptions& options,
                                              const RequestContext& ctx, TransactionId id, bool succeeded);

}  // namespace daira::inline v0::services::internal
