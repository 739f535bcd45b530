// p.content: posts, videos (UPLOADING → PROCESSING → PUBLISHED | FAILED), threaded comments, reactions.
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/core/status.h"
#include "daira/model/comment.h"
#include "daira/model/reaction.h"
#include "daira/services/content.h"
#include "module.h"
#include "page.h"
#include "transaction.h"

namespace daira::python {
namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

model::ReactionTarget ParseTarget(const std::string& op, const std::string& type, int64_t id) {
  model::ReactionTarget t;
  if (!model::Parse(Upper(type), &t.type)) {
    Throw(InvalidField(op, "target_type", "must be one of POST, VIDEO, COMMENT (got " + Repr(py::str(type)) + ")"));
  }
  t.id = id;
  return t;
}

}  // namespace

void RegisterContent(py::module_& m) {
  py::class_<ContentApi> c(m, "Content", "Posts, videos, comments and reactions.");
  c.def(
       "create_post",
       [](ContentApi& a, int64_t author, std::string content, std::vector<std::string> media_urls,
          std::string visibility, TxState* tx) {
         services::CreatePostRequest r{.author_id = author,
                                       .content = std::move(content),
                                       .media_urls = std::move(media_urls),
                                       .visibility = Upper(std::move(visibility))};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.content().CreatePost(ctx, r);
         });
       },
       py::arg("author_id"), py::arg("content"), py::kw_only(), py::arg("media_urls") = std::vector<std::string>{},
       py::arg("visibility") = "PUBLIC", py::arg("tx") = py::none(),
       "Creates an ACTIVE post (hashtags and @mentions extracted) → Post. visibility: PUBLIC | FOLLOWERS | PRIVATE.")
      .def(
          "edit_post",
          [](ContentApi& a, int64_t post, int64_t editor, std::optional<std::string> content,
             std::optional<std::vector<std::string>> media_urls, std::optional<std::string> visibility, TxState* tx) {
            if (visibility.has_value()) visibility = Upper(*visibility);
            services::EditPostRequest r{.post_id = post,
                                        .editor_id = editor,
                                        .content = std::move(content),
                                        .media_urls = std::move(media_urls),
                                        .visibility = std::move(visibility)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().EditPost(ctx, r);
            });
          },
          py::arg("post_id"), py::kw_only(), py::arg("editor_id"), py::arg("content") = py::none(),
          py::arg("media_urls") = py::none(), py::arg("visibility") = py::none(), py::arg("tx") = py::none(),
          "Changes the given fields (author only: PermissionDenied otherwise) → Post.")
      .def(
          "delete_post",
          [](ContentApi& a, int64_t actor, int64_t post, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().DeletePost(ctx, UserId{actor}, PostId{post});
            });
          },
          py::arg("actor_id"), py::arg("post_id"), py::kw_only(),
          py::arg("tx") = py::none(), "Soft delete by the author; deleting twice is a no-op.")
      .def(
          "get_post",
          [](ContentApi& a, int64_t post, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().GetPost(ctx, PostId{post});
            });
          },
          py::arg("post_id"), py::kw_only(),
          py::arg("tx") = py::none(), "The post whatever its status; NotFound otherwise.")
      .def(
          "create_video",
          [](ContentApi& a, int64_t author, std::string title, int64_t duration_ms, std::string description,
             std::string resolution, std::string visibility, std::optional<std::string> thumbnail_url, TxState* tx) {
            services::CreateVideoRequest r{.author_id = author,
                                           .title = std::move(title),
                                           .description = std::move(description),
                                           .duration_ms = duration_ms,
                                           .resolution = std::move(resolution),
                                           .visibility = Upper(std::move(visibility)),
                                           .thumbnail_url = std::move(thumbnail_url)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().CreateVideo(ctx, r);
            });
          },
          py::arg("author_id"), py::kw_only(), py::arg("title"), py::arg("duration_ms"), py::arg("description") = "",
          py::arg("resolution") = "1080p", py::arg("visibility") = "PUBLIC", py::arg("thumbnail_url") = py::none(),
          py::arg("tx") = py::none(),
          "Inserts a video in status UPLOADING → Video.")
      .def(
          "transition_video",
          [](ContentApi& a, int64_t video, std::string status, std::optional<std::string> hls_url,
             std::optional<std::string> error, TxState* tx) {
            services::UpdateVideoStatusRequest r{.video_id = video,
                                                 .status = Upper(std::move(status)),
                                                 .hls_url = std::move(hls_url),
                                                 .error = std::move(error)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().TransitionVideo(ctx, r);
            });
          },
          py::arg("video_id"), py::arg("status"), py::kw_only(), py::arg("hls_url") = py::none(),
          py::arg("error") = py::none(), py::arg("tx") = py::none(),
          "Moves a video to PROCESSING | PUBLISHED | FAILED; FailedPrecondition for a move the state\n"
          "machine does not allow.")
      .def(
          "get_video",
          [](ContentApi& a, int64_t video, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().GetVideo(ctx, VideoId{video});
            });
          },
          py::arg("video_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "create_comment",
          [](ContentApi& a, int64_t author, std::string content, std::optional<int64_t> post,
             std::optional<int64_t> video, std::optional<int64_t> parent, TxState* tx) {
            services::CreateCommentRequest r{.author_id = author,
                                             .post_id = post,
                                             .video_id = video,
                                             .parent_id = parent,
                                             .content = std::move(content)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().CreateComment(ctx, r);
            });
          },
          py::arg("author_id"), py::arg("content"), py::kw_only(), py::arg("post_id") = py::none(),
          py::arg("video_id") = py::none(), py::arg("parent_id") = py::none(), py::arg("tx") = py::none(),
          "Comments on a post or a video (exactly one), optionally replying to parent_id → Comment.")
      .def(
          "list_thread",
          [](ContentApi& a, std::optional<int64_t> post, std::optional<int64_t> video, std::optional<int64_t> parent,
             int64_t limit, const std::string& cursor, TxState* tx) {
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
          "delete_comment",
          [](ContentApi& a, int64_t actor, int64_t comment, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().DeleteComment(ctx, UserId{actor}, CommentId{comment});
            });
          },
          py::arg("actor_id"), py::arg("comment_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "get_comment",
          [](ContentApi& a, int64_t comment, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().GetComment(ctx, CommentId{comment});
            });
          },
          py::arg("comment_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "react",
          [](ContentApi& a, int64_t user, const std::string& target_type, int64_t target_id, std::string reaction,
             TxState* tx) {
            services::ReactRequest r{.user_id = user,
                                     .target_type = Upper(target_type),
                                     .target_id = target_id,
                                     .reaction = Upper(std::move(reaction))};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().React(ctx, r);
            });
          },
          py::arg("user_id"), py::arg("target_type"), py::arg("target_id"), py::kw_only(),
          py::arg("reaction") = "LIKE", py::arg("tx") = py::none(),
          "Reacts to a POST | VIDEO | COMMENT with LIKE | LOVE | LAUGH | SAD | ANGRY → ReactOutcome.")
      .def(
          "unreact",
          [](ContentApi& a, int64_t user, const std::string& target_type, int64_t target_id, TxState* tx) {
            model::ReactionTarget t = ParseTarget("unreact", target_type, target_id);
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().Unreact(ctx, UserId{user}, t);
            });
          },
          py::arg("user_id"), py::arg("target_type"), py::arg("target_id"), py::kw_only(),
          py::arg("tx") = py::none(),
          "Removes the user's reaction; False when there was none.")
      .def(
          "reactions_summary",
          [](ContentApi& a, const std::string& target_type, int64_t target_id, TxState* tx) {
            model::ReactionTarget t = ParseTarget("reactions_summary", target_type, target_id);
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.content().ReactionsSummary(ctx, t);
            });
          },
          py::arg("target_type"), py::arg("target_id"), py::kw_only(),
          py::arg("tx") = py::none(), "Counts per reaction type → ReactionSummary.")
      .def("__repr__", [](const ContentApi&) { return std::string("<daira.Content>"); });
}

}  // namespace daira::python
