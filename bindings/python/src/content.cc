// p.content (service_call.h descriptions; the calls of another shape keep their lambda): posts, videos
// (UPLOADING → PROCESSING → PUBLISHED | FAILED), threaded comments, reactions.
#include "daira/services/content.h"

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/core/status.h"
#include "daira/model/comment.h"
#include "daira/model/reaction.h"
#include "module.h"
#include "page.h"
#include "repository.h"
#include "service_call.h"
#include "transaction.h"

namespace daira::python {
namespace {

model::ReactionTarget ParseTarget(const std::string& op, const std::string& type, int64_t id) {
  model::ReactionTarget t;
  if (!model::Parse(UpperName(type), &t.type)) {
    Throw(InvalidField(op, "target_type", "must be one of POST, VIDEO, COMMENT (got " + Repr(py::str(type)) + ")"));
  }
  t.id = id;
  return t;
}

}  // namespace

void RegisterContent(py::module_& m) {
  py::class_<ContentApi> c(m, "Content", "Posts, videos, comments and reactions.");
  using services::Content;
  constexpr auto kContent = &Platform::content;
  using Post = services::CreatePostRequest;
  DefRequest<kContent, &Content::CreatePost,
             Fields<&Post::author_id, &Post::content, &Post::media_urls, Upper(&Post::visibility)>>(
      c, "create_post", py::arg("author_id"), py::arg("content"), py::kw_only(),
      py::arg("media_urls") = std::vector<std::string>{}, py::arg("visibility") = "PUBLIC", TxArg(),
      "Creates an ACTIVE post (hashtags and @mentions extracted) → Post. visibility: PUBLIC | FOLLOWERS | "
      "PRIVATE.");
  using Edit = services::EditPostRequest;
  DefRequest<
      kContent, &Content::EditPost,
      Fields<&Edit::post_id, &Edit::editor_id, &Edit::content, &Edit::media_urls, Upper(&Edit::visibility)>>(
      c, "edit_post", py::arg("post_id"), py::kw_only(), py::arg("editor_id"),
      py::arg("content") = py::none(), py::arg("media_urls") = py::none(), py::arg("visibility") = py::none(),
      TxArg(), "Changes the given fields (author only: PermissionDenied otherwise) → Post.");
  DefCall<kContent, &Content::DeletePost>(c, "delete_post", py::arg("actor_id"), py::arg("post_id"),
                                          py::kw_only(), TxArg(),
                                          "Soft delete by the author; deleting twice is a no-op.");
  DefCall<kContent, &Content::GetPost>(c, "get_post", py::arg("post_id"), py::kw_only(), TxArg(),
                                       "The post whatever its status; NotFound otherwise.");
  using Video = services::CreateVideoRequest;
  DefRequest<kContent, &Content::CreateVideo,
             Fields<&Video::author_id, &Video::title, &Video::duration_ms, &Video::description,
                    &Video::resolution, Upper(&Video::visibility), &Video::thumbnail_url>>(
      c, "create_video", py::arg("author_id"), py::kw_only(), py::arg("title"), py::arg("duration_ms"),
      py::arg("description") = "", py::arg("resolution") = "1080p", py::arg("visibility") = "PUBLIC",
      py::arg("thumbnail_url") = py::none(), TxArg(), "Inserts a video in status UPLOADING → Video.");
  using Move = services::UpdateVideoStatusRequest;
  constexpr auto kTransition =
      static_cast<absl::StatusOr<model::Video> (Content::*)(const RequestContext&, const Move&)>(
          &Content::TransitionVideo);
  DefRequest<kContent, kTransition,
             Fields<&Move::video_id, Upper(&Move::status), &Move::hls_url, &Move::error>>(
      c, "transition_video", py::arg("video_id"), py::arg("status"), py::kw_only(),
      py::arg("hls_url") = py::none(), py::arg("error") = py::none(), TxArg(),
      "Moves a video to PROCESSING | PUBLISHED | FAILED; FailedPrecondition for a move the state\n"
      "machine does not allow.");
  DefCall<kContent, &Content::GetVideo>(c, "get_video", py::arg("video_id"), py::kw_only(), TxArg());
  using Comment = services::CreateCommentRequest;
  DefRequest<kContent, &Content::CreateComment,
             Fields<&Comment::author_id, &Comment::content, &Comment::post_id, &Comment::video_id,
                    &Comment::parent_id>>(
      c, "create_comment", py::arg("author_id"), py::arg("content"), py::kw_only(),
      py::arg("post_id") = py::none(), py::arg("video_id") = py::none(), py::arg("parent_id") = py::none(),
      TxArg(), "Comments on a post or a video (exactly one), optionally replying to parent_id → Comment.");
  DefCall<kContent, &Content::DeleteComment>(c, "delete_comment", py::arg("actor_id"), py::arg("comment_id"),
                                             py::kw_only(), TxArg());
  DefCall<kContent, &Content::GetComment>(c, "get_comment", py::arg("comment_id"), py::kw_only(), TxArg());
  using React = services::ReactRequest;
  DefRequest<kContent, &Content::React,
             Fields<&React::user_id, Upper(&React::target_type), &React::target_id, Upper(&React::reaction)>>(
      c, "react", py::arg("user_id"), py::arg("target_type"), py::arg("target_id"), py::kw_only(),
      py::arg("reaction") = "LIKE", TxArg(),
      "Reacts to a POST | VIDEO | COMMENT with LIKE | LOVE | LAUGH | SAD | ANGRY → ReactOutcome.");
  c
      .def(
          "list_thread",
          [](ContentApi& a, std::optional<int64_t> post, std::optional<int64_t> video,
             std::optional<int64_t> parent, int64_t limit, const std::string& cursor, TxState* tx) {
            if (post.has_value() == video.has_value()) {
              Throw(InvalidField("list_thread", "post_id", "exactly one of post_id and video_id must be given"));
            }
            model::CommentTarget target{
                .type = post.has_value() ? model::CommentTargetType::kPost : model::CommentTargetType::kVideo,
                .id = post.has_value() ? *post : *video};
            std::optional<CommentId> parent_id;
            if (parent.has_value()) parent_id = CommentId{*parent};
            auto fetch = [target, parent_id, limit](Platform& p, const RequestContext& ctx, const std::string& c) {
              services::PageRequest req{.limit = limit, .cursor = c};
              return p.content().ListThread(ctx, target, parent_id, req);
            };
            return FetchPageIn(a.core, tx == nullptr ? nullptr : tx->shared_from_this(), fetch, cursor);
          },
          py::kw_only(), py::arg("post_id") = py::none(), py::arg("video_id") = py::none(),
          py::arg("parent_id") = py::none(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("tx") = py::none(),
          "One level of a thread, oldest first → Page[Comment]: top-level comments, or replies to parent_id.")
      .def(
          "unreact",
          [](ContentApi& a, int64_t user, const std::string& target_type, int64_t target_id, TxState* tx) {
            model::ReactionTarget t = ParseTarget("unreact", target_type, target_id);
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().Unreact(ctx, UserId{user}, t);
            });
          },
          py::arg("user_id"), py::arg("target_type"), py::arg("target_id"), py::kw_only(),
          py::arg("tx") = py::none(), "Removes the user's reaction; False when there was none.")
      .def(
          "reactions_summary",
          [](ContentApi& a, const std::string& target_type, int64_t target_id, TxState* tx) {
            model::ReactionTarget t = ParseTarget("reactions_summary", target_type, target_id);
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().ReactionsSummary(ctx, t);
            });
          },
          py::arg("target_type"), py::arg("target_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Counts per reaction type → ReactionSummary.")
      .def("__repr__", [](const ContentApi&) { return std::string("<daira.Content>"); });
}

}  // namespace daira::python
