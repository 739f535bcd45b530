// The breaker_* parameters of the Redis URLs (docs/configuration.md) for every Redis client that puts a
// resilience::CircuitBreaker around its calls (the cache, the real-time hub, the bus): one parser, so the same
// parameter means the same thing and is refused with the same message everywhere.
#pragma once

#include <string_view>
#include <type_traits>

#include "absl/status/statusor.h"
#include "daira/core/status.h"
#include "daira/resilience/circuit_breaker.h"

namespace daira::inline v0::backends::redis {

// breaker_failures, breaker_failure_rate, breaker_min_calls, breaker_window_ms, breaker_cool_down_ms.
inline constexpr std::string_view kBreakerParams[] = {"breaker_failures", "breaker_failure_rate",
                                                      "breaker_min_calls", "breaker_window_ms",
                                                      "breaker_cool_down_ms"};

// Applies `name`=`value` to `options` when `name` is one of kBreakerParams: true when it was one, false
// when it is another parameter (left to the caller). InvalidArgument naming the parameter (prefixed by
// `op`) for a value out of range.
absl::StatusOr<bool> ApplyBreakerParam(std::string_view op, std::string_view name, std::string_view value,
                                       resilience::CircuitBreakerOptions& options);

// `call` (returning a Status or StatusOr) through `breaker`: rejected at once, annotated with `op`, while
// it is open; its result recorded otherwise (CircuitBreaker::Call's rule, for calls that return a value).
// `op` is a string, or a function returning one (built only when the breaker rejects: a hot path's
// name need not be formatted per call).
template <typename Op, typename F>
auto Guarded(resilience::CircuitBreaker& breaker, Op&& op, F&& call) -> decltype(call()) {
  if (absl::Status allowed = breaker.Allow(); !allowed.ok()) {
    if constexpr (std::is_invocable_v<Op>) {
      return Annotate(allowed, op());
    } else {
      return Annotate(allowed, std::string_view(op));
    }
  }
  auto result = call();
  if constexpr (std::is_same_v<decltype(result), absl::Status>) {
    breaker.Record(result);
  } else {
    breaker.Record(result.status());
  }
  return result;
}

}  // namespace daira::inline v0::backends::redis
