// A mute: `muter_id` hides (some of) `muted_id`'s content from themselves, without the other knowing.
//
//   model::Mute m{.muter_id = UserId{1}, .muted_id = UserId{2}, .mute_type = model::MuteKind::kHidePosts};
//   std::string_view k = model::ToString(m.mute_type);                      // "HIDE_POSTS"
//   absl::StatusOr<model::MuteKind> mute_type = model::ParseMuteKind("MUTE");
//
// MUTE hides everything, HIDE_POSTS hides posts from feeds, HIDE_STORIES hides stories only.
// Spellings match the CHECK constraint in 003_social (and services::kMuteKinds).
//
// Thread-safety: plain values; the functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/status.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

enum class MuteKind { kMute, kHideStories, kHidePosts };

// "MUTE" | "HIDE_STORIES" | "HIDE_POSTS".
constexpr std::string_view ToString(MuteKind k) {
  switch (k) {
    case MuteKind::kMute: return "MUTE";
    case MuteKind::kHideStories: return "HIDE_STORIES";
    case MuteKind::kHidePosts: return "HIDE_POSTS";
  }
  return "MUTE";
}

// The mute_type spelled `s` (exact, upper case); InvalidArgument naming "mute_type" otherwise.
inline absl::StatusOr<MuteKind> ParseMuteKind(std::string_view s) {
  if (s == "MUTE") return MuteKind::kMute;
  if (s == "HIDE_STORIES") return MuteKind::kHideStories;
  if (s == "HIDE_POSTS") return MuteKind::kHidePosts;
  return InvalidField("mute", "mute_type", "must be MUTE, HIDE_STORIES or HIDE_POSTS (got \"" + std::string(s) + "\")");
}
// For readers that report their own error (the repositories' row reader): false when `text` is
// none of the spellings, `out` untouched.
inline bool Parse(std::string_view text, MuteKind* out) {
  absl::StatusOr<MuteKind> k = ParseMuteKind(text);
  if (!k.ok()) return false;
  *out = *k;
  return true;
}

struct Mute {
  int64_t id = 0;                                    // mutes.id (time-ordered)
  UserId muter_id;
  UserId muted_id;
  MuteKind mute_type = MuteKind::kMute;
  std::chrono::system_clock::time_point created_at{};
  std::optional<std::chrono::system_clock::time_point> expires_at{};  // nullopt: until unmuted
};

}  // namespace daira::inline v0::model
