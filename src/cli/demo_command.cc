// `daira demo [--database sqlite:PATH] [--users N --posts M --seed S]`: a fresh embedded database
// (the file is deleted first; a temp file when --database is not given), migrated and seeded with a
// small world, then a few sample queries with their timings. It grows as the platform does.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct DemoArgs {
  SeedArgs seed{.users = 2000, .posts = 20000, .videos = 1000, .comments = 10000, .likes = 20000};
};

constexpr int kWarmRuns = 1000;

// Runs `fn` once cold, then kWarmRuns times; returns {first, mean of the warm runs}.
template <typename Fn>
absl::StatusOr<std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds>> Time(Fn fn, int warm_runs = kWarmRuns) {
  Stopwatch sw;
  DAIRA_RETURN_IF_ERROR(fn());
  const auto first = sw.Elapsed();
  sw.Restart();
  for (int i = 0; i < warm_runs; ++i) DAIRA_RETURN_IF_ERROR(fn());
  return std::make_pair(first, sw.Elapsed() / warm_runs);
}

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

  fmt::print("\ndone in {}. Look around: daira --database {} stats\n", FormatDuration(total.Elapsed()), url);
  return kExitOk;
}

}  // namespace

Command AddDemoCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* app = root.add_subcommand(
      "demo", "a fresh embedded database (sqlite:PATH, deleted first; a temp file by default): migrate, seed a "
              "small world, run sample queries, all timed");
  AddSeedOptions(*app, args->seed);
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
