// Connection pool cost: lease acquire/release alone, and lease + a cached "SELECT 1", each paired with a
// raw-driver baseline (sqlite3 / libpq with one prepared statement, no pool) measured in the same run;
// `ratio` = daira ns/op ÷ baseline ns/op.
//
//   ./pool_bench                                   # SQLite
//   DAIRA_TEST_PG=postgres://postgres@127.0.0.1:5433/postgres ./pool_bench   # + Postgres

#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace {

using daira::RequestContext;
using daira::store::Access;
using daira::store::Database;
using daira::store::DatabaseOptions;

std::string SqlitePath() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("daira_pool_bench_" + std::to_string(getpid()) + ".db")).string();
  return path;
}

const char* PgUrl() {
  const char* v = std::getenv("DAIRA_TEST_PG");
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

// One Database per backend, shared by every benchmark thread.
Database* SharedDb(const std::string& backend) {
  static std::mutex mu;
  static std::unique_ptr<Database> sqlite, postgres;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Database>& slot = backend == "sqlite" ? sqlite : postgres;
  if (slot == nullptr) {
    DatabaseOptions o;
    o.url = backend == "sqlite" ? "sqlite:" + SqlitePath() : std::string(PgUrl());
    o.pool.pool_min = 8;
    o.pool.pool_max = 8;
    o.readers = 8;
    auto db = Database::Open(o);
    if (!db.ok()) {
      std::fprintf(stderr, "pool_bench: cannot open %s: %s\n", backend.c_str(), db.status().ToString().c_str());
      std::exit(1);
    }
    slot = std::move(*db);
  }
  return slot.get();
}

// ns/op of `n` raw SELECT 1 on a dedicated sqlite3 handle with one prepared statement.
double RawSqliteSelectNs(int n) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(SqlitePath().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT 1", -1, &st, nullptr);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    while (sqlite3_step(st) == SQLITE_ROW) benchmark::DoNotOptimize(sqlite3_column_int64(st, 0));
    sqlite3_reset(st);
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / n;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ns;
}

double RawPgSelectNs(int n) {
  PGconn* c = PQconnectdb(PgUrl());
  if (PQstatus(c) != CONNECTION_OK) {
    PQfinish(c);
    return 0;
  }
  PQclear(PQprepare(c, "s1", "SELECT 1", 0, nullptr));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    PGresult* r = PQexecPrepared(c, "s1", 0, nullptr, nullptr, nullptr, 0);
    benchmark::DoNotOptimize(PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / n;
  PQfinish(c);
  return ns;
}

void AcquireRelease(benchmark::State& state, const std::string& backend, Access access) {
  Database* db = SharedDb(backend);
  RequestContext ctx;
  for (auto _ : state) {
    auto lease = db->Acquire(ctx, access);
    if (!lease.ok()) {
      state.SkipWithError(lease.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(lease->get());
  }
  if (state.thread_index() == 0) {
    auto stats = db->Stats();
    state.counters["acquire_p99_us"] = static_cast<double>(stats[0].acquire_p99_us);
  }
}

void LeaseSelect1(benchmark::State& state, const std::string& backend) {
  Database* db = SharedDb(backend);
  double raw_ns = 0;
  if (state.thread_index() == 0) raw_ns = backend == "sqlite" ? RawSqliteSelectNs(20000) : RawPgSelectNs(2000);
  RequestContext ctx;
  const auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto _ : state) {
    auto lease = db->Acquire(ctx, Access::kRead);
    auto rs = lease.ok() ? (*lease)->Execute("SELECT 1") : absl::StatusOr<daira::store::ResultSet>(lease.status());
    if (!rs.ok()) {
      state.SkipWithError(rs.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(rs->size());
    ++n;
  }
  if (state.thread_index() == 0 && n > 0 && raw_ns > 0) {
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / n;
    state.counters["baseline_ns"] = raw_ns;
    state.counters["ratio"] = ns / raw_ns;
  }
}

void BM_SqliteAcquireReleaseWrite(benchmark::State& s) { AcquireRelease(s, "sqlite", Access::kWrite); }
void BM_SqliteAcquireReleaseRead(benchmark::State& s) { AcquireRelease(s, "sqlite", Access::kRead); }
void BM_SqliteLeaseSelect1(benchmark::State& s) { LeaseSelect1(s, "sqlite"); }
void BM_PostgresAcquireRelease(benchmark::State& s) { AcquireRelease(s, "postgres", Access::kWrite); }
void BM_PostgresLeaseSelect1(benchmark::State& s) { LeaseSelect1(s, "postgres"); }

}  // namespace

BENCHMARK(BM_SqliteAcquireReleaseWrite)->Threads(1)->Threads(4);
BENCHMARK(BM_SqliteAcquireReleaseRead)->Threads(1)->Threads(4);
BENCHMARK(BM_SqliteLeaseSelect1)->Threads(1);

int main(int argc, char** argv) {
  if (PgUrl() != nullptr) {
    benchmark::RegisterBenchmark("BM_PostgresAcquireRelease", BM_PostgresAcquireRelease)->Threads(1)->Threads(4);
    benchmark::RegisterBenchmark("BM_PostgresLeaseSelect1", BM_PostgresLeaseSelect1)->Threads(1);
  } else {
    std::fprintf(stderr, "*** DAIRA_TEST_PG is not set: Postgres pool benchmarks NOT run ***\n");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(SqlitePath() + suffix, ec);
  return 0;
}
