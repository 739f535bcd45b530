// resilience::Retry: runs a call again after a transient failure, with exponential backoff and jitter,
// never past the request's deadline.
//
//   resilience::Retry retry({.max_attempts = 4, .initial_backoff = std::chrono::milliseconds(50)});
//   absl::Status s = retry.Run(&ctx, [&] { return publish(event); });
//
// Retried codes (default): Unavailable and Aborted — the dependency was unreachable or the transaction
// lost a conflict, and the same call may well succeed a moment later. NOT retried: DeadlineExceeded (the
// budget is spent, and a timed-out write may have happened), ResourceExhausted (a rate limit: honour
// its retry-after instead), and every other code (retrying cannot change the answer). options.retryable
// overrides the set.
//
// Backoff before attempt n+1: min(max_backoff, initial_backoff × multiplier^(n−1)), shortened by up to
// `jitter` of itself at random. When the next attempt would start at or after the deadline, Run stops and
// returns the last error. A RequestContext's deadline is on the real steady clock: with one, leave
// options.clock null; tests pass an explicit deadline on their ManualClock's steady timeline.
//
// Thread-safety: a Retry is immutable after construction; Run may be called from any number of threads
// (options.sleep and options.random must then be thread-safe; the defaults are).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"

namespace daira::inline v0::resilience {

struct RetryOptions {
  // Attempts in all (1 = no retry).
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{50};
  double multiplier = 2.0;
  std::chrono::milliseconds max_backoff{2000};
  // Each backoff is shortened by up to this fraction at random ([0, 1]).
  double jitter = 0.2;
  // Time source (steady clock); null = Clock::System(). Not owned.
  const Clock* clock = nullptr;
  // How to wait; null = std::this_thread::sleep_for. Tests advance a ManualClock here.
  std::function<void(std::chrono::milliseconds)> sleep;
  // A number in [0, 1); null = a thread-local generator.
  std::function<double()> random;
  // Which statuses are retried; null = Unavailable and Aborted.
  std::function<bool(const absl::Status&)> retryable;
};

class Retry {
 public:
  explicit Retry(RetryOptions options = {});

  // Runs fn until it succeeds, fails with a non-retryable status, max_attempts is reached, or the next
  // attempt would start past the deadline; returns fn's last status.
  absl::Status Run(const std::function<absl::Status()>& fn,
                   std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt) const;
  absl::Status Run(const RequestContext* ctx, const std::function<absl::Status()>& fn) const {
    return Run(fn, ctx != nullptr ? ctx->deadline() : std::nullopt);
  }

  // The backoff before attempt `attempt` + 1 (attempt >= 1), before jitter.
  std::chrono::milliseconds BaseBackoff(int attempt) const;
  bool IsRetryable(const absl::Status& s) const;
  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
};

}  // namespace daira::inline v0::resilience
