#include "backends/redis/redis_breaker_params.h"

#include <cstdlib>
#include <string>

#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {

absl::Status ApplyBreakerParams(std::string_view op, const RedisUrl& url,
                                resilience::CircuitBreakerOptions& options) {
  constexpr int64_t kMaxMs = int64_t{1} << 40;
  for (const auto& [name, value] : url.params) {
    auto integer = [&](int64_t lo, int64_t hi) -> absl::StatusOr<int64_t> {
      char* end = nullptr;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < lo || v > hi) {
        return InvalidField(op, name,
                            "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "] (got '" + value + "') in " + url.Redacted());
      }
      return static_cast<int64_t>(v);
    };
    if (name == "breaker_failures") {
      DAIRA_ASSIGN_OR_RETURN(int64_t n, integer(0, 1000000));
      options.consecutive_failures = static_cast<int>(n);
    } else if (name == "breaker_failure_rate") {
      char* end = nullptr;
      const double rate = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(rate >= 0 && rate <= 1)) {
        return InvalidField(op, name,
                            "must be in [0, 1], 0 = off (got '" + value + "') in " + url.Redacted());
      }
      options.failure_rate = rate;
    } else if (name == "breaker_min_calls") {
      DAIRA_ASSIGN_OR_RETURN(int64_t n, integer(1, 1000000000));
      options.min_calls = static_cast<int>(n);
    } else if (name == "breaker_window_ms") {
      DAIRA_ASSIGN_OR_RETURN(int64_t ms, integer(1, kMaxMs));
      options.window = std::chrono::milliseconds(ms);
    } else if (name == "breaker_cool_down_ms") {
      DAIRA_ASSIGN_OR_RETURN(int64_t ms, integer(1, kMaxMs));
      options.cool_down = std::chrono::milliseconds(ms);
    }
  }
  return absl::OkStatus();
}

}  // namespace daira::inline v0::backends::redis
