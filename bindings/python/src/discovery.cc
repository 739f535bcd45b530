// p.feed (home, timeline, hashtag), p.search (users, posts, videos, hashtags) and p.trending (videos,
// hashtags).
#include <pybind11/chrono.h>
#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <string>

#include "common.h"
#include "daira/services/feed.h"
#include "daira/services/search.h"
#include "daira/services/trending.h"
#include "module.h"
#include "page.h"
#include "service_call.h"

namespace daira::python {

void RegisterDiscovery(py::module_& m) {
  py::class_<FeedApi> feed(m, "Feed", "Feeds of posts, newest first, as a viewer may see them.");
  using services::Feed;
  constexpr auto kFeed = &Platform::feed;
  DefPage<kFeed, &Feed::Home>(
      feed, NoTx{"home"}, py::arg("viewer_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
      "Posts by the accounts the viewer follows and by the viewer, minus blocked/muted authors →\n"
      "Page[Post] (post.author filled).");
  DefPage<kFeed, &Feed::Timeline>(feed, NoTx{"timeline"}, py::arg("viewer_id"), py::arg("author_id"),
                                  py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
                                  "One author's posts as the viewer may see them → Page[Post].");
  DefPage<kFeed, &Feed::HashtagFeed>(feed, NoTx{"hashtag"}, py::arg("viewer_id"), py::arg("tag"),
                                     py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
                                     "Posts carrying the hashtag ('#Cairo' or 'cairo') → Page[Post].");
  feed.def("__repr__", [](const FeedApi&) { return std::string("<daira.Feed>"); });

  py::class_<SearchApi>(m, "Search", "Search.")
      .def(
          "users",
          [](SearchApi& s, std::string query, int64_t limit, const std::string& cursor) {
            auto fetch = [query, limit](Platform& p, const std::string& c) {
              services::SearchRequest r{.query = query, .scope = "USERS", .limit = limit, .cursor = c};
              return p.search().Users(Ctx(), r);
            };
            return FetchPage(s.core, fetch, cursor);
          },
          py::arg("query"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          "ACTIVE users matching the query: exact username, then username prefix, then full text →\n"
          "Page[UserHit].")
      .def(
          "posts",
          [](SearchApi& s, std::string query, int64_t viewer, int64_t limit, const std::string& cursor) {
            auto fetch = [query, viewer, limit](Platform& p, const std::string& c) {
              services::SearchRequest r{.query = query, .scope = "POSTS", .limit = limit, .cursor = c};
              return p.search().Posts(Ctx(), UserId{viewer}, r);
            };
            return FetchPage(s.core, fetch, cursor);
          },
          py::arg("query"), py::kw_only(), py::arg("viewer_id") = 0, py::arg("limit") = 20, py::arg("cursor") = "",
          "ACTIVE posts the viewer may see (viewer_id=0: anonymous, PUBLIC only) holding every word of the\n"
          "query, most whole-word matches then newest first; a query that is one '#tag' lists the posts\n"
          "carrying it → Page[PostHit].")
      .def(
          "videos",
          [](SearchApi& s, std::string query, int64_t viewer, int64_t limit, const std::string& cursor) {
            auto fetch = [query, viewer, limit](Platform& p, const std::string& c) {
              services::SearchRequest r{.query = query, .scope = "VIDEOS", .limit = limit, .cursor = c};
              return p.search().Videos(Ctx(), UserId{viewer}, r);
            };
            return FetchPage(s.core, fetch, cursor);
          },
          py::arg("query"), py::kw_only(), py::arg("viewer_id") = 0, py::arg("limit") = 20, py::arg("cursor") = "",
          "PUBLISHED videos the viewer may see (viewer_id=0: anonymous, PUBLIC only; a PRIVATE video only\n"
          "to its author) whose title or description holds every word of the query as a word prefix\n"
          "('#' is a separator), most whole-word matches then newest first → Page[VideoHit].\n"
          "InvalidArgument naming query, limit, cursor or viewer.")
      .def(
          "hashtags",
          [](SearchApi& s, std::string query, int64_t limit, const std::string& cursor) {
            auto fetch = [query, limit](Platform& p, const std::string& c) {
              services::SearchRequest r{.query = query, .scope = "HASHTAGS", .limit = limit, .cursor = c};
              return p.search().Hashtags(Ctx(), r);
            };
            return FetchPage(s.core, fetch, cursor);
          },
          py::arg("query"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          "Hashtags starting with the query ('#cai' or 'cai'), the exact tag first, then by uses →\n"
          "Page[HashtagHit].")
      .def("__repr__", [](const SearchApi&) { return std::string("<daira.Search>"); });

  py::class_<TrendingApi>(m, "Trending", "What is trending in a time window (default 7 days).")
      .def(
          "videos",
          [](TrendingApi& t, std::chrono::seconds window, int64_t limit, const std::string& cursor) {
            auto fetch = [window, limit](Platform& p, const std::string& c) {
              services::TrendingRequest r{.window = window, .limit = limit, .cursor = c};
              return p.trending().Videos(Ctx(), r);
            };
            return FetchPage(t.core, fetch, cursor);
          },
          py::kw_only(), py::arg("window") = services::kDefaultTrendingWindow, py::arg("limit") = 20,
          py::arg("cursor") = "",
          "Videos by decayed engagement in the window (a datetime.timedelta, 1 h .. 90 days) →\n"
          "Page[TrendingVideo].")
      .def(
          "hashtags",
          [](TrendingApi& t, std::chrono::seconds window, int64_t limit) {
            services::TrendingRequest r{.window = window, .limit = limit, .cursor = ""};
            return t.core->Call([&](Platform& p) { return p.trending().Hashtags(Ctx(), r); });
          },
          py::kw_only(), py::arg("window") = services::kDefaultTrendingWindow, py::arg("limit") = 20,
          "The top hashtags by decayed uses in the window → list[TrendingHashtag].")
      .def("__repr__", [](const TrendingApi&) { return std::string("<daira.Trending>"); });
}

}  // namespace daira::python
