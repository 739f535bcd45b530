// CommentRepository: field-masked reads of `comments` — get, batch get, exists, count, and the
// comments of a post, of a video, or the replies to a comment, oldest first — over the same table
// engine as the payments and moderation repositories.
//
//   services::CommentRepository comments(deps);
//   auto mask = services::CommentFieldMask{model::CommentField::kAuthorId, model::CommentField::kContent};
//   DAIRA_ASSIGN_OR_RETURN(auto page, comments.ListByPost(ctx, PostId{42}, {.limit = 50}, mask));
//   DAIRA_ASSIGN_OR_RETURN(auto batch, comments.GetMany(ctx, comment_ids, mask));    // ONE statement
//
// Read-only on purpose: threads, mentions and the reply/comment counters change through
// services::Content (services/content.h). Rows of every status are returned (a DELETED comment too).
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica).
//
// Thread-safety: CommentRepository is stateless apart from its dependencies and safe from any thread.
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

using CommentFieldMask = query::FieldMask<model::CommentField>;

// The column table of `comments` (id is the primary key).
const query::FieldTable<model::CommentField>& CommentColumns();
// Every column of `comments`.
CommentFieldMask AllCommentFields();

struct CommentBatch {
  std::vector<model::CommentRecord> comments;  // found, in the caller's order (duplicates once)
  std::vector<CommentId> missing;              // ids with no row
};

// Count filters (all given ones must match).
struct CommentFilter {
  std::optional<PostId> post_id{};
  std::optional<VideoId> video_id{};
  std::optional<UserId> author_id{};
  std::optional<model::ContentStatus> status{};
};

class CommentRepository {
 public:
  explicit CommentRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The comment with `id` (columns of `mask` plus id). NotFound "comments: comment 42 not found".
  absl::StatusOr<model::CommentRecord> Get(const RequestContext& ctx, CommentId id,
                                           CommentFieldMask mask = AllCommentFields()) const;
  // The comments with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<CommentBatch> GetMany(const RequestContext& ctx, std::span<const CommentId> ids,
                                       CommentFieldMask mask = AllCommentFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, CommentId id) const;
  // Number of comments matching `filter` (every comment when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const CommentFilter& filter = {}) const;
  // Pages of every comment (all depths) of a post / of a video, and of the direct replies to a
  // comment, oldest first (keyset over id; one statement each; partial indexes on (target, id)).
  absl::StatusOr<query::Page<model::CommentRecord>> ListByPost(
      const RequestContext& ctx, PostId post_id, const query::PageRequest& page = {},
      CommentFieldMask mask = AllCommentFields()) const;
  absl::StatusOr<query::Page<model::CommentRecord>> ListByVideo(
      const RequestContext& ctx, VideoId video_id, const query::PageRequest& page = {},
      CommentFieldMask mask = AllCommentFields()) const;
  absl::StatusOr<query::Page<model::CommentRecord>> ListReplies(
      const RequestContext& ctx, CommentId parent_id, const query::PageRequest& page = {},
      CommentFieldMask mask = AllCommentFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
