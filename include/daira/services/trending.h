// Trending: published videos and hashtags ranked by engagement with a time decay over a window.
//
//   services::Trending trending(services::ServiceDeps{.db = db.get(), .clock = &clock});
//   DAIRA_ASSIGN_OR_RETURN(auto page, trending.Videos(ctx, {.window = std::chrono::hours(24), .limit = 20}));
//   for (const services::TrendingVideo& v : page.items) std::cout << v.video.id << " " << v.score << "\n";
//   if (page.has_more) page = *trending.Videos(ctx, {.window = std::chrono::hours(24), .cursor = page.next_cursor});
//   DAIRA_ASSIGN_OR_RETURN(auto tags, trending.Hashtags(ctx, {.limit = 10}));   // top 10 of the last 7 days
//
// Video score = (views + 3·likes + 5·comments) / (age_hours + 2)^1.5, age from published_at to the
// ServiceDeps clock. Candidates are the newest kTrendingVideoCandidates PUBLIC, PUBLISHED videos
// published within the window (one index range scan over videos_status_published_idx); they are
// scored and ranked in C++ (SQLite 3.40 has no pow() unless built with math functions), so a video
// outside the newest 1,000 of the window is not ranked. Pages are keyset pages over (score, id)
// descending, cursor scope "trending:videos:<window seconds>"; scores decay as the clock moves, so a
// client paging across a long pause may see an item twice or miss one — refetch from the head then.
//
// Hashtag score = Σ over ACTIVE PUBLIC posts in the window carrying the tag of 1/(age_hours + 2)^1.5
// (the posts are found by id: ids are time-ordered, so posts.id >= the smallest id of the window
// start is a primary-key range scan); at most kTrendingHashtagCandidates newest (post, tag) uses are
// considered. Ties are broken by id.
//
// Thread-safety: a Trending object is stateless beyond its ServiceDeps; safe from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/video.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

inline constexpr int64_t kTrendingVideoCandidates = 1000;
inline constexpr int64_t kTrendingHashtagCandidates = 10000;
inline constexpr std::chrono::seconds kDefaultTrendingWindow = std::chrono::hours(24 * 7);

struct TrendingRequest {
  std::chrono::seconds window = kDefaultTrendingWindow;  // 1 hour .. 90 days
  int64_t limit = 20;                                     // 1–100
  std::string cursor{};                                   // Videos only: "" or a next_cursor
  absl::Status Validate() const;                          // op "trending"
};

struct TrendingVideo {
  model::Video video;
  double score = 0;
};

struct TrendingHashtag {
  int64_t id = 0;
  std::string tag;
  int64_t uses = 0;     // posts in the window carrying it (among the candidates)
  double score = 0;
};

class Trending {
 public:
  explicit Trending(ServiceDeps deps) : deps_(deps) {}

  // InvalidArgument naming "window", "limit" or "cursor".
  absl::StatusOr<query::Page<TrendingVideo>> Videos(const RequestContext& ctx, const TrendingRequest& request);
  // The top `request.limit` hashtags (cursor must be empty). InvalidArgument naming "window", "limit", "cursor".
  absl::StatusOr<std::vector<TrendingHashtag>> Hashtags(const RequestContext& ctx, const TrendingRequest& request);

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
