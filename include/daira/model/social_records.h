// FollowRecord, BlockRecord and MuteRecord: rows of `follows`, `blocks` and `mutes` as field-masked
// reads return them — every column optional, so the columns a mask left out are absent rather than
// defaulted. (model::Follow, model::Block and model::Mute are the complete values services::Social
// returns.)
//
//   // services/{follow,block,mute}_repository.h fill them:
//   auto mask = services::FollowFieldMask{model::FollowField::kStatus};
//   DAIRA_ASSIGN_OR_RETURN(model::FollowRecord f, follows.FindByPair(ctx, alice, bob, mask));
//   f.status;        // selected
//   f.created_at;    // std::nullopt: not in the mask
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>

#include "daira/core/clock.h"
#include "daira/model/follow.h"
#include "daira/model/ids.h"
#include "daira/model/mute.h"

namespace daira::inline v0::model {

// The columns of `follows`, for field masks.
enum class FollowField { kId, kFollowerId, kFolloweeId, kStatus, kCreatedAt, kUpdatedAt };

struct FollowRecord {
  FollowId id;  // always set
  std::optional<UserId> follower_id;
  std::optional<UserId> followee_id;
  std::optional<FollowStatus> status;  // PENDING: a request to follow a private account
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
};

// The columns of `blocks`, for field masks.
enum class BlockField { kId, kBlockerId, kBlockedId, kReason, kCreatedAt };

struct BlockRecord {
  BlockId id;  // always set
  std::optional<UserId> blocker_id;
  std::optional<UserId> blocked_id;
  std::optional<std::string> reason;  // nullopt also when none was given
  std::optional<Clock::TimePoint> created_at;
};

// The columns of `mutes`, for field masks.
enum class MuteField { kId, kMuterId, kMutedId, kMuteType, kCreatedAt, kExpiresAt };

struct MuteRecord {
  MuteId id;  // always set
  std::optional<UserId> muter_id;
  std::optional<UserId> muted_id;
  std::optional<MuteKind> mute_type;
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> expires_at;  // nullopt also for a mute until unmuted
};

}  // namespace daira::inline v0::model
