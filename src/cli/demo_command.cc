// `daira demo [--database sqlite:PATH] [--users N --posts M --seed S]`: a fresh embedded database
// (the file is deleted first; a temp file when --database is not given), migrated and seeded with a
// small world, then a few sample queries and the domain services (a hydrated home feed, a user
// search, a user's stats) with their timings, and two users chatting (demo_chat.cc). It grows as the
// platform does.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "cli/demo_cache.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/services/feed.h"
#include "daira/services/profiles.h"
#include "daira/services/search.h"
#include "daira/services/service_deps.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
absl::Status ChatDemo(store::Database& db);  // demo_chat.cc: two users chatting, typing, presence, a notification
namespace {

struct DemoArgs {
  SeedArgs seed{.users = 2000, .posts = 20000, .videos = 1000, .comments = 10000, .likes = 20000};
};

constexpr int kWarmRuns = kDemoWarmRuns;
constexpr int kServiceWarmRuns = 200;


absl::Status SampleQueries(store::Database& db) {
  RequestContext ctx({.correlation_id = "", .caller = "cli:demo", .timeout = std::chrono::milliseconds(0)});
  fmt::print("\nqueries  (one read lease, cached prepared statements; warm = mean of {} runs)\n", kWarmRuns);
  DAIRA_ASSIGN_OR_RETURN(store::ConnectionLease lease, db.Acquire(ctx, store::Access::kRead));

  // The most-followed user: the interesting one for the follower count.
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet top,
      lease->Execute("SELECT user_id, followers_count FROM user_profiles ORDER BY followers_count DESC, user_id "
                     "LIMIT 1"));
  if (top.empty()) {
    fmt::print("  (no users: nothing to query)\n");
    return absl::OkStatus();
  }
  const int64_t star = top.front().Int64(0);

  // 1. A user by primary key.
  std::string username;
  const std::string by_id = "SELECT id, username, email, created_at FROM users WHERE id = ?";
  DAIRA_ASSIGN_OR_RETURN(auto t1, Time([&]() -> absl::Status {
                           DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, lease->Execute(by_id, {star}));
                           if (rs.empty()) return absl::NotFoundError("demo: user by id: no row");
                           username = rs.front().Text(1);
                           return absl::OkStatus();
                         }));
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → @{} (id {})\n", "user by id", FormatDuration(t1.first),
             FormatDuration(t1.second), username, star);

  // 2. A batch of 100 users in one statement (Dialect::InArray binds the id array).
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet some, lease->Execute("SELECT id FROM users ORDER BY id DESC LIMIT 100"));
  std::vector<int64_t> ids;
  for (const store::Row& row : some) ids.push_back(row.Int64(0));
  const std::string batch = "SELECT id, username, email FROM users WHERE " + db.dialect().InArray("id");
  size_t got = 0;
  DAIRA_ASSIGN_OR_RETURN(auto t2, Time([&]() -> absl::Status {
                           store::Value param(ids);
                           DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, lease->Execute(batch, store::Params(&param, 1)));
                           got = rs.size();
                           return absl::OkStatus();
                         }, kWarmRuns / 10));
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → {} rows\n", fmt::format("{} users by id (InArray)", ids.size()),
             FormatDuration(t2.first), FormatDuration(t2.second), got);

  // 3. Followers: the denormalized counter (what the app reads) and the count it must equal.
  int64_t counter = 0;
  int64_t counted = 0;
  DAIRA_ASSIGN_OR_RETURN(auto t3, Time([&]() -> absl::Status {
                           DAIRA_ASSIGN_OR_RETURN(
                               store::ResultSet rs,
                               lease->Execute("SELECT followers_count FROM user_profiles WHERE user_id = ?", {star}));
                           counter = rs.empty() ? 0 : rs.front().Int64(0);
                           return absl::OkStatus();
                         }));
  DAIRA_ASSIGN_OR_RETURN(auto t4, Time([&]() -> absl::Status {
                           DAIRA_ASSIGN_OR_RETURN(
                               store::ResultSet rs,
                               lease->Execute("SELECT count(*) FROM follows WHERE followee_id = ? AND status = 'ACTIVE'",
                                              {star}));
                           counted = rs.empty() ? 0 : rs.front().Int64(0);
                           return absl::OkStatus();
                         }, kWarmRuns / 10));
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → {} follow @{}\n", "followers (counter)",
             FormatDuration(t3.first), FormatDuration(t3.second), FormatCount(counter), username);
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → {} {}\n", "followers (count(*))",
             FormatDuration(t4.first), FormatDuration(t4.second), FormatCount(counted),
             counter == counted ? "(matches the counter)" : "(MISMATCH with the counter)");
  if (counter != counted) {
    return absl::InternalError(fmt::format("demo: followers_count {} != {} follows rows", counter, counted));
  }
  return absl::OkStatus();
}

// At most `max_bytes` of `text` on one line (newlines as spaces), cut on a UTF-8 boundary, "…" when cut.
std::string Excerpt(std::string_view text, size_t max_bytes) {
  std::string out;
  for (char c : text) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  if (out.size() <= max_bytes) return out;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "…";
}

// The domain services on the seeded world: a hydrated home feed, a user search and a user's stats,
// each timed like the sample queries (a read lease per call, as an application gets them).
absl::Status ServiceQueries(store::Database& db) {
  RequestContext ctx({.correlation_id = "", .caller = "cli:demo", .timeout = std::chrono::milliseconds(0)});
  const services::ServiceDeps deps{.db = &db};
  services::Feed feed(deps);
  services::Search search(deps);
  services::Profiles profiles(deps);
  fmt::print("\nservices  (daira::services, a read lease per call; warm = mean of {} runs)\n", kServiceWarmRuns);

  // The people to look at: the user following the most accounts (a busy home feed) and the most
  // followed one (a well-known name to search for and to show stats of).
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet picks,
      db.Read(ctx,
              "SELECT (SELECT p.user_id FROM user_profiles p ORDER BY p.following_count DESC, p.user_id LIMIT 1), "
              "(SELECT u.username FROM user_profiles p JOIN users u ON u.id = p.user_id "
              "ORDER BY p.followers_count DESC, p.user_id LIMIT 1), "
              "(SELECT p.user_id FROM user_profiles p ORDER BY p.followers_count DESC, p.user_id LIMIT 1)"));
  if (picks.empty() || picks.front().IsNull(0)) {
    fmt::print("  (no users: nothing to show)\n");
    return absl::OkStatus();
  }
  const UserId viewer{picks.front().Int64(0)};
  const std::string star_name = picks.front().Text(1);
  const UserId star{picks.front().Int64(2)};

  // 1. Home feed: the first page of 20, every post with its author.
  query::Page<model::Post> home;
  DAIRA_ASSIGN_OR_RETURN(auto t1, Time([&]() -> absl::Status {
                           DAIRA_ASSIGN_OR_RETURN(home, feed.Home(ctx, viewer, {.limit = 20}));
                           return absl::OkStatus();
                         }, kServiceWarmRuns));
  DAIRA_ASSIGN_OR_RETURN(model::UserStats viewer_stats, profiles.Stats(ctx, viewer));
  std::vector<int64_t> authors;
  for (const model::Post& p : home.items) {
    if (std::find(authors.begin(), authors.end(), p.author_id.value) == authors.end()) authors.push_back(p.author_id.value);
  }
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → {} posts by {} authors for a user following {}\n",
             "home feed (20, hydrated)", FormatDuration(t1.first), FormatDuration(t1.second), home.items.size(),
             authors.size(), FormatCount(viewer_stats.following));
  for (size_t i = 0; i < home.items.size() && i < 3; ++i) {
    const model::Post& p = home.items[i];
    fmt::print("      @{:<22} {}\n", p.author ? p.author->username : "?", Excerpt(p.content, 60));
  }

  // 2. Search: the first three letters of a well-known username, 20 hits (exact, prefix, full text).
  const std::string q = star_name.substr(0, std::min<size_t>(3, star_name.size()));
  query::Page<services::UserHit> hits;
  DAIRA_ASSIGN_OR_RETURN(auto t2, Time([&]() -> absl::Status {
                           DAIRA_ASSIGN_OR_RETURN(hits, search.Users(ctx, {.query = q, .limit = 20}));
                           return absl::OkStatus();
                         }, kServiceWarmRuns));
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → {} users{}\n", fmt::format("search users \"{}\" (20)", q),
             FormatDuration(t2.first), FormatDuration(t2.second), hits.items.size(),
             hits.has_more ? " (more on the next page)" : "");
  for (size_t i = 0; i < hits.items.size() && i < 3; ++i) {
    const services::UserHit& h = hits.items[i];
    fmt::print("      @{:<22} {}{}\n", h.username, h.display_name, h.is_verified ? "  (verified)" : "");
  }

  // 3. A user's stats: the denormalized counters, one row.
  model::UserStats stats;
  DAIRA_ASSIGN_OR_RETURN(auto t3, Time([&]() -> absl::Status {
                           DAIRA_ASSIGN_OR_RETURN(stats, profiles.Stats(ctx, star));
                           return absl::OkStatus();
                         }, kServiceWarmRuns));
  fmt::print("  {:<28} first {:>9}   warm {:>9}   → @{}\n", "user stats", FormatDuration(t3.first),
             FormatDuration(t3.second), star_name);
  fmt::print("      {} followers · {} following · {} posts · {} videos · {} likes received\n",
             FormatCount(stats.followers), FormatCount(stats.following), FormatCount(stats.posts),
             FormatCount(stats.videos), FormatCount(stats.likes_received));
  return absl::OkStatus();
}

int Run(const GlobalOptions& globals, const DemoArgs& args) {
  std::string url = globals.database;
  if (!globals.database_given) {
    url = "sqlite:" + (std::filesystem::temp_directory_path() / fmt::format("daira-demo-{}.db", ::getpid())).string();
  }
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return FailStatus("--database", parsed.status());
  if (parsed->scheme != "sqlite") {
    return Fail(kExitUsage, fmt::format("demo: --database must be a sqlite:PATH URL: the demo deletes and "
                                        "recreates the file (got {})",
                                        parsed->Redacted()));
  }
  if (parsed->path.empty() || parsed->path == ":memory:") {
    return Fail(kExitUsage, "demo: --database must name a file (got \"" + parsed->path + "\")");
  }
  absl::Status valid = store::DatabaseOptions::FromUrl(url).status();
  if (!valid.ok()) return FailStatus("--database", valid);
  if (absl::Status seed_ok = SeedOptionsFrom(args.seed).Validate(); !seed_ok.ok()) return FailStatus("", seed_ok);

  Stopwatch total;
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(parsed->path + suffix, ec);
  fmt::print("daira demo: a fresh embedded database at {}\n", parsed->path);

  auto db = OpenDatabase(url);
  if (!db.ok()) return FailStatus("", db.status());

  fmt::print("\nmigrate\n");
  Stopwatch sw;
  auto applied = ApplyMigrations(**db, /*quiet=*/false);
  if (!applied.ok()) return FailStatus("", applied.status());
  fmt::print("  {} migrations in {}\n", *applied, FormatDuration(sw.Elapsed()));

  fmt::print("\nseed\n");
  absl::Status seeded = SeedAndReport(**db, args.seed, 2);
  if (!seeded.ok()) return FailStatus("", seeded);

  absl::Status queried = SampleQueries(**db);
  if (!queried.ok()) return FailStatus("", queried);
  absl::Status served = ServiceQueries(**db);
  if (!served.ok()) return FailStatus("", served);
  absl::Status cached = CachedFeedDemo(**db);
  if (!cached.ok()) return FailStatus("", cached);
  if (absl::Status chatted = ChatDemo(**db); !chatted.ok()) return FailStatus("", chatted);  // demo_chat.cc
  if (absl::Status paid = DemoMoney(**db); !paid.ok()) return FailStatus("", paid);  // demo_money.cc
  if (absl::Status moderated = DemoModeration(**db); !moderated.ok()) return FailStatus("", moderated);

  fmt::print("\ndone in {}. Look around: daira --database {} stats\n", FormatDuration(total.Elapsed()), url);
  return kExitOk;
}

}  // namespace

Command AddDemoCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* app = root.add_subcommand(
      "demo", "a fresh embedded database (sqlite:PATH, deleted first; a temp file by default): migrate, seed a "
              "small world, run sample queries and the services (home feed, user search, user stats), then two users "
              "chat (presence, typing, a notification), all timed");
  AddSeedOptions(*app, args->seed);
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
