// VideoRepository: field-masked reads of `videos` — get, batch get, exists, count, and an author's
// videos newest first — over the same table engine as the payments and moderation repositories.
//
//   services::VideoRepository videos(deps);
//   auto mask = services::VideoFieldMask{model::VideoField::kTitle, model::VideoField::kHlsUrl};
//   DAIRA_ASSIGN_OR_RETURN(model::VideoRecord v, videos.Get(ctx, VideoId{42}, mask));
//   DAIRA_ASSIGN_OR_RETURN(auto batch, videos.GetMany(ctx, video_ids, mask));         // ONE statement
//   DAIRA_ASSIGN_OR_RETURN(auto page, videos.ListByAuthor(ctx, UserId{7}, {.limit = 20}));  // newest first
//
// Read-only on purpose: a video's state machine (UPLOADING → PROCESSING → PUBLISHED | FAILED), its
// hashtags and its author's counters change through services::Content (services/content.h). Rows of
// every status are returned. Every method runs inside the request's open transaction when `ctx` has
// one, else on a read connection (which may be a replica).
//
// Thread-safety: VideoRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/content_records.h"
#include "daira/model/ids.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using VideoFieldMask = query::FieldMask<model::VideoField>;

// The column table of `videos` (id is the primary key).
const query::FieldTable<model::VideoField>& VideoColumns();
// Every column of `videos` in the record.
VideoFieldMask AllVideoFields();

struct VideoBatch {
  std::vector<model::VideoRecord> videos;  // found, in the caller's order (duplicates once)
  std::vector<VideoId> missing;            // ids with no row
};

// Count filters (all given ones must match).
struct VideoFilter {
  std::optional<UserId> author_id{};
  std::optional<model::VideoStatus> status{};
};

class VideoRepository {
 public:
  explicit VideoRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The video with `id` (columns of `mask` plus id). NotFound "videos: video 42 not found".
  absl::StatusOr<model::VideoRecord> Get(const RequestContext& ctx, VideoId id,
                                         VideoFieldMask mask = AllVideoFields()) const;
  // The videos with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<VideoBatch> GetMany(const RequestContext& ctx, std::span<const VideoId> ids,
                                     VideoFieldMask mask = AllVideoFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, VideoId id) const;
  // Number of videos matching `filter` (every video when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const VideoFilter& filter = {}) const;
  // A page of `author_id`'s videos (every status), newest first (keyset over id; one statement).
  absl::StatusOr<query::Page<model::VideoRecord>> ListByAuthor(const RequestContext& ctx, UserId author_id,
                                                               const query::PageRequest& page = {},
                                                               VideoFieldMask mask = AllVideoFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
