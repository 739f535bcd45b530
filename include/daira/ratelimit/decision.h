// ratelimit::Decision: the answer of one RateLimiter::Check — allowed or not, and the numbers a caller
// puts in its response headers (RateLimit-Remaining, Retry-After, RateLimit-Reset).
//
//   DAIRA_ASSIGN_OR_RETURN(ratelimit::Decision d, limiter.Check(user_id, "post.create"));
//   if (!d.allowed) return absl::ResourceExhaustedError(...);   // retry in d.retry_after
//
// Thread-safety: a plain value type.
#pragma once

#include <chrono>
#include <cstdint>

namespace daira::inline v0::ratelimit {

struct Decision {
  // True when the units were granted (and counted); false when the check was refused (nothing counted).
  bool allowed = false;
  // Units still available right after this check (0 when refused).
  int64_t remaining = 0;
  // When refused: how long until a check of the same cost would be allowed (0 when allowed).
  std::chrono::milliseconds retry_after{0};
  // The limit that applied (Limit::count).
  int64_t limit = 0;
  // Sliding window: time until the current fixed window ends. GCRA: time until the bucket is full again.
  std::chrono::milliseconds reset_after{0};
  // True when the backend failed and the fail-open policy let the check through uncounted.
  bool degraded = false;
};

}  // namespace daira::inline v0::ratelimit
