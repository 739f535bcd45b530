// Social-graph requests (react, follow, block, mute) and their validation rules.
//
//   daira::services::ReactRequest r{.user_id = 1, .target_type = "POST", .target_id = 42, .reaction = "LOVE"};
//   r.Validate();                                      // OK
//   daira::services::FollowRequest f{.follower_id = 5, .followee_id = 5};
//   f.Validate();  // InvalidArgument "follow: followee_id must differ from follower_id (got 5)"
//
// Enum spellings match the CHECK constraints in src/store/migrations (003_social). Whether the
// target exists or the edge already exists is the service's check. Rule tables: docs/validation.md.
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

inline constexpr size_t kMaxBlockReasonLength = 500;

// likes: exactly one of post_id / video_id / comment_id.
inline constexpr std::array<std::string_view, 3> kReactionTargets = {"POST", "VIDEO", "COMMENT"};
// likes.reaction
inline constexpr std::array<std::string_view, 5> kReactions = {"LIKE", "LOVE", "LAUGH", "SAD", "ANGRY"};
// mutes.mute_type
inline constexpr std::array<std::string_view, 3> kMuteKinds = {"MUTE", "HIDE_STORIES", "HIDE_POSTS"};

struct ReactRequest {
  int64_t user_id = 0;          // > 0
  std::string target_type{};      // POST | VIDEO | COMMENT
  int64_t target_id = 0;        // > 0
  std::string reaction = "LIKE";  // LIKE | LOVE | LAUGH | SAD | ANGRY
  absl::Status Validate() const;  // op "react"
};

struct FollowRequest {
  int64_t follower_id = 0;  // > 0
  int64_t followee_id = 0;  // > 0, != follower_id
  absl::Status Validate() const;  // op "follow"
};

struct BlockRequest {
  int64_t blocker_id = 0;             // > 0
  int64_t blocked_id = 0;             // > 0, != blocker_id
  std::optional<std::string> reason{};  // 0–500 characters
  absl::Status Validate() const;      // op "block"
};

struct MuteRequest {
  int64_t muter_id = 0;      // > 0
  int64_t muted_id = 0;      // > 0, != muter_id
  std::string mute_type = "MUTE";  // MUTE | HIDE_STORIES | HIDE_POSTS
  absl::Status Validate() const;  // op "mute"
};

}  // namespace daira::inline v0::services
