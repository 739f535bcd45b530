// The event bus (docs/bus.md), one suite for every backend: /memory, /sqlite, /postgres, /redis. Time moves
// only by a manual clock (delays, backoff, leases); nothing sleeps. A backend that cannot do something
// says so through bus::QueueTraits and the case reports it.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "backends/redis/redis_connection.h"
#include "cache_test_support.h"
#include "daira/bus/queue.h"
#include "daira/bus/worker_pool.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/resilience/circuit_breaker.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

namespace daira {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kQ[] = "feed.fanout";  // max_attempts 5, exponential from 1 s, lease 60 s

std::vector<std::string> BusBackends() {
  std::vector<std::string> out = {"memory"};
  for (const std::string& b : testing::SqlBackends()) out.push_back(b);
  // Redis when DAIRA_TEST_REDIS is set or CI=true (then a missing server fails every /redis case).
  for (const std::string& b : testing::RedisBackends()) {
    if (b == "redis") out.push_back(b);
  }
  return out;
}

bus::EnqueueRequest Req(std::string payload = "{}", int priority = 0) {
  bus::EnqueueRequest r;
  r.queue = kQ;
  r.name = "t";
  r.payload = std::move(payload);
  r.priority = priority;
  return r;
}

class BusTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // memory: and redis:// keep jobs outside the database; the transaction cases run on SQLite then.
    const bool own_store = GetParam() == "memory" || GetParam() == "redis";
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(own_store ? "sqlite" : GetParam()));
    if (GetParam() == "redis") {
      ASSERT_FALSE(testing::RedisTestUrl().empty())
          << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
      redis_url_ = redis_prefixes_.RedisUrl();  // a fresh key prefix, every key under it deleted afterwards
    }
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    ASSERT_OK_AND_ASSIGN(queue_, Open(&clock_));
  }
  absl::StatusOr<std::unique_ptr<bus::Queue>> Open(const Clock* clock, const std::string& params = "",
                                                   store::Database* database = nullptr) {
    bus::BusOptions options;
    options.clock = clock;
    for (auto& q : options.queues) q.jitter = 0;  // exact backoff schedule
    return bus::OpenQueue(BusUrl(params), database != nullptr ? database : &db(), tdb_->url(), options);
  }
  // The bus= URL of this test's backend with `params` ("?a=1&b=2" or "").
  std::string BusUrl(const std::string& params = "") const {
    if (GetParam() != "redis") return GetParam() + ":" + params;
    return testing::WithParams(redis_url_, params.empty() ? "" : params.substr(1));
  }
  store::Database& db() { return tdb_->db(); }
  bus::Queue& q() { return *queue_; }
  absl::StatusOr<std::optional<bus::Job>> Next(std::string_view worker = "w1") {
    return q().Next(ctx_, kQ, worker, milliseconds(0));
  }
  bus::Job MustNext(std::string_view worker = "w1") {
    auto job = Next(worker);
    EXPECT_OK(job.status());
    if (!job.ok() || !job->has_value()) {
      ADD_FAILURE() << "no job";
      return {};
    }
    return **job;
  }
  // Completes `job` inside a caller's transaction that then fails (SQL buses: the completion rolls back).
  absl::Status CompleteAndRollBack(const bus::Job& job) {
    return db().RunInTransaction(ctx_,
                                 [&](store::Connection&) -> absl::Status {
                                   DAIRA_RETURN_IF_ERROR(q().Complete(ctx_, job));
                                   return absl::AbortedError("the caller's work failed");
                                 },
                                 {.max_attempts = 1});
  }
  void ExpectNone() {
    auto job = Next();
    ASSERT_OK(job.status());
    EXPECT_FALSE(job->has_value()) << "unexpected job " << (*job)->id;
  }
  int64_t Enq(bus::EnqueueRequest r) {
    auto res = q().Enqueue(ctx_, r);
    EXPECT_OK(res.status());
    return res.ok() ? res->id : 0;
  }

  ManualClock clock_{Clock::TimePoint{seconds(1700000000)}};
  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  testing::TestCacheOpener redis_prefixes_;  // declared before queue_: the keys go after the queue
  std::string redis_url_;
  std::unique_ptr<bus::Queue> queue_;
};

TEST_P(BusTest, HigherPriorityFirstFifoWithin) {
  const int64_t a = Enq(Req(R"({"n":1})", 0));
  const int64_t b = Enq(Req(R"({"n":2})", 5));
  const int64_t c = Enq(Req(R"({"n":3})", 0));
  const int64_t d = Enq(Req(R"({"n":4})", 5));
  std::vector<int64_t> order;
  for (int i = 0; i < 4; ++i) order.push_back(MustNext().id);
  EXPECT_THAT(order, ElementsAre(b, d, a, c));
  ExpectNone();
}

TEST_P(BusTest, AClaimedJobCarriesItsFieldsAndLease) {
  bus::EnqueueRequest r = Req(R"({"video_id":42})", 3);
  r.group_key = "tenant-1";
  r.correlation_id = "req-7";
  r.idempotency_key = "claimed:1";
  const int64_t id = Enq(r);
  bus::Job job = MustNext("worker-a");
  EXPECT_EQ(job.idempotency_key, "claimed:1");
  EXPECT_EQ(job.id, id);
  EXPECT_EQ(job.queue, kQ);
  EXPECT_EQ(job.name, "t");
  EXPECT_THAT(job.payload, HasSubstr("42"));
  EXPECT_EQ(job.priority, 3);
  EXPECT_EQ(job.state, bus::JobState::kActive);
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.max_attempts, 5);
  EXPECT_EQ(job.group_key, "tenant-1");
  EXPECT_EQ(job.correlation_id, "req-7");
  EXPECT_EQ(job.lease_owner, "worker-a");
  EXPECT_NE(job.lease_token, 0);
  EXPECT_EQ(job.lease_expires_at, clock_.Now() + seconds(60));
  // The claim's copy is the stored job (Redis builds it from a packed reply, not from a read-back).
  ASSERT_OK_AND_ASSIGN(bus::Job stored, q().Get(ctx_, id));
  auto text = [](const bus::Job& j) { return std::tie(j.payload, j.idempotency_key, j.lease_owner); };
  auto times = [](const bus::Job& j) {
    return std::vector<Clock::TimePoint>{j.run_at, j.created_at, j.updated_at, j.started_at,
                                         j.lease_expires_at};
  };
  auto lease = [](const bus::Job& j) {
    return std::tie(j.lease_token, j.attempt, j.state, j.cancel_requested);
  };
  EXPECT_EQ(text(job), text(stored));
  EXPECT_TRUE(times(job) == times(stored));
  EXPECT_TRUE(lease(job) == lease(stored));
  ASSERT_OK(q().Progress(ctx_, job, R"({"pct":50})"));
  ASSERT_OK(q().Complete(ctx_, job, R"({"ok":true})"));
  ASSERT_OK_AND_ASSIGN(bus::Job done, q().Get(ctx_, id));
  EXPECT_EQ(done.state, bus::JobState::kCompleted);
  EXPECT_THAT(done.progress, HasSubstr("50"));
  EXPECT_THAT(done.result, HasSubstr("true"));
  EXPECT_EQ(done.finished_at, clock_.Now());
  // The correlation id defaults to the request's.
  RequestContext traced({.correlation_id = "trace-9"});
  ASSERT_OK_AND_ASSIGN(auto r2, q().Enqueue(traced, Req()));
  ASSERT_OK_AND_ASSIGN(bus::Job j2, q().Get(ctx_, r2.id));
  EXPECT_EQ(j2.correlation_id, "trace-9");
}

TEST_P(BusTest, BadInputIsInvalidArgumentNamingTheFieldAndEnqueuesNothing) {
  bus::EnqueueRequest unknown = Req();
  unknown.queue = "no.such.queue";
  EXPECT_THAT(q().Enqueue(ctx_, unknown).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("queue")));
  EXPECT_EQ(StatusField(q().Enqueue(ctx_, unknown).status()), "queue");
  EXPECT_EQ(StatusField(q().Enqueue(ctx_, Req("{not json")).status()), "payload");
  bus::EnqueueRequest negative = Req();
  negative.delay = milliseconds(-5);
  EXPECT_THAT(q().Enqueue(ctx_, negative).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("delay")));
  bus::EnqueueRequest attempts = Req();
  attempts.max_attempts = -1;
  EXPECT_EQ(StatusField(q().Enqueue(ctx_, attempts).status()), "max_attempts");
  // A bad request anywhere in a batch fails the whole batch, naming it.
  auto batch = q().EnqueueMany(ctx_, {Req(), Req(), Req("nope")});
  EXPECT_EQ(StatusField(batch.status()), "requests[2].payload");
  // Every check names its field, alone and in a batch (where the fast path refuses without a message).
  bus::EnqueueRequest too_many = Req(), long_name = Req(), long_key = Req(), long_group = Req();
  too_many.max_attempts = 1001;
  long_name.name = std::string(201, 'n');
  long_key.idempotency_key = std::string(501, 'k');
  long_group.group_key = std::string(201, 'g');
  const std::vector<std::pair<bus::EnqueueRequest, std::string>> bad = {
      {too_many, "max_attempts"}, {long_name, "name"}, {long_key, "idempotency_key"}, {long_group, "group_key"},
      {negative, "delay"},        {Req("[1,]"), "payload"}, {Req(""), "payload"}};
  for (const auto& [request, field] : bad) {
    EXPECT_THAT(q().Enqueue(ctx_, request).status(), StatusIs(absl::StatusCode::kInvalidArgument)) << field;
    EXPECT_EQ(StatusField(q().Enqueue(ctx_, request).status()), field);
    EXPECT_EQ(StatusField(q().EnqueueMany(ctx_, {Req(), request}).status()), "requests[1]." + field);
  }
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting + c.delayed, 0);
  // JSON outside the plain subset the fast path recognises is accepted (decided by the full parser).
  EXPECT_OK(q().EnqueueMany(ctx_, {Req(R"({"f":1.5,"s":"a\nb","u":"\u00e9","big":12345678901234567890})")}).status());
  EXPECT_THAT(q().Next(ctx_, "nope", "w", milliseconds(0)).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BusTest, DelayedJobsRunOnlyOnceDue) {
  bus::EnqueueRequest later = Req(R"({"n":"later"})");
  later.delay = seconds(30);
  const int64_t delayed = Enq(later);
  const int64_t now = Enq(Req(R"({"n":"now"})"));
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting, 1);
  EXPECT_EQ(c.delayed, 1);
  EXPECT_EQ(MustNext().id, now);
  ExpectNone();
  clock_.Advance(seconds(29));
  ExpectNone();
  clock_.Advance(seconds(1));
  EXPECT_EQ(MustNext().id, delayed);
}

// Fields of every length reach the worker intact (Redis sends a claimed job MessagePack-encoded: short,
// 8-, 16- and 32-bit string lengths).
TEST_P(BusTest, AClaimedJobKeepsLongFieldsIntact) {
  bus::EnqueueRequest r = Req(R"({"blob":")" + std::string(70000, 'x') + R"("})");
  r.name = std::string(150, 'n');
  r.group_key = std::string(40, 'g');
  r.correlation_id = std::string(200, 'c');
  r.max_attempts = 3;
  const int64_t id = Enq(r);
  bus::Job job = MustNext("worker-a");
  EXPECT_EQ(job.id, id);
  EXPECT_THAT(job.payload, HasSubstr(std::string(70000, 'x')));
  EXPECT_EQ(job.name, r.name);
  EXPECT_EQ(job.group_key, r.group_key);
  EXPECT_EQ(job.correlation_id, r.correlation_id);
  ASSERT_OK(q().Fail(ctx_, job, std::string(3000, 'm')));
  clock_.Advance(seconds(10));
  bus::Job again = MustNext("worker-b");
  ASSERT_EQ(again.errors.size(), 1u);
  EXPECT_EQ(again.errors[0].message, std::string(3000, 'm'));
  EXPECT_THAT(again.payload, HasSubstr(std::string(70000, 'x')));
}

TEST_P(BusTest, FailedAttemptsRetryOnTheBackoffScheduleThenDeadLetterWithHistoryThenReplay) {
  bus::EnqueueRequest r = Req();
  r.max_attempts = 3;
  const int64_t id = Enq(r);
  // Attempt 1 fails: exponential backoff from 1 s → due 1 s later.
  bus::Job a1 = MustNext("w-a");
  ASSERT_OK(q().Fail(ctx_, a1, "boom 1"));
  ExpectNone();
  clock_.Advance(milliseconds(999));
  ExpectNone();
  clock_.Advance(milliseconds(1));
  bus::Job a2 = MustNext("w-b");
  EXPECT_EQ(a2.id, id);
  EXPECT_EQ(a2.attempt, 2);
  ASSERT_EQ(a2.errors.size(), 1u);
  EXPECT_EQ(a2.errors[0].message, "boom 1");
  EXPECT_EQ(a2.errors[0].worker, "w-a");
  EXPECT_EQ(a2.errors[0].attempt, 1);
  // Attempt 2 fails: 2 s.
  ASSERT_OK(q().Fail(ctx_, a2, "boom 2"));
  clock_.Advance(milliseconds(1999));
  ExpectNone();
  clock_.Advance(milliseconds(1));
  bus::Job a3 = MustNext("w-c");
  EXPECT_EQ(a3.attempt, 3);
  // Attempt 3 of 3 fails: dead letter, with the whole history.
  ASSERT_OK(q().Fail(ctx_, a3, "boom 3"));
  clock_.Advance(seconds(3600));
  ExpectNone();
  ASSERT_OK_AND_ASSIGN(bus::Job dead, q().Get(ctx_, id));
  EXPECT_EQ(dead.state, bus::JobState::kDead);
  ASSERT_EQ(dead.errors.size(), 3u);
  EXPECT_EQ(dead.errors[2].message, "boom 3");
  EXPECT_EQ(dead.errors[2].worker, "w-c");
  ASSERT_OK_AND_ASSIGN(auto listed, q().List(ctx_, kQ, bus::JobState::kDead));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, id);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.dead, 1);
  // Replay: waiting again with a fresh attempt budget, history kept.
  ASSERT_OK_AND_ASSIGN(int64_t replayed, q().Replay(ctx_, kQ, {id}));
  EXPECT_EQ(replayed, 1);
  bus::Job again = MustNext();
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.attempt, 1);
  EXPECT_EQ(again.errors.size(), 3u);
  ASSERT_OK(q().Complete(ctx_, again));
  ASSERT_OK_AND_ASSIGN(int64_t none, q().Replay(ctx_, kQ));
  EXPECT_EQ(none, 0);
}

TEST_P(BusTest, RetryDelayIsFixedOrExponentialCappedWithJitterInBounds) {
  bus::QueueSettings s;
  s.backoff = bus::Backoff::kExponential;
  s.backoff_base = milliseconds(100);
  s.backoff_max = milliseconds(1000);
  s.jitter = 0;
  EXPECT_EQ(bus::RetryDelay(s, 1, 0.5), milliseconds(100));
  EXPECT_EQ(bus::RetryDelay(s, 3, 0.5), milliseconds(400));
  EXPECT_EQ(bus::RetryDelay(s, 10, 0.5), milliseconds(1000));
  s.jitter = 0.5;
  EXPECT_EQ(bus::RetryDelay(s, 1, 0.0), milliseconds(50));
  EXPECT_EQ(bus::RetryDelay(s, 1, 1.0), milliseconds(150));
  s.backoff = bus::Backoff::kFixed;
  s.jitter = 0;
  EXPECT_EQ(bus::RetryDelay(s, 7, 0.3), milliseconds(100));
}

TEST_P(BusTest, DedupByIdempotencyKeyWithinTheWindow) {
  bus::EnqueueRequest r = Req();
  r.idempotency_key = "post:1";
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult first, q().Enqueue(ctx_, r));
  EXPECT_FALSE(first.deduplicated);
  clock_.Advance(std::chrono::hours(23));
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult second, q().Enqueue(ctx_, r));
  EXPECT_TRUE(second.deduplicated);
  EXPECT_EQ(second.id, first.id);
  // Another queue's key space is separate.
  bus::EnqueueRequest other = r;
  other.queue = "search.index";
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult elsewhere, q().Enqueue(ctx_, other));
  EXPECT_FALSE(elsewhere.deduplicated);
  // After the window (24 h for feed.fanout) the key enqueues a new job.
  clock_.Advance(std::chrono::hours(2));
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult third, q().Enqueue(ctx_, r));
  EXPECT_FALSE(third.deduplicated);
  EXPECT_NE(third.id, first.id);
  // Within one batch too.
  r.idempotency_key = "post:2";
  ASSERT_OK_AND_ASSIGN(auto batch, q().EnqueueMany(ctx_, {r, r}));
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_FALSE(batch[0].deduplicated);
  EXPECT_TRUE(batch[1].deduplicated);
  EXPECT_EQ(batch[0].id, batch[1].id);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting, 3);
}

TEST_P(BusTest, ConcurrentEnqueuesOfOneKeyMakeOneJob) {
  bus::EnqueueRequest r = Req();
  r.idempotency_key = "tip:42";
  std::vector<int64_t> ids(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      auto res = q().Enqueue(ctx, r);
      ASSERT_OK(res.status());
      ids[t] = res->id;
    });
  }
  for (auto& t : threads) t.join();
  for (int64_t id : ids) EXPECT_EQ(id, ids[0]);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting, 1);
}

TEST_P(BusTest, GroupsAreServedRoundRobinWithAPerGroupLimit) {
  ASSERT_OK_AND_ASSIGN(auto grouped, Open(&clock_, "?feed.fanout.round_robin_groups=true"));
  auto enq = [&](const std::string& group, bus::Queue* into = nullptr) {
    bus::EnqueueRequest r = Req("{\"g\":\"" + group + "\"}");
    r.group_key = group;
    auto res = (into != nullptr ? into : grouped.get())->Enqueue(ctx_, r);
    EXPECT_OK(res.status());
    return res.ok() ? res->id : 0;
  };
  // A busy tenant enqueues first; the others still get their turn.
  for (int i = 0; i < 3; ++i) enq("busy");
  enq("quiet-1");
  enq("quiet-2");
  std::vector<std::string> order;
  std::vector<bus::Job> claimed;
  for (int i = 0; i < 5; ++i) {
    auto job = grouped->Next(ctx_, kQ, "w", milliseconds(0));
    ASSERT_OK(job.status());
    ASSERT_TRUE(job->has_value());
    order.push_back((*job)->group_key.str());
    claimed.push_back(**job);
  }
  EXPECT_THAT(order, ElementsAre("busy", "quiet-1", "quiet-2", "busy", "busy"));
  for (const auto& j : claimed) ASSERT_OK(grouped->Complete(ctx_, j));

  // At most group_concurrency active jobs per group.
  ASSERT_OK_AND_ASSIGN(auto limited,
                       Open(&clock_, "?feed.fanout.round_robin_groups=true&feed.fanout.group_concurrency=1"));
  enq("busy", limited.get());
  enq("busy", limited.get());
  const int64_t other = enq("quiet-1", limited.get());
  ASSERT_OK_AND_ASSIGN(auto first, limited->Next(ctx_, kQ, "w", milliseconds(0)));
  ASSERT_TRUE(first.has_value());
  ASSERT_OK_AND_ASSIGN(auto second, limited->Next(ctx_, kQ, "w", milliseconds(0)));
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(first->group_key, second->group_key);
  ASSERT_OK_AND_ASSIGN(auto none, limited->Next(ctx_, kQ, "w", milliseconds(0)));
  EXPECT_FALSE(none.has_value()) << "a second job of a group at its limit was claimed";
  const bus::Job& busy = first->group_key == "busy" ? *first : *second;
  ASSERT_OK(limited->Complete(ctx_, busy));
  ASSERT_OK_AND_ASSIGN(auto third, limited->Next(ctx_, kQ, "w", milliseconds(0)));
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->group_key, "busy");
  EXPECT_TRUE(first->id == other || second->id == other);
}

// The per-group limit holds when several claimers race for one group's jobs (on Postgres each claim
// counts the group's active jobs in its own snapshot: the claims of such a queue are serialized).
TEST_P(BusTest, ConcurrentClaimersNeverTakeMoreThanTheGroupLimit) {
  ASSERT_OK_AND_ASSIGN(auto limited,
                       Open(&clock_, "?feed.fanout.round_robin_groups=true&feed.fanout.group_concurrency=2"));
  std::vector<bus::EnqueueRequest> batch(12, Req());
  for (bus::EnqueueRequest& r : batch) r.group_key = "busy";
  ASSERT_OK(limited->EnqueueMany(ctx_, batch).status());
  constexpr int kThreads = 6;
  std::atomic<int> ready{0};
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      const std::string worker = "w" + std::to_string(t);
      for (int k = 0; k < 2; ++k) {  // half the threads claim one at a time, half in batches
        if (t % 2 == 0) {
          auto job = limited->Next(ctx, kQ, worker, milliseconds(0));
          ASSERT_OK(job.status());
          if (job->has_value()) claimed.fetch_add(1);
        } else {
          auto jobs = limited->NextBatch(ctx, kQ, worker, 3, milliseconds(0));
          ASSERT_OK(jobs.status());
          claimed.fetch_add(static_cast<int>(jobs->size()));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.load(), 2) << "claims racing past group_concurrency = 2";
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, limited->Counts(ctx_, kQ));
  EXPECT_EQ(c.active, 2);
  EXPECT_EQ(c.waiting, 10);
}

TEST_P(BusTest, PauseStopsClaimsUntilResume) {
  const int64_t id = Enq(Req());
  ASSERT_OK(q().Pause(ctx_, kQ));
  ExpectNone();
  Enq(Req());  // enqueue still works while paused
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_TRUE(c.paused);
  EXPECT_EQ(c.waiting, 2);
  ASSERT_OK(q().Resume(ctx_, kQ));
  EXPECT_EQ(MustNext().id, id);
  EXPECT_THAT(q().Pause(ctx_, "nope"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BusTest, CancelTakesOutAWaitingJobOnly) {
  const int64_t a = Enq(Req());
  bus::EnqueueRequest later = Req();
  later.delay = seconds(10);
  const int64_t b = Enq(later);
  ASSERT_OK(q().Cancel(ctx_, b));
  bus::Job running = MustNext();
  EXPECT_EQ(running.id, a);
  ASSERT_OK(q().Complete(ctx_, running));
  EXPECT_THAT(q().Cancel(ctx_, a), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("COMPLETED")));
  EXPECT_THAT(q().Cancel(ctx_, 987654321), StatusIs(absl::StatusCode::kNotFound));
  clock_.Advance(seconds(60 * 60));
  ASSERT_OK_AND_ASSIGN(bus::Job cancelled, q().Get(ctx_, b));
  EXPECT_EQ(cancelled.state, bus::JobState::kCancelled);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.cancelled, 1);
}

TEST_P(BusTest, CancelOfARunningJobIsACooperativeSignalAndEndsItCancelled) {
  const int64_t id = Enq(Req());
  bus::Job job = MustNext();
  ASSERT_OK_AND_ASSIGN(bool requested, q().CancelRequested(ctx_, job));
  EXPECT_FALSE(requested);
  ASSERT_OK(q().Cancel(ctx_, id));  // running: a signal, not an interruption
  ASSERT_OK_AND_ASSIGN(requested, q().CancelRequested(ctx_, job));
  EXPECT_TRUE(requested);
  // The heartbeat carries it too (the lease is still extended so the handler can wind down).
  EXPECT_THAT(q().ExtendLease(ctx_, job, seconds(120)).status(),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancel requested")));
  ASSERT_OK_AND_ASSIGN(bus::Job seen, q().Get(ctx_, id));
  EXPECT_EQ(seen.state, bus::JobState::kActive);
  EXPECT_TRUE(seen.cancel_requested);
  EXPECT_EQ(seen.lease_expires_at, clock_.Now() + seconds(120));
  ASSERT_OK(q().Cancel(ctx_, id));  // asking twice is harmless
  // The handler stops and fails the attempt: CANCELLED, not retried (its message kept).
  ASSERT_OK(q().Fail(ctx_, job, "stopped on request"));
  ASSERT_OK_AND_ASSIGN(bus::Job cancelled, q().Get(ctx_, id));
  EXPECT_EQ(cancelled.state, bus::JobState::kCancelled);
  EXPECT_EQ(cancelled.finished_at, clock_.Now());
  ASSERT_EQ(cancelled.errors.size(), 1u);
  EXPECT_EQ(cancelled.errors[0].message, "stopped on request");
  clock_.Advance(std::chrono::hours(2));  // past every backoff: nothing comes back
  ExpectNone();
  EXPECT_THAT(q().Cancel(ctx_, id), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("CANCELLED")));
  EXPECT_THAT(q().CancelRequested(ctx_, job).status(), StatusIs(absl::StatusCode::kFailedPrecondition));

  // Released after the signal: CANCELLED too.
  const int64_t released = Enq(Req());
  bus::Job r = MustNext();
  ASSERT_OK(q().Cancel(ctx_, released));
  ASSERT_OK(q().Release(ctx_, r));
  ASSERT_OK_AND_ASSIGN(bus::Job rj, q().Get(ctx_, released));
  EXPECT_EQ(rj.state, bus::JobState::kCancelled);
  // A worker that died after the signal (its lease expires): CANCELLED, not run again.
  const int64_t stalled = Enq(Req());
  MustNext();
  ASSERT_OK(q().Cancel(ctx_, stalled));
  clock_.Advance(seconds(61));
  ASSERT_OK_AND_ASSIGN(int64_t recovered, q().RecoverStalled(ctx_, kQ));
  EXPECT_EQ(recovered, 1);
  ASSERT_OK_AND_ASSIGN(bus::Job sj, q().Get(ctx_, stalled));
  EXPECT_EQ(sj.state, bus::JobState::kCancelled);
  ExpectNone();
  // A handler that finished the work anyway completes it.
  const int64_t finished = Enq(Req());
  bus::Job f = MustNext();
  ASSERT_OK(q().Cancel(ctx_, finished));
  ASSERT_OK(q().Complete(ctx_, f, R"({"done":true})"));
  ASSERT_OK_AND_ASSIGN(bus::Job fj, q().Get(ctx_, finished));
  EXPECT_EQ(fj.state, bus::JobState::kCompleted);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.cancelled, 3);
  EXPECT_EQ(c.completed, 1);
  EXPECT_EQ(c.waiting + c.delayed + c.active, 0);
}

TEST_P(BusTest, ARateLimitCapsJobsStartedPerWindowAcrossWorkersAndInstances) {
  // feed.fanout: at most 3 starts per 10 s window (t0 = 1700000000 s is a window boundary), counted
  // across two Queue objects on one store (memory: one process, the same object twice).
  const std::string params = "?feed.fanout.rate_limit=3&feed.fanout.rate_window_ms=10000";
  ASSERT_OK_AND_ASSIGN(auto limited, Open(&clock_, params));
  std::unique_ptr<bus::Queue> other;
  if (q().traits().cross_process) {
    ASSERT_OK_AND_ASSIGN(other, Open(&clock_, params));
  }
  bus::Queue* instances[2] = {limited.get(), other ? other.get() : limited.get()};
  std::vector<bus::EnqueueRequest> batch(10, Req());
  ASSERT_OK(limited->EnqueueMany(ctx_, batch).status());
  auto claim = [&](int i) -> bool {
    auto job = instances[i % 2]->Next(ctx_, kQ, "w" + std::to_string(i % 2), milliseconds(0));
    EXPECT_OK(job.status());
    if (!job.ok() || !job->has_value()) return false;
    EXPECT_OK(instances[i % 2]->Complete(ctx_, **job));  // finishing does not give the start back
    return true;
  };
  int started = 0;
  for (int i = 0; i < 6; ++i) started += claim(i) ? 1 : 0;
  EXPECT_EQ(started, 3);
  clock_.Advance(seconds(9));  // still the same window
  EXPECT_FALSE(claim(0));
  EXPECT_FALSE(claim(1));
  clock_.Advance(seconds(1));  // the next window
  started = 0;
  for (int i = 0; i < 6; ++i) started += claim(i) ? 1 : 0;
  EXPECT_EQ(started, 3);
  // Concurrent claimers never exceed the budget either.
  clock_.Advance(seconds(10));
  std::atomic<int> concurrent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      for (int k = 0; k < 3; ++k) {
        auto job = instances[t % 2]->Next(ctx, kQ, "t" + std::to_string(t), milliseconds(0));
        if (!job.ok()) {
          ADD_FAILURE() << job.status();
          return;
        }
        if (job->has_value()) concurrent.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(concurrent.load(), 3);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, limited->Counts(ctx_, kQ));
  EXPECT_EQ(c.completed, 6);
  EXPECT_EQ(c.active, 3);
  EXPECT_EQ(c.waiting, 1);
}

TEST_P(BusTest, BulkEnqueueKeepsOrderAndIds) {
  std::vector<bus::EnqueueRequest> batch;
  for (int i = 0; i < 1200; ++i) batch.push_back(Req("{\"i\":" + std::to_string(i) + "}"));
  ASSERT_OK_AND_ASSIGN(auto results, q().EnqueueMany(ctx_, batch));
  ASSERT_EQ(results.size(), batch.size());
  for (size_t i = 0; i < 5; ++i) {
    bus::Job job = MustNext();
    EXPECT_EQ(job.id, results[i].id);
    EXPECT_THAT(job.payload, HasSubstr(std::to_string(i)));
  }
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting, 1195);
  EXPECT_EQ(c.active, 5);
}

// One batch mixing what a backend may send apart (the Redis bus sends consecutive plain jobs as one run
// and keyed jobs one by one): every job keeps its own fields, ids and dedup answers are in request order.
TEST_P(BusTest, BulkEnqueueMixingKeysPrioritiesGroupsAndDelaysKeepsEachJobsFields) {
  auto with = [](std::string payload, int priority, std::string group, std::string key) {
    bus::EnqueueRequest r = Req(std::move(payload), priority);
    r.group_key = std::move(group);
    r.idempotency_key = std::move(key);
    return r;
  };
  bus::EnqueueRequest later = with(R"({"n":"e"})", 0, "", "");
  later.delay = seconds(10);
  const std::vector<bus::EnqueueRequest> batch = {
      with(R"({"n":"a"})", 0, "", ""),       with(R"({"n":"b"})", 0, "", ""),
      with(R"({"n":"k"})", 0, "", "mix:1"),  with(R"({"n":"c"})", 5, "", ""),
      with(R"({"n":"d"})", 0, "g1", ""),     later,
      with(R"({"n":"k2"})", 0, "", "mix:1"), with(R"({"n":"f"})", 0, "", "")};
  ASSERT_OK_AND_ASSIGN(std::vector<bus::EnqueueResult> ids, q().EnqueueMany(ctx_, batch));
  ASSERT_EQ(ids.size(), batch.size());
  EXPECT_TRUE(ids[6].deduplicated);
  EXPECT_EQ(ids[6].id, ids[2].id);
  for (size_t i : {0, 1, 2, 3, 4, 5, 7}) {
    EXPECT_FALSE(ids[i].deduplicated) << i;
    ASSERT_OK_AND_ASSIGN(bus::Job stored, q().Get(ctx_, ids[i].id));
    EXPECT_THAT(stored.payload, HasSubstr(batch[i].payload.substr(5, 3))) << i;  // "a" of {"n":"a"}
    EXPECT_EQ(stored.priority, batch[i].priority) << i;
    EXPECT_EQ(stored.group_key, batch[i].group_key) << i;
    EXPECT_EQ(stored.idempotency_key, batch[i].idempotency_key) << i;
  }
  // Priority first, then FIFO; the delayed job only once due.
  std::vector<int64_t> order;
  for (int i = 0; i < 6; ++i) order.push_back(MustNext().id);
  EXPECT_THAT(order, ElementsAre(ids[3].id, ids[0].id, ids[1].id, ids[2].id, ids[4].id, ids[7].id));
  ExpectNone();
  clock_.Advance(seconds(11));
  bus::Job e = MustNext();
  EXPECT_EQ(e.id, ids[5].id);
  EXPECT_THAT(e.payload, HasSubstr("\"e\""));
}

TEST_P(BusTest, StalledJobRunsAgainAndTheOldWorkersLateCallsAreRefused) {
  const int64_t id = Enq(Req());
  bus::Job stale = MustNext("slow");
  clock_.Advance(seconds(59));
  ASSERT_OK_AND_ASSIGN(Clock::TimePoint until, q().ExtendLease(ctx_, stale, seconds(30)));
  EXPECT_EQ(until, clock_.Now() + seconds(30));
  clock_.Advance(seconds(30));  // lease lapses
  // Expired, not yet taken over: already refused (fencing).
  EXPECT_THAT(q().Complete(ctx_, stale), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease lost")));
  bus::Job fresh = MustNext("fast");
  EXPECT_EQ(fresh.id, id);
  EXPECT_EQ(fresh.attempt, 2);
  EXPECT_NE(fresh.lease_token, stale.lease_token);
  ASSERT_EQ(fresh.errors.size(), 1u);
  EXPECT_EQ(fresh.errors[0].message, "lease expired");
  EXPECT_EQ(fresh.errors[0].worker, "slow");
  for (const absl::Status& s : {q().Complete(ctx_, stale), q().Fail(ctx_, stale, "late"),
                                q().Progress(ctx_, stale, "{}"), q().ExtendLease(ctx_, stale, seconds(5)).status(),
                                q().Release(ctx_, stale)}) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition)) << s;
  }
  ASSERT_OK(q().Complete(ctx_, fresh, R"({"by":"fast"})"));
  ASSERT_OK_AND_ASSIGN(bus::Job done, q().Get(ctx_, id));
  EXPECT_EQ(done.state, bus::JobState::kCompleted);
  EXPECT_THAT(done.result, HasSubstr("fast"));
}

TEST_P(BusTest, AStalledJobOnItsLastAttemptGoesToTheDeadLetters) {
  bus::EnqueueRequest r = Req();
  r.max_attempts = 1;
  const int64_t id = Enq(r);
  MustNext();
  clock_.Advance(seconds(61));
  ASSERT_OK_AND_ASSIGN(int64_t recovered, q().RecoverStalled(ctx_, kQ));
  EXPECT_EQ(recovered, 1);
  ASSERT_OK_AND_ASSIGN(bus::Job dead, q().Get(ctx_, id));
  EXPECT_EQ(dead.state, bus::JobState::kDead);
  ASSERT_EQ(dead.errors.size(), 1u);
  EXPECT_EQ(dead.errors[0].message, "lease expired");
}

TEST_P(BusTest, RecoveryRunsFindEachJobAsItsLeaseLapses) {
  // Per-second recovery runs while leases lapse one after another: each job is recovered by the first
  // run after its lease ended, never later (on the SQL buses a run reads only the leases after where
  // the last complete run ended, less a second: src/bus/recovery_floor.h).
  const int64_t a = Enq(Req());
  const int64_t b = Enq(Req());
  EXPECT_EQ(MustNext("wa").id, a);  // lease ends at +60 s
  clock_.Advance(milliseconds(30250));
  EXPECT_EQ(MustNext("wb").id, b);  // lease ends at +90.25 s
  clock_.Advance(milliseconds(500));
  std::vector<std::pair<int, int64_t>> found;  // (run, jobs recovered)
  for (int run = 1; run <= 70; ++run) {
    clock_.Advance(seconds(1));
    ASSERT_OK_AND_ASSIGN(int64_t n, q().RecoverStalled(ctx_, kQ));
    if (n > 0) found.emplace_back(run, n);
  }
  // +30.75 s + run: a's lease has ended from run 30 (60.75 s), b's from run 60 (90.75 s).
  EXPECT_THAT(found, ElementsAre(std::pair<int, int64_t>(30, 1), std::pair<int, int64_t>(60, 1)));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> again, q().NextBatch(ctx_, kQ, "w", 5, milliseconds(0)));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].id, a);
  EXPECT_EQ(again[1].id, b);
}

TEST_P(BusTest, AJobWhoseLeaseLiesBehindEarlierRecoveryRunsIsStillRecovered) {
  // A lease set by a clock that lags (another process's, or this one stepped back) can end before
  // where the last recovery run ended, which the next run starts after (SQL buses, less a second).
  // It is still recovered: every 60th run reads from the head, so within a minute of per-second runs.
  const Clock::TimePoint t = clock_.Now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(int64_t none, q().RecoverStalled(ctx_, kQ));
    EXPECT_EQ(none, 0);
    clock_.Advance(seconds(1));
  }
  ExpectNone();  // a claim's own recovery run: the next is due a second later, not when the clock goes back
  clock_.Set(t - std::chrono::hours(1));  // the claimer's clock an hour behind: its lease ends 59 min before t
  const int64_t id = Enq(Req());
  bus::Job stale = MustNext("lagging");
  EXPECT_EQ(stale.id, id);
  clock_.Set(t + seconds(5));
  int runs = 0;
  int64_t recovered = 0;
  while (recovered == 0 && runs < 61) {
    ++runs;
    clock_.Advance(seconds(1));
    ASSERT_OK_AND_ASSIGN(recovered, q().RecoverStalled(ctx_, kQ));
  }
  EXPECT_EQ(recovered, 1) << "not recovered within " << runs << " runs";
  bus::Job again = MustNext("w2");
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.attempt, 2);
  EXPECT_THAT(q().Complete(ctx_, stale), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(BusTest, ReleaseGivesTheJobBackWithoutSpendingAnAttempt) {
  const int64_t id = Enq(Req());
  bus::Job job = MustNext();
  ASSERT_OK(q().Release(ctx_, job));
  bus::Job again = MustNext();
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.attempt, 1);
}

TEST_P(BusTest, CleanDeletesFinishedJobsPastRetention) {
  const int64_t a = Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  clock_.Advance(std::chrono::hours(25));
  const int64_t b = Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  ASSERT_OK_AND_ASSIGN(int64_t n, q().Clean(ctx_, kQ));
  EXPECT_EQ(n, 1);
  EXPECT_THAT(q().Get(ctx_, a).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(q().Get(ctx_, b).status());
}

// Migration 025 (SQL buses): counts, listings and retention read each state through its own partial
// index (no index holds every state any more), and SQLite's status CHECK is an OR chain: one job in
// every state is counted, listed and cleaned as before, and an unknown status is still refused.
TEST_P(BusTest, EveryStateIsCountedListedAndCleaned) {
  auto ids_of = [&](bus::JobState state) {
    std::vector<int64_t> ids;
    auto listed = q().List(ctx_, kQ, state);
    EXPECT_OK(listed.status());
    if (listed.ok()) {
      for (const bus::Job& j : *listed) ids.push_back(j.id);
    }
    return ids;
  };
  const int64_t completed = Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  bus::EnqueueRequest once = Req();
  once.max_attempts = 1;
  const int64_t dead = Enq(once);
  ASSERT_OK(q().Fail(ctx_, MustNext(), "boom"));
  const int64_t cancelled = Enq(Req());
  ASSERT_OK(q().Cancel(ctx_, cancelled));
  const int64_t active = Enq(Req());
  EXPECT_EQ(MustNext().id, active);
  const int64_t waiting = Enq(Req());
  bus::EnqueueRequest later = Req();
  later.delay = std::chrono::hours(1);
  const int64_t delayed = Enq(later);

  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting, 1);
  EXPECT_EQ(c.delayed, 1);
  EXPECT_EQ(c.active, 1);
  EXPECT_EQ(c.completed, 1);
  EXPECT_EQ(c.dead, 1);
  EXPECT_EQ(c.cancelled, 1);
  EXPECT_FALSE(c.paused);
  EXPECT_THAT(ids_of(bus::JobState::kWaiting), ::testing::ElementsAre(waiting, delayed));
  EXPECT_THAT(ids_of(bus::JobState::kActive), ::testing::ElementsAre(active));
  EXPECT_THAT(ids_of(bus::JobState::kCompleted), ::testing::ElementsAre(completed));
  EXPECT_THAT(ids_of(bus::JobState::kDead), ::testing::ElementsAre(dead));
  EXPECT_THAT(ids_of(bus::JobState::kCancelled), ::testing::ElementsAre(cancelled));
  ASSERT_OK(q().Pause(ctx_, kQ));
  ASSERT_OK_AND_ASSIGN(c, q().Counts(ctx_, kQ));
  EXPECT_TRUE(c.paused);
  ASSERT_OK(q().Resume(ctx_, kQ));

  // Past retain_completed (24 h), not retain_dead (7 days): the completed and cancelled jobs go.
  clock_.Advance(std::chrono::hours(25));
  ASSERT_OK_AND_ASSIGN(int64_t n, q().Clean(ctx_, kQ));
  EXPECT_EQ(n, 2);
  EXPECT_THAT(q().Get(ctx_, completed).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(q().Get(ctx_, cancelled).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(q().Get(ctx_, dead).status());
  clock_.Advance(std::chrono::hours(24 * 7));
  ASSERT_OK_AND_ASSIGN(n, q().Clean(ctx_, kQ));
  EXPECT_EQ(n, 1);
  EXPECT_THAT(q().Get(ctx_, dead).status(), StatusIs(absl::StatusCode::kNotFound));

  if (GetParam() == "sqlite" || GetParam() == "postgres") {
    auto bogus = db().Execute(ctx_, "UPDATE jobs SET status = 'BOGUS' WHERE id = ?", {waiting});
    EXPECT_THAT(bogus.status().message(), ::testing::AnyOf(HasSubstr("CHECK"), HasSubstr("check")));
    if (GetParam() == "sqlite") {
      ASSERT_OK_AND_ASSIGN(store::ResultSet rs,
                           db().Execute(ctx_,
                                        "SELECT count(*) FROM sqlite_schema WHERE name = 'jobs' AND sql "
                                        "LIKE '% IN (''%'"));
      EXPECT_EQ(rs.front().Int64(0), 0);
    }
  }
}

TEST_P(BusTest, EnqueueJoinsTheRequestTransaction) {
  ASSERT_TRUE(q().traits().transactional_enqueue);
  int64_t rolled_back = 0;
  absl::Status s = db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult r, q().Enqueue(ctx_, Req(R"({"tx":"rollback"})")));
    rolled_back = r.id;
    return absl::AbortedError("the caller gives up");
  }, {.max_attempts = 1});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted));
  ExpectNone();
  EXPECT_THAT(q().Get(ctx_, rolled_back).status(), StatusIs(absl::StatusCode::kNotFound));

  int64_t committed = 0;
  ASSERT_OK(db().RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult r, q().Enqueue(ctx_, Req(R"({"tx":"commit"})")));
    committed = r.id;
    return c.Execute("SELECT 1").status();
  }));
  EXPECT_EQ(MustNext().id, committed);

  // A caught inner failure (savepoint) undoes only its own enqueue.
  int64_t kept = 0;
  ASSERT_OK(db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult r, q().Enqueue(ctx_, Req(R"({"tx":"kept"})")));
    kept = r.id;
    absl::Status inner = db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
      DAIRA_RETURN_IF_ERROR(q().Enqueue(ctx_, Req(R"({"tx":"inner"})")).status());
      return absl::InvalidArgumentError("inner fails");
    });
    EXPECT_FALSE(inner.ok());
    return absl::OkStatus();
  }));
  EXPECT_EQ(MustNext().id, kept);
  ExpectNone();
  // Claims commit by themselves: Next refuses a context bound to a transaction.
  ASSERT_OK(db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    EXPECT_THAT(q().Next(ctx_, kQ, "w", milliseconds(0)).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    return absl::OkStatus();
  }));
}

TEST_P(BusTest, ABlockedNextIsWokenByAnEnqueue) {
  std::optional<bus::Job> got;
  std::thread waiter([&] {
    auto job = q().Next(RequestContext(), kQ, "w", seconds(60));
    ASSERT_OK(job.status());
    got = *job;
  });
  const int64_t id = Enq(Req());
  waiter.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, id);
}

// Backends with a cross-instance wake-up signal (Postgres NOTIFY, Redis wake lists) claim this; the others
// see another instance's jobs within idle_recheck (docs/bus.md), so the suite is instantiated for them alone.
TEST_P(BusTest, AnEnqueueCommittedInsideATransactionWakesAWaitingWorkerAtOnceAndARollbackDeliversNothing) {
  // idle_recheck of an hour: only the after-commit wake-up can end the wait before the Next timeout.
  ASSERT_OK_AND_ASSIGN(auto quiet, Open(&clock_, "?idle_recheck_ms=3600000"));
  auto enqueue_in_transaction = [&](bool commit) {
    return db().RunInTransaction(
        ctx_,
        [&](store::Connection&) -> absl::Status {
          DAIRA_RETURN_IF_ERROR(quiet->Enqueue(ctx_, Req(R"({"tx":true})")).status());
          return commit ? absl::OkStatus() : absl::AbortedError("rolled back by the caller");
        },
        {.max_attempts = 1});
  };
  // Rolled back: the waiter gets nothing (its Next ends at its own timeout) and no job exists.
  std::optional<bus::Job> none;
  std::thread idle([&] {
    auto job = quiet->Next(RequestContext(), kQ, "w", milliseconds(300));
    ASSERT_OK(job.status());
    none = *job;
  });
  EXPECT_THAT(enqueue_in_transaction(false), StatusIs(absl::StatusCode::kAborted));
  idle.join();
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, quiet->Counts(ctx_, kQ));
  EXPECT_EQ(counts.waiting + counts.active, 0);
  // Committed: the waiter blocked for up to 2 minutes (with an hour between looks) gets it.
  std::optional<bus::Job> got;
  std::thread waiter([&] {
    auto job = quiet->Next(RequestContext(), kQ, "w", seconds(120));
    ASSERT_OK(job.status());
    got = *job;
  });
  ASSERT_OK(enqueue_in_transaction(true));
  waiter.join();
  ASSERT_TRUE(got.has_value()) << "the commit did not wake the waiting worker";
  EXPECT_THAT(got->payload, HasSubstr("\"tx\""));
}

class BusWakeTest : public BusTest {};

TEST_P(BusWakeTest, AnotherInstanceIsWokenAcrossConnections) {
  // A second database pool and queue, as in another process, that would never look again by itself.
  ASSERT_OK_AND_ASSIGN(auto db2, store::Database::Open(tdb_->url()));
  ASSERT_OK_AND_ASSIGN(auto other, Open(&clock_, "?idle_recheck_ms=3600000", db2.get()));
  std::optional<bus::Job> got;
  std::thread waiter([&] {
    auto job = other->Next(RequestContext(), kQ, "w", seconds(120));
    ASSERT_OK(job.status());
    got = *job;
  });
  const int64_t id = Enq(Req());
  waiter.join();
  ASSERT_TRUE(got.has_value()) << "NOTIFY did not wake the other instance";
  EXPECT_EQ(got->id, id);
}

// Session 18: how another instance of the bus on the same store (as another process: its own pool,
// listener and origin; memory: the same object, it is in-process only) learns of jobs that entered.
// Postgres sends each entry notice after the commit, from the listener thread, coalesced per queue
// (never inside the enqueueing transaction); Redis has wake lists; SQLite has no signal (another
// process looks again every idle_recheck: 20 ms here). With a signal, the other instance waits with an
// hour between looks, so only the notice can end its wait before the Next timeout.
class BusNoticeTest : public BusTest {
 protected:
  // `recheck_ms` > 0: the other instance's idle_recheck on every backend.
  bus::Queue& Other(int recheck_ms = 0) {
    if (!q().traits().cross_process) return q();
    if (other_ == nullptr) {
      auto db2 = store::Database::Open(tdb_->url());
      EXPECT_OK(db2.status());
      if (db2.ok()) other_db_ = *std::move(db2);
      if (recheck_ms <= 0) recheck_ms = GetParam() == "sqlite" ? 20 : 3600000;
      auto o = Open(&clock_, "?idle_recheck_ms=" + std::to_string(recheck_ms), other_db_.get());
      EXPECT_OK(o.status());
      if (o.ok()) other_ = *std::move(o);
    }
    return other_ != nullptr ? *other_ : q();
  }
  // The job the other instance's Next (blocked for up to `timeout`) claims while `cause` runs.
  std::optional<bus::Job> ClaimedByOtherDuring(const std::function<void()>& cause,
                                               milliseconds timeout = seconds(120)) {
    bus::Queue& other = Other();
    std::optional<bus::Job> got;
    std::thread waiter([&] {
      auto job = other.Next(RequestContext(), kQ, "other", timeout);
      ASSERT_OK(job.status());
      got = *job;
    });
    cause();
    waiter.join();
    return got;
  }
  absl::Status EnqueueInTransaction(bool commit, const std::string& payload) {
    return db().RunInTransaction(
        ctx_,
        [&](store::Connection&) -> absl::Status {
          DAIRA_RETURN_IF_ERROR(q().Enqueue(ctx_, Req(payload)).status());
          return commit ? absl::OkStatus() : absl::AbortedError("rolled back by the caller");
        },
        {.max_attempts = 1});
  }

  std::unique_ptr<store::Database> other_db_;  // declared first: destroyed after the queue on it
  std::unique_ptr<bus::Queue> other_;
};

TEST_P(BusNoticeTest, AnotherInstanceIsWokenByAnEnqueueATransactionalEnqueueAndARelease) {
  int64_t id = 0;
  std::optional<bus::Job> got = ClaimedByOtherDuring([&] { id = Enq(Req(R"({"n":1})")); });
  ASSERT_TRUE(got.has_value()) << "the autocommit enqueue did not wake the other instance";
  EXPECT_EQ(got->id, id);
  ASSERT_OK(Other().Complete(ctx_, *got));

  got = ClaimedByOtherDuring([&] { ASSERT_OK(EnqueueInTransaction(true, R"({"tx":true})")); });
  ASSERT_TRUE(got.has_value()) << "the transactional enqueue's commit did not wake the other instance";
  EXPECT_THAT(got->payload, HasSubstr("\"tx\""));
  ASSERT_OK(Other().Complete(ctx_, *got));

  // A job claimed here and released: back in the ready set, announced like an enqueue.
  const int64_t released = Enq(Req(R"({"n":3})"));
  const bus::Job mine = MustNext();
  ASSERT_EQ(mine.id, released);
  got = ClaimedByOtherDuring([&] { ASSERT_OK(q().Release(ctx_, mine)); });
  ASSERT_TRUE(got.has_value()) << "the release did not wake the other instance";
  EXPECT_EQ(got->id, released);
  ASSERT_OK(Other().Complete(ctx_, *got));
}

TEST_P(BusNoticeTest, ARolledBackTransactionalEnqueueWakesNobodyAndLeavesNoJob) {
  const std::optional<bus::Job> none = ClaimedByOtherDuring(
      [&] {
        EXPECT_THAT(EnqueueInTransaction(false, R"({"tx":false})"), StatusIs(absl::StatusCode::kAborted));
      },
      milliseconds(300));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, Other().Counts(ctx_, kQ));
  EXPECT_EQ(counts.waiting + counts.active, 0);
}

TEST_P(BusNoticeTest, ABurstOfEnqueuesFromManyThreadsIsCoalescedButNoneIsLost) {
  // 4 producers, 50 single enqueues each at priorities 0..2 (their notices merge per queue: the lowest
  // and highest priority, the earliest run-at), while the other instance claims: it must get all 200,
  // each Next ended by a notice (or finding work), never by the 2-minute timeout.
  constexpr int kProducers = 4, kEach = 50;
  bus::Queue& other = Other();
  std::mutex mu;
  std::set<int64_t> enqueued;
  std::vector<std::thread> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.emplace_back([&, t] {
      RequestContext ctx;
      for (int i = 0; i < kEach; ++i) {
        auto res = q().Enqueue(ctx, Req("{}", (t + i) % 3));
        ASSERT_OK(res.status());
        std::lock_guard<std::mutex> lock(mu);
        enqueued.insert(res->id);
      }
    });
  }
  std::set<int64_t> claimed;
  for (int i = 0; i < kProducers * kEach; ++i) {
    auto job = other.Next(ctx_, kQ, "other", seconds(120));
    ASSERT_OK(job.status());
    ASSERT_TRUE(job->has_value()) << "no job after " << claimed.size() << " claims: a notice was lost";
    claimed.insert((*job)->id);
    ASSERT_OK(other.Complete(ctx_, **job));
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kProducers * kEach));
  EXPECT_EQ(claimed, enqueued);
}

TEST_P(BusNoticeTest, AJobCommittedWithoutItsNoticeIsClaimedByAnotherInstanceAtItsNextLook) {
  // A producer that dies between its commit and its entry notice (Postgres sends the notice after the
  // commit) leaves a committed job nobody was told of. The bound: an idle claimer looks again every
  // idle_recheck (20 ms here), and a look that finds nothing asks for the next due time (NextDue),
  // which resets its pick cursor when a job is due — so even a job landing behind the cursor, which
  // its claim's pick skips, is claimed; the per-second reset of housekeeping bounds it too (with
  // NextDue's reset taken out, checked by mutation, the job is still claimed, about 1.5 s later). On the
  // SQL buses the job is written directly (what the dead producer left); memory and Redis enqueue
  // atomically with their wake-up.
  bus::Queue& other = Other(/*recheck_ms=*/20);
  const int64_t first = Enq(Req(R"({"n":1})"));
  ASSERT_OK_AND_ASSIGN(std::optional<bus::Job> job, other.Next(ctx_, kQ, "other", seconds(120)));
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id, first);
  ASSERT_OK(other.Complete(ctx_, *job));  // the other's pick cursor now sits at this job
  // The other instance waits (up to 2 minutes) while the job is committed without a notice.
  int64_t silent = 0;
  job = ClaimedByOtherDuring([&] {
    if (GetParam() == "sqlite" || GetParam() == "postgres") {
      // Same priority, due a second earlier: behind the other instance's cursor.
      const int64_t run_at = ToUnixMicros(clock_.Now()) - 1'000'000;
      auto rs = db().Execute(ctx_,
                             "INSERT INTO jobs (queue, run_at, max_attempts, created_at, updated_at) "
                             "VALUES (?, ?, 5, ?, ?) RETURNING id",
                             {std::string(kQ), run_at, run_at, run_at});
      ASSERT_OK(rs.status());
      ASSERT_EQ(rs->size(), 1u);
      silent = rs->front().Int64(0);
    } else {
      silent = Enq(Req(R"({"n":2})"));
    }
  });
  ASSERT_TRUE(job.has_value()) << "the unannounced job was not claimed before the Next timeout";
  EXPECT_EQ(job->id, silent);
}

TEST_P(BusTest, ConcurrentWorkersNeverClaimTheSameJob) {
  std::vector<bus::EnqueueRequest> batch(300, Req());
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  std::mutex mu;
  std::vector<int64_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      while (true) {
        auto job = q().Next(ctx, kQ, "t" + std::to_string(t), milliseconds(0));
        ASSERT_OK(job.status());
        if (!job->has_value()) return;
        {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back((*job)->id);
        }
        ASSERT_OK(q().Complete(ctx, **job));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> unique(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(unique.size(), 300u);
}

// Batch claims asked for at once by many threads of one Queue (the Redis bus sends such asks in one
// script call): each job goes to one caller, with that caller's lease owner and its claim's token, in
// priority order within each batch, and every caller's completions are accepted.
TEST_P(BusTest, ConcurrentBatchClaimsGiveEachJobToOneCallerWithItsOwnLease) {
  std::vector<bus::EnqueueRequest> batch(400, Req());
  for (size_t i = 0; i < batch.size(); ++i) batch[i].priority = static_cast<int>(i % 3);
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  std::mutex mu;
  std::vector<int64_t> seen;
  std::set<int64_t> tokens;
  std::atomic<int> completed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      const std::string owner = "t" + std::to_string(t);
      while (true) {
        auto jobs = q().NextBatch(ctx, kQ, owner, 1 + t % 5, milliseconds(0));
        ASSERT_OK(jobs.status());
        if (jobs->empty()) return;
        ASSERT_LE(jobs->size(), static_cast<size_t>(1 + t % 5));
        std::vector<bus::Queue::JobOutcome> outcomes;
        for (size_t k = 0; k < jobs->size(); ++k) {
          const bus::Job& j = (*jobs)[k];
          EXPECT_EQ(j.lease_owner, owner);
          EXPECT_EQ(j.lease_token, jobs->front().lease_token);
          EXPECT_EQ(j.state, bus::JobState::kActive);
          if (k > 0) {
            EXPECT_LE(j.priority, (*jobs)[k - 1].priority);
          }
          outcomes.push_back({.job = &j});
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          for (const bus::Job& j : *jobs) seen.push_back(j.id);
          EXPECT_TRUE(tokens.insert(jobs->front().lease_token).second);  // one token per claim
        }
        auto done = q().FinishMany(ctx, outcomes);
        ASSERT_OK(done.status());
        for (const absl::Status& s : *done) {
          EXPECT_OK(s);
          if (s.ok()) ++completed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> unique(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 400u);
  EXPECT_EQ(unique.size(), 400u);
  EXPECT_EQ(completed.load(), 400);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, q().Counts(ctx_, kQ));
  EXPECT_EQ(counts.completed, 400);
  EXPECT_EQ(counts.active, 0);
}

TEST_P(BusTest, WorkerPoolRunsHandlersAndShutsDownGracefully) {
  bus::WorkerPool pool(q(), {.worker_id_prefix = "pool", .wait = seconds(30)});
  std::mutex mu;
  std::condition_variable cv;
  bool block_started = false, unblock = false;
  std::atomic<int> ok_runs{0};
  ASSERT_OK(pool.Handle(kQ, [&](const RequestContext& ctx, const bus::Job& job) -> absl::StatusOr<std::string> {
    EXPECT_EQ(ctx.correlation_id(), job.correlation_id);
    if (job.payload.find("block") != std::string::npos) {
      std::unique_lock<std::mutex> lock(mu);
      block_started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return unblock; });
      return std::string(R"({"late":true})");
    }
    if (job.payload.find("fail") != std::string::npos) return absl::InternalError("handler failed");
    ok_runs.fetch_add(1);
    return std::string("");
  }, 2));
  EXPECT_THAT(pool.Handle("nope", nullptr), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(pool.Start());
  const int64_t failing = Enq(Req(R"({"fail":1})"));
  for (int i = 0; i < 10; ++i) Enq(Req(R"({"n":1})"));
  // Wait (not sleep) until the pool has done the ten and failed the one.
  while (pool.processed() < 10 || pool.failed() < 1) {
    std::this_thread::yield();
  }
  EXPECT_EQ(ok_runs.load(), 10);
  ASSERT_OK_AND_ASSIGN(bus::Job f, q().Get(ctx_, failing));
  EXPECT_EQ(f.state, bus::JobState::kWaiting);  // retry after its backoff (manual clock: not yet due)
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_THAT(f.errors[0].message, HasSubstr("handler failed"));
  // One job still running at shutdown: released at the deadline, its late completion refused.
  const int64_t blocking = Enq(Req(R"({"block":1})"));
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return block_started; });
  }
  std::thread stopper([&] { pool.Shutdown(milliseconds(0)); });
  while (pool.released() < 1) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lock(mu);
    unblock = true;
    cv.notify_all();
  }
  stopper.join();
  ASSERT_OK_AND_ASSIGN(bus::Job b, q().Get(ctx_, blocking));
  EXPECT_EQ(b.state, bus::JobState::kWaiting);
  EXPECT_EQ(b.attempt, 0);
  EXPECT_TRUE(b.result.empty());
}

TEST_P(BusTest, WorkerPoolAppliesRetention) {
  const int64_t old_job = Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  clock_.Advance(std::chrono::hours(25));  // past feed.fanout's retain_completed (24 h)
  bus::WorkerPool pool(q(),
                       {.worker_id_prefix = "cleaner", .wait = seconds(30), .clean_interval = seconds(60)});
  ASSERT_OK(pool.Handle(
      kQ, [](const RequestContext&, const bus::Job&) -> absl::StatusOr<std::string> { return std::string(); },
      1));
  ASSERT_OK(pool.Start());  // cleans at once
  // Wait for the condition (bounded, so a regression fails instead of hanging).
  const auto give_up = std::chrono::steady_clock::now() + seconds(60);
  while (q().Get(ctx_, old_job).ok() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  EXPECT_THAT(q().Get(ctx_, old_job).status(), StatusIs(absl::StatusCode::kNotFound));
  pool.Shutdown(seconds(5));
}

// ---- Batch consume (NextBatch) and batched completion (FinishMany) ----

std::vector<int64_t> Ids(const std::vector<bus::Job>& jobs) {
  std::vector<int64_t> out;
  for (const bus::Job& j : jobs) out.push_back(j.id);
  return out;
}

TEST_P(BusTest, BatchClaimKeepsPriorityThenFifoOrderAndGivesEachJobItsLease) {
  const int64_t a = Enq(Req(R"({"n":1})", 0));
  const int64_t b = Enq(Req(R"({"n":2})", 5));
  const int64_t c = Enq(Req(R"({"n":3})", 0));
  const int64_t d = Enq(Req(R"({"n":4})", 5));
  const int64_t e = Enq(Req(R"({"n":5})", 9));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, q().NextBatch(ctx_, kQ, "batcher", 3, milliseconds(0)));
  EXPECT_THAT(Ids(first), ElementsAre(e, b, d));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> rest, q().NextBatch(ctx_, kQ, "batcher", 3, milliseconds(0)));
  EXPECT_THAT(Ids(rest), ElementsAre(a, c));
  for (const bus::Job& j : first) {
    EXPECT_EQ(j.state, bus::JobState::kActive);
    EXPECT_EQ(j.attempt, 1);
    EXPECT_EQ(j.lease_owner, "batcher");
    EXPECT_NE(j.lease_token, 0);
    EXPECT_EQ(j.lease_expires_at, clock_.Now() + seconds(60));
  }
  ExpectNone();
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, q().Counts(ctx_, kQ));
  EXPECT_EQ(counts.active, 5);
  EXPECT_THAT(q().NextBatch(ctx_, kQ, "w", 0, milliseconds(0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_jobs")));
  EXPECT_THAT(q().NextBatch(ctx_, "no.such.queue", "w", 2, milliseconds(0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("queue")));
}

// The claim order under the Postgres pick cursor ("Per-job cost, session 17" in docs/bus.md): a pick
// after the first starts past the last job this queue object claimed, so each case below puts a job
// where a pick that skips what was claimed could miss it. Every backend keeps the same order.
TEST_P(BusTest, AHigherPriorityJobArrivingOrComingDueMidDrainIsClaimedNext) {
  std::vector<int64_t> low;
  for (int i = 0; i < 4; ++i) {
    low.push_back(Enq(Req(R"({"n":"low"})", 0)));
    clock_.Advance(milliseconds(1));  // distinct run-ats: the cursor sits after a run-at of its own
  }
  bus::EnqueueRequest later = Req(R"({"n":"high later"})", 5);
  later.delay = seconds(10);
  const int64_t high_later = Enq(later);
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, q().NextBatch(ctx_, kQ, "w", 2, milliseconds(0)));
  EXPECT_THAT(Ids(first), ElementsAre(low[0], low[1]));
  const int64_t high_now = Enq(Req(R"({"n":"high now"})", 5));  // arrives mid-drain
  EXPECT_EQ(MustNext().id, high_now);
  EXPECT_EQ(MustNext().id, low[2]);
  clock_.Advance(seconds(10));  // the delayed high-priority job comes due, with no event to announce it
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> rest, q().NextBatch(ctx_, kQ, "w", 2, milliseconds(0)));
  EXPECT_THAT(Ids(rest), ElementsAre(high_later, low[3]));
  ExpectNone();
}

TEST_P(BusTest, AJobEnqueuedWithAnEarlierRunAtThanTheLastClaimedIsClaimedBeforeLaterOnes) {
  // Another instance's clock, or this one stepped back: the new job is due before the ones claimed.
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(seconds(1));
    ids.push_back(Enq(Req(R"({"n":"first"})")));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, q().NextBatch(ctx_, kQ, "w", 2, milliseconds(0)));
  EXPECT_THAT(Ids(first), ElementsAre(ids[0], ids[1]));
  clock_.Advance(-seconds(3));  // before every job above
  const int64_t early = Enq(Req(R"({"n":"early"})"));
  clock_.Advance(seconds(3));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> rest, q().NextBatch(ctx_, kQ, "w", 3, milliseconds(0)));
  EXPECT_THAT(Ids(rest), ElementsAre(early, ids[2], ids[3]));
}

TEST_P(BusTest, ReleasedRetriedAndRecoveredJobsReenterTheOrderWhereTheyBelong) {
  // a and b (priority 5) are claimed first; each comes back while the queue still holds c and d
  // (priority 0) and must run before them: a released at once, b retried after its backoff (1 s), then
  // both stalled and recovered. The clock is frozen: every job has the same run-at, so a released
  // job's place (a's id before b's) is behind the last job claimed.
  const int64_t a = Enq(Req(R"({"n":"a"})", 5));
  const int64_t b = Enq(Req(R"({"n":"b"})", 5));
  const int64_t c = Enq(Req(R"({"n":"c"})", 0));
  const int64_t d = Enq(Req(R"({"n":"d"})", 0));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, q().NextBatch(ctx_, kQ, "w", 2, milliseconds(0)));
  ASSERT_THAT(Ids(first), ElementsAre(a, b));
  ASSERT_OK(q().Release(ctx_, first[0]));
  bus::Job again = MustNext();
  EXPECT_EQ(again.id, a);
  ASSERT_OK(q().Fail(ctx_, first[1], "boom"));  // retried in 1 s
  EXPECT_EQ(MustNext().id, c);
  clock_.Advance(seconds(1));
  bus::Job retried = MustNext();
  EXPECT_EQ(retried.id, b);
  // Every lease lapses; recovery puts a, b and c back (run-at now): a and b ahead of d by priority, c
  // after d by run-at.
  clock_.Advance(seconds(61));
  ASSERT_OK_AND_ASSIGN(int64_t recovered, q().RecoverStalled(ctx_, kQ));
  EXPECT_EQ(recovered, 3);  // a, b and c
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> rest, q().NextBatch(ctx_, kQ, "w", 4, milliseconds(0)));
  EXPECT_THAT(Ids(rest), ElementsAre(a, b, d, c));
  ExpectNone();
}

TEST_P(BusTest, AfterAShortBatchWhatComesBackBehindItsLastJobIsClaimedFirst) {
  // A batch that takes fewer jobs than it asked for (the queue ran short) still ends where it ended:
  // a job released, or enqueued, behind its last job afterwards (frozen clock: the same run-at, a
  // lower id) is claimed before the jobs after it.
  const int64_t a = Enq(Req(R"({"n":"a"})"));
  const int64_t b = Enq(Req(R"({"n":"b"})"));
  const int64_t c = Enq(Req(R"({"n":"c"})"));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, q().NextBatch(ctx_, kQ, "w", 5, milliseconds(0)));
  ASSERT_THAT(Ids(first), ElementsAre(a, b, c));
  const int64_t d = Enq(Req(R"({"n":"d"})"));
  ASSERT_OK(q().Release(ctx_, first[1]));  // b: back at its place, before d
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> second, q().NextBatch(ctx_, kQ, "w", 5, milliseconds(0)));
  EXPECT_THAT(Ids(second), ElementsAre(b, d));
  // Then a single claim (e); a released behind it is claimed before f, enqueued after.
  const int64_t e = Enq(Req(R"({"n":"e"})"));
  EXPECT_EQ(MustNext().id, e);
  ASSERT_OK(q().Release(ctx_, first[0]));
  const int64_t f = Enq(Req(R"({"n":"f"})"));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> third, q().NextBatch(ctx_, kQ, "w", 5, milliseconds(0)));
  EXPECT_THAT(Ids(third), ElementsAre(a, f));
  ExpectNone();
}

TEST_P(BusTest, ABatchClaimMixingARetriedJobWithFreshOnesGivesEachItsStoredFields) {
  // A retried job between two first attempts in one claim: each claimed copy is the stored job (the
  // Redis claim sends a claimed-before job's attempt, run_at and history apart from the others').
  bus::EnqueueRequest r = Req(R"({"n":1})");
  r.max_attempts = 3;
  const int64_t retried = Enq(r);
  bus::Job first = MustNext("w-a");
  ASSERT_OK(q().Fail(ctx_, first, "boom"));  // due again 1 s later
  const int64_t before = Enq(Req(R"({"n":2})"));  // due now: ahead of the retried job
  clock_.Advance(seconds(1));
  const int64_t after = Enq(Req(R"({"n":3})"));  // due with it, a higher id: behind it
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> batch, q().NextBatch(ctx_, kQ, "batcher", 5, milliseconds(0)));
  EXPECT_THAT(Ids(batch), ElementsAre(before, retried, after));
  for (const bus::Job& job : batch) {
    ASSERT_OK_AND_ASSIGN(bus::Job stored, q().Get(ctx_, job.id));
    EXPECT_EQ(job.payload, stored.payload) << job.id;
    EXPECT_EQ(job.run_at, stored.run_at) << job.id;
    EXPECT_EQ(job.started_at, stored.started_at) << job.id;
    EXPECT_EQ(job.attempt, stored.attempt) << job.id;
    EXPECT_EQ(job.lease_token, stored.lease_token) << job.id;
    EXPECT_EQ(job.errors.size(), stored.errors.size()) << job.id;
  }
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].attempt, 1);
  EXPECT_EQ(batch[1].attempt, 2);
  EXPECT_EQ(batch[1].run_at, clock_.Now());
  ASSERT_EQ(batch[1].errors.size(), 1u);
  EXPECT_EQ(batch[1].errors[0].message, "boom");
  EXPECT_EQ(batch[2].attempt, 1);
  EXPECT_TRUE(batch[2].errors.empty());
}

TEST_P(BusTest, ABatchLargerThanWhatIsReadyTakesOnlyTheDueJobsAndNothingWhilePaused) {
  const int64_t a = Enq(Req());
  const int64_t b = Enq(Req());
  bus::EnqueueRequest later = Req();
  later.delay = seconds(30);
  const int64_t delayed = Enq(later);
  ASSERT_OK(q().Pause(ctx_, kQ));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> none, q().NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  EXPECT_TRUE(none.empty()) << "a paused queue gave jobs";
  ASSERT_OK(q().Resume(ctx_, kQ));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> got, q().NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  EXPECT_THAT(Ids(got), ElementsAre(a, b));
  clock_.Advance(seconds(30));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> due, q().NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  EXPECT_THAT(Ids(due), ElementsAre(delayed));
}

TEST_P(BusTest, BatchClaimServesGroupsRoundRobinWithinTheirConcurrencyLimit) {
  ASSERT_OK_AND_ASSIGN(auto grouped, Open(&clock_, "?feed.fanout.round_robin_groups=true"));
  auto enq = [&](bus::Queue& into, const std::string& group) {
    bus::EnqueueRequest r = Req();
    r.group_key = group;
    auto res = into.Enqueue(ctx_, r);
    EXPECT_OK(res.status());
  };
  for (int i = 0; i < 3; ++i) enq(*grouped, "busy");
  enq(*grouped, "quiet-1");
  enq(*grouped, "quiet-2");
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> batch, grouped->NextBatch(ctx_, kQ, "w", 5, milliseconds(0)));
  std::vector<std::string> order;
  for (const bus::Job& j : batch) order.push_back(j.group_key.str());
  EXPECT_THAT(order, ElementsAre("busy", "quiet-1", "quiet-2", "busy", "busy"));
  std::vector<bus::Queue::JobOutcome> done;
  for (const bus::Job& j : batch) done.push_back({.job = &j});
  ASSERT_OK(grouped->FinishMany(ctx_, done).status());

  ASSERT_OK_AND_ASSIGN(auto limited,
                       Open(&clock_, "?feed.fanout.round_robin_groups=true&feed.fanout.group_concurrency=1"));
  enq(*limited, "busy");
  enq(*limited, "busy");
  enq(*limited, "quiet-1");
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> capped, limited->NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  ASSERT_EQ(capped.size(), 2u) << "a second job of a group at its limit was claimed in the batch";
  EXPECT_NE(capped[0].group_key, capped[1].group_key);
}

TEST_P(BusTest, BatchClaimRespectsTheRateLimit) {
  ASSERT_OK_AND_ASSIGN(auto limited,
                       Open(&clock_, "?feed.fanout.rate_limit=3&feed.fanout.rate_window_ms=10000"));
  std::vector<bus::EnqueueRequest> batch(5, Req());
  ASSERT_OK(limited->EnqueueMany(ctx_, batch).status());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> got, limited->NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  EXPECT_EQ(got.size(), 3u);
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> none, limited->NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  EXPECT_TRUE(none.empty());
  clock_.Advance(seconds(10));  // the next window
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> more, limited->NextBatch(ctx_, kQ, "w", 10, milliseconds(0)));
  EXPECT_EQ(more.size(), 2u);
}

TEST_P(BusTest, FencingInsideABatchRefusesOnlyTheJobWhoseLeaseWasLost) {
  const int64_t a = Enq(Req());
  const int64_t b = Enq(Req());
  const int64_t c = Enq(Req());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> jobs, q().NextBatch(ctx_, kQ, "w", 3, milliseconds(0)));
  ASSERT_THAT(Ids(jobs), ElementsAre(a, b, c));
  // a and c keep their leases by heartbeat; b's lapses.
  clock_.Advance(seconds(50));
  ASSERT_OK(q().ExtendLease(ctx_, jobs[0], seconds(60)).status());
  ASSERT_OK(q().ExtendLease(ctx_, jobs[2], seconds(60)).status());
  clock_.Advance(seconds(20));
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> results,
                       q().FinishMany(ctx_, {{.job = &jobs[0], .text = R"({"r":"a"})"},
                                             {.job = &jobs[1], .text = R"({"r":"b"})"},
                                             {.job = &jobs[2], .failed = true, .text = "c broke"}}));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_OK(results[0]);
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease lost")));
  EXPECT_OK(results[2]);
  ASSERT_OK_AND_ASSIGN(bus::Job ja, q().Get(ctx_, a));
  EXPECT_EQ(ja.state, bus::JobState::kCompleted);
  EXPECT_THAT(ja.result, HasSubstr("a"));
  ASSERT_OK_AND_ASSIGN(bus::Job jc, q().Get(ctx_, c));
  EXPECT_EQ(jc.state, bus::JobState::kWaiting);  // retried after its backoff
  ASSERT_EQ(jc.errors.size(), 1u);
  EXPECT_EQ(jc.errors[0].message, "c broke");
  // b was not touched: recovery gives it another attempt.
  ASSERT_OK_AND_ASSIGN(bus::Job jb, q().Get(ctx_, b));
  EXPECT_EQ(jb.state, bus::JobState::kActive);
  EXPECT_TRUE(jb.result.empty());
  ASSERT_OK_AND_ASSIGN(int64_t recovered, q().RecoverStalled(ctx_, kQ));
  EXPECT_EQ(recovered, 1);
  bus::Job again = MustNext();
  EXPECT_EQ(again.id, b);
  EXPECT_EQ(again.attempt, 2);
}

// The Postgres batch claim, batch completion and fused finish + claim are planned with sequential
// scans off (kNoSeqScan, src/bus/sql_queue.cc), set with `set_config(…, true)` inside their own implicit
// transaction: the session's setting is "on" again for the next statement on that connection, and a
// completion inside a caller's transaction leaves the caller's setting alone. Each call's result is
// checked on every backend.
TEST_P(BusTest, BatchCallsLeaveTheSessionsPlannerSettingsAsTheyWere) {
  // Postgres: one connection, so the statement after a call runs where the call's statements ran.
  std::unique_ptr<store::Database> one;
  if (GetParam() == "postgres") {
    ASSERT_OK_AND_ASSIGN(one, store::Database::Open(testing::WithParams(tdb_->url(), "pool_max=1")));
  }
  store::Database& database = one != nullptr ? *one : db();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<bus::Queue> queue, Open(&clock_, "", &database));
  auto seq_scan_setting = [&](store::Connection* c) -> std::string {
    if (GetParam() != "postgres") return "on";  // a Postgres planner setting
    absl::StatusOr<store::ResultSet> rs =
        c != nullptr ? c->Execute("SELECT current_setting('enable_seqscan')")
                     : database.Execute(ctx_, "SELECT current_setting('enable_seqscan')");
    EXPECT_OK(rs.status());
    return rs.ok() && !rs->empty() ? rs->front().Text(0) : "";
  };
  ASSERT_OK(queue->EnqueueMany(ctx_, std::vector<bus::EnqueueRequest>(10, Req())).status());

  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, queue->NextBatch(ctx_, kQ, "w", 4, milliseconds(0)));
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(seq_scan_setting(nullptr), "on");
  std::vector<bus::Queue::JobOutcome> outcomes;
  for (const bus::Job& j : first) outcomes.push_back({.job = &j});
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> finished, queue->FinishMany(ctx_, outcomes));
  EXPECT_THAT(finished, ::testing::Each(::daira::testing::IsOk()));
  EXPECT_EQ(seq_scan_setting(nullptr), "on");

  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> second, queue->NextBatch(ctx_, kQ, "w", 3, milliseconds(0)));
  ASSERT_EQ(second.size(), 3u);
  outcomes.clear();
  for (const bus::Job& j : second) outcomes.push_back({.job = &j});
  ASSERT_OK_AND_ASSIGN(bus::Queue::FinishedAndClaimed fused,
                       queue->FinishManyAndNextBatch(ctx_, outcomes, kQ, "w", 3, milliseconds(0)));
  EXPECT_THAT(fused.finished, ::testing::Each(::daira::testing::IsOk()));
  ASSERT_OK(fused.claim_status);
  ASSERT_EQ(fused.claimed.size(), 3u);
  EXPECT_EQ(seq_scan_setting(nullptr), "on");

  // Inside the caller's transaction, whose own setting is "on" before and after the completion.
  outcomes.clear();
  for (const bus::Job& j : fused.claimed) outcomes.push_back({.job = &j});
  ASSERT_OK(database.RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
    EXPECT_EQ(seq_scan_setting(&c), "on");
    DAIRA_ASSIGN_OR_RETURN(std::vector<absl::Status> r, queue->FinishMany(ctx_, outcomes));
    for (const absl::Status& st : r) DAIRA_RETURN_IF_ERROR(st);
    EXPECT_EQ(seq_scan_setting(&c), "on");
    return absl::OkStatus();
  }));

  // The single-job statements (session 16: planned with seq scans off the same way): Next's claim, a
  // heartbeat, Progress, Complete, Fail (a retry); and a Complete inside the caller's transaction.
  ASSERT_OK(queue->EnqueueMany(ctx_, std::vector<bus::EnqueueRequest>(3, Req())).status());
  std::vector<bus::Job> singles;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(std::optional<bus::Job> job, queue->Next(ctx_, kQ, "w", milliseconds(0)));
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(seq_scan_setting(nullptr), "on");
    singles.push_back(std::move(*job));
  }
  ASSERT_OK(queue->ExtendLease(ctx_, singles[0], seconds(60)).status());
  EXPECT_EQ(seq_scan_setting(nullptr), "on");
  ASSERT_OK(queue->Progress(ctx_, singles[0], "50"));
  EXPECT_EQ(seq_scan_setting(nullptr), "on");
  ASSERT_OK(queue->Complete(ctx_, singles[0]));
  EXPECT_EQ(seq_scan_setting(nullptr), "on");
  ASSERT_OK(queue->Fail(ctx_, singles[1], "boom"));
  EXPECT_EQ(seq_scan_setting(nullptr), "on");
  ASSERT_OK(database.RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
    EXPECT_EQ(seq_scan_setting(&c), "on");
    DAIRA_RETURN_IF_ERROR(queue->Complete(ctx_, singles[2]));
    EXPECT_EQ(seq_scan_setting(&c), "on");
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, queue->Counts(ctx_, kQ));
  EXPECT_EQ(counts.completed, 12);
  EXPECT_EQ(counts.active, 0);
  EXPECT_EQ(counts.waiting + counts.delayed, 1);  // the failed job, in its retry backoff
}

TEST_P(BusTest, BatchedCompletionIsAllOrNothing) {
  for (int i = 0; i < 3; ++i) Enq(Req());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> jobs, q().NextBatch(ctx_, kQ, "w", 3, milliseconds(0)));
  ASSERT_EQ(jobs.size(), 3u);
  // One bad outcome refuses the whole batch, naming it; nothing changes.
  absl::StatusOr<std::vector<absl::Status>> bad =
      q().FinishMany(ctx_, {{.job = &jobs[0]}, {.job = &jobs[1], .text = "not json"}, {.job = &jobs[2]}});
  EXPECT_THAT(bad.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outcomes[1].result")));
  bus::Job unclaimed = jobs[2];
  unclaimed.lease_token = 0;
  EXPECT_THAT(q().FinishMany(ctx_, {{.job = &jobs[0]}, {.job = &unclaimed}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outcomes[1].job")));
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts before, q().Counts(ctx_, kQ));
  EXPECT_EQ(before.active, 3);
  EXPECT_EQ(before.completed, 0);
  std::vector<bus::Queue::JobOutcome> all;
  for (const bus::Job& j : jobs) all.push_back({.job = &j, .text = R"({"ok":true})"});
  const bool sql = q().Name() == "sqlite" || q().Name() == "postgres";
  if (sql) {
    // Inside the caller's transaction: the whole batch rolls back with it.
    absl::Status s = db().RunInTransaction(ctx_,
                                           [&](store::Connection&) -> absl::Status {
                                             DAIRA_ASSIGN_OR_RETURN(std::vector<absl::Status> r,
                                                                    q().FinishMany(ctx_, all));
                                             for (const absl::Status& one : r) DAIRA_RETURN_IF_ERROR(one);
                                             return absl::AbortedError("the caller gives up");
                                           },
                                           {.max_attempts = 1});
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted));
    ASSERT_OK_AND_ASSIGN(bus::QueueCounts rolled, q().Counts(ctx_, kQ));
    EXPECT_EQ(rolled.active, 3);
    EXPECT_EQ(rolled.completed, 0);
  } else {
    // memory: and redis:// finish outside SQL transactions (one lock / one Lua script): declared here.
    RecordProperty("finish_many_in_sql_transaction", "not applicable on " + std::string(q().Name()));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> results, q().FinishMany(ctx_, all));
  for (const absl::Status& r : results) EXPECT_OK(r);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts after, q().Counts(ctx_, kQ));
  EXPECT_EQ(after.active, 0);
  EXPECT_EQ(after.completed, 3);
}

TEST_P(BusTest, FinishAndClaimFinishesFencedPerJobThenClaimsTheNextInOrder) {
  const int64_t a = Enq(Req(R"({"n":1})", 0));
  const int64_t b = Enq(Req(R"({"n":2})", 0));
  const int64_t c = Enq(Req(R"({"n":3})", 0));
  const int64_t d = Enq(Req(R"({"n":4})", 0));
  const int64_t e = Enq(Req(R"({"n":5})", 7));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> first, q().NextBatch(ctx_, kQ, "fuser", 3, milliseconds(0)));
  ASSERT_THAT(Ids(first), ElementsAre(e, a, b));
  bus::Job stale = first[2];  // b with a token it never had: fenced off, left for recovery
  stale.lease_token += 1;
  // Bad arguments change nothing (checked before the finish).
  EXPECT_THAT(q().FinishManyAndNextBatch(ctx_, {{.job = &first[0]}}, kQ, "fuser", 0, milliseconds(0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_jobs")));
  EXPECT_THAT(q().FinishManyAndNextBatch(ctx_, {{.job = &first[0], .text = "not json"}}, kQ, "fuser", 2,
                                         milliseconds(0))
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outcomes[0].result")));
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts untouched, q().Counts(ctx_, kQ));
  EXPECT_EQ(untouched.active, 3);
  EXPECT_EQ(untouched.completed, 0);
  ASSERT_OK_AND_ASSIGN(bus::Queue::FinishedAndClaimed got,
                       q().FinishManyAndNextBatch(ctx_,
                                                  {{.job = &first[0], .text = R"({"r":"e"})"},
                                                   {.job = &first[1], .failed = true, .text = "a broke"},
                                                   {.job = &stale}},
                                                  kQ, "fuser", 5, milliseconds(0)));
  ASSERT_EQ(got.finished.size(), 3u);
  EXPECT_OK(got.finished[0]);
  EXPECT_OK(got.finished[1]);
  EXPECT_THAT(got.finished[2], StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease lost")));
  EXPECT_OK(got.claim_status);
  // The claim: what was due in claim order (a is in its retry backoff), each with its own lease.
  EXPECT_THAT(Ids(got.claimed), ElementsAre(c, d));
  for (const bus::Job& j : got.claimed) {
    EXPECT_EQ(j.queue, kQ);
    EXPECT_EQ(j.state, bus::JobState::kActive);
    EXPECT_EQ(j.attempt, 1);
    EXPECT_EQ(j.lease_owner, "fuser");
    EXPECT_NE(j.lease_token, 0);
    EXPECT_EQ(j.lease_expires_at, clock_.Now() + seconds(60));
    EXPECT_EQ(j.started_at, clock_.Now());
  }
  ASSERT_OK_AND_ASSIGN(bus::Job je, q().Get(ctx_, e));
  EXPECT_EQ(je.state, bus::JobState::kCompleted);
  EXPECT_THAT(je.result, HasSubstr("e"));
  ASSERT_OK_AND_ASSIGN(bus::Job ja, q().Get(ctx_, a));
  EXPECT_EQ(ja.state, bus::JobState::kWaiting);
  ASSERT_EQ(ja.errors.size(), 1u);
  EXPECT_EQ(ja.errors[0].message, "a broke");
  ASSERT_OK_AND_ASSIGN(bus::Job jb, q().Get(ctx_, b));
  EXPECT_EQ(jb.state, bus::JobState::kActive);  // the real lease still holds it
  // The claimed jobs are fenced as any: their completion applies once, with nothing left to claim.
  ASSERT_OK_AND_ASSIGN(bus::Queue::FinishedAndClaimed last,
                       q().FinishManyAndNextBatch(ctx_, {{.job = &got.claimed[0]}, {.job = &got.claimed[1]}},
                                                  kQ, "fuser", 5, milliseconds(0)));
  EXPECT_THAT(last.finished, ElementsAre(absl::OkStatus(), absl::OkStatus()));
  EXPECT_TRUE(last.claimed.empty());
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, q().Counts(ctx_, kQ));
  EXPECT_EQ(counts.completed, 3);
  EXPECT_EQ(counts.active, 1);   // b
  EXPECT_EQ(counts.delayed, 1);  // a, in its backoff
  // A claim never runs inside the caller's transaction: refused before anything is finished.
  if (q().Name() == "sqlite" || q().Name() == "postgres") {
    absl::Status s = db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
      return q().FinishManyAndNextBatch(ctx_, {{.job = &first[2]}}, kQ, "fuser", 5, milliseconds(0)).status();
    });
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("transaction")));
    ASSERT_OK_AND_ASSIGN(bus::Job jb2, q().Get(ctx_, b));
    EXPECT_EQ(jb2.state, bus::JobState::kActive);
  }
  EXPECT_EQ(q().traits().fused_finish_and_claim, q().Name() == "sqlite" || q().Name() == "postgres");
}

// A handler held at a gate: Pass() (on the pool's thread) says it got there and waits until Open();
// AwaitPassing() waits until a handler got there.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool reached = false, open = false;
  void Pass() {
    std::unique_lock<std::mutex> lock(mu);
    reached = true;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void AwaitPassing() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return reached; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST_P(BusTest, WorkerPoolReleasesPrefetchedJobsAtShutdown) {
  // Four jobs wait before the pool starts: its one thread prefetches all four in one batch.
  std::vector<bus::EnqueueRequest> batch(4, Req());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::EnqueueResult> ids, q().EnqueueMany(ctx_, batch));
  bus::WorkerPool pool(q(), {.worker_id_prefix = "prefetch", .wait = seconds(30), .prefetch = 8});
  Gate gate;
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext&, const bus::Job&) -> absl::StatusOr<std::string> {
        gate.Pass();
        return std::string();
      },
      1));
  ASSERT_OK(pool.Start());
  gate.AwaitPassing();
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts during, q().Counts(ctx_, kQ));
  EXPECT_EQ(during.active, 4) << "the thread did not prefetch the batch";
  std::thread stopper([&] { pool.Shutdown(milliseconds(0)); });
  while (pool.released() < 1) std::this_thread::yield();  // the running one, at the deadline
  gate.Open();
  stopper.join();
  EXPECT_EQ(pool.released(), 4);
  EXPECT_EQ(pool.processed(), 0);
  for (const bus::EnqueueResult& r : ids) {
    ASSERT_OK_AND_ASSIGN(bus::Job j, q().Get(ctx_, r.id));
    EXPECT_EQ(j.state, bus::JobState::kWaiting) << r.id;
    EXPECT_EQ(j.attempt, 0) << r.id;
  }
}

// The pool's threads reuse a handler context while consecutive jobs carry one correlation id: each
// handler still sees its own job's id, however the ids alternate within a prefetched batch.
TEST_P(BusTest, WorkerPoolGivesEachHandlerItsJobsCorrelationId) {
  bus::WorkerPool pool(q(), {.worker_id_prefix = "corr", .wait = seconds(30), .prefetch = 16});
  std::mutex mu;
  std::map<std::string, std::string> seen;  // job name -> the handler context's correlation id
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext& ctx, const bus::Job& job) -> absl::StatusOr<std::string> {
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_EQ(ctx.correlation_id(), job.correlation_id) << job.name;
        EXPECT_EQ(ctx.caller(), "worker:" + std::string(kQ));
        seen[job.name.str()] = ctx.correlation_id();
        return std::string();
      },
      1));
  std::vector<bus::EnqueueRequest> batch;
  const std::vector<std::string> ids = {"corr-a", "corr-a", "corr-b", "corr-a", "", "", "corr-c", "corr-b"};
  for (size_t i = 0; i < ids.size(); ++i) {
    bus::EnqueueRequest r = Req();
    r.name = "job-" + std::to_string(i);
    r.correlation_id = ids[i];  // "": the enqueuing context's
    batch.push_back(r);
  }
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  ASSERT_OK(pool.Start());
  while (pool.processed() < static_cast<int64_t>(ids.size())) std::this_thread::yield();
  pool.Shutdown(seconds(5));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(seen["job-" + std::to_string(i)], ids[i].empty() ? ctx_.correlation_id() : ids[i]) << i;
  }
}

TEST_P(BusTest, WorkerPoolWithPrefetchAndBatchedAcksRunsEveryJobOnce) {
  bus::WorkerPool pool(q(), {.worker_id_prefix = "batched",
                             .wait = seconds(30),
                             .prefetch = 8,
                             .ack_flush = milliseconds(2),
                             .ack_batch = 16});
  std::mutex mu;
  std::multiset<std::string> seen;
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext&, const bus::Job& job) -> absl::StatusOr<std::string> {
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(job.payload.str());
        if (job.payload.find("fail") != std::string::npos) return absl::InternalError("handler failed");
        return std::string(R"({"done":true})");
      },
      2));
  ASSERT_OK(pool.Start());
  std::vector<bus::EnqueueRequest> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(Req("{\"n\":" + std::to_string(i) + "}"));
  batch.push_back(Req(R"({"fail":1})"));
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  while (pool.processed() < 100 || pool.failed() < 1) std::this_thread::yield();
  pool.Shutdown(seconds(5));
  EXPECT_EQ(pool.processed(), 100);
  EXPECT_EQ(pool.failed(), 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(seen.size(), 101u);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 101u) << "a job ran twice";
  }
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.completed, 100);
  EXPECT_EQ(c.active, 0);
  EXPECT_EQ(c.delayed, 1);  // the failed one, in its backoff (manual clock)
  bus::WorkerPool bad(q(), {.prefetch = 0});
  EXPECT_THAT(bad.Start(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prefetch")));
}

// A finished job's ack does not wait for the thread's next handler (session 17: the acker takes it from the
// thread's buffer): one thread prefetched both jobs, and the first is stored while the second still runs.
TEST_P(BusTest, WorkerPoolStoresAFinishedJobsAckWhileItsNextHandlerRuns) {
  ASSERT_OK_AND_ASSIGN(std::vector<bus::EnqueueResult> ids,
                       q().EnqueueMany(ctx_, {Req(R"({"n":1})"), Req(R"({"block":1})")}));
  bus::WorkerPool pool(q(), {.worker_id_prefix = "ackwait", .wait = seconds(30), .prefetch = 4});
  Gate gate;
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext&, const bus::Job& job) -> absl::StatusOr<std::string> {
        if (job.payload.find("block") == std::string::npos) return std::string(R"({"first":true})");
        gate.Pass();
        return std::string();
      },
      1));
  ASSERT_OK(pool.Start());
  gate.AwaitPassing();
  const auto give_up = std::chrono::steady_clock::now() + seconds(60);
  while (pool.processed() < 1 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  EXPECT_EQ(pool.processed(), 1) << "the first job's ack waited for the second's handler";
  ASSERT_OK_AND_ASSIGN(bus::Job first, q().Get(ctx_, ids[0].id));
  EXPECT_EQ(first.state, bus::JobState::kCompleted);
  EXPECT_THAT(first.result.str(), HasSubstr("first"));  // (Postgres normalizes the JSON's spacing)
  gate.Open();
  while (pool.processed() < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  pool.Shutdown(seconds(5));
  EXPECT_EQ(pool.processed(), 2);
}

// The pool leases at most prefetch x concurrency jobs at a time and spreads them over its threads: on
// memory and SQLite one claim shared by the threads (each runs its chunk), elsewhere one claim per
// thread — either way both threads run at once here, and 8 of the 20 jobs are active, not more.
TEST_P(BusTest, WorkerPoolLeasesAtMostPrefetchTimesConcurrencyAndSpreadsItOverItsThreads) {
  std::vector<bus::EnqueueRequest> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(Req("{\"n\":" + std::to_string(i) + "}"));
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  bus::WorkerPool pool(q(), {.worker_id_prefix = "spread", .wait = seconds(30), .prefetch = 4});
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  bool unblock = false;
  std::multiset<std::string> seen;
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext&, const bus::Job& job) -> absl::StatusOr<std::string> {
        std::unique_lock<std::mutex> lock(mu);
        seen.insert(job.payload.str());
        ++running;
        cv.notify_all();
        cv.wait(lock, [&] { return unblock; });
        --running;
        return std::string();
      },
      2));
  ASSERT_OK(pool.Start());
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return running == 2; });  // both threads have a job: the claim was spread
  }
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts during, q().Counts(ctx_, kQ));
  EXPECT_EQ(during.active, 8) << "prefetch 4 x 2 threads";
  {
    std::lock_guard<std::mutex> lock(mu);
    unblock = true;
    cv.notify_all();
  }
  while (pool.processed() < 20) std::this_thread::yield();
  pool.Shutdown(seconds(5));
  EXPECT_EQ(pool.processed(), 20);
  EXPECT_EQ(pool.released(), 0);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 20u) << "a job ran twice";
}

// Session 18: a pool whose handlers took microseconds runs a claim on fewer threads (docs/bus.md,
// Workers: shared claims) — but another thread is still claiming while one runs: after 200 quick jobs,
// a handler that does not return until a job enqueued after it started has run does not stop the queue.
TEST_P(BusTest, WorkerPoolRunsANewJobWhileAQuickQueuesHandlerTurnsSlow) {
  bus::WorkerPool pool(q(), {.worker_id_prefix = "turn", .wait = seconds(30), .prefetch = 4});
  std::mutex mu;
  std::condition_variable cv;
  bool slow_started = false, after_ran = false;
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext&, const bus::Job& job) -> absl::StatusOr<std::string> {
        std::unique_lock<std::mutex> lock(mu);
        if (job.payload.find("slow") != std::string::npos) {
          slow_started = true;
          cv.notify_all();
          cv.wait_for(lock, seconds(60), [&] { return after_ran; });
        } else if (job.payload.find("after") != std::string::npos) {
          after_ran = true;
          cv.notify_all();
        }
        return std::string();
      },
      2));
  ASSERT_OK(pool.Start());
  std::vector<bus::EnqueueRequest> quick(200, Req(R"({"quick":1})"));
  ASSERT_OK(q().EnqueueMany(ctx_, quick).status());
  const auto give_up = std::chrono::steady_clock::now() + seconds(60);
  while (pool.processed() < 200 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  ASSERT_EQ(pool.processed(), 200);
  ASSERT_OK(q().Enqueue(ctx_, Req(R"({"slow":1})")).status());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(60), [&] { return slow_started; }));
  }
  ASSERT_OK(q().Enqueue(ctx_, Req(R"({"after":1})")).status());
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, seconds(60), [&] { return after_ran; }))
        << "the job enqueued after the slow one waited for its handler";
  }
  while (pool.processed() < 202 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  pool.Shutdown(seconds(5));
  EXPECT_EQ(pool.processed(), 202);
  EXPECT_EQ(pool.released(), 0);
}

// ---- Worker processes (fork+exec tests/conformance/bus_worker.cc) ----

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> all = {DAIRA_BUS_WORKER};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

int Wait(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Durable backends shared by processes (QueueTraits::cross_process: sqlite, postgres, redis) claim these;
// memory: is in-process only by design, so the suite is instantiated for the others alone.
class BusCrossProcessTest : public BusTest {};

TEST_P(BusCrossProcessTest, AWorkerProcessKilledMidJobIsRedoneAndItsLateCompletionRefused) {
  ASSERT_TRUE(q().traits().cross_process);
  const int64_t id = Enq(Req(R"({"k":"kill"})"));
  Child child = Spawn({"hang", tdb_->url(), BusUrl(), kQ});
  ASSERT_GT(child.pid, 0);
  const std::string line = ReadLine(child.out);
  close(child.out);
  long long claimed = 0, token = 0;
  ASSERT_EQ(std::sscanf(line.c_str(), "claimed %lld %lld", &claimed, &token), 2) << line;
  EXPECT_EQ(claimed, id);
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  EXPECT_EQ(Wait(child.pid), 128 + SIGKILL);
  // The child leased with the system clock; this instance's clock is past its lease.
  ManualClock later(Clock::System()->Now() + std::chrono::hours(24));
  ASSERT_OK_AND_ASSIGN(auto q2, Open(&later));
  auto redo = q2->Next(ctx_, kQ, "survivor", milliseconds(0));
  ASSERT_OK(redo.status());
  ASSERT_TRUE(redo->has_value());
  EXPECT_EQ((*redo)->id, id);
  EXPECT_EQ((*redo)->attempt, 2);
  ASSERT_EQ((*redo)->errors.size(), 1u);
  EXPECT_THAT((*redo)->errors[0].worker, HasSubstr("child:"));
  // The killed worker's completion, had it arrived late, is refused.
  bus::Job ghost = **redo;
  ghost.lease_token = token;
  EXPECT_THAT(q2->Complete(ctx_, ghost), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(q2->Complete(ctx_, **redo));
  ASSERT_OK_AND_ASSIGN(bus::Job done, q2->Get(ctx_, id));
  EXPECT_EQ(done.state, bus::JobState::kCompleted);
}

TEST_P(BusCrossProcessTest, TwoWorkerProcessesNeverRunOneJob) {
  ASSERT_TRUE(q().traits().cross_process);
  std::vector<bus::EnqueueRequest> batch(400, Req());
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  const std::string dir = ::testing::TempDir();
  const std::string out1 = dir + "/bus_drain_1_" + std::to_string(getpid());
  const std::string out2 = dir + "/bus_drain_2_" + std::to_string(getpid());
  // The children use the system clock: this queue's jobs are due (run_at is in 2023 by the manual clock).
  Child a = Spawn({"drain", tdb_->url(), BusUrl(), kQ, out1});
  Child b = Spawn({"drain", tdb_->url(), BusUrl(), kQ, out2});
  close(a.out);
  close(b.out);
  EXPECT_EQ(Wait(a.pid), 0);
  EXPECT_EQ(Wait(b.pid), 0);
  std::vector<int64_t> ids;
  size_t from_a = 0;
  for (const std::string& path : {out1, out2}) {
    std::ifstream in(path);
    int64_t id;
    while (in >> id) ids.push_back(id);
    if (path == out1) from_a = ids.size();
    std::remove(path.c_str());
  }
  std::set<int64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(ids.size(), 400u);
  EXPECT_EQ(unique.size(), 400u) << "a job ran in both processes";
  RecordProperty("jobs_by_first_process", static_cast<int>(from_a));
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.completed, 400);
}

TEST_P(BusCrossProcessTest, AWorkerProcessKilledWithAPrefetchedBatchHasThoseJobsRunAgain) {
  ASSERT_TRUE(q().traits().cross_process);
  std::vector<bus::EnqueueRequest> batch(5, Req(R"({"k":"batch"})"));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::EnqueueResult> enqueued, q().EnqueueMany(ctx_, batch));
  Child child = Spawn({"hang-batch", tdb_->url(), BusUrl(), kQ, "5"});
  ASSERT_GT(child.pid, 0);
  const std::string line = ReadLine(child.out);
  close(child.out);
  ASSERT_EQ(line.rfind("claimed", 0), 0u) << line;
  std::istringstream in(line.substr(7));
  std::set<int64_t> claimed;
  int64_t id;
  while (in >> id) claimed.insert(id);
  EXPECT_EQ(claimed.size(), 5u) << line;
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  EXPECT_EQ(Wait(child.pid), 128 + SIGKILL);
  // The child leased with the system clock; this instance's clock is past its leases.
  ManualClock later(Clock::System()->Now() + std::chrono::hours(24));
  ASSERT_OK_AND_ASSIGN(auto q2, Open(&later));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> redo, q2->NextBatch(ctx_, kQ, "survivor", 10, milliseconds(0)));
  std::set<int64_t> again;
  for (const bus::Job& j : redo) {
    again.insert(j.id);
    EXPECT_EQ(j.attempt, 2);
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_EQ(j.errors[0].message, "lease expired");
  }
  EXPECT_EQ(again, claimed) << "a prefetched job of the killed worker was lost";
  std::vector<bus::Queue::JobOutcome> done;
  for (const bus::Job& j : redo) done.push_back({.job = &j});
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> results, q2->FinishMany(ctx_, done));
  for (const absl::Status& r : results) EXPECT_OK(r);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q2->Counts(ctx_, kQ));
  EXPECT_EQ(c.completed, 5);
}

// ---- redis:// on a private server it may kill and restart (the shared test Redis is never disturbed) ----

class BusRedisRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PrivateRedisAvailable()) {
      if (testing::InCi()) FAIL() << "redis-server is not installed (CI=true)";
      GTEST_SKIP() << "redis-server is not installed: the redis:// restart cases are NOT covered";
    }
    // appendonly (fsync always): what was acknowledged before the restart is still there after it.
    ASSERT_OK_AND_ASSIGN(redis_, testing::PrivateRedis::Start({.password = "", .appendonly = true}));
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create("sqlite"));
    url_ = redis_->url() + "?prefix=bus-restart:&reconnect_backoff_max_ms=200";
  }
  absl::StatusOr<std::unique_ptr<bus::Queue>> Open(const Clock* clock, const std::string& params = "") {
    bus::BusOptions options;
    options.clock = clock;
    return bus::OpenQueue(url_ + params, nullptr, "", options);
  }
  std::unique_ptr<testing::PrivateRedis> redis_;
  std::unique_ptr<TestDatabase> tdb_;
  std::string url_;
  RequestContext ctx_;
};

TEST_F(BusRedisRestartTest, AKilledWorkerIsRedoneAfterARedisRestartAndItsLateCompletionRefused) {
  ASSERT_OK_AND_ASSIGN(auto q, Open(Clock::System()));
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult job, q->Enqueue(ctx_, Req(R"({"k":"kill"})")));
  // A worker process claims the job and is SIGKILLed mid-job.
  Child child = Spawn({"hang", tdb_->url(), url_, kQ});
  ASSERT_GT(child.pid, 0);
  const std::string line = ReadLine(child.out);
  close(child.out);
  long long claimed = 0, token = 0;
  ASSERT_EQ(std::sscanf(line.c_str(), "claimed %lld %lld", &claimed, &token), 2) << line;
  EXPECT_EQ(claimed, job.id);
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  EXPECT_EQ(Wait(child.pid), 128 + SIGKILL);
  // Redis goes down and comes back (same port, its append-only file): the active job is still leased.
  ASSERT_OK(redis_->Restart());
  // A surviving worker past the lease recovers it: attempt 2, the killed worker named in the history.
  ManualClock later(Clock::System()->Now() + std::chrono::hours(24));
  ASSERT_OK_AND_ASSIGN(auto q2, Open(&later));
  auto redo = q2->Next(ctx_, kQ, "survivor", milliseconds(0));
  ASSERT_OK(redo.status());
  ASSERT_TRUE(redo->has_value());
  EXPECT_EQ((*redo)->id, job.id);
  EXPECT_EQ((*redo)->attempt, 2);
  ASSERT_EQ((*redo)->errors.size(), 1u);
  EXPECT_THAT((*redo)->errors[0].worker, HasSubstr("child:"));
  bus::Job ghost = **redo;
  ghost.lease_token = token;
  EXPECT_THAT(q2->Complete(ctx_, ghost),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease lost")));
  ASSERT_OK(q2->Complete(ctx_, **redo));
  ASSERT_OK_AND_ASSIGN(bus::Job done, q2->Get(ctx_, job.id));
  EXPECT_EQ(done.state, bus::JobState::kCompleted);
}

TEST_F(BusRedisRestartTest, BlockedWorkersReconnectAndResumeAfterARedisRestart) {
  ASSERT_OK_AND_ASSIGN(auto q, Open(Clock::System()));
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult before, q->Enqueue(ctx_, Req(R"({"n":"before"})")));
  ASSERT_OK(redis_->Kill());
  // While Redis is down, Next fails fast with Unavailable (the pool's reconnect backoff), never hangs.
  EXPECT_THAT(q->Next(ctx_, kQ, "w", milliseconds(0)).status(), StatusIs(absl::StatusCode::kUnavailable));
  // Two workers keep asking (bounded) while the server is restarted under them.
  std::mutex mu;
  std::vector<int64_t> got;
  std::vector<std::thread> workers;
  const auto give_up = std::chrono::steady_clock::now() + seconds(60);
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      RequestContext ctx;
      while (std::chrono::steady_clock::now() < give_up) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (got.size() >= 2) return;
        }
        auto job = q->Next(ctx, kQ, "w" + std::to_string(w), milliseconds(500));
        if (!job.ok()) {
          // Unavailable while the pool's backoff runs: ask again (Next itself waited on nothing).
          EXPECT_THAT(job.status(), StatusIs(absl::StatusCode::kUnavailable));
          std::this_thread::yield();
          continue;
        }
        if (!job->has_value()) continue;
        ASSERT_OK(q->Complete(ctx, **job));
        std::lock_guard<std::mutex> lock(mu);
        got.push_back((*job)->id);
      }
    });
  }
  ASSERT_OK(redis_->Restart());
  // The producer's pool comes back by itself too.
  absl::StatusOr<bus::EnqueueResult> after;
  do {
    after = q->Enqueue(ctx_, Req(R"({"n":"after"})"));
  } while (!after.ok() && std::chrono::steady_clock::now() < give_up);
  ASSERT_OK(after.status());
  for (auto& t : workers) t.join();
  std::sort(got.begin(), got.end());
  EXPECT_THAT(got, ElementsAre(before.id, after->id));
}

TEST_F(BusRedisRestartTest, TheBreakerOpensRejectsWithoutRedisProbesAfterTheCoolDownAndClosesLosingNothing) {
  ManualClock clock(Clock::System()->Now());
  ASSERT_OK_AND_ASSIGN(auto q, Open(&clock, "&breaker_failures=2&breaker_cool_down_ms=5000"));
  ASSERT_NE(q->breaker(), nullptr);
  EXPECT_EQ(q->breaker()->state(), resilience::BreakerState::kClosed);
  // Acknowledged before the outage (appendonly: it survives the restart).
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult acked, q->Enqueue(ctx_, Req(R"({"n":"acked"})")));
  ASSERT_OK(redis_->Kill());
  // Two failed calls in a row open it.
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(q->Next(ctx_, kQ, "w", milliseconds(0)).status(), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(q->breaker()->state(), resilience::BreakerState::kOpen);
  const resilience::BreakerCounts opened = q->breaker()->counts();
  EXPECT_EQ(opened.opened, 1);
  EXPECT_EQ(opened.failures, 2);
  // Open: every call is Unavailable at once, naming the breaker, and never reaches Redis — not even once
  // the server is back (no failure recorded, only rejections), until the cool-down has passed.
  ASSERT_OK(redis_->Restart());
  EXPECT_THAT(q->Next(ctx_, kQ, "w", milliseconds(0)).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit breaker redis bus is open")));
  EXPECT_THAT(q->Enqueue(ctx_, Req(R"({"n":"refused"})")).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit breaker redis bus is open")));
  EXPECT_THAT(q->Counts(ctx_, kQ).status(), StatusIs(absl::StatusCode::kUnavailable));
  clock.Advance(milliseconds(4999));
  EXPECT_THAT(q->Get(ctx_, acked.id).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit breaker")));
  const resilience::BreakerCounts rejecting = q->breaker()->counts();
  EXPECT_EQ(rejecting.rejected, 4);
  EXPECT_EQ(rejecting.failures, 2);
  EXPECT_EQ(rejecting.successes, opened.successes);
  // After the cool-down one call probes; Redis answers, the breaker closes. (The pool may still be in its
  // reconnect backoff, 200 ms at most here: then the probe fails and the next cool-down probes again.)
  std::optional<bus::Job> job;
  const auto give_up = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    clock.Advance(milliseconds(5000));
    auto next = q->Next(ctx_, kQ, "w", milliseconds(0));
    if (next.ok()) {
      job = *next;
      break;
    }
    EXPECT_THAT(next.status(), StatusIs(absl::StatusCode::kUnavailable));
    std::this_thread::yield();
  }
  EXPECT_EQ(q->breaker()->state(), resilience::BreakerState::kClosed);
  // Nothing acknowledged was lost: the job enqueued before the outage runs; the refused one never existed.
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id, acked.id);
  ASSERT_OK(q->Complete(ctx_, *job));
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, q->Counts(ctx_, kQ));
  EXPECT_EQ(counts.completed, 1);
  EXPECT_EQ(counts.waiting + counts.delayed + counts.active, 0);
  // Bad breaker parameters are refused naming the field.
  EXPECT_THAT(Open(&clock, "&breaker_failure_rate=2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("breaker_failure_rate")));
}

TEST_F(BusRedisRestartTest, AServerThatMayEvictKeysIsRefusedUnlessAllowed) {
  {
    ASSERT_OK_AND_ASSIGN(auto url, backends::redis::RedisUrl::Parse(redis_->url()));
    ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(url));
    ASSERT_OK(conn->Command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}).status());
  }
  EXPECT_THAT(Open(Clock::System()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("maxmemory-policy")));
  EXPECT_OK(Open(Clock::System(), "&allow_eviction=1").status());
  EXPECT_THAT(Open(Clock::System(), "&allow_eviction=yes").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allow_eviction")));
}

// Job layout 3 keeps its keys under "<prefix>{bus3}:"; queue keys left under layout 1's "<prefix>{bus}:"
// or layout 2's "<prefix>{bus2}:" (waiting, active or dead jobs, repeatables) refuse the open, naming
// them, until they are gone
// (docs/bus.md "Layout change").
TEST_F(BusRedisRestartTest, JobsOfTheOldLayoutRefuseTheOpenUntilTheyAreGone) {
  ASSERT_OK_AND_ASSIGN(auto url, backends::redis::RedisUrl::Parse(redis_->url()));
  ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(url));
  const std::string old_ready = "bus-restart:{bus}:q:" + std::string(kQ) + ":ready";
  const std::string old_dead = "bus-restart:{bus}:q:" + std::string(kQ) + ":DEAD";
  ASSERT_OK(conn->Command({"ZADD", old_ready, "0", "00000000000000001:00000000000000000001"}).status());
  ASSERT_OK(conn->Command({"ZADD", old_dead, "5", "2"}).status());
  ASSERT_OK(conn->Command({"SET", "bus-restart:{bus}:id", "41"}).status());
  EXPECT_THAT(
      Open(Clock::System()).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("bus-restart:{bus}:"), HasSubstr("layout 1"), HasSubstr("2 queue keys"))));
  ASSERT_OK(conn->Command({"DEL", old_ready}).status());
  EXPECT_THAT(Open(Clock::System()).status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(conn->Command({"DEL", old_dead}).status());
  // Layout 2's keys ("<prefix>{bus2}:") refuse it alike, and its id counter (ahead of layout 1's) is the
  // one layout 3 goes on from.
  const std::string l2_active = "bus-restart:{bus2}:q:" + std::string(kQ) + ":active";
  ASSERT_OK(conn->Command({"ZADD", l2_active, "5", "7"}).status());
  ASSERT_OK(conn->Command({"SET", "bus-restart:{bus2}:id", "57"}).status());
  EXPECT_THAT(
      Open(Clock::System()).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("bus-restart:{bus2}:"), HasSubstr("layout 2"), HasSubstr("1 queue keys"))));
  ASSERT_OK(conn->Command({"DEL", l2_active}).status());
  // Gone: the bus opens, its own keys are under {bus3}, and its ids go on from the older counters.
  ASSERT_OK_AND_ASSIGN(auto q, Open(Clock::System()));
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult job, q->Enqueue(ctx_, Req(R"({"k":"v2"})")));
  EXPECT_EQ(job.id, 58);  // ids keep increasing across the changes
  ASSERT_OK_AND_ASSIGN(auto exists,
                       conn->Command({"HEXISTS", "bus-restart:{bus3}:d", std::to_string(job.id)}));
  EXPECT_EQ(exists.integer, 1);
}

// ---- Repeatable jobs (docs/bus.md "Repeatable jobs") ----

Clock::TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  const std::chrono::sys_days day{std::chrono::year(y) / std::chrono::month(mo) / std::chrono::day(d)};
  return Clock::TimePoint(day) + std::chrono::hours(h) + std::chrono::minutes(mi);
}

bus::RepeatableRequest Every(std::string key, std::chrono::milliseconds every) {
  bus::RepeatableRequest r;
  r.queue = kQ;
  r.key = std::move(key);
  r.name = "tick";
  r.payload = R"({"repeat":true})";
  r.every = every;
  return r;
}

bus::RepeatableRequest Cron(std::string key, std::string expr) {
  bus::RepeatableRequest r;
  r.queue = kQ;
  r.key = std::move(key);
  r.name = "cron";
  r.cron = std::move(expr);
  return r;
}

TEST_P(BusTest, RepeatableEveryNEnqueuesEachOccurrenceOnce) {
  const Clock::TimePoint t0 = clock_.Now();  // 1700000000 s: a multiple of 10 s
  ASSERT_OK_AND_ASSIGN(bus::Repeatable added, q().AddRepeatable(ctx_, Every("tick", seconds(10))));
  EXPECT_EQ(added.next_run_at, t0 + seconds(10));
  EXPECT_EQ(added.last_run_at, Clock::TimePoint{});
  ExpectNone();  // not due yet
  clock_.Advance(seconds(10));
  // Next runs the scheduler itself: the occurrence is enqueued and claimed in one call.
  bus::Job first = MustNext();
  EXPECT_EQ(first.name, "tick");
  EXPECT_THAT(first.payload, HasSubstr("repeat"));
  EXPECT_EQ(first.idempotency_key, bus::RepeatJobKey("tick", t0 + seconds(10)));
  ASSERT_OK(q().Complete(ctx_, first));
  // The same occurrence is never enqueued twice, however often the scheduler ticks.
  ASSERT_OK_AND_ASSIGN(int64_t again, q().RunRepeatables(ctx_, kQ));
  EXPECT_EQ(again, 0);
  ExpectNone();
  clock_.Advance(seconds(10));
  ASSERT_OK_AND_ASSIGN(int64_t second, q().RunRepeatables(ctx_, kQ));
  EXPECT_EQ(second, 1);
  EXPECT_EQ(MustNext().idempotency_key, bus::RepeatJobKey("tick", t0 + seconds(20)));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Repeatable> listed, q().ListRepeatables(ctx_, kQ));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "tick");
  EXPECT_EQ(listed[0].every, seconds(10));
  EXPECT_EQ(listed[0].next_run_at, t0 + seconds(30));
  EXPECT_EQ(listed[0].last_run_at, t0 + seconds(20));
  // Re-adding the same definition (every start-up does) keeps the pending occurrence; a new schedule
  // replaces it.
  clock_.Advance(seconds(15));  // t0 + 35: the t0 + 30 occurrence is pending
  ASSERT_OK_AND_ASSIGN(bus::Repeatable same, q().AddRepeatable(ctx_, Every("tick", seconds(10))));
  EXPECT_EQ(same.next_run_at, t0 + seconds(30));
  ASSERT_OK_AND_ASSIGN(int64_t pending, q().RunRepeatables(ctx_, kQ));
  EXPECT_EQ(pending, 1);
  ASSERT_OK_AND_ASSIGN(bus::Repeatable changed, q().AddRepeatable(ctx_, Every("tick", seconds(60))));
  EXPECT_EQ(changed.every, seconds(60));
  EXPECT_EQ(changed.next_run_at, t0 + seconds(40));  // aligned to multiples of 60 s (t0 is hh:13:20)
  ASSERT_OK_AND_ASSIGN(listed, q().ListRepeatables(ctx_));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].queue, kQ);
}

TEST_P(BusTest, RepeatableCronCrossesADayAndAMonthBoundary) {
  clock_.Set(Utc(2026, 1, 31, 23, 50));
  ASSERT_OK_AND_ASSIGN(bus::Repeatable monthly, q().AddRepeatable(ctx_, Cron("monthly", "0 0 1 * *")));
  EXPECT_EQ(monthly.cron, "0 0 1 * *");
  EXPECT_EQ(monthly.every, milliseconds(0));
  EXPECT_EQ(monthly.next_run_at, Utc(2026, 2, 1));
  ASSERT_OK_AND_ASSIGN(bus::Repeatable late, q().AddRepeatable(ctx_, Cron("late", "55 23 * * *")));
  EXPECT_EQ(late.next_run_at, Utc(2026, 1, 31, 23, 55));
  clock_.Advance(std::chrono::minutes(5));  // 23:55
  bus::Job j1 = MustNext();
  EXPECT_EQ(j1.idempotency_key, bus::RepeatJobKey("late", Utc(2026, 1, 31, 23, 55)));
  ASSERT_OK(q().Complete(ctx_, j1));  // (a job left running would come back once its 60 s lease lapsed)
  ExpectNone();
  clock_.Advance(std::chrono::minutes(4));  // 23:59
  ExpectNone();
  clock_.Advance(std::chrono::minutes(1));  // 00:00 on Feb 1: across the day and the month
  bus::Job j2 = MustNext();
  EXPECT_EQ(j2.idempotency_key, bus::RepeatJobKey("monthly", Utc(2026, 2, 1)));
  ExpectNone();
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Repeatable> listed, q().ListRepeatables(ctx_, kQ));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "late");
  EXPECT_EQ(listed[0].next_run_at, Utc(2026, 2, 1, 23, 55));
  EXPECT_EQ(listed[1].key, "monthly");
  EXPECT_EQ(listed[1].next_run_at, Utc(2026, 3, 1));
  EXPECT_EQ(listed[1].last_run_at, Utc(2026, 2, 1));
}

TEST_P(BusTest, TwoSchedulersEnqueueOneJobPerOccurrence) {
  // Two Queue objects on one store (memory: one process, so the same object twice), four threads
  // ticking at every occurrence.
  std::unique_ptr<bus::Queue> other;
  if (q().traits().cross_process) {
    ASSERT_OK_AND_ASSIGN(other, Open(&clock_));
  }
  bus::Queue* schedulers[2] = {&q(), other ? other.get() : &q()};
  ASSERT_OK(schedulers[0]->AddRepeatable(ctx_, Every("tick", seconds(10))).status());
  ASSERT_OK(schedulers[1]->AddRepeatable(ctx_, Cron("minutely", "* * * * *")).status());
  constexpr int kOccurrences = 6;
  for (int i = 0; i < kOccurrences; ++i) {
    clock_.Advance(seconds(10));
    std::atomic<int64_t> fired{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        RequestContext ctx;
        auto n = schedulers[t % 2]->RunRepeatables(ctx, kQ);
        if (n.ok()) {
          fired.fetch_add(*n);
        } else {
          errors.fetch_add(1);
          ADD_FAILURE() << n.status();
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    // Every 10 s fires each round; the minutely cron once every six rounds (at the full minute).
    const bool full_minute = (i + 1) % 6 == 4;  // 1700000000 s is hh:13:20: the minute turns at +40 s
    EXPECT_EQ(fired.load(), full_minute ? 2 : 1) << "round " << i;
  }
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.waiting, kOccurrences + 1);
  std::set<std::string> keys;
  for (int i = 0; i < kOccurrences + 1; ++i) keys.insert(MustNext().idempotency_key.str());
  EXPECT_EQ(keys.size(), static_cast<size_t>(kOccurrences + 1));  // one job per occurrence
}

TEST_P(BusTest, ARemovedRepeatableStopsEnqueueing) {
  ASSERT_OK(q().AddRepeatable(ctx_, Every("tick", seconds(10))).status());
  clock_.Advance(seconds(10));
  ASSERT_OK_AND_ASSIGN(int64_t n, q().RunRepeatables(ctx_, kQ));
  EXPECT_EQ(n, 1);
  ASSERT_OK(q().RemoveRepeatable(ctx_, kQ, "tick"));
  EXPECT_THAT(q().RemoveRepeatable(ctx_, kQ, "tick"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("tick")));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Repeatable> listed, q().ListRepeatables(ctx_, kQ));
  EXPECT_TRUE(listed.empty());
  clock_.Advance(seconds(60));
  ASSERT_OK_AND_ASSIGN(n, q().RunRepeatables(ctx_, kQ));
  EXPECT_EQ(n, 0);
  MustNext();  // the job enqueued before the removal stays
  ExpectNone();
}

TEST_P(BusTest, AfterDowntimeOnlyTheLatestMissedOccurrenceIsEnqueued) {
  const Clock::TimePoint t0 = clock_.Now();
  ASSERT_OK(q().AddRepeatable(ctx_, Every("tick", seconds(10))).status());
  ASSERT_OK(q().AddRepeatable(ctx_, Cron("five", "*/5 * * * *")).status());
  clock_.Advance(std::chrono::hours(3) + seconds(95));  // no scheduler ran for three hours
  ASSERT_OK_AND_ASSIGN(int64_t n, q().RunRepeatables(ctx_, kQ));
  EXPECT_EQ(n, 2);  // one per definition, not one per missed occurrence
  std::set<std::string> keys = {MustNext().idempotency_key.str(), MustNext().idempotency_key.str()};
  ExpectNone();
  // t0 = 22:13:20 UTC; now = 01:14:55 → the latest "every 10 s" is 01:14:50, the latest "*/5" 01:10.
  const Clock::TimePoint now = clock_.Now();
  EXPECT_EQ(now, Utc(2023, 11, 15, 1, 14) + seconds(55));
  EXPECT_THAT(keys, ::testing::UnorderedElementsAre(bus::RepeatJobKey("tick", now - seconds(5)),
                                                    bus::RepeatJobKey("five", Utc(2023, 11, 15, 1, 10))));
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Repeatable> listed, q().ListRepeatables(ctx_, kQ));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "five");
  EXPECT_EQ(listed[0].next_run_at, Utc(2023, 11, 15, 1, 15));
  EXPECT_EQ(listed[1].next_run_at, now + seconds(5));
  (void)t0;
}

TEST_P(BusTest, RepeatableBadInputIsInvalidArgumentNamingTheFieldAndStoresNothing) {
  const std::vector<std::pair<std::string, std::string>> bad_cron = {
      {"* * * *", "cron"},
      {"* * * * * *", "cron"},
      {"60 * * * *", "cron.minute"},
      {"x * * * *", "cron.minute"},
      {"*/0 * * * *", "cron.minute"},
      {"0 24 * * *", "cron.hour"},
      {"0 5-3 * * *", "cron.hour"},
      {"0 0 0 * *", "cron.day_of_month"},
      {"0 0 32 * *", "cron.day_of_month"},
      {"0 0 * 13 *", "cron.month"},
      {"0 0 * 1,,2 *", "cron.month"},
      {"0 0 * * 8", "cron.day_of_week"},
      {"0 0 * * MON", "cron.day_of_week"},
      {"0 0 31 2 *", "cron"},  // never matches
  };
  for (const auto& [expr, field] : bad_cron) {
    absl::Status s = q().AddRepeatable(ctx_, Cron("k", expr)).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << expr;
    EXPECT_EQ(StatusField(s), field) << expr << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(expr)) << s;
  }
  bus::RepeatableRequest both = Every("k", seconds(10));
  both.cron = "* * * * *";
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, both).status()), "cron");
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, Every("k", milliseconds(0))).status()), "every");
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, Every("k", milliseconds(500))).status()), "every");
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, Every("", seconds(10))).status()), "key");
  bus::RepeatableRequest unknown = Every("k", seconds(10));
  unknown.queue = "no.such.queue";
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, unknown).status()), "queue");
  bus::RepeatableRequest payload = Every("k", seconds(10));
  payload.payload = "{nope";
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, payload).status()), "payload");
  bus::RepeatableRequest attempts = Every("k", seconds(10));
  attempts.max_attempts = 1001;
  EXPECT_EQ(StatusField(q().AddRepeatable(ctx_, attempts).status()), "max_attempts");
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Repeatable> listed, q().ListRepeatables(ctx_));
  EXPECT_TRUE(listed.empty());
  EXPECT_THAT(q().RemoveRepeatable(ctx_, "no.such.queue", "k"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A percentile reported from the bus's histograms is the upper bound of the half-octave bucket the true
// value falls in: true <= reported < true * sqrt(2) (+1 µs of rounding).
void ExpectBucketOf(std::chrono::microseconds reported, std::chrono::microseconds truth, const char* what) {
  EXPECT_GE(reported.count(), truth.count()) << what;
  EXPECT_LE(reported.count(), static_cast<int64_t>(static_cast<double>(truth.count()) * 1.4143) + 1) << what;
}

TEST_P(BusTest, MetricsCountAttemptsAndPlaceLatenciesInTheirBucketsOverAMovingWindow) {
  // Completed jobs are deleted at once (retain_completed 0): the metrics are the bus's own, not a scan.
  ASSERT_OK_AND_ASSIGN(queue_, Open(&clock_, "?feed.fanout.retain_completed_ms=0"));
  const Clock::TimePoint t0 = clock_.Now();  // 20 s into a minute
  std::vector<bus::EnqueueRequest> reqs(100, Req());
  ASSERT_OK(q().EnqueueMany(ctx_, reqs).status());
  clock_.Advance(milliseconds(2));  // due → start: 2 ms for all 100
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> jobs, q().NextBatch(ctx_, kQ, "w", 100, milliseconds(0)));
  ASSERT_EQ(jobs.size(), 100u);
  for (const bus::Job& j : jobs) EXPECT_EQ(j.started_at, clock_.Now());
  clock_.Advance(milliseconds(5));  // start → finish: 5 ms for 98 of them
  std::vector<bus::Queue::JobOutcome> fast;
  for (size_t i = 0; i < 98; ++i) fast.push_back({.job = &jobs[i], .text = ""});
  ASSERT_OK(q().FinishMany(ctx_, fast).status());
  ASSERT_OK(q().Clean(ctx_, kQ).status());
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, q().Counts(ctx_, kQ));
  EXPECT_EQ(counts.completed, 0);  // retention took them; the metrics below did not need them
  ASSERT_OK_AND_ASSIGN(bus::QueueMetrics m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.queue, kQ);
  EXPECT_EQ(m.completed, 98);
  EXPECT_EQ(m.failed, 0);
  EXPECT_EQ(m.wait.samples, 98);
  ExpectBucketOf(m.wait.p50, milliseconds(2), "wait p50");
  ExpectBucketOf(m.wait.p99, milliseconds(2), "wait p99");
  ExpectBucketOf(m.run.p50, milliseconds(5), "run p50");
  ExpectBucketOf(m.run.p99, milliseconds(5), "run p99");

  // The last two after 1 s more: one completed, one FAILED — a failed attempt's start → finish counts in
  // `run` (and `failed`), its due → start in `wait`, like a completed one.
  clock_.Advance(milliseconds(995));
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> each,
                       q().FinishMany(ctx_, {{.job = &jobs[98], .failed = false, .text = ""},
                                             {.job = &jobs[99], .failed = true, .text = "boom"}}));
  ASSERT_OK(each[0]);
  ASSERT_OK(each[1]);
  ASSERT_OK_AND_ASSIGN(m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed, 99);
  EXPECT_EQ(m.failed, 1);
  EXPECT_EQ(m.run.samples, 100);
  EXPECT_EQ(m.wait.samples, 100);
  ExpectBucketOf(m.run.p50, milliseconds(5), "run p50");
  ExpectBucketOf(m.run.p99, milliseconds(1000), "run p99");  // the 99th of 100 is one of the two slow
  // The span: the last whole minute plus the current one so far (21 s into it).
  EXPECT_EQ(m.span, seconds(60 + 21));
  EXPECT_DOUBLE_EQ(m.throughput, 100.0 / 81.0);

  // Another instance (another process on sqlite/postgres/redis) reads the same minutes.
  if (q().traits().cross_process) {
    ASSERT_OK_AND_ASSIGN(auto other, Open(&clock_));
    ASSERT_OK_AND_ASSIGN(bus::QueueMetrics seen, other->Metrics(ctx_, kQ));
    EXPECT_EQ(seen.completed, 99);
    EXPECT_EQ(seen.failed, 1);
    EXPECT_EQ(seen.run.p99, m.run.p99);
  }

  // Two minutes later the 1-minute window no longer holds that minute; the 5-minute one does.
  clock_.Advance(seconds(120));
  ASSERT_OK_AND_ASSIGN(m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed + m.failed, 0);
  EXPECT_EQ(m.run.samples, 0);
  EXPECT_EQ(m.wait.p50.count(), 0);
  EXPECT_EQ(m.throughput, 0);
  ASSERT_OK_AND_ASSIGN(bus::QueueMetrics five, q().Metrics(ctx_, kQ, std::chrono::minutes(5)));
  EXPECT_EQ(five.completed, 99);
  EXPECT_EQ(five.failed, 1);
  EXPECT_EQ(five.span, seconds(5 * 60 + 21));

  // The failed job's retry was due 1 s after its failure (t0 + 2.002 s) and starts now: its wait is
  // counted from that due time (119 s), through the single-job Complete.
  bus::Job retry = MustNext();
  EXPECT_EQ(retry.id, jobs[99].id);
  EXPECT_EQ(retry.attempt, 2);
  clock_.Advance(milliseconds(10));
  ASSERT_OK(q().Complete(ctx_, retry));
  // And a fresh job claimed at once and failed by the single-job Fail after 250 ms.
  Enq(Req());
  bus::Job quick = MustNext();
  clock_.Advance(milliseconds(250));
  ASSERT_OK(q().Fail(ctx_, quick, "slow"));
  ASSERT_OK_AND_ASSIGN(m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed, 1);
  EXPECT_EQ(m.failed, 1);
  ExpectBucketOf(m.wait.p99, seconds(119), "retry wait");
  EXPECT_EQ(m.wait.p50, std::chrono::microseconds(100));  // the job claimed at once: under 100 µs
  ExpectBucketOf(m.run.p99, milliseconds(250), "failed run");
  ExpectBucketOf(m.run.p50, milliseconds(10), "retry run");
  EXPECT_EQ(clock_.Now() - t0, milliseconds(1002 + 120000 + 260));

  // A lease lost finishes nothing and counts nothing; a released job is not counted either.
  Enq(Req());
  bus::Job released = MustNext();
  ASSERT_OK(q().Release(ctx_, released));
  ASSERT_OK_AND_ASSIGN(bus::QueueMetrics after, q().Metrics(ctx_, kQ));
  EXPECT_EQ(after.completed + after.failed, 2);

  // Bad input names the field.
  EXPECT_THAT(q().Metrics(ctx_, kQ, std::chrono::minutes(0)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
  EXPECT_THAT(q().Metrics(ctx_, kQ, std::chrono::minutes(61)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
  EXPECT_THAT(q().Metrics(ctx_, "no.such.queue").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("queue")));
}

// The pool hands its acks over in batches (session 17): the bus's metrics still count every attempt once,
// its due → start from the claim and its start → finish up to its ack. One thread claims all 41 jobs at
// once (so each waited exactly 3 ms); each handler moves the manual clock 5 ms, so the k-th job ran at
// least 5k ms and none longer than the clock moved in all (205 ms).
TEST_P(BusTest, WorkerPoolKeepsTheQueueMetricsOfEveryAttempt) {
  ASSERT_OK_AND_ASSIGN(queue_, Open(&clock_, "?feed.fanout.retain_completed_ms=0"));
  std::vector<bus::EnqueueRequest> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(Req("{\"n\":" + std::to_string(i) + "}"));
  batch.push_back(Req(R"({"fail":1})"));
  ASSERT_OK(q().EnqueueMany(ctx_, batch).status());
  clock_.Advance(milliseconds(3));
  bus::WorkerPool pool(q(), {.worker_id_prefix = "metrics", .wait = seconds(30), .prefetch = 41});
  ASSERT_OK(pool.Handle(
      kQ,
      [&](const RequestContext&, const bus::Job& job) -> absl::StatusOr<std::string> {
        clock_.Advance(milliseconds(5));
        if (job.payload.find("fail") != std::string::npos) return absl::InternalError("handler failed");
        return std::string();
      },
      1));
  ASSERT_OK(pool.Start());
  while (pool.processed() < 40 || pool.failed() < 1) std::this_thread::yield();
  pool.Shutdown(seconds(5));
  EXPECT_EQ(pool.processed(), 40);
  EXPECT_EQ(pool.failed(), 1);
  ASSERT_OK_AND_ASSIGN(bus::QueueMetrics m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed, 40);
  EXPECT_EQ(m.failed, 1);
  EXPECT_EQ(m.wait.samples, 41);
  EXPECT_EQ(m.run.samples, 41);
  ExpectBucketOf(m.wait.p50, milliseconds(3), "wait p50");
  ExpectBucketOf(m.wait.p99, milliseconds(3), "wait p99");
  EXPECT_GE(m.run.p50, milliseconds(5 * 20)) << "the 21st shortest run is at least 21 handlers long";
  EXPECT_GE(m.run.p99, milliseconds(5 * 40));
  EXPECT_LE(m.run.p99.count(), static_cast<int64_t>(205'000 * 1.4143) + 1) << "no run outlasts the clock";
  EXPECT_DOUBLE_EQ(m.throughput, 41.0 / static_cast<double>(m.span.count()));
}

// Completions with one result share one statement on SQLite, whose metrics come from the claimed copies
// when every job finished; a lost lease among them is refused alone and counted nowhere.
TEST_P(BusTest, ABatchOfCompletionsWithALostLeaseCountsOnlyTheJobsItFinished) {
  for (int i = 0; i < 3; ++i) Enq(Req());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> jobs, q().NextBatch(ctx_, kQ, "w", 3, milliseconds(0)));
  ASSERT_EQ(jobs.size(), 3u);
  clock_.Advance(milliseconds(3));
  // The second is finished on its own first: the batch's copy of it no longer holds the lease.
  ASSERT_OK(q().Complete(ctx_, jobs[1]));
  std::vector<bus::Queue::JobOutcome> all;
  for (const bus::Job& j : jobs) all.push_back({.job = &j});
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> results, q().FinishMany(ctx_, all));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_OK(results[0]);
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease lost")));
  EXPECT_OK(results[2]);
  ASSERT_OK_AND_ASSIGN(bus::QueueMetrics m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed, 3);  // two by the batch, one by the single Complete
  EXPECT_EQ(m.run.samples, 3);
  ExpectBucketOf(m.run.p50, milliseconds(3), "run");
  // Every job of a batch that keeps its leases is finished and counted once.
  for (int i = 0; i < 2; ++i) Enq(Req());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> more, q().NextBatch(ctx_, kQ, "w", 2, milliseconds(0)));
  ASSERT_EQ(more.size(), 2u);
  all.clear();
  for (const bus::Job& j : more) all.push_back({.job = &j});
  ASSERT_OK_AND_ASSIGN(results, q().FinishMany(ctx_, all));
  EXPECT_OK(results[0]);
  EXPECT_OK(results[1]);
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts counts, q().Counts(ctx_, kQ));
  EXPECT_EQ(counts.completed, 5);
  EXPECT_EQ(counts.active, 0);
  ASSERT_OK_AND_ASSIGN(m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed, 5);
}

TEST_P(BusTest, AFinishRolledBackWithTheCallersTransactionCountsNoMetrics) {
  Enq(Req());
  bus::Job job = MustNext();
  clock_.Advance(milliseconds(3));
  const bool sql = q().Name() == "sqlite" || q().Name() == "postgres";
  if (sql) {
    // The samples are written in the finishing transaction: a rollback takes them back with the job.
    EXPECT_THAT(CompleteAndRollBack(job), StatusIs(absl::StatusCode::kAborted));
    ASSERT_OK_AND_ASSIGN(bus::QueueMetrics none, q().Metrics(ctx_, kQ));
    EXPECT_EQ(none.completed, 0);
    EXPECT_EQ(none.run.samples, 0);
    ASSERT_OK(db().RunInTransaction(
        ctx_, [&](store::Connection&) -> absl::Status { return q().Complete(ctx_, job); }));
  } else {
    // memory: and redis:// finish outside SQL transactions (one lock / one Lua script): declared here.
    RecordProperty("metrics_in_sql_transaction", "not applicable on " + std::string(q().Name()));
    ASSERT_OK(q().Complete(ctx_, job));
  }
  ASSERT_OK_AND_ASSIGN(bus::QueueMetrics m, q().Metrics(ctx_, kQ));
  EXPECT_EQ(m.completed, 1);
  ExpectBucketOf(m.run.p50, milliseconds(3), "run");
}

// Migration 026 (SQL buses): the finished states' counts are kept by the transactions that move jobs
// into and out of them (bus_finished_counts, one row per writer), not counted over the retained jobs.
// After every transition they equal the jobs listed in that state (memory and Redis count their own way).
class FinishedCountsTest : public BusTest {
 protected:
  void ExpectFinished(int64_t completed, int64_t dead, int64_t cancelled, const std::string& after) {
    SCOPED_TRACE("after " + after);
    ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
    EXPECT_EQ(c.completed, completed);
    EXPECT_EQ(c.dead, dead);
    EXPECT_EQ(c.cancelled, cancelled);
    for (const auto& [state, n] : {std::pair<bus::JobState, int64_t>{bus::JobState::kCompleted, completed},
                                   {bus::JobState::kDead, dead},
                                   {bus::JobState::kCancelled, cancelled}}) {
      ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> listed, q().List(ctx_, kQ, state, 10000));
      EXPECT_EQ(static_cast<int64_t>(listed.size()), n) << bus::JobStateName(state);
    }
  }
  bus::EnqueueRequest Once() {
    bus::EnqueueRequest r = Req();
    r.max_attempts = 1;
    return r;
  }
};

TEST_P(FinishedCountsTest, ExactAfterEveryTransition) {
  Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  ExpectFinished(1, 0, 0, "complete");
  const int64_t dead = Enq(Once());
  ASSERT_OK(q().Fail(ctx_, MustNext(), "boom"));
  ExpectFinished(1, 1, 0, "fail on the last attempt (DEAD)");
  Enq(Req());
  ASSERT_OK(q().Fail(ctx_, MustNext(), "again"));
  ExpectFinished(1, 1, 0, "fail with attempts left (WAITING)");
  clock_.Advance(std::chrono::hours(1));
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  ExpectFinished(2, 1, 0, "the retry completed");
  const int64_t waiting = Enq(Req());
  ASSERT_OK(q().Cancel(ctx_, waiting));
  ExpectFinished(2, 1, 1, "cancel of a waiting job");
  const int64_t running = Enq(Req());
  bus::Job job = MustNext();
  ASSERT_EQ(job.id, running);
  ASSERT_OK(q().Cancel(ctx_, running));
  ExpectFinished(2, 1, 1, "cancel requested of an active job");
  ASSERT_OK(q().Release(ctx_, job));
  ExpectFinished(2, 1, 2, "its release (CANCELLED)");
  const int64_t stalled = Enq(Once());
  EXPECT_EQ(MustNext().id, stalled);
  clock_.Advance(seconds(61));
  ASSERT_OK_AND_ASSIGN(int64_t recovered, q().RecoverStalled(ctx_, kQ));
  EXPECT_EQ(recovered, 1);
  ExpectFinished(2, 2, 2, "recovery of a stalled job on its last attempt (DEAD)");
  ASSERT_OK_AND_ASSIGN(int64_t replayed, q().Replay(ctx_, kQ, {dead}));
  EXPECT_EQ(replayed, 1);
  ExpectFinished(2, 1, 2, "replay of one dead job");
  ASSERT_OK_AND_ASSIGN(replayed, q().Replay(ctx_, kQ));
  EXPECT_EQ(replayed, 1);
  ExpectFinished(2, 0, 2, "replay of every dead job");
  // A batch with a failure and completions (one transaction), and the fused finish-and-claim.
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> two, q().NextBatch(ctx_, kQ, "w", 2, milliseconds(0)));
  ASSERT_EQ(two.size(), 2u);
  Enq(Once());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> third, q().NextBatch(ctx_, kQ, "w", 1, milliseconds(0)));
  ASSERT_EQ(third.size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> results,
                       q().FinishMany(ctx_, {{.job = &two[0]}, {.job = &third[0], .failed = true, .text = "x"}}));
  EXPECT_THAT(results, ElementsAre(IsOk(), IsOk()));
  ExpectFinished(3, 1, 2, "FinishMany: one completion, one failure to DEAD");
  Enq(Req());
  ASSERT_OK_AND_ASSIGN(bus::Queue::FinishedAndClaimed fc,
                       q().FinishManyAndNextBatch(ctx_, {{.job = &two[1]}}, kQ, "w", 5, milliseconds(0)));
  EXPECT_THAT(fc.finished, ElementsAre(IsOk()));
  ASSERT_EQ(fc.claimed.size(), 1u);
  ExpectFinished(4, 1, 2, "FinishManyAndNextBatch");
  ASSERT_OK(q().Complete(ctx_, fc.claimed[0]));
  ExpectFinished(5, 1, 2, "complete");
  // Past retain_completed (24 h), not retain_dead (7 days): the completed and cancelled jobs go.
  clock_.Advance(std::chrono::hours(25));
  ASSERT_OK_AND_ASSIGN(int64_t cleaned, q().Clean(ctx_, kQ));
  EXPECT_EQ(cleaned, 7);
  ExpectFinished(0, 1, 0, "clean past retain_completed");
  clock_.Advance(std::chrono::hours(24 * 7));
  ASSERT_OK_AND_ASSIGN(cleaned, q().Clean(ctx_, kQ));
  EXPECT_EQ(cleaned, 1);
  ExpectFinished(0, 0, 0, "clean past retain_dead");
}

TEST_P(FinishedCountsTest, AFinishRolledBackByTheCallersTransactionIsNotCounted) {
  Enq(Req());
  bus::Job job = MustNext();
  if (q().Name() == "sqlite" || q().Name() == "postgres") {
    EXPECT_THAT(CompleteAndRollBack(job), StatusIs(absl::StatusCode::kAborted));
    ExpectFinished(0, 0, 0, "a completion rolled back");
    ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
    EXPECT_EQ(c.active, 1);
    ASSERT_OK(db().RunInTransaction(
        ctx_, [&](store::Connection&) -> absl::Status { return q().Complete(ctx_, job); }));
  } else {
    // memory: and redis:// finish outside SQL transactions (one lock / one Lua script): declared here.
    RecordProperty("counts_in_sql_transaction", "not applicable on " + std::string(q().Name()));
    ASSERT_OK(q().Complete(ctx_, job));
  }
  ExpectFinished(1, 0, 0, "a completion committed");
}

TEST_P(FinishedCountsTest, ConcurrentCompletionsAreEachCountedOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  // One completion first: it runs this minute's compaction of the writers' rows (at most one per minute
  // per queue object, started by a finish), so none runs while the threads complete and every thread's
  // row is still there to count below.
  Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  for (int i = 0; i < kThreads * kPerThread; ++i) Enq(Req());
  ASSERT_OK_AND_ASSIGN(std::vector<bus::Job> jobs,
                       q().NextBatch(ctx_, kQ, "w", kThreads * kPerThread, milliseconds(0)));
  ASSERT_EQ(jobs.size(), static_cast<size_t>(kThreads * kPerThread));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      // Half one by one, half in one FinishMany.
      std::vector<bus::Queue::JobOutcome> batch;
      for (int k = 0; k < kPerThread; ++k) {
        const bus::Job& job = jobs[static_cast<size_t>(t * kPerThread + k)];
        if (k % 2 == 0) {
          if (!q().Complete(ctx, job).ok()) ++failures;
        } else {
          batch.push_back({.job = &job});
        }
      }
      auto results = q().FinishMany(ctx, batch);
      if (!results.ok()) {
        ++failures;
        return;
      }
      for (const absl::Status& st : *results) {
        if (!st.ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ExpectFinished(kThreads * kPerThread + 1, 0, 0, "concurrent completions");
  // A finish in a later minute: on the SQL buses the writers' rows are folded into writer 0 after it.
  const bool sql = q().Name() == "sqlite" || q().Name() == "postgres";
  auto writer_rows = [&]() -> int64_t {
    auto rows = db().Execute(ctx_, "SELECT COUNT(*) FROM bus_finished_counts WHERE writer <> 0");
    EXPECT_OK(rows.status());
    return rows.ok() ? rows->front().Int64(0) : -1;
  };
  if (sql) EXPECT_GE(writer_rows(), kThreads);  // one per thread at least
  clock_.Advance(std::chrono::minutes(2));
  Enq(Req());
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  ExpectFinished(kThreads * kPerThread + 2, 0, 0, "the compaction");
  if (sql) {
    EXPECT_EQ(writer_rows(), 0);
  } else {
    RecordProperty("writer_rows", "not applicable on " + std::string(q().Name()));
  }
}

// The upgrade from 025 with jobs in every state: migration 026 seeds the counts from the jobs present,
// so Counts reports after it what 025's COUNT(*) over the jobs reported before it, and keeps counting.
class FinishedCountsMigrationTest : public FinishedCountsTest {};

TEST_P(FinishedCountsMigrationTest, UpgradeFrom025KeepsTheCountsOfTheJobsPresent) {
  for (int i = 0; i < 3; ++i) {
    Enq(Req());
    ASSERT_OK(q().Complete(ctx_, MustNext()));
  }
  for (int i = 0; i < 2; ++i) {
    Enq(Once());
    ASSERT_OK(q().Fail(ctx_, MustNext(), "boom"));
  }
  ASSERT_OK(q().Cancel(ctx_, Enq(Req())));
  Enq(Req());
  MustNext();  // one active
  Enq(Req());  // one waiting
  // The database as 025 left it: no bus_finished_counts, 026 not applied.
  ASSERT_OK(db().Execute(ctx_, "DROP TABLE bus_finished_counts").status());
  ASSERT_OK_AND_ASSIGN(store::ResultSet gone,
                       db().Execute(ctx_, "DELETE FROM schema_migrations WHERE name LIKE '026%'"));
  ASSERT_EQ(gone.rows_affected(), 1);
  // What 025's Counts read: COUNT(*) over the jobs of each finished state.
  ASSERT_OK_AND_ASSIGN(store::ResultSet before,
                       db().Execute(ctx_,
                                    "SELECT status, COUNT(*) AS n FROM jobs WHERE queue = ? AND status IN "
                                    "('COMPLETED', 'DEAD', 'CANCELLED') GROUP BY status ORDER BY status",
                                    {std::string(kQ)}));
  std::map<std::string, int64_t> by_state;
  for (const store::Row& row : before) by_state[row.Text("status")] = row.Int64("n");
  EXPECT_EQ(by_state, (std::map<std::string, int64_t>{{"CANCELLED", 1}, {"COMPLETED", 3}, {"DEAD", 2}}));

  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
  ASSERT_OK(migrator->Migrate(ctx_));
  ExpectFinished(by_state["COMPLETED"], by_state["DEAD"], by_state["CANCELLED"], "the upgrade");
  ASSERT_OK_AND_ASSIGN(bus::QueueCounts c, q().Counts(ctx_, kQ));
  EXPECT_EQ(c.active, 1);
  EXPECT_EQ(c.waiting, 1);
  // The seed (writer 0) and the writers' deltas after it add up.
  ASSERT_OK(q().Complete(ctx_, MustNext()));
  ASSERT_OK_AND_ASSIGN(int64_t replayed, q().Replay(ctx_, kQ));
  EXPECT_EQ(replayed, 2);
  ExpectFinished(4, 0, 1, "a completion and a replay after the upgrade");
}

INSTANTIATE_TEST_SUITE_P(Bus, BusTest, ::testing::ValuesIn(BusBackends()), testing::BackendName());
INSTANTIATE_TEST_SUITE_P(Bus, BusNoticeTest, ::testing::ValuesIn(BusBackends()), testing::BackendName());
INSTANTIATE_TEST_SUITE_P(Bus, FinishedCountsTest, ::testing::ValuesIn(BusBackends()), testing::BackendName());
INSTANTIATE_TEST_SUITE_P(Bus, FinishedCountsMigrationTest, ::testing::ValuesIn(testing::SqlBackends()),
                         testing::BackendName());
std::vector<std::string> BackendsWhere(bool (*keep)(const std::string&)) {
  std::vector<std::string> out;
  for (const std::string& b : BusBackends()) {
    if (keep(b)) out.push_back(b);
  }
  return out;
}
INSTANTIATE_TEST_SUITE_P(Bus, BusCrossProcessTest,
                         ::testing::ValuesIn(BackendsWhere([](const std::string& b) { return b != "memory"; })),
                         testing::BackendName());
INSTANTIATE_TEST_SUITE_P(Bus, BusWakeTest, ::testing::ValuesIn(BackendsWhere([](const std::string& b) {
                           return b == "postgres" || b == "redis";
                         })),
                         testing::BackendName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BusWakeTest);  // no Postgres outside CI: the banner says so

}  // namespace
}  // namespace daira

namespace daira {
namespace {

Clock::TimePoint At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  const std::chrono::sys_days day{std::chrono::year(y) / std::chrono::month(mo) / std::chrono::day(d)};
  return Clock::TimePoint(day) + std::chrono::hours(h) + std::chrono::minutes(mi);
}

TEST(BusCronTest, NextFindsTheFirstMatchingMinuteStrictlyAfter) {
  auto next = [](std::string_view expr, Clock::TimePoint after) {
    auto c = bus::CronSchedule::Parse(expr);
    EXPECT_OK(c.status()) << expr;
    return c.ok() ? c->Next(after) : Clock::TimePoint{};
  };
  // Strictly after, seconds dropped.
  EXPECT_EQ(next("* * * * *", At(2026, 3, 4, 10, 0)), At(2026, 3, 4, 10, 1));
  EXPECT_EQ(next("* * * * *", At(2026, 3, 4, 10, 0) + std::chrono::seconds(59)), At(2026, 3, 4, 10, 1));
  // Steps, ranges and lists; year end.
  EXPECT_EQ(next("*/15 9-17 * * *", At(2026, 3, 4, 17, 45)), At(2026, 3, 5, 9, 0));
  EXPECT_EQ(next("5,35 */6 * * *", At(2026, 12, 31, 18, 35)), At(2027, 1, 1, 0, 5));
  EXPECT_EQ(next("10-20/5 3 * * *", At(2026, 3, 4, 3, 16)), At(2026, 3, 4, 3, 20));
  EXPECT_EQ(next("30/10 0 * * *", At(2026, 3, 4, 0, 51)), At(2026, 3, 5, 0, 30));
  // Leap day: the next February 29th.
  EXPECT_EQ(next("0 0 29 2 *", At(2025, 3, 1)), At(2028, 2, 29));
  // Day of week (0 and 7 are Sunday): 2026-03-04 is a Wednesday.
  EXPECT_EQ(next("0 12 * * 0", At(2026, 3, 4)), At(2026, 3, 8, 12, 0));
  EXPECT_EQ(next("0 12 * * 7", At(2026, 3, 4)), At(2026, 3, 8, 12, 0));
  EXPECT_EQ(next("0 9 * * 1-5", At(2026, 3, 6, 9, 0)), At(2026, 3, 9, 9, 0));  // Friday → Monday
  // Both day fields restricted: either matches (the 13th, or a Friday).
  EXPECT_EQ(next("0 0 13 * 5", At(2026, 3, 4)), At(2026, 3, 6));
  EXPECT_EQ(next("0 0 13 * 5", At(2026, 3, 10)), At(2026, 3, 13));
  // Month restriction across a year.
  EXPECT_EQ(next("0 0 1 1,7 *", At(2026, 7, 1)), At(2027, 1, 1));
  // Never: "February 31st".
  ASSERT_OK_AND_ASSIGN(bus::CronSchedule never, bus::CronSchedule::Parse("0 0 31 2 *"));
  EXPECT_EQ(never.Next(At(2026, 1, 1)), Clock::TimePoint::max());
  EXPECT_EQ(never.expression(), "0 0 31 2 *");
}

TEST(BusSettingsTest, TheEighteenQueuesAreDistinctAndValid) {
  const std::vector<bus::QueueSettings> queues = bus::DefaultQueues();
  ASSERT_EQ(queues.size(), 18u);
  std::set<std::string> names;
  for (const auto& q : queues) {
    EXPECT_OK(bus::ValidateQueueSettings(q)) << q.name;
    names.insert(q.name);
  }
  EXPECT_EQ(names.size(), 18u);
  for (const char* name :
       {"video.transcode", "video.thumbnail", "feed.fanout", "notification.push", "notification.email",
        "analytics.ingest", "embeddings.generate", "search.index", "counters.recount", "moderation.scan",
        "payments.settle", "payments.webhook", "media.cleanup", "audit.write", "trending.refresh",
        "recommendations.refresh", "realtime.broadcast", "webhooks.deliver"}) {
    EXPECT_NE(bus::FindQueue(queues, name), nullptr) << name;
  }
}

TEST(BusSettingsTest, OverridesByNameAndTheirErrors) {
  std::vector<bus::QueueSettings> queues = bus::DefaultQueues();
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.concurrency", "6"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.backoff", "fixed"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.jitter", "0.5"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.timeout_ms", "1000"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.round_robin_groups", "true"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.group_concurrency", "2"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.rate_limit", "100"));
  ASSERT_OK(bus::ApplyQueueOverride(queues, "video.transcode.rate_window_ms", "60000"));
  const bus::QueueSettings* q = bus::FindQueue(queues, "video.transcode");
  EXPECT_EQ(q->concurrency, 6);
  EXPECT_EQ(q->backoff, bus::Backoff::kFixed);
  EXPECT_EQ(q->jitter, 0.5);
  EXPECT_EQ(q->timeout, std::chrono::milliseconds(1000));
  EXPECT_TRUE(q->round_robin_groups);
  EXPECT_EQ(q->group_concurrency, 2);
  EXPECT_EQ(q->rate_limit, 100);
  EXPECT_EQ(q->rate_window, std::chrono::milliseconds(60000));
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"no.such.queue.concurrency", "1"},
                                                        {"video.transcode.colour", "1"},
                                                        {"video.transcode.concurrency", "0"},
                                                        {"video.transcode.max_attempts", "many"},
                                                        {"video.transcode.backoff", "linear"},
                                                        {"video.transcode.jitter", "2"},
                                                        {"video.transcode.timeout_ms", "0"},
                                                        {"video.transcode.backoff_max_ms", "1"},
                                                        {"video.transcode.round_robin_groups", "maybe"},
                                                        {"video.transcode.group_concurrency", "-1"},
                                                        {"video.transcode.rate_limit", "-1"},
                                                        {"video.transcode.rate_window_ms", "0"}}) {
    absl::Status s = bus::ApplyQueueOverride(queues, key, value);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << key << "=" << value;
    EXPECT_THAT(std::string(s.message()), HasSubstr(key.substr(0, key.rfind('.')))) << s;
  }
}

}  // namespace
}  // namespace daira
