// `daira health [--json] [--timeout-ms N]`: reachable, round-trip latency, migrations current.
// Exit 0 when healthy, 1 when not (or unreachable), 2 for bad usage.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/store/health.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct HealthArgs {
  bool json = false;
  int timeout_ms = 5000;
};

void Print(const store::HealthReport& report, bool json) {
  if (json) {
    fmt::print("{}\n", report.ToJson());
    return;
  }
  size_t width = 0;
  for (const auto& c : report.components) width = std::max(width, c.component.size());
  for (const auto& c : report.components) {
    fmt::print("{:<4}  {:<{}}  {:>10}  {}\n", c.ok ? "ok" : "FAIL", c.component, width,
               c.latency.count() > 0 ? FormatDuration(c.latency) : "-", c.detail);
  }
  fmt::print("{}\n", report.ok ? "healthy" : "UNHEALTHY");
}

int Run(const GlobalOptions& globals, const HealthArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const std::chrono::milliseconds budget(args.timeout_ms);
  absl::StatusOr<store::DatabaseOptions> options = store::DatabaseOptions::FromUrl(globals.database);
  if (!options.ok()) return FailStatus("--database", options.status());
  // --timeout-ms bounds the whole check, connecting included: one connection, opened within the budget.
  options->connect_timeout = std::min(options->connect_timeout, budget);
  options->pool.pool_min = 0;
  auto db = store::Database::Open(*options);
  if (!db.ok()) {
    // Unreachable is a health answer, not a crash: report it in the same shape.
    std::string detail(ToStd(db.status().message()));
    for (char& c : detail) {
      if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    }
    store::HealthReport report;
    report.components.push_back(store::ComponentHealth{
        .component = "primary", .ok = false, .detail = detail, .latency = std::chrono::microseconds(0)});
    Print(report, args.json);
    return kExitRuntime;
  }
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  RequestContext ctx({.correlation_id = "", .caller = "cli:health",
                      .timeout = std::max(std::chrono::milliseconds(1), budget - spent)});
  absl::StatusOr<store::HealthReport> report = store::CheckHealth(**db, ctx);
  if (!report.ok()) return FailStatus("health", report.status());
  Print(*report, args.json);
  return report->ok ? kExitOk : kExitRuntime;
}

}  // namespace

Command AddHealthCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<HealthArgs>();
  CLI::App* app = root.add_subcommand(
      "health", "check the database: primary reachable (round-trip latency), replicas serving reads, "
                "migrations current; exit 1 when unhealthy");
  app->add_flag("--json", args->json, "print the report as one JSON object");
  app->add_option("--timeout-ms", args->timeout_ms, "time budget for the whole check, milliseconds")
      ->check(CLI::Range(1, 3600 * 1000))
      ->capture_default_str();
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
