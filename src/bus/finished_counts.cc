#include "bus/finished_counts.h"

#include <vector>

#include "daira/core/status.h"

namespace daira::inline v0::bus::internal {

bool IsFinishedState(std::string_view state) {
  return state == "COMPLETED" || state == "DEAD" || state == "CANCELLED";
}

void FinishedDelta::Add(std::string_view queue, std::string_view state, int64_t n) {
  if (n == 0 || !IsFinishedState(state)) return;
  int64_t& d = deltas_[{std::string(queue), std::string(state)}];
  d += n;
  if (d == 0) deltas_.erase({std::string(queue), std::string(state)});
}

std::string FinishedDelta::Upsert(int64_t writer, std::vector<store::Value>& params) const {
  std::string sql = "INSERT INTO bus_finished_counts (queue, state, writer, n) VALUES ";
  bool first = true;
  for (const auto& [key, n] : deltas_) {
    sql += first ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
    first = false;
    params.insert(params.end(), {store::Value(key.first), store::Value(key.second), store::Value(writer),
                                 store::Value(n)});
  }
  return sql + " ON CONFLICT (queue, state, writer) DO UPDATE SET n = bus_finished_counts.n + excluded.n";
}

std::string FinishedDelta::Cte(int64_t writer, std::vector<store::Value>& params) const {
  return "finished_counts AS (" + Upsert(writer, params) + ")";
}

absl::Status FinishedDelta::Record(store::Connection& c, int64_t writer) const {
  if (deltas_.empty()) return absl::OkStatus();
  std::vector<store::Value> params;
  params.reserve(4 * deltas_.size());
  const std::string sql = Upsert(writer, params);
  return c.Execute(sql, params).status();
}

absl::Status CompactFinishedCounts(store::Database& db, const RequestContext& ctx, bool pg) {
  constexpr char kFold[] =
      " ON CONFLICT (queue, state, writer) DO UPDATE SET n = bus_finished_counts.n + excluded.n";
  if (pg) {
    return db
        .Execute(ctx,
                 std::string("WITH gone AS (DELETE FROM bus_finished_counts b USING (SELECT queue, state, writer "
                             "FROM bus_finished_counts WHERE writer <> 0 FOR UPDATE SKIP LOCKED) l WHERE "
                             "b.queue = l.queue AND b.state = l.state AND b.writer = l.writer RETURNING b.queue, "
                             "b.state, b.n) INSERT INTO bus_finished_counts (queue, state, writer, n) SELECT queue, "
                             "state, 0, SUM(n) FROM gone GROUP BY queue, state") +
                     kFold,
                 {})
        .status();
  }
  return db.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute(std::string("INSERT INTO bus_finished_counts (queue, state, writer, n) "
                                                 "SELECT queue, state, 0, SUM(n) FROM bus_finished_counts WHERE "
                                                 "writer <> 0 GROUP BY queue, state") +
                                        kFold,
                                    {})
                              .status());
    return c.Execute("DELETE FROM bus_finished_counts WHERE writer <> 0", {}).status();
  });
}

}  // namespace daira::inline v0::bus::internal
