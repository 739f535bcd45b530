// A follow edge of the social graph: `follower_id` follows `followee_id`, ACTIVE or PENDING.
//
//   model::Follow f{.id = 7, .follower_id = UserId{1}, .followee_id = UserId{2},
//                   .status = model::FollowStatus::kPending};
//   std::string_view s = model::ToString(f.status);                   // "PENDING"
//   absl::StatusOr<model::FollowStatus> st = model::ParseFollowStatus("ACTIVE");
//
// A PENDING edge is a request to follow a private account (users.is_private = 1); it counts in no
// counter until the followee accepts it. Spellings match the CHECK constraint in 003_social.
//
// Thread-safety: plain values; the functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/status.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

enum class FollowStatus { kActive, kPending };

// "ACTIVE" | "PENDING".
constexpr std::string_view ToString(FollowStatus s) { return s == FollowStatus::kActive ? "ACTIVE" : "PENDING"; }

// The status spelled `s` (exact, upper case); InvalidArgument naming "status" otherwise.
inline absl::StatusOr<FollowStatus> ParseFollowStatus(std::string_view s) {
  if (s == "ACTIVE") return FollowStatus::kActive;
  if (s == "PENDING") return FollowStatus::kPending;
  return InvalidField("follow", "status", "must be ACTIVE or PENDING (got \"" + std::string(s) + "\")");
}
// For readers that report their own error (the repositories' row reader): false when `text` is
// neither spelling, `out` untouched.
inline bool Parse(std::string_view text, FollowStatus* out) {
  if (text != "ACTIVE" && text != "PENDING") return false;
  *out = text == "ACTIVE" ? FollowStatus::kActive : FollowStatus::kPending;
  return true;
}

struct Follow {
  int64_t id = 0;                                    // follows.id (time-ordered)
  UserId follower_id;
  UserId followee_id;
  FollowStatus status = FollowStatus::kActive;
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point updated_at{};
};

}  // namespace daira::inline v0::model
