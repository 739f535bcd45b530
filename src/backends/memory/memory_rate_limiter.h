// MemoryRateLimiter: the in-process ratelimit::RateLimiter. Exact within one process (not shared with other
// instances: use the Redis limiter for that). Sharded by key (a mutex per shard), memory bounded by
// max_keys: a shard at its share of max_keys first drops its expired entries, then (still full) an
// arbitrary entry — that key starts afresh, which can only let it through more, never less (counted in
// evictions()).
//
//   ratelimit::RateLimiterOptions o;
//   o.limits["login"] = {.count = 10, .window = std::chrono::minutes(1)};
//   DAIRA_ASSIGN_OR_RETURN(auto limiter, MemoryRateLimiter::Open(o));
//   DAIRA_ASSIGN_OR_RETURN(ratelimit::Decision d, limiter->Check("alice|10.0.0.1", "login"));
//
// Times come from options.clock's wall clock, in whole milliseconds (a ManualClock in tests).
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/ratelimit/rate_limiter.h"

namespace daira::inline v0::backends::memory {

struct MemoryRateLimiterOptions {
  // Keys (key × endpoint pairs) held at most, over all shards. Default 1,000,000.
  int64_t max_keys = 1'000'000;
  // Number of shards (1..1024). Default 16.
  int shards = 16;
};

// The state of one key under one algorithm, and the checks on it (shared with tests; pure functions of
// the state and the time, in milliseconds since the epoch).
struct RateState {
  int64_t window_start = -1;  // sliding window: start of the current fixed window (-1 = none yet)
  int64_t previous = 0;       // sliding window: units counted in the previous fixed window
  int64_t current = 0;        // sliding window: units counted in the current fixed window
  double tat = 0;             // GCRA: theoretical arrival time (ms)
  int64_t expires_at = 0;     // when this state is back to "never seen" (ms)
};
ratelimit::Decision CheckSlidingWindow(RateState& s, const ratelimit::Limit& limit, int64_t now_ms,
                                       int64_t cost);
ratelimit::Decision CheckGcra(RateState& s, const ratelimit::Limit& limit, int64_t now_ms, int64_t cost);

class MemoryRateLimiter final : public ratelimit::RateLimiter {
 public:
  // InvalidArgument naming the field for shards outside 1..1024 or max_keys < shards, or a configured
  // limit with count <= 0 or window < 1 ms.
  static absl::StatusOr<std::unique_ptr<MemoryRateLimiter>> Open(ratelimit::RateLimiterOptions options,
                                                                 MemoryRateLimiterOptions memory = {});

  std::string_view Name() const override { return "memory"; }
  absl::StatusOr<ratelimit::Decision> Check(std::string_view key, std::string_view endpoint,
                                            int64_t cost = 1) override;

  // Keys held now (expired ones not yet dropped included) and keys dropped to stay under max_keys.
  int64_t size() const;
  int64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, RateState> states;
  };
  MemoryRateLimiter(ratelimit::RateLimiterOptions options, MemoryRateLimiterOptions memory);

  MemoryRateLimiterOptions memory_;
  size_t per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<int64_t> evictions_{0};
};

}  // namespace daira::inline v0::backends::memory
