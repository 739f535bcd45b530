// The outbox relay of the redis:// bus on a SQL database (docs/bus.md "Outbox relay"), on /sqlite and
// /postgres, each against a private Redis without persistence (so a test may kill it and bring it back
// empty; the shared test Redis is never disturbed). The relay thread is off (relay_interval_ms=0): the
// relay runs after each commit and when the test calls RelayOutbox, nothing in the background.

#include <string>
#include <thread>

#include "backends/redis/redis_queue.h"
#include "daira/bus/queue.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

constexpr char kNoBreaker[] = "breaker_failures=0&breaker_failure_rate=0";

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kOutboxQ[] = "feed.fanout";

bus::EnqueueRequest OutboxReq(std::string payload) {
  bus::EnqueueRequest r;
  r.queue = kOutboxQ;
  r.name = "outbox";
  r.payload = std::move(payload);
  return r;
}

class BusOutboxTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testing::PrivateRedisAvailable()) {
      if (testing::InCi()) FAIL() << "redis-server is not installed (CI=true)";
      GTEST_SKIP() << "redis-server is not installed: the outbox relay cases are NOT covered";
    }
    ASSERT_OK_AND_ASSIGN(redis_, testing::PrivateRedis::Start());  // no persistence: a restart empties it
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    bus::BusOptions options;
    options.clock = &clock_;
    // The bus's circuit breaker is off here (its own case is BusRedisRestartTest): this manual clock never
    // reaches a cool-down, so an open breaker would refuse every relay after Redis is back.
    ASSERT_OK_AND_ASSIGN(queue_, bus::OpenQueue(redis_->url() + "?prefix=outbox:&relay_interval_ms=0&"
                                                                "reconnect_backoff_max_ms=200&" + kNoBreaker,
                                                &db(), tdb_->url(), options));
    redis_queue_ = dynamic_cast<backends::redis::RedisQueue*>(queue_.get());
    ASSERT_NE(redis_queue_, nullptr);
  }
  store::Database& db() { return tdb_->db(); }
  bus::Queue& q() { return *queue_; }
  // Enqueues `payload` in a committed transaction; returns the job id.
  int64_t EnqueueCommitted(const std::string& payload) {
    int64_t id = 0;
    EXPECT_OK(db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
      DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult r, q().Enqueue(ctx_, OutboxReq(payload)));
      id = r.id;
      return absl::OkStatus();
    }));
    return id;
  }
  int64_t OutboxRows() {
    auto rs = db().Execute(ctx_, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL");
    EXPECT_OK(rs.status());
    return rs.ok() ? rs->front().Int64(0) : -1;
  }
  int64_t Waiting() {
    auto c = q().Counts(ctx_, kOutboxQ);
    EXPECT_OK(c.status());
    return c.ok() ? c->waiting : -1;
  }

  ManualClock clock_{Clock::TimePoint{seconds(1700000000)}};
  RequestContext ctx_;
  std::unique_ptr<testing::PrivateRedis> redis_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<bus::Queue> queue_;
  backends::redis::RedisQueue* redis_queue_ = nullptr;
};

TEST_P(BusOutboxTest, ACommittedEnqueueIsRelayedAndARolledBackOneNeverIs) {
  int64_t rolled_back = 0;
  absl::Status s = db().RunInTransaction(
      ctx_,
      [&](store::Connection&) -> absl::Status {
        DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult r, q().Enqueue(ctx_, OutboxReq(R"({"tx":"rollback"})")));
        rolled_back = r.id;
        return absl::AbortedError("the caller gives up");
      },
      {.max_attempts = 1});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(int64_t relayed, q().RelayOutbox(ctx_));
  EXPECT_EQ(relayed, 0);
  EXPECT_THAT(q().Get(ctx_, rolled_back).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Waiting(), 0);

  // Committed: relayed right after the commit, under the id Enqueue returned; the row is gone.
  const int64_t id = EnqueueCommitted(R"({"tx":"commit"})");
  EXPECT_EQ(OutboxRows(), 0);
  ASSERT_OK_AND_ASSIGN(std::optional<bus::Job> job, q().Next(ctx_, kOutboxQ, "w", milliseconds(0)));
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id, id);
  EXPECT_THAT(job->payload, HasSubstr("commit"));
  EXPECT_EQ(job->name, "outbox");
  EXPECT_EQ(job->max_attempts, 5);
  ASSERT_OK(q().Complete(ctx_, *job));
}

TEST_P(BusOutboxTest, ARelayThatDiesBetweenRedisAndTheRowDeliversTheJobOnce) {
  // The relay "dies" after Redis acknowledged the job and before the row is deleted.
  redis_queue_->set_relay_fault_for_testing([] { return absl::InternalError("relay killed here"); });
  const int64_t id = EnqueueCommitted(R"({"n":1})");
  EXPECT_EQ(OutboxRows(), 1);             // the row stays...
  ASSERT_OK(q().Get(ctx_, id).status());  // ...and the job already reached Redis
  EXPECT_THAT(q().RelayOutbox(ctx_).status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("relay killed")));
  EXPECT_EQ(OutboxRows(), 1);
  // A relay that lives sends the row again: one job, not two.
  redis_queue_->set_relay_fault_for_testing(nullptr);
  ASSERT_OK_AND_ASSIGN(int64_t relayed, q().RelayOutbox(ctx_));
  EXPECT_EQ(relayed, 1);
  EXPECT_EQ(OutboxRows(), 0);
  EXPECT_EQ(Waiting(), 1);
  ASSERT_OK_AND_ASSIGN(std::optional<bus::Job> job, q().Next(ctx_, kOutboxQ, "w", milliseconds(0)));
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id, id);
  EXPECT_EQ(job->attempt, 1);
  ASSERT_OK_AND_ASSIGN(std::optional<bus::Job> none, q().Next(ctx_, kOutboxQ, "w", milliseconds(0)));
  EXPECT_FALSE(none.has_value());
}

TEST_P(BusOutboxTest, ARedisRestartedEmptyLosesNoCommittedJobItHadNotAcknowledged) {
  // Acknowledged before the crash: relayed, row deleted. A Redis without persistence loses it.
  const int64_t acknowledged = EnqueueCommitted(R"({"n":"acknowledged"})");
  EXPECT_EQ(OutboxRows(), 0);
  ASSERT_OK(redis_->Kill());
  // Committed while Redis is down: the commit succeeds (SQL only); the relay after it fails; the row stays.
  const int64_t pending = EnqueueCommitted(R"({"n":"pending"})");
  EXPECT_EQ(OutboxRows(), 1);
  EXPECT_THAT(q().RelayOutbox(ctx_).status(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(redis_->Restart());  // empty
  // The relay delivers the pending row once Redis is back (the pool reconnects after its backoff).
  const auto give_up = std::chrono::steady_clock::now() + seconds(30);
  absl::StatusOr<int64_t> relayed;
  do {
    relayed = q().RelayOutbox(ctx_);
  } while (!relayed.ok() && std::chrono::steady_clock::now() < give_up);
  ASSERT_OK(relayed.status());
  EXPECT_EQ(*relayed, 1);
  EXPECT_EQ(OutboxRows(), 0);
  ASSERT_OK_AND_ASSIGN(bus::Job job, q().Get(ctx_, pending));
  EXPECT_EQ(job.state, bus::JobState::kWaiting);
  // What Redis acknowledged and then lost is gone: durability after the acknowledgement is Redis's
  // persistence (appendonly), as docs/bus.md says.
  EXPECT_THAT(q().Get(ctx_, acknowledged).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BusOutboxTest, TheRelayThreadDeliversWhatTheCommitCouldNot) {
  ASSERT_OK(redis_->Kill());
  const int64_t id = EnqueueCommitted(R"({"n":"while down"})");
  EXPECT_EQ(OutboxRows(), 1);
  ASSERT_OK(redis_->Restart());
  // Another process's bus on the same database, with its relay thread on (every 20 ms).
  bus::BusOptions options;
  options.clock = &clock_;
  ASSERT_OK_AND_ASSIGN(auto threaded, bus::OpenQueue(redis_->url() + "?prefix=outbox:&relay_interval_ms=20&" +
                                                         kNoBreaker,
                                                     &db(), tdb_->url(), options));
  // Wait for the condition (bounded, so a regression fails instead of hanging).
  const auto give_up = std::chrono::steady_clock::now() + seconds(30);
  while (OutboxRows() != 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  EXPECT_EQ(OutboxRows(), 0);
  ASSERT_OK_AND_ASSIGN(bus::Job job, threaded->Get(ctx_, id));
  EXPECT_THAT(job.payload, HasSubstr("while down"));
  threaded->Close();  // stops the relay thread
}

TEST_P(BusOutboxTest, ARowWhoseIdAnotherJobTookIsEnqueuedUnderAFreshIdNotDropped) {
  const int64_t first = EnqueueCommitted(R"({"n":"first"})");  // relayed, its row deleted
  // Another process's row with the same id (two id generators that met), so another nonce.
  ASSERT_OK(
      db().Execute(ctx_,
                   "INSERT INTO outbox (id, topic, payload, correlation_id, attempts, created_at) "
                   "VALUES (?, ?, ?, ?, 0, ?)",
                   {first, std::string("bus:feed.fanout"),
                    store::Value::Json(R"({"queue":"feed.fanout","name":"x","payload":"{\"n\":\"second\"}",)"
                                       R"("priority":0,"run_at":0,"max_attempts":1,"idempotency_key":"",)"
                                       R"("group_key":"","nonce":"12345"})"),
                    std::string(""), int64_t{1}})
          .status());
  ASSERT_OK_AND_ASSIGN(int64_t relayed, q().RelayOutbox(ctx_));
  EXPECT_EQ(relayed, 1);
  EXPECT_EQ(Waiting(), 2);  // not taken for a re-send of the first
  ASSERT_OK_AND_ASSIGN(bus::Job kept, q().Get(ctx_, first));
  EXPECT_THAT(kept.payload, HasSubstr("first"));
}

TEST_P(BusOutboxTest, ARowOfAnUnknownQueueIsSetAsideNotRelayedForever) {
  ASSERT_OK(db().Execute(ctx_,
                         "INSERT INTO outbox (id, topic, payload, correlation_id, attempts, created_at) "
                         "VALUES (?, ?, ?, ?, 0, ?)",
                         {int64_t{42}, std::string("bus:no.such.queue"),
                          store::Value::Json(R"({"queue":"no.such.queue"})"), std::string(""), int64_t{1}})
                .status());
  const int64_t id = EnqueueCommitted(R"({"n":"good"})");  // relayed despite the bad row before it
  ASSERT_OK(q().Get(ctx_, id).status());
  EXPECT_EQ(OutboxRows(), 0);
  ASSERT_OK_AND_ASSIGN(int64_t relayed, q().RelayOutbox(ctx_));
  EXPECT_EQ(relayed, 0);
  ASSERT_OK_AND_ASSIGN(
      store::ResultSet rs,
      db().Execute(ctx_, "SELECT published_at, attempts FROM outbox WHERE id = ?", {int64_t{42}}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64(0), 0);
  EXPECT_EQ(rs.front().Int64(1), 1);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(BusOutboxTest);

}  // namespace
}  // namespace daira
