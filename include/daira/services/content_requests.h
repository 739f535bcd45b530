// Content requests (posts, videos, comments) and their validation rules.
//
//   daira::services::CreatePostRequest post{.author_id = 7, .content = "hello 🌍"};
//   post.Validate();                                  // OK
//   post.content.clear();
//   post.media_urls = {"ftp://x"};
//   post.Validate();  // InvalidArgument "create_post: media_urls[0] must be an http or https URL with a host
//                     // (got \"ftp://x\")" — content may be empty because media is present
//
//   daira::services::CreateCommentRequest c{.author_id = 7, .content = "nice"};
//   c.Validate();     // "create_comment: post_id or video_id is required"
//
// Lengths are in characters (code points). Enum spellings match the CHECK constraints in
// src/store/migrations. The full rule tables are in docs/validation.md.
//
// Thread-safety: requests are plain values; Validate() is const and touches nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace daira::inline v0::services {

inline constexpr size_t kMaxPostLength = 5000;
inline constexpr size_t kMaxMediaUrls = 10;
inline constexpr size_t kMaxVideoTitleLength = 150;
inline constexpr size_t kMaxVideoDescriptionLength = 5000;
inline constexpr int64_t kMaxVideoDurationMs = 4LL * 60 * 60 * 1000;  // 4 hours
inline constexpr size_t kMaxVideoErrorLength = 2000;
inline constexpr size_t kMaxCommentLength = 2000;

// posts.visibility / videos.visibility
inline constexpr std::array<std::string_view, 3> kVisibilities = {"PUBLIC", "FOLLOWERS", "PRIVATE"};
// videos.status
inline constexpr std::array<std::string_view, 4> kVideoStatuses = {"UPLOADING", "PROCESSING", "PUBLISHED",
                                                                   "FAILED"};
// Source or target resolution of a video (videos.resolution is free text; this is the accepted set).
inline constexpr std::array<std::string_view, 7> kVideoResolutions = {"240p",  "360p",  "480p", "720p",
                                                                      "1080p", "1440p", "2160p"};

struct CreatePostRequest {
  int64_t author_id = 0;                // > 0
  std::string content{};                  // 1–5000 characters and not blank; 0–5000 when media_urls is not empty
  std::vector<std::string> media_urls{};  // 0–10 http(s) URLs
  std::string visibility = "PUBLIC";    // PUBLIC | FOLLOWERS | PRIVATE
  absl::Status Validate() const;        // op "create_post"
};

// Changes the given fields of a post; unset fields are neither validated nor changed. When both
// content and media_urls are given, they must not leave the post empty.
struct EditPostRequest {
  int64_t post_id = 0;                                // > 0
  int64_t editor_id = 0;                              // > 0
  std::optional<std::string> content{};                 // 0–5000 characters
  std::optional<std::vector<std::string>> media_urls{};  // 0–10 http(s) URLs
  std::optional<std::string> visibility{};              // PUBLIC | FOLLOWERS | PRIVATE
  absl::Status Validate() const;                      // op "edit_post"
};

struct CreateVideoRequest {
  int64_t author_id = 0;                    // > 0
  std::string title{};                        // 1–150 characters, single line, not blank
  std::string description{};                  // 0–5000 characters
  int64_t duration_ms = 0;                  // 1 .. 4 h (14,400,000)
  std::string resolution = "1080p";         // 240p | 360p | 480p | 720p | 1080p | 1440p | 2160p
  std::string visibility = "PUBLIC";        // PUBLIC | FOLLOWERS | PRIVATE
  std::optional<std::string> thumbnail_url{};  // http(s) URL
  absl::Status Validate() const;            // op "create_video"
};

// Moves a video through UPLOADING → PROCESSING → PUBLISHED (or FAILED). Whether the transition is
// allowed from the current state is the service's check.
struct UpdateVideoStatusRequest {
  int64_t video_id = 0;                 // > 0
  std::string status{};                   // UPLOADING | PROCESSING | PUBLISHED | FAILED
  std::optional<std::string> hls_url{};   // http(s) URL
  std::optional<std::string> error{};     // 0–2000 characters; only with status FAILED
  absl::Status Validate() const;        // op "update_video_status"
};

// A comment on exactly one post or one video, optionally replying to another comment.
struct CreateCommentRequest {
  int64_t author_id = 0;             // > 0
  std::optional<int64_t> post_id{};    // exactly one of post_id, video_id; > 0
  std::optional<int64_t> video_id{};
  std::optional<int64_t> parent_id{};  // > 0 when given
  std::string content{};               // 1–2000 characters, not blank
  absl::Status Validate() const;     // op "create_comment"
};

}  // namespace daira::inline v0::services
