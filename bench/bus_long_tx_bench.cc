// The Postgres bus while another session holds a transaction open (issue 12: SKIP LOCKED queues are
// known to lose throughput and bloat then, because no row version deleted or updated after that
// transaction's snapshot can be vacuumed, and every claim has to step over the dead versions).
//
// BM_PgQueueUnderLongTx/<open>: for DAIRA_BENCH_LONG_TX_S seconds (default 60) a producer keeps about
// 2,000 jobs not yet done (EnqueueMany of 500 whenever fewer are; it counts them itself, enqueued −
// completed, and asks the database nothing) and a WorkerPool of 4 threads runs a
// handler that does nothing; with open=1 a separate libpq session runs
// `BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM jobs` first and keeps that transaction
// open until the end. Counters:
//   jobs_per_s          completed jobs / run time
//   first_10s_per_s     completed jobs per second in the first 10 s
//   last_10s_per_s      … in the last 10 s (the difference shows the decay as dead versions pile up)
//   dead_tuples         pg_stat_user_tables.n_dead_tup of `jobs` at the end (stats flushed, 2 s after)
//   jobs_mib_start/end  pg_total_relation_size('jobs') before and after (MiB)
// Runs when DAIRA_BENCH_PG or DAIRA_TEST_PG holds a URL; schema daira_bus_long_tx_bench, dropped after.
//
//   DAIRA_BENCH_LONG_TX_S=60 ./build/release/bench/bus_long_tx_bench
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daira/bus/queue.h"
#include "daira/bus/worker_pool.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"
#include "daira/store/migrator.h"

namespace {

namespace bus = daira::bus;
namespace store = daira::store;
using daira::RequestContext;
using SteadyClock = std::chrono::steady_clock;

constexpr char kQueue[] = "analytics.ingest";
constexpr char kSchema[] = "daira_bus_long_tx_bench";
std::string g_admin_url;
std::string g_url;  // scoped to kSchema

bool PgOk(PGresult* r) {
  const bool ok = r != nullptr && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
  if (!ok && r != nullptr) std::fprintf(stderr, "bus_long_tx_bench: %s", PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

bool PgExec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  const bool ok = PQstatus(c) == CONNECTION_OK && PgOk(PQexec(c, sql.c_str()));
  PQfinish(c);
  return ok;
}

// One integer from a one-row, one-column query (-1 on error).
int64_t PgInt(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  int64_t v = -1;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
    v = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
  }
  PQclear(r);
  return v;
}

std::string WithParam(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

void BM_PgQueueUnderLongTx(benchmark::State& state) {
  const bool open_tx = state.range(0) != 0;
  const char* env_s = std::getenv("DAIRA_BENCH_LONG_TX_S");
  const int seconds = env_s != nullptr && std::atoi(env_s) >= 20 ? std::atoi(env_s) : 60;
  // A fresh schema per case: the second case must not start on the first one's dead versions.
  if (!PgExec(g_admin_url, std::string("DROP SCHEMA IF EXISTS ") + kSchema + " CASCADE; CREATE SCHEMA " + kSchema)) {
    state.SkipWithError("cannot create the bench schema");
    return;
  }
  auto db = store::Database::Open(g_url);
  if (!db.ok()) {
    state.SkipWithError(std::string(db.status().message()).c_str());
    return;
  }
  RequestContext ctx;
  auto migrator = store::Migrator::Create(**db);
  if (!migrator.ok() || !(*migrator)->Migrate(ctx).ok()) {
    state.SkipWithError("migrate failed");
    return;
  }
  auto queue = bus::OpenQueue("postgres:", db->get(), g_url);
  if (!queue.ok()) {
    state.SkipWithError(std::string(queue.status().message()).c_str());
    return;
  }
  PGconn* probe = PQconnectdb(g_url.c_str());
  PGconn* holder = nullptr;
  const int64_t size_start = PgInt(probe, "SELECT pg_total_relation_size('jobs')");
  for (auto _ : state) {
    if (open_tx) {
      holder = PQconnectdb(g_url.c_str());
      if (!PgOk(PQexec(holder, "BEGIN ISOLATION LEVEL REPEATABLE READ")) ||
          !PgOk(PQexec(holder, "SELECT count(*) FROM jobs"))) {
        state.SkipWithError("cannot open the long transaction");
        break;
      }
    }
    std::atomic<int64_t> done{0};
    bus::WorkerPool pool(**queue);
    (void)pool.Handle(
        kQueue,
        [&done](const RequestContext&, const bus::Job&) -> absl::StatusOr<std::string> {
          done.fetch_add(1, std::memory_order_relaxed);
          return std::string("{}");
        },
        4);
    std::atomic<bool> stop{false};
    std::thread producer([&] {
      RequestContext pctx;
      bus::EnqueueRequest r;
      r.queue = kQueue;
      r.name = "event";
      r.payload = R"({"user":42,"kind":"view"})";
      const std::vector<bus::EnqueueRequest> batch(500, r);
      // Jobs not yet done = enqueued − completed, counted here: Queue::Counts counts every state of the
      // queue (its COMPLETED arm reads every retained finished job, a linearly growing range), and
      // asked every 5 ms it was what decayed (session 18: 5.6k → 14.4k buffers per call within 30 s,
      // the producer 39 → 82 ms per refill, so the workers starved and the bench measured its producer).
      int64_t enqueued = 0;
      while (!stop.load()) {
        if (enqueued - done.load(std::memory_order_relaxed) >= 2000) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        if (auto ids = (*queue)->EnqueueMany(pctx, batch); ids.ok()) enqueued += static_cast<int64_t>(ids->size());
      }
    });
    if (!pool.Start().ok()) state.SkipWithError("pool start failed");
    const auto t0 = SteadyClock::now();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    const int64_t at10 = done.load();
    std::this_thread::sleep_for(std::chrono::seconds(seconds - 20));
    const int64_t before_last = done.load();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    const int64_t total = done.load();
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    stop.store(true);
    producer.join();
    pool.Shutdown(std::chrono::seconds(5));
    state.SetIterationTime(elapsed);
    state.counters["jobs_per_s"] = static_cast<double>(total) / elapsed;
    state.counters["first_10s_per_s"] = static_cast<double>(at10) / 10.0;
    state.counters["last_10s_per_s"] = static_cast<double>(total - before_last) / 10.0;
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // backends flush their table stats at most every second
  state.counters["dead_tuples"] =
      static_cast<double>(PgInt(probe, "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'jobs' "
                                       "AND schemaname = current_schema()"));
  state.counters["jobs_mib_start"] = static_cast<double>(size_start) / (1 << 20);
  state.counters["jobs_mib_end"] =
      static_cast<double>(PgInt(probe, "SELECT pg_total_relation_size('jobs')")) / (1 << 20);
  state.SetLabel(open_tx ? "another session holds a REPEATABLE READ transaction open throughout"
                         : "no long transaction");
  if (holder != nullptr) {
    PgOk(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
  }
  PQfinish(probe);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (const char* var : {"DAIRA_BENCH_PG", "DAIRA_TEST_PG"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      g_admin_url = v;
      break;
    }
  }
  if (g_admin_url.empty()) {
    std::fprintf(stderr, "bus_long_tx_bench: set DAIRA_BENCH_PG or DAIRA_TEST_PG to a PostgreSQL URL\n");
    return 1;
  }
  g_url = WithParam(g_admin_url, std::string("options=-csearch_path%3D") + kSchema);
  benchmark::RegisterBenchmark("BM_PgQueueUnderLongTx", BM_PgQueueUnderLongTx)
      ->Arg(0)
      ->Arg(1)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
  benchmark::RunSpecifiedBenchmarks();
  PgExec(g_admin_url, std::string("DROP SCHEMA IF EXISTS ") + kSchema + " CASCADE");
  benchmark::Shutdown();
  return 0;
}
