// RedisRateLimiter: the ratelimit::RateLimiter on Redis, exact across every instance (process, host)
// that checks against the same server and prefix: each check is ONE Lua script (EVALSHA) that reads,
// decides and writes atomically. Keys: "<url prefix>ratelimit:{<key>}:<endpoint>" (a hash for the sliding
// window, a string for GCRA), expiring when their state would be back to "never seen".
//
//   ratelimit::RateLimiterOptions o;
//   o.limits["post.create"] = {.count = 30, .window = std::chrono::minutes(1)};
//   DAIRA_ASSIGN_OR_RETURN(auto limiter, RedisRateLimiter::Open("redis://127.0.0.1:6379/0?prefix=app1:", o));
//   DAIRA_ASSIGN_OR_RETURN(ratelimit::Decision d, limiter->Check("42", "post.create"));
//
// Time: by default the CLIENT clock (options.clock, whole milliseconds) is sent to the script, so a
// ManualClock makes window edges testable and the instances' clocks must agree (NTP) for the limit to be
// exact at the edges. With use_server_time the script reads the server's TIME instead (one clock for
// every instance; options.clock is then unused).
//
// A circuit breaker (RedisRateLimiterOptions::breaker, default: open after 5 consecutive failures, probe
// after 5 s) guards the Redis calls, so a dead server costs no waiting while it is open.
//
// Failure (Redis unreachable, a timeout, the breaker open): options.on_failure — fail open (allowed,
// Decision::degraded, a warning at most once per options.warn_interval) or fail closed (the
// Unavailable/DeadlineExceeded).
//
// Thread-safety: safe from any number of threads (a connection pool underneath).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "backends/redis/redis_pool.h"
#include "daira/ratelimit/rate_limiter.h"
#include "daira/resilience/circuit_breaker.h"

namespace daira::inline v0::backends::redis {

struct RedisRateLimiterOptions {
  // Read the time from the server's TIME inside the script instead of sending options.clock's.
  bool use_server_time = false;
  // The breaker around the Redis calls: while it is open a check does not wait on Redis but goes
  // straight to options.on_failure. Its clock, when null, is options.clock.
  resilience::CircuitBreakerOptions breaker{.name = "redis rate limiter"};
};

class RedisRateLimiter final : public ratelimit::RateLimiter {
 public:
  // Parses `url` (the common Redis parameters) and opens the pool, connecting once: InvalidArgument for a
  // bad URL or limit, Unavailable when Redis is unreachable — each naming the redacted URL.
  static absl::StatusOr<std::unique_ptr<RedisRateLimiter>> Open(std::string_view url,
                                                                ratelimit::RateLimiterOptions options,
                                                                RedisRateLimiterOptions redis = {});
  // The same, on an already parsed URL (the platform passes its Redis cache's).
  static absl::StatusOr<std::unique_ptr<RedisRateLimiter>> Open(const RedisUrl& url,
                                                                ratelimit::RateLimiterOptions options,
                                                                RedisRateLimiterOptions redis = {});
  ~RedisRateLimiter() override;

  std::string_view Name() const override { return "redis"; }
  absl::StatusOr<ratelimit::Decision> Check(std::string_view key, std::string_view endpoint,
                                            int64_t cost = 1) override;

  // The Redis key of `key` on `endpoint` (with the URL prefix).
  std::string RedisKey(std::string_view key, std::string_view endpoint) const;
  // The breaker around the Redis calls (state and counts).
  const resilience::CircuitBreaker& breaker() const { return *breaker_; }
  // Checks that failed open since Open.
  int64_t failed_open() const { return failed_open_.load(std::memory_order_relaxed); }

 private:
  RedisRateLimiter(ratelimit::RateLimiterOptions options, RedisRateLimiterOptions redis,
                   std::unique_ptr<RedisPool> pool);
  absl::StatusOr<ratelimit::Decision> Failed(const ratelimit::Limit& limit, int64_t cost,
                                             absl::Status status);

  RedisRateLimiterOptions redis_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<resilience::CircuitBreaker> breaker_;
  std::atomic<int64_t> failed_open_{0};
  std::mutex warn_mu_;
  std::chrono::steady_clock::time_point last_warning_{};
  int64_t suppressed_warnings_ = 0;
};

}  // namespace daira::inline v0::backends::redis
