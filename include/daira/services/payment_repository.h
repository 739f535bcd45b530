// PaymentRepository: typed access to `payments` (charges and payouts with an external provider) — get,
// batch get, find by (provider, external id), exists, count, create, partial update, delete of payments
// that never went through, and a user's payments newest first — with field masks.
//
//   services::PaymentRepository payments(deps);
//   DAIRA_ASSIGN_OR_RETURN(model::Payment p, payments.Create(ctx, {
//       .user_id = UserId{7}, .provider = model::PaymentProvider::kStripe, .amount = 2500,
//       .external_id = "pi_3Nf0x2"}));
//   DAIRA_RETURN_IF_ERROR(payments.Update(ctx, p.id, {.status = model::PaymentStatus::kCompleted,
//                                                     .transaction_id = journal_row.id}));
//   DAIRA_ASSIGN_OR_RETURN(auto same,
//                          payments.FindByExternalId(ctx, model::PaymentProvider::kStripe, "pi_3Nf0x2"));
//   DAIRA_ASSIGN_OR_RETURN(auto page, payments.ListByUser(ctx, UserId{7}, {.limit = 20}));
//
// A payment records what a provider did; it moves no money by itself: the wallet service links a
// COMPLETED payment to the journal row that credits or debits the wallet (transaction_id), in the same
// database transaction as that row. A COMPLETED or REFUNDED payment is never deleted.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a connection of
// its own (reads on a read connection, which may be a replica). Inputs are validated first:
// InvalidArgument naming the field, and nothing is written.
//
// Thread-safety: PaymentRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/payment.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"
#include "daira/services/wallet_requests.h"

namespace daira::inline v0::services {

using PaymentFieldMask = query::FieldMask<model::PaymentField>;

// Longest provider error text kept, in characters.
inline constexpr size_t kMaxPaymentErrorLength = 1000;

// The column table of `payments` (id is the primary key).
const query::FieldTable<model::PaymentField>& PaymentColumns();
// Every column of `payments`.
PaymentFieldMask AllPaymentFields();

struct PaymentBatch {
  std::vector<model::Payment> payments;  // found, in the caller's order (duplicates once)
  std::vector<PaymentId> missing;        // ids with no row
};

struct NewPayment {
  UserId user_id;  // > 0
  model::PaymentProvider provider = model::PaymentProvider::kStripe;
  int64_t amount = 0;                             // minor units, 1 .. kMaxTransferAmount
  std::string currency = "USD";                   // 3 upper-case letters
  std::optional<std::string> external_id{};       // 1–255 printable ASCII, no spaces; unique per provider
  std::optional<WalletId> wallet_id{};            // > 0
  std::optional<TransactionId> transaction_id{};  // > 0
  model::PaymentStatus status = model::PaymentStatus::kPending;
  std::string metadata = "{}";  // a JSON object, at most 16384 characters
};

// Only the given fields are written (and updated_at).
struct PaymentPatch {
  std::optional<model::PaymentStatus> status{};
  std::optional<std::string> external_id{};  // 1–255 printable ASCII, no spaces
  std::optional<std::string> error{};        // valid UTF-8 without NUL, at most 1000 characters; "" clears it
  std::optional<WalletId> wallet_id{};       // > 0
  std::optional<TransactionId> transaction_id{};  // > 0
  std::optional<std::string> metadata{};          // a JSON object, at most 16384 characters
};

// Count filters (all given ones must match).
struct PaymentFilter {
  std::optional<UserId> user_id{};
  std::optional<model::PaymentProvider> provider{};
  std::optional<model::PaymentStatus> status{};
};

class PaymentRepository {
 public:
  explicit PaymentRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The payment with `id` (columns of `mask` plus id). NotFound "payments: payment 9 not found".
  absl::StatusOr<model::Payment> Get(const RequestContext& ctx, PaymentId id,
                                     PaymentFieldMask mask = AllPaymentFields()) const;
  // The payments with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<PaymentBatch> GetMany(const RequestContext& ctx, std::span<const PaymentId> ids,
                                       PaymentFieldMask mask = AllPaymentFields()) const;
  // The payment `provider` knows as `external_id` (unique per provider). NotFound naming the key.
  absl::StatusOr<model::Payment> FindByExternalId(const RequestContext& ctx, model::PaymentProvider provider,
                                                  std::string_view external_id,
                                                  PaymentFieldMask mask = AllPaymentFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, PaymentId id) const;
  // Number of payments matching `filter` (every payment when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const PaymentFilter& filter = {}) const;
  // A page of `user_id`'s payments, newest first (keyset over id; one statement).
  absl::StatusOr<query::Page<model::Payment>> ListByUser(const RequestContext& ctx, UserId user_id,
                                                         const query::PageRequest& page = {},
                                                         PaymentFieldMask mask = AllPaymentFields()) const;
  // Inserts the payment (id from ServiceDeps::ids, created_at = updated_at = now) and returns it as
  // stored. InvalidArgument naming the field; AlreadyExists naming "external_id" when the provider's
  // reference is already recorded; FailedPrecondition when the user, wallet or transaction is missing.
  absl::StatusOr<model::Payment> Create(const RequestContext& ctx, const NewPayment& payment) const;
  // Writes the given fields and bumps updated_at. InvalidArgument naming "patch" when empty (or the
  // field at fault); NotFound; AlreadyExists naming "external_id".
  absl::Status Update(const RequestContext& ctx, PaymentId id, const PaymentPatch& patch) const;
  // Deletes a PENDING or FAILED payment. NotFound; FailedPrecondition naming "status" otherwise.
  absl::Status Delete(const RequestContext& ctx, PaymentId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
