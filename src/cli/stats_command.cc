// `daira stats [--json]`: pool statistics per endpoint and row counts per table.
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/store/schema_info.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct StatsArgs {
  bool json = false;
};

int Run(const GlobalOptions& globals, const StatsArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  RequestContext ctx({.correlation_id = "", .caller = "cli:stats", .timeout = std::chrono::milliseconds(0)});
  absl::StatusOr<std::vector<store::TableRowCount>> counts = store::CountRows(**db, ctx);
  if (!counts.ok()) return FailStatus("stats", counts.status());
  // Pool statistics last, so they include the work above.
  std::vector<store::PoolStats> pools = (*db)->Stats();

  if (args.json) {
    JsonWriter w;
    w.BeginObject().Key("backend").String((*db)->dialect().name()).Key("pools").BeginArray();
    for (const auto& p : pools) {
      w.BeginObject()
          .Key("endpoint").String(p.endpoint)
          .Key("open").Int(p.open).Key("in_use").Int(p.in_use).Key("idle").Int(p.idle)
          .Key("acquires").Int(p.acquires).Key("waits").Int(p.waits).Key("timeouts").Int(p.timeouts)
          .Key("created").Int(p.created).Key("discarded").Int(p.discarded)
          .Key("statements").Int(p.statements).Key("errors").Int(p.errors)
          .Key("slow_statements").Int(p.slow_statements)
          .Key("acquire_p50_us").Int(p.acquire_p50_us).Key("acquire_p99_us").Int(p.acquire_p99_us)
          .EndObject();
    }
    w.EndArray().Key("tables").BeginObject();
    for (const auto& c : *counts) w.Key(c.table).Int(c.rows);
    w.EndObject().EndObject();
    fmt::print("{}\n", w.Take());
    return kExitOk;
  }

  fmt::print("backend  {}\n\n", (*db)->dialect().name());
  fmt::print("pools (primary first, then replicas)\n");
  for (const auto& p : pools) {
    fmt::print("  {}\n", p.endpoint);
    fmt::print("    connections  open {}  in use {}  idle {}  created {}  discarded {}\n", p.open, p.in_use,
               p.idle, p.created, p.discarded);
    fmt::print("    leases       {} acquired  {} waited  {} timed out  p50 {} µs  p99 {} µs\n",
               FormatCount(p.acquires), FormatCount(p.waits), FormatCount(p.timeouts), p.acquire_p50_us,
               p.acquire_p99_us);
    fmt::print("    statements   {}  errors {}  slow {}\n", FormatCount(p.statements), FormatCount(p.errors),
               FormatCount(p.slow_statements));
  }
  fmt::print("\ntables ({})\n", counts->size());
  size_t width = 0;
  for (const auto& c : *counts) width = std::max(width, c.table.size());
  for (const auto& c : *counts) fmt::print("  {:<{}}  {:>12}\n", c.table, width, FormatCount(c.rows));
  if (counts->empty()) fmt::print("  (none: run `daira migrate`)\n");
  return kExitOk;
}

}  // namespace

Command AddStatsCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* app = root.add_subcommand("stats", "pool statistics per endpoint and row counts per table");
  app->add_flag("--json", args->json, "print one JSON object");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
