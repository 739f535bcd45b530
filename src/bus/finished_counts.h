// Finished-state count deltas of the SQL buses (migration 026, docs/bus.md "Counts"): collected while a
// transaction moves jobs into or out of COMPLETED, DEAD or CANCELLED, and added to bus_finished_counts
// in that same transaction under the caller's writer (one per thread), so no completion locks a row
// another thread's completion needs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/value.h"

namespace daira::inline v0::bus::internal {

// COMPLETED, DEAD or CANCELLED.
bool IsFinishedState(std::string_view state);

class FinishedDelta {
 public:
  // `n` jobs of `queue` entered (n > 0) or left (n < 0) `state`; not a finished state: ignored.
  void Add(std::string_view queue, std::string_view state, int64_t n);
  bool empty() const { return deltas_.empty(); }
  // One upsert (every (queue, state) of the delta) under `writer` on `c`, inside the moving transaction.
  absl::Status Record(store::Connection& c, int64_t writer) const;
  // Record's upsert as a CTE named `finished_counts` ("finished_counts AS (INSERT …)"), its parameters
  // appended to `params`: Postgres folds it into the metrics upsert, one statement (no round trip) more.
  std::string Cte(int64_t writer, std::vector<store::Value>& params) const;

 private:
  std::string Upsert(int64_t writer, std::vector<store::Value>& params) const;

  std::map<std::pair<std::string, std::string>, int64_t> deltas_;
};

// Folds every writer's rows into writer 0 (the totals do not change): bounds the rows a count sums to
// a few per (queue, state) and live writer. Postgres: one statement that skips rows a running
// transaction holds (that writer's next completion finds its row again); SQLite: one transaction.
absl::Status CompactFinishedCounts(store::Database& db, const RequestContext& ctx, bool pg);

}  // namespace daira::inline v0::bus::internal
