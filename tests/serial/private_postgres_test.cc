// Failures of a PostgreSQL server this test starts itself (scripts/lib/private_pg.sh), never the shared
// one: a frozen server (SIGSTOP by PID) is detected within the configured bound; after a restart no
// caller sees more than one error per pooled connection; after a failover (promote the synchronous
// replica, stop the old primary) writes resume on the new primary through a multi-host URL without
// reopening the Database, and no acknowledged write is lost. In serial_test (RUN_SERIAL): the timing
// bounds are generous, but a machine busy with parallel tests should not make them flaky.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_postgres.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::InCi;
using ::daira::testing::PrivatePostgres;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

// Starts a private server, or skips (FAILs with CI=true) when the machine has no server binaries.
#define START_PRIVATE_POSTGRES(var, replica)                                                       \
  if (!::daira::testing::PrivatePostgresAvailable()) {                                             \
    if (InCi()) FAIL() << "CI=true but no PostgreSQL server binaries for a private server";        \
    GTEST_SKIP() << "no PostgreSQL server binaries: private-server failures NOT covered";          \
  }                                                                                                \
  ASSERT_OK_AND_ASSIGN(auto var, PrivatePostgres::Start(replica))

TEST(PrivatePostgresTest, FrozenServerIsDetectedWithinTheBound) {
  START_PRIVATE_POSTGRES(pg, false);
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(pg->url() + "?pool_min=1&pool_max=2&statement_timeout_ms=1000&"
                                                              "connect_timeout_ms=1000&validate_after_ms=600000"));
  RequestContext ctx;
  ASSERT_OK(db->Execute(ctx, "SELECT 1"));
  ASSERT_OK(pg->Freeze());

  // 1. No request deadline: statement_timeout_ms (1 s) + the cancel grace (1 s) bound it.
  auto start = Steady::now();
  auto rs = db->Execute(ctx, "SELECT 1");
  auto took = Steady::now() - start;
  EXPECT_THAT(rs.status(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("statement_timeout_ms")));
  EXPECT_LT(took, std::chrono::seconds(4));
  // The frozen session cannot be trusted any more: discarded.
  EXPECT_GE(db->Stats()[0].discarded, 1);

  // 2. A request deadline (300 ms) bounds acquiring a new connection from the frozen server too.
  RequestContext short_ctx({.correlation_id = "frozen", .timeout = std::chrono::milliseconds(300)});
  start = Steady::now();
  rs = db->Execute(short_ctx, "SELECT 1");
  took = Steady::now() - start;
  EXPECT_TRUE(rs.status().code() == absl::StatusCode::kDeadlineExceeded ||
              rs.status().code() == absl::StatusCode::kUnavailable)
      << rs.status();
  EXPECT_LT(took, std::chrono::seconds(3));

  // 3. Opening a Database against the frozen server: connect_timeout_ms bounds it.
  start = Steady::now();
  auto opened = Database::Open(pg->url() + "?pool_min=1&connect_timeout_ms=500");
  EXPECT_THAT(opened.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connect_timeout_ms")));
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(3));

  ASSERT_OK(pg->Thaw());
  RequestContext after;
  ASSERT_OK(db->Execute(after, "SELECT 1"));
}

// A COMMIT sent to a server that stops answering: after the bound, the outcome is unknown, and the status
// says so (Unavailable + daira.dev/commit-unknown) instead of a plain deadline or "retry the call".
TEST(PrivatePostgresTest, CommitToFrozenServerHasUnknownOutcome) {
  START_PRIVATE_POSTGRES(pg, false);
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(pg->url() + "?pool_min=1&pool_max=1&statement_timeout_ms=500"));
  RequestContext ctx;
  ASSERT_OK(db->Execute(ctx, "CREATE TABLE t (a BIGINT)"));
  {
    ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db->Acquire(ctx));
    ASSERT_OK(lease->Begin());
    ASSERT_OK(lease->Execute("INSERT INTO t (a) VALUES (1)"));
    ASSERT_OK(pg->Freeze());
    const auto start = Steady::now();
    absl::Status commit = lease->Commit();
    EXPECT_LT(Steady::now() - start, std::chrono::seconds(4));
    EXPECT_THAT(commit, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("outcome unknown")));
    EXPECT_TRUE(IsCommitOutcomeUnknown(commit)) << commit;
    EXPECT_TRUE(lease->IsBroken());
  }
  ASSERT_OK(pg->Thaw());
  // The frozen transaction's COMMIT may or may not have landed; the database works either way.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db->Execute(ctx, "SELECT count(*) FROM t"));
  EXPECT_LE(rs.at(0, 0).int64(), 1);
}

// After a server restart every pooled connection is dead; with no validation ping (validate_after long)
// each costs at most one Unavailable to one caller, and is then replaced — in fact only the first: once a
// connection comes back broken, the pool pings the other idle ones before lending them.
TEST(PrivatePostgresTest, RestartCostsAtMostOneErrorPerPooledConnection) {
  START_PRIVATE_POSTGRES(pg, false);
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(pg->url() + "?pool_min=3&pool_max=4&validate_after_ms=600000"));
  RequestContext ctx;
  {
    std::vector<ConnectionLease> held;
    for (int i = 0; i < 3; ++i) {
      ASSERT_OK_AND_ASSIGN(ConnectionLease l, db->Acquire(ctx));
      held.push_back(std::move(l));
    }
  }
  const int open_before = db->Stats()[0].open;
  ASSERT_OK(pg->Restart());
  int unavailable = 0;
  for (int i = 0; i < 20; ++i) {
    auto rs = db->Execute(ctx, "SELECT ?", {int64_t{i}});
    if (!rs.ok()) {
      EXPECT_EQ(rs.status().code(), absl::StatusCode::kUnavailable) << rs.status();
      ++unavailable;
    }
  }
  EXPECT_LE(unavailable, open_before);
  // Stronger: the first broken connection makes the pool ping the others before lending them.
  EXPECT_LE(unavailable, 1);
  for (int i = 0; i < 5; ++i) EXPECT_OK(db->Execute(ctx, "SELECT 1"));

  // With a validation ping before every lend, nobody sees the restart at all.
  ASSERT_OK_AND_ASSIGN(auto pinged, Database::Open(pg->url() + "?pool_min=3&pool_max=4&validate_after_ms=0"));
  ASSERT_OK(pg->Restart());
  for (int i = 0; i < 10; ++i) EXPECT_OK(pinged->Execute(ctx, "SELECT ?", {int64_t{i}})) << i;
}

TEST(PrivatePostgresTest, FailoverRestartResumesWritesOnPromotedReplica) {
  START_PRIVATE_POSTGRES(pg, true);
  // One URL naming both servers (libpq's multi-host authority form): libpq tries them in order and keeps
  // the one that accepts writes.
  const std::string url = absl::StrCat("postgres://postgres@127.0.0.1:", pg->port(), ",127.0.0.1:", pg->replica_port(),
                                       "/postgres?target_session_attrs=read-write&pool_min=2&pool_max=2"
                                       "&validate_after_ms=600000&connect_timeout_ms=3000");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(url));
  RequestContext ctx;
  ASSERT_OK(db->Execute(ctx, "CREATE TABLE acked (n BIGINT PRIMARY KEY)"));
  std::vector<int64_t> acknowledged;
  for (int64_t n = 1; n <= 50; ++n) {
    ASSERT_OK(db->Execute(ctx, "INSERT INTO acked (n) VALUES (?)", {n}));
    acknowledged.push_back(n);
  }
  ASSERT_OK_AND_ASSIGN(ResultSet before, db->Execute(ctx, "SELECT inet_server_port()"));
  EXPECT_EQ(before.at(0, 0).int64(), pg->port());

  ASSERT_OK(pg->Promote());
  ASSERT_OK(pg->StopPrimary());

  // Writes resume on the new primary; each pooled connection to the old one fails at most once.
  int errors = 0;
  for (int64_t n = 51; n <= 100; ++n) {
    absl::Status st;
    for (int attempt = 0; attempt < 5; ++attempt) {
      st = db->Execute(ctx, "INSERT INTO acked (n) VALUES (?)", {n}).status();
      if (st.ok()) break;
      ++errors;
      EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
    }
    ASSERT_OK(st) << "write " << n << " after the failover";
    acknowledged.push_back(n);
  }
  EXPECT_LE(errors, 2) << "more errors than pooled connections";
  EXPECT_LE(errors, 1) << "the first broken connection should have the others validated";
  ASSERT_OK_AND_ASSIGN(ResultSet where, db->Execute(ctx, "SELECT inet_server_port(), pg_is_in_recovery()"));
  EXPECT_EQ(where.at(0, 0).int64(), pg->replica_port());
  EXPECT_EQ(where.at(0, 1).int64(), 0);
  ASSERT_OK_AND_ASSIGN(ResultSet rows, db->Execute(ctx, "SELECT n FROM acked ORDER BY n"));
  ASSERT_EQ(rows.size(), acknowledged.size());
  for (size_t i = 0; i < acknowledged.size(); ++i) EXPECT_EQ(rows.at(i, 0).int64(), acknowledged[i]);
}

}  // namespace
}  // namespace daira::store
