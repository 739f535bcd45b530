// Rate limits wired into the Platform: login attempts and post creation limited by default, configurable
// and switchable off, ResourceExhausted with a retry-after payload; the limiter follows the cache (an
// in-process one for memory:, the Redis one for redis://). A ManualClock moves the limiter's windows.
#include <chrono>
#include <memory>
#include <string>

#include "cache_test_support.h"
#include "daira/core/config.h"
#include "daira/platform/platform.h"
#include "daira/ratelimit/enforce.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::minutes;
using ::testing::AllOf;
using ::testing::HasSubstr;

class PlatformRateLimitTest : public ::testing::Test {
 protected:
  PlatformOptions Options() {
    // Only the limiter runs on the manual clock (moving the platform's would expire its node lease).
    PlatformOptions o{.accounts = services::AccountsOptions::ForTesting()};
    o.rate_limits.limiter.clock = &clock_;
    return o;
  }
  absl::Status Login(Platform& p, std::string_view ip, std::string_view password = "wrong password!") {
    return p.accounts()
        .Login(ctx_, {.identifier = "alice", .password = std::string(password)},
               {.ip_address = std::string(ip)})
        .status();
  }
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000040)}};
  RequestContext ctx_;
};

TEST_F(PlatformRateLimitTest, LoginAttemptsAreLimitedPerIdentifierAndIpByDefault) {
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(Config::Embedded(":memory:"), Options()));
  EXPECT_EQ(p->rate_limits().Name(), "memory");
  ASSERT_OK(
      p->accounts()
          .Register(ctx_,
                    {.email = "a@example.com", .username = "alice", .password = "correct horse battery"})
          .status());
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(Login(*p, "203.0.113.7"), StatusIs(absl::StatusCode::kUnauthenticated)) << i;
  }
  absl::Status refused = Login(*p, "203.0.113.7", "correct horse battery");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("login")));
  std::optional<milliseconds> wait = ratelimit::RetryAfter(refused);
  ASSERT_TRUE(wait.has_value());
  EXPECT_GT(*wait, milliseconds(0));
  EXPECT_LE(*wait, minutes(2));
  // Another address is counted apart.
  EXPECT_THAT(Login(*p, "203.0.113.8"), StatusIs(absl::StatusCode::kUnauthenticated));
  clock_.Advance(*wait);
  EXPECT_OK(Login(*p, "203.0.113.7", "correct horse battery"));
}

TEST_F(PlatformRateLimitTest, PostCreationIsLimitedPerAuthorAndConfigurable) {
  PlatformOptions o = Options();
  o.rate_limits.post_create = {.count = 2, .window = minutes(1)};
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(Config::Embedded(":memory:"), o));
  ASSERT_OK_AND_ASSIGN(
      model::User alice,
      p->accounts().Register(
          ctx_, {.email = "a@example.com", .username = "alice", .password = "correct horse battery"}));
  ASSERT_OK(p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "one"}).status());
  ASSERT_OK(p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "two"}).status());
  absl::Status refused =
      p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "three"}).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("post.create")));
  EXPECT_TRUE(ratelimit::RetryAfter(refused).has_value());
  clock_.Advance(minutes(2));
  EXPECT_OK(p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "three"}).status());
}

TEST_F(PlatformRateLimitTest, LimitsCanBeTurnedOff) {
  PlatformOptions o = Options();
  o.rate_limits.login.count = 0;  // logins only
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(Config::Embedded(":memory:"), o));
  for (int i = 0; i < 15; ++i)
    EXPECT_THAT(Login(*p, "203.0.113.7"), StatusIs(absl::StatusCode::kUnauthenticated));
  o.rate_limits.backend = "off";  // everything
  ASSERT_OK_AND_ASSIGN(auto q, Platform::Open(Config::Embedded(":memory:"), o));
  EXPECT_TRUE(q->rate_limits().options().limits.empty());
  for (int i = 0; i < 15; ++i)
    EXPECT_THAT(Login(*q, "203.0.113.7"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PlatformRateLimitTest, RateLimitEntriesOfTheConfigApplyOverTheCodesLimits) {
  PlatformOptions o = Options();
  o.rate_limits.post_create = {.count = 30, .window = minutes(1)};
  ASSERT_OK_AND_ASSIGN(Config config,
                       Config::FromUrls({"database=sqlite::memory:",
                                         "ratelimit=post.create:2/1m,login:0/1m,api.search:3/10s:gcra"}));
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(config, o));
  const auto& limits = p->rate_limits().options().limits;
  ASSERT_TRUE(limits.contains("post.create"));
  EXPECT_EQ(limits.at("post.create").count, 2);
  EXPECT_FALSE(limits.contains("login")) << "login:0/1m turns the login limit off";
  ASSERT_TRUE(limits.contains("api.search"));
  EXPECT_EQ(limits.at("api.search").algorithm, ratelimit::Algorithm::kGcra);
  EXPECT_EQ(limits.at("api.search").window, std::chrono::seconds(10));

  ASSERT_OK_AND_ASSIGN(
      model::User alice,
      p->accounts().Register(
          ctx_, {.email = "a@example.com", .username = "alice", .password = "correct horse battery"}));
  ASSERT_OK(p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "one"}).status());
  ASSERT_OK(p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "two"}).status());
  EXPECT_THAT(p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "three"}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("post.create")));
  for (int i = 0; i < 15; ++i)
    EXPECT_THAT(Login(*p, "203.0.113.7"), StatusIs(absl::StatusCode::kUnauthenticated)) << i;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(ratelimit::Decision d, p->rate_limits().Check("alice", "api.search"));
    EXPECT_TRUE(d.allowed) << i;
  }
  ASSERT_OK_AND_ASSIGN(ratelimit::Decision d, p->rate_limits().Check("alice", "api.search"));
  EXPECT_FALSE(d.allowed);

  // An entry the platform refuses (a bad algorithm set in code, past FromUrls) names it at Open.
  Config coded = Config::Embedded(":memory:");
  coded.rate_limits.push_back({.endpoint = "api.search", .count = 3, .window = minutes(1), .algorithm = "fifo"});
  EXPECT_THAT(Platform::Open(coded, Options()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("api.search")));
  coded.rate_limits = {{.endpoint = "api.search", .count = 0, .window = minutes(1)}};
  EXPECT_THAT(Platform::Open(coded, Options()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("api.search"), HasSubstr("count"))));
}

TEST_F(PlatformRateLimitTest, BadOptionsFailAtOpenNamingThem) {
  PlatformOptions o = Options();
  o.rate_limits.backend = "carrier-pigeon";
  EXPECT_THAT(Platform::Open(Config::Embedded(":memory:"), o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rate_limits.backend")));
  o = Options();
  o.rate_limits.login.window = milliseconds(0);
  EXPECT_THAT(Platform::Open(Config::Embedded(":memory:"), o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
}

TEST_F(PlatformRateLimitTest, ARedisCacheGivesTheRedisLimiterOnItsServerAndPrefix) {
  if (daira::testing::RedisTestUrl().empty()) {
    if (daira::testing::RedisBackends().size() > 1) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: Redis is NOT covered";
  }
  daira::testing::TestCacheOpener opener;
  ASSERT_OK_AND_ASSIGN(Config config,
                       Config::FromUrls({"database=sqlite::memory:", "cache=" + opener.RedisUrl()}));
  PlatformOptions o = Options();
  o.rate_limits.post_create = {.count = 1, .window = minutes(1)};
  ASSERT_OK_AND_ASSIGN(auto a, Platform::Open(config, o));
  EXPECT_EQ(a->rate_limits().Name(), "redis");
  // A second instance on the same cache URL shares the limit (the same key on the same prefix).
  ASSERT_OK_AND_ASSIGN(auto b, Platform::Open(config, o));
  ASSERT_OK_AND_ASSIGN(ratelimit::Decision d, a->rate_limits().Check("7", "post.create"));
  EXPECT_TRUE(d.allowed);
  ASSERT_OK_AND_ASSIGN(d, b->rate_limits().Check("7", "post.create"));
  EXPECT_FALSE(d.allowed);
  o.rate_limits.backend = "memory";
  ASSERT_OK_AND_ASSIGN(auto c, Platform::Open(config, o));
  EXPECT_EQ(c->rate_limits().Name(), "memory");
}

}  // namespace
}  // namespace daira
