// content records: the posts, videos and comments repositories — read-only, with field masks (writes go
// through the content calls in content.cc, which keep hashtags and counters in step).
#include "daira/services/comment_repository.h"
#include "daira/services/post_repository.h"
#include "daira/services/video_repository.h"
#include "records.h"

namespace {
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers of the tables
using daira::Platform;
using daira::cabi::MaskedWriter;
using daira::cabi::OptEnum;
using daira::cabi::OptIdOf;
namespace model = daira::model;
namespace query = daira::query;
namespace services = daira::services;

struct PostKind {
  using Model = model::PostRecord;
  using Field = model::PostField;
  using Id = daira::PostId;
  using Batch = services::PostBatch;
  static constexpr auto kItems = &Batch::posts;
  static services::PostRepository& Repo(Platform& p) { return p.posts(); }
  static const query::FieldTable<Field>& Columns() { return services::PostColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kAuthorId, "author_id", m.author_id);
    w.Field(Field::kContent, "content", m.content).Field(Field::kMediaUrls, "media_urls", m.media_urls);
    w.Field(Field::kHashtags, "hashtags", m.hashtags).Field(Field::kMentions, "mentions", m.mentions);
    w.Field(Field::kLikesCount, "likes_count", m.likes_count);
    w.Field(Field::kCommentsCount, "comments_count", m.comments_count);
    w.Field(Field::kStatus, "status", m.status).Field(Field::kVisibility, "visibility", m.visibility);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
    w.Field(Field::kDeletedAt, "deleted_at", m.deleted_at);
  }
};

struct VideoKind {
  using Model = model::VideoRecord;
  using Field = model::VideoField;
  using Id = daira::VideoId;
  using Batch = services::VideoBatch;
  static constexpr auto kItems = &Batch::videos;
  static services::VideoRepository& Repo(Platform& p) { return p.videos(); }
  static const query::FieldTable<Field>& Columns() { return services::VideoColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kAuthorId, "author_id", m.author_id);
    w.Field(Field::kTitle, "title", m.title).Field(Field::kDescription, "description", m.description);
    w.Field(Field::kHashtags, "hashtags", m.hashtags).Field(Field::kSourceKey, "source_key", m.source_key);
    w.Field(Field::kThumbnailUrl, "thumbnail_url", m.thumbnail_url).Field(Field::kHlsUrl, "hls_url", m.hls_url);
    w.Field(Field::kDurationMs, "duration_ms", m.duration_ms).Field(Field::kResolution, "resolution", m.resolution);
    w.Field(Field::kViewsCount, "views_count", m.views_count).Field(Field::kLikesCount, "likes_count", m.likes_count);
    w.Field(Field::kCommentsCount, "comments_count", m.comments_count);
    w.Field(Field::kStatus, "status", m.status).Field(Field::kVisibility, "visibility", m.visibility);
    w.Field(Field::kError, "error", m.error);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
    w.Field(Field::kPublishedAt, "published_at", m.published_at).Field(Field::kDeletedAt, "deleted_at", m.deleted_at);
    w.Field(Field::kHiddenAt, "hidden_at", m.hidden_at);
  }
};

struct CommentKind {
  using Model = model::CommentRecord;
  using Field = model::CommentField;
  using Id = daira::CommentId;
  using Batch = services::CommentBatch;
  static constexpr auto kItems = &Batch::comments;
  static services::CommentRepository& Repo(Platform& p) { return p.comments(); }
  static const query::FieldTable<Field>& Columns() { return services::CommentColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kPostId, "post_id", m.post_id);
    w.Field(Field::kVideoId, "video_id", m.video_id).Field(Field::kParentId, "parent_id", m.parent_id);
    w.Field(Field::kAuthorId, "author_id", m.author_id).Field(Field::kContent, "content", m.content);
    w.Field(Field::kMentions, "mentions", m.mentions).Field(Field::kLikesCount, "likes_count", m.likes_count);
    w.Field(Field::kRepliesCount, "replies_count", m.replies_count).Field(Field::kStatus, "status", m.status);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
    w.Field(Field::kDeletedAt, "deleted_at", m.deleted_at);
  }
};

}  // namespace

DAIRA_CABI_RECORD_READS(daira_posts, PostKind, "posts")
DAIRA_CABI_RECORD_READS(daira_videos, VideoKind, "videos")
DAIRA_CABI_RECORD_READS(daira_comments, CommentKind, "comments")

DAIRA_CABI_CALL(daira_posts_count, "posts.count") {
  services::PostFilter filter;
  filter.author_id = OptIdOf<daira::UserId>(r, "author_id");
  filter.status = OptEnum<model::ContentStatus>(r, "status", model::kContentStatusNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.posts().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_CALL(daira_videos_count, "videos.count") {
  services::VideoFilter filter;
  filter.author_id = OptIdOf<daira::UserId>(r, "author_id");
  filter.status = OptEnum<model::VideoStatus>(r, "status", model::kVideoStatusNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.videos().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_CALL(daira_comments_count, "comments.count") {
  services::CommentFilter filter;
  filter.post_id = OptIdOf<daira::PostId>(r, "post_id");
  filter.video_id = OptIdOf<daira::VideoId>(r, "video_id");
  filter.author_id = OptIdOf<daira::UserId>(r, "author_id");
  filter.status = OptEnum<model::ContentStatus>(r, "status", model::kContentStatusNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.comments().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_METHOD(daira_posts_list_by_author, "posts.list_by_author", PostKind,
                         &services::PostRepository::ListByAuthor, IdAs<daira::UserId>{"author_id"}, Page{})

DAIRA_CABI_RECORD_METHOD(daira_videos_list_by_author, "videos.list_by_author", VideoKind,
                         &services::VideoRepository::ListByAuthor, IdAs<daira::UserId>{"author_id"}, Page{})

DAIRA_CABI_RECORD_METHOD(daira_comments_list_by_post, "comments.list_by_post", CommentKind,
                         &services::CommentRepository::ListByPost, IdAs<daira::PostId>{"post_id"}, Page{})

DAIRA_CABI_RECORD_METHOD(daira_comments_list_by_video, "comments.list_by_video", CommentKind,
                         &services::CommentRepository::ListByVideo, IdAs<daira::VideoId>{"video_id"}, Page{})

DAIRA_CABI_RECORD_METHOD(daira_comments_list_replies, "comments.list_replies", CommentKind,
                         &services::CommentRepository::ListReplies, IdAs<daira::CommentId>{"parent_id"},
                         Page{})
