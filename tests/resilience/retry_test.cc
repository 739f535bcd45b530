// resilience::Retry: which codes are retried, the backoff sequence, jitter, and the deadline bound, on a
// ManualClock (the sleep hook advances it; no real sleeps).

#include "daira/resilience/retry.h"

#include <vector>

#include "daira/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::resilience {
namespace {

using ::daira::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::ElementsAre;

class RetryTest : public ::testing::Test {
 protected:
  RetryOptions Options(double u = 0.0) {
    RetryOptions o;
    o.max_attempts = 5;
    o.initial_backoff = milliseconds(100);
    o.multiplier = 2;
    o.max_backoff = milliseconds(500);
    o.jitter = 0.5;
    o.clock = &clock_;
    o.sleep = [this](milliseconds d) {
      slept_.push_back(d.count());
      clock_.Advance(d);
    };
    o.random = [u] { return u; };
    return o;
  }
  // A call failing with `s` the first `failures` times, then OK.
  std::function<absl::Status()> FailingTimes(int failures, absl::Status s) {
    return [this, failures, s] { return ++calls_ <= failures ? s : absl::OkStatus(); };
  }

  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::vector<int64_t> slept_;
  int calls_ = 0;
};

TEST_F(RetryTest, RetriesUnavailableWithExponentialCappedBackoff) {
  Retry r(Options());
  EXPECT_OK(r.Run(FailingTimes(4, absl::UnavailableError("x"))));
  EXPECT_EQ(calls_, 5);
  EXPECT_THAT(slept_, ElementsAre(100, 200, 400, 500));
}

TEST_F(RetryTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  Retry r(Options());
  EXPECT_THAT(r.Run(FailingTimes(10, absl::AbortedError("conflict"))), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(calls_, 5);
}

TEST_F(RetryTest, DoesNotRetryOtherCodes) {
  for (absl::Status s : {absl::DeadlineExceededError("t"), absl::ResourceExhaustedError("r"),
                         absl::InvalidArgumentError("i"), absl::NotFoundError("n")}) {
    calls_ = 0;
    Retry r(Options());
    EXPECT_THAT(r.Run(FailingTimes(1, s)), StatusIs(s.code()));
    EXPECT_EQ(calls_, 1) << s;
  }
  EXPECT_TRUE(slept_.empty());
}

TEST_F(RetryTest, JitterShortensEachBackoffByUpToItsFraction) {
  Retry r(Options(/*u=*/0.5));  // jitter 0.5 × 0.5 = 25 % shorter
  EXPECT_OK(r.Run(FailingTimes(2, absl::UnavailableError("x"))));
  EXPECT_THAT(slept_, ElementsAre(75, 150));
}

TEST_F(RetryTest, StopsWhenTheNextAttemptWouldPassTheDeadline) {
  Retry r(Options());
  const auto deadline = clock_.SteadyNow() + milliseconds(350);
  // Attempt 1 at 0, sleep 100, attempt 2 at 100, sleep 200, attempt 3 at 300; 300 + 400 >= 350: stop.
  EXPECT_THAT(r.Run(FailingTimes(10, absl::UnavailableError("x")), deadline),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls_, 3);
  EXPECT_THAT(slept_, ElementsAre(100, 200));
}

TEST_F(RetryTest, ARequestContextWithoutDeadlineDoesNotBoundIt) {
  Retry r(Options());
  RequestContext ctx;
  EXPECT_OK(r.Run(&ctx, FailingTimes(2, absl::UnavailableError("x"))));
  EXPECT_EQ(calls_, 3);
}

}  // namespace
}  // namespace daira::resilience
