// ModerationReviewRepository: typed access to `moderation_reviews` — get, batch get, exists, count,
// create, partial update, delete, and a report's reviews in order — with field masks.
//
//   services::ModerationReviewRepository reviews(deps);
//   DAIRA_ASSIGN_OR_RETURN(model::ModerationReview r, reviews.Create(ctx, {
//       .report_id = ReportId{9}, .reviewer_id = UserId{2}, .decision = model::ModerationDecision::kWarn,
//       .action_taken = "warning sent", .reason = "first offence"}));
//   DAIRA_ASSIGN_OR_RETURN(auto page, reviews.ListByReport(ctx, ReportId{9}, {.limit = 20}));  // oldest 1st
//
// A report may have several reviews (appeals, second opinions); reviews go when their report is
// deleted. The table has no unique key besides id. Every method runs inside the request's open
// transaction when `ctx` has one, else on a connection of its own (reads on a read connection, which
// may be a replica). Inputs are validated first: InvalidArgument naming the field, and nothing is written.
//
// Thread-safety: ModerationReviewRepository is stateless apart from its dependencies and safe from any
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/moderation_review.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/moderation_requests.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using ModerationReviewFieldMask = query::FieldMask<model::ModerationReviewField>;

// The column table of `moderation_reviews` (id is the primary key).
const query::FieldTable<model::ModerationReviewField>& ModerationReviewColumns();
// Every column of `moderation_reviews`.
ModerationReviewFieldMask AllModerationReviewFields();

struct ReviewBatch {
  std::vector<model::ModerationReview> reviews;  // found, in the caller's order (duplicates once)
  std::vector<ReviewId> missing;                 // ids with no row
};

struct NewReview {
  ReportId report_id;   // > 0
  UserId reviewer_id;  // > 0
  model::ModerationDecision decision = model::ModerationDecision::kApproved;
  std::optional<std::string> action_taken{};  // 0–200 characters, single line
  std::optional<std::string> reason{};         // 0–1000 characters (line breaks allowed)
};

// Only the given fields are written.
struct ReviewPatch {
  std::optional<model::ModerationDecision> decision{};
  std::optional<std::string> action_taken{};  // 0–200 characters, single line; "" clears it
  std::optional<std::string> reason{};         // 0–1000 characters; "" clears it
};

// Count filters (all given ones must match).
struct ReviewFilter {
  std::optional<ReportId> report_id{};
  std::optional<UserId> reviewer_id{};
  std::optional<model::ModerationDecision> decision{};
};

class ModerationReviewRepository {
 public:
  explicit ModerationReviewRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The review with `id` (columns of `mask` plus id). NotFound "moderation_reviews: review 9 not found".
  absl::StatusOr<model::ModerationReview> Get(
      const RequestContext& ctx, ReviewId id,
      ModerationReviewFieldMask mask = AllModerationReviewFields()) const;
  // The reviews with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<ReviewBatch> GetMany(const RequestContext& ctx, std::span<const ReviewId> ids,
                                      ModerationReviewFieldMask mask = AllModerationReviewFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, ReviewId id) const;
  // Number of reviews matching `filter` (every review when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const ReviewFilter& filter = {}) const;
  // A page of `report_id`'s reviews, oldest first (keyset over id; one statement).
  absl::StatusOr<query::Page<model::ModerationReview>> ListByReport(
      const RequestContext& ctx, ReportId report_id, const query::PageRequest& page = {},
      ModerationReviewFieldMask mask = AllModerationReviewFields()) const;
  // Inserts the review (id from ServiceDeps::ids, created_at = now) and returns it as stored.
  // InvalidArgument naming the field; FailedPrecondition when the report or moderator does not exist.
  absl::StatusOr<model::ModerationReview> Create(const RequestContext& ctx, const NewReview& review) const;
  // Writes the given fields. InvalidArgument naming "patch" when empty (or the field at fault); NotFound.
  absl::Status Update(const RequestContext& ctx, ReviewId id, const ReviewPatch& patch) const;
  // Deletes the review. NotFound when no such review.
  absl::Status Delete(const RequestContext& ctx, ReviewId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
