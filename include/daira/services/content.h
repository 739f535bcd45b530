// Content: posts, videos, threaded comments and reactions, with their counters kept exact.
//
//   services::Content content(services::ServiceDeps{.db = db.get()});
//   DAIRA_ASSIGN_OR_RETURN(model::Post post, content.CreatePost(ctx, {.author_id = alice,
//                                                                       .content = "Hello #Cairo @bob"}));
//   // post.hashtags == {"cairo"}; post.mentions == {bob's id} when bob exists
//   DAIRA_ASSIGN_OR_RETURN(auto c, content.CreateComment(ctx, {.author_id = bob, .post_id = post.id.value,
//                                                               .content = "welcome!"}));
//   DAIRA_ASSIGN_OR_RETURN(auto r, content.React(ctx, {.user_id = bob, .target_type = "POST",
//                                                       .target_id = post.id.value, .reaction = "LOVE"}));
//   DAIRA_RETURN_IF_ERROR(content.DeletePost(ctx, UserId{alice}, post.id));
//
// Every write validates its request first (InvalidArgument naming the field, nothing written) and runs
// in ONE transaction together with the counters it affects: user_profiles.posts_count /
// videos_count / likes_received_count, hashtags.posts_count, posts/videos/comments likes_count and
// comments_count, comments.replies_count. A caller's open transaction on the same RequestContext is
// joined (see store::Database::RunInTransaction). Hashtag and mention rules: docs/services/content.md.
//
// Thread-safety: a Content object is stateless beyond its ServiceDeps; safe from any number of threads.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/comment.h"
#include "daira/model/post.h"
#include "daira/model/reaction.h"
#include "daira/model/video.h"
#include "daira/query/keyset.h"
#include "daira/services/content_requests.h"
#include "daira/services/listing_requests.h"
#include "daira/services/media_requests.h"
#include "daira/services/service_deps.h"
#include "daira/services/social_requests.h"

namespace daira::inline v0::services {

class Content {
 public:
  explicit Content(ServiceDeps deps) : deps_(deps) {}

  // ---- posts ----
  // Creates an ACTIVE post by request.author_id: extracts hashtags and @mentions from the content,
  // keeps the mentions that name existing users (one statement for all of them), upserts each hashtag
  // (posts_count + 1, last_used_at), links post_hashtags, and bumps the author's posts_count.
  // InvalidArgument (validation); NotFound "create_post: author_id not found (got N)".
  absl::StatusOr<model::Post> CreatePost(const RequestContext& ctx, const CreatePostRequest& request);
  // Changes the given fields of a post. Only its author may (PermissionDenied otherwise). New content
  // re-extracts hashtags/mentions; hashtag links and counts move by the difference. NotFound for a
  // missing or deleted post.
  absl::StatusOr<model::Post> EditPost(const RequestContext& ctx, const EditPostRequest& request);
  // Soft delete (status DELETED, deleted_at): the author's posts_count and each hashtag's posts_count
  // go down once, and the post's hashtag links are removed. Deleting a deleted post is a no-op (OK).
  // NotFound for an unknown post; PermissionDenied when `actor` is not its author.
  absl::Status DeletePost(const RequestContext& ctx, UserId actor, PostId post);
  // The post, whatever its status. NotFound when there is none.
  absl::StatusOr<model::Post> GetPost(const RequestContext& ctx, PostId post);

  // ---- videos ----
  // Inserts a video in status UPLOADING (hashtags from title + description are stored on the row).
  // NotFound when the author does not exist.
  absl::StatusOr<model::Video> CreateVideo(const RequestContext& ctx, const CreateVideoRequest& request);
  // Moves a video along UPLOADING → PROCESSING → PUBLISHED | FAILED (UPLOADING → FAILED too).
  // Sets hls_url when given, error for FAILED, published_at on PUBLISHED, and then bumps the author's
  // videos_count (videos_count counts PUBLISHED videos). FailedPrecondition
  // "video: cannot go from PUBLISHED to PROCESSING" for any other move; NotFound for no such video.
  absl::StatusOr<model::Video> TransitionVideo(const RequestContext& ctx, const UpdateVideoStatusRequest& request);
  absl::StatusOr<model::Video> TransitionVideo(const RequestContext& ctx, VideoId video, model::VideoStatus to);
  absl::StatusOr<model::Video> GetVideo(const RequestContext& ctx, VideoId video);

  // ---- comments ----
  // Adds a comment to an ACTIVE post or a non-deleted video, optionally replying to an ACTIVE comment
  // of the same target (replies to replies allowed). Bumps the target's comments_count and the
  // parent's replies_count in the same transaction. NotFound naming post_id / video_id / parent_id;
  // InvalidArgument naming parent_id when the parent belongs to another target.
  absl::StatusOr<model::Comment> CreateComment(const RequestContext& ctx, const CreateCommentRequest& request);
  // One level of a thread, oldest first: the top-level comments of `target` (parent nullopt) or the
  // direct replies to `parent`. ACTIVE comments only, authors hydrated (one extra statement). Keyset
  // pages; the cursor is scoped to the target and parent.
  absl::StatusOr<query::Page<model::Comment>> ListThread(const RequestContext& ctx, model::CommentTarget target,
                                                         std::optional<CommentId> parent, const PageRequest& page);
  // Soft delete by the comment's author (PermissionDenied otherwise): comments_count of the target
  // and replies_count of the parent go down once; replies stay (listed under the deleted parent).
  // Deleting a deleted comment is a no-op. NotFound for an unknown comment.
  absl::Status DeleteComment(const RequestContext& ctx, UserId actor, CommentId comment);
  absl::StatusOr<model::Comment> GetComment(const RequestContext& ctx, CommentId comment);

  // ---- reactions ----
  // One reaction per user per target. New: inserts it, target likes_count + 1 and the target author's
  // likes_received_count + 1. Existing with another type: updates the row (counters unchanged). Same
  // type: nothing changes. NotFound when the target does not exist (or the post/comment is DELETED).
  absl::StatusOr<model::ReactOutcome> React(const RequestContext& ctx, const ReactRequest& request);
  // Removes the user's reaction, decrementing the same counters. Returns false when there was none.
  absl::StatusOr<bool> Unreact(const RequestContext& ctx, UserId user, model::ReactionTarget target);
  // Counts per reaction type on a target, in one statement (all zero for an unknown target).
  absl::StatusOr<model::ReactionSummary> ReactionsSummary(const RequestContext& ctx, model::ReactionTarget target);

  // ---- media uploads through the blob store (ServiceDeps::blobs; docs/storage.md) ----
  // Stores the original at "videos/<video id>/original.<ext>" (streamed from request.source_path), then
  // inserts the video (UPLOADING, as CreateVideo) and a READY media_assets row for the original in one
  // transaction; if that transaction fails the stored file is deleted again. InvalidArgument
  // (validation); NotFound (source_path, or the author); FailedPrecondition (no blob store configured);
  // the blob store's errors (Unavailable, Unauthenticated, …) annotated "upload_video".
  absl::StatusOr<UploadedVideo> UploadVideo(const RequestContext& ctx, const UploadVideoRequest& request);
  // Stores an image at "images/<owner id>/<asset id>.<ext>" and records it in media_assets (READY).
  // Errors as UploadVideo (op "upload_image"); NotFound when the owner does not exist.
  absl::StatusOr<MediaUpload> UploadImage(const RequestContext& ctx, const UploadImageRequest& request);

 private:
  // CreateVideo's insert, with the id chosen by the caller.
  absl::StatusOr<model::Video> InsertVideo(const RequestContext& ctx, const CreateVideoRequest& request,
                                           int64_t id);

  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
