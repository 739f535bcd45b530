#include "daira/services/video_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::VideoField;
using model::VideoRecord;

namespace {

using Column = query::ColumnSpec<VideoRecord, VideoField>;
using internal::Conditions;
using query::ReadColumn;
using VideoTableType = internal::TypedTable<VideoRecord, VideoField, VideoId>;

const VideoTableType& VideoTable() {
  static const auto* kTable = new VideoTableType(
      {.table = "videos", .entity = "video"},
      std::array{
          Column{VideoField::kId, "id", &ReadColumn<&VideoRecord::id>, query::kPrimaryKey},
          Column{VideoField::kAuthorId, "author_id", &ReadColumn<&VideoRecord::author_id>},
          Column{VideoField::kTitle, "title", &ReadColumn<&VideoRecord::title>},
          Column{VideoField::kDescription, "description", &ReadColumn<&VideoRecord::description>},
          Column{VideoField::kHashtags, "hashtags", &ReadColumn<&VideoRecord::hashtags>},
          Column{VideoField::kSourceKey, "source_key", &ReadColumn<&VideoRecord::source_key>},
          Column{VideoField::kThumbnailUrl, "thumbnail_url", &ReadColumn<&VideoRecord::thumbnail_url>},
          Column{VideoField::kHlsUrl, "hls_url", &ReadColumn<&VideoRecord::hls_url>},
          Column{VideoField::kDurationMs, "duration_ms", &ReadColumn<&VideoRecord::duration_ms>},
          Column{VideoField::kResolution, "resolution", &ReadColumn<&VideoRecord::resolution>},
          Column{VideoField::kViewsCount, "views_count", &ReadColumn<&VideoRecord::views_count>},
          Column{VideoField::kLikesCount, "likes_count", &ReadColumn<&VideoRecord::likes_count>},
          Column{VideoField::kCommentsCount, "comments_count", &ReadColumn<&VideoRecord::comments_count>},
          Column{VideoField::kStatus, "status", &ReadColumn<&VideoRecord::status>},
          Column{VideoField::kVisibility, "visibility", &ReadColumn<&VideoRecord::visibility>},
          Column{VideoField::kError, "error", &ReadColumn<&VideoRecord::error>},
          Column{VideoField::kCreatedAt, "created_at", &ReadColumn<&VideoRecord::created_at>},
          Column{VideoField::kUpdatedAt, "updated_at", &ReadColumn<&VideoRecord::updated_at>},
          Column{VideoField::kPublishedAt, "published_at", &ReadColumn<&VideoRecord::published_at>},
          Column{VideoField::kDeletedAt, "deleted_at", &ReadColumn<&VideoRecord::deleted_at>},
          Column{VideoField::kHiddenAt, "hidden_at", &ReadColumn<&VideoRecord::hidden_at>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<VideoField>& VideoColumns() { return VideoTable().fields(); }

VideoFieldMask AllVideoFields() { return VideoColumns().All(); }

absl::StatusOr<VideoRecord> VideoRepository::Get(const RequestContext& ctx, VideoId id,
                                                 VideoFieldMask mask) const {
  return VideoTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<VideoBatch> VideoRepository::GetMany(const RequestContext& ctx, std::span<const VideoId> ids,
                                                    VideoFieldMask mask) const {
  return VideoTable().GetMany<VideoBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<bool> VideoRepository::Exists(const RequestContext& ctx, VideoId id) const {
  return VideoTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> VideoRepository::Count(const RequestContext& ctx, const VideoFilter& filter) const {
  Conditions c;
  c.IfSet("author_id = ?", filter.author_id);
  c.IfSet("status = ?", filter.status);
  return VideoTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<VideoRecord>> VideoRepository::ListByAuthor(const RequestContext& ctx,
                                                                       UserId author_id,
                                                                       const query::PageRequest& page,
                                                                       VideoFieldMask mask) const {
  return VideoTable().List(deps_, ctx, absl::StrCat("author:", author_id.value),
                           Conditions().Add("author_id = ?", author_id), query::SortOrder::kDescending, page,
                           mask);
}

}  // namespace daira::inline v0::services
