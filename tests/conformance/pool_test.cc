// The connection pool behind store::Database, on every SQL backend: leases under concurrency, stats,
// acquire timeouts, deadlines, broken/idle connections, the slow-statement log, and (Postgres) recovery
// after a server restart.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/logging.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"
#include "daira/store/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::EnvOr;
using ::daira::testing::InCi;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

// Sums of the counters over every endpoint of a database.
struct Totals {
  int open = 0, in_use = 0, idle = 0;
  int64_t acquires = 0, waits = 0, timeouts = 0, created = 0, discarded = 0, statements = 0, errors = 0,
          slow = 0;
};
Totals Sum(const Database& db) {
  Totals t;
  for (const PoolStats& s : db.Stats()) {
    t.open += s.open;
    t.in_use += s.in_use;
    t.idle += s.idle;
    t.acquires += s.acquires;
    t.waits += s.waits;
    t.timeouts += s.timeouts;
    t.created += s.created;
    t.discarded += s.discarded;
    t.statements += s.statements;
    t.errors += s.errors;
    t.slow += s.slow_statements;
  }
  return t;
}

// A context whose deadline has certainly passed (polls the condition itself; no sleep).
RequestContext ExpiredContext() {
  RequestContext ctx({.correlation_id = "expired", .timeout = std::chrono::milliseconds(1)});
  while (ctx.CheckDeadline("test").ok()) std::this_thread::yield();
  return ctx;
}

class PoolTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgres"; }
};

TEST_P(PoolTest, ConcurrentBorrowsNeitherLeakNorMiscount) {
  DatabaseOptions base;
  base.pool.pool_min = 2;
  base.pool.pool_max = 6;
  base.readers = 3;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), base));
  Database& db = tdb->db();
  const Totals before = Sum(db);

  constexpr int kThreads = 16;
  constexpr int kBorrows = 1000;
  std::atomic<int> failures{0};
  std::vector<RequestContext> ctxs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBorrows; ++i) {
        auto lease = db.Acquire(ctxs[t], i % 2 == 0 ? Access::kWrite : Access::kRead);
        if (!lease.ok()) {
          failures.fetch_add(1);
          continue;
        }
        auto rs = (*lease)->Execute("SELECT ?", {int64_t{i}});
        if (!rs.ok() || rs->size() != 1 || rs->row(0).Int64(0) != i) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  const Totals after = Sum(db);
  EXPECT_EQ(after.in_use, 0);
  EXPECT_EQ(after.idle, after.open);
  EXPECT_EQ(after.acquires - before.acquires, kThreads * kBorrows);
  EXPECT_EQ(after.statements - before.statements, kThreads * kBorrows);
  EXPECT_EQ(after.errors - before.errors, 0);
  EXPECT_EQ(after.timeouts, 0);
  for (const RequestContext& c : ctxs) EXPECT_EQ(c.statements(), kBorrows);
  if (postgres()) {
    EXPECT_LE(db.Stats()[0].open, 6);
    EXPECT_GE(after.waits, 0);
  } else {
    ASSERT_EQ(db.Stats().size(), 2u);  // the writer, then the readers
    EXPECT_EQ(db.Stats()[0].open, 1);
    EXPECT_EQ(db.Stats()[1].open, 3);
  }
  for (const PoolStats& s : db.Stats()) {
    EXPECT_LE(s.acquire_p50_us, s.acquire_p99_us) << s.endpoint;
    EXPECT_FALSE(s.endpoint.empty());
  }
}

TEST_P(PoolTest, ContextCountsStatementsOfDatabaseCalls) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "CREATE TABLE pool_t (a BIGINT)"));
  ASSERT_OK(db.Execute(ctx, "INSERT INTO pool_t (a) VALUES (?)", {int64_t{1}}));
  ASSERT_OK(db.Read(ctx, "SELECT a FROM pool_t"));
  EXPECT_EQ(ctx.statements(), 3);
  RequestContext copy = ctx;  // copies share the accounting
  ASSERT_OK_AND_ASSIGN(auto lease, db.Acquire(copy, Access::kRead));
  ASSERT_OK_AND_ASSIGN(Statement * st, lease->Prepare("SELECT a FROM pool_t WHERE a = ?"));
  ASSERT_OK(st->Execute({int64_t{1}}));
  ASSERT_OK(st->Execute({int64_t{2}}));
  EXPECT_EQ(ctx.statements(), 5);
  EXPECT_THAT(lease->Execute("SELECT nope FROM pool_t"), ::testing::Not(::daira::testing::IsOk()));
  EXPECT_EQ(ctx.statements(), 6);
  lease.Reset();
  EXPECT_GE(Sum(db).errors, 1);
}

TEST_P(PoolTest, AcquireTimesOutWithResourceExhausted) {
  DatabaseOptions base;
  base.pool.pool_min = 0;
  base.pool.pool_max = 2;
  base.pool.acquire_timeout = std::chrono::milliseconds(20);
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), base));
  Database& db = tdb->db();
  RequestContext ctx;
  // Hold every write connection: SQLite has one writer, the Postgres pool two.
  const int capacity = postgres() ? 2 : 1;
  std::vector<ConnectionLease> held;
  for (int i = 0; i < capacity; ++i) {
    ASSERT_OK_AND_ASSIGN(ConnectionLease l, db.Acquire(ctx, Access::kWrite));
    held.push_back(std::move(l));
  }
  auto more = db.Acquire(ctx, Access::kWrite);
  EXPECT_THAT(more, StatusIs(absl::StatusCode::kResourceExhausted,
                             HasSubstr(absl::StrCat("no connection available within 20 ms (pool_max ", capacity,
                                                    ", in use ", capacity, ")"))));
  EXPECT_EQ(db.Stats()[0].timeouts, 1);
  EXPECT_EQ(db.Stats()[0].waits, 1);
  EXPECT_EQ(db.Stats()[0].in_use, capacity);
  // A request deadline shorter than acquire_timeout caps the wait: DeadlineExceeded instead.
  held.clear();  // leases must go back before their Database closes
  ASSERT_OK(tdb->Reopen([&] {
    DatabaseOptions o = base;
    o.pool.acquire_timeout = std::chrono::minutes(10);
    return o;
  }()));
  Database& db2 = tdb->db();
  for (int i = 0; i < capacity; ++i) {
    ASSERT_OK_AND_ASSIGN(ConnectionLease l, db2.Acquire(ctx, Access::kWrite));
    held.push_back(std::move(l));
  }
  RequestContext short_ctx({.timeout = std::chrono::milliseconds(30)});
  EXPECT_THAT(db2.Acquire(short_ctx, Access::kWrite), StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Releasing one makes the next acquire succeed.
  held.pop_back();
  EXPECT_OK(db2.Acquire(ctx, Access::kWrite));
  held.clear();
  EXPECT_EQ(db2.Stats()[0].in_use, 0);
}

TEST_P(PoolTest, DeadlineAlreadyPassed) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  Database& db = tdb->db();
  RequestContext ctx = ExpiredContext();
  const int64_t acquires = Sum(db).acquires;
  EXPECT_THAT(db.Acquire(ctx, Access::kWrite), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("expired")));
  EXPECT_THAT(db.Acquire(ctx, Access::kRead), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(db.Execute(ctx, "SELECT 1"), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(db.Read(ctx, "SELECT 1"), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(db.RunInTransaction(ctx, [](Connection&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(Sum(db).acquires, acquires);
  EXPECT_EQ(ctx.statements(), 0);
}

TEST_P(PoolTest, BrokenIdleConnectionsAreReplacedSilently) {
  DatabaseOptions base;
  base.pool.pool_min = 3;
  base.pool.pool_max = 3;
  base.pool.validate_after = std::chrono::milliseconds(0);  // ping before every lend
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), base));
  Database& db = tdb->db();
  RequestContext ctx;
  if (postgres()) {
    // Learn the pooled connections' backend pids, then kill them from another connection.
    std::vector<int64_t> pids;
    {
      std::vector<ConnectionLease> held;
      for (int i = 0; i < 3; ++i) {
        ASSERT_OK_AND_ASSIGN(ConnectionLease l, db.Acquire(ctx));
        ASSERT_OK_AND_ASSIGN(ResultSet rs, l->Execute("SELECT pg_backend_pid()"));
        pids.push_back(rs.row(0).Int64(0));
        held.push_back(std::move(l));
      }
    }
    DatabaseOptions killer_options;
    killer_options.url = EnvOr("DAIRA_TEST_PG");
    killer_options.pool.pool_min = 0;
    killer_options.pool.pool_max = 1;
    ASSERT_OK_AND_ASSIGN(auto killer, Database::Open(killer_options));
    for (int64_t pid : pids) {
      ASSERT_OK(killer->Execute(ctx, "SELECT pg_terminate_backend(?::int)", {pid}));
    }
    // Wait (by polling the condition) until the server has really closed them.
    for (int i = 0; i < 10000; ++i) {
      ASSERT_OK_AND_ASSIGN(ResultSet rs, killer->Execute(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid IN "
                                                               "(?::int, ?::int, ?::int)",
                                                          {pids[0], pids[1], pids[2]}));
      if (rs.row(0).Int64(0) == 0) break;
      std::this_thread::yield();
    }
  }
  const Totals before = Sum(db);
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(ResultSet rs, db.Execute(ctx, "SELECT ?", {int64_t{i}}));
    EXPECT_EQ(rs.row(0).Int64(0), i);
  }
  const Totals after = Sum(db);
  EXPECT_EQ(after.errors, before.errors);
  if (postgres()) {
    // Each killed connection failed its ping and was replaced by a new one.
    EXPECT_GE(after.discarded - before.discarded, 1);
    EXPECT_GE(after.created - before.created, 1);
  } else {
    // SQLite has no server to lose: validation pings pass and nothing is replaced.
    EXPECT_EQ(after.discarded, before.discarded);
    EXPECT_EQ(after.created, before.created);
  }
  EXPECT_EQ(after.in_use, 0);
}

TEST_P(PoolTest, IdleConnectionsShrinkToPoolMin) {
  ManualClock clock(Clock::TimePoint{std::chrono::seconds(1700000000)});
  DatabaseOptions base;
  base.clock = &clock;
  base.pool.pool_min = 1;
  base.pool.pool_max = 4;
  base.pool.idle_timeout = std::chrono::milliseconds(1000);
  base.readers = 2;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), base));
  Database& db = tdb->db();
  RequestContext ctx;
  const int expected_max = postgres() ? 4 : 1;
  {
    std::vector<ConnectionLease> held;
    for (int i = 0; i < expected_max; ++i) {
      ASSERT_OK_AND_ASSIGN(ConnectionLease l, db.Acquire(ctx, Access::kWrite));
      held.push_back(std::move(l));
    }
  }
  EXPECT_EQ(db.Stats()[0].open, expected_max);
  // Not idle long enough yet: nothing closes.
  clock.Advance(std::chrono::milliseconds(500));
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
  EXPECT_EQ(db.Stats()[0].open, expected_max);
  clock.Advance(std::chrono::milliseconds(2000));
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
  if (postgres()) {
    EXPECT_EQ(db.Stats()[0].open, 1);
    EXPECT_EQ(db.Stats()[0].discarded, 3);
  } else {
    // SQLite's pools are fixed (one writer, `readers` readers): idle connections stay open.
    EXPECT_EQ(db.Stats()[0].open, 1);
    EXPECT_EQ(db.Stats()[1].open, 2);
    EXPECT_EQ(db.Stats()[0].discarded, 0);
  }
  // And it grows back on demand.
  {
    std::vector<ConnectionLease> held;
    for (int i = 0; i < expected_max; ++i) {
      ASSERT_OK_AND_ASSIGN(ConnectionLease l, db.Acquire(ctx, Access::kWrite));
      held.push_back(std::move(l));
    }
    EXPECT_EQ(db.Stats()[0].in_use, expected_max);
  }
}

TEST_P(PoolTest, SlowStatementLogCarriesCorrelationId) {
  DatabaseOptions base;
  base.pool.slow_statement = std::chrono::milliseconds(0);  // every statement counts as slow
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), base));
  Database& db = tdb->db();
  std::mutex mu;
  std::vector<LogRecord> records;
  SetLogSink([&](const LogRecord& r) {
    std::lock_guard<std::mutex> lock(mu);
    records.push_back(r);
  });
  RequestContext ctx({.correlation_id = "corr-slow-4711"});
  const int64_t slow_before = Sum(db).slow;
  ASSERT_OK(db.Read(ctx, "SELECT 42 AS answer"));
  SetLogSink(nullptr);
  std::lock_guard<std::mutex> lock(mu);
  bool found = false;
  for (const LogRecord& r : records) {
    if (r.message.find("SELECT 42 AS answer") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(r.level, LogLevel::kWarning);
    EXPECT_EQ(r.component, "store");
    EXPECT_EQ(r.correlation_id, "corr-slow-4711");
    EXPECT_THAT(r.message, HasSubstr("slow statement ("));
    EXPECT_THAT(r.message, HasSubstr(" ms): SELECT 42 AS answer"));
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(Sum(db).slow - slow_before, 1);
}

TEST_P(PoolTest, LeaseResetRollsBackOpenTransaction) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "CREATE TABLE lease_t (a BIGINT)"));
  {
    ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db.Acquire(ctx));
    ASSERT_OK(lease->Begin(IsolationLevel::kDefault, true));
    ASSERT_OK(lease->Execute("INSERT INTO lease_t (a) VALUES (1)"));
    lease.Reset();  // forgot to commit
    EXPECT_EQ(lease.get(), nullptr);
    lease.Reset();  // twice is harmless
  }
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db.Execute(ctx, "SELECT count(*) FROM lease_t"));
  EXPECT_EQ(rs.row(0).Int64(0), 0);
  // The connection went back usable: it is not stuck in the abandoned transaction.
  ASSERT_OK_AND_ASSIGN(ConnectionLease a, db.Acquire(ctx));
  EXPECT_FALSE(a->InTransaction());
  ASSERT_OK(a->Begin(IsolationLevel::kDefault, true));
  ASSERT_OK(a->Execute("INSERT INTO lease_t (a) VALUES (2)"));
  // Move-assigning over a lease releases (and rolls back) what it held.
  RequestContext other;
  ASSERT_OK_AND_ASSIGN(ConnectionLease b, db.Acquire(other, Access::kRead));
  a = std::move(b);
  EXPECT_EQ(b.get(), nullptr);
  a.Reset();
  ASSERT_OK_AND_ASSIGN(ResultSet rs2, db.Execute(ctx, "SELECT count(*) FROM lease_t"));
  EXPECT_EQ(rs2.row(0).Int64(0), 0);
  EXPECT_EQ(Sum(db).in_use, 0);
}

TEST_P(PoolTest, TransactionRaii) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "CREATE TABLE raii_t (a BIGINT)"));
  ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db.Acquire(ctx));
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*lease));
    EXPECT_THAT(Transaction::Begin(*lease), StatusIs(absl::StatusCode::kFailedPrecondition));
    ASSERT_OK(lease->Execute("INSERT INTO raii_t (a) VALUES (1)"));
  }  // rolled back
  EXPECT_FALSE(lease->InTransaction());
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*lease));
    ASSERT_OK(lease->Execute("INSERT INTO raii_t (a) VALUES (2)"));
    Transaction moved = std::move(tx);
    EXPECT_FALSE(tx.active());
    EXPECT_TRUE(moved.active());
    ASSERT_OK(moved.Commit());
    EXPECT_THAT(moved.Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(moved.Rollback(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*lease, IsolationLevel::kSerializable));
    ASSERT_OK(lease->Execute("INSERT INTO raii_t (a) VALUES (3)"));
    ASSERT_OK(tx.Rollback());
  }
  ASSERT_OK_AND_ASSIGN(ResultSet rs, lease->Execute("SELECT a FROM raii_t ORDER BY a"));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.row(0).Int64(0), 2);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PoolTest);

}  // namespace
}  // namespace daira::store
