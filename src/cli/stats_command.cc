// `daira stats [--json] [--cache URL] [--realtime URL]`: pool statistics per endpoint, row counts per
// table, the cache (its backend, URL redacted, TTL policy, per-namespace counts, circuit breaker) and,
// when a real-time URL is given, the hub (its backend and circuit breaker).
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cache/open_cache.h"
#include "cli/cli.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/realtime/hub.h"
#include "daira/store/schema_info.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct StatsArgs {
  bool json = false;
  std::string cache;     // --cache / DAIRA_CACHE; default memory:
  std::string realtime;  // --realtime / DAIRA_REALTIME; default none (no real-time section)
};

void BreakerJson(JsonWriter& w, const resilience::CircuitBreaker& b) {
  const resilience::BreakerCounts k = b.counts();
  w.Key("breaker")
      .BeginObject()
      .Key("state")
      .String(resilience::BreakerStateName(b.state()))
      .Key("successes")
      .Int(k.successes)
      .Key("failures")
      .Int(k.failures)
      .Key("rejected")
      .Int(k.rejected)
      .Key("opened")
      .Int(k.opened)
      .Key("consecutive_failures")
      .Int(k.consecutive_failures)
      .EndObject();
}

void BreakerText(const resilience::CircuitBreaker& b) {
  const resilience::BreakerCounts k = b.counts();
  fmt::print("  breaker    {}  successes {}  failures {}  rejected {}  opened {}\n",
             resilience::BreakerStateName(b.state()), FormatCount(k.successes), FormatCount(k.failures),
             FormatCount(k.rejected), FormatCount(k.opened));
}

// The cache section. Counts are this process's (a cache keeps them in memory), so for a running
// application read platform.cache().Stats(); here they show the backend answering (one probe read).
void CacheJson(JsonWriter& w, cache::Cache& c) {
  w.Key("cache").BeginObject().Key("backend").String(c.Name()).Key("url").String(c.Describe());
  w.Key("round_trips").Int(c.round_trips()).Key("policy").BeginArray();
  for (const std::string& line : c.policy().Describe()) w.String(line);
  w.EndArray().Key("namespaces").BeginArray();
  for (const cache::NamespaceStats& n : c.Stats()) {
    w.BeginObject().Key("ns").String(n.ns).Key("hits").Int(n.hits).Key("misses").Int(n.misses)
        .Key("sets").Int(n.sets).Key("evictions").Int(n.evictions).Key("expirations").Int(n.expirations)
        .Key("errors").Int(n.errors).Key("hit_rate").Double(n.HitRate()).EndObject();
  }
  w.EndArray();
  if (const resilience::CircuitBreaker* b = c.breaker()) BreakerJson(w, *b);
  if (std::optional<cache::NearCacheStats> n = c.near_stats()) {
    w.Key("near").BeginObject().Key("usable").Bool(n->usable).Key("max_bytes").Int(n->max_bytes)
        .Key("ttl_ms").Int(n->ttl_ms).Key("bytes").Int(n->bytes).Key("entries").Int(n->entries)
        .Key("hits").Int(n->hits).Key("misses").Int(n->misses).Key("fills").Int(n->fills)
        .Key("evictions").Int(n->evictions).Key("invalidations").Int(n->invalidations)
        .Key("clears").Int(n->clears).Key("resubscribes").Int(n->resubscribes).EndObject();
  }
  w.EndObject();
}

void CacheText(cache::Cache& c) {
  fmt::print("\ncache  {} ({})\n", c.Name(), c.Describe());
  fmt::print("  policy\n");
  for (const std::string& line : c.policy().Describe()) fmt::print("    {}\n", line);
  fmt::print("  counts of this process (an application reads platform.cache().Stats())\n");
  for (const cache::NamespaceStats& n : c.Stats()) {
    fmt::print("    {:<10} hits {}  misses {}  hit rate {:.2f}  sets {}  evictions {}  expired {}  errors {}\n", n.ns,
               FormatCount(n.hits), FormatCount(n.misses), n.HitRate(), FormatCount(n.sets), FormatCount(n.evictions),
               FormatCount(n.expirations), FormatCount(n.errors));
  }
  if (const resilience::CircuitBreaker* b = c.breaker()) BreakerText(*b);
  if (std::optional<cache::NearCacheStats> n = c.near_stats()) {
    fmt::print("  near       {}  {} of {} bytes  {} entries  ttl {}ms  hits {}  misses {}  invalidations {}  "
               "clears {}\n",
               n->usable ? "subscribed" : "unsubscribed (not served)", FormatCount(n->bytes),
               FormatCount(n->max_bytes), FormatCount(n->entries), n->ttl_ms, FormatCount(n->hits),
               FormatCount(n->misses), FormatCount(n->invalidations), FormatCount(n->clears));
  }
}

int Run(const GlobalOptions& globals, const StatsArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  RequestContext ctx({.correlation_id = "", .caller = "cli:stats", .timeout = std::chrono::milliseconds(0)});
  absl::StatusOr<std::vector<store::TableRowCount>> counts = store::CountRows(**db, ctx);
  if (!counts.ok()) return FailStatus("stats", counts.status());
  // Pool statistics last, so they include the work above.
  std::vector<store::PoolStats> pools = (*db)->Stats();
  std::string cache_url = args.cache;
  if (cache_url.empty() && std::getenv("DAIRA_CACHE") != nullptr) cache_url = std::getenv("DAIRA_CACHE");
  if (cache_url.empty()) cache_url = "memory:";
  absl::StatusOr<std::unique_ptr<cache::Cache>> cache = cache::OpenCache(cache_url);
  if (!cache.ok()) return FailStatus("stats: cache", cache.status());
  (*cache)->Get("custom:daira-stats-probe").IgnoreError();  // one round trip: the backend answers
  std::string realtime_url = args.realtime;
  if (realtime_url.empty() && std::getenv("DAIRA_REALTIME") != nullptr)
    realtime_url = std::getenv("DAIRA_REALTIME");
  std::unique_ptr<realtime::Hub> hub;
  if (!realtime_url.empty()) {
    absl::StatusOr<std::unique_ptr<realtime::Hub>> opened = realtime::OpenHub(realtime_url);
    if (!opened.ok()) return FailStatus("stats: realtime", opened.status());
    hub = *std::move(opened);
    // One round trip through the breaker: the backend answers (a channel nobody uses: empty history).
    hub->Recover("topic:daira-stats-probe", {}).IgnoreError();
  }

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
    w.EndObject();
    CacheJson(w, **cache);
    if (hub != nullptr) {
      w.Key("realtime").BeginObject().Key("backend").String(hub->Name());
      if (const resilience::CircuitBreaker* b = hub->breaker()) BreakerJson(w, *b);
      w.EndObject();
    }
    w.EndObject();
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
  CacheText(**cache);
  if (hub != nullptr) {
    fmt::print("\nrealtime  {}\n", hub->Name());
    if (const resilience::CircuitBreaker* b = hub->breaker()) BreakerText(*b);
  }
  return kExitOk;
}

}  // namespace

Command AddStatsCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* app = root.add_subcommand("stats", "pool statistics per endpoint, row counts per table, and the cache");
  app->add_flag("--json", args->json, "print one JSON object");
  app->add_option("--cache", args->cache, "cache URL: memory: (default) or redis://host:port/db?prefix=... "
                                          "(or DAIRA_CACHE); shows its backend, policy and counts");
  app->add_option("--realtime", args->realtime,
                  "real-time URL: memory: or redis://host:port/db?prefix=... (or DAIRA_REALTIME); shows the "
                  "hub's backend and circuit breaker");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
