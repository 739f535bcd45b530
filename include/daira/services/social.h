// The social graph: follows (with requests for private accounts), blocks and mutes, and the lists and
// membership checks other services (feed, search, notifications) build on.
//
//   services::Social social(deps);
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(model::Follow f, social.Follow(ctx, bob, alice));   // ACTIVE, or PENDING if
//   if (f.status == model::FollowStatus::kPending) {                          // alice is private
//     DAIRA_RETURN_IF_ERROR(social.AcceptFollow(ctx, alice, bob).status());
//   }
//   DAIRA_ASSIGN_OR_RETURN(auto page, social.Followers(ctx, alice, {.limit = 20}));
//   for (const auto& e : page.items) std::printf("%s\n", e.user.username.c_str());
//   DAIRA_ASSIGN_OR_RETURN(std::vector<bool> f, social.FollowsEach(ctx, bob, candidate_ids));  // 1 statement
//
// Counters: user_profiles.following_count (follower) and followers_count (followee) count ACTIVE
// follows only, and change in the same transaction as the edge, with atomic `c = c ± 1` updates.
// Profile rows are always updated in user-id order, so concurrent operations never deadlock on them.
// Every write runs in Database::RunInTransaction with the caller's context, so it joins a transaction
// the caller already has open (and is retried as a whole on Aborted otherwise).
//
// Errors: bad ids / self-edges → InvalidArgument naming the field (nothing written); a user that does
// not exist → NotFound naming the field; following across a block → FailedPrecondition
// "follow: blocked"; an edge that already exists → AlreadyExists; removing/accepting an edge that
// does not exist → NotFound. Database errors pass through.
//
// Thread-safety: a Social is immutable after construction and safe to use from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/block.h"
#include "daira/model/follow.h"
#include "daira/model/ids.h"
#include "daira/model/mute.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

// The public fields of a user shown in follower / following lists.
struct GraphUser {
  UserId id;
  std::string username;
  std::optional<std::string> display_name{};  // null when the profile has none
  std::optional<std::string> avatar_url{};
  bool is_verified = false;
  bool is_private = false;
};

// One row of a follower / following list: the edge and the user at its other end.
struct FollowEntry {
  model::Follow edge;
  GraphUser user;  // the follower (Followers, PendingRequests) or the followee (Following, MutualFollows)
};

class Social {
 public:
  // `deps.db` must be migrated and outlive this object.
  explicit Social(const ServiceDeps& deps) : deps_(deps) {}

  // `follower` follows `followee`. ACTIVE (both counters +1) unless the followee is private
  // (users.is_private = 1): then a PENDING request, no counter changes until AcceptFollow.
  // InvalidArgument (ids ≤ 0, self-follow naming "followee_id"); NotFound naming follower_id /
  // followee_id; FailedPrecondition "follow: blocked" when either blocks the other; AlreadyExists when
  // the edge (active or pending) exists.
  absl::StatusOr<model::Follow> Follow(const RequestContext& ctx, UserId follower, UserId followee);

  // `followee` accepts `follower`'s PENDING request: it turns ACTIVE and both counters +1.
  // NotFound when there is no pending request from `follower` to `followee` (so nobody else can accept it).
  absl::StatusOr<model::Follow> AcceptFollow(const RequestContext& ctx, UserId followee, UserId follower);
  // `followee` rejects (deletes) `follower`'s PENDING request. NotFound as for AcceptFollow.
  absl::Status RejectFollow(const RequestContext& ctx, UserId followee, UserId follower);

  // Removes the edge follower → followee (active or pending); counters −1 only if it was ACTIVE.
  // NotFound when `follower` does not follow (nor asked to follow) `followee`.
  absl::Status Unfollow(const RequestContext& ctx, UserId follower, UserId followee);

  // `blocker` blocks `blocked`: removes follows in both directions (adjusting counters exactly for the
  // ACTIVE ones) and records the block, in one transaction. `reason`: 0–500 characters.
  // InvalidArgument (ids, self-block, reason); NotFound naming blocker_id / blocked_id; AlreadyExists.
  absl::StatusOr<model::Block> Block(const RequestContext& ctx, UserId blocker, UserId blocked,
                                     std::optional<std::string> reason = std::nullopt);
  // Removes `blocker`'s block of `blocked` (not the reverse one). NotFound when there is none.
  absl::Status Unblock(const RequestContext& ctx, UserId blocker, UserId blocked);
  // True when either user blocks the other. One statement.
  absl::StatusOr<bool> IsBlocked(const RequestContext& ctx, UserId a, UserId b);

  // `muter` mutes `muted` with `mute_type`, replacing the mute_type of an existing mute (upsert); `expires_at`
  // (optional) ends it automatically for HiddenAuthorsFor. InvalidArgument (ids, self-mute);
  // NotFound naming muted_id / muter_id.
  absl::StatusOr<model::Mute> Mute(const RequestContext& ctx, UserId muter, UserId muted,
                                   model::MuteKind mute_type = model::MuteKind::kMute,
                                   std::optional<std::chrono::system_clock::time_point> expires_at = std::nullopt);
  // Removes the mute. NotFound when there is none.
  absl::Status Unmute(const RequestContext& ctx, UserId muter, UserId muted);

  // The ACTIVE followers of `user`, newest edge first (keyset on follows.id, which is time-ordered),
  // each hydrated with the follower's public fields in the same statement (one statement per page).
  // InvalidArgument naming "limit" / "cursor" for a bad page request.
  absl::StatusOr<query::Page<FollowEntry>> Followers(const RequestContext& ctx, UserId user,
                                                     const query::PageRequest& page);
  // The users `user` follows (ACTIVE), newest edge first; as Followers.
  absl::StatusOr<query::Page<FollowEntry>> Following(const RequestContext& ctx, UserId user,
                                                     const query::PageRequest& page);
  // PENDING requests to follow `user`, newest first (what AcceptFollow / RejectFollow act on).
  absl::StatusOr<query::Page<FollowEntry>> PendingRequests(const RequestContext& ctx, UserId user,
                                                           const query::PageRequest& page);
  // Users `user` follows who follow `user` back (both edges ACTIVE), newest edge of `user`'s first.
  absl::StatusOr<query::Page<FollowEntry>> MutualFollows(const RequestContext& ctx, UserId user,
                                                         const query::PageRequest& page);

  // For each of `others`, whether `user` follows it (ACTIVE), aligned with `others`. One statement for
  // any number of ids (none for an empty list).
  absl::StatusOr<std::vector<bool>> FollowsEach(const RequestContext& ctx, UserId user,
                                                std::span<const UserId> others);

  // The authors whose content `viewer` must not see in feeds: users blocked by or blocking `viewer`,
  // and users `viewer` muted with MUTE or HIDE_POSTS (unexpired). Sorted ascending, distinct.
  // One statement.
  absl::StatusOr<std::vector<UserId>> HiddenAuthorsFor(const RequestContext& ctx, UserId viewer);

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
