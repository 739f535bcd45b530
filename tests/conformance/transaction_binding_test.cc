// How a transaction binds a request context (issue "A store that many app instances can share
// safely"): a scoped binding owned by the call and released on every exit, never visible to copies;
// the same object used from another thread is refused; joined calls are savepoints on both backends;
// after-commit hooks; a manually begun store::Transaction binds its context; a closed Database refuses
// work instead of dangling.

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "daira/store/open_transaction.h"
#include "daira/store/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TransactionBindingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK(db().Execute(ctx_, "CREATE TABLE tb_items (id BIGINT PRIMARY KEY)"));
  }
  Database& db() { return tdb_->db(); }
  int64_t Count() {
    auto rs = db().Read(RequestContext(), "SELECT count(*) FROM tb_items");
    EXPECT_OK(rs);
    return rs.ok() ? rs->row(0).Int64(0) : -1;
  }
  absl::Status Insert(const RequestContext& ctx, int64_t id) {
    return db().RunInTransaction(
        ctx, [&](Connection& c) { return c.Execute("INSERT INTO tb_items (id) VALUES (?)", {id}).status(); });
  }
  int InUse() { return db().Stats()[0].in_use; }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(TransactionBindingTest, CopiesOfTheContextDoNotCarryTheTransaction) {
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tb_items (id) VALUES (1)").status());
    EXPECT_NE(ctx_.open_transaction(), nullptr);
    RequestContext copy = ctx_;  // e.g. handed to a worker thread
    RequestContext moved = RequestContext(ctx_);
    EXPECT_EQ(copy.open_transaction(), nullptr);
    EXPECT_EQ(moved.open_transaction(), nullptr);
    EXPECT_EQ(copy.correlation_id(), ctx_.correlation_id());  // the rest is shared
    return absl::OkStatus();
  }));
  EXPECT_EQ(ctx_.open_transaction(), nullptr);
  EXPECT_EQ(Count(), 1);
}

TEST_P(TransactionBindingTest, ACopyOnAnotherThreadWorksOutsideTheTransaction) {
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tb_items (id) VALUES (1)").status());
    int64_t seen = -1;
    std::thread t([&, copy = ctx_] {
      auto rs = db().Read(copy, "SELECT count(*) FROM tb_items");  // a reader connection, committed data
      EXPECT_OK(rs);
      if (rs.ok()) seen = rs->row(0).Int64(0);
    });
    t.join();
    EXPECT_EQ(seen, 0) << "the copy saw the other thread's uncommitted write";
    return absl::OkStatus();
  }));
}

TEST_P(TransactionBindingTest, TheSameContextObjectFromAnotherThreadIsRefused) {
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    absl::Status read, write, nested;
    std::thread t([&] {
      read = db().Read(ctx_, "SELECT count(*) FROM tb_items").status();
      write = db().Execute(ctx_, "INSERT INTO tb_items (id) VALUES (9)").status();
      nested = Insert(ctx_, 10);
    });
    t.join();
    EXPECT_THAT(read, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another thread")));
    EXPECT_THAT(write, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another thread")));
    EXPECT_THAT(nested, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another thread")));
    return absl::OkStatus();
  }));
  EXPECT_EQ(Count(), 0);
}

TEST_P(TransactionBindingTest, AnExceptionFromTheFunctionUnbindsAndRollsBack) {
  EXPECT_THROW((void)db().RunInTransaction(ctx_,
                                           [&](Connection& c) -> absl::Status {
                                             EXPECT_OK(c.Execute("INSERT INTO tb_items (id) VALUES (1)"));
                                             throw std::runtime_error("user code throws");
                                           }),
               std::runtime_error);
  EXPECT_EQ(ctx_.open_transaction(), nullptr);
  EXPECT_EQ(InUse(), 0);
  EXPECT_EQ(Count(), 0);
  // The context and the pool work normally afterwards.
  ASSERT_OK(Insert(ctx_, 2));
  ASSERT_OK(db().Execute(ctx_, "INSERT INTO tb_items (id) VALUES (3)"));
  EXPECT_EQ(Count(), 2);
}

TEST_P(TransactionBindingTest, ACaughtInnerErrorUndoesOnlyTheInnerWork) {
  // Before savepoints: SQLite committed the inner insert's partial work and Postgres failed every later
  // statement with 25P02 ("current transaction is aborted").
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tb_items (id) VALUES (1)").status());
    absl::Status inner = db().RunInTransaction(ctx_, [&](Connection& ic) -> absl::Status {
      DAIRA_RETURN_IF_ERROR(ic.Execute("INSERT INTO tb_items (id) VALUES (2)").status());
      return ic.Execute("INSERT INTO tb_items (id) VALUES (1)").status();  // duplicate key
    });
    EXPECT_THAT(inner, StatusIs(absl::StatusCode::kAlreadyExists));
    // The caller handled it and goes on: the transaction is usable on both backends.
    return c.Execute("INSERT INTO tb_items (id) VALUES (3)").status();
  }));
  auto rs = db().Read(ctx_, "SELECT id FROM tb_items ORDER BY id");
  ASSERT_OK(rs);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < rs->size(); ++i) ids.push_back(rs->row(i).Int64(0));
  EXPECT_THAT(ids, ElementsAre(1, 3));
}

TEST_P(TransactionBindingTest, SavepointsNestSeveralLevels) {
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(Insert(ctx_, 1));
    EXPECT_THAT(db().RunInTransaction(ctx_,
                                      [&](Connection&) -> absl::Status {
                                        DAIRA_RETURN_IF_ERROR(Insert(ctx_, 2));
                                        DAIRA_RETURN_IF_ERROR(Insert(ctx_, 3));
                                        return absl::CancelledError("undo 2 and 3");
                                      }),
                StatusIs(absl::StatusCode::kCancelled));
    return Insert(ctx_, 4);
  }));
  EXPECT_EQ(Count(), 2);
}

TEST_P(TransactionBindingTest, AfterCommitHooksRunOnlyAfterACommit) {
  std::vector<std::string> ran;
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection& c) -> absl::Status {
    AfterCommit(ctx_, [&] { ran.push_back("outer"); });
    EXPECT_TRUE(ran.empty());
    // A hook of a rolled-back savepoint is dropped with it; one of a released savepoint stays.
    (void)db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
      AfterCommit(ctx_, [&] { ran.push_back("rolled back inner"); });
      return absl::CancelledError("undo");
    });
    DAIRA_RETURN_IF_ERROR(db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
      AfterCommit(ctx_, [&] { ran.push_back("inner"); });
      return absl::OkStatus();
    }));
    EXPECT_TRUE(ran.empty());
    return c.Execute("INSERT INTO tb_items (id) VALUES (1)").status();
  }));
  EXPECT_THAT(ran, ElementsAre("outer", "inner"));

  ran.clear();
  EXPECT_THAT(db().RunInTransaction(ctx_,
                                    [&](Connection&) -> absl::Status {
                                      AfterCommit(ctx_, [&] { ran.push_back("never"); });
                                      return absl::AbortedError("rolled back");
                                    },
                                    {.max_attempts = 1}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_TRUE(ran.empty());

  AfterCommit(ctx_, [&] { ran.push_back("no transaction: at once"); });
  EXPECT_THAT(ran, ElementsAre("no transaction: at once"));
}

TEST_P(TransactionBindingTest, ARetriedAttemptForgetsTheHooksOfTheFailedOne) {
  int attempts = 0;
  int hooks = 0;
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    AfterCommit(ctx_, [&] { ++hooks; });
    if (++attempts == 1) return absl::AbortedError("serialization failure, retry");
    return absl::OkStatus();
  }));
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(hooks, 1);
}

TEST_P(TransactionBindingTest, AManualTransactionBindsItsContext) {
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(db(), ctx_));
    EXPECT_NE(ctx_.open_transaction(), nullptr);
    // One-shot statements, reads and joined calls with ctx_ run inside it (on SQLite they would
    // otherwise wait for the writer this transaction holds).
    ASSERT_OK(db().Execute(ctx_, "INSERT INTO tb_items (id) VALUES (1)"));
    ASSERT_OK(Insert(ctx_, 2));
    ASSERT_OK_AND_ASSIGN(ResultSet rs, db().Read(ctx_, "SELECT count(*) FROM tb_items"));
    EXPECT_EQ(rs.row(0).Int64(0), 2);
    EXPECT_THAT(Transaction::Begin(db(), ctx_), StatusIs(absl::StatusCode::kFailedPrecondition));
    int hooks = 0;
    AfterCommit(ctx_, [&] { ++hooks; });
    ASSERT_OK(tx.Commit());
    EXPECT_EQ(hooks, 1);
    EXPECT_EQ(ctx_.open_transaction(), nullptr);
    EXPECT_THAT(tx.Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(Count(), 2);
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(db(), ctx_));
    ASSERT_OK(db().Execute(ctx_, "INSERT INTO tb_items (id) VALUES (3)"));
    // Dropped without Commit: rolled back, context unbound, connection back in the pool.
  }
  EXPECT_EQ(ctx_.open_transaction(), nullptr);
  EXPECT_EQ(InUse(), 0);
  EXPECT_EQ(Count(), 2);
}

TEST_P(TransactionBindingTest, ACopyCanBeBoundToATransactionForOneCall) {
  // How host bindings serve one transaction from several threads in turn (one at a time).
  ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db().Acquire(ctx_, Access::kWrite));
  ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(std::move(lease)));
  EXPECT_EQ(ctx_.open_transaction(), nullptr);
  RequestContext call_ctx;
  for (int64_t id : {1, 2}) {
    std::thread t([&] {
      RequestContext::TransactionBinding binding(call_ctx, tx.open_transaction());
      EXPECT_OK(Insert(call_ctx, id));
    });
    t.join();
  }
  EXPECT_EQ(call_ctx.open_transaction(), nullptr);
  ASSERT_OK(tx.Commit());
  EXPECT_EQ(Count(), 2);
}

TEST_P(TransactionBindingTest, AClosedDatabaseRefusesWork) {
  ASSERT_OK(Insert(ctx_, 1));
  db().Close();
  db().Close();  // idempotent
  EXPECT_TRUE(db().closed());
  EXPECT_THAT(db().Read(ctx_, "SELECT 1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  EXPECT_THAT(Insert(ctx_, 2), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  EXPECT_THAT(db().Acquire(ctx_, Access::kRead), StatusIs(absl::StatusCode::kFailedPrecondition));
  for (const PoolStats& s : db().Stats()) EXPECT_EQ(s.open, 0) << s.endpoint;
}

TEST_P(TransactionBindingTest, ALeaseOutstandingAtCloseIsClosedWhenReturned) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease lease, db().Acquire(ctx_, Access::kWrite));
  db().Close();
  ASSERT_OK(lease->Execute("SELECT 1"));  // still usable by its holder
  lease.Reset();
  for (const PoolStats& s : db().Stats()) EXPECT_EQ(s.open, 0) << s.endpoint;
}

DAIRA_INSTANTIATE_SQL_BACKENDS(TransactionBindingTest);

}  // namespace
}  // namespace daira::store
