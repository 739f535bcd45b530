// The event bus (docs/bus.md) per backend against raw-driver queue loops in the same run.
//
// Cases (items/s = jobs/s):
//   BM_Enqueue/<bus>          one Enqueue per job (each its own transaction on SQL buses)
//   BM_EnqueueBulk/<bus>      EnqueueMany of 1,000 jobs (one INSERT statement per 500)
//   BM_EndToEnd/<bus>         1,000 jobs bulk-enqueued, then one worker claims + completes each
//   BM_RawSqliteQueue         plain sqlite3: INSERT 1,000 rows in one transaction, then per job
//                             UPDATE … RETURNING claim + DELETE (autocommit), on the same file settings
//   BM_RawPgSkipLocked        plain libpq: INSERT 1,000 rows in one statement, then per job
//                             UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING + DELETE
//   BM_EndToEndWorkers/<bus>/4  as BM_EndToEnd with 4 worker threads claiming at once (one claim + one
//                             complete per job: the one-at-a-time comparison)
//   BM_EndToEndBatch/<bus>    one thread: NextBatch of 64, then one FinishMany per batch
//   BM_EndToEndFused/<bus>    one thread: FinishManyAndNextBatch (a batch's acks with the next claim of 64)
//   BM_EndToEndPool/<bus>/threads:N/batched:1  a WorkerPool of N threads with its defaults (prefetch 16,
//                             acks batched every 2 ms across threads); batched:0 = prefetch 1, ack_flush 0
//                             (this and BM_EndToEndBatch count hand-offs per 1,000 jobs: vcsw_per_1k,
//                             ivcsw_per_1k, and on SQL buses commits_per_1k, writer_waits_per_1k: HandOffs)
//   BM_RawRedisLpushBrpop     plain hiredis: one LPUSH of 1,000 payloads, then one BRPOP per job
//   BM_Latency/<bus>/0        enqueue → handler start at an idle queue: a WorkerPool (1 thread, blocking
//                             waits) runs; one job is enqueued, the next once the previous started.
//                             Counters p50_us / p99_us (from just before Enqueue to the handler's first line)
//   BM_Latency/<bus>/5000     the same at a steady 5,000 jobs/s: 1,000 jobs per iteration, one at a time
//                             (Enqueue, not EnqueueMany) by kLatencyProducers threads, each on its own
//                             fixed schedule (together one job every 200 µs: one producer alone cannot
//                             keep that rate where an Enqueue is a round trip with a commit, ~240 µs on
//                             Postgres); also achieved_per_s (jobs started / the iterations' time)
// Redis cases (bus=redis://, the Lua-script bus; no database, so no outbox) run when DAIRA_BENCH_REDIS or
// DAIRA_TEST_REDIS holds a URL (keys under the prefix daira-bus-bench:<pid>:, deleted afterwards).
// Labels say whether a job is durable when Enqueue returns (memory: no; sqlite: WAL, synchronous=normal:
// survives a process crash, not a power cut; postgres: yes). Postgres cases run when DAIRA_BENCH_PG or
// DAIRA_TEST_PG holds a URL (schemas daira_bus_bench*, dropped afterwards unless DAIRA_BENCH_KEEP_SCHEMA=1).
// Each case starts from the same state whatever ran before it (Reset): a new queue on new storage — a new
// SQLite database file, a new Postgres schema (daira_bus_bench_c<N>), a new Redis key prefix (<prefix>c<N>:)
// — nothing drained (docs/performance.md, "Bench method").
//
//   ./build/release/bench/bus_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
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

constexpr int kBatch = 1000;
constexpr char kQueue[] = "analytics.ingest";

struct Backend {
  std::string name;
  std::string db_url;
  std::string bus_url;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<bus::Queue> queue;
  const char* durable;
  std::string scope;  // Postgres: the current case's schema; Redis: its key prefix ("" = the first Open's)
};

bool Connect(Backend& b);

std::string g_sqlite_file;
std::string g_pg_admin;  // the URL given (no search_path)
std::string g_pg_url;    // scoped to the bench schema (the raw baseline's)
std::vector<std::unique_ptr<Backend>> g_backends;
std::string g_redis_host;  // the Redis cases' server ("" = not run)
int g_redis_port = 0;
std::string g_redis_prefix;  // every bench key starts with it (case prefixes extend it)
std::string g_redis_url;     // the bus URL given, without prefix
int g_case = 0;              // cases started: numbers each Postgres case's schema and Redis case's prefix

// Hand-offs per 1,000 jobs (load-independent counts, session 18): the process's voluntary context
// switches (a thread slept: a condition variable, a futex, a busy handler's sleep) and involuntary ones
// (preempted), from getrusage(RUSAGE_SELF) over every thread; on SQL buses the writer's leases
// (transactions: one commit each) and the leases that had to wait for the writer (another thread of the
// process held it). Counters vcsw_per_1k, ivcsw_per_1k, commits_per_1k, writer_waits_per_1k. The pool
// case's own polling for the pool's progress (a sleep per look) is left out: Poll wraps it.
class HandOffs {
 public:
  explicit HandOffs(const Backend& b) : b_(b) { Read(start_); }
  // Runs `wait` (on this thread) and leaves its context switches out of the counts.
  template <typename Wait>
  void Poll(Wait&& wait) {
    rusage before{}, after{};
    getrusage(RUSAGE_THREAD, &before);
    wait();
    getrusage(RUSAGE_THREAD, &after);
    start_.vcsw += after.ru_nvcsw - before.ru_nvcsw;
    start_.ivcsw += after.ru_nivcsw - before.ru_nivcsw;
  }
  void Report(benchmark::State& state, int64_t jobs) const {
    Counts end;
    Read(end);
    const double k = jobs > 0 ? 1000.0 / static_cast<double>(jobs) : 0;
    state.counters["vcsw_per_1k"] = static_cast<double>(end.vcsw - start_.vcsw) * k;
    state.counters["ivcsw_per_1k"] = static_cast<double>(end.ivcsw - start_.ivcsw) * k;
    if (b_.db != nullptr) {
      state.counters["commits_per_1k"] = static_cast<double>(end.leases - start_.leases) * k;
      state.counters["writer_waits_per_1k"] = static_cast<double>(end.waits - start_.waits) * k;
    }
  }

 private:
  struct Counts {
    int64_t vcsw = 0, ivcsw = 0, leases = 0, waits = 0;
  };
  void Read(Counts& c) const {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    c.vcsw = u.ru_nvcsw;
    c.ivcsw = u.ru_nivcsw;
    if (b_.db == nullptr) return;
    const std::vector<store::PoolStats> stats = b_.db->Stats();
    if (!stats.empty()) {  // the first pool: the Postgres primary / the SQLite writer
      c.leases = stats.front().acquires;
      c.waits = stats.front().waits;
    }
  }
  const Backend& b_;
  Counts start_;
};

bus::EnqueueRequest Req() {
  bus::EnqueueRequest r;
  r.queue = kQueue;
  r.name = "event";
  r.payload = R"({"user":42,"kind":"view"})";
  return r;
}

redisContext* RedisConnect() {
  redisContext* c = redisConnect(g_redis_host.c_str(), g_redis_port);
  if (c != nullptr && c->err != 0) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

// Deletes every key under prefix (SCAN + DEL, never FLUSHDB).
void DropRedisPrefix(const std::string& prefix) {
  redisContext* c = RedisConnect();
  if (c == nullptr) return;
  const std::string pattern = prefix + "*";
  std::string cursor = "0";
  do {
    const char* argv[] = {"SCAN", cursor.c_str(), "MATCH", pattern.c_str(), "COUNT", "1000"};
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, 6, argv, nullptr));
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      if (r != nullptr) freeReplyObject(r);
      break;
    }
    cursor = r->element[0]->str;
    std::vector<const char*> del = {"DEL"};
    for (size_t i = 0; i < r->element[1]->elements; ++i) del.push_back(r->element[1]->element[i]->str);
    if (del.size() > 1) {
      auto* d =
          static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(del.size()), del.data(), nullptr));
      if (d != nullptr) freeReplyObject(d);
    }
    freeReplyObject(r);
  } while (cursor != "0");
  redisFree(c);
}

bool KeepSchema() {
  const char* keep = std::getenv("DAIRA_BENCH_KEEP_SCHEMA");
  return keep != nullptr && std::string(keep) == "1";
}

std::string WithParam(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

bool PgOk(PGresult* r);

// Runs each statement on a connection of the admin URL (not scoped to a bench schema).
bool PgAdmin(const std::vector<std::string>& statements) {
  PGconn* conn = PQconnectdb(g_pg_admin.c_str());
  // Without the NOTICE per object a DROP SCHEMA ... CASCADE lists on stderr.
  bool ok = PQstatus(conn) == CONNECTION_OK && PgOk(PQexec(conn, "SET client_min_messages = warning"));
  for (const std::string& sql : statements) ok = ok && PgOk(PQexec(conn, sql.c_str()));
  PQfinish(conn);
  return ok;
}

// Points b at a new, empty scope for the next case: Postgres a new schema (daira_bus_bench_c<N>, migrated
// by Connect; the previous case's dropped unless DAIRA_BENCH_KEEP_SCHEMA=1, so each case's statistics can
// be read afterwards), Redis a new key prefix (<bench prefix>c<N>:; the previous case's keys deleted).
void NewScope(Backend& b) {
  const std::string previous = b.scope;
  const std::string n = std::to_string(++g_case);
  if (b.name == "postgres") {
    b.scope = "daira_bus_bench_c" + n;
    std::vector<std::string> sql;
    if (!previous.empty() && !KeepSchema()) sql.push_back("DROP SCHEMA IF EXISTS " + previous + " CASCADE");
    sql.push_back("CREATE SCHEMA " + b.scope);
    if (!PgAdmin(sql)) std::fprintf(stderr, "bus_bench: postgres: cannot create %s\n", b.scope.c_str());
    b.db_url = WithParam(g_pg_admin, "options=-csearch_path%3D" + b.scope);
  } else {
    if (!previous.empty()) DropRedisPrefix(previous);
    b.scope = g_redis_prefix + "c" + n + ":";
    b.bus_url = WithParam(g_redis_url, "prefix=" + b.scope);
  }
}

// Every case starts from the same clean state, whatever ran before it (untimed): a new queue over new
// storage, nothing drained. Memory: the jobs the earlier cases completed (kept until retention: millions,
// ~1 GB of heap) are freed. SQLite: a new database file, so no case inherits the WAL, the freed pages or
// the checkpointer's backlog of the cases before it. Postgres: a new schema, migrated — new tables and
// indexes without the dead tuples and index entries of the ~10^5 jobs of the cases before, and no
// statistics (every case plans on the same empty ones, autovacuum's counters at zero). Redis: a new key
// prefix (the previous case's keys deleted by SCAN + DEL). Only the bench's own schemas and prefix.
void Reset(Backend& b) {
  b.queue.reset();
  b.db.reset();
  if (b.name == "sqlite") {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(g_sqlite_file + suffix);
  }
  if (b.name == "postgres" || b.name == "redis") NewScope(b);
  if (!Connect(b)) {
    std::fprintf(stderr, "bus_bench: %s: cannot reopen\n", b.name.c_str());
    std::abort();
  }
  // DAIRA_BENCH_MARK=1: a line on stderr where the case's own work begins (after this untimed reset), so a
  // trace (strace -e trace=write,...) can be split into what each case did and what its reset did; on
  // Postgres and Redis it names the case's schema / key prefix.
  if (const char* mark = std::getenv("DAIRA_BENCH_MARK"); mark != nullptr && *mark == '1')
    std::fprintf(stderr, "bus_bench: case starts %s\n", b.scope.c_str());
}

void BM_Enqueue(benchmark::State& state, Backend* b) {
  Reset(*b);
  RequestContext ctx;
  const bus::EnqueueRequest r = Req();
  for (auto _ : state) {
    auto res = b->queue->Enqueue(ctx, r);
    if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

// Concurrent single enqueues (session 18): state.range(0) threads, each making kPerThread Enqueue calls
// one at a time (an iteration: all of them); state.range(1) = 1: each Enqueue inside its own bound
// transaction (RunInTransaction, the application's shape; SQL backends only). On Postgres with fsync on,
// enqueueing commits that carried a NOTIFY committed one at a time (its database-wide commit lock is held
// through the WAL flush); without it they group-commit.
void BM_EnqueueConcurrent(benchmark::State& state, Backend* b) {
  constexpr int kPerThread = 50;
  Reset(*b);
  const int threads = static_cast<int>(state.range(0));
  const bool in_tx = state.range(1) == 1;
  const bus::EnqueueRequest r = Req();
  std::atomic<int> errors{0};
  for (auto _ : state) {
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t) {
      producers.emplace_back([&] {
        RequestContext ctx;
        for (int i = 0; i < kPerThread; ++i) {
          absl::Status st = in_tx ? b->db->RunInTransaction(ctx, [&](store::Connection&) {
            return b->queue->Enqueue(ctx, r).status();
          })
                                  : b->queue->Enqueue(ctx, r).status();
          if (!st.ok()) errors.fetch_add(1);
        }
      });
    }
    for (auto& p : producers) p.join();
  }
  if (errors.load() > 0) state.SkipWithError("an enqueue failed");
  state.SetItemsProcessed(state.iterations() * threads * kPerThread);
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

void BM_EnqueueBulk(benchmark::State& state, Backend* b) {
  Reset(*b);
  RequestContext ctx;
  const std::vector<bus::EnqueueRequest> batch(kBatch, Req());
  for (auto _ : state) {
    auto res = b->queue->EnqueueMany(ctx, batch);
    if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

void BM_EndToEnd(benchmark::State& state, Backend* b) {
  Reset(*b);
  RequestContext ctx;
  const std::vector<bus::EnqueueRequest> batch(kBatch, Req());
  bus::Worker worker(*b->queue, kQueue, "bench");
  for (auto _ : state) {
    auto res = b->queue->EnqueueMany(ctx, batch);
    if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
    for (int i = 0; i < kBatch; ++i) {
      auto job = worker.Next(ctx, std::chrono::milliseconds(0));
      if (!job.ok() || !job->has_value()) {
        state.SkipWithError("no job");
        break;
      }
      if (!worker.Complete(ctx, **job).ok()) state.SkipWithError("complete failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

void BM_EndToEndWorkers(benchmark::State& state, Backend* b) {
  Reset(*b);
  RequestContext ctx;
  const int workers = static_cast<int>(state.range(0));
  const std::vector<bus::EnqueueRequest> batch(kBatch, Req());
  for (auto _ : state) {
    auto res = b->queue->EnqueueMany(ctx, batch);
    if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([b, w] {
        RequestContext wctx;
        bus::Worker worker(*b->queue, kQueue, "bench-" + std::to_string(w));
        while (true) {
          auto job = worker.Next(wctx, std::chrono::milliseconds(0));
          if (!job.ok() || !job->has_value()) return;  // every job was enqueued before: none left
          (void)worker.Complete(wctx, **job);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

// The batch path by hand: one thread, NextBatch of 64 + one FinishMany per batch.
void BM_EndToEndBatch(benchmark::State& state, Backend* b) {
  Reset(*b);
  RequestContext ctx;
  const std::vector<bus::EnqueueRequest> batch(kBatch, Req());
  bus::Worker worker(*b->queue, kQueue, "bench-batch");
  const HandOffs hand_offs(*b);
  for (auto _ : state) {
    auto res = b->queue->EnqueueMany(ctx, batch);
    if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
    int done = 0;
    while (done < kBatch) {
      auto jobs = worker.NextBatch(ctx, 64, std::chrono::milliseconds(0));
      if (!jobs.ok() || jobs->empty()) {
        state.SkipWithError("no job");
        break;
      }
      std::vector<bus::Queue::JobOutcome> outcomes;
      for (const bus::Job& j : *jobs) outcomes.push_back({.job = &j});
      auto finished = worker.FinishMany(ctx, outcomes);
      if (!finished.ok()) state.SkipWithError("finish failed");
      done += static_cast<int>(jobs->size());
    }
  }
  hand_offs.Report(state, state.iterations() * kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

// The fused batch path: one thread, FinishManyAndNextBatch — the previous batch's acks and the next claim
// of 64 in one call (SQL buses: one transaction and one commit; Postgres: one round trip).
void BM_EndToEndFused(benchmark::State& state, Backend* b) {
  Reset(*b);
  RequestContext ctx;
  const std::vector<bus::EnqueueRequest> batch(kBatch, Req());
  bus::Worker worker(*b->queue, kQueue, "bench-fused");
  std::vector<bus::Job> jobs;
  std::vector<bus::Queue::JobOutcome> outcomes;
  for (auto _ : state) {
    auto res = b->queue->EnqueueMany(ctx, batch);
    if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
    int claimed = 0;
    auto first = worker.NextBatch(ctx, 64, std::chrono::milliseconds(0));
    if (!first.ok() || first->empty()) {
      state.SkipWithError("no job");
      break;
    }
    jobs = *std::move(first);
    while (!jobs.empty()) {
      claimed += static_cast<int>(jobs.size());
      outcomes.clear();
      for (const bus::Job& j : jobs) outcomes.push_back({.job = &j});
      // The last round claims nothing and only finishes (all 1,000 were claimed).
      auto next = worker.FinishManyAndNextBatch(ctx, outcomes, 64, std::chrono::milliseconds(0));
      if (!next.ok() || !next->claim_status.ok()) {
        state.SkipWithError("finish and claim failed");
        break;
      }
      jobs = std::move(next->claimed);
    }
    if (claimed != kBatch) state.SkipWithError("not every job was claimed");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

// What an application runs: a WorkerPool of N threads with its defaults (prefetch 16, acks batched
// every 2 ms across threads), or with prefetch=1 and ack_flush=0 (one claim + one ack per job) when
// the second argument is 0. The pool runs across iterations; each iteration bulk-enqueues 10 x 1,000
// jobs and waits until the pool has acked them (stored: committed on SQL buses).
constexpr int kPoolRounds = 10;

// How long an iteration waits for the pool's 10,000 jobs: 30 s, or DAIRA_BENCH_POOL_GIVE_UP_S (under
// callgrind an iteration on SQLite takes longer than 30 s).
std::chrono::seconds PoolGiveUp() {
  const char* v = std::getenv("DAIRA_BENCH_POOL_GIVE_UP_S");
  const int64_t s = v == nullptr ? 0 : std::strtoll(v, nullptr, 10);
  return std::chrono::seconds(s > 0 ? s : 30);
}

void BM_EndToEndPool(benchmark::State& state, Backend* b) {
  Reset(*b);
  const int threads = static_cast<int>(state.range(0));
  const bool batched = state.range(1) != 0;
  bus::WorkerPoolOptions options{.worker_id_prefix = "bench-pool",
                                 .wait = std::chrono::milliseconds(1000),
                                 .clean_interval = std::chrono::milliseconds(0)};
  if (!batched) {
    options.prefetch = 1;
    options.ack_flush = std::chrono::milliseconds(0);
  }
  bus::WorkerPool pool(*b->queue, options);
  absl::Status handled = pool.Handle(
      kQueue,
      [](const RequestContext&, const bus::Job&) -> absl::StatusOr<std::string> { return std::string(); },
      threads);
  if (!handled.ok() || !pool.Start().ok()) {
    state.SkipWithError("worker pool");
    return;
  }
  RequestContext ctx;
  const std::vector<bus::EnqueueRequest> batch(kBatch, Req());
  int64_t expected = 0;
  HandOffs hand_offs(*b);
  for (auto _ : state) {
    for (int i = 0; i < kPoolRounds; ++i) {
      auto res = b->queue->EnqueueMany(ctx, batch);
      if (!res.ok()) state.SkipWithError(std::string(res.status().message()).c_str());
    }
    expected += kPoolRounds * kBatch;
    const auto give_up = std::chrono::steady_clock::now() + PoolGiveUp();
    hand_offs.Poll([&] {
      while (pool.processed() < expected && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
    if (pool.processed() < expected) {
      state.SkipWithError("the pool did not finish 10,000 jobs in time (DAIRA_BENCH_POOL_GIVE_UP_S)");
      break;
    }
  }
  hand_offs.Report(state, state.iterations() * kPoolRounds * kBatch);
  pool.Shutdown(std::chrono::milliseconds(1000));
  state.SetItemsProcessed(state.iterations() * kPoolRounds * kBatch);
  state.SetLabel(std::string(batched ? "prefetch 16, acks batched; " : "one claim + one ack per job; ") +
                 "durable at return: " + b->durable);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Producer threads of BM_Latency's steady-rate case (an application enqueues from its request threads).
constexpr int kLatencyProducers = 4;

void BM_Latency(benchmark::State& state, Backend* b) {
  using SteadyClock = std::chrono::steady_clock;
  Reset(*b);
  const int64_t rate = state.range(0);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> us;
  int64_t started = 0;
  bus::WorkerPool pool(*b->queue, {.worker_id_prefix = "bench-latency",
                                   .wait = std::chrono::milliseconds(1000),
                                   .clean_interval = std::chrono::milliseconds(0)});
  absl::Status handled = pool.Handle(
      kQueue,
      [&](const RequestContext&, const bus::Job& job) -> absl::StatusOr<std::string> {
        const int64_t now = SteadyClock::now().time_since_epoch().count();
        const size_t colon = job.payload.view().find(':');
        const int64_t t0 = std::strtoll(job.payload.c_str() + colon + 1, nullptr, 10);
        {
          std::lock_guard lock(mu);
          us.push_back(static_cast<double>(now - t0) / 1000.0);
          ++started;
        }
        cv.notify_all();
        return std::string();
      },
      1);
  if (!handled.ok() || !pool.Start().ok()) {
    state.SkipWithError("worker pool");
    return;
  }
  // Producer p enqueues jobs p, p + n, p + 2n, … of the iteration, job i at start + i × period: the
  // producers together keep the schedule, each with n periods per Enqueue.
  auto produce = [&](int p, int n, int64_t jobs, SteadyClock::time_point start, std::chrono::nanoseconds period) {
    RequestContext ctx;
    bus::EnqueueRequest r = Req();
    for (int64_t i = p; i < jobs; i += n) {
      std::this_thread::sleep_until(start + i * period);
      r.payload = "{\"t\":" + std::to_string(SteadyClock::now().time_since_epoch().count()) + "}";
      if (!b->queue->Enqueue(ctx, r).ok()) return false;
    }
    return true;
  };
  int64_t expected = 0;
  for (auto _ : state) {
    const int64_t jobs = rate == 0 ? 1 : 1000;
    const int producers = rate == 0 ? 1 : kLatencyProducers;
    const auto period = std::chrono::nanoseconds(rate == 0 ? 0 : 1000000000 / rate);
    const auto start = SteadyClock::now();
    std::vector<std::thread> others;
    std::atomic<bool> ok{true};
    for (int p = 1; p < producers; ++p) {
      others.emplace_back([&, p] {
        if (!produce(p, producers, jobs, start, period)) ok = false;
      });
    }
    if (!produce(0, producers, jobs, start, period)) ok = false;
    for (std::thread& t : others) t.join();
    if (!ok) {
      state.SkipWithError("enqueue failed");
      break;
    }
    expected += jobs;
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return started >= expected; })) {
      state.SkipWithError("jobs did not start within 10 s");
      break;
    }
  }
  pool.Shutdown(std::chrono::milliseconds(1000));
  std::lock_guard lock(mu);
  state.counters["p50_us"] = Percentile(us, 0.50);
  state.counters["p99_us"] = Percentile(us, 0.99);
  if (rate > 0) {
    state.counters["achieved_per_s"] =
        benchmark::Counter(static_cast<double>(started), benchmark::Counter::kIsRate);
  }
  state.SetLabel(std::string("durable at return: ") + b->durable);
}

// ---- Raw baselines ----

void BM_RawRedisLpushBrpop(benchmark::State& state) {
  redisContext* c = RedisConnect();
  if (c == nullptr) {
    state.SkipWithError("redisConnect");
    return;
  }
  const std::string key = g_redis_prefix + "raw";
  const std::string payload = Req().payload;
  std::vector<const char*> lpush = {"LPUSH", key.c_str()};
  for (int i = 0; i < kBatch; ++i) lpush.push_back(payload.c_str());
  for (auto _ : state) {
    auto* r =
        static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(lpush.size()), lpush.data(), nullptr));
    if (r == nullptr) {
      state.SkipWithError("LPUSH");
      break;
    }
    freeReplyObject(r);
    for (int i = 0; i < kBatch; ++i) {
      const char* brpop[] = {"BRPOP", key.c_str(), "1"};
      auto* p = static_cast<redisReply*>(redisCommandArgv(c, 3, brpop, nullptr));
      const bool got = p != nullptr && p->type == REDIS_REPLY_ARRAY;
      if (p != nullptr) freeReplyObject(p);
      if (!got) {
        state.SkipWithError("raw BRPOP found nothing");
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel("durable at return: as the server's persistence (list, no lease, no retry)");
  redisFree(c);
}

bool SqliteExec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

void BM_RawSqliteQueue(benchmark::State& state) {
  const std::string path = g_sqlite_file + ".raw";
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    state.SkipWithError("sqlite3_open");
    return;
  }
  SqliteExec(db, "PRAGMA journal_mode=WAL");
  SqliteExec(db, "PRAGMA synchronous=NORMAL");
  SqliteExec(db,
             "CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, status INTEGER "
             "NOT NULL)");
  sqlite3_stmt* ins = nullptr;
  sqlite3_stmt* claim = nullptr;
  sqlite3_stmt* del = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO q (payload, status) VALUES (?, 0)", -1, &ins, nullptr);
  sqlite3_prepare_v2(
      db,
      "UPDATE q SET status = 1 WHERE id = (SELECT id FROM q WHERE status = 0 ORDER BY id LIMIT 1) "
      "RETURNING id, payload",
      -1, &claim, nullptr);
  sqlite3_prepare_v2(db, "DELETE FROM q WHERE id = ?", -1, &del, nullptr);
  const std::string payload = Req().payload;
  for (auto _ : state) {
    SqliteExec(db, "BEGIN IMMEDIATE");
    for (int i = 0; i < kBatch; ++i) {
      sqlite3_bind_text(ins, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    SqliteExec(db, "COMMIT");
    for (int i = 0; i < kBatch; ++i) {
      if (sqlite3_step(claim) != SQLITE_ROW) {
        state.SkipWithError("raw claim found nothing");
        break;
      }
      const int64_t id = sqlite3_column_int64(claim, 0);
      sqlite3_reset(claim);
      sqlite3_bind_int64(del, 1, id);
      sqlite3_step(del);
      sqlite3_reset(del);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel("durable at return: process crash (WAL, synchronous=normal)");
  sqlite3_finalize(ins);
  sqlite3_finalize(claim);
  sqlite3_finalize(del);
  sqlite3_close(db);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

bool PgOk(PGresult* r) {
  const bool ok =
      r != nullptr && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
  PQclear(r);
  return ok;
}

void BM_RawPgSkipLocked(benchmark::State& state) {
  PGconn* conn = PQconnectdb(g_pg_url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    state.SkipWithError("PQconnectdb");
    PQfinish(conn);
    return;
  }
  PgOk(PQexec(conn,
              "CREATE TABLE IF NOT EXISTS raw_q (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
              "payload JSONB NOT NULL, status SMALLINT NOT NULL)"));
  PgOk(PQprepare(conn, "ins",
                 "INSERT INTO raw_q (payload, status) SELECT $1::jsonb, 0 FROM generate_series(1, $2::int)",
                 2, nullptr));
  PgOk(PQprepare(
      conn, "claim",
      "UPDATE raw_q SET status = 1 WHERE id = (SELECT id FROM raw_q WHERE status = 0 ORDER BY id LIMIT 1 "
      "FOR UPDATE SKIP LOCKED) RETURNING id, payload",
      0, nullptr));
  PgOk(PQprepare(conn, "del", "DELETE FROM raw_q WHERE id = $1", 1, nullptr));
  const std::string payload = Req().payload;
  const std::string batch = std::to_string(kBatch);
  for (auto _ : state) {
    const char* ins_params[2] = {payload.c_str(), batch.c_str()};
    if (!PgOk(PQexecPrepared(conn, "ins", 2, ins_params, nullptr, nullptr, 0)))
      state.SkipWithError("raw insert");
    for (int i = 0; i < kBatch; ++i) {
      PGresult* r = PQexecPrepared(conn, "claim", 0, nullptr, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        PQclear(r);
        state.SkipWithError("raw claim found nothing");
        break;
      }
      const std::string id = PQgetvalue(r, 0, 0);
      PQclear(r);
      const char* del_params[1] = {id.c_str()};
      PgOk(PQexecPrepared(conn, "del", 1, del_params, nullptr, nullptr, 0));
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel("durable at return: yes");
  PQfinish(conn);
}

// DAIRA_BENCH_ITERATIONS=N fixes every case's iteration count (for profiling under callgrind/perf,
// where the time-based default would run a handful of iterations).
benchmark::internal::Benchmark* Fixed(benchmark::internal::Benchmark* b) {
  const char* v = std::getenv("DAIRA_BENCH_ITERATIONS");
  const int64_t n = v == nullptr ? 0 : std::strtoll(v, nullptr, 10);
  return n > 0 ? b->Iterations(n) : b;
}

// Drops the bench's schemas: daira_bus_bench (the first Open's and the raw baseline's) and every case's
// daira_bus_bench_c<N> (those of an earlier run kept with DAIRA_BENCH_KEEP_SCHEMA=1 too).
bool DropBenchSchemas() {
  PGconn* conn = PQconnectdb(g_pg_admin.c_str());
  PGresult* r = PQstatus(conn) == CONNECTION_OK
                    ? PQexec(conn,
                             "SELECT nspname FROM pg_namespace WHERE nspname = 'daira_bus_bench' OR nspname "
                             "LIKE 'daira\\_bus\\_bench\\_c%'")
                    : nullptr;
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  std::vector<std::string> drops;
  for (int i = 0; ok && i < PQntuples(r); ++i)
    drops.push_back(std::string("DROP SCHEMA ") + PQgetvalue(r, i, 0) + " CASCADE");
  PQclear(r);
  PQfinish(conn);
  // One transaction per schema: a kept run's dozen schemas in one would overflow the server's lock table.
  return ok && PgAdmin(drops);
}

bool SetUpPostgres() {
  const bool ok = DropBenchSchemas() && PgAdmin({"CREATE SCHEMA daira_bus_bench"});
  if (ok) g_pg_url = WithParam(g_pg_admin, "options=-csearch_path%3Ddaira_bus_bench");
  return ok;
}

// DAIRA_BENCH_KEEP_SCHEMA=1 leaves the schemas after the run (each case's own), so pg_stat_user_tables can
// be read for each case's `jobs` table once the bench's connections have closed (their statistics are
// flushed at exit).
void TearDownPostgres() {
  if (!KeepSchema()) DropBenchSchemas();
}

// Opens b's database (migrated) and queue.
bool Connect(Backend& b) {
  if (!b.db_url.empty()) {
    auto db = store::Database::Open(b.db_url);
    if (!db.ok()) {
      std::fprintf(stderr, "bus_bench: %s: %s\n", b.name.c_str(), std::string(db.status().message()).c_str());
      return false;
    }
    b.db = *std::move(db);
    RequestContext ctx;
    auto migrator = store::Migrator::Create(*b.db);
    if (!migrator.ok() || !(*migrator)->Migrate(ctx).ok()) return false;
  }
  auto q = bus::OpenQueue(b.bus_url.empty() ? b.name + ":" : b.bus_url, b.db.get(), b.db_url);
  if (!q.ok()) {
    std::fprintf(stderr, "bus_bench: %s: %s\n", b.name.c_str(), std::string(q.status().message()).c_str());
    return false;
  }
  b.queue = *std::move(q);
  return true;
}

std::unique_ptr<Backend> Open(const std::string& name, const std::string& db_url, const char* durable,
                              std::string bus_url = "") {
  auto b = std::make_unique<Backend>();
  b->name = name;
  b->db_url = db_url;
  b->bus_url = std::move(bus_url);
  b->durable = durable;
  if (!Connect(*b)) return nullptr;
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  g_sqlite_file =
      (std::filesystem::temp_directory_path() / ("daira-bus-bench-" + std::to_string(getpid()) + ".db"))
          .string();
  for (const char* name : {"DAIRA_BENCH_PG", "DAIRA_TEST_PG"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      g_pg_admin = v;
      break;
    }
  }
  if (auto m = Open("memory", "", "no (in-process)")) g_backends.push_back(std::move(m));
  if (auto s = Open("sqlite", "sqlite:" + g_sqlite_file, "process crash (WAL, synchronous=normal)")) {
    g_backends.push_back(std::move(s));
  }
  if (!g_pg_admin.empty() && SetUpPostgres()) {
    if (auto p = Open("postgres", g_pg_url, "yes")) g_backends.push_back(std::move(p));
  } else {
    std::fprintf(stderr, "bus_bench: DAIRA_BENCH_PG / DAIRA_TEST_PG not set: Postgres cases NOT run\n");
  }
  std::string& redis_url = g_redis_url;
  for (const char* name : {"DAIRA_BENCH_REDIS", "DAIRA_TEST_REDIS"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      redis_url = v;
      break;
    }
  }
  if (!redis_url.empty()) {
    // redis://host:port[/db]: the raw baseline connects to the same host and port (db 0).
    std::string rest = redis_url.substr(redis_url.find("://") + 3);
    rest = rest.substr(rest.find('@') == std::string::npos ? 0 : rest.find('@') + 1);
    rest = rest.substr(0, rest.find_first_of("/?"));
    g_redis_host = rest.substr(0, rest.find(':'));
    g_redis_port =
        rest.find(':') == std::string::npos ? 6379 : std::atoi(rest.substr(rest.find(':') + 1).c_str());
    g_redis_prefix = "daira-bus-bench:" + std::to_string(getpid()) + ":";
    if (auto r = Open("redis", "", "as the Redis server's persistence (appendonly)",
                      WithParam(redis_url, "prefix=" + g_redis_prefix))) {
      g_backends.push_back(std::move(r));
    }
  } else {
    std::fprintf(stderr, "bus_bench: DAIRA_BENCH_REDIS / DAIRA_TEST_REDIS not set: Redis cases NOT run\n");
  }
  for (auto& b : g_backends) {
    Fixed(benchmark::RegisterBenchmark(("BM_Enqueue/" + b->name).c_str(), BM_Enqueue, b.get()))
        ->UseRealTime();
    Fixed(benchmark::RegisterBenchmark(("BM_EnqueueBulk/" + b->name).c_str(), BM_EnqueueBulk, b.get()))
        ->UseRealTime();
    auto* concurrent = Fixed(
        benchmark::RegisterBenchmark(("BM_EnqueueConcurrent/" + b->name).c_str(), BM_EnqueueConcurrent, b.get()));
    concurrent->Args({8, 0});
    if (b->db != nullptr) concurrent->Args({8, 1});
    concurrent->ArgNames({"threads", "tx"})->UseRealTime();
    Fixed(benchmark::RegisterBenchmark(("BM_EndToEnd/" + b->name).c_str(), BM_EndToEnd, b.get()))
        ->UseRealTime();
    Fixed(
        benchmark::RegisterBenchmark(("BM_EndToEndWorkers/" + b->name).c_str(), BM_EndToEndWorkers, b.get()))
        ->Arg(4)
        ->UseRealTime();
    Fixed(benchmark::RegisterBenchmark(("BM_EndToEndBatch/" + b->name).c_str(), BM_EndToEndBatch, b.get()))
        ->UseRealTime();
    Fixed(benchmark::RegisterBenchmark(("BM_EndToEndFused/" + b->name).c_str(), BM_EndToEndFused, b.get()))
        ->UseRealTime();
    Fixed(benchmark::RegisterBenchmark(("BM_EndToEndPool/" + b->name).c_str(), BM_EndToEndPool, b.get()))
        ->Args({1, 1})
        ->Args({4, 1})
        ->Args({4, 0})
        ->ArgNames({"threads", "batched"})
        ->UseRealTime();
    Fixed(benchmark::RegisterBenchmark(("BM_Latency/" + b->name).c_str(), BM_Latency, b.get()))
        ->Arg(0)
        ->Arg(5000)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_RawSqliteQueue", BM_RawSqliteQueue)->UseRealTime();
  if (!g_pg_url.empty())
    benchmark::RegisterBenchmark("BM_RawPgSkipLocked", BM_RawPgSkipLocked)->UseRealTime();
  if (!g_redis_host.empty())
    benchmark::RegisterBenchmark("BM_RawRedisLpushBrpop", BM_RawRedisLpushBrpop)->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_backends.clear();
  if (!g_redis_host.empty()) DropRedisPrefix(g_redis_prefix);
  if (!g_pg_admin.empty()) TearDownPostgres();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(g_sqlite_file + suffix);
  return 0;
}
