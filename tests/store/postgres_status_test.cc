// The one SQLSTATE table (backends/postgres/postgres_status.cc): codes by exact SQLSTATE and by class,
// which errors discard the connection, which re-prepare. Pure: no server needed.
#include "backends/postgres/postgres_status.h"

#include "daira/store/connection.h"
#include "gtest/gtest.h"

namespace daira::backends {
namespace {

using absl::StatusCode;

struct Row {
  const char* sqlstate;
  StatusCode code;
  bool discard;
  bool reprepare;
};

TEST(PostgresStatusTest, SqlStateTable) {
  const Row rows[] = {
      {"23505", StatusCode::kAlreadyExists, false, false},
      {"23503", StatusCode::kFailedPrecondition, false, false},
      {"23514", StatusCode::kInvalidArgument, false, false},
      {"23502", StatusCode::kInvalidArgument, false, false},
      {"22012", StatusCode::kInvalidArgument, false, false},
      {"22P02", StatusCode::kInvalidArgument, false, false},
      // Failover: the old primary is read-only. Unavailable (retry the call) on another connection.
      {"25006", StatusCode::kUnavailable, true, false},
      // In a failed transaction: fix the state (roll back) first; not Internal.
      {"25P02", StatusCode::kFailedPrecondition, false, false},
      {"25001", StatusCode::kFailedPrecondition, false, false},
      {"3B001", StatusCode::kFailedPrecondition, false, false},
      // The server forgot a prepared statement: re-prepare (inside a transaction: retry it).
      {"26000", StatusCode::kAborted, false, true},
      {"40001", StatusCode::kAborted, false, false},
      {"40P01", StatusCode::kAborted, false, false},
      {"40002", StatusCode::kAborted, false, false},
      {"55P03", StatusCode::kAborted, false, false},
      {"53300", StatusCode::kUnavailable, false, false},
      {"53100", StatusCode::kResourceExhausted, false, false},
      {"53200", StatusCode::kResourceExhausted, false, false},
      {"53400", StatusCode::kResourceExhausted, false, false},
      {"57014", StatusCode::kDeadlineExceeded, false, false},
      {"08006", StatusCode::kUnavailable, true, false},
      {"08003", StatusCode::kUnavailable, true, false},
      {"57P01", StatusCode::kUnavailable, true, false},
      {"57P02", StatusCode::kUnavailable, true, false},
      {"57P03", StatusCode::kUnavailable, true, false},
      {"57P05", StatusCode::kUnavailable, true, false},
      {"42601", StatusCode::kInternal, false, false},
      {"42P01", StatusCode::kInternal, false, false},
      {"0A000", StatusCode::kInternal, false, false},
      {"XX000", StatusCode::kInternal, false, false},
      {"", StatusCode::kInternal, false, false},
      {"5", StatusCode::kInternal, false, false},
  };
  for (const Row& r : rows) {
    PgErrorClass c = PgClassifySqlState(r.sqlstate);
    EXPECT_EQ(c.code, r.code) << r.sqlstate;
    EXPECT_EQ(c.discard_connection, r.discard) << r.sqlstate;
    EXPECT_EQ(c.reprepare, r.reprepare) << r.sqlstate;
    EXPECT_EQ(PgCodeForSqlState(r.sqlstate), r.code) << r.sqlstate;
  }
}

TEST(PostgresStatusTest, LostConnectionStates) {
  for (const char* s : {"08000", "08006", "57P01", "57P02", "57P03", "57P04", "57P05"}) {
    EXPECT_TRUE(PgSqlStateMeansLostConnection(s)) << s;
  }
  for (const char* s : {"25006", "57014", "40001", ""}) EXPECT_FALSE(PgSqlStateMeansLostConnection(s)) << s;
}

TEST(PostgresStatusTest, ErrorCarriesSqlStateAndCode) {
  absl::Status s = PgError("25P02", "current transaction is aborted", "SELECT 1");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store::StatusSqlState(s), "25P02");
  EXPECT_NE(s.message().find("SQLSTATE 25P02"), absl::string_view::npos);
}

TEST(PostgresStatusTest, CommitOutcomeUnknownIsDistinct) {
  absl::Status cause = PgError("08006", "server closed the connection unexpectedly", "COMMIT",
                               StatusCode::kUnavailable);
  EXPECT_FALSE(store::IsCommitOutcomeUnknown(cause));
  absl::Status unknown = store::CommitOutcomeUnknown(cause);
  EXPECT_EQ(unknown.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(store::IsCommitOutcomeUnknown(unknown));
  EXPECT_EQ(store::StatusSqlState(unknown), "08006");  // the cause's payloads are kept
  EXPECT_NE(unknown.message().find("outcome unknown"), absl::string_view::npos);
  EXPECT_FALSE(store::IsCommitOutcomeUnknown(absl::OkStatus()));
}

}  // namespace
}  // namespace daira::backends
