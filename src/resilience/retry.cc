#include "daira/resilience/retry.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

namespace daira::inline v0::resilience {

using std::chrono::milliseconds;

Retry::Retry(RetryOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = Clock::System();
  options_.max_attempts = std::max(1, options_.max_attempts);
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
}

bool Retry::IsRetryable(const absl::Status& s) const {
  if (options_.retryable) return options_.retryable(s);
  return s.code() == absl::StatusCode::kUnavailable || s.code() == absl::StatusCode::kAborted;
}

milliseconds Retry::BaseBackoff(int attempt) const {
  const double base = static_cast<double>(options_.initial_backoff.count()) *
                      std::pow(options_.multiplier, std::max(0, attempt - 1));
  return milliseconds(
      static_cast<int64_t>(std::min(base, static_cast<double>(options_.max_backoff.count()))));
}

absl::Status Retry::Run(const std::function<absl::Status()>& fn,
                        std::optional<std::chrono::steady_clock::time_point> deadline) const {
  absl::Status last;
  for (int attempt = 1;; ++attempt) {
    last = fn();
    if (last.ok() || !IsRetryable(last) || attempt >= options_.max_attempts) return last;
    double u;
    if (options_.random) {
      u = options_.random();
    } else {
      thread_local std::mt19937_64 gen{std::random_device{}()};
      u = std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    }
    const milliseconds base = BaseBackoff(attempt);
    const milliseconds delay(
        static_cast<int64_t>(static_cast<double>(base.count()) * (1.0 - options_.jitter * u)));
    if (deadline.has_value() && options_.clock->SteadyNow() + delay >= *deadline) return last;
    if (options_.sleep) {
      options_.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace daira::inline v0::resilience
