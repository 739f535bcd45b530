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
  py::class_<PostsApi> c(m, "Posts", "Read-only typed access to posts (every status) → PostRecord.");
  BindReads<PostsTraits>(c);
  c.def(
       "count",
       [](PostsApi& a, std::optional<int64_t> author_id, std::optional<std::string> status, TxState* tx) {
         services::PostFilter f{.author_id = OptId<UserId>(author_id),
                                .status = OptEnumArg<model::ContentStatus>("count posts", "status", status)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.posts().Count(ctx, f);
         });
       },
       py::kw_only(), py::arg("author_id") = py::none(), py::arg("status") = py::none(),
       py::arg("tx") = py::none(),
       "Number of posts matching every filter given (status ACTIVE | HIDDEN | DELETED).")
      .def(
          "list_by_author",
          [](PostsApi& a, int64_t author_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::PostColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [author_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.posts().ListByAuthor(ctx, UserId{author_id}, r, mask);
                            });
          },
          py::arg("author_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "A Page of the author's posts (every status), newest first.")
      .def("__repr__", [](const PostsApi&) { return std::string("<daira.Posts>"); });
}

void BindVideos(py::module_& m) {
  py::class_<VideosApi> c(m, "Videos", "Read-only typed access to videos (every status) → VideoRecord.");
  BindReads<VideosTraits>(c);
  c.def(
       "count",
       [](VideosApi& a, std::optional<int64_t> author_id, std::optional<std::string> status, TxState* tx) {
         services::VideoFilter f{.author_id = OptId<UserId>(author_id),
                                 .status = OptEnumArg<model::VideoStatus>("count videos", "status", status)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.videos().Count(ctx, f);
         });
       },
       py::kw_only(), py::arg("author_id") = py::none(), py::arg("status") = py::none(),
       py::arg("tx") = py::none(),
       "Number of videos matching every filter given (status UPLOADING | PROCESSING | PUBLISHED | FAILED).")
      .def(
          "list_by_author",
          [](VideosApi& a, int64_t author_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::VideoColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [author_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.videos().ListByAuthor(ctx, UserId{author_id}, r, mask);
                            });
          },
          py::arg("author_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "A Page of the author's videos (every status), newest first.")
      .def("__repr__", [](const VideosApi&) { return std::string("<daira.Videos>"); });
}

void BindComments(py::module_& m) {
  py::class_<CommentsApi> c(m, "Comments", "Read-only typed access to comments (every status) → CommentRecord.");
  BindReads<CommentsTraits>(c);
  c.def(
       "count",
       [](CommentsApi& a, std::optional<int64_t> post_id, std::optional<int64_t> video_id,
          std::optional<int64_t> author_id, std::optional<std::string> status, TxState* tx) {
         services::CommentFilter f{.post_id = OptId<PostId>(post_id),
                                   .video_id = OptId<VideoId>(video_id),
                                   .author_id = OptId<UserId>(author_id),
                                   .status = OptEnumArg<model::ContentStatus>("count comments", "status", status)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.comments().Count(ctx, f);
         });
       },
       py::kw_only(), py::arg("post_id") = py::none(), py::arg("video_id") = py::none(),
       py::arg("author_id") = py::none(), py::arg("status") = py::none(), py::arg("tx") = py::none(),
       "Number of comments matching every filter given.")
      .def(
          "list_by_post",
          [](CommentsApi& a, int64_t post_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::CommentColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [post_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.comments().ListByPost(ctx, PostId{post_id}, r, mask);
                            });
          },
          py::arg("post_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "A Page of every comment of the post (all depths), oldest first.")
      .def(
          "list_by_video",
          [](CommentsApi& a, int64_t video_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::CommentColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [video_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.comments().ListByVideo(ctx, VideoId{video_id}, r, mask);
                            });
          },
          py::arg("video_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "A Page of every comment of the video (all depths), oldest first.")
      .def(
          "list_replies",
          [](CommentsApi& a, int64_t parent_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::CommentColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [parent_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.comments().ListReplies(ctx, CommentId{parent_id}, r, mask);
                            });
          },
          py::arg("parent_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "A Page of the direct replies to the comment, oldest first.")
      .def("__repr__", [](const CommentsApi&) { return std::string("<daira.Comments>"); });
}

}  // namespace

void RegisterContentRepos(py::module_& m) {
  BindPosts(m);
  BindVideos(m);
  BindComments(m);
}

}  // namespace daira::python
