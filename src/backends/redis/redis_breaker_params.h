// The breaker_* URL parameters of a Redis concern (docs/configuration.md, "Circuit breaker"): parsed
// into resilience::CircuitBreakerOptions. Used by the Redis bus; the Redis cache parses the same names.
//
// Thread-safety: plain functions.
#pragma once

#include <array>
#include <string_view>

#include "absl/status/status.h"
#include "backends/redis/redis_url.h"
#include "daira/resilience/circuit_breaker.h"

namespace daira::inline v0::backends::redis {

inline constexpr std::array<std::string_view, 5> kBreakerParamNames = {
    "breaker_failures", "breaker_failure_rate", "breaker_min_calls", "breaker_window_ms",
    "breaker_cool_down_ms"};

// Applies the breaker_* entries of url.params to `options` (others are ignored). InvalidArgument naming
// the parameter, prefixed with `op`, for a value out of range.
absl::Status ApplyBreakerParams(std::string_view op, const RedisUrl& url,
                                resilience::CircuitBreakerOptions& options);

}  // namespace daira::inline v0::backends::redis
