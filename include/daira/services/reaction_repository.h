// ReactionRepository: field-masked reads of reactions (rows of `likes`) — get, batch get, a user's
// reaction to a target, exists, count, and the reactions on a post, video or comment, newest first.
//
//   services::ReactionRepository reactions(deps);
//   const model::ReactionTarget post{model::ReactionTargetType::kPost, 42};
//   auto mask = services::ReactionFieldMask{model::ReactionField::kReaction};
//   DAIRA_ASSIGN_OR_RETURN(model::ReactionRecord r, reactions.FindByUserAndTarget(ctx, UserId{7}, post,
//   mask)); DAIRA_ASSIGN_OR_RETURN(auto page, reactions.ListByTarget(ctx, post, {.limit = 50}));
//   DAIRA_ASSIGN_OR_RETURN(int64_t loves, reactions.Count(ctx, {.target = post,
//                                                               .reaction = model::Reaction::kLove}));
//
// Read-only on purpose: a reaction and its target's likes_count (and the author's likes_received_count)
// change in one transaction, so reactions are written through services::Content::React / Unreact
// (services/content.h); Content::ReactionsSummary counts a target's reactions by type.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica). Bad input is InvalidArgument naming the field; nothing runs.
//
// Thread-safety: ReactionRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/reaction.h"
#include "daira/model/reaction_record.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using ReactionFieldMask = query::FieldMask<model::ReactionField>;

// The column table of `likes` (id is the primary key). ReactionColumns().Parse("reaction,created_at")
// reads a request's ?fields= list.
const query::FieldTable<model::ReactionField>& ReactionColumns();
// Every column of `likes`.
ReactionFieldMask AllReactionFields();

struct ReactionBatch {
  std::vector<model::ReactionRecord> reactions;  // found, in the caller's order (duplicates once)
  std::vector<ReactionId> missing;               // ids with no row
};

// Count filters (all given ones must match; ids must be > 0).
struct ReactionFilter {
  std::optional<UserId> user_id{};
  std::optional<model::ReactionTarget> target{};
  std::optional<model::Reaction> reaction{};
};

class ReactionRepository {
 public:
  explicit ReactionRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The reaction with `id` (columns of `mask` plus id). NotFound "likes: reaction 42 not found".
  absl::StatusOr<model::ReactionRecord> Get(const RequestContext& ctx, ReactionId id,
                                            ReactionFieldMask mask = AllReactionFields()) const;
  // The reactions with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<ReactionBatch> GetMany(const RequestContext& ctx, std::span<const ReactionId> ids,
                                        ReactionFieldMask mask = AllReactionFields()) const;
  // `user`'s reaction to `target` (unique per user and target; the likes_user_<target>_uidx partial
  // index). InvalidArgument naming user_id / target_id (≤ 0) or target_type (not a known type);
  // NotFound "likes: user 7 has no reaction to POST 42".
  absl::StatusOr<model::ReactionRecord> FindByUserAndTarget(
      const RequestContext& ctx, UserId user, model::ReactionTarget target,
      ReactionFieldMask mask = AllReactionFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, ReactionId id) const;
  // Number of reactions matching `filter` (every reaction when empty). InvalidArgument as above.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const ReactionFilter& filter = {}) const;
  // A page of the reactions on `target`, newest first (keyset over id; one statement; the
  // likes_<target>_idx partial index). InvalidArgument naming target_type / target_id, "limit" or
  // "cursor".
  absl::StatusOr<query::Page<model::ReactionRecord>> ListByTarget(
      const RequestContext& ctx, model::ReactionTarget target, const query::PageRequest& page = {},
      ReactionFieldMask mask = AllReactionFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
