#include "backends/redis/redis_breaker_params.h"

#include <charconv>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {

absl::StatusOr<bool> ApplyBreakerParam(std::string_view op, std::string_view name, std::string_view value,
                                       resilience::CircuitBreakerOptions& options) {
  constexpr int64_t kMaxMs = int64_t{1} << 40;
  auto parse = [&](int64_t lo, int64_t hi, std::string_view unit) -> absl::StatusOr<int64_t> {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < lo || n > hi) {
      return InvalidField(
          op, name,
          absl::StrCat("must be an integer", absl::string_view(unit.data(), unit.size()), " in [", lo, ", ",
                       hi, "] (got '", absl::string_view(value.data(), value.size()), "')"));
    }
    return n;
  };
  if (name == "breaker_failures") {
    auto n = parse(0, 1000000, "");
    if (!n.ok()) return n.status();
    options.consecutive_failures = static_cast<int>(*n);
  } else if (name == "breaker_failure_rate") {
    double rate = 0;
    if (!absl::SimpleAtod(absl::string_view(value.data(), value.size()), &rate) ||
        !(rate >= 0 && rate <= 1)) {
      return InvalidField(op, name,
                          absl::StrCat("must be in [0, 1], 0 = off (got '",
                                       absl::string_view(value.data(), value.size()), "')"));
    }
    options.failure_rate = rate;
  } else if (name == "breaker_min_calls") {
    auto n = parse(1, 1000000000, "");
    if (!n.ok()) return n.status();
    options.min_calls = static_cast<int>(*n);
  } else if (name == "breaker_window_ms") {
    auto n = parse(1, kMaxMs, " of milliseconds");
    if (!n.ok()) return n.status();
    options.window = std::chrono::milliseconds(*n);
  } else if (name == "breaker_cool_down_ms") {
    auto n = parse(1, kMaxMs, " of milliseconds");
    if (!n.ok()) return n.status();
    options.cool_down = std::chrono::milliseconds(*n);
  } else {
    return false;
  }
  return true;
}

}  // namespace daira::inline v0::backends::redis
