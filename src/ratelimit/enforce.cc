#include "daira/ratelimit/enforce.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace daira::inline v0::ratelimit {

absl::Status Enforce(RateLimiter* limiter, std::string_view endpoint, std::string_view key, int64_t cost) {
  if (limiter == nullptr || !limiter->options().limits.contains(endpoint)) return absl::OkStatus();
  absl::StatusOr<Decision> d = limiter->Check(key, endpoint, cost);
  if (!d.ok()) return d.status();
  if (d->allowed) return absl::OkStatus();
  absl::Status s = absl::ResourceExhaustedError(absl::StrCat(
      std::string(endpoint), ": rate limit exceeded, retry after ", d->retry_after.count(), " ms"));
  s.SetPayload(std::string(kRetryAfterPayload), absl::Cord(absl::StrCat(d->retry_after.count())));
  return s;
}

std::optional<std::chrono::milliseconds> RetryAfter(const absl::Status& status) {
  auto p = status.GetPayload(std::string(kRetryAfterPayload));
  int64_t ms = 0;
  if (!p.has_value() || !absl::SimpleAtoi(std::string(*p), &ms)) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

}  // namespace daira::inline v0::ratelimit
