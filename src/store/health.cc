#include "daira/store/health.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/store/migrator.h"

namespace daira::inline v0::store {
namespace {

using Micros = std::chrono::microseconds;

Micros Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<Micros>(std::chrono::steady_clock::now() - start);
}

// A status as one line (libpq messages carry newlines and tabs): the report has one line per component.
std::string StatusText(const absl::Status& s) {
  std::string text(ToStd(s.ToString()));
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

ComponentHealth CheckPrimary(Database& db, const RequestContext& ctx) {
  ComponentHealth c{.component = "primary", .ok = false, .detail = "", .latency = Micros(0)};
  auto lease = db.Acquire(ctx, Access::kWrite);
  if (!lease.ok()) {
    c.detail = absl::StrCat(db.endpoint(), ": ", ToAbsl(StatusText(lease.status())));
    return c;
  }
  auto start = std::chrono::steady_clock::now();
  absl::Status ping = (*lease)->Ping();
  c.latency = Since(start);
  if (!ping.ok()) {
    c.detail = absl::StrCat(db.endpoint(), ": ", ToAbsl(StatusText(ping)));
    return c;
  }
  c.ok = true;
  c.detail = db.endpoint();
  return c;
}

// Which endpoint's acquire counter moved between two Stats() snapshots (-1: none or ambiguous).
int MovedEndpoint(const std::vector<PoolStats>& before, const std::vector<PoolStats>& after) {
  int moved = -1;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    if (after[i].acquires > before[i].acquires) {
      if (moved != -1) return -1;
      moved = static_cast<int>(i);
    }
  }
  return moved;
}

// Replicas cannot be addressed one by one through the public API: reads are routed by the pool.
// So read leases are taken a few times per replica and each is attributed to the endpoint whose
// acquire counter moved; a replica that never serves one is reported as not serving reads (the
// pool skips replicas that fail or lag more than max_replica_lag).
std::vector<ComponentHealth> CheckReplicas(Database& db, const RequestContext& ctx) {
  std::vector<PoolStats> stats = db.Stats();
  if (stats.size() <= 1) return {};
  const size_t replicas = stats.size() - 1;
  std::vector<ComponentHealth> out(replicas);
  std::vector<bool> seen(replicas, false);
  for (size_t i = 0; i < replicas; ++i) {
    // SQLite's second "endpoint" is its pool of reader connections on the same file.
    out[i].component = db.backend() == Backend::kSqlite ? std::string("readers")
                                                         : absl::StrCat("replica ", stats[i + 1].endpoint);
    out[i].detail = "reads are not routed to it (down, or lagging more than max_replica_lag)";
  }
  size_t seen_count = 0;
  const size_t attempts = 4 * replicas + 2;
  for (size_t a = 0; a < attempts && seen_count < replicas; ++a) {
    std::vector<PoolStats> before = db.Stats();
    auto lease = db.Acquire(ctx, Access::kRead);
    if (!lease.ok()) break;  // the primary check reports why reads cannot run
    std::vector<PoolStats> after = db.Stats();
    int idx = MovedEndpoint(before, after);
    if (idx <= 0) continue;  // served by the primary, or unknown (concurrent traffic)
    size_t r = static_cast<size_t>(idx) - 1;
    if (r >= replicas || seen[r]) continue;
    seen[r] = true;
    ++seen_count;
    auto start = std::chrono::steady_clock::now();
    absl::Status ping = (*lease)->Ping();
    out[r].latency = Since(start);
    if (!ping.ok()) {
      out[r].detail = StatusText(ping);
      continue;
    }
    auto lag = (*lease)->ReplicaLagMillis();
    out[r].ok = true;
    out[r].detail = lag.ok() ? absl::StrCat("serving reads, replay lag ", *lag, " ms")
                             : absl::StrCat("serving reads, lag unknown: ", ToAbsl(StatusText(lag.status())));
  }
  return out;
}

ComponentHealth CheckMigrations(Database& db, const RequestContext& ctx) {
  ComponentHealth c{.component = "migrations", .ok = false, .detail = "", .latency = Micros(0)};
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Migrator>> migrator = Migrator::Create(db);
  if (!migrator.ok()) {
    c.detail = StatusText(migrator.status());
    return c;
  }
  absl::StatusOr<std::vector<MigrationStatus>> status = (*migrator)->Status(ctx);
  c.latency = Since(start);
  if (!status.ok()) {
    c.detail = StatusText(status.status());
    return c;
  }
  size_t applied = 0;
  std::vector<std::string> pending, changed, unknown;
  for (const MigrationStatus& m : *status) {
    if (m.applied) ++applied;
    if (m.unknown) {
      unknown.push_back(m.name);
    } else if (!m.applied) {
      pending.push_back(m.name);
    } else if (m.changed) {
      changed.push_back(m.name);
    }
  }
  c.detail = absl::StrCat(applied, " applied");
  if (!pending.empty()) {
    absl::StrAppend(&c.detail, ", ", pending.size(), " pending (first: ", pending.front(), "); run `daira migrate`");
  }
  if (!changed.empty()) {
    absl::StrAppend(&c.detail, ", ", changed.size(), " changed since applied (first: ", changed.front(), ")");
  }
  if (!unknown.empty()) {
    // The database is ahead of this build (a newer build migrated it): its schema is at least as new
    // as this build expects, so this alone is not unhealthy, but this build will not migrate it.
    absl::StrAppend(&c.detail, ", ", unknown.size(), " applied by a newer build (first: ", unknown.front(), ")");
  }
  c.ok = pending.empty() && changed.empty();
  if (c.ok && unknown.empty()) absl::StrAppend(&c.detail, ", current");
  return c;
}

}  // namespace

std::string HealthReport::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("ok").Bool(ok).Key("components").BeginArray();
  for (const ComponentHealth& c : components) {
    w.BeginObject()
        .Key("component").String(c.component)
        .Key("ok").Bool(c.ok)
        .Key("detail").String(c.detail)
        .Key("latency_us").Int(c.latency.count())
        .EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

absl::StatusOr<HealthReport> CheckHealth(Database& db, const RequestContext& ctx) {
  DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline("health"));
  HealthReport report;
  report.components.push_back(CheckPrimary(db, ctx));
  const bool primary_ok = report.components.front().ok;
  for (ComponentHealth& r : CheckReplicas(db, ctx)) report.components.push_back(std::move(r));
  if (primary_ok) {
    report.components.push_back(CheckMigrations(db, ctx));
  } else {
    report.components.push_back(ComponentHealth{
        .component = "migrations", .ok = false, .detail = "not checked: primary unreachable", .latency = Micros(0)});
  }
  report.ok = true;
  for (const ComponentHealth& c : report.components) report.ok = report.ok && c.ok;
  return report;
}

}  // namespace daira::inline v0::store
