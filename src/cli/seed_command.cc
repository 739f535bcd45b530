// `daira seed --users N --posts M [--seed S] [--videos V --comments C --likes L --follows F]`:
// migrate, then fill the database with the deterministic synthetic world of store::Seed.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/store/seed.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

// One progress line on stderr, redrawn at most every 200 ms while seeding, only when stderr is a
// terminal (a pipe or a file gets the final report only).
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() {
    if (drawn_) std::fputs("\r\033[K", stderr);  // the report takes its place
  }
  void Update(const store::SeedProgress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(200) && p.rows_written < p.rows_total) return;
    last_ = now;
    drawn_ = true;
    const double secs = std::chrono::duration<double>(p.elapsed).count();
    const double rate = secs > 0 ? static_cast<double>(p.rows_written) / secs : 0;
    const int64_t left = std::max<int64_t>(0, p.rows_total - p.rows_written);
    const std::string eta =
        left == 0  ? std::string("0 s")
        : rate > 0 ? FormatDuration(std::chrono::nanoseconds(static_cast<int64_t>(left / rate * 1e9)))
                   : "?";
    fmt::print(stderr, "\r\033[Kseeding {}: {} / {} rows ({}%), {} rows/s, {} left", p.table,
               FormatCount(p.rows_written), FormatCount(p.rows_total),
               p.rows_total > 0 ? p.rows_written * 100 / p.rows_total : 100,
               FormatRate(p.rows_written, p.elapsed), eta);
    std::fflush(stderr);
  }

 private:
  const bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

int Run(const GlobalOptions& globals, const SeedArgs& args) {
  // A bad request is refused before anything is opened, created or migrated.
  if (absl::Status valid = SeedOptionsFrom(args).Validate(); !valid.ok()) return FailStatus("", valid);
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  Stopwatch sw;
  auto applied = ApplyMigrations(**db, /*quiet=*/false);
  if (!applied.ok()) return FailStatus("", applied.status());
  if (*applied > 0) fmt::print("migrated: {} applied in {}\n", *applied, FormatDuration(sw.Elapsed()));
  absl::Status seeded = SeedAndReport(**db, args, 0);
  if (!seeded.ok()) return FailStatus("", seeded);
  return kExitOk;
}

}  // namespace

void AddSeedOptions(CLI::App& app, SeedArgs& args) {
  app.add_option("--users", args.users, "users, each with a profile and a wallet")
      ->check(NonNegative())
      ->capture_default_str();
  app.add_option("--posts", args.posts, "posts")->check(NonNegative())->capture_default_str();
  app.add_option("--videos", args.videos, "videos (default: posts/10)")->check(NonNegative());
  app.add_option("--comments", args.comments, "comments, about 30% replies (default: 2 x posts)")
      ->check(NonNegative());
  app.add_option("--likes", args.likes, "likes on posts, videos and comments (default: 5 x posts)")
      ->check(NonNegative());
  app.add_option("--follows", args.avg_following, "mean follows per user (capped at users-1)")
      ->check(NonNegative())
      ->capture_default_str();
  // NonNegative: CLI11 would otherwise wrap "-1" into 2^64-1 silently.
  app.add_option("--seed", args.seed, "random seed: the same seed and sizes give the same rows")
      ->check(NonNegative())
      ->capture_default_str();
}

store::SeedOptions SeedOptionsFrom(const SeedArgs& args) {
  store::SeedOptions options;
  options.users = args.users;
  options.posts = args.posts;
  options.videos = args.videos >= 0 ? args.videos : args.posts / 10;
  options.comments = args.comments >= 0 ? args.comments : args.posts * 2;
  options.likes = args.likes >= 0 ? args.likes : args.posts * 5;
  options.avg_following = args.users < 2 ? 0 : std::min(args.avg_following, args.users - 1);
  options.seed = args.seed;
  return options;
}

absl::Status SeedAndReport(store::Database& db, const SeedArgs& args, int indent) {
  store::SeedOptions options = SeedOptionsFrom(args);
  RequestContext ctx({.correlation_id = "", .caller = "cli:seed", .timeout = std::chrono::milliseconds(0)});
  Stopwatch sw;
  absl::StatusOr<store::SeedReport> seeded;
  {
    ProgressLine line(::isatty(STDERR_FILENO) == 1);
    options.on_progress = [&line](const store::SeedProgress& p) { line.Update(p); };
    seeded = store::Seed(db, ctx, options);
  }
  DAIRA_ASSIGN_OR_RETURN(store::SeedReport r, std::move(seeded));
  const auto elapsed = sw.Elapsed();
  const int64_t rows =
      r.users + r.follows + r.posts + r.hashtags + r.post_hashtags + r.videos + r.comments + r.likes;
  const std::string pad(indent, ' ');
  fmt::print("{}seeded {} rows in {} ({} rows/s, seed {})\n", pad, FormatCount(rows), FormatDuration(elapsed),
             FormatRate(rows, elapsed), args.seed);
  const std::pair<const char*, int64_t> counts[] = {
      {"users", r.users},
      {"follows", r.follows},
      {"posts", r.posts},
      {"hashtags", r.hashtags},
      {"post_hashtags", r.post_hashtags},
      {"videos", r.videos},
      {"comments", r.comments},
      {"likes", r.likes},
  };
  for (const auto& [name, n] : counts) fmt::print("{}  {:<14} {:>12}\n", pad, name, FormatCount(n));
  return absl::OkStatus();
}

Command AddSeedCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<SeedArgs>();
  CLI::App* app = root.add_subcommand(
      "seed",
      "migrate, then fill an empty database with a deterministic synthetic world (users, follows, "
      "posts, videos, comments, likes); prints counts, time and rows/s");
  AddSeedOptions(*app, *args);
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
