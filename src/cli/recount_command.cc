// `daira recount [--repair] [--json] [--cache URL] [--fanout-max-followers N]`: checks every denormalized
// counter against the rows it counts (services::Recount) and, with --repair, fixes the ones that disagree in
// one transaction. Exit 0 when every counter is exact (or was repaired), 1 when counters disagree and
// --repair was not given (so scripts and CI can use it as a check), 1 on database errors.
#include <algorithm>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cache/open_cache.h"
#include "cli/cli.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/services/feed_options.h"
#include "daira/services/recount.h"
#include "daira/services/service_deps.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct RecountArgs {
  bool repair = false;
  bool json = false;
  std::string cache;  // --cache: the application's (shared) cache, whose feed lists a repair may drop
  int64_t fanout_max_followers = services::FeedCacheOptions{}.fanout_max_followers;
};

int Run(const GlobalOptions& globals, const RecountArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  RequestContext ctx({.correlation_id = "", .caller = "cli:recount", .timeout = std::chrono::milliseconds(0)});
  Stopwatch watch;
  if (args.fanout_max_followers <= 0) {
    return Fail(kExitUsage, fmt::format("recount: --fanout-max-followers must be > 0 (got {})",
                                        args.fanout_max_followers));
  }
  std::unique_ptr<cache::Cache> feed_cache;
  if (!args.cache.empty()) {
    absl::StatusOr<std::unique_ptr<cache::Cache>> opened = cache::OpenCache(args.cache);
    if (!opened.ok()) return FailStatus("recount: --cache", opened.status());
    feed_cache = *std::move(opened);
  }
  // With a cache, a repair that moves an author across the fan-out threshold drops its readers'
  // cached feeds as the live path does (services::Recount(deps, ...)).
  const services::ServiceDeps deps{.db = db->get(),
                                   .cache = feed_cache.get(),
                                   .feed_cache = {.fanout_max_followers = args.fanout_max_followers}};
  absl::StatusOr<services::RecountReport> report = services::Recount(deps, ctx, {.repair = args.repair});
  if (!report.ok()) return FailStatus("", report.status());
  const auto& found = report->discrepancies;

  if (args.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("counters_checked").Int(report->counters_checked)
        .Key("repaired").Bool(report->repaired)
        .Key("discrepancies").BeginArray();
    for (const auto& d : found) {
      w.BeginObject()
          .Key("table").String(d.table).Key("id").Int(d.id).Key("column").String(d.column)
          .Key("stored").Int(d.stored).Key("actual").Int(d.actual)
          .EndObject();
    }
    w.EndArray().EndObject();
    fmt::print("{}\n", w.Take());
  } else {
    for (const auto& d : found) {
      fmt::print("  {}.{}  id {}  stored {}  actual {}\n", d.table, d.column, d.id, d.stored, d.actual);
    }
    fmt::print("{} counters checked, {} disagree{}  ({})\n", report->counters_checked, FormatCount(found.size()),
               report->repaired && !found.empty() ? ", repaired" : "", FormatDuration(watch.Elapsed()));
  }
  // Wallet balances are never repaired (services/recount.h): a difference from the ledger always fails.
  const auto money = std::count_if(found.begin(), found.end(),
                                   [](const auto& d) { return d.table == "wallets" && d.column == "balance"; });
  if (money > 0) {
    return Fail(kExitRuntime, fmt::format("recount: {} wallet balances disagree with their ledger lines (never "
                                          "repaired automatically; see docs/money.md)",
                                          money));
  }
  if (!found.empty() && !report->repaired) {
    return Fail(kExitRuntime, fmt::format("recount: {} counters disagree with their rows (run `daira recount "
                                          "--repair` to fix them)",
                                          found.size()));
  }
  return kExitOk;
}

}  // namespace

Command AddRecountCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<RecountArgs>();
  CLI::App* app = root.add_subcommand("recount", "check every counter against the rows it counts (--repair fixes)");
  app->add_flag("--repair", args->repair, "set every disagreeing counter to its recount, in one transaction");
  app->add_flag("--json", args->json, "print one JSON object");
  app->add_option(
      "--cache", args->cache,
      "the application's cache URL (redis://...): a repair that moves an author across the feed's "
      "fan-out threshold drops its readers' cached feeds there");
  app->add_option("--fanout-max-followers", args->fanout_max_followers,
                  "the application's FeedCacheOptions::fanout_max_followers (default 10000)");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
