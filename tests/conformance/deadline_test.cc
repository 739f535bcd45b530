// Statements bounded in time, on every SQL backend: a running statement stops at the request's deadline
// or at the statement_timeout_ms option (Postgres: cancelled on the server; SQLite: interrupted by the
// progress handler) with DeadlineExceeded, and the connection is usable afterwards. Also: the bounded
// prepared-statement cache and the maximum connection lifetime.

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

class DeadlineTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgres"; }
  // A statement that runs for ~10 s (Postgres) or forever (SQLite: an unbounded recursive CTE).
  std::string LongStatement() const {
    return postgres() ? "SELECT pg_sleep(10)"
                      : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
  }
  static DatabaseOptions OneConnection() {
    DatabaseOptions o;
    o.pool.pool_min = 1;
    o.pool.pool_max = 1;
    o.readers = 0;
    return o;
  }
};

TEST_P(DeadlineTest, RunningStatementStopsAtRequestDeadline) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), OneConnection()));
  Database& db = tdb->db();
  RequestContext warm;
  ASSERT_OK(db.Execute(warm, "SELECT 1"));
  const int64_t created = db.Stats()[0].created;

  RequestContext ctx({.correlation_id = "slow-req", .timeout = std::chrono::milliseconds(200)});
  const auto start = Steady::now();
  auto rs = db.Execute(ctx, LongStatement());
  const auto took = Steady::now() - start;
  EXPECT_THAT(rs.status(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("slow-req")));
  EXPECT_LT(took, std::chrono::seconds(3)) << "the statement was not stopped at its deadline";

  // The same connection serves the next request (no reconnect, nothing discarded).
  RequestContext next;
  ASSERT_OK_AND_ASSIGN(ResultSet one, db.Execute(next, "SELECT 1 + 1"));
  EXPECT_EQ(one.at(0, 0).int64(), 2);
  EXPECT_EQ(db.Stats()[0].created, created);
  EXPECT_EQ(db.Stats()[0].discarded, 0);
}

TEST_P(DeadlineTest, StatementTimeoutOptionStopsStatementWithoutDeadline) {
  DatabaseOptions o = OneConnection();
  o.statement_timeout = std::chrono::milliseconds(200);
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), o));
  RequestContext ctx;  // no deadline
  const auto start = Steady::now();
  auto rs = tdb->db().Execute(ctx, LongStatement());
  EXPECT_THAT(rs.status(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("statement_timeout_ms")));
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(3));
  ASSERT_OK(tdb->db().Execute(ctx, "SELECT 1"));
}

TEST(DeadlineOptionsTest, StatementTimeoutCacheSizeAndLifetimeFromUrl) {
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o,
                       DatabaseOptions::FromUrl("sqlite:./x.db?statement_timeout_ms=0&statement_cache_size=8&"
                                                "max_lifetime_ms=1000"));
  EXPECT_EQ(o.statement_timeout.count(), 0);
  EXPECT_EQ(o.statement_cache_size, 8);
  EXPECT_EQ(o.pool.max_lifetime.count(), 1000);
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:./x.db?statement_cache_size=0").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statement_cache_size")));
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:./x.db?statement_timeout_ms=-1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statement_timeout_ms")));
  DatabaseOptions defaults;
  EXPECT_EQ(defaults.statement_timeout, std::chrono::seconds(30));
  EXPECT_EQ(defaults.statement_cache_size, 256);
}

TEST_P(DeadlineTest, TransactionStopsAtDeadlineAndNextOneWorks) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), OneConnection()));
  Database& db = tdb->db();
  RequestContext setup;
  ASSERT_OK(db.Execute(setup, "CREATE TABLE t (a BIGINT)"));
  RequestContext ctx({.correlation_id = "tx", .timeout = std::chrono::milliseconds(200)});
  absl::Status st = db.RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO t (a) VALUES (1)").status());
    return c.Execute(LongStatement()).status();
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kDeadlineExceeded));
  RequestContext next;
  ASSERT_OK(db.RunInTransaction(next, [&](Connection& c) {
    return c.Execute("INSERT INTO t (a) VALUES (2)").status();
  }));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db.Execute(next, "SELECT a FROM t ORDER BY a"));
  ASSERT_EQ(rs.size(), 1u);  // the interrupted transaction's row was rolled back
  EXPECT_EQ(rs.at(0, 0).int64(), 2);
  // Rolled back after the deadline and reused, not discarded.
  EXPECT_EQ(db.Stats()[0].discarded, 0);
}

TEST_P(DeadlineTest, BatchStopsAtDeadline) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), OneConnection()));
  Database& db = tdb->db();
  RequestContext ctx({.correlation_id = "batch", .timeout = std::chrono::milliseconds(200)});
  ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db.Acquire(ctx));
  std::vector<BatchStatement> batch = {{"SELECT 1", {}}, {LongStatement(), {}}, {"SELECT 2", {}}};
  const auto start = Steady::now();
  EXPECT_THAT(lease->ExecuteBatch(batch).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(3));
  lease.Reset();
  RequestContext next;
  ASSERT_OK_AND_ASSIGN(ConnectionLease again, db.Acquire(next));
  std::vector<BatchStatement> ok = {{"SELECT 1", {}}, {"SELECT 2", {}}};
  ASSERT_OK_AND_ASSIGN(auto results, again->ExecuteBatch(ok));
  EXPECT_EQ(results[1].at(0, 0).int64(), 2);
  EXPECT_EQ(db.Stats()[0].discarded, 0);
}

TEST_P(DeadlineTest, ExpiredDeadlineRunsNothing) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), OneConnection()));
  RequestContext ctx({.correlation_id = "late", .timeout = std::chrono::milliseconds(100)});
  ASSERT_OK_AND_ASSIGN(ConnectionLease lease, tdb->db().Acquire(ctx));
  ASSERT_OK(lease->Execute("CREATE TABLE t (a BIGINT)"));
  while (ctx.CheckDeadline("wait").ok()) {
    // Cheap statements run until the deadline (the last one may meet it).
    absl::Status st = lease->Execute("SELECT 1").status();
    if (!st.ok()) {
      EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;
      break;
    }
  }
  // Past the deadline a long statement stops at once (Postgres does not even send it).
  const auto start = Steady::now();
  EXPECT_THAT(lease->Execute(LongStatement()).status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(3));
}

// Waiting for a lock held by another transaction (SQLite: the write lock, within busy_timeout_ms;
// Postgres: a row lock) ends at the request's deadline too.
TEST_P(DeadlineTest, LockWaitStopsAtDeadline) {
  DatabaseOptions o = OneConnection();
  o.busy_timeout = std::chrono::milliseconds(20000);
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), o));
  RequestContext setup;
  ASSERT_OK(tdb->db().Execute(setup, "CREATE TABLE t (a BIGINT)"));
  ASSERT_OK(tdb->db().Execute(setup, "INSERT INTO t (a) VALUES (0)"));
  DatabaseOptions other_options = o;
  other_options.url = tdb->url();
  ASSERT_OK_AND_ASSIGN(auto other, Database::Open(other_options));

  ASSERT_OK_AND_ASSIGN(ConnectionLease holder, tdb->db().Acquire(setup));
  ASSERT_OK(holder->Begin(IsolationLevel::kDefault, /*immediate=*/true));
  ASSERT_OK(holder->Execute("UPDATE t SET a = 1"));
  RequestContext ctx({.correlation_id = "waiter", .timeout = std::chrono::milliseconds(200)});
  const auto start = Steady::now();
  EXPECT_THAT(other->Execute(ctx, "UPDATE t SET a = 2").status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("waiter")));
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(3));
  ASSERT_OK(holder->Commit());
  holder.Reset();
  RequestContext next;
  ASSERT_OK(other->Execute(next, "UPDATE t SET a = 3"));
}

// 1,000 distinct statements on one connection leave at most statement_cache_size prepared.
TEST_P(DeadlineTest, PreparedStatementCacheIsBounded) {
  DatabaseOptions o = OneConnection();
  o.statement_cache_size = 32;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), o));
  RequestContext ctx;
  const std::string count_sql = postgres() ? "SELECT count(*) FROM pg_prepared_statements"
                                           : "SELECT count(*) FROM sqlite_stmt";
  {
    ASSERT_OK_AND_ASSIGN(ConnectionLease lease, tdb->db().Acquire(ctx));
    ASSERT_OK_AND_ASSIGN(Statement * held, lease->Prepare("SELECT 42"));
    for (int i = 0; i < 1000; ++i) {
      ASSERT_OK_AND_ASSIGN(ResultSet rs, lease->Execute(absl::StrCat("SELECT ", i, " + ?"), {int64_t{1}}));
      ASSERT_EQ(rs.at(0, 0).int64(), i + 1);
    }
    ASSERT_OK_AND_ASSIGN(ResultSet n, lease->Execute(count_sql));
    EXPECT_LE(n.at(0, 0).int64(), 32 + 1) << "prepared statements on the connection";  // sqlite_stmt counts itself
    EXPECT_GE(n.at(0, 0).int64(), 1);
    // A statement evicted while the caller holds it still works (it prepares itself again).
    ASSERT_OK_AND_ASSIGN(ResultSet again, held->Execute(Params()));
    EXPECT_EQ(again.at(0, 0).int64(), 42);
  }
  // After the lease, on the same connection, still bounded.
  ASSERT_OK_AND_ASSIGN(ResultSet n, tdb->db().Execute(ctx, count_sql));
  EXPECT_LE(n.at(0, 0).int64(), 32 + 1);
}

TEST_P(DeadlineTest, ConnectionsOlderThanMaxLifetimeAreClosedOnReturn) {
  ManualClock clock(Clock::TimePoint{std::chrono::seconds(1700000000)});
  DatabaseOptions o = OneConnection();
  o.clock = &clock;
  o.pool.max_lifetime = std::chrono::milliseconds(60000);
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), o));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
  const int64_t created = db.Stats()[0].created;
  clock.Advance(std::chrono::milliseconds(30000));
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
  EXPECT_EQ(db.Stats()[0].created, created);
  clock.Advance(std::chrono::milliseconds(31000));
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
  if (postgres()) {
    // Lent once more when found expired in the pool: closed, and a fresh one opened.
    EXPECT_EQ(db.Stats()[0].created, created + 1);
    EXPECT_GE(db.Stats()[0].discarded, 1);
  } else {
    EXPECT_EQ(db.Stats()[0].created, created);  // SQLite connections are never recycled
  }
}

DAIRA_INSTANTIATE_SQL_BACKENDS(DeadlineTest);

}  // namespace
}  // namespace daira::store
