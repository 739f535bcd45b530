// ratelimit::Enforce: a check turned into a Status, as the services use it — OK when allowed (or when the
// limiter failed open), ResourceExhausted with the retry-after as a payload when refused.
//
//   DAIRA_RETURN_IF_ERROR(ratelimit::Enforce(limiter, "login", absl::StrCat(identifier, "|", ip)));
//   ...
//   if (std::optional<std::chrono::milliseconds> wait = ratelimit::RetryAfter(status)) { /* Retry-After */ }
//
// The payload is kRetryAfterPayload ("daira.dev/retry-after"): the wait in whole milliseconds, as decimal
// text. A null limiter, or an endpoint the limiter has no explicit limit for, is not limited.
//
// Thread-safety: free functions; the limiter is thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "daira/ratelimit/rate_limiter.h"

namespace daira::inline v0::ratelimit {

inline constexpr std::string_view kRetryAfterPayload = "daira.dev/retry-after";

// OK when `limiter` is null, has no entry for `endpoint` in options().limits, allows the check or fails
// open; ResourceExhausted "<endpoint>: rate limit exceeded, retry after N ms" with the payload when
// refused; the limiter's error otherwise (InvalidArgument, or Unavailable when failing closed).
absl::Status Enforce(RateLimiter* limiter, std::string_view endpoint, std::string_view key, int64_t cost = 1);

// The retry-after payload of `status`, if it has one.
std::optional<std::chrono::milliseconds> RetryAfter(const absl::Status& status);

}  // namespace daira::inline v0::ratelimit
