// Replica routing (Postgres only): reads on a streaming replica, writes on the primary, read-your-writes,
// unreachable and paused replicas skipped for the primary.
//
// Needs DAIRA_TEST_PG (primary) and DAIRA_TEST_PG_REPLICA (a streaming replica of it); scripts/test
// starts both. Without them a banner says replicas are NOT covered (and with CI=true the tests fail).

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::EnvOr;
using ::daira::testing::InCi;
using ::daira::testing::TestDatabase;

MATCHER_P(Holds, value, "is OK and holds " + ::testing::PrintToString(value)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return *arg == value;
}

bool ReplicaConfigured() { return !EnvOr("DAIRA_TEST_PG").empty() && !EnvOr("DAIRA_TEST_PG_REPLICA").empty(); }

// True when there is no replica to test against and that is acceptable (not CI): prints the banner.
// With CI=true and no replica, fails the test.
bool NotCovered() {
  if (ReplicaConfigured()) return false;
  if (InCi()) {
    ADD_FAILURE() << "CI=true but DAIRA_TEST_PG / DAIRA_TEST_PG_REPLICA are not set: replica routing must be "
                     "covered in CI (scripts/test starts a primary and a streaming replica)";
    return true;
  }
  std::fprintf(stderr,
               "*** DAIRA_TEST_PG_REPLICA is not set: replica routing is NOT covered by this run "
               "(./scripts/test starts a primary and a streaming replica) ***\n");
  EXPECT_FALSE(ReplicaConfigured() || InCi());  // the banner's condition
  return true;
}

// Whether the connection behind `access` is a server in recovery (a replica).
absl::StatusOr<bool> InRecovery(Database& db, const RequestContext& ctx, Access access) {
  DAIRA_ASSIGN_OR_RETURN(ConnectionLease lease, db.Acquire(ctx, access));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, lease->Execute("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END"));
  return rs.row(0).Int64(0) == 1;
}

// A small database on the replica alone, to pause/resume WAL replay.
std::unique_ptr<Database> OpenReplicaAdmin() {
  DatabaseOptions o;
  o.url = EnvOr("DAIRA_TEST_PG_REPLICA");
  o.pool.pool_min = 0;
  o.pool.pool_max = 1;
  auto db = Database::Open(o);
  EXPECT_OK(db);
  return db.ok() ? std::move(*db) : nullptr;
}

DatabaseOptions Small() {
  DatabaseOptions o;
  o.pool.pool_min = 1;
  o.pool.pool_max = 4;
  return o;
}

TEST(ReplicaTest, ReadLeasesGoToTheReplicaWritesToThePrimary) {
  if (NotCovered()) return;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create("postgres", Small(), /*with_replica=*/true));
  Database& db = tdb->db();
  RequestContext ctx;
  ASSERT_EQ(db.Stats().size(), 2u);  // primary, then the replica
  EXPECT_THAT(InRecovery(db, ctx, Access::kRead), Holds(true));
  EXPECT_THAT(InRecovery(db, ctx, Access::kWrite), Holds(false));
  // Writes through Database::Execute land on the primary (a replica would refuse them).
  ASSERT_OK(db.Execute(ctx, "CREATE TABLE rep_t (v BIGINT)"));
  ASSERT_OK(db.Execute(ctx, "INSERT INTO rep_t (v) VALUES (1)"));
  EXPECT_GE(db.Stats()[1].acquires, 1);
}

TEST(ReplicaTest, ReadYourWrites) {
  if (NotCovered()) return;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create("postgres", Small(), /*with_replica=*/true));
  Database& db = tdb->db();
  {
    RequestContext ctx;
    ASSERT_OK(db.Execute(ctx, "CREATE TABLE ryw_t (v BIGINT PRIMARY KEY)"));
    EXPECT_NE(ctx.last_write_position(), "");
  }
  for (int i = 0; i < 200; ++i) {
    RequestContext ctx;
    if (i % 2 == 0) {
      ASSERT_OK(db.Execute(ctx, "INSERT INTO ryw_t (v) VALUES (?)", {int64_t{i}}));
    } else {
      ASSERT_OK(db.RunInTransaction(ctx, [&](Connection& c) {
        return c.Execute("INSERT INTO ryw_t (v) VALUES (?)", {int64_t{i}}).status();
      }));
    }
    ASSERT_NE(ctx.last_write_position(), "") << i;
    ASSERT_OK_AND_ASSIGN(ResultSet rs, db.Read(ctx, "SELECT count(*) FROM ryw_t WHERE v = ?", {int64_t{i}}));
    ASSERT_EQ(rs.row(0).Int64(0), 1) << "read after write " << i << " missed it";
  }
  // Reads that are not writes record nothing.
  RequestContext reader;
  ASSERT_OK(db.Read(reader, "SELECT count(*) FROM ryw_t"));
  ASSERT_OK(db.Execute(reader, "SELECT 1"));
  EXPECT_EQ(reader.last_write_position(), "");
}

TEST(ReplicaTest, UnreachableReplicaIsSkipped) {
  if (NotCovered()) return;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create("postgres", Small()));
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  DatabaseOptions o = Small();
  ASSERT_OK_AND_ASSIGN(DatabaseOptions parsed, DatabaseOptions::FromUrl(tdb->url()));
  o.url = parsed.url;
  o.replicas = {"postgres://postgres@127.0.0.1:1/postgres"};
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(o));  // a dead replica does not stop Open
  RequestContext ctx;
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(InRecovery(*db, ctx, Access::kRead), Holds(false));
    EXPECT_OK(db->Read(ctx, "SELECT 1"));
  }
  ASSERT_EQ(db->Stats().size(), 2u);
  EXPECT_EQ(db->Stats()[1].open, 0);
  EXPECT_EQ(db->Stats()[1].acquires, 0);
}

TEST(ReplicaTest, PausedReplayFallsBackToThePrimary) {
  if (NotCovered()) return;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create("postgres", Small(), /*with_replica=*/true));
  Database& db = tdb->db();
  RequestContext setup;
  ASSERT_OK(db.Execute(setup, "CREATE TABLE pause_t (v BIGINT)"));
  // Wait until the replica has the table (polling through read-your-writes routing itself).
  std::unique_ptr<Database> replica_admin = OpenReplicaAdmin();
  ASSERT_NE(replica_admin, nullptr);
  RequestContext admin_ctx;
  ASSERT_OK(replica_admin->Execute(admin_ctx, "SELECT pg_wal_replay_pause()"));
  struct Resume {
    Database* db;
    ~Resume() {
      RequestContext c;
      EXPECT_OK(db->Execute(c, "SELECT pg_wal_replay_resume()"));
    }
  } resume{replica_admin.get()};

  RequestContext ctx;
  ASSERT_OK(db.Execute(ctx, "INSERT INTO pause_t (v) VALUES (7)"));
  // The replica cannot have replayed this write: the read must go to the primary and see it.
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(InRecovery(db, ctx, Access::kRead), Holds(false));
    ASSERT_OK_AND_ASSIGN(ResultSet rs, db.Read(ctx, "SELECT count(*) FROM pause_t WHERE v = 7"));
    EXPECT_EQ(rs.row(0).Int64(0), 1);
  }
  // A context that wrote nothing may still read the (stale) replica.
  RequestContext fresh;
  EXPECT_THAT(InRecovery(db, fresh, Access::kRead), Holds(true));
}

TEST(ReplicaTest, LaggingReplicaIsSkipped) {
  if (NotCovered()) return;
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create("postgres", Small(), /*with_replica=*/true));
  std::unique_ptr<Database> replica_admin = OpenReplicaAdmin();
  ASSERT_NE(replica_admin, nullptr);
  RequestContext ctx;
  ASSERT_OK(tdb->db().Execute(ctx, "CREATE TABLE lag_t (v BIGINT)"));
  ASSERT_OK(replica_admin->Execute(ctx, "SELECT pg_wal_replay_pause()"));
  struct Resume {
    Database* db;
    ~Resume() {
      RequestContext c;
      EXPECT_OK(db->Execute(c, "SELECT pg_wal_replay_resume()"));
    }
  } resume{replica_admin.get()};
  // Write from one context, then measure the lag of the replica on a fresh Database (no cached lag).
  ASSERT_OK(tdb->db().Execute(ctx, "INSERT INTO lag_t (v) VALUES (1)"));
  // Wait (polling the condition) until the replica has received the WAL it is not replaying.
  for (int i = 0; i < 100000; ++i) {
    ASSERT_OK_AND_ASSIGN(ResultSet rs,
                         replica_admin->Execute(ctx, "SELECT CASE WHEN pg_last_wal_receive_lsn() > "
                                                     "pg_last_wal_replay_lsn() THEN 1 ELSE 0 END"));
    if (rs.row(0).Int64(0) == 1) break;
    std::this_thread::yield();
  }
  DatabaseOptions strict = Small();
  strict.max_replica_lag = std::chrono::milliseconds(0);
  ASSERT_OK(tdb->Reopen(strict));
  RequestContext fresh;
  ASSERT_OK_AND_ASSIGN(ConnectionLease probe, tdb->db().Acquire(fresh, Access::kWrite));
  probe.Reset();
  // Any measured lag exceeds 0 ms: reads of a context that wrote nothing go to the primary too.
  EXPECT_THAT(InRecovery(tdb->db(), fresh, Access::kRead), Holds(false));
}

}  // namespace
}  // namespace daira::store
