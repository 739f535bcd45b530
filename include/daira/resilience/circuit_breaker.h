// resilience::CircuitBreaker: stops calling a failing dependency for a while, then probes it.
//
//   resilience::CircuitBreaker breaker({.name = "redis", .consecutive_failures = 5,
//                                       .cool_down = std::chrono::seconds(5)});
//   absl::Status s = breaker.Call([&] { return redis_call(); },
//                                 [&](absl::Status why) { return use_the_database(); });   // fallback
//   breaker.state();  breaker.counts();
//
// States: kClosed (calls pass) → kOpen after `consecutive_failures` failures in a row, or when at least
// `min_calls` calls in the current `window` (fixed windows) failed at a rate ≥ `failure_rate` → after
// `cool_down`, the next call moves it to kHalfOpen and is let through as the one probe (others are
// rejected meanwhile) → kClosed when the probe succeeds, kOpen again (a new cool-down) when it fails.
// A rejected call is Unavailable "circuit breaker <name> is open" (or goes to the fallback).
// Which results count as failures: options.is_failure (default: Unavailable, DeadlineExceeded, Aborted,
// Internal, Unknown, DataLoss — the dependency failed; InvalidArgument, NotFound, ... are answers).
//
// Thread-safety: safe from any number of threads (one mutex; the call itself runs outside it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "daira/core/clock.h"

namespace daira::inline v0::resilience {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
const char* BreakerStateName(BreakerState s);

struct CircuitBreakerOptions {
  // Names the breaker in errors and logs.
  std::string name = "breaker";
  // Open after this many consecutive failures (0 = never on this rule).
  int consecutive_failures = 5;
  // Open when failures / calls in the current window reach this rate (0 = never on this rule)...
  double failure_rate = 0.5;
  // ...and the window holds at least this many calls.
  int min_calls = 20;
  // Length of the fixed windows the failure rate is measured over.
  std::chrono::milliseconds window{10000};
  // How long the breaker stays open before one probe is let through.
  std::chrono::milliseconds cool_down{5000};
  // Time source (steady clock used); null = Clock::System(). Not owned.
  const Clock* clock = nullptr;
  // Which statuses count as a failure of the dependency; null = the default set above.
  std::function<bool(const absl::Status&)> is_failure{};
};

struct BreakerCounts {
  int64_t successes = 0;             // calls that succeeded (all time)
  int64_t failures = 0;              // calls that failed (all time)
  int64_t rejected = 0;              // calls refused while open / half-open (all time)
  int64_t opened = 0;                // transitions to open
  int64_t consecutive_failures = 0;  // current run of failures
  int64_t window_calls = 0;          // calls in the current window
  int64_t window_failures = 0;       // failures in the current window
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(CircuitBreakerOptions options = {});
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // OK when a call may go ahead (closed, or the half-open probe; the caller must then Record() its
  // result); Unavailable naming the breaker otherwise (counted as rejected).
  absl::Status Allow();
  // The result of a call Allow() let through.
  void Record(const absl::Status& result);

  // Allow + fn + Record. When rejected: fallback(the rejection) if given, else the rejection.
  absl::Status Call(const std::function<absl::Status()>& fn,
                    const std::function<absl::Status(absl::Status)>& fallback = nullptr);

  // The state now (an open breaker whose cool-down has passed reads as kOpen until a call probes).
  BreakerState state() const;
  BreakerCounts counts() const;
  const CircuitBreakerOptions& options() const { return options_; }

 private:
  bool IsFailure(const absl::Status& s) const;
  void OpenLocked(std::chrono::steady_clock::time_point now);
  void RollWindowLocked(std::chrono::steady_clock::time_point now);

  CircuitBreakerOptions options_;
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;
  bool probe_in_flight_ = false;
  std::chrono::steady_clock::time_point opened_at_{};
  std::chrono::steady_clock::time_point window_start_{};
  BreakerCounts counts_;
};

}  // namespace daira::inline v0::resilience
