// A health check of a SQL database: is the primary reachable and how fast, does each read replica
// serve reads, is the schema at the version this build of daira embeds.
//
//   RequestContext ctx({.timeout = std::chrono::seconds(2)});
//   DAIRA_ASSIGN_OR_RETURN(store::HealthReport report, store::CheckHealth(*db, ctx));
//   for (const store::ComponentHealth& c : report.components) {
//     std::cout << c.component << (c.ok ? " ok " : " FAIL ") << c.latency.count() << "us " << c.detail << "\n";
//   }
//   if (!report.ok) return 1;                      // e.g. a load balancer's readiness probe
//   std::string body = report.ToJson();            // {"ok":true,"components":[...]}
//
// Components, in order: "primary" (a ping on a write lease); one "replica <endpoint>" per configured
// Postgres replica (a ping on a read lease that replica served, plus its replay lag; a replica the
// pool skips because it is down or lags more than max_replica_lag is not ok), or "readers" for
// SQLite's reader connections; "migrations" (applied versus the migrations this build embeds: not ok
// while any is pending or an applied one changed; migrations applied by a newer build are noted but
// ok). An unhealthy component is reported, not returned as an error: the report's `ok` is true only
// when every component is ok.
//
// Thread-safety: CheckHealth may be called from any thread (it only uses the Database's thread-safe
// API); the report is a plain value.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace daira::inline v0::store {

struct ComponentHealth {
  std::string component;                 // "primary", "replica <redacted url>", "readers", "migrations"
  bool ok = false;
  std::string detail;                    // human-readable: what was seen, or what is wrong
  std::chrono::microseconds latency{0};  // round trip of the probe (0 when not measured)
};

struct HealthReport {
  bool ok = false;  // every component is ok
  std::vector<ComponentHealth> components;

  // {"ok":bool,"components":[{"component":"...","ok":bool,"detail":"...","latency_us":N},...]}
  // (a single line, strings JSON-escaped).
  std::string ToJson() const;
};

// Probes `db` as described above. Failures of the database itself land in the report (ok=false with
// the error as detail); the returned status is an error only when the check itself could not run:
// DeadlineExceeded when `ctx`'s deadline passed before it started.
absl::StatusOr<HealthReport> CheckHealth(Database& db, const RequestContext& ctx);

}  // namespace daira::inline v0::store
