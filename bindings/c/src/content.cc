// content: posts, comments, reactions, videos.
#include "absl/strings/str_cat.h"
#include "internal.h"

using daira::JsonWriter;
using daira::cabi::RecordJson;

namespace {
using daira::UserId;
namespace model = daira::model;
namespace services = daira::services;

// "target_type" + "target_id" of a reaction.
absl::StatusOr<model::ReactionTarget> ReactionTargetOf(daira::cabi::Request& r) {
  const std::string type = r.String("target_type");
  model::ReactionTarget target;
  target.id = r.Id("target_id");
  DAIRA_CABI_CHECK(r);
  if (!model::Parse(type, &target.type)) {
    return daira::InvalidField(r.op(), "target_type", absl::StrCat("must be POST, VIDEO or COMMENT (got \"", type, "\")"));
  }
  return target;
}

// The single-id calls: each is a JSON call and a typed one (DAIRA_CABI_ID_CALLS).
absl::StatusOr<std::string> GetPost(daira::Platform& p, int64_t id, const daira::RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(model::Post post, p.content().GetPost(ctx, daira::PostId(id)));
  return RecordJson(daira::cabi::WritePost, post);
}

absl::StatusOr<std::string> GetComment(daira::Platform& p, int64_t id, const daira::RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(model::Comment comment, p.content().GetComment(ctx, daira::CommentId(id)));
  return RecordJson(daira::cabi::WriteComment, comment);
}

absl::StatusOr<std::string> GetVideo(daira::Platform& p, int64_t id, const daira::RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(model::Video video, p.content().GetVideo(ctx, daira::VideoId(id)));
  return RecordJson(daira::cabi::WriteVideo, video);
}

}  // namespace

DAIRA_CABI_CALL(daira_content_create_post, "content.create_post") {
  services::CreatePostRequest req;
  req.author_id = r.Id("author_id");
  req.content = r.String("content");
  req.media_urls = r.StringList("media_urls");
  req.visibility = r.String("visibility", "PUBLIC");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Post post, p.content().CreatePost(ctx, req));
  return RecordJson(daira::cabi::WritePost, post);
}

DAIRA_CABI_ID_CALLS(daira_content_get_post, "content.get_post", "post_id", GetPost)

DAIRA_CABI_CALL(daira_content_edit_post, "content.edit_post") {
  services::EditPostRequest req;
  req.post_id = r.Id("post_id");
  req.editor_id = r.Id("editor_id");
  req.content = r.OptString("content");
  req.media_urls = r.OptStringList("media_urls");
  req.visibility = r.OptString("visibility");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Post post, p.content().EditPost(ctx, req));
  return RecordJson(daira::cabi::WritePost, post);
}

DAIRA_CABI_CALL(daira_content_delete_post, "content.delete_post") {
  const UserId actor(r.Id("actor_id"));
  const daira::PostId post(r.Id("post_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.content().DeletePost(ctx, actor, post));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_content_create_comment, "content.create_comment") {
  services::CreateCommentRequest req;
  req.author_id = r.Id("author_id");
  req.post_id = r.OptId("post_id");
  req.video_id = r.OptId("video_id");
  req.parent_id = r.OptId("parent_id");
  req.content = r.String("content");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Comment comment, p.content().CreateComment(ctx, req));
  return RecordJson(daira::cabi::WriteComment, comment);
}

DAIRA_CABI_ID_CALLS(daira_content_get_comment, "content.get_comment", "comment_id", GetComment)

DAIRA_CABI_CALL(daira_content_delete_comment, "content.delete_comment") {
  const UserId actor(r.Id("actor_id"));
  const daira::CommentId comment(r.Id("comment_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.content().DeleteComment(ctx, actor, comment));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_content_list_comments, "content.list_comments") {
  std::optional<int64_t> post = r.OptId("post_id");
  std::optional<int64_t> video = r.OptId("video_id");
  std::optional<int64_t> parent = r.OptId("parent_id");
  services::PageRequest page;
  page.limit = r.Int("limit", services::kDefaultPageLimit);
  page.cursor = r.String("cursor");
  DAIRA_CABI_CHECK(r);
  if (post.has_value() == video.has_value()) {
    return daira::InvalidField(r.op(), "post_id", "exactly one of post_id and video_id must be given");
  }
  model::CommentTarget target;
  target.type = post ? model::CommentTargetType::kPost : model::CommentTargetType::kVideo;
  target.id = post ? *post : *video;
  std::optional<daira::CommentId> parent_id;
  if (parent) parent_id = daira::CommentId(*parent);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.content().ListThread(ctx, target, parent_id, page));
  return daira::cabi::PageJson(result, daira::cabi::WriteComment);
}

DAIRA_CABI_CALL(daira_content_react, "content.react") {
  services::ReactRequest req;
  req.user_id = r.Id("user_id");
  req.target_type = r.String("target_type");
  req.target_id = r.Id("target_id");
  req.reaction = r.String("reaction", "LIKE");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::ReactOutcome outcome, p.content().React(ctx, req));
  JsonWriter w;
  w.BeginObject().Key("created").Bool(outcome.created).Key("changed").Bool(outcome.changed);
  w.Key("reaction").String(model::ToString(outcome.reaction)).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_content_unreact, "content.unreact") {
  const UserId user(r.Id("user_id"));
  DAIRA_ASSIGN_OR_RETURN(model::ReactionTarget target, ReactionTargetOf(r));
  DAIRA_ASSIGN_OR_RETURN(bool removed, p.content().Unreact(ctx, user, target));
  JsonWriter w;
  w.BeginObject().Key("removed").Bool(removed).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_content_reactions_summary, "content.reactions_summary") {
  DAIRA_ASSIGN_OR_RETURN(model::ReactionTarget target, ReactionTargetOf(r));
  DAIRA_ASSIGN_OR_RETURN(model::ReactionSummary s, p.content().ReactionsSummary(ctx, target));
  JsonWriter w;
  w.BeginObject().Key("target_type").String(model::ToString(s.target.type)).Key("target_id");
  daira::cabi::WriteId(w, s.target.id);
  w.Key("total").Int(s.total).Key("counts").BeginObject();
  for (size_t i = 0; i < model::kReactionCount; ++i) w.Key(model::kReactionNames[i]).Int(s.counts[i]);
  w.EndObject().EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_content_create_video, "content.create_video") {
  services::CreateVideoRequest req;
  req.author_id = r.Id("author_id");
  req.title = r.String("title");
  req.description = r.String("description");
  req.duration_ms = r.Int("duration_ms", 0);
  req.resolution = r.String("resolution", "1080p");
  req.visibility = r.String("visibility", "PUBLIC");
  req.thumbnail_url = r.OptString("thumbnail_url");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Video video, p.content().CreateVideo(ctx, req));
  return RecordJson(daira::cabi::WriteVideo, video);
}

DAIRA_CABI_ID_CALLS(daira_content_get_video, "content.get_video", "video_id", GetVideo)

DAIRA_CABI_CALL(daira_content_transition_video, "content.transition_video") {
  services::UpdateVideoStatusRequest req;
  req.video_id = r.Id("video_id");
  req.status = r.String("status");
  req.hls_url = r.OptString("hls_url");
  req.error = r.OptString("error");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Video video, p.content().TransitionVideo(ctx, req));
  return RecordJson(daira::cabi::WriteVideo, video);
}
