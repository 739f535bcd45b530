// VideoRecord and CommentRecord: rows of `videos` and `comments` as field-masked reads return them —
// every column optional, so the columns a mask left out are absent rather than defaulted.
// (model::Video and model::Comment are the complete values the content service returns.)
//
//   // services/video_repository.h and services/comment_repository.h fill them:
//   auto mask = services::VideoFieldMask{model::VideoField::kTitle, model::VideoField::kViewsCount};
//   DAIRA_ASSIGN_OR_RETURN(model::VideoRecord v, videos.Get(ctx, VideoId{42}, mask));
//   v.title;         // selected
//   v.hls_url;       // std::nullopt: not in the mask
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daira/core/clock.h"
#include "daira/model/ids.h"
#include "daira/model/post.h"
#include "daira/model/video.h"

namespace daira::inline v0::model {

// The columns of `videos`, for field masks (the embedding vector is not part of the record).
enum class VideoField {
  kId,
  kAuthorId,
  kTitle,
  kDescription,
  kHashtags,
  kSourceKey,
  kThumbnailUrl,
  kHlsUrl,
  kDurationMs,
  kResolution,
  kViewsCount,
  kLikesCount,
  kCommentsCount,
  kStatus,
  kVisibility,
  kError,
  kCreatedAt,
  kUpdatedAt,
  kPublishedAt,
  kDeletedAt,
  kHiddenAt,  // since migration 020
};

struct VideoRecord {
  VideoId id;  // always set
  std::optional<UserId> author_id;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> hashtags;
  std::optional<std::string> source_key;     // nullopt also when NULL
  std::optional<std::string> thumbnail_url;  // nullopt also when NULL
  std::optional<std::string> hls_url;        // nullopt also when NULL
  std::optional<int64_t> duration_ms;
  std::optional<std::string> resolution;  // nullopt also when NULL
  std::optional<int64_t> views_count;
  std::optional<int64_t> likes_count;
  std::optional<int64_t> comments_count;
  std::optional<VideoStatus> status;
  std::optional<Visibility> visibility;
  std::optional<std::string> error;  // nullopt also when NULL
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> published_at;  // nullopt also while not published
  std::optional<Clock::TimePoint> deleted_at;    // nullopt also while not deleted
  std::optional<Clock::TimePoint> hidden_at;     // set while moderation hides the video
};

// The columns of `comments`, for field masks.
enum class CommentField {
  kId,
  kPostId,
  kVideoId,
  kParentId,
  kAuthorId,
  kContent,
  kMentions,
  kLikesCount,
  kRepliesCount,
  kStatus,
  kCreatedAt,
  kUpdatedAt,
  kDeletedAt,
};

struct CommentRecord {
  CommentId id;                   // always set
  std::optional<PostId> post_id;  // exactly one of post_id / video_id is set when both are selected
  std::optional<VideoId> video_id;
  std::optional<CommentId> parent_id;  // nullopt also for a top-level comment
  std::optional<UserId> author_id;
  std::optional<std::string> content;
  std::optional<std::vector<UserId>> mentions;
  std::optional<int64_t> likes_count;
  std::optional<int64_t> replies_count;
  std::optional<ContentStatus> status;
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> deleted_at;  // nullopt also while not deleted
};

}  // namespace daira::inline v0::model
