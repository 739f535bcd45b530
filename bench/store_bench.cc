// Store hot paths through daira versus the raw driver on the same fixture, in the same process.
//
// Fixture: a table of 100k users (id BIGINT PRIMARY KEY, username TEXT, email TEXT, created_at BIGINT)
// on SQLite (a temp file, WAL) and, when DAIRA_BENCH_PG or DAIRA_TEST_PG holds a URL, on Postgres
// (schema daira_bench, dropped afterwards).
//
// Cases, per backend: point select by primary key, and a 100-id batch select (Dialect::InArray), each
//   .../raw          plain sqlite3 / libpq: prepared once, bind/step/reset (bench/baselines/)
//   .../daira_lease  a held ConnectionLease + Connection::Execute (statement cache hit): the hot path
//   .../daira_read   Database::Read one-shot (lease acquire + release per call)
// Every daira case also runs the raw baseline for the same number of iterations right after its own
// loop (half before, half after) and reports raw_ns (raw wall ns/op), ratio_vs_raw (daira wall ns/op ÷
// raw wall ns/op) and cpu_ratio_vs_raw (the same with this thread's CPU time) as counters.
//
//   ./build/cli/bench/store_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "baselines/pg_baseline.h"
#include "baselines/raw_users.h"
#include "baselines/sqlite_baseline.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace {

namespace store = daira::store;
using daira_bench::kBatchSize;
using daira_bench::kFixtureUsers;
using daira_bench::RawUser;
using daira_bench::RawUsers;

struct Fixture {
  std::string name;   // "sqlite" / "postgres"
  std::string table;  // qualified table name
  std::unique_ptr<store::Database> db;
  std::unique_ptr<RawUsers> raw;
  std::string point_sql;
  std::string batch_sql;
};

// Ids drawn from a fixed xorshift sequence so every case reads the same rows.
class IdStream {
 public:
  int64_t Next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return static_cast<int64_t>(x_ % kFixtureUsers) + 1;
  }
  // kBatchSize distinct ids (stride 997 is coprime with the table size).
  void NextBatch(std::vector<int64_t>* ids) {
    ids->resize(kBatchSize);
    const int64_t start = Next();
    for (int k = 0; k < kBatchSize; ++k) (*ids)[k] = (start - 1 + int64_t{k} * 997) % kFixtureUsers + 1;
  }

 private:
  uint64_t x_ = 0x9E3779B97F4A7C15ull;
};

void ReadUser(const store::Row& row, RawUser* u) {
  u->id = row.Int64(0);
  u->username = row.Text(1);
  u->email = row.Text(2);
  u->created_at = row.Int64(3);
}

enum class Path { kRaw, kDairaLease, kDairaRead };

// Wall-clock and this thread's CPU time, read together.
struct Clocks {
  int64_t wall_ns;
  int64_t cpu_ns;
  static Clocks Now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now().time_since_epoch()).count(),
            int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec};
  }
};

// Per-operation cost: wall ns and client-thread CPU ns.
struct Cost {
  double wall_ns = 0;
  double cpu_ns = 0;
  int64_t ops = 0;
  void Add(const Clocks& start, const Clocks& end, int64_t n) {
    // Accumulate totals; Mean() divides.
    wall_ns += static_cast<double>(end.wall_ns - start.wall_ns);
    cpu_ns += static_cast<double>(end.cpu_ns - start.cpu_ns);
    ops += n;
  }
  double WallPerOp() const { return ops == 0 ? 0 : wall_ns / ops; }
  double CpuPerOp() const { return ops == 0 ? 0 : cpu_ns / ops; }
};

// Runs the raw baseline `n` times, adding its cost to `cost`.
void RawPoint(Fixture* f, int64_t n, Cost* cost) {
  IdStream ids;
  RawUser u;
  Clocks start = Clocks::Now();
  for (int64_t i = 0; i < n; ++i) {
    f->raw->PointSelect(ids.Next(), &u);
    benchmark::DoNotOptimize(u);
  }
  cost->Add(start, Clocks::Now(), n);
}

void RawBatch(Fixture* f, int64_t n, Cost* cost) {
  IdStream ids;
  std::vector<int64_t> batch;
  std::vector<RawUser> out;
  Clocks start = Clocks::Now();
  for (int64_t i = 0; i < n; ++i) {
    ids.NextBatch(&batch);
    f->raw->BatchSelect(batch, &out);
    benchmark::DoNotOptimize(out);
  }
  cost->Add(start, Clocks::Now(), n);
}

// The machine may be shared: the raw baseline runs half before and half after the daira loop so
// both see the same conditions. ratio_vs_raw compares wall time per op; cpu_ratio_vs_raw compares
// this thread's CPU time per op (for Postgres that is the client-side cost alone: the server's work
// is the same for both).
void ReportRatio(benchmark::State& state, const Cost& daira, const Cost& raw) {
  state.counters["raw_ns"] = raw.WallPerOp();
  state.counters["ratio_vs_raw"] = raw.WallPerOp() > 0 ? daira.WallPerOp() / raw.WallPerOp() : 0;
  state.counters["cpu_ratio_vs_raw"] = raw.CpuPerOp() > 0 ? daira.CpuPerOp() / raw.CpuPerOp() : 0;
}

void BM_PointSelect(benchmark::State& state, Fixture* f, Path path) {
  daira::RequestContext ctx;
  IdStream ids;
  RawUser u;
  if (path == Path::kRaw) {
    for (auto _ : state) {
      if (!f->raw->PointSelect(ids.Next(), &u)) return state.SkipWithError("raw: row not found");
      benchmark::DoNotOptimize(u);
    }
    state.counters["ratio_vs_raw"] = 1.0;
    return;
  }
  absl::StatusOr<store::ConnectionLease> lease = absl::UnknownError("not acquired");
  if (path == Path::kDairaLease) {
    lease = f->db->Acquire(ctx, store::Access::kRead);
    if (!lease.ok()) return state.SkipWithError(std::string(lease.status().message()).c_str());
  }
  Cost raw, daira;
  RawPoint(f, std::max<int64_t>(1, state.max_iterations / 2), &raw);
  Clocks start = Clocks::Now();
  for (auto _ : state) {
    store::Value param(ids.Next());
    absl::StatusOr<store::ResultSet> rs =
        path == Path::kDairaLease ? (*lease)->Execute(f->point_sql, store::Params(&param, 1))
                                  : f->db->Read(ctx, f->point_sql, store::Params(&param, 1));
    if (!rs.ok() || rs->size() != 1) {
      return state.SkipWithError(rs.ok() ? "daira: row not found" : std::string(rs.status().message()).c_str());
    }
    ReadUser(rs->front(), &u);
    benchmark::DoNotOptimize(u);
  }
  daira.Add(start, Clocks::Now(), state.iterations());
  RawPoint(f, std::max<int64_t>(1, state.max_iterations / 2), &raw);
  ReportRatio(state, daira, raw);
}

void BM_BatchSelect(benchmark::State& state, Fixture* f, Path path) {
  daira::RequestContext ctx;
  IdStream ids;
  std::vector<int64_t> batch;
  std::vector<RawUser> out;
  if (path == Path::kRaw) {
    for (auto _ : state) {
      ids.NextBatch(&batch);
      if (f->raw->BatchSelect(batch, &out) != kBatchSize) return state.SkipWithError("raw: short batch");
      benchmark::DoNotOptimize(out);
    }
    state.counters["ratio_vs_raw"] = 1.0;
    state.SetItemsProcessed(state.iterations() * kBatchSize);
    return;
  }
  absl::StatusOr<store::ConnectionLease> lease = absl::UnknownError("not acquired");
  if (path == Path::kDairaLease) {
    lease = f->db->Acquire(ctx, store::Access::kRead);
    if (!lease.ok()) return state.SkipWithError(std::string(lease.status().message()).c_str());
  }
  Cost raw, daira;
  RawBatch(f, std::max<int64_t>(1, state.max_iterations / 2), &raw);
  Clocks start = Clocks::Now();
  for (auto _ : state) {
    ids.NextBatch(&batch);
    store::Value param(batch);
    absl::StatusOr<store::ResultSet> rs =
        path == Path::kDairaLease ? (*lease)->Execute(f->batch_sql, store::Params(&param, 1))
                                  : f->db->Read(ctx, f->batch_sql, store::Params(&param, 1));
    if (!rs.ok() || rs->size() != kBatchSize) {
      return state.SkipWithError(rs.ok() ? "daira: short batch" : std::string(rs.status().message()).c_str());
    }
    out.resize(rs->size());
    for (size_t i = 0; i < rs->size(); ++i) ReadUser(rs->row(i), &out[i]);
    benchmark::DoNotOptimize(out);
  }
  daira.Add(start, Clocks::Now(), state.iterations());
  RawBatch(f, std::max<int64_t>(1, state.max_iterations / 2), &raw);
  state.SetItemsProcessed(state.iterations() * kBatchSize);
  ReportRatio(state, daira, raw);
}

// --- fixtures ---------------------------------------------------------------------------------

bool SqliteExec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "store_bench: sqlite: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return false;
  }
  return true;
}

std::unique_ptr<Fixture> MakeSqliteFixture(const std::string& path) {
  std::filesystem::remove(path);
  sqlite3* raw = nullptr;
  if (sqlite3_open(path.c_str(), &raw) != SQLITE_OK) return nullptr;
  bool ok = SqliteExec(raw, "PRAGMA journal_mode=WAL") &&
            SqliteExec(raw,
                       "CREATE TABLE bench_users (id BIGINT PRIMARY KEY, username TEXT NOT NULL, "
                       "email TEXT NOT NULL, created_at BIGINT NOT NULL)") &&
            SqliteExec(raw, "BEGIN");
  sqlite3_stmt* ins = nullptr;
  ok = ok && sqlite3_prepare_v2(raw, "INSERT INTO bench_users VALUES (?, ?, ?, ?)", -1, &ins, nullptr) == SQLITE_OK;
  for (int64_t id = 1; ok && id <= kFixtureUsers; ++id) {
    std::string name = "user" + std::to_string(id);
    std::string email = name + "@example.com";
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_text(ins, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, email.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 4, int64_t{1700000000000000} + id);
    ok = sqlite3_step(ins) == SQLITE_DONE;
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  ok = ok && SqliteExec(raw, "COMMIT") && SqliteExec(raw, "ANALYZE");
  sqlite3_close(raw);
  if (!ok) return nullptr;

  auto f = std::make_unique<Fixture>();
  f->name = "sqlite";
  f->table = "bench_users";
  auto db = store::Database::Open("sqlite:" + path);
  if (!db.ok()) {
    std::fprintf(stderr, "store_bench: daira open sqlite: %s\n", std::string(db.status().message()).c_str());
    return nullptr;
  }
  f->db = std::move(*db);
  f->raw = daira_bench::SqliteBaseline::Open(path, f->table);
  if (f->raw == nullptr) return nullptr;
  return f;
}

bool PgExec(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) std::fprintf(stderr, "store_bench: postgres: %s: %s", sql, PQerrorMessage(conn));
  PQclear(r);
  return ok;
}

// The URL without daira's query parameters, for libpq.
std::string StripQuery(const std::string& url) { return url.substr(0, url.find('?')); }

std::unique_ptr<Fixture> MakePostgresFixture(const std::string& url) {
  PGconn* conn = PQconnectdb(StripQuery(url).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "store_bench: postgres connect: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return nullptr;
  }
  bool ok = PgExec(conn, "SET client_min_messages = warning") &&
            PgExec(conn, "DROP SCHEMA IF EXISTS daira_bench CASCADE") && PgExec(conn, "CREATE SCHEMA daira_bench") &&
            PgExec(conn,
                   "CREATE TABLE daira_bench.bench_users (id BIGINT PRIMARY KEY, username TEXT NOT NULL, "
                   "email TEXT NOT NULL, created_at BIGINT NOT NULL)") &&
            PgExec(conn,
                   "INSERT INTO daira_bench.bench_users SELECT g, 'user' || g, 'user' || g || '@example.com', "
                   "1700000000000000 + g FROM generate_series(1, 100000) AS g") &&
            PgExec(conn, "ANALYZE daira_bench.bench_users");
  PQfinish(conn);
  if (!ok) return nullptr;

  auto f = std::make_unique<Fixture>();
  f->name = "postgres";
  f->table = "daira_bench.bench_users";
  std::string daira_url = url + (url.find('?') == std::string::npos ? "?" : "&") + "pool_min=1&pool_max=4";
  auto db = store::Database::Open(daira_url);
  if (!db.ok()) {
    std::fprintf(stderr, "store_bench: daira open postgres: %s\n", std::string(db.status().message()).c_str());
    return nullptr;
  }
  f->db = std::move(*db);
  f->raw = daira_bench::PgBaseline::Open(StripQuery(url), f->table);
  if (f->raw == nullptr) return nullptr;
  return f;
}

void DropPostgresFixture(const std::string& url) {
  PGconn* conn = PQconnectdb(StripQuery(url).c_str());
  if (PQstatus(conn) == CONNECTION_OK) {
    PgExec(conn, "SET client_min_messages = warning");
    PgExec(conn, "DROP SCHEMA IF EXISTS daira_bench CASCADE");
  }
  PQfinish(conn);
}

// DAIRA_BENCH_ITERATIONS=N fixes every case's iteration count (for profiling under callgrind/perf,
// where the time-based default would run a handful of iterations).
int64_t FixedIterations() {
  const char* v = std::getenv("DAIRA_BENCH_ITERATIONS");
  return v == nullptr ? 0 : std::strtoll(v, nullptr, 10);
}

void Register(Fixture* f) {
  f->point_sql = "SELECT id, username, email, created_at FROM " + f->table + " WHERE id = ?";
  f->batch_sql =
      "SELECT id, username, email, created_at FROM " + f->table + " WHERE " + f->db->dialect().InArray("id");
  struct Case {
    const char* suffix;
    Path path;
  };
  for (Case c : {Case{"raw", Path::kRaw}, Case{"daira_lease", Path::kDairaLease},
                 Case{"daira_read", Path::kDairaRead}}) {
    auto* b = benchmark::RegisterBenchmark(("point_select/" + f->name + "/" + c.suffix).c_str(), BM_PointSelect, f,
                                           c.path);
    if (FixedIterations() > 0) b->Iterations(FixedIterations());
  }
  for (Case c : {Case{"raw", Path::kRaw}, Case{"daira_lease", Path::kDairaLease},
                 Case{"daira_read", Path::kDairaRead}}) {
    auto* b = benchmark::RegisterBenchmark(("batch100_select/" + f->name + "/" + c.suffix).c_str(), BM_BatchSelect,
                                           f, c.path);
    if (FixedIterations() > 0) b->Iterations(FixedIterations());
  }
}

std::string PgUrlFromEnv() {
  for (const char* name : {"DAIRA_BENCH_PG", "DAIRA_TEST_PG"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("daira_store_bench_" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::create_directories(dir);
  std::vector<std::unique_ptr<Fixture>> fixtures;
  auto sqlite = MakeSqliteFixture((dir / "bench.db").string());
  if (sqlite == nullptr) {
    std::fprintf(stderr, "store_bench: could not build the SQLite fixture\n");
    return 1;
  }
  fixtures.push_back(std::move(sqlite));
  const std::string pg_url = PgUrlFromEnv();
  if (!pg_url.empty()) {
    auto pg = MakePostgresFixture(pg_url);
    if (pg == nullptr) {
      std::fprintf(stderr, "store_bench: could not build the Postgres fixture at %s\n", pg_url.c_str());
      return 1;
    }
    fixtures.push_back(std::move(pg));
  } else {
    std::fprintf(stderr, "store_bench: DAIRA_BENCH_PG / DAIRA_TEST_PG not set: Postgres cases NOT run\n");
  }
  for (auto& f : fixtures) Register(f.get());

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  fixtures.clear();  // close connections before dropping
  if (!pg_url.empty()) DropPostgresFixture(pg_url);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
