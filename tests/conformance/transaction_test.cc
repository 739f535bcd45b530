// Database::RunInTransaction on every SQL backend: commit, rollback, retries on Aborted, and exact
// results under real serialization conflicts.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

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
using ::testing::HasSubstr;

class TransactionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK(db().Execute(ctx_, "CREATE TABLE tx_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"));
    ASSERT_OK(db().Execute(ctx_, "CREATE TABLE tx_counter (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)"));
    ASSERT_OK(db().Execute(ctx_, "INSERT INTO tx_counter (id, v) VALUES (1, 0)"));
  }
  Database& db() { return tdb_->db(); }
  int64_t Count() {
    auto rs = db().Read(ctx_, "SELECT count(*) FROM tx_items");
    EXPECT_OK(rs);
    return rs.ok() ? rs->row(0).Int64(0) : -1;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(TransactionTest, CommitsWhenFunctionSucceeds) {
  ASSERT_OK(db().RunInTransaction(ctx_, [](Connection& c) -> absl::Status {
    if (!c.InTransaction()) return absl::InternalError("not in a transaction");
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{1}, "a"}).status());
    return c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{2}, "b"}).status();
  }));
  EXPECT_EQ(Count(), 2);
  EXPECT_EQ(db().Stats()[0].in_use, 0);
}

TEST_P(TransactionTest, RollsBackAndReturnsTheError) {
  absl::Status st = db().RunInTransaction(ctx_, [](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{1}, "a"}).status());
    return absl::InvalidArgumentError("tip: amount must be positive (got -5)");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("amount must be positive")));
  EXPECT_EQ(Count(), 0);
  // A failing statement rolls back the statements before it too.
  st = db().RunInTransaction(ctx_, [](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{7}, "x"}).status());
    return c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{7}, "dup"}).status();
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Count(), 0);
  EXPECT_EQ(db().Stats()[0].in_use, 0);
}

TEST_P(TransactionTest, RetriesAbortedUntilSuccess) {
  int attempts = 0;
  ASSERT_OK(db().RunInTransaction(ctx_, [&](Connection& c) -> absl::Status {
    ++attempts;
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{1}, "a"}).status());
    if (attempts < 3) return absl::AbortedError("simulated serialization failure");
    return absl::OkStatus();
  }));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(Count(), 1);  // the aborted attempts' inserts were rolled back
}

TEST_P(TransactionTest, GivesUpAfterMaxAttempts) {
  int attempts = 0;
  Database::TransactionOptions options;
  options.max_attempts = 4;
  options.initial_backoff = std::chrono::milliseconds(0);
  absl::Status st = db().RunInTransaction(
      ctx_,
      [&](Connection&) -> absl::Status {
        ++attempts;
        return absl::AbortedError("simulated deadlock");
      },
      options);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAborted, HasSubstr("after 4 attempts")));
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAborted, HasSubstr("simulated deadlock")));
  EXPECT_EQ(attempts, 4);
}

TEST_P(TransactionTest, OtherErrorsAreNotRetried) {
  int attempts = 0;
  absl::Status st = db().RunInTransaction(ctx_, [&](Connection&) -> absl::Status {
    ++attempts;
    return absl::UnavailableError("cache down");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(attempts, 1);
}

TEST_P(TransactionTest, ConcurrentSerializableIncrementsAreExact) {
  constexpr int kThreads = 2;
  constexpr int kIncrements = 200;
  Database::TransactionOptions options;
  options.isolation = IsolationLevel::kSerializable;
  options.max_attempts = 1000;  // real conflicts are retried until they go through
  options.initial_backoff = std::chrono::milliseconds(1);
  // Each thread has its own Database on the same data, so SQLite's two writers really contend for the
  // file's write lock (busy timeout / SQLITE_BUSY) instead of queueing for one pooled writer.
  ASSERT_OK_AND_ASSIGN(DatabaseOptions second_options, DatabaseOptions::FromUrl(tdb_->url()));
  second_options.pool.pool_min = 1;
  ASSERT_OK_AND_ASSIGN(auto second, Database::Open(second_options));
  Database* dbs[kThreads] = {&db(), second.get()};
  std::atomic<int> calls{0};
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      for (int i = 0; i < kIncrements; ++i) {
        absl::Status st = dbs[t]->RunInTransaction(
            ctx,
            [&](Connection& c) -> absl::Status {
              calls.fetch_add(1);
              DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute("SELECT v FROM tx_counter WHERE id = 1"));
              const int64_t v = rs.row(0).Int64(0);
              return c.Execute("UPDATE tx_counter SET v = ? WHERE id = 1", {v + 1}).status();
            },
            options);
        if (!st.ok()) {
          results[t] = st;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const absl::Status& st : results) EXPECT_OK(st);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db().Execute(ctx_, "SELECT v FROM tx_counter WHERE id = 1"));
  EXPECT_EQ(rs.row(0).Int64(0), kThreads * kIncrements);
  EXPECT_GE(calls.load(), kThreads * kIncrements);
  ::testing::Test::RecordProperty("attempts", calls.load());
}

TEST_P(TransactionTest, ReadsInsideTheTransactionSeeItsWrites) {
  ASSERT_OK(db().RunInTransaction(ctx_, [](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO tx_items (id, name) VALUES (?, ?)", {int64_t{5}, "e"}).status());
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute("SELECT name FROM tx_items WHERE id = ?", {int64_t{5}}));
    if (rs.size() != 1 || rs.row(0).Text(0) != "e") return absl::InternalError("own write not visible");
    return absl::OkStatus();
  }));
  EXPECT_EQ(Count(), 1);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(TransactionTest);

}  // namespace
}  // namespace daira::store
