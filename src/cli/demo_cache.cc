// `daira demo`'s cache step (see demo_cache.h).
#include "cli/demo_cache.h"

#include <string>

#include "cache/open_cache.h"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/services/feed.h"
#include "daira/services/profiles.h"
#include "daira/services/service_deps.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {

constexpr int kRuns = 200;

absl::Status CachedFeedDemo(store::Database& db) {
  RequestContext ctx({.correlation_id = "", .caller = "cli:demo", .timeout = std::chrono::milliseconds(0)});
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet pick,
      db.Read(ctx, "SELECT user_id FROM user_profiles ORDER BY following_count DESC, user_id LIMIT 1"));
  if (pick.empty()) return absl::OkStatus();
  const UserId viewer{pick.front().Int64(0)};

  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<cache::Cache> cache, cache::OpenCache("memory:"));
  const services::ServiceDeps cached{.db = &db, .cache = cache.get()};
  const services::ServiceDeps plain{.db = &db};
  services::Feed cached_feed(cached), plain_feed(plain);
  services::Profiles profiles(cached);
  fmt::print("\ncache  (cache=memory:, the embedded default; warm = mean of {} runs)\n", kRuns);

  auto home = [&ctx, viewer](services::Feed* feed) {
    return [&ctx, viewer, feed] { return feed->Home(ctx, viewer, {.limit = 20}).status(); };
  };
  DAIRA_ASSIGN_OR_RETURN(auto database, Time(home(&plain_feed), kRuns));
  // The first cached read builds the reader's feed: list from the database; the others are warm.
  DAIRA_ASSIGN_OR_RETURN(auto cached_times, Time(home(&cached_feed), kRuns));
  const auto [cold, warm] = cached_times;
  fmt::print("  {:<28} cold {:>9}   warm {:>9}   (database path {})\n", "home feed (20, hydrated)",
             FormatDuration(cold), FormatDuration(warm), FormatDuration(database.second));

  // The page's authors' profiles, read through the cache (the first read of each fills it).
  DAIRA_ASSIGN_OR_RETURN(query::Page<model::Post> page, cached_feed.Home(ctx, viewer, {.limit = 20}));
  for (int round = 0; round < 5; ++round) {
    for (const model::Post& p : page.items) DAIRA_RETURN_IF_ERROR(profiles.Get(ctx, p.author_id).status());
  }
  for (const cache::NamespaceStats& s : cache->Stats()) {
    if (s.hits + s.misses == 0) continue;
    fmt::print("      {:<10} hit rate {:>5.1f}%   ({} hits, {} misses, {} sets)\n", s.ns, 100.0 * s.HitRate(),
               FormatCount(s.hits), FormatCount(s.misses), FormatCount(s.sets));
  }
  return absl::OkStatus();
}

}  // namespace daira::inline v0::cli
