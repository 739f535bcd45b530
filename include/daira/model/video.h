// Video: an uploaded video and its processing state machine.
//
//   DAIRA_ASSIGN_OR_RETURN(model::Video v, content.CreateVideo(ctx, {.author_id = 7, .title = "Nile",
//                                                                      .duration_ms = 60000}));
//   v.status == model::VideoStatus::kUploading;
//   model::CanTransition(model::VideoStatus::kUploading, model::VideoStatus::kProcessing);   // true
//   model::CanTransition(model::VideoStatus::kPublished, model::VideoStatus::kProcessing);   // false
//
// The state machine: UPLOADING → PROCESSING → PUBLISHED | FAILED, and UPLOADING → FAILED (an upload
// that never completes). PUBLISHED and FAILED are final.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daira/model/ids.h"
#include "daira/model/post.h"

namespace daira::inline v0::model {

enum class VideoStatus { kUploading, kProcessing, kPublished, kFailed };

inline constexpr std::string_view kVideoStatusNames[] = {"UPLOADING", "PROCESSING", "PUBLISHED", "FAILED"};

// "UPLOADING" | "PROCESSING" | "PUBLISHED" | "FAILED".
inline std::string_view ToString(VideoStatus s) { return kVideoStatusNames[static_cast<int>(s)]; }
// False when `text` is not one of the spellings (`out` untouched).
inline bool Parse(std::string_view text, VideoStatus* out) { return ParseEnum(text, kVideoStatusNames, out); }
// True when the state machine allows `from` → `to` (never for from == to).
inline bool CanTransition(VideoStatus from, VideoStatus to) {
  switch (from) {
    case VideoStatus::kUploading:
      return to == VideoStatus::kProcessing || to == VideoStatus::kFailed;
    case VideoStatus::kProcessing:
      return to == VideoStatus::kPublished || to == VideoStatus::kFailed;
    case VideoStatus::kPublished:
    case VideoStatus::kFailed:
      return false;
  }
  return false;
}

struct Video {
  VideoId id;
  UserId author_id;
  std::string title;
  std::string description;
  std::vector<std::string> hashtags;      // from title + description, same rules as posts
  std::optional<std::string> thumbnail_url;
  std::optional<std::string> hls_url;
  int64_t duration_ms = 0;
  std::string resolution;
  int64_t views_count = 0;
  int64_t likes_count = 0;
  int64_t comments_count = 0;
  VideoStatus status = VideoStatus::kUploading;
  Visibility visibility = Visibility::kPublic;
  std::optional<std::string> error;       // why processing FAILED
  Timestamp created_at;
  Timestamp updated_at;
  std::optional<Timestamp> published_at;  // set on the transition to PUBLISHED
  // Set while moderation hides the video (auto-hide threshold or an upheld report; docs/moderation.md):
  // search and trending leave it out. Independent of status, which a restore gives back unchanged.
  std::optional<Timestamp> hidden_at;
};

}  // namespace daira::inline v0::model
