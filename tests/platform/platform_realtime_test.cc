// Platform wiring of the `realtime` concern: memory: by default, redis://… shared by instances.
#include <chrono>
#include <string>

#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_url.h"
#include "daira/platform/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform_test_options.h"
#include "private_redis.h"
#include "redis_test_keys.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(PlatformRealtimeTest, TheEmbeddedDefaultIsTheInProcessHub) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open("sqlite::memory:", TestOptions()));
  EXPECT_EQ(platform->realtime().Name(), "memory");
  ASSERT_OK_AND_ASSIGN(auto sub, platform->realtime().Subscribe("user:1"));
  ASSERT_OK(platform->presence().Heartbeat(UserId(1), "phone"));
  auto m = sub->Next(10000ms);
  ASSERT_OK(m.status());
  EXPECT_THAT(m->payload, HasSubstr("online"));
  ASSERT_OK(platform->typing().Start(ConversationId(3), UserId(1)).status());
  ASSERT_OK(platform->Close());
  EXPECT_THAT(sub->Next(1ms), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PlatformRealtimeTest, TwoInstancesOnOneRedisExchangeMessagesAndPresence) {
  const std::string redis = testing::RedisTestUrl();
  if (redis.empty()) {
    if (testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is unset (CI=true)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is unset: realtime=redis:// on the Platform is NOT covered";
  }
  const std::string prefix = testing::UniqueRedisPrefix();
  const std::string url = redis + (redis.find('?') == std::string::npos ? "?" : "&") + "prefix=" + prefix;
  ASSERT_OK_AND_ASSIGN(Config config, Config::FromUrls({"database=sqlite::memory:", "realtime=" + url}));
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, TestOptions()));
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(config, TestOptions()));
  EXPECT_EQ(a->realtime().Name(), "redis");
  ASSERT_OK_AND_ASSIGN(auto on_b, b->realtime().Subscribe("user:*"));
  ASSERT_OK(a->realtime().Publish("user:9", "hello from a").status());
  auto m = on_b->Next(10000ms);
  ASSERT_OK(m.status());
  EXPECT_EQ(m->payload, "hello from a");
  ASSERT_OK(a->presence().Heartbeat(UserId(9), "phone"));
  m = on_b->Next(10000ms);
  ASSERT_OK(m.status());
  EXPECT_THAT(m->payload, HasSubstr(R"("user_id":"9","status":"online")"));
  ASSERT_OK_AND_ASSIGN(auto seen_by_b, b->presence().Get(UserId(9)));
  EXPECT_EQ(seen_by_b.status, realtime::PresenceStatus::kOnline);
  a.reset();
  b.reset();
  DeleteKeys(redis, prefix);
}

TEST(PlatformRealtimeTest, AnUnreachableRealtimeRedisFailsOpenNamingTheConcern) {
  ASSERT_OK_AND_ASSIGN(Config config,
                       Config::FromUrls({"database=sqlite::memory:",
                                         "realtime=redis://127.0.0.1:1/0?connect_timeout_ms=200"}));
  EXPECT_THAT(Platform::Open(config, TestOptions()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("realtime")));
  ASSERT_OK_AND_ASSIGN(config, Config::FromUrls({"database=sqlite::memory:", "realtime=memory:?history=x"}));
  EXPECT_THAT(Platform::Open(config, TestOptions()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history")));
}

}  // namespace
}  // namespace daira
