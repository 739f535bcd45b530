// `daira migrate [--status]`: apply pending migrations (each printed with its time), or list them.
#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/store/cursor_keys.h"
#include "daira/store/migrator.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct MigrateArgs {
  bool status = false;
};

RequestContext CliContext() {
  return RequestContext({.correlation_id = "", .caller = "cli:migrate", .timeout = std::chrono::milliseconds(0)});
}

std::string FormatMicrosSinceEpoch(int64_t us) {
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

int PrintStatus(store::Database& db) {
  auto migrator = store::Migrator::Create(db);
  if (!migrator.ok()) return FailStatus("migrate", migrator.status());
  RequestContext ctx = CliContext();
  auto rows = (*migrator)->Status(ctx);
  if (!rows.ok()) return FailStatus("migrate --status", rows.status());
  size_t width = 4;
  for (const auto& m : *rows) width = std::max(width, m.name.size());
  int pending = 0;
  for (const auto& m : *rows) {
    std::string state = m.unknown ? "applied (unknown to this build)"
                        : m.changed ? "applied (CHANGED since)"
                        : m.applied ? "applied"
                                    : "pending";
    if (!m.applied) ++pending;
    fmt::print("{:<{}}  {:<32}  {}\n", m.name, width, state,
               m.applied ? FormatMicrosSinceEpoch(m.applied_at) : std::string());
  }
  fmt::print("{} migrations, {} pending ({})\n", rows->size(), pending, db.dialect().name());
  return kExitOk;
}

int Run(const GlobalOptions& globals, const MigrateArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  if (args.status) return PrintStatus(**db);
  Stopwatch total;
  auto applied = ApplyMigrations(**db, /*quiet=*/false);
  if (!applied.ok()) return FailStatus("", applied.status());
  // The first cursor key (migration 012's cursor_keys), so every instance opened later shares it.
  {
    RequestContext ctx = CliContext();
    if (absl::Status keys = store::CursorKeys::Ensure(**db, ctx); !keys.ok()) return FailStatus("migrate", keys);
  }
  if (*applied == 0) {
    fmt::print("schema is current: nothing to apply ({})\n", (*db)->endpoint());
  } else {
    fmt::print("applied {} migration{} in {} ({})\n", *applied, *applied == 1 ? "" : "s",
               FormatDuration(total.Elapsed()), (*db)->endpoint());
  }
  return kExitOk;
}

}  // namespace

absl::StatusOr<int> ApplyMigrations(store::Database& db, bool quiet) {
  RequestContext ctx = CliContext();
  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<store::Migrator> all, store::Migrator::Create(db));
  DAIRA_ASSIGN_OR_RETURN(std::vector<store::MigrationStatus> rows, all->Status(ctx));
  for (const auto& m : rows) {
    // Let the migrator refuse with its own message (applying nothing).
    if (m.changed || m.unknown) {
      DAIRA_RETURN_IF_ERROR(all->Migrate(ctx));
      break;
    }
  }
  // One migration at a time, so each is timed: a migrator over the prefix up to and including it.
  const std::vector<store::Migration>& known = all->migrations();
  int applied = 0;
  for (size_t i = 0; i < known.size(); ++i) {
    bool pending = false;
    for (const auto& m : rows) pending = pending || (m.name == known[i].name && !m.applied);
    if (!pending) continue;
    store::MigratorOptions options;
    options.migrations = std::vector<store::Migration>(known.begin(), known.begin() + i + 1);
    DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<store::Migrator> one, store::Migrator::Create(db, options));
    Stopwatch sw;
    DAIRA_RETURN_IF_ERROR(one->Migrate(ctx));
    ++applied;
    if (!quiet) fmt::print("  applied {:<28} {:>10}\n", known[i].name, FormatDuration(sw.Elapsed()));
  }
  return applied;
}

Command AddMigrateCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<MigrateArgs>();
  CLI::App* app = root.add_subcommand("migrate", "apply pending schema migrations, each printed with its time");
  app->add_flag("--status", args->status, "list every migration as applied or pending; apply nothing");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
