// ratelimit::RateLimiter: the rate-limiting layer's one interface, implemented in-process
// (backends/memory/memory_rate_limiter.h) and on Redis (backends/redis/redis_rate_limiter.h, exact across
// every instance sharing the server). A check names a key (who: a user id, "identifier|ip", ...) and an
// endpoint (what: "login", "post.create"); the endpoint picks the Limit from RateLimiterOptions.
//
//   ratelimit::RateLimiterOptions o;
//   o.limits["login"] = {.count = 10, .window = std::chrono::minutes(1)};
//   o.default_limit = ratelimit::Limit{.count = 600, .window = std::chrono::minutes(1)};
//   DAIRA_ASSIGN_OR_RETURN(ratelimit::Decision d, limiter.Check("alice|10.0.0.1", "login"));
//   if (!d.allowed) { /* refuse; retry after d.retry_after */ }
//
// Errors: InvalidArgument naming the field for an empty key, an empty endpoint, an endpoint with no limit
// and no default_limit, a limit with count <= 0 or a window < 1 ms, a cost <= 0 or a cost above the limit.
// A backend failure (Redis unreachable) follows options.on_failure: kFailOpen (default) allows the check
// (Decision::degraded = true) and logs a warning at most once per warn_interval; kFailClosed returns the
// Unavailable / DeadlineExceeded status.
//
// Thread-safety: every RateLimiter is safe to call from any number of threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/ratelimit/decision.h"
#include "daira/ratelimit/limit.h"

namespace daira::inline v0::ratelimit {

enum class FailurePolicy { kFailOpen, kFailClosed };

struct RateLimiterOptions {
  // The limit of each endpoint.
  std::map<std::string, Limit, std::less<>> limits;
  // The limit of an endpoint not in `limits`; without it such an endpoint is InvalidArgument.
  std::optional<Limit> default_limit;
  // Time source; null = Clock::System(). Not owned. (The Redis backend sends this clock's time to the
  // script, see docs/ratelimit.md.)
  const Clock* clock = nullptr;
  // What a backend failure does (Redis only; the in-process limiter cannot fail).
  FailurePolicy on_failure = FailurePolicy::kFailOpen;
  // At most one warning per interval while failing open.
  std::chrono::milliseconds warn_interval{30000};
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // "memory" or "redis".
  virtual std::string_view Name() const = 0;
  // Counts `cost` units of `key` on `endpoint` if the endpoint's limit allows them (all or nothing).
  virtual absl::StatusOr<Decision> Check(std::string_view key, std::string_view endpoint,
                                         int64_t cost = 1) = 0;

  const RateLimiterOptions& options() const { return options_; }

  // The limit that applies to `endpoint`, after validating the arguments of a Check (InvalidArgument
  // naming the field). Used by the backends; callers may use it to show the configured limits.
  absl::StatusOr<Limit> LimitFor(std::string_view key, std::string_view endpoint, int64_t cost = 1) const {
    if (key.empty()) return absl::InvalidArgumentError("rate limiter: check: key is empty");
    if (endpoint.empty()) return absl::InvalidArgumentError("rate limiter: check: endpoint is empty");
    Limit limit;
    if (auto it = options_.limits.find(endpoint); it != options_.limits.end()) {
      limit = it->second;
    } else if (options_.default_limit.has_value()) {
      limit = *options_.default_limit;
    } else {
      return absl::InvalidArgumentError(std::string("rate limiter: check: endpoint \"")
                                            .append(endpoint)
                                            .append("\" has no limit and there is no default_limit"));
    }
    if (absl::Status s = ValidateLimit(endpoint, limit); !s.ok()) return s;
    if (cost <= 0) return absl::InvalidArgumentError("rate limiter: check: cost must be > 0");
    if (cost > limit.count) {
      return absl::InvalidArgumentError(
          std::string("rate limiter: check: cost exceeds the limit of endpoint \"")
              .append(endpoint)
              .append("\""));
    }
    return limit;
  }

  // Every limit in `options` is valid: InvalidArgument naming the endpoint and the field otherwise.
  static absl::Status ValidateLimits(const RateLimiterOptions& options) {
    for (const auto& [endpoint, limit] : options.limits) {
      if (endpoint.empty())
        return absl::InvalidArgumentError("rate limiter: limits: an endpoint name is empty");
      if (absl::Status s = ValidateLimit(endpoint, limit); !s.ok()) return s;
    }
    if (options.default_limit.has_value()) return ValidateLimit("default_limit", *options.default_limit);
    return absl::OkStatus();
  }
  static absl::Status ValidateLimit(std::string_view endpoint, const Limit& limit) {
    if (limit.count <= 0) {
      return absl::InvalidArgumentError(
          std::string("rate limiter: limit of endpoint \"").append(endpoint).append("\": count must be > 0"));
    }
    if (limit.window < std::chrono::milliseconds(1)) {
      return absl::InvalidArgumentError(std::string("rate limiter: limit of endpoint \"")
                                            .append(endpoint)
                                            .append("\": window must be >= 1 ms"));
    }
    return absl::OkStatus();
  }

 protected:
  explicit RateLimiter(RateLimiterOptions options) : options_(std::move(options)) {
    if (options_.clock == nullptr) options_.clock = Clock::System();
  }
  const Clock& clock() const { return *options_.clock; }

 private:
  RateLimiterOptions options_;
};

}  // namespace daira::inline v0::ratelimit
