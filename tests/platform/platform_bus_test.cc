// Platform::Open wires the event bus the `bus=` URL names (docs/bus.md): the default is the database's
// own backend; memory: works on either; a bus on the other SQL backend is refused.

#include <string>

#include "cache_test_support.h"
#include "daira/platform/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform_test_options.h"
#include "private_redis.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

class PlatformBusTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam())); }
  absl::StatusOr<std::unique_ptr<Platform>> OpenWith(const std::string& bus) {
    std::vector<std::string> entries = {"database=" + tdb_->url()};
    if (!bus.empty()) entries.push_back("bus=" + bus);
    DAIRA_ASSIGN_OR_RETURN(Config config, Config::FromUrls(entries));
    return Platform::Open(config, TestOptions());
  }
  std::unique_ptr<TestDatabase> tdb_;
  RequestContext ctx_;
};

TEST_P(PlatformBusTest, TheDefaultBusIsTheDatabaseAndJoinsAServiceTransaction) {
  ASSERT_OK_AND_ASSIGN(auto platform, OpenWith(""));
  EXPECT_EQ(platform->bus().Name(), GetParam());
  // A user and the job announcing it commit together, or not at all.
  int64_t job_id = 0;
  ASSERT_OK(platform->database().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(
        auto user, platform->accounts().Register(
                       ctx_, {.email = "a@x.io", .username = "alice", .password = "correct horse 42"}));
    bus::EnqueueRequest r;
    r.queue = "notification.email";
    r.payload = "{\"user\":" + std::to_string(user.id.value) + "}";
    DAIRA_ASSIGN_OR_RETURN(auto queued, platform->bus().Enqueue(ctx_, r));
    job_id = queued.id;
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(bus::Job job, platform->bus().Get(ctx_, job_id));
  EXPECT_EQ(job.queue, "notification.email");
  ASSERT_OK(platform->Close());
  EXPECT_THAT(platform->bus().Next(ctx_, "notification.email", "w", std::chrono::milliseconds(0)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(PlatformBusTest, MemoryBusAndQueueOverridesFromTheUrl) {
  ASSERT_OK_AND_ASSIGN(auto platform, OpenWith("memory:?video.transcode.max_attempts=7"));
  EXPECT_EQ(platform->bus().Name(), "memory");
  EXPECT_EQ(platform->bus().Settings("video.transcode")->max_attempts, 7);
  EXPECT_THAT(OpenWith("memory:?video.transcode.max_attempts=zero").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("video.transcode.max_attempts")));
  EXPECT_THAT(OpenWith("memory:?no.such.queue.concurrency=2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no.such.queue")));
}

TEST_P(PlatformBusTest, ABusOnTheOtherSqlBackendOrElsewhereIsRefused) {
  const std::string other = GetParam() == "sqlite" ? "postgres:" : "sqlite:";
  if (GetParam() == "postgres") {
    // "sqlite:" is the default and therefore means "the database's own": name another place instead.
    EXPECT_THAT(OpenWith("sqlite:./elsewhere.db").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bus")));
  } else {
    EXPECT_THAT(OpenWith(other).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bus")));
  }
  // redis:// is a bus of its own; an unreachable one fails the open (port 1: nothing listens there).
  EXPECT_THAT(OpenWith("redis://127.0.0.1:1/0").status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_P(PlatformBusTest, ARedisBusEnqueuesThroughTheDatabasesOutbox) {
  if (testing::RedisTestUrl().empty()) {
    if (testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: the Redis bus on the platform is NOT covered";
  }
  testing::TestCacheOpener prefixes;  // a fresh key prefix, every key under it deleted afterwards
  ASSERT_OK_AND_ASSIGN(auto platform, OpenWith(prefixes.RedisUrl()));
  EXPECT_EQ(platform->bus().Name(), "redis");
  int64_t job_id = 0;
  ASSERT_OK(platform->database().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(auto user,
                           platform->accounts().Register(
                               ctx_, {.email = "b@x.io", .username = "bob", .password = "correct horse 42"}));
    bus::EnqueueRequest r;
    r.queue = "notification.email";
    r.payload = "{\"user\":" + std::to_string(user.id.value) + "}";
    DAIRA_ASSIGN_OR_RETURN(auto queued, platform->bus().Enqueue(ctx_, r));
    job_id = queued.id;
    return absl::OkStatus();
  }));
  // Relayed after the commit: the job is in Redis under the id Enqueue returned; the outbox is empty.
  ASSERT_OK_AND_ASSIGN(bus::Job job, platform->bus().Get(ctx_, job_id));
  EXPECT_EQ(job.queue, "notification.email");
  ASSERT_OK_AND_ASSIGN(store::ResultSet rs,
                       platform->database().Execute(ctx_, "SELECT COUNT(*) FROM outbox"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  ASSERT_OK(platform->Close());
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PlatformBusTest);

}  // namespace
}  // namespace daira
