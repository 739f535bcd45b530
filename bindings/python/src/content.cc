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
          std::string visibility) {
         services::CreatePostRequest r{.author_id = author,
                                       .content = std::move(content),
                                       .media_urls = std::move(media_urls),
                                       .visibility = Upper(std::move(visibility))};
         return a.core->Call([&](Platform& p) { return p.content().CreatePost(Ctx(), r); });
       },
       py::arg("author_id"), py::arg("content"), py::kw_only(), py::arg("media_urls") = std::vector<std::string>{},
       py::arg("visibility") = "PUBLIC",
       "Creates an ACTIVE post (hashtags and @mentions extracted) → Post. visibility: PUBLIC | FOLLOWERS | PRIVATE.")
      .def(
          "edit_post",
          [](ContentApi& a, int64_t post, int64_t editor, std::optional<std::string> content,
             std::optional<std::vector<std::string>> media_urls, std::optional<std::string> visibility) {
            if (visibility.has_value()) visibility = Upper(*visibility);
            services::EditPostRequest r{.post_id = post,
                                        .editor_id = editor,
                                        .content = std::move(content),
                                        .media_urls = std::move(media_urls),
                                        .visibility = std::move(visibility)};
            return a.core->Call([&](Platform& p) { return p.content().EditPost(Ctx(), r); });
          },
          py::arg("post_id"), py::kw_only(), py::arg("editor_id"), py::arg("content") = py::none(),
          py::arg("media_urls") = py::none(), py::arg("visibility") = py::none(),
          "Changes the given fields (author only: PermissionDenied otherwise) → Post.")
      .def(
          "delete_post",
          [](ContentApi& a, int64_t actor, int64_t post) {
            a.core->Call([&](Platform& p) { return p.content().DeletePost(Ctx(), UserId{actor}, PostId{post}); });
          },
          py::arg("actor_id"), py::arg("post_id"), "Soft delete by the author; deleting twice is a no-op.")
      .def(
          "get_post",
          [](ContentApi& a, int64_t post) {
            return a.core->Call([&](Platform& p) { return p.content().GetPost(Ctx(), PostId{post}); });
          },
          py::arg("post_id"), "The post whatever its status; NotFound otherwise.")
      .def(
          "create_video",
          [](ContentApi& a, int64_t author, std::string title, int64_t duration_ms, std::string description,
             std::string resolution, std::string visibility, std::optional<std::string> thumbnail_url) {
            services::CreateVideoRequest r{.author_id = author,
                                           .title = std::move(title),
                                           .description = std::move(description),
                                           .duration_ms = duration_ms,
                                           .resolution = std::move(resolution),
                                           .visibility = Upper(std::move(visibility)),
                                           .thumbnail_url = std::move(thumbnail_url)};
            return a.core->Call([&](Platform& p) { return p.content().CreateVideo(Ctx(), r); });
          },
          py::arg("author_id"), py::kw_only(), py::arg("title"), py::arg("duration_ms"), py::arg("description") = "",
          py::arg("resolution") = "1080p", py::arg("visibility") = "PUBLIC", py::arg("thumbnail_url") = py::none(),
          "Inserts a video in status UPLOADING → Video.")
      .def(
          "transition_video",
          [](ContentApi& a, int64_t video, std::string status, std::optional<std::string> hls_url,
             std::optional<std::string> error) {
            services::UpdateVideoStatusRequest r{.video_id = video,
                                                 .status = Upper(std::move(status)),
                                                 .hls_url = std::move(hls_url),
                                                 .error = std::move(error)};
            return a.core->Call([&](Platform& p) { return p.content().TransitionVideo(Ctx(), r); });
          },
          py::arg("video_id"), py::arg("status"), py::kw_only(), py::arg("hls_url") = py::none(),
          py::arg("error") = py::none(),
          "Moves a video to PROCESSING | PUBLISHED | FAILED; FailedPrecondition for a move the state\n"
          "machine does not allow.")
      .def(
          "get_video",
          [](ContentApi& a, int64_t video) {
            return a.core->Call([&](Platform& p) { return p.content().GetVideo(Ctx(), VideoId{video}); });
          },
          py::arg("video_id"))
      .def(
          "create_comment",
          [](ContentApi& a, int64_t author, std::string content, std::optional<int64_t> post,
             std::optional<int64_t> video, std::optional<int64_t> parent) {
            services::CreateCommentRequest r{.author_id = author,
                                             .post_id = post,
                                             .video_id = video,
                                             .parent_id = parent,
                                             .content = std::move(content)};
            return a.core->Call([&](Platform& p) { return p.content().CreateComment(Ctx(), r); });
          },
          py::arg("author_id"), py::arg("content"), py::kw_only(), py::arg("post_id") = py::none(),
          py::arg("video_id") = py::none(), py::arg("parent_id") = py::none(),
          "Comments on a post or a video (exactly one), optionally replying to parent_id → Comment.")
      .def(
          "list_thread",
          [](ContentApi& a, std::optional<int64_t> post, std::optional<int64_t> video, std::optional<int64_t> parent,
             int64_t limit, const std::string& cursor) {
            if (post.has_value() == video.has_value()) {
              Throw(InvalidField("list_thread", "post_id", "exactly one of post_id and video_id must be given"));
            }
            model::CommentTarget target{
                .type = post.has_value() ? model::CommentTargetType::kPost : model::CommentTargetType::kVideo,
                .id = post.has_value() ? *post : *video};
            std::optional<CommentId> parent_id;
            if (parent.has_value()) parent_id = CommentId{*parent};
            auto fetch = [target, parent_id, limit](Platform& p, const std::string& c) {
              services::PageRequest req{.limit = limit, .cursor = c};
              return p.content().ListThread(Ctx(), target, parent_id, req);
            };
            return FetchPage(a.core, fetch, cursor);
          },
          py::kw_only(), py::arg("post_id") = py::none(), py::arg("video_id") = py::none(),
          py::arg("parent_id") = py::none(), py::arg("limit") = 20, py::arg("cursor") = "",
          "One level of a thread, oldest first → Page[Comment]: top-level comments, or replies to parent_id.")
      .def(
          "delete_comment",
          [](ContentApi& a, int64_t actor, int64_t comment) {
            a.core->Call(
                [&](Platform& p) { return p.content().DeleteComment(Ctx(), UserId{actor}, CommentId{comment}); });
          },
          py::arg("actor_id"), py::arg("comment_id"))
      .def(
          "get_comment",
          [](ContentApi& a, int64_t comment) {
            return a.core->Call([&](Platform& p) { return p.content().GetComment(Ctx(), CommentId{comment}); });
          },
          py::arg("comment_id"))
      .def(
          "react",
          [](ContentApi& a, int64_t user, const std::string& target_type, int64_t target_id, std::string reaction) {
            services::ReactRequest r{.user_id = user,
                                     .target_type = Upper(target_type),
                                     .target_id = target_id,
                                     .reaction = Upper(std::move(reaction))};
            return a.core->Call([&](Platform& p) { return p.content().React(Ctx(), r); });
          },
          py::arg("user_id"), py::arg("target_type"), py::arg("target_id"), py::kw_only(),
          py::arg("reaction") = "LIKE",
          "Reacts to a POST | VIDEO | COMMENT with LIKE | LOVE | LAUGH | SAD | ANGRY → ReactOutcome.")
      .def(
          "unreact",
          [](ContentApi& a, int64_t user, const std::string& target_type, int64_t target_id) {
            model::ReactionTarget t = ParseTarget("unreact", target_type, target_id);
            return a.core->Call([&](Platform& p) { return p.content().Unreact(Ctx(), UserId{user}, t); });
          },
          py::arg("user_id"), py::arg("target_type"), py::arg("target_id"),
          "Removes the user's reaction; False when there was none.")
      .def(
          "reactions_summary",
          [](ContentApi& a, const std::string& target_type, int64_t target_id) {
            model::ReactionTarget t = ParseTarget("reactions_summary", target_type, target_id);
            return a.core->Call([&](Platform& p) { return p.content().ReactionsSummary(Ctx(), t); });
          },
          py::arg("target_type"), py::arg("target_id"), "Counts per reaction type → ReactionSummary.")
      .def("__repr__", [](const ContentApi&) { return std::string("<daira.Content>"); });
}

}  // namespace daira::python
