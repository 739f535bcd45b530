// `daira queues`: the event bus's queues (docs/bus.md).
//   daira queues [--json]              counts per queue (waiting, delayed, active, completed, dead, ...)
//   daira queues --stuck               every active job: lease owner and expiry ("EXPIRED" when past)
//   daira queues dlq QUEUE [--limit N] dead jobs: id, attempts, last error
//   daira queues replay QUEUE [ID...]  dead jobs back to waiting (all of the queue's without ids)
// The counts are followed by the run-time metrics the bus keeps (bus::Queue::Metrics: completed and
// failed attempts, jobs/s, due → start and start → finish p50/p99 over the last 1 and 5 minutes) and
// the repeatable job definitions (schedule, next and last occurrence).
// The bus is the database's own (sqlite: / postgres:); --bus URL may add queue overrides.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/bus/queue.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/resilience/circuit_breaker.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct QueuesArgs {
  std::string bus;  // "" = the database's own backend
  bool json = false;
  bool stuck = false;
  std::string queue;
  int limit = 50;
  std::vector<int64_t> ids;
  CLI::App* dlq = nullptr;
  CLI::App* replay = nullptr;
};

std::string Iso(Clock::TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "850us", "3.2ms", "1.4s", "2.5min"; "-" with no sample.
std::string FormatMicros(const bus::LatencyPercentiles& l, std::chrono::microseconds v) {
  if (l.samples == 0) return "-";
  const double us = static_cast<double>(v.count());
  if (us < 1000) return fmt::format("{:.0f}us", us);
  if (us < 1e6) return fmt::format("{:.3g}ms", us / 1e3);
  if (us < 60e6) return fmt::format("{:.3g}s", us / 1e6);
  return fmt::format("{:.3g}min", us / 60e6);
}

void WriteLatency(JsonWriter& w, std::string_view key, const bus::LatencyPercentiles& l) {
  w.Key(key).BeginObject().Key("samples").Int(l.samples).Key("p50_us").Int(l.p50.count());
  w.Key("p99_us").Int(l.p99.count()).EndObject();
}

void WriteMetrics(JsonWriter& w, std::string_view key, const bus::QueueMetrics& m) {
  w.Key(key).BeginObject().Key("span_s").Int(m.span.count()).Key("completed").Int(m.completed);
  w.Key("failed").Int(m.failed).Key("throughput").Double(m.throughput);
  WriteLatency(w, "wait", m.wait);
  WriteLatency(w, "run", m.run);
  w.EndObject();
}

int Run(const GlobalOptions& globals, const QueuesArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  const std::string url = args.bus.empty() ? std::string((*db)->dialect().name()) + ":" : args.bus;
  auto queue = bus::OpenQueue(url, db->get(), globals.database);
  if (!queue.ok()) return FailStatus("--bus", queue.status());
  bus::Queue& q = **queue;
  RequestContext ctx({.correlation_id = "", .caller = "cli:queues", .timeout = std::chrono::milliseconds(0)});

  if (args.dlq != nullptr && args.dlq->parsed()) {
    auto dead = q.List(ctx, args.queue, bus::JobState::kDead, args.limit);
    if (!dead.ok()) return FailStatus("queues dlq", dead.status());
    if (args.json) {
      JsonWriter w;
      w.BeginArray();
      for (const auto& j : *dead) {
        w.BeginObject().Key("id").Int(j.id).Key("name").String(j.name).Key("attempts").Int(j.attempt);
        w.Key("payload").Raw(j.payload).Key("errors").BeginArray();
        for (const auto& e : j.errors) {
          w.BeginObject().Key("attempt").Int(e.attempt).Key("at").String(Iso(e.at)).Key("worker").String(
              e.worker);
          w.Key("message").String(e.message).EndObject();
        }
        w.EndArray().EndObject();
      }
      fmt::print("{}\n", w.EndArray().Take());
      return kExitOk;
    }
    fmt::print("{} dead job(s) in {}\n", dead->size(), args.queue);
    for (const auto& j : *dead) {
      const std::string last = j.errors.empty() ? "" : j.errors.back().message;
      fmt::print("  {}  {}  attempts {}  died {}  last error: {}\n", j.id,
                 j.name.empty() ? std::string_view("-") : j.name.view(), j.attempt, Iso(j.finished_at), last);
    }
    return kExitOk;
  }
  if (args.replay != nullptr && args.replay->parsed()) {
    auto n = q.Replay(ctx, args.queue, args.ids);
    if (!n.ok()) return FailStatus("queues replay", n.status());
    fmt::print("replayed {} job(s) in {}\n", *n, args.queue);
    return kExitOk;
  }
  if (args.stuck) {
    const Clock::TimePoint now = Clock::System()->Now();
    int64_t total = 0;
    for (const auto& s : q.options().queues) {
      auto active = q.List(ctx, s.name, bus::JobState::kActive, 10000);
      if (!active.ok()) return FailStatus("queues --stuck", active.status());
      for (const auto& j : *active) {
        fmt::print("{}  {}  owner {}  lease until {}{}  attempt {}/{}\n", s.name, j.id, j.lease_owner.view(),
                   Iso(j.lease_expires_at), j.lease_expires_at <= now ? " (EXPIRED)" : "", j.attempt,
                   j.max_attempts);
        ++total;
      }
    }
    if (total == 0) fmt::print("no active jobs\n");
    return kExitOk;
  }
  auto repeatables = q.ListRepeatables(ctx);
  if (!repeatables.ok()) return FailStatus("queues", repeatables.status());
  auto schedule = [](const bus::Repeatable& r) {
    return r.cron.empty() ? "every " + std::to_string(r.every.count()) + " ms" : "cron " + r.cron;
  };
  std::vector<bus::QueueCounts> all;
  std::vector<std::pair<bus::QueueMetrics, bus::QueueMetrics>> metrics;  // last 1 min, last 5 min
  for (const auto& s : q.options().queues) {
    auto c = q.Counts(ctx, s.name);
    if (!c.ok()) return FailStatus("queues", c.status());
    all.push_back(*c);
    auto one = q.Metrics(ctx, s.name, std::chrono::minutes(1));
    if (!one.ok()) return FailStatus("queues", one.status());
    auto five = q.Metrics(ctx, s.name, std::chrono::minutes(5));
    if (!five.ok()) return FailStatus("queues", five.status());
    metrics.emplace_back(*std::move(one), *std::move(five));
  }
  if (args.json) {
    JsonWriter w;
    w.BeginObject().Key("bus").String(q.Name());
    if (const resilience::CircuitBreaker* b = q.breaker()) {
      const resilience::BreakerCounts n = b->counts();
      w.Key("breaker").BeginObject().Key("state").String(resilience::BreakerStateName(b->state()));
      w.Key("successes").Int(n.successes).Key("failures").Int(n.failures).Key("rejected").Int(n.rejected);
      w.Key("opened").Int(n.opened).EndObject();
    }
    w.Key("queues").BeginArray();
    for (size_t i = 0; i < all.size(); ++i) {
      const bus::QueueCounts& c = all[i];
      w.BeginObject().Key("queue").String(c.queue).Key("waiting").Int(c.waiting).Key("delayed").Int(
          c.delayed);
      w.Key("active").Int(c.active).Key("completed").Int(c.completed).Key("dead").Int(c.dead);
      w.Key("cancelled").Int(c.cancelled).Key("paused").Bool(c.paused);
      WriteMetrics(w, "last_1m", metrics[i].first);
      WriteMetrics(w, "last_5m", metrics[i].second);
      w.EndObject();
    }
    w.EndArray().Key("repeatables").BeginArray();
    for (const auto& r : *repeatables) {
      w.BeginObject().Key("queue").String(r.queue).Key("key").String(r.key).Key("name").String(r.name);
      w.Key("schedule").String(schedule(r)).Key("next_run_at").String(Iso(r.next_run_at));
      w.Key("last_run_at").String(r.last_run_at == Clock::TimePoint{} ? "" : Iso(r.last_run_at)).EndObject();
    }
    fmt::print("{}\n", w.EndArray().EndObject().Take());
    return kExitOk;
  }
  fmt::print("bus  {}\n", q.Name());
  if (const resilience::CircuitBreaker* b = q.breaker()) {
    // This process's breaker (its calls above): open means Redis failed and was not asked again.
    const resilience::BreakerCounts n = b->counts();
    fmt::print("breaker  {}  successes {}  failures {}  rejected {}  opened {}\n",
               resilience::BreakerStateName(b->state()), n.successes, n.failures, n.rejected, n.opened);
  }
  fmt::print("\n");
  fmt::print("{:<24} {:>9} {:>9} {:>9} {:>11} {:>9} {:>10}\n", "queue", "waiting", "delayed", "active",
             "completed", "dead", "cancelled");
  for (const auto& c : all) {
    fmt::print("{:<24} {:>9} {:>9} {:>9} {:>11} {:>9} {:>10}{}\n", c.queue, FormatCount(c.waiting),
               FormatCount(c.delayed), FormatCount(c.active), FormatCount(c.completed), FormatCount(c.dead),
               FormatCount(c.cancelled), c.paused ? "  (paused)" : "");
  }
  fmt::print(
      "\nmetrics: attempts finished and latency over the last 5 min (jobs/s also over 1 min); p50/p99 "
      "are bucket upper bounds (at most 41% high)\n");
  fmt::print("{:<24} {:>9} {:>7} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "queue", "completed", "failed",
             "jobs/s 1m", "jobs/s 5m", "wait p50", "wait p99", "run p50", "run p99");
  for (const auto& [one, five] : metrics) {
    fmt::print("{:<24} {:>9} {:>7} {:>10.4g} {:>10.4g} {:>9} {:>9} {:>9} {:>9}\n", five.queue,
               FormatCount(five.completed), FormatCount(five.failed), one.throughput, five.throughput,
               FormatMicros(five.wait, five.wait.p50), FormatMicros(five.wait, five.wait.p99),
               FormatMicros(five.run, five.run.p50), FormatMicros(five.run, five.run.p99));
  }
  fmt::print("\n{} repeatable job(s)\n", repeatables->size());
  for (const auto& r : *repeatables) {
    fmt::print("  {}  {}  {}  next {}  last {}\n", r.queue, r.key, schedule(r), Iso(r.next_run_at),
               r.last_run_at == Clock::TimePoint{} ? "-" : Iso(r.last_run_at));
  }
  return kExitOk;
}

}  // namespace

Command AddQueuesCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<QueuesArgs>();
  CLI::App* app = root.add_subcommand("queues", "event bus queues: counts, stuck jobs, dead letters, replay");
  app->add_option("--bus", args->bus, "bus URL (default: the database's own, sqlite: or postgres:)");
  app->add_flag("--json", args->json, "print JSON");
  app->add_flag("--stuck", args->stuck, "list every active job with its lease owner and expiry");
  args->dlq = app->add_subcommand("dlq", "list the dead jobs of a queue");
  args->dlq->add_option("queue", args->queue, "queue name")->required();
  args->dlq->add_option("--limit", args->limit, "at most this many (1..10000)")->capture_default_str();
  args->dlq->add_flag("--json", args->json, "print JSON");
  args->replay = app->add_subcommand("replay", "move dead jobs back to waiting");
  args->replay->add_option("queue", args->queue, "queue name")->required();
  args->replay->add_option("ids", args->ids, "job ids (default: every dead job of the queue)");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
