// The ratelimit::RateLimiter conformance suite, instantiated per backend: /memory (always) and /redis (the
// shared test Redis from DAIRA_TEST_REDIS; with CI=true a missing server fails every /redis case).
//
// Both backends run on a ManualClock: the Redis limiter sends the client clock to its script (the
// default), so window edges are checked exactly on both. RedisRateLimiterTest covers what only Redis
// has: two limiter instances sharing one limit, the server-time mode, and the failure policy (a private
// Redis that the test kills).

#include "daira/ratelimit/rate_limiter.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/memory/memory_rate_limiter.h"
#include "backends/redis/redis_rate_limiter.h"
#include "cache_test_support.h"
#include "daira/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"

namespace daira::ratelimit {
namespace {

using ::daira::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::minutes;
using ::testing::HasSubstr;

class RateLimiterTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<RateLimiter> Open(RateLimiterOptions o) {
    o.clock = &clock_;
    if (GetParam() == "memory") {
      auto l = backends::memory::MemoryRateLimiter::Open(std::move(o));
      EXPECT_TRUE(l.ok()) << l.status();
      return l.ok() ? *std::move(l) : nullptr;
    }
    if (daira::testing::RedisTestUrl().empty()) {
      ADD_FAILURE() << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
      return nullptr;
    }
    auto l = backends::redis::RedisRateLimiter::Open(opener_.RedisUrl(), std::move(o));
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *std::move(l) : nullptr;
  }
  static RateLimiterOptions One(std::string endpoint, Limit limit) {
    RateLimiterOptions o;
    o.limits[std::move(endpoint)] = limit;
    return o;
  }
  Decision MustCheck(RateLimiter& l, std::string_view key, std::string_view endpoint, int64_t cost = 1) {
    absl::StatusOr<Decision> d = l.Check(key, endpoint, cost);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Decision{};
  }

  // A whole second: the fixed windows of 1 s (and 1 min) start exactly here.
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000040)}};
  daira::testing::TestCacheOpener opener_;  // drops every Redis key it handed a prefix for
};

TEST_P(RateLimiterTest, SlidingWindowIsExactAtWindowEdges) {
  auto l = Open(One("e", {.count = 3, .window = milliseconds(1000)}));
  ASSERT_NE(l, nullptr);
  for (int64_t want_remaining : {2, 1, 0}) {
    Decision d = MustCheck(*l, "k", "e");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, want_remaining);
    EXPECT_EQ(d.limit, 3);
    EXPECT_EQ(d.reset_after, milliseconds(1000));
    EXPECT_EQ(d.retry_after, milliseconds(0));
  }
  // Full: the next unit fits once the next window has started and 1/3 of this one slid out.
  Decision d = MustCheck(*l, "k", "e");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.retry_after, milliseconds(1334));
  clock_.Advance(milliseconds(999));
  d = MustCheck(*l, "k", "e");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(335));
  EXPECT_EQ(d.reset_after, milliseconds(1));
  // Next window: the previous 3 still weigh 3 * (1000 - elapsed) / 1000.
  clock_.Advance(milliseconds(1));
  d = MustCheck(*l, "k", "e");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(334));
  EXPECT_EQ(d.reset_after, milliseconds(1000));
  clock_.Advance(milliseconds(333));  // 3 * 667 / 1000 + 1 = 3.001 > 3
  d = MustCheck(*l, "k", "e");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(1));
  clock_.Advance(milliseconds(1));  // 3 * 666 / 1000 + 1 = 2.998 <= 3
  d = MustCheck(*l, "k", "e");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  // Two windows later nothing weighs any more.
  clock_.Advance(milliseconds(2000));
  d = MustCheck(*l, "k", "e");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 2);
}

TEST_P(RateLimiterTest, CostIsAllOrNothingAndRefusalsAreNotCounted) {
  auto l = Open(One("e", {.count = 3, .window = minutes(1)}));
  ASSERT_NE(l, nullptr);
  Decision d = MustCheck(*l, "k", "e", 2);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 1);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(MustCheck(*l, "k", "e", 2).allowed);
  d = MustCheck(*l, "k", "e", 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
}

TEST_P(RateLimiterTest, KeysAndEndpointsAreCountedSeparately) {
  RateLimiterOptions o = One("a", {.count = 1, .window = minutes(1)});
  o.limits["b"] = {.count = 1, .window = minutes(1)};
  auto l = Open(std::move(o));
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(MustCheck(*l, "k1", "a").allowed);
  EXPECT_FALSE(MustCheck(*l, "k1", "a").allowed);
  EXPECT_TRUE(MustCheck(*l, "k2", "a").allowed);
  EXPECT_TRUE(MustCheck(*l, "k1", "b").allowed);
}

TEST_P(RateLimiterTest, DefaultLimitAppliesToUnlistedEndpoints) {
  RateLimiterOptions o;
  o.default_limit = Limit{.count = 2, .window = minutes(1)};
  auto l = Open(std::move(o));
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(MustCheck(*l, "k", "anything").allowed);
  Decision d = MustCheck(*l, "k", "anything");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 2);
  EXPECT_FALSE(MustCheck(*l, "k", "anything").allowed);
}

TEST_P(RateLimiterTest, GcraSpacesUnitsAndAllowsABurstOfCount) {
  auto l = Open(One("g", {.count = 10, .window = milliseconds(1000), .algorithm = Algorithm::kGcra}));
  ASSERT_NE(l, nullptr);
  for (int64_t i = 0; i < 10; ++i) {
    Decision d = MustCheck(*l, "k", "g");
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.reset_after, milliseconds(100 * (i + 1)));
  }
  Decision d = MustCheck(*l, "k", "g");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(100));  // one unit every 1000 / 10 ms
  clock_.Advance(milliseconds(99));
  d = MustCheck(*l, "k", "g");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(1));
  clock_.Advance(milliseconds(1));
  d = MustCheck(*l, "k", "g");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  // A cost of 3 waits for 3 units to drip out.
  d = MustCheck(*l, "k", "g", 3);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(300));
  clock_.Advance(milliseconds(1000));
  d = MustCheck(*l, "k", "g");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 9);
}

TEST_P(RateLimiterTest, EightThreadsNeverGetMoreThanTheLimit) {
  auto l = Open(One("e", {.count = 100, .window = minutes(1)}));
  ASSERT_NE(l, nullptr);
  std::atomic<int> allowed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        absl::StatusOr<Decision> d = l->Check("shared", "e");
        if (!d.ok()) {
          ++errors;
        } else if (d->allowed) {
          ++allowed;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(allowed.load(), 100);  // 320 checks, the clock does not move
}

TEST_P(RateLimiterTest, BadInputIsInvalidArgumentNamingTheField) {
  auto l = Open(One("e", {.count = 3, .window = minutes(1)}));
  ASSERT_NE(l, nullptr);
  EXPECT_THAT(l->Check("", "e"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key")));
  EXPECT_THAT(l->Check("k", ""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint")));
  EXPECT_THAT(l->Check("k", "unknown"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("default_limit")));
  EXPECT_THAT(l->Check("k", "e", 0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cost")));
  EXPECT_THAT(l->Check("k", "e", 4), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cost")));
}

TEST_P(RateLimiterTest, BadLimitsAreRefusedAtOpen) {
  RateLimiterOptions zero_window = One("e", {.count = 3, .window = milliseconds(0)});
  RateLimiterOptions zero_count = One("e", {.count = 0, .window = minutes(1)});
  if (GetParam() == "memory") {
    EXPECT_THAT(backends::memory::MemoryRateLimiter::Open(zero_window).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
    EXPECT_THAT(backends::memory::MemoryRateLimiter::Open(zero_count).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("count")));
  } else {
    ASSERT_FALSE(daira::testing::RedisTestUrl().empty()) << "DAIRA_TEST_REDIS is not set";
    EXPECT_THAT(backends::redis::RedisRateLimiter::Open(opener_.RedisUrl(), zero_window).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
    EXPECT_THAT(backends::redis::RedisRateLimiter::Open(opener_.RedisUrl(), zero_count).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("count")));
  }
}

INSTANTIATE_TEST_SUITE_P(RateLimiter, RateLimiterTest, ::testing::ValuesIn(daira::testing::RedisBackends()),
                         daira::testing::BackendName());

TEST(MemoryRateLimiterTest, MemoryIsBoundedByMaxKeys) {
  ManualClock clock{Clock::TimePoint{std::chrono::seconds(1700000040)}};
  RateLimiterOptions o;
  o.default_limit = Limit{.count = 1, .window = minutes(1)};
  o.clock = &clock;
  auto l = backends::memory::MemoryRateLimiter::Open(o, {.max_keys = 8, .shards = 2});
  ASSERT_TRUE(l.ok()) << l.status();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*l)->Check(std::to_string(i), "e").ok());
  EXPECT_LE((*l)->size(), 8);
  EXPECT_GE((*l)->evictions(), 92);
}

// Only Redis: several limiter instances on one server, server time, the failure policy.
class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (daira::testing::RedisTestUrl().empty()) {
      if (daira::testing::RedisBackends().size() > 1) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true)";
      GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: Redis is NOT covered";
    }
  }
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000040)}};
  daira::testing::TestCacheOpener opener_;
};

TEST_F(RedisRateLimiterTest, TwoInstancesOnOneServerShareTheLimit) {
  RateLimiterOptions o;
  o.limits["e"] = {.count = 4, .window = minutes(1)};
  o.clock = &clock_;
  const std::string url = opener_.RedisUrl();
  auto a = backends::redis::RedisRateLimiter::Open(url, o);
  auto b = backends::redis::RedisRateLimiter::Open(url, o);
  ASSERT_TRUE(a.ok() && b.ok());
  int allowed = 0;
  for (int i = 0; i < 5; ++i) {
    for (auto* l : {a->get(), b->get()}) {
      absl::StatusOr<Decision> d = l->Check("k", "e");
      ASSERT_TRUE(d.ok()) << d.status();
      allowed += d->allowed ? 1 : 0;
    }
  }
  EXPECT_EQ(allowed, 4);
  EXPECT_THAT((*a)->RedisKey("k", "e"), HasSubstr("ratelimit:{k}:e"));
}

TEST_F(RedisRateLimiterTest, ServerTimeModeCounts) {
  RateLimiterOptions o;
  o.limits["e"] = {.count = 2, .window = minutes(10)};
  auto l = backends::redis::RedisRateLimiter::Open(opener_.RedisUrl(), o, {.use_server_time = true});
  ASSERT_TRUE(l.ok()) << l.status();
  // Two windows may straddle a 10-minute boundary of the server's clock: at most one extra unit then.
  int allowed = 0;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Decision> d = (*l)->Check("k", "e");
    ASSERT_TRUE(d.ok()) << d.status();
    allowed += d->allowed ? 1 : 0;
  }
  EXPECT_GE(allowed, 2);
  EXPECT_LE(allowed, 3);
}

TEST_F(RedisRateLimiterTest, RedisDownFailsOpenByDefaultAndClosedWhenAsked) {
  auto server = daira::testing::PrivateRedis::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RateLimiterOptions o;
  o.limits["e"] = {.count = 1, .window = minutes(1)};
  o.clock = &clock_;
  auto open = backends::redis::RedisRateLimiter::Open((*server)->url(), o);
  o.on_failure = FailurePolicy::kFailClosed;
  auto closed = backends::redis::RedisRateLimiter::Open((*server)->url(), o);
  ASSERT_TRUE(open.ok() && closed.ok());
  ASSERT_TRUE((*open)->Check("k", "e").ok());
  ASSERT_OK((*server)->Kill());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Decision> d = (*open)->Check("k", "e");
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_TRUE(d->allowed);
    EXPECT_TRUE(d->degraded);
    EXPECT_THAT((*closed)->Check("k", "e"), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ((*open)->failed_open(), 3);
  // Two more failures open the breaker (5 in a row): checks then skip Redis and follow the policy.
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*open)->Check("k", "e").ok());
  EXPECT_EQ((*open)->breaker().state(), resilience::BreakerState::kOpen);
  const int64_t failures = (*open)->breaker().counts().failures;
  absl::StatusOr<Decision> d = (*open)->Check("k", "e");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->degraded);
  EXPECT_EQ((*open)->breaker().counts().failures, failures);  // Redis was not called
  EXPECT_EQ((*open)->breaker().counts().rejected, 1);
  EXPECT_THAT((*closed)->Check("k", "e"), StatusIs(absl::StatusCode::kUnavailable));
  for (int i = 0; i < 2; ++i) (void)(*closed)->Check("k", "e");
  EXPECT_THAT((*closed)->Check("k", "e"), StatusIs(absl::StatusCode::kUnavailable,
                                                   HasSubstr("circuit breaker redis rate limiter is open")));
  // Bad input is still refused while Redis is down.
  EXPECT_THAT((*open)->Check("", "e"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace daira::ratelimit
