// PostRepository: field-masked reads of `posts` — get, batch get, exists, count, and an author's posts
// newest first — over the same table engine as the payments and moderation repositories.
//
//   services::PostRepository posts(deps);
//   auto mask = services::PostFieldMask{model::PostField::kContent, model::PostField::kLikesCount};
//   DAIRA_ASSIGN_OR_RETURN(model::PostRecord p, posts.Get(ctx, PostId{42}, mask));  // SELECT id, content..
//   DAIRA_ASSIGN_OR_RETURN(auto batch, posts.GetMany(ctx, post_ids, mask));        // ONE statement
//   DAIRA_ASSIGN_OR_RETURN(auto page, posts.ListByAuthor(ctx, UserId{7}, {.limit = 20}));  // newest first
//
// Read-only on purpose: a post's hashtags, mentions and its author's counters change in the same
// transaction as the post, so posts are written through services::Content (services/content.h). Rows of
// every status are returned (a DELETED post too); callers decide what a status means.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read connection
// (which may be a replica).
//
// Thread-safety: PostRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/post.h"
#include "daira/model/post_record.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using PostFieldMask = query::FieldMask<model::PostField>;

// The column table of `posts` (id is the primary key). PostColumns().Parse("content,likes_count")
// reads a request's ?fields= list.
const query::FieldTable<model::PostField>& PostColumns();
// Every column of `posts`.
PostFieldMask AllPostFields();

struct PostBatch {
  std::vector<model::PostRecord> posts;  // found, in the caller's order (duplicates once)
  std::vector<PostId> missing;           // ids with no row
};

// Count filters (all given ones must match).
struct PostFilter {
  std::optional<UserId> author_id{};
  std::optional<model::ContentStatus> status{};
};

class PostRepository {
 public:
  explicit PostRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The post with `id` (columns of `mask` plus id). NotFound "posts: post 42 not found".
  absl::StatusOr<model::PostRecord> Get(const RequestContext& ctx, PostId id,
                                        PostFieldMask mask = AllPostFields()) const;
  // The posts with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order given;
  // ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<PostBatch> GetMany(const RequestContext& ctx, std::span<const PostId> ids,
                                    PostFieldMask mask = AllPostFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, PostId id) const;
  // Number of posts matching `filter` (every post when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const PostFilter& filter = {}) const;
  // A page of `author_id`'s posts (every status), newest first (keyset over id; one statement; index
  // posts_author_idx). InvalidArgument naming "limit" / "cursor" for a bad request.
  absl::StatusOr<query::Page<model::PostRecord>> ListByAuthor(const RequestContext& ctx, UserId author_id,
                                                              const query::PageRequest& page = {},
                                                              PostFieldMask mask = AllPostFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
