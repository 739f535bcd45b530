// `daira queues` end to end on a temporary SQLite database: counts, --stuck, dlq, replay (docs/cli.md).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cache_test_support.h"
#include "daira/bus/queue.h"
#include "daira/store/database.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

namespace daira {
namespace {

using ::testing::HasSubstr;

struct Ran {
  int code = -1;
  std::string out, err;
};

class QueuesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("daira-queues-cli-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "q.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Ran Run(const std::string& args) {
    const std::string cmd = "env -u DAIRA_DATABASE '" + std::string(DAIRA_CLI_BINARY) + "' --database '" +
                            url_ + "' " + args + " >'" + (dir_ / "out").string() + "' 2>'" +
                            (dir_ / "err").string() + "'";
    const int status = std::system(cmd.c_str());
    Ran r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream o, e;
    o << std::ifstream(dir_ / "out").rdbuf();
    e << std::ifstream(dir_ / "err").rdbuf();
    r.out = o.str();
    r.err = e.str();
    return r;
  }
  std::filesystem::path dir_;
  std::string url_;
};

TEST_F(QueuesCliTest, CountsStuckDeadLettersAndReplay) {
  ASSERT_EQ(Run("migrate").code, 0);
  int64_t dead_id = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url_));
    ASSERT_OK_AND_ASSIGN(auto q, bus::OpenQueue("sqlite:", db.get(), url_));
    RequestContext ctx;
    bus::EnqueueRequest r;
    r.queue = "webhooks.deliver";
    r.max_attempts = 1;
    ASSERT_OK_AND_ASSIGN(auto first, q->Enqueue(ctx, r));
    dead_id = first.id;
    ASSERT_OK(q->Enqueue(ctx, r).status());
    ASSERT_OK(q->Enqueue(ctx, r).status());
    ASSERT_OK_AND_ASSIGN(auto job,
                         q->Next(ctx, "webhooks.deliver", "cli-test-worker", std::chrono::milliseconds(0)));
    ASSERT_TRUE(job.has_value());
    ASSERT_OK(q->Fail(ctx, *job, "HTTP 500 from the receiver"));
    ASSERT_OK_AND_ASSIGN(auto held,
                         q->Next(ctx, "webhooks.deliver", "cli-test-worker", std::chrono::milliseconds(0)));
    ASSERT_TRUE(held.has_value());  // stays active: listed by --stuck
    bus::RepeatableRequest nightly;
    nightly.queue = "trending.refresh";
    nightly.key = "nightly";
    nightly.cron = "30 2 * * *";
    ASSERT_OK(q->AddRepeatable(ctx, nightly).status());
  }
  Ran counts = Run("queues");
  ASSERT_EQ(counts.code, 0) << counts.err;
  EXPECT_THAT(counts.out, HasSubstr("bus  sqlite"));
  EXPECT_THAT(counts.out, HasSubstr("video.transcode"));
  EXPECT_THAT(counts.out, ::testing::ContainsRegex("webhooks.deliver +1 +0 +1 +0 +1"));
  Ran json = Run("queues --json");
  EXPECT_THAT(
      json.out,
      HasSubstr(R"("queue":"webhooks.deliver","waiting":1,"delayed":0,"active":1,"completed":0,"dead":1)"));
  // The bus's own metrics: the failed attempt above (no completion), with its latencies measured.
  EXPECT_THAT(counts.out, HasSubstr("jobs/s 1m  jobs/s 5m  wait p50  wait p99   run p50   run p99"));
  EXPECT_THAT(counts.out,
              ::testing::ContainsRegex(
                  "webhooks.deliver +0 +1 +[0-9.e+-]+ +[0-9.e+-]+ +[0-9.]+(us|ms|s) +[0-9.]+(us|ms|s) "
                  "+[0-9.]+(us|ms|s) +[0-9.]+(us|ms|s)"));
  EXPECT_THAT(counts.out, ::testing::ContainsRegex("video.transcode +0 +0 +0 +0 +- +- +- +-"));
  EXPECT_THAT(json.out,
              ::testing::ContainsRegex(
                  R"("queue":"webhooks.deliver",[^{]*"last_1m":\{"span_s":[0-9]+,"completed":0,"failed":1,)"
                  R"("throughput":[0-9.e-]+,"wait":\{"samples":1,"p50_us":[0-9]+,"p99_us":[0-9]+\},)"
                  R"("run":\{"samples":1,)"));
  EXPECT_THAT(json.out, HasSubstr(R"("last_5m":{"span_s":)"));
  EXPECT_THAT(counts.out, HasSubstr("1 repeatable job(s)"));
  EXPECT_THAT(counts.out, ::testing::ContainsRegex("trending.refresh  nightly  cron 30 2 \\* \\* \\*  next [0-9-]+T02:30:00Z  last -"));
  EXPECT_THAT(json.out, HasSubstr(R"("repeatables":[{"queue":"trending.refresh","key":"nightly","name":"","schedule":"cron 30 2 * * *")"));
  Ran stuck = Run("queues --stuck");
  EXPECT_EQ(stuck.code, 0);
  EXPECT_THAT(stuck.out, HasSubstr("owner cli-test-worker"));
  Ran dlq = Run("queues dlq webhooks.deliver");
  EXPECT_EQ(dlq.code, 0);
  EXPECT_THAT(dlq.out, HasSubstr(std::to_string(dead_id)));
  EXPECT_THAT(dlq.out, HasSubstr("HTTP 500 from the receiver"));
  Ran replay = Run("queues replay webhooks.deliver " + std::to_string(dead_id));
  EXPECT_EQ(replay.code, 0);
  EXPECT_THAT(replay.out, HasSubstr("replayed 1 job(s)"));
  EXPECT_THAT(Run("queues dlq webhooks.deliver").out, HasSubstr("0 dead job(s)"));
  Ran unknown = Run("queues dlq no.such.queue");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("queue"));
}

TEST_F(QueuesCliTest, WorkerDrainRunsTheCommandPerJobAndCompletesOrFails) {
  ASSERT_EQ(Run("migrate").code, 0);
  int64_t ok_id = 0, bad_id = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url_));
    ASSERT_OK_AND_ASSIGN(auto q, bus::OpenQueue("sqlite:", db.get(), url_));
    RequestContext ctx;
    bus::EnqueueRequest r;
    r.queue = "webhooks.deliver";
    r.max_attempts = 1;
    r.payload = R"({"n":1})";
    ASSERT_OK_AND_ASSIGN(auto a, q->Enqueue(ctx, r));
    ok_id = a.id;
    r.payload = R"({"fail":true})";
    ASSERT_OK_AND_ASSIGN(auto b, q->Enqueue(ctx, r));
    bad_id = b.id;
  }
  Ran w =
      Run("worker webhooks.deliver --drain --exec "
          "'if grep -q fail; then echo bad receiver >&2; exit 3; fi; echo \"{\\\"seen\\\":$DAIRA_JOB_ID}\"'");
  ASSERT_EQ(w.code, 0) << w.err;
  EXPECT_THAT(w.out, HasSubstr("completed 1  failed 1"));
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url_));
  ASSERT_OK_AND_ASSIGN(auto q, bus::OpenQueue("sqlite:", db.get(), url_));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(bus::Job ok, q->Get(ctx, ok_id));
  EXPECT_EQ(ok.state, bus::JobState::kCompleted);
  EXPECT_THAT(ok.result, HasSubstr("\"seen\":" + std::to_string(ok_id)));
  ASSERT_OK_AND_ASSIGN(bus::Job bad, q->Get(ctx, bad_id));
  EXPECT_EQ(bad.state, bus::JobState::kDead);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].message, "exit 3: bad receiver");
  Ran unknown = Run("worker no.such.queue --drain --exec true");
  EXPECT_EQ(unknown.code, 2);
}

TEST_F(QueuesCliTest, WorkerDrainRelaysTheOutboxOfARedisBusFirst) {
  if (testing::RedisTestUrl().empty()) {
    if (testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: worker --drain on a Redis bus is NOT covered";
  }
  ASSERT_EQ(Run("migrate").code, 0);
  testing::TestCacheOpener prefixes;  // a fresh key prefix, every key under it deleted afterwards
  const std::string bus_url = prefixes.RedisUrl("relay_interval_ms=0");
  // A committed outbox row no relay has moved yet (its process died after the commit).
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url_));
  ASSERT_OK(
      db->Execute(ctx,
                  "INSERT INTO outbox (id, topic, payload, correlation_id, attempts, created_at) "
                  "VALUES (?, ?, ?, ?, 0, ?)",
                  {int64_t{7}, std::string("bus:webhooks.deliver"),
                   store::Value::Json(R"({"queue":"webhooks.deliver","name":"hook","payload":"{\"n\":1}",)"
                                      R"("priority":0,"run_at":0,"max_attempts":1,"idempotency_key":"",)"
                                      R"("group_key":""})"),
                   std::string("req-1"), int64_t{1}})
          .status());
  Ran w = Run("worker webhooks.deliver --drain --bus '" + bus_url + "' --exec 'cat >/dev/null'");
  ASSERT_EQ(w.code, 0) << w.err;
  EXPECT_THAT(w.out, HasSubstr("completed 1  failed 0"));
  ASSERT_OK_AND_ASSIGN(store::ResultSet rows, db->Execute(ctx, "SELECT COUNT(*) FROM outbox"));
  EXPECT_EQ(rows.front().Int64(0), 0);
  ASSERT_OK_AND_ASSIGN(auto q, bus::OpenQueue(bus_url, db.get(), url_));
  ASSERT_OK_AND_ASSIGN(bus::Job job, q->Get(ctx, 7));
  EXPECT_EQ(job.state, bus::JobState::kCompleted);
  EXPECT_EQ(job.correlation_id, "req-1");
  // `daira queues` on the Redis bus shows its circuit breaker and the completed attempt's metrics.
  Ran queues = Run("queues --bus '" + bus_url + "'");
  ASSERT_EQ(queues.code, 0) << queues.err;
  EXPECT_THAT(queues.out, ::testing::ContainsRegex("breaker  closed  successes [1-9][0-9]*  failures [0-9]+  "
                                                   "rejected 0  opened 0"));
  EXPECT_THAT(queues.out, ::testing::ContainsRegex("webhooks.deliver +1 +0 "));
  Ran json = Run("queues --json --bus '" + bus_url + "'");
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out,
              ::testing::ContainsRegex(R"("bus":"redis","breaker":\{"state":"closed","successes":[0-9]+,)"
                                       R"("failures":[0-9]+,"rejected":0,"opened":0\})"));
}

}  // namespace
}  // namespace daira
