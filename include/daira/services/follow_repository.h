// FollowRepository: field-masked reads of `follows` (the social graph's edges) — get, batch get, the
// edge of a (follower, followee) pair, exists, count, and a user's edges in or out, newest first.
//
//   services::FollowRepository follows(deps);
//   auto mask = services::FollowFieldMask{model::FollowField::kStatus};
//   // SELECT id, status FROM follows WHERE follower_id = ? AND followee_id = ?
//   DAIRA_ASSIGN_OR_RETURN(model::FollowRecord f, follows.FindByPair(ctx, UserId{1}, UserId{2}, mask));
//   DAIRA_ASSIGN_OR_RETURN(auto page, follows.ListByFollowee(ctx, UserId{2}, {.limit = 50}));
//   DAIRA_ASSIGN_OR_RETURN(int64_t pending, follows.Count(ctx, {.followee_id = UserId{2},
//                                                             .status = model::FollowStatus::kPending}));
//
// Read-only on purpose: following, accepting, unfollowing and blocking change both users'
// followers_count / following_count in the same transaction as the edge, so edges are written through
// services::Social (services/social.h). Edges of both statuses are returned; a PENDING edge counts in
// no counter. Social::Followers / Following return the ACTIVE edges hydrated with the other user.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica). Bad input is InvalidArgument naming the field; nothing runs.
//
// Thread-safety: FollowRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/follow.h"
#include "daira/model/ids.h"
#include "daira/model/social_records.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using FollowFieldMask = query::FieldMask<model::FollowField>;

// The column table of `follows` (id is the primary key). FollowColumns().Parse("status,created_at")
// reads a request's ?fields= list.
const query::FieldTable<model::FollowField>& FollowColumns();
// Every column of `follows`.
FollowFieldMask AllFollowFields();

struct FollowBatch {
  std::vector<model::FollowRecord> follows;  // found, in the caller's order (duplicates once)
  std::vector<FollowId> missing;             // ids with no row
};

// Count filters (all given ones must match; ids must be > 0).
struct FollowFilter {
  std::optional<UserId> follower_id{};
  std::optional<UserId> followee_id{};
  std::optional<model::FollowStatus> status{};
};

class FollowRepository {
 public:
  explicit FollowRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The edge with `id` (columns of `mask` plus id). NotFound "follows: follow 42 not found".
  absl::StatusOr<model::FollowRecord> Get(const RequestContext& ctx, FollowId id,
                                          FollowFieldMask mask = AllFollowFields()) const;
  // The edges with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order given;
  // ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<FollowBatch> GetMany(const RequestContext& ctx, std::span<const FollowId> ids,
                                      FollowFieldMask mask = AllFollowFields()) const;
  // The edge follower → followee, ACTIVE or PENDING (unique; index follows_pair_uidx). InvalidArgument
  // naming follower_id / followee_id (≤ 0); NotFound "follows: user 1 does not follow user 2".
  absl::StatusOr<model::FollowRecord> FindByPair(const RequestContext& ctx, UserId follower, UserId followee,
                                                 FollowFieldMask mask = AllFollowFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, FollowId id) const;
  // Number of edges matching `filter` (every edge when empty). InvalidArgument naming an id ≤ 0.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const FollowFilter& filter = {}) const;
  // Pages of the edges into `followee` (its followers and requests) / out of `follower`, newest first
  // (keyset over id; one statement each; indexes follows_followee_id_idx / follows_follower_id_idx).
  // InvalidArgument naming followee_id / follower_id, "limit" or "cursor".
  absl::StatusOr<query::Page<model::FollowRecord>> ListByFollowee(
      const RequestContext& ctx, UserId followee, const query::PageRequest& page = {},
      FollowFieldMask mask = AllFollowFields()) const;
  absl::StatusOr<query::Page<model::FollowRecord>> ListByFollower(
      const RequestContext& ctx, UserId follower, const query::PageRequest& page = {},
      FollowFieldMask mask = AllFollowFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
