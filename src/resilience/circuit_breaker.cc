#include "daira/resilience/circuit_breaker.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace daira::inline v0::resilience {

const char* BreakerStateName(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half-open";
  }
  return "?";
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = Clock::System();
  window_start_ = options_.clock->SteadyNow();
}

bool CircuitBreaker::IsFailure(const absl::Status& s) const {
  if (options_.is_failure) return options_.is_failure(s);
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return true;
    default:
      return false;
  }
}

void CircuitBreaker::OpenLocked(std::chrono::steady_clock::time_point now) {
  state_ = BreakerState::kOpen;
  opened_at_ = now;
  probe_in_flight_ = false;
  ++counts_.opened;
}

void CircuitBreaker::RollWindowLocked(std::chrono::steady_clock::time_point now) {
  if (now - window_start_ >= options_.window) {
    window_start_ = now;
    counts_.window_calls = 0;
    counts_.window_failures = 0;
  }
}

absl::Status CircuitBreaker::Allow() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = options_.clock->SteadyNow();
  if (state_ == BreakerState::kOpen && now - opened_at_ >= options_.cool_down) {
    state_ = BreakerState::kHalfOpen;
    probe_in_flight_ = false;
  }
  if (state_ == BreakerState::kClosed) return absl::OkStatus();
  if (state_ == BreakerState::kHalfOpen && !probe_in_flight_) {
    probe_in_flight_ = true;
    return absl::OkStatus();
  }
  ++counts_.rejected;
  return absl::UnavailableError(
      absl::StrCat("circuit breaker ", options_.name, " is ", BreakerStateName(state_)));
}

void CircuitBreaker::Record(const absl::Status& result) {
  const bool failed = IsFailure(result);
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = options_.clock->SteadyNow();
  RollWindowLocked(now);
  ++counts_.window_calls;
  if (failed) {
    ++counts_.failures;
    ++counts_.window_failures;
    ++counts_.consecutive_failures;
  } else {
    ++counts_.successes;
    counts_.consecutive_failures = 0;
  }
  if (state_ == BreakerState::kHalfOpen) {
    if (failed) {
      OpenLocked(now);
    } else {
      state_ = BreakerState::kClosed;
      probe_in_flight_ = false;
      window_start_ = now;
      counts_.window_calls = 0;
      counts_.window_failures = 0;
    }
    return;
  }
  if (state_ != BreakerState::kClosed || !failed) return;
  const bool too_many_in_a_row =
      options_.consecutive_failures > 0 && counts_.consecutive_failures >= options_.consecutive_failures;
  const bool rate_too_high = options_.failure_rate > 0 && counts_.window_calls >= options_.min_calls &&
                             static_cast<double>(counts_.window_failures) >=
                                 options_.failure_rate * static_cast<double>(counts_.window_calls);
  if (too_many_in_a_row || rate_too_high) OpenLocked(now);
}

absl::Status CircuitBreaker::Call(const std::function<absl::Status()>& fn,
                                  const std::function<absl::Status(absl::Status)>& fallback) {
  absl::Status allowed = Allow();
  if (!allowed.ok()) return fallback ? fallback(std::move(allowed)) : allowed;
  absl::Status result = fn();
  Record(result);
  return result;
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

BreakerCounts CircuitBreaker::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace daira::inline v0::resilience
