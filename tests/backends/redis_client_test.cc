// The shared Redis client (src/backends/redis): URL parsing, commands, pipelines, Lua, errors, the pool's
// reconnect backoff, and the subscriber read. Server cases run on the shared test Redis (DAIRA_TEST_REDIS,
// keys under a unique prefix) or, when they disturb the server, on a PrivateRedis.
#include <array>
#include <thread>

#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_pool.h"
#include "backends/redis/redis_url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::backends::redis {
namespace {

using ::daira::testing::PrivateRedis;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedisUrlTest, DefaultsAndParts) {
  ASSERT_OK_AND_ASSIGN(RedisUrl url, RedisUrl::Parse("redis://10.0.0.1"));
  EXPECT_EQ(url.host, "10.0.0.1");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0);
  EXPECT_EQ(url.pool_size, 8);
  ASSERT_OK_AND_ASSIGN(
      url, RedisUrl::Parse("redis://app:p%40ss@127.0.0.1:6380/3?prefix=t1&timeout_ms=50&pool_size=2"));
  EXPECT_EQ(url.username, "app");
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.db, 3);
  EXPECT_EQ(url.prefix, "t1");
  EXPECT_EQ(url.command_timeout.count(), 50);
  EXPECT_EQ(url.pool_size, 2);
  EXPECT_THAT(url.Redacted(), Not(HasSubstr("p@ss")));
  EXPECT_THAT(url.Redacted(), Not(HasSubstr("p%40ss")));
}

TEST(RedisUrlTest, RefusesWhatItCannotServeNamingIt) {
  EXPECT_THAT(RedisUrl::Parse("rediss://h:1/0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TLS")));
  EXPECT_THAT(RedisUrl::Parse("postgres://h/db"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scheme")));
  EXPECT_THAT(RedisUrl::Parse("redis://h/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("database")));
  EXPECT_THAT(RedisUrl::Parse("redis://h?pool_size=0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_size")));
  auto unknown = RedisUrl::Parse("redis://:hunter2@h?near_cache=1");
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("near_cache")));
  EXPECT_THAT(unknown.status().message(), Not(HasSubstr("hunter2")));
  constexpr std::array<std::string_view, 1> kExtra = {"near_cache"};
  ASSERT_OK_AND_ASSIGN(RedisUrl url, RedisUrl::Parse("redis://h?near_cache=1", kExtra));
  EXPECT_EQ(url.params.at("near_cache"), "1");
}

// The shared test server, or a failure with CI=true / a skip with a reason otherwise.
#define DAIRA_REQUIRE_TEST_REDIS(url_var)                                                          \
  const std::string url_var = ::daira::testing::RedisTestUrl();                                    \
  if (url_var.empty()) {                                                                           \
    if (::daira::testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true)";               \
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: Redis is NOT covered (scripts/test starts one)"; \
  }

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DAIRA_REQUIRE_TEST_REDIS(text);
    ASSERT_OK_AND_ASSIGN(url_, RedisUrl::Parse(text));
    ASSERT_OK_AND_ASSIGN(conn_, RedisConnection::Connect(url_));
    prefix_ = ::daira::testing::UniqueRedisPrefix();
  }
  void TearDown() override {
    if (conn_ == nullptr) return;
    auto keys = conn_->Command({"KEYS", prefix_ + "*"});
    if (keys.ok()) {
      for (const auto& k : keys->elements) (void)conn_->Command({"DEL", k.str});
    }
  }
  std::string Key(std::string_view name) { return prefix_ + std::string(name); }

  RedisUrl url_;
  std::unique_ptr<RedisConnection> conn_;
  std::string prefix_;
};

TEST_F(RedisClientTest, CommandsAreBinarySafeArgumentVectors) {
  const std::string value("a\0b\r\n$3\r\nSET", 13);
  ASSERT_OK(conn_->Command({"SET", Key("bin"), value}).status());
  ASSERT_OK_AND_ASSIGN(RedisReply got, conn_->Command({"GET", Key("bin")}));
  EXPECT_EQ(got.type, RedisReply::Type::kString);
  EXPECT_EQ(got.str, value);
  ASSERT_OK_AND_ASSIGN(RedisReply missing, conn_->Command({"GET", Key("missing")}));
  EXPECT_TRUE(missing.IsNil());
  ASSERT_OK_AND_ASSIGN(RedisReply n, conn_->Command({"INCRBY", Key("n"), "5"}));
  EXPECT_EQ(n.integer, 5);
}

TEST_F(RedisClientTest, AThousandCommandsInOnePipelineAreOneRoundTrip) {
  std::vector<std::vector<std::string>> sets, gets;
  for (int i = 0; i < 1000; ++i) {
    sets.push_back({"SET", Key("k" + std::to_string(i)), std::to_string(i)});
    gets.push_back({"GET", Key("k" + std::to_string(i))});
  }
  const uint64_t before = conn_->round_trips();
  ASSERT_OK(conn_->Pipeline(sets).status());
  ASSERT_OK_AND_ASSIGN(std::vector<RedisReply> got, conn_->Pipeline(gets));
  EXPECT_EQ(conn_->round_trips() - before, 2u);
  ASSERT_EQ(got.size(), 1000u);
  EXPECT_EQ(got[0].str, "0");
  EXPECT_EQ(got[999].str, "999");
}

TEST_F(RedisClientTest, ErrorRepliesAreStatusesAndLeaveTheConnectionUsable) {
  ASSERT_OK(conn_->Command({"SET", Key("s"), "x"}).status());
  EXPECT_THAT(conn_->Command({"LPUSH", Key("s"), "y"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("WRONGTYPE")));
  EXPECT_FALSE(conn_->broken());
  ASSERT_OK_AND_ASSIGN(auto replies, conn_->Pipeline({{"LPUSH", Key("s"), "y"}, {"GET", Key("s")}}));
  EXPECT_TRUE(replies[0].IsError());
  EXPECT_EQ(replies[1].str, "x");
}

TEST_F(RedisClientTest, LuaRunsByShaAndIsReloadedAfterTheServerForgetsIt) {
  ASSERT_OK_AND_ASSIGN(auto redis, PrivateRedis::Start());
  ASSERT_OK_AND_ASSIGN(RedisUrl url, RedisUrl::Parse(redis->url()));
  ASSERT_OK_AND_ASSIGN(auto conn, RedisConnection::Connect(url));
  const RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const std::vector<std::string> keys = {"lua"}, args = {"2"};
  ASSERT_OK_AND_ASSIGN(RedisReply r, conn->Eval(script, keys, args));
  EXPECT_EQ(r.integer, 2);
  EXPECT_FALSE(script.sha().empty());
  ASSERT_OK(conn->Command({"SCRIPT", "FLUSH"}).status());
  ASSERT_OK_AND_ASSIGN(r, conn->Eval(script, keys, args));
  EXPECT_EQ(r.integer, 4);
  const RedisScript failing("return redis.error_reply('daira: boom')");
  EXPECT_THAT(conn->Eval(failing, {}, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("boom")));
}

TEST_F(RedisClientTest, ASubscriberReadTimesOutWithoutBreakingTheConnection) {
  ASSERT_OK_AND_ASSIGN(auto sub, RedisConnection::Connect(url_));
  const std::string channel = Key("chan");
  const std::array<std::string_view, 2> subscribe = {"SUBSCRIBE", channel};
  ASSERT_OK(sub->Send(subscribe));
  ASSERT_OK_AND_ASSIGN(RedisReply confirm, sub->ReadReply(std::chrono::seconds(2)));
  ASSERT_EQ(confirm.elements.size(), 3u);
  EXPECT_EQ(confirm.elements[0].str, "subscribe");
  EXPECT_THAT(sub->ReadReply(std::chrono::milliseconds(20)), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(sub->broken());
  ASSERT_OK(conn_->Command({"PUBLISH", channel, "hello"}).status());
  ASSERT_OK_AND_ASSIGN(RedisReply message, sub->ReadReply(std::chrono::seconds(2)));
  ASSERT_EQ(message.elements.size(), 3u);
  EXPECT_EQ(message.elements[0].str, "message");
  EXPECT_EQ(message.elements[2].str, "hello");
}

TEST_F(RedisClientTest, ThePoolServesManyThreads) {
  RedisUrl small = url_;
  small.pool_size = 3;
  ASSERT_OK_AND_ASSIGN(auto pool, RedisPool::Open(small));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto lease = pool->Acquire();
        ASSERT_OK(lease.status());
        ASSERT_OK((*lease)->Command({"INCR", Key("counter")}).status());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK_AND_ASSIGN(RedisReply total, conn_->Command({"GET", Key("counter")}));
  EXPECT_EQ(total.str, "1600");
  EXPECT_LE(pool->stats().open, 3);
}

TEST_F(RedisClientTest, ARequestDeadlineThatPassedTakesNoConnection) {
  ASSERT_OK_AND_ASSIGN(auto pool, RedisPool::Open(url_));
  RequestContext ctx({.correlation_id = "", .caller = "", .timeout = std::chrono::milliseconds(1)});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let the 1 ms budget run out
  EXPECT_THAT(pool->Acquire(&ctx), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(RedisServerFaultTest, AWrongPasswordIsUnauthenticatedAndNeverShown) {
  ASSERT_OK_AND_ASSIGN(auto redis, PrivateRedis::Start({.password = "right-one"}));
  ASSERT_OK_AND_ASSIGN(RedisUrl url,
                       RedisUrl::Parse(absl::StrCat("redis://:wrong-one@127.0.0.1:", redis->port())));
  auto conn = RedisPool::Open(url);
  EXPECT_THAT(conn, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(url.Redacted())));
  EXPECT_THAT(conn.status().message(), Not(HasSubstr("wrong-one")));
  ASSERT_OK_AND_ASSIGN(RedisUrl none, RedisUrl::Parse(absl::StrCat("redis://127.0.0.1:", redis->port())));
  ASSERT_OK_AND_ASSIGN(auto unauth,
                       RedisConnection::Connect(none));  // connects; the first command is refused
  EXPECT_THAT(unauth->Command({"GET", "x"}), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(RedisUrl right, RedisUrl::Parse(redis->url()));
  EXPECT_OK(RedisPool::Open(right).status());
}

TEST(RedisServerFaultTest, AnUnreachableServerIsUnavailableNamingIt) {
  ASSERT_OK_AND_ASSIGN(auto redis, PrivateRedis::Start());
  ASSERT_OK_AND_ASSIGN(RedisUrl url, RedisUrl::Parse(redis->url()));
  ASSERT_OK(redis->Kill());
  EXPECT_THAT(RedisPool::Open(url), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url.Redacted())));
}

TEST(RedisServerFaultTest, ThePoolFailsFastWhileTheServerIsDownAndComesBackByItself) {
  ASSERT_OK_AND_ASSIGN(auto redis, PrivateRedis::Start());
  ASSERT_OK_AND_ASSIGN(RedisUrl url, RedisUrl::Parse(redis->url() + "?reconnect_backoff_max_ms=200"));
  ASSERT_OK_AND_ASSIGN(auto pool, RedisPool::Open(url));
  {
    ASSERT_OK_AND_ASSIGN(auto lease, pool->Acquire());
    ASSERT_OK(lease->Command({"SET", "k", "v"}).status());
  }
  ASSERT_OK(redis->Kill());
  {
    ASSERT_OK_AND_ASSIGN(auto lease, pool->Acquire());  // an idle connection: it fails on use
    EXPECT_THAT(lease->Command({"GET", "k"}), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_THAT(pool->Acquire(),
              StatusIs(absl::StatusCode::kUnavailable));  // a failed connect starts the backoff
  auto fast = pool->Acquire();                            // within the backoff: no connect
  EXPECT_THAT(fast, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("next reconnect attempt")));
  const uint64_t failures = pool->stats().connect_failures;
  EXPECT_GE(failures, 1u);
  ASSERT_OK(redis->Restart());
  absl::Status last;
  for (int i = 0; i < 100; ++i) {  // the backoff is at most 200 ms: the pool must be back within a few
    auto lease = pool->Acquire();
    last = lease.status();
    if (lease.ok()) {
      last = (*lease)->Command({"PING"}).status();
      if (last.ok()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_OK(last);
}

}  // namespace
}  // namespace daira::backends::redis
