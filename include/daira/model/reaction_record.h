// ReactionRecord: one row of `likes` (a user's reaction to a post, a video or a comment) as a
// field-masked read returns it — every column optional, so the columns a mask left out are absent.
//
//   // services/reaction_repository.h fills it:
//   auto mask = services::ReactionFieldMask{model::ReactionField::kReaction};
//   DAIRA_ASSIGN_OR_RETURN(model::ReactionRecord r,
//                          reactions.FindByUserAndTarget(ctx, UserId{7}, {model::ReactionTargetType::kPost,
//                          42}, mask));
//   r.reaction;      // LOVE
//   r.post_id;       // std::nullopt: not in the mask
//
// Exactly one of post_id / video_id / comment_id is set in the row; target() names it when all three
// were selected.
//
// Thread-safety: plain values.
#pragma once

#include <optional>

#include "daira/core/clock.h"
#include "daira/model/ids.h"
#include "daira/model/reaction.h"

namespace daira::inline v0::model {

// The columns of `likes`, for field masks.
enum class ReactionField { kId, kUserId, kPostId, kVideoId, kCommentId, kReaction, kCreatedAt };

struct ReactionRecord {
  ReactionId id;  // always set
  std::optional<UserId> user_id;
  std::optional<PostId> post_id;  // nullopt also when the target is not a post
  std::optional<VideoId> video_id;
  std::optional<CommentId> comment_id;
  std::optional<Reaction> reaction;
  std::optional<Clock::TimePoint> created_at;

  // The target, from whichever of post_id / video_id / comment_id is set; nullopt when none is
  // (they were not selected).
  std::optional<ReactionTarget> target() const {
    if (post_id) return ReactionTarget{ReactionTargetType::kPost, post_id->value};
    if (video_id) return ReactionTarget{ReactionTargetType::kVideo, video_id->value};
    if (comment_id) return ReactionTarget{ReactionTargetType::kComment, comment_id->value};
    return std::nullopt;
  }
};

}  // namespace daira::inline v0::model
