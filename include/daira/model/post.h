// Post: a user's text/media post, with the hashtags and mentions extracted from its content.
//
//   DAIRA_ASSIGN_OR_RETURN(model::Post p, content.CreatePost(ctx, {.author_id = 7, .content = "hi #cats"}));
//   p.hashtags;                       // {"cats"}
//   p.status == model::ContentStatus::kActive;
//   model::ToString(p.visibility);    // "PUBLIC"
//   if (p.author) std::cout << p.author->username;   // present when a feed hydrated it
//
// Timestamps are system_clock time points (stored as microseconds since the epoch).
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daira/model/ids.h"

namespace daira::inline v0::model {

using Timestamp = std::chrono::system_clock::time_point;

// posts.status / comments.status. DELETED is a soft delete (the row stays).
enum class ContentStatus { kActive, kHidden, kDeleted };
// posts.visibility / videos.visibility.
enum class Visibility { kPublic, kFollowers, kPrivate };

inline constexpr std::string_view kContentStatusNames[] = {"ACTIVE", "HIDDEN", "DELETED"};
inline constexpr std::string_view kVisibilityNames[] = {"PUBLIC", "FOLLOWERS", "PRIVATE"};

// "ACTIVE" | "HIDDEN" | "DELETED".
inline std::string_view ToString(ContentStatus s) { return kContentStatusNames[static_cast<int>(s)]; }
// "PUBLIC" | "FOLLOWERS" | "PRIVATE".
inline std::string_view ToString(Visibility v) { return kVisibilityNames[static_cast<int>(v)]; }

// The enum for a database / API spelling; false when `text` is none of them (`out` untouched).
template <typename E, size_t N>
bool ParseEnum(std::string_view text, const std::string_view (&names)[N], E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}
inline bool Parse(std::string_view text, ContentStatus* out) { return ParseEnum(text, kContentStatusNames, out); }
inline bool Parse(std::string_view text, Visibility* out) { return ParseEnum(text, kVisibilityNames, out); }

// The public face of an author, as feeds hydrate it (one batched statement per page).
struct AuthorSummary {
  UserId id;
  std::string username;
  std::string display_name;  // "" when the profile has none
  std::string avatar_url;    // "" when none
  bool is_verified = false;
};

struct Post {
  PostId id;
  UserId author_id;
  std::string content;
  std::vector<std::string> media_urls;
  std::vector<std::string> hashtags;  // case-folded, in order of first use (see docs/services/content.md)
  std::vector<UserId> mentions;       // existing users mentioned, in order of first mention
  int64_t likes_count = 0;            // reactions of any kind
  int64_t comments_count = 0;         // ACTIVE comments (all depths)
  ContentStatus status = ContentStatus::kActive;
  Visibility visibility = Visibility::kPublic;
  Timestamp created_at;
  Timestamp updated_at;
  std::optional<Timestamp> deleted_at;
  std::optional<AuthorSummary> author;  // filled by feeds; absent otherwise
};

}  // namespace daira::inline v0::model
