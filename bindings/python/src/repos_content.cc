// p.posts, p.videos and p.comments: field-masked, read-only access to the content tables (rows of every
// status), each call optionally inside a transaction (tx=). Writes go through p.content, which keeps
// hashtags, mentions and counters in step (docs/services/content.md).
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/services/comment_repository.h"
#include "daira/services/post_repository.h"
#include "daira/services/video_repository.h"
#include "module.h"
#include "repository.h"
#include "service_call.h"

namespace daira::python {
namespace {

struct PostsTraits {
  using Api = PostsApi;
  using Id = PostId;
  static constexpr const char* kIdArg = "post_id";
  static services::PostRepository& Repo(Platform& p) { return p.posts(); }
  static const auto& Columns() { return services::PostColumns(); }
  static auto& Items(services::PostBatch& b) { return b.posts; }
};
struct VideosTraits {
  using Api = VideosApi;
  using Id = VideoId;
  static constexpr const char* kIdArg = "video_id";
  static services::VideoRepository& Repo(Platform& p) { return p.videos(); }
  static const auto& Columns() { return services::VideoColumns(); }
  static auto& Items(services::VideoBatch& b) { return b.videos; }
};
struct CommentsTraits {
  using Api = CommentsApi;
  using Id = CommentId;
  static constexpr const char* kIdArg = "comment_id";
  static services::CommentRepository& Repo(Platform& p) { return p.comments(); }
  static const auto& Columns() { return services::CommentColumns(); }
  static auto& Items(services::CommentBatch& b) { return b.comments; }
};

void BindPosts(py::module_& m) {
  using F = services::PostFilter;
  py::class_<PostsApi> c(m, "Posts", "Read-only typed access to posts (every status) → PostRecord.");
  BindReads<PostsTraits>(c);
  DefRepoRequest<PostsTraits, &services::PostRepository::Count, Fields<&F::author_id, &F::status>>(
      c, Named{"count", "count posts"}, py::kw_only(), py::arg("author_id") = py::none(),
      py::arg("status") = py::none(), TxArg(),
      "Number of posts matching every filter given (status ACTIVE | HIDDEN | DELETED).");
  DefList<PostsTraits, &services::PostRepository::ListByAuthor>(
      c, "list_by_author", py::arg("author_id"), DAIRA_PY_LIST_ARGS,
      "A Page of the author's posts (every status), newest first.");
  c.def("__repr__", [](const PostsApi&) { return std::string("<daira.Posts>"); });
}

void BindVideos(py::module_& m) {
  using F = services::VideoFilter;
  py::class_<VideosApi> c(m, "Videos", "Read-only typed access to videos (every status) → VideoRecord.");
  BindReads<VideosTraits>(c);
  DefRepoRequest<VideosTraits, &services::VideoRepository::Count, Fields<&F::author_id, &F::status>>(
      c, Named{"count", "count videos"}, py::kw_only(), py::arg("author_id") = py::none(),
      py::arg("status") = py::none(), TxArg(),
      "Number of videos matching every filter given (status UPLOADING | PROCESSING | PUBLISHED | FAILED).");
  DefList<VideosTraits, &services::VideoRepository::ListByAuthor>(
      c, "list_by_author", py::arg("author_id"), DAIRA_PY_LIST_ARGS,
      "A Page of the author's videos (every status), newest first.");
  c.def("__repr__", [](const VideosApi&) { return std::string("<daira.Videos>"); });
}

void BindComments(py::module_& m) {
  using Repo = services::CommentRepository;
  using F = services::CommentFilter;
  py::class_<CommentsApi> c(m, "Comments", "Read-only typed access to comments (every status) → CommentRecord.");
  BindReads<CommentsTraits>(c);
  DefRepoRequest<CommentsTraits, &Repo::Count, Fields<&F::post_id, &F::video_id, &F::author_id, &F::status>>(
      c, Named{"count", "count comments"}, py::kw_only(), py::arg("post_id") = py::none(),
      py::arg("video_id") = py::none(), py::arg("author_id") = py::none(), py::arg("status") = py::none(),
      TxArg(), "Number of comments matching every filter given.");
  DefList<CommentsTraits, &Repo::ListByPost>(
      c, "list_by_post", py::arg("post_id"), DAIRA_PY_LIST_ARGS,
      "A Page of every comment of the post (all depths), oldest first.");
  DefList<CommentsTraits, &Repo::ListByVideo>(
      c, "list_by_video", py::arg("video_id"), DAIRA_PY_LIST_ARGS,
      "A Page of every comment of the video (all depths), oldest first.");
  DefList<CommentsTraits, &Repo::ListReplies>(c, "list_replies", py::arg("parent_id"), DAIRA_PY_LIST_ARGS,
                                              "A Page of the direct replies to the comment, oldest first.");
  c.def("__repr__", [](const CommentsApi&) { return std::string("<daira.Comments>"); });
}

}  // namespace

void RegisterContentRepos(py::module_& m) {
  BindPosts(m);
  BindVideos(m);
  BindComments(m);
}

}  // namespace daira::python
