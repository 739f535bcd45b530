// PostgreSQL error truth against a real server (DAIRA_TEST_PG), through store::Database: the SQLSTATE
// table's consequences (25006 discards the connection, 26000 re-prepares, 25P02 is FailedPrecondition),
// a COMMIT whose outcome is unknown, and libpq notices routed through daira's logger.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "daira/core/logging.h"
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

std::vector<std::string> PostgresOnly() {
  std::vector<std::string> out;
  for (const std::string& b : daira::testing::SqlBackends()) {
    if (b == "postgres") out.push_back(b);
  }
  return out;
}

class PostgresErrorsTest : public ::testing::TestWithParam<std::string> {
 protected:
  static DatabaseOptions Small(int max) {
    DatabaseOptions o;
    o.pool.pool_min = 1;
    o.pool.pool_max = max;
    return o;
  }
};

// 25006 (a read-only session: the old primary after a failover) is Unavailable and the connection is
// discarded, so the next call gets a fresh connection (which, after a real failover, reaches the new
// primary).
TEST_P(PostgresErrorsTest, ReadOnlySessionIsUnavailableAndDiscarded) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), Small(1)));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "CREATE TABLE t (a BIGINT)"));
  ASSERT_OK(db.Execute(ctx, "SET SESSION default_transaction_read_only = on"));
  const int64_t discarded = db.Stats()[0].discarded;
  auto rs = db.Execute(ctx, "INSERT INTO t (a) VALUES (1)");
  EXPECT_THAT(rs.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("25006")));
  EXPECT_EQ(db.Stats()[0].discarded, discarded + 1);
  ASSERT_OK(db.Execute(ctx, "INSERT INTO t (a) VALUES (2)"));
}

// 26000: the server forgot the prepared statements (DISCARD ALL, DEALLOCATE ALL, a pooler): outside a
// transaction the statement is prepared again transparently; inside one, Aborted retries the transaction.
TEST_P(PostgresErrorsTest, ForgottenPreparedStatementIsPreparedAgain) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), Small(1)));
  Database& db = tdb->db();
  RequestContext ctx;
  for (int i = 0; i < 3; ++i) ASSERT_OK(db.Execute(ctx, "SELECT ? + 1", {int64_t{i}}));
  ASSERT_OK(db.Execute(ctx, "DEALLOCATE ALL"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db.Execute(ctx, "SELECT ? + 1", {int64_t{41}}));
  EXPECT_EQ(rs.at(0, 0).int64(), 42);

  // A batch (pipeline) too.
  ASSERT_OK(db.Execute(ctx, "DEALLOCATE ALL"));
  {
    ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db.Acquire(ctx));
    std::vector<BatchStatement> batch = {{"SELECT ? + 1", {int64_t{1}}}, {"SELECT ? + 1", {int64_t{2}}}};
    ASSERT_OK_AND_ASSIGN(auto results, lease->ExecuteBatch(batch));
    EXPECT_EQ(results[1].at(0, 0).int64(), 3);
  }

  int attempts = 0;
  ASSERT_OK(db.RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    ++attempts;
    if (attempts == 1) DAIRA_RETURN_IF_ERROR(c.ExecuteScript("DEALLOCATE ALL"));
    return c.Execute("SELECT ? + 1", {int64_t{1}}).status();
  }));
  EXPECT_EQ(attempts, 2);
}

TEST_P(PostgresErrorsTest, StatementInFailedTransactionIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), Small(1)));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(ConnectionLease lease, tdb->db().Acquire(ctx));
  ASSERT_OK(lease->Begin());
  EXPECT_THAT(lease->Execute("SELECT 1 / 0").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(lease->Execute("SELECT 1").status(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("25P02")));
  ASSERT_OK(lease->Rollback());
  ASSERT_OK(lease->Execute("SELECT 1"));
}

// The session dies between the transaction's work and the COMMIT's answer: the outcome is unknown, and
// the status says so (Unavailable with daira.dev/commit-unknown), instead of a plain "retry the call".
TEST_P(PostgresErrorsTest, CommitOnLostSessionHasUnknownOutcome) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), Small(2)));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "CREATE TABLE t (a BIGINT)"));
  ASSERT_OK_AND_ASSIGN(ConnectionLease tx, db.Acquire(ctx));
  ASSERT_OK_AND_ASSIGN(ConnectionLease killer, db.Acquire(ctx));
  ASSERT_OK(tx->Begin());
  ASSERT_OK(tx->Execute("INSERT INTO t (a) VALUES (1)"));
  ASSERT_OK_AND_ASSIGN(ResultSet pid, tx->Execute("SELECT pg_backend_pid()"));
  // Waits (up to 10 s) until that session has exited.
  ASSERT_OK_AND_ASSIGN(ResultSet killed,
                       killer->Execute("SELECT pg_terminate_backend(?::int, 10000)", {pid.at(0, 0).int64()}));
  ASSERT_EQ(killed.at(0, 0).int64(), 1);
  absl::Status commit = tx->Commit();
  EXPECT_THAT(commit, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("outcome unknown")));
  EXPECT_TRUE(IsCommitOutcomeUnknown(commit)) << commit;
  EXPECT_TRUE(tx->IsBroken());
  tx.Reset();
  killer.Reset();
  // An ordinary lost connection (not at COMMIT) is plain Unavailable.
  EXPECT_FALSE(IsCommitOutcomeUnknown(absl::UnavailableError("x")));
  ASSERT_OK(db.Execute(ctx, "SELECT 1"));
}

TEST_P(PostgresErrorsTest, NoticesGoThroughTheLogger) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam(), Small(1)));
  std::mutex mu;
  std::vector<LogRecord> records;
  SetLogSink(
      [&](const LogRecord& r) {
        std::lock_guard<std::mutex> lock(mu);
        records.push_back(r);
      },
      LogLevel::kDebug);
  RequestContext ctx({.correlation_id = "notice-req"});
  absl::Status st = tdb->db().Execute(ctx, "DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; "
                                           "RAISE WARNING 'careful now'; END $$").status();
  SetLogSink(nullptr);
  ASSERT_OK(st);
  std::lock_guard<std::mutex> lock(mu);
  const LogRecord* notice = nullptr;
  const LogRecord* warning = nullptr;
  for (const LogRecord& r : records) {
    if (r.message.find("hello from plpgsql") != std::string::npos) notice = &r;
    if (r.message.find("careful now") != std::string::npos) warning = &r;
  }
  ASSERT_NE(notice, nullptr);
  EXPECT_EQ(notice->level, LogLevel::kInfo);
  EXPECT_EQ(notice->component, "postgres");
  EXPECT_EQ(notice->correlation_id, "notice-req");
  ASSERT_NE(warning, nullptr);
  EXPECT_EQ(warning->level, LogLevel::kWarning);
}

INSTANTIATE_TEST_SUITE_P(Sql, PostgresErrorsTest, ::testing::ValuesIn(PostgresOnly()),
                         ::daira::testing::BackendName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresErrorsTest);

}  // namespace
}  // namespace daira::store
