// content: posts, comments, reactions, videos — the calls of one shape described by their service method
// and fields (service_call.h); list_comments, unreact and reactions_summary keep their bodies.
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "service_call.h"

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

// {"created", "changed", "reaction"} of a react call.
std::string ReactJson(const model::ReactOutcome& outcome) {
  JsonWriter w;
  w.BeginObject().Key("created").Bool(outcome.created).Key("changed").Bool(outcome.changed);
  w.Key("reaction").String(model::ToString(outcome.reaction)).EndObject();
  return w.Take();
}

using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables
using services::Content;
constexpr auto kContent = &daira::Platform::content;
const Record<model::Post> kPostJson{daira::cabi::WritePost};
const Record<model::Comment> kCommentJson{daira::cabi::WriteComment};
const Record<model::Video> kVideoJson{daira::cabi::WriteVideo};

}  // namespace

using services::CreatePostRequest;
DAIRA_CABI_SERVICE_CALL(daira_content_create_post, "content.create_post", kContent, &Content::CreatePost,
                        kPostJson,
                        Struct<CreatePostRequest>(Set{&CreatePostRequest::author_id, Id{"author_id"}},
                                                  Set{&CreatePostRequest::content, Str{"content"}},
                                                  Set{&CreatePostRequest::media_urls, StrList{"media_urls"}},
                                                  Set{&CreatePostRequest::visibility,
                                                      Str{"visibility", "PUBLIC"}}))

DAIRA_CABI_ID_CALLS(daira_content_get_post, "content.get_post", "post_id", GetPost)

using services::EditPostRequest;
DAIRA_CABI_SERVICE_CALL(daira_content_edit_post, "content.edit_post", kContent, &Content::EditPost, kPostJson,
                        Struct<EditPostRequest>(Set{&EditPostRequest::post_id, Id{"post_id"}},
                                                Set{&EditPostRequest::editor_id, Id{"editor_id"}},
                                                Set{&EditPostRequest::content, OptStr{"content"}},
                                                Set{&EditPostRequest::media_urls, OptStrList{"media_urls"}},
                                                Set{&EditPostRequest::visibility, OptStr{"visibility"}}))

DAIRA_CABI_SERVICE_CALL(daira_content_delete_post, "content.delete_post", kContent, &Content::DeletePost,
                        Empty{}, IdAs<UserId>{"actor_id"}, IdAs<daira::PostId>{"post_id"})

using services::CreateCommentRequest;
DAIRA_CABI_SERVICE_CALL(daira_content_create_comment, "content.create_comment", kContent,
                        &Content::CreateComment, kCommentJson,
                        Struct<CreateCommentRequest>(Set{&CreateCommentRequest::author_id, Id{"author_id"}},
                                                     Set{&CreateCommentRequest::post_id, OptId{"post_id"}},
                                                     Set{&CreateCommentRequest::video_id, OptId{"video_id"}},
                                                     Set{&CreateCommentRequest::parent_id,
                                                         OptId{"parent_id"}},
                                                     Set{&CreateCommentRequest::content, Str{"content"}}))

DAIRA_CABI_ID_CALLS(daira_content_get_comment, "content.get_comment", "comment_id", GetComment)

DAIRA_CABI_SERVICE_CALL(daira_content_delete_comment, "content.delete_comment", kContent,
                        &Content::DeleteComment, Empty{}, IdAs<UserId>{"actor_id"},
                        IdAs<daira::CommentId>{"comment_id"})

DAIRA_CABI_CALL(daira_content_list_comments, "content.list_comments") {
  std::optional<int64_t> post = r.OptId("post_id");
  std::optional<int64_t> video = r.OptId("video_id");
  std::optional<int64_t> parent = r.OptId("parent_id");
  services::PageRequest page = PageOfAnyLimit{}(r);
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

using services::ReactRequest;
DAIRA_CABI_SERVICE_CALL(daira_content_react, "content.react", kContent, &Content::React, ReactJson,
                        Struct<ReactRequest>(Set{&ReactRequest::user_id, Id{"user_id"}},
                                             Set{&ReactRequest::target_type, Str{"target_type"}},
                                             Set{&ReactRequest::target_id, Id{"target_id"}},
                                             Set{&ReactRequest::reaction, Str{"reaction", "LIKE"}}))

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

using services::CreateVideoRequest;
DAIRA_CABI_SERVICE_CALL(
    daira_content_create_video, "content.create_video", kContent, &Content::CreateVideo, kVideoJson,
    Struct<CreateVideoRequest>(Set{&CreateVideoRequest::author_id, Id{"author_id"}},
                               Set{&CreateVideoRequest::title, Str{"title"}},
                               Set{&CreateVideoRequest::description, Str{"description"}},
                               Set{&CreateVideoRequest::duration_ms, Int{"duration_ms"}},
                               Set{&CreateVideoRequest::resolution, Str{"resolution", "1080p"}},
                               Set{&CreateVideoRequest::visibility, Str{"visibility", "PUBLIC"}},
                               Set{&CreateVideoRequest::thumbnail_url, OptStr{"thumbnail_url"}}))

DAIRA_CABI_ID_CALLS(daira_content_get_video, "content.get_video", "video_id", GetVideo)

using services::UpdateVideoStatusRequest;
// TransitionVideo's overload that takes the request.
constexpr absl::StatusOr<model::Video> (Content::*kTransitionVideo)(
    const daira::RequestContext&, const UpdateVideoStatusRequest&) = &Content::TransitionVideo;
DAIRA_CABI_SERVICE_CALL(
    daira_content_transition_video, "content.transition_video", kContent, kTransitionVideo, kVideoJson,
    Struct<UpdateVideoStatusRequest>(Set{&UpdateVideoStatusRequest::video_id, Id{"video_id"}},
                                     Set{&UpdateVideoStatusRequest::status, Str{"status"}},
                                     Set{&UpdateVideoStatusRequest::hls_url, OptStr{"hls_url"}},
                                     Set{&UpdateVideoStatusRequest::error, OptStr{"error"}}))
