// PostRecord: one row of `posts` as a field-masked read returns it — every column optional, so the
// columns a mask left out are absent rather than defaulted. (model::Post, model/post.h, is the
// complete post the content service and feeds return.)
//
//   // services/post_repository.h fills it:
//   auto mask = services::PostFieldMask{model::PostField::kContent, model::PostField::kLikesCount};
//   DAIRA_ASSIGN_OR_RETURN(model::PostRecord p, posts.Get(ctx, PostId{42}, mask));
//   p.content;       // selected
//   p.hashtags;      // std::nullopt: not in the mask
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

namespace daira::inline v0::model {

// The columns of `posts`, for field masks.
enum class PostField {
  kId,
  kAuthorId,
  kContent,
  kMediaUrls,
  kHashtags,
  kMentions,
  kLikesCount,
  kCommentsCount,
  kStatus,
  kVisibility,
  kCreatedAt,
  kUpdatedAt,
  kDeletedAt,
};

struct PostRecord {
  PostId id;  // always set
  std::optional<UserId> author_id;
  std::optional<std::string> content;
  std::optional<std::vector<std::string>> media_urls;
  std::optional<std::vector<std::string>> hashtags;  // case-folded, in order of first use
  std::optional<std::vector<UserId>> mentions;       // in order of first mention
  std::optional<int64_t> likes_count;
  std::optional<int64_t> comments_count;
  std::optional<ContentStatus> status;
  std::optional<Visibility> visibility;
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> deleted_at;  // nullopt also while not deleted
};

}  // namespace daira::inline v0::model
