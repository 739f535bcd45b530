// SQLite group commit (src/store/group_commit.h): concurrent calls share one COMMIT, each in its own
// savepoint; a failing call rolls back alone; a failed COMMIT fails every call of the group; hooks and
// exceptions stay with their caller's thread. Groups are formed deterministically: the test holds the
// writer until every call is queued, then lets the leader in.
#include "store/group_commit.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tdb = daira::testing::TestDatabase::Create("sqlite");
    ASSERT_OK(tdb.status());
    tdb_ = *std::move(tdb);
    ASSERT_OK(tdb_->db().Execute(ctx_, "CREATE TABLE gc_parent (id INTEGER PRIMARY KEY)").status());
    ASSERT_OK(tdb_->db()
                  .Execute(ctx_,
                           "CREATE TABLE gc_rows (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES "
                           "gc_parent (id) DEFERRABLE INITIALLY DEFERRED)")
                  .status());
  }
  Database& db() { return tdb_->db(); }

  int64_t Rows() {
    auto rs = db().Execute(ctx_, "SELECT count(*) FROM gc_rows");
    EXPECT_OK(rs.status());
    return rs.ok() ? rs->front().Int64(0) : -1;
  }

  // Runs calls[i] through RunGrouped on thread i, all in one group: the writer is held (a transaction
  // on another context) until all of them are queued. Returns each call's status.
  std::vector<absl::Status> RunAsOneGroup(const std::vector<std::function<absl::Status(Connection&)>>& calls,
                                          std::vector<RequestContext>& ctxs, bool retried = false) {
    const auto before = internal::GroupCommitStatsOf(db());
    std::vector<absl::Status> out(calls.size());
    RequestContext holder;
    auto hold = Transaction::Begin(db(), holder);
    EXPECT_OK(hold.status());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < calls.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          out[i] = internal::RunGrouped(db(), ctxs[i], calls[i]);
        } catch (const std::runtime_error& e) {
          out[i] = absl::UnknownError(absl::StrCat("threw: ", e.what()));
        }
      });
    }
    // Wait for the condition (every call queued), not for time.
    for (int spin = 0;
         spin < 200000 && internal::GroupCommitStatsOf(db()).queued < static_cast<int64_t>(calls.size());
         ++spin) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    EXPECT_EQ(internal::GroupCommitStatsOf(db()).queued, static_cast<int64_t>(calls.size()));
    if (hold.ok()) {
      EXPECT_OK(hold->Rollback());
    }
    for (std::thread& t : threads) t.join();
    const auto after = internal::GroupCommitStatsOf(db());
    if (retried) {  // the first group, then the retried calls in one or more more
      EXPECT_GE(after.groups - before.groups, 2);
    } else {
      EXPECT_EQ(after.groups - before.groups, 1) << "the calls did not share one group";
      EXPECT_EQ(after.requests - before.requests, static_cast<int64_t>(calls.size()));
    }
    EXPECT_EQ(after.queued, 0);
    return out;
  }

  RequestContext ctx_;
  std::unique_ptr<daira::testing::TestDatabase> tdb_;
};

TEST_F(GroupCommitTest, AFailingCallRollsBackAloneAndTheOthersCommitTogether) {
  constexpr int kCalls = 6;
  std::vector<RequestContext> ctxs(kCalls);
  std::mutex mu;
  std::vector<int> hooks_ran;
  std::vector<std::function<absl::Status(Connection&)>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back([&, i](Connection& c) -> absl::Status {
      // The request's own context is bound: a nested call with it joins the group's transaction.
      DAIRA_RETURN_IF_ERROR(db().RunInTransaction(ctxs[i], [&](Connection& inner) {
        return inner.Execute("INSERT INTO gc_rows (id) VALUES (?)", {int64_t{i}}).status();
      }));
      AfterCommit(ctxs[i], [&, i] {
        std::lock_guard<std::mutex> lock(mu);
        hooks_ran.push_back(i);
      });
      // Its statements see the earlier calls' committed-to-be rows.
      DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                             c.Execute("SELECT count(*) FROM gc_rows WHERE id = ?", {int64_t{i}}));
      if (rs.front().Int64(0) != 1) return absl::InternalError("own row not visible");
      if (i % 2 == 1) return absl::FailedPreconditionError(absl::StrCat("call ", i, " refuses"));
      return absl::OkStatus();
    });
  }
  std::vector<absl::Status> out = RunAsOneGroup(calls, ctxs);
  for (int i = 0; i < kCalls; ++i) {
    if (i % 2 == 0) {
      EXPECT_OK(out[i]) << i;
    } else {
      EXPECT_THAT(out[i],
                  StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(absl::StrCat("call ", i))));
    }
  }
  auto rs = db().Execute(ctx_, "SELECT id FROM gc_rows ORDER BY id");
  ASSERT_OK(rs.status());
  std::vector<int64_t> ids;
  for (const Row& r : *rs) ids.push_back(r.Int64(0));
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 2, 4}));
  std::sort(hooks_ran.begin(), hooks_ran.end());
  EXPECT_EQ(hooks_ran, (std::vector<int>{0, 2, 4}));
  for (const RequestContext& c : ctxs) EXPECT_EQ(c.open_transaction(), nullptr);
}

TEST_F(GroupCommitTest, HooksRunOnTheCallersOwnThreadAfterTheCommit) {
  constexpr int kCalls = 3;
  std::vector<RequestContext> ctxs(kCalls);
  std::vector<std::thread::id> ran_on(kCalls), hook_on(kCalls);
  std::vector<int64_t> rows_seen_by_hook(kCalls, -1);
  std::vector<std::function<absl::Status(Connection&)>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back([&, i](Connection& c) -> absl::Status {
      ran_on[i] = std::this_thread::get_id();
      AfterCommit(ctxs[i], [&, i] {
        hook_on[i] = std::this_thread::get_id();
        RequestContext fresh;  // after the COMMIT every row of the group is visible
        auto rs = db().Execute(fresh, "SELECT count(*) FROM gc_rows");
        if (rs.ok()) rows_seen_by_hook[i] = rs->front().Int64(0);
      });
      return c.Execute("INSERT INTO gc_rows (id) VALUES (?)", {int64_t{i}}).status();
    });
  }
  std::vector<absl::Status> out = RunAsOneGroup(calls, ctxs);
  int run_by_others = 0;
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_OK(out[i]);
    EXPECT_EQ(rows_seen_by_hook[i], kCalls);
    if (ran_on[i] != hook_on[i]) ++run_by_others;  // fn ran on the leader, its hook on its own thread
  }
  EXPECT_EQ(run_by_others, kCalls - 1) << "one leader ran every call; each hook ran on its caller's thread";
}

TEST_F(GroupCommitTest, AFailedCommitFailsEveryCallOfTheGroupAndWritesNothing) {
  constexpr int kCalls = 4;
  std::vector<RequestContext> ctxs(kCalls);
  std::atomic<int> hooks{0};
  std::vector<std::function<absl::Status(Connection&)>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back([&, i](Connection& c) -> absl::Status {
      AfterCommit(ctxs[i], [&] { hooks.fetch_add(1); });
      // Call 2 leaves a row whose parent does not exist: the deferred foreign key passes its savepoint
      // and fails the group's COMMIT.
      return c
          .Execute("INSERT INTO gc_rows (id, parent) VALUES (?, ?)",
                   {int64_t{i}, i == 2 ? Value(int64_t{99}) : Value()})
          .status();
    });
  }
  std::vector<absl::Status> out = RunAsOneGroup(calls, ctxs);
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_FALSE(out[i].ok()) << i;
    EXPECT_THAT(out[i].message(), HasSubstr("group commit")) << out[i];
    EXPECT_THAT(out[i].message(), HasSubstr("FOREIGN KEY")) << out[i];
  }
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(hooks.load(), 0);
  // The writer is usable again.
  EXPECT_OK(internal::RunGrouped(
      db(), ctx_, [](Connection& c) { return c.Execute("INSERT INTO gc_rows (id) VALUES (7)").status(); }));
  EXPECT_EQ(Rows(), 1);
}

TEST_F(GroupCommitTest, ACallThatLosesTheSharedTransactionFailsAloneAndTheOthersRunAgain) {
  constexpr int kCalls = 3;
  std::vector<RequestContext> ctxs(kCalls);
  std::atomic<int> runs{0};
  std::vector<std::function<absl::Status(Connection&)>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back([&, i](Connection& c) -> absl::Status {
      runs.fetch_add(1);
      DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO gc_rows (id) VALUES (?)", {int64_t{i}}).status());
      if (i == 1) {
        // As a statement interrupted at its deadline does on SQLite: the whole transaction is gone.
        DAIRA_RETURN_IF_ERROR(c.Execute("ROLLBACK").status());
        return absl::DeadlineExceededError("call 1 ran out of time");
      }
      return absl::OkStatus();
    });
  }
  std::vector<absl::Status> out = RunAsOneGroup(calls, ctxs, /*retried=*/true);
  EXPECT_OK(out[0]);
  EXPECT_THAT(out[1], StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("call 1")));
  EXPECT_OK(out[2]);
  auto rs = db().Execute(ctx_, "SELECT id FROM gc_rows ORDER BY id");
  ASSERT_OK(rs.status());
  std::vector<int64_t> ids;
  for (const Row& r : *rs) ids.push_back(r.Int64(0));
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 2}));  // the others ran again in a later group, once
  EXPECT_GE(runs.load(), kCalls);
}

TEST_F(GroupCommitTest, AnExceptionIsRethrownOnItsCallersThreadAndTheOthersCommit) {
  constexpr int kCalls = 3;
  std::vector<RequestContext> ctxs(kCalls);
  std::vector<std::function<absl::Status(Connection&)>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back([i](Connection& c) -> absl::Status {
      DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO gc_rows (id) VALUES (?)", {int64_t{i}}).status());
      if (i == 1) throw std::runtime_error("call 1 threw");
      return absl::OkStatus();
    });
  }
  std::vector<absl::Status> out = RunAsOneGroup(calls, ctxs);
  EXPECT_OK(out[0]);
  EXPECT_THAT(out[1], StatusIs(absl::StatusCode::kUnknown, HasSubstr("threw: call 1 threw")));
  EXPECT_OK(out[2]);
  EXPECT_EQ(Rows(), 2);
}

TEST_F(GroupCommitTest, ALoneCallerIsAGroupOfOneAndAnOpenTransactionIsJoinedNotGrouped) {
  const auto before = internal::GroupCommitStatsOf(db());
  EXPECT_OK(internal::RunGrouped(
      db(), ctx_, [](Connection& c) { return c.Execute("INSERT INTO gc_rows (id) VALUES (1)").status(); }));
  auto mid = internal::GroupCommitStatsOf(db());
  EXPECT_EQ(mid.groups - before.groups, 1);
  EXPECT_EQ(mid.requests - before.requests, 1);
  // Inside the caller's own transaction the call joins it (a savepoint) and rolls back with it.
  absl::Status st = db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(internal::RunGrouped(
        db(), ctx_, [](Connection& c) { return c.Execute("INSERT INTO gc_rows (id) VALUES (2)").status(); }));
    return absl::CancelledError("outer gives up");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(Rows(), 1);
  EXPECT_EQ(internal::GroupCommitStatsOf(db()).groups, mid.groups);
}

}  // namespace
}  // namespace daira::store
