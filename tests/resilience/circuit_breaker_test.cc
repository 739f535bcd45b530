// resilience::CircuitBreaker: every state transition, on a ManualClock (no sleeps).

#include "daira/resilience/circuit_breaker.h"

#include <atomic>
#include <thread>
#include <vector>

#include "daira/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::resilience {
namespace {

using ::daira::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

const absl::Status kDown = absl::UnavailableError("down");

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerOptions Options() {
    CircuitBreakerOptions o;
    o.name = "test";
    o.consecutive_failures = 3;
    o.failure_rate = 0;  // only the consecutive rule unless a test turns it on
    o.cool_down = milliseconds(1000);
    o.clock = &clock_;
    return o;
  }
  absl::Status Fail(CircuitBreaker& b) {
    return b.Call([] { return kDown; });
  }
  absl::Status Succeed(CircuitBreaker& b) {
    return b.Call([] { return absl::OkStatus(); });
  }

  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
};

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndRejects) {
  CircuitBreaker b(Options());
  EXPECT_THAT(Fail(b), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("down")));
  EXPECT_THAT(Fail(b), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_OK(Succeed(b));  // a success breaks the run
  EXPECT_EQ(b.counts().consecutive_failures, 0);
  for (int i = 0; i < 3; ++i) (void)Fail(b);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  bool called = false;
  EXPECT_THAT(b.Call([&] {
    called = true;
    return absl::OkStatus();
  }),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit breaker test is open")));
  EXPECT_FALSE(called);
  BreakerCounts c = b.counts();
  EXPECT_EQ(c.failures, 5);
  EXPECT_EQ(c.successes, 1);
  EXPECT_EQ(c.rejected, 1);
  EXPECT_EQ(c.opened, 1);
}

TEST_F(CircuitBreakerTest, AnswersThatAreNotFailuresDoNotOpenIt) {
  CircuitBreaker b(Options());
  for (int i = 0; i < 10; ++i) (void)b.Call([] { return absl::NotFoundError("no such row"); });
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.counts().failures, 0);
}

TEST_F(CircuitBreakerTest, HalfOpenAfterCoolDownLetsOneProbeThroughThenCloses) {
  CircuitBreaker b(Options());
  for (int i = 0; i < 3; ++i) (void)Fail(b);
  clock_.Advance(milliseconds(999));
  EXPECT_THAT(b.Allow(), StatusIs(absl::StatusCode::kUnavailable));
  clock_.Advance(milliseconds(1));
  ASSERT_OK(b.Allow());  // the probe
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_THAT(b.Allow(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("half-open")));  // only one
  b.Record(absl::OkStatus());
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_OK(Succeed(b));
}

TEST_F(CircuitBreakerTest, FailedProbeReopensForANewCoolDown) {
  CircuitBreaker b(Options());
  for (int i = 0; i < 3; ++i) (void)Fail(b);
  clock_.Advance(milliseconds(1000));
  EXPECT_THAT(Fail(b), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("down")));  // the probe ran
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.counts().opened, 2);
  clock_.Advance(milliseconds(999));
  EXPECT_THAT(b.Allow(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("is open")));
  clock_.Advance(milliseconds(1));
  EXPECT_OK(Succeed(b));
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, OpensOnFailureRateOverTheWindow) {
  CircuitBreakerOptions o = Options();
  o.consecutive_failures = 0;
  o.failure_rate = 0.5;
  o.min_calls = 4;
  o.window = milliseconds(10000);
  CircuitBreaker b(o);
  (void)Fail(b);
  EXPECT_OK(Succeed(b));
  (void)Fail(b);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // 3 calls < min_calls
  // A new window forgets the old calls.
  clock_.Advance(milliseconds(10000));
  EXPECT_OK(Succeed(b));
  EXPECT_EQ(b.counts().window_calls, 1);
  EXPECT_OK(Succeed(b));
  (void)Fail(b);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // 1 of 3
  (void)Fail(b);                                // 2 of 4 = 0.5
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, FallbackServesRejectedCalls) {
  CircuitBreaker b(Options());
  for (int i = 0; i < 3; ++i) (void)Fail(b);
  absl::Status seen;
  absl::Status s = b.Call([] { return kDown; },
                          [&](absl::Status why) {
                            seen = why;
                            return absl::OkStatus();
                          });
  EXPECT_OK(s);
  EXPECT_THAT(seen, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit breaker")));
}

TEST_F(CircuitBreakerTest, HalfOpenLetsExactlyOneProbeAmongThreads) {
  CircuitBreaker b(Options());
  for (int i = 0; i < 3; ++i) (void)Fail(b);
  clock_.Advance(milliseconds(1000));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) allowed += b.Allow().ok() ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1);
  EXPECT_EQ(b.counts().rejected, 399);
}

}  // namespace
}  // namespace daira::resilience
