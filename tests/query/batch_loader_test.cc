#include "daira/query/batch_loader.h"
#include "daira/query/batcher.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/statement_budget.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::query {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct User {
  int64_t id;
  std::string username;
  friend bool operator==(const User&, const User&) = default;
};

User ToUser(const store::Row& r) { return User{r.Int64("id"), r.Text("username")}; }

constexpr char kUsersById[] = "SELECT id, username FROM users WHERE";

class LoadManyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK(db().Execute(ctx_, "CREATE TABLE users (id BIGINT PRIMARY KEY, username TEXT NOT NULL)").status());
  }
  store::Database& db() { return tdb_->db(); }
  // Users 1..n named "u<id>", inserted by one statement.
  absl::Status Fill(int n) {
    return db()
        .Execute(ctx_,
                 "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) "
                 "INSERT INTO users (id, username) SELECT n, 'u' || n FROM s",
                 {int64_t{n}})
        .status();
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(LoadManyTest, KeepsCallerOrderDedupesAndReportsMissing) {
  ASSERT_OK(Fill(10));
  const std::vector<int64_t> ids = {5, 3, 999999, 5, 1, 3, -7};
  StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(auto got, LoadMany(db(), ctx_, kUsersById, ids, ToUser));
  EXPECT_EQ(budget.used(), 1);
  EXPECT_THAT(got.items, ElementsAre(User{5, "u5"}, User{3, "u3"}, User{1, "u1"}));
  EXPECT_THAT(got.ids, ElementsAre(5, 3, 1));
  EXPECT_THAT(got.missing, ElementsAre(999999, -7));
}

TEST_P(LoadManyTest, HundredIdsAreOneStatement) {
  ASSERT_OK(Fill(200));
  std::vector<int64_t> ids(100);
  std::iota(ids.begin(), ids.end(), 1);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  StatementBudget budget(ctx_, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto got, LoadMany(db(), ctx_, kUsersById, ids, ToUser));
  EXPECT_EQ(budget.used(), 1);
  EXPECT_OK(budget.Check("load 100 users"));
  ASSERT_EQ(got.items.size(), 100u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(got.items[i].id, ids[i]);
  EXPECT_THAT(got.missing, IsEmpty());
}

TEST_P(LoadManyTest, TwentyFiveThousandIdsAreChunked) {
  ASSERT_OK(Fill(25000));
  std::vector<int64_t> ids(25000);
  std::iota(ids.begin(), ids.end(), 1);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(11));
  {
    // Default chunk: 10,000 ids per statement → ceil(25000 / 10000) = 3 statements.
    StatementBudget budget(ctx_);
    ASSERT_OK_AND_ASSIGN(auto got, LoadMany(db(), ctx_, kUsersById, ids, ToUser));
    EXPECT_EQ(budget.used(), 3);
    ASSERT_EQ(got.ids.size(), ids.size());
    EXPECT_TRUE(got.ids == ids) << "order not preserved across chunks";
    EXPECT_EQ(got.items[12345].username, "u" + std::to_string(ids[12345]));
  }
  {
    // One statement when the chunk is large enough.
    StatementBudget budget(ctx_);
    ASSERT_OK_AND_ASSIGN(auto got, LoadMany(db(), ctx_, kUsersById, ids, ToUser,
                                            {.max_ids_per_statement = 25000}));
    EXPECT_EQ(budget.used(), 1);
    EXPECT_EQ(got.items.size(), 25000u);
  }
}

TEST_P(LoadManyTest, NoIdsNoStatement) {
  StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(auto got, LoadMany(db(), ctx_, kUsersById, std::vector<int64_t>{}, ToUser));
  EXPECT_THAT(got.items, IsEmpty());
  EXPECT_EQ(budget.used(), 0);
}

TEST_P(LoadManyTest, PrefixParametersAndQualifiedIdColumn) {
  ASSERT_OK(Fill(10));
  const std::vector<int64_t> ids = {1, 2, 3, 4, 5, 6};
  ASSERT_OK_AND_ASSIGN(auto got, LoadMany(db(), ctx_, "SELECT u.id, u.username FROM users u WHERE u.username <> ? AND",
                                          ids, ToUser, {.id_column = "u.id", .params = {"u4"}}));
  EXPECT_THAT(got.ids, ElementsAre(1, 2, 3, 5, 6));
  EXPECT_THAT(got.missing, ElementsAre(4));
}

TEST_P(LoadManyTest, ErrorsNameTheProblem) {
  ASSERT_OK(Fill(3));
  const std::vector<int64_t> ids = {1, 2};
  auto bad_col = LoadMany(db(), ctx_, "SELECT id AS user_id, username FROM users WHERE", ids, ToUser);
  EXPECT_THAT(bad_col, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id_column")));
  auto mapper_error = LoadMany(db(), ctx_, kUsersById, ids, [](const store::Row& r) -> absl::StatusOr<User> {
    if (r.Int64("id") == 2) return absl::DataLossError("user 2 is corrupt");
    return ToUser(r);
  });
  EXPECT_THAT(mapper_error, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("user 2")));
  EXPECT_THAT(LoadMany(db(), ctx_, "SELECT nope FROM nowhere WHERE", ids, ToUser), ::testing::Not(IsOk()));
}

TEST_P(LoadManyTest, WorksOnAConnectionInsideATransaction) {
  ASSERT_OK(Fill(5));
  ASSERT_OK(db().RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO users (id, username) VALUES (?, ?)", {int64_t{6}, "u6"}).status());
    const std::vector<int64_t> ids = {6, 1};
    DAIRA_ASSIGN_OR_RETURN(auto got, LoadMany(c, kUsersById, ids, ToUser));
    EXPECT_THAT(got.ids, ElementsAre(6, 1));  // sees its own uncommitted write
    return absl::OkStatus();
  }));
}

// A Batcher whose batch function is one LoadMany: 100 independent loads, one statement.
TEST_P(LoadManyTest, BatcherOverLoadManyIsOneStatement) {
  ASSERT_OK(Fill(150));
  Batcher<int64_t, User> users([&](std::span<const int64_t> ids) -> absl::StatusOr<std::vector<std::optional<User>>> {
    DAIRA_ASSIGN_OR_RETURN(auto got, LoadMany(db(), ctx_, kUsersById, ids, ToUser));
    std::vector<std::optional<User>> out(ids.size());
    size_t j = 0;
    for (size_t i = 0; i < ids.size() && j < got.ids.size(); ++i) {
      if (got.ids[j] == ids[i]) out[i] = std::move(got.items[j++]);
    }
    return out;
  });
  StatementBudget budget(ctx_);
  std::vector<Batcher<int64_t, User>::Handle> handles;
  for (int64_t id = 1; id <= 100; ++id) handles.push_back(users.Enqueue(id));
  handles.push_back(users.Enqueue(1000));  // missing
  users.Dispatch();
  EXPECT_EQ(budget.used(), 1);
  for (int64_t id = 1; id <= 100; ++id) {
    ASSERT_OK_AND_ASSIGN(User u, handles[id - 1].Get());
    EXPECT_EQ(u.id, id);
  }
  EXPECT_THAT(handles.back().Get(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("1000")));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(LoadManyTest);

// --- Batcher without a database ----------------------------------------------------------------------

// A batch function that records its calls and answers key → key * 10 (negative keys: not found).
struct Recorder {
  absl::Mutex mu;
  std::vector<std::vector<int>> calls;
  absl::Status fail = absl::OkStatus();
  absl::StatusOr<std::vector<std::optional<int>>> operator()(std::span<const int> keys) {
    absl::MutexLock lock(&mu);
    calls.emplace_back(keys.begin(), keys.end());
    if (!fail.ok()) return fail;
    std::vector<std::optional<int>> out;
    for (int k : keys) {
      if (k < 0) {
        out.push_back(std::nullopt);
      } else {
        out.push_back(k * 10);
      }
    }
    return out;
  }
};

Batcher<int, int>::BatchFn Fn(Recorder& r) {
  return [&r](std::span<const int> keys) { return r(keys); };
}

TEST(BatcherTest, CoalescesEnqueuesIntoOneCallAndRoutesResults) {
  Recorder rec;
  Batcher<int, int> b(Fn(rec));
  auto h1 = b.Enqueue(1);
  auto h2 = b.Enqueue(2);
  auto h1again = b.Enqueue(1);  // same key: loaded once
  auto h3 = b.Enqueue(3);
  EXPECT_EQ(b.pending(), 3u);
  EXPECT_FALSE(h1.ready());
  b.Dispatch();
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_THAT(rec.calls[0], ElementsAre(1, 2, 3));
  EXPECT_TRUE(h1.ready());
  EXPECT_EQ(*h1.Get(), 10);
  EXPECT_EQ(*h2.Get(), 20);
  EXPECT_EQ(*h1again.Get(), 10);
  EXPECT_EQ(*h3.Get(), 30);
  EXPECT_EQ(b.batches(), 1);
  b.Dispatch();  // nothing pending: no call
  EXPECT_EQ(b.batches(), 1);
}

TEST(BatcherTest, GetDispatchesAPendingBatch) {
  Recorder rec;
  Batcher<int, int> b(Fn(rec));
  auto h = b.Enqueue(4);
  auto h2 = b.Enqueue(5);
  EXPECT_EQ(*h.Get(), 40);  // triggers the batch with both keys
  EXPECT_TRUE(h2.ready());
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_THAT(rec.calls[0], ElementsAre(4, 5));
}

TEST(BatcherTest, ErrorsReachEveryWaiterAndAreNotCached) {
  Recorder rec;
  rec.fail = absl::UnavailableError("db down");
  Batcher<int, int> b(Fn(rec));
  std::vector<Batcher<int, int>::Handle> hs;
  for (int k = 0; k < 5; ++k) hs.push_back(b.Enqueue(k));
  b.Dispatch();
  for (auto& h : hs) EXPECT_THAT(h.Get(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("db down")));
  rec.fail = absl::OkStatus();
  auto retry = b.Enqueue(3);  // the failed key is loaded again
  EXPECT_EQ(*retry.Get(), 30);
  EXPECT_EQ(b.batches(), 2);
}

TEST(BatcherTest, MissingKeysAreNotFoundAndBadResultLengthIsInternal) {
  Recorder rec;
  Batcher<int, int> b(Fn(rec));
  auto found = b.Enqueue(2);
  auto missing = b.Enqueue(-2);
  b.Dispatch();
  EXPECT_EQ(*found.Get(), 20);
  EXPECT_THAT(missing.Get(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("-2")));

  Batcher<int, int> short_result(
      [](std::span<const int>) -> absl::StatusOr<std::vector<std::optional<int>>> { return std::vector<std::optional<int>>{1}; });
  auto a = short_result.Enqueue(1);
  auto c = short_result.Enqueue(2);
  short_result.Dispatch();
  EXPECT_THAT(a.Get(), StatusIs(absl::StatusCode::kInternal, HasSubstr("1 results for 2 keys")));
  EXPECT_THAT(c.Get(), StatusIs(absl::StatusCode::kInternal));
}

TEST(BatcherTest, CachesWithinItsLifetimeUnlessDisabled) {
  Recorder rec;
  Batcher<int, int> cached(Fn(rec));
  EXPECT_EQ(*cached.Enqueue(7).Get(), 70);
  EXPECT_EQ(*cached.Enqueue(7).Get(), 70);
  EXPECT_EQ(cached.batches(), 1);
  cached.ClearCache();
  EXPECT_EQ(*cached.Enqueue(7).Get(), 70);
  EXPECT_EQ(cached.batches(), 2);

  Recorder rec2;
  Batcher<int, int> uncached(Fn(rec2), {.cache = false});
  EXPECT_EQ(*uncached.Enqueue(7).Get(), 70);
  EXPECT_EQ(*uncached.Enqueue(7).Get(), 70);
  EXPECT_EQ(uncached.batches(), 2);
}

TEST(BatcherTest, FillingMaxBatchDispatches) {
  Recorder rec;
  Batcher<int, int> b(Fn(rec), {.max_batch = 3});
  auto a = b.Enqueue(1);
  auto c = b.Enqueue(2);
  EXPECT_EQ(b.batches(), 0);
  auto d = b.Enqueue(3);  // fills the batch
  EXPECT_EQ(b.batches(), 1);
  EXPECT_TRUE(a.ready() && c.ready() && d.ready());
  auto e = b.Enqueue(4);
  EXPECT_EQ(b.pending(), 1u);
  EXPECT_EQ(*e.Get(), 40);
  EXPECT_EQ(b.batches(), 2);
}

TEST(BatcherTest, StringKeys) {
  Batcher<std::string, size_t> b([](std::span<const std::string> keys) {
    std::vector<std::optional<size_t>> out;
    for (const auto& k : keys) out.push_back(k == "ghost" ? std::nullopt : std::optional<size_t>(k.size()));
    return absl::StatusOr<std::vector<std::optional<size_t>>>(std::move(out));
  });
  auto a = b.Enqueue("alice");
  auto g = b.Enqueue("ghost");
  b.Dispatch();
  EXPECT_EQ(*a.Get(), 5u);
  EXPECT_THAT(g.Get(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"ghost\"")));
}

// Window mode: many threads call Load() at once; a manual Flush (not a timer) closes the window.
TEST(BatcherTest, WindowModeCoalescesThreadsUntilFlush) {
  Recorder rec;
  // A window far longer than the test: only Flush() can end it, so the outcome is deterministic.
  Batcher<int, int> b(Fn(rec), {.max_batch = 1000, .window = std::chrono::hours(1)});
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<int>> results(kThreads, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { results[t] = b.Load(t % 6); });  // keys 0..5, two repeated
  }
  // Every thread has enqueued once all 6 distinct keys are pending and all threads are waiting.
  while (b.pending() < 6) std::this_thread::yield();
  EXPECT_EQ(b.batches(), 0);
  b.Flush();
  for (auto& th : threads) th.join();
  ASSERT_EQ(rec.calls.size(), 1u);
  std::vector<int> keys = rec.calls[0];
  std::sort(keys.begin(), keys.end());
  EXPECT_THAT(keys, ElementsAre(0, 1, 2, 3, 4, 5));
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_THAT(results[t], IsOk());
    EXPECT_EQ(*results[t], (t % 6) * 10);
  }
}

TEST(BatcherTest, WindowModeDispatchesWhenMaxBatchIsReached) {
  Recorder rec;
  Batcher<int, int> b(Fn(rec), {.max_batch = 4, .window = std::chrono::hours(1)});
  std::vector<absl::StatusOr<int>> results(4, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { results[t] = b.Load(t); });
  for (auto& th : threads) th.join();  // no Flush: the fourth key fills the batch
  EXPECT_EQ(b.batches(), 1);
  for (int t = 0; t < 4; ++t) EXPECT_EQ(*results[t], t * 10);
}

TEST(BatcherTest, WindowModeErrorsReachEveryThread) {
  Recorder rec;
  rec.fail = absl::DeadlineExceededError("too slow");
  Batcher<int, int> b(Fn(rec), {.window = std::chrono::hours(1)});
  std::vector<absl::StatusOr<int>> results(5, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) threads.emplace_back([&, t] { results[t] = b.Load(t); });
  while (b.pending() < 5) std::this_thread::yield();
  b.Flush();
  for (auto& th : threads) th.join();
  EXPECT_EQ(b.batches(), 1);
  for (auto& r : results) EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(BatcherTest, ZeroWindowLoadDispatchesImmediately) {
  Recorder rec;
  Batcher<int, int> b(Fn(rec));
  EXPECT_EQ(*b.Load(9), 90);
  EXPECT_EQ(b.batches(), 1);
}

}  // namespace
}  // namespace daira::query
