// Shared pieces of the `daira` command-line tool: global options, exit codes, opening the database,
// one-line error reporting and human-readable formatting. One file per command registers it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "daira/store/seed.h"

namespace CLI {
class App;
class Validator;
}  // namespace CLI

namespace daira::inline v0::cli {

// Exit codes: 0 success, 1 the command ran and failed (database down, unhealthy), 2 bad usage
// (unknown flag, malformed URL, out-of-range count).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

inline constexpr std::string_view kDefaultDatabase = "sqlite:./daira.db";

struct GlobalOptions {
  std::string database = std::string(kDefaultDatabase);  // --database / DAIRA_DATABASE
  bool database_given = false;                           // set explicitly (flag or environment)
};

// A registered subcommand: its CLI11 app and what runs when it was chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command AddMigrateCommand(CLI::App& root, const GlobalOptions& globals);
Command AddSeedCommand(CLI::App& root, const GlobalOptions& globals);
Command AddHealthCommand(CLI::App& root, const GlobalOptions& globals);
Command AddStatsCommand(CLI::App& root, const GlobalOptions& globals);
Command AddDemoCommand(CLI::App& root, const GlobalOptions& globals);
Command AddRecountCommand(CLI::App& root, const GlobalOptions& globals);
Command AddKeysCommand(CLI::App& root, const GlobalOptions& globals);
Command AddQueuesCommand(CLI::App& root, const GlobalOptions& globals);  // the event bus (queues_command.cc)
Command AddWorkerCommand(CLI::App& root, const GlobalOptions& globals);  // the event bus (worker_command.cc)
Command AddAuditCommand(CLI::App& root, const GlobalOptions& globals);   // the audit log (audit_command.cc)
// `daira demo`'s moderation section (demo_moderation.cc): a report, a SUSPEND taking effect, the chain verified.
absl::Status DemoModeration(store::Database& db);
// The money part of `daira demo` (demo_money.cc): an earning, a tip with a fee, a retried tip, the ledger.
absl::Status DemoMoney(store::Database& db);

// Prints "daira: <message>" (one line: newlines folded) to stderr and returns `code`.
int Fail(int code, std::string_view message);
// Fails with `what: <status message>`; InvalidArgument → kExitUsage, anything else → kExitRuntime.
int FailStatus(std::string_view what, const absl::Status& status);

// Validates `url` (DatabaseOptions::FromUrl) and opens it. Errors are prefixed "--database: ".
absl::StatusOr<std::unique_ptr<store::Database>> OpenDatabase(std::string_view url);

// "850 µs", "12.3 ms", "4.56 s".
std::string FormatDuration(std::chrono::nanoseconds d);
// "1,234,567".
std::string FormatCount(int64_t n);
// n per second over d, as "1.23M", "45.6k", "789" (the caller adds the unit, e.g. "rows/s").
std::string FormatRate(int64_t n, std::chrono::nanoseconds d);

// Applies pending migrations one at a time, printing "  applied <name>  <time>" for each (unless
// `quiet`); returns how many were applied. FailedPrecondition (applying nothing) when an applied
// migration changed or the database was migrated by a newer build.
absl::StatusOr<int> ApplyMigrations(store::Database& db, bool quiet);

// Seeds `db` (migrated, empty) and prints the counts per table, the time and rows/s (indented by
// `indent` spaces). Returns the seed's error unchanged.


// Seed sizes from the command line; -1 means "derive from posts" (videos posts/10, comments 2×posts,
// likes 5×posts, the ratios of store::SeedOptions' defaults).
struct SeedArgs {
  int64_t users = 1000;
  int64_t posts = 10000;
  int64_t videos = -1;
  int64_t comments = -1;
  int64_t likes = -1;
  int64_t avg_following = 20;
  uint64_t seed = 42;
};
// A CLI11 check: a decimal integer >= 0 ("must be a non-negative integer (got "-5")").
const CLI::Validator& NonNegative();
// Registers --users --posts --videos --comments --likes --follows --seed on `app` (counts >= 0).
void AddSeedOptions(CLI::App& app, SeedArgs& args);
// The store::SeedOptions the arguments ask for (derived counts filled in).
store::SeedOptions SeedOptionsFrom(const SeedArgs& args);
// Seeds `db` (migrated, empty) and prints the counts per table, the time and rows/s, each line
// indented by `indent` spaces. Returns the seed's error unchanged.
absl::Status SeedAndReport(store::Database& db, const SeedArgs& args, int indent);

// A steady-clock stopwatch.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  std::chrono::nanoseconds Elapsed() const { return std::chrono::steady_clock::now() - start_; }
  void Restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Runs `fn` once cold, then `warm_runs` times; returns {first, mean of the warm runs} (the demo's timings).
inline constexpr int kDemoWarmRuns = 1000;
template <typename Fn>
absl::StatusOr<std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds>> Time(Fn fn,
                                                                                   int warm_runs = kDemoWarmRuns) {
  Stopwatch sw;
  DAIRA_RETURN_IF_ERROR(fn());
  const auto first = sw.Elapsed();
  sw.Restart();
  for (int i = 0; i < warm_runs; ++i) DAIRA_RETURN_IF_ERROR(fn());
  return std::make_pair(first, sw.Elapsed() / warm_runs);
}

}  // namespace daira::inline v0::cli
