// A nested Database::RunInTransaction with the same request context joins the outer transaction:
// services compose (e.g. "follow" calls "notify") and commit or roll back as one unit.

#include <string>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;

class NestedTransactionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK(db().Execute(ctx_, "CREATE TABLE nt_items (id BIGINT PRIMARY KEY)"));
  }
  Database& db() { return tdb_->db(); }
  int64_t Count() {
    auto rs = db().Read(RequestContext(), "SELECT count(*) FROM nt_items");
    EXPECT_OK(rs);
    return rs.ok() ? rs->row(0).Int64(0) : -1;
  }
  absl::Status Insert(const RequestContext& ctx, int64_t id) {
    return db().RunInTransaction(ctx, [&](Connection& c) {
      return c.Execute("INSERT INTO nt_items (id) VALUES (?)", {id}).status();
    });
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(NestedTransactionTest, InnerCallJoinsTheOuterTransaction) {
  Connection* outer_conn = nullptr;
  Connection* inner_conn = nullptr;
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection& c) -> absl::Status {
    outer_conn = &c;
    DAIRA_RETURN_IF_ERROR(Insert(ctx_, 1));
    return db().RunInTransaction(ctx_, [&](Connection& inner) {
      inner_conn = &inner;
      return inner.Execute("INSERT INTO nt_items (id) VALUES (2)").status();
    });
  }));
  EXPECT_EQ(outer_conn, inner_conn);
  EXPECT_EQ(Count(), 2);
  EXPECT_EQ(ctx_.open_transaction(), nullptr);
  EXPECT_EQ(db().Stats()[0].in_use, 0);
}

TEST_P(NestedTransactionTest, OuterFailureRollsBackWhatTheInnerCallWrote) {
  absl::Status st = db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(Insert(ctx_, 1));
    return absl::FailedPreconditionError("follow: target is blocked");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count(), 0);
}

TEST_P(NestedTransactionTest, InnerFailureFailsTheWholeUnit) {
  absl::Status st = db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(Insert(ctx_, 1));
    return Insert(ctx_, 1);  // duplicate key inside the joined transaction
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Count(), 0);
}

TEST_P(NestedTransactionTest, OneShotStatementsInsideATransactionUseItsConnection) {
  // On SQLite a second connection would wait for the one writer the transaction holds: this must
  // neither block nor escape the transaction.
  absl::Status st = db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(db().Execute(ctx_, "INSERT INTO nt_items (id) VALUES (5)").status());
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs, db().Read(ctx_, "SELECT count(*) FROM nt_items"));
    if (rs.row(0).Int64(0) != 1) return absl::InternalError("the read did not see the transaction's write");
    return absl::CancelledError("roll back on purpose");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(Count(), 0);
}

TEST_P(NestedTransactionTest, SeparateContextsAreSeparateTransactions) {
  ASSERT_OK(Insert(ctx_, 1));
  RequestContext other;
  ASSERT_OK(Insert(other, 2));
  EXPECT_EQ(Count(), 2);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(NestedTransactionTest);

}  // namespace
}  // namespace daira::store
