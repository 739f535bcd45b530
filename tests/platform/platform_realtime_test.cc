// Platform wiring of the `realtime` concern: memory: by default, redis://… shared by instances.
#include <chrono>
#include <string>

#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_url.h"
#include "daira/platform/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

PlatformOptions Options() { return PlatformOptions{.accounts = services::AccountsOptions::ForTesting()}; }

// Deletes every key under `prefix` on `server` (SCAN + DEL; never FLUSHDB on the shared server).
void DeleteKeys(const std::string& server, const std::string& prefix) {
  auto url = backends::redis::RedisUrl::Parse(server);
  ASSERT_OK(url.status());
  ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(*url));
  std::string cursor = "0";
  do {
    ASSERT_OK_AND_ASSIGN(auto r, conn->Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"}));
    ASSERT_EQ(r.elements.size(), 2u);
    cursor = r.elements[0].str;
    for (const auto& key : r.elements[1].elements) ASSERT_OK(conn->Command({"DEL", key.str}).status());
  } while (cursor != "0");
}

TEST(PlatformRealtimeTest, TheEmbeddedDefaultIsTheInProcessHub) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open("sqlite::memory:", Options()));
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
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, Options()));
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(config, Options()));
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
  EXPECT_THAT(Platform::Open(config, Options()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("realtime")));
  ASSERT_OK_AND_ASSIGN(config, Config::FromUrls({"database=sqlite::memory:", "realtime=memory:?history=x"}));
  EXPECT_THAT(Platform::Open(config, Options()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history")));
}

}  // namespace
}  // namespace daira
