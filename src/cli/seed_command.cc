// `daira seed --users N --posts M [--seed S] [--videos V --comments C --likes L --follows F]`:
// migrate, then fill the database with the deterministic synthetic world of store::Seed.
#include <algorithm>
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
  const store::SeedOptions options = SeedOptionsFrom(args);
  RequestContext ctx({.correlation_id = "", .caller = "cli:seed", .timeout = std::chrono::milliseconds(0)});
  Stopwatch sw;
  DAIRA_ASSIGN_OR_RETURN(store::SeedReport r, store::Seed(db, ctx, options));
  const auto elapsed = sw.Elapsed();
  const int64_t rows = r.users + r.follows + r.posts + r.hashtags + r.post_hashtags + r.videos + r.comments + r.likes;
  const std::string pad(indent, ' ');
  fmt::print("{}seeded {} rows in {} ({} rows/s, seed {})\n", pad, FormatCount(rows), FormatDuration(elapsed),
             FormatRate(rows, elapsed), args.seed);
  const std::pair<const char*, int64_t> counts[] = {
      {"users", r.users},       {"follows", r.follows}, {"posts", r.posts},       {"hashtags", r.hashtags},
      {"post_hashtags", r.post_hashtags}, {"videos", r.videos}, {"comments", r.comments}, {"likes", r.likes},
  };
  for (const auto& [name, n] : counts) fmt::print("{}  {:<14} {:>12}\n", pad, name, FormatCount(n));
  return absl::OkStatus();
}

Command AddSeedCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<SeedArgs>();
  CLI::App* app = root.add_subcommand(
      "seed", "migrate, then fill an empty database with a deterministic synthetic world (users, follows, "
              "posts, videos, comments, likes); prints counts, time and rows/s");
  AddSeedOptions(*app, *args);
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
