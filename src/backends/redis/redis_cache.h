// RedisCache: the `redis://` cache backend, on the shared RedisPool (redis_pool.h). Every key is
// stored under the URL's `?prefix=` (a deployment's namespace on a shared Redis); values are stored
// as they are given (plain strings: readable with redis-cli); batches are one round trip (MGET, one
// DEL, a pipeline of SETs); Increment and ListPush are Lua scripts (EVALSHA) because they must be
// atomic (create-with-TTL; push+trim+expire).
//
//   DAIRA_ASSIGN_OR_RETURN(auto cache, RedisCache::Open("redis://:pw@127.0.0.1:6379/0?prefix=app1:"));
//   cache->Describe();   // "redis://:***@127.0.0.1:6379/0?prefix=app1:"
//
// Failure: a call that cannot reach Redis returns Unavailable quickly (the pool fails fast between
// reconnect attempts) and counts as an error in the stats; a warning is logged at most once per
// warn_interval. The pool reconnects by itself when Redis returns. A circuit breaker guards every call
// (breaker_* URL parameters; default: open after 5 consecutive failures, probe after 5 s): while it is
// open a call costs no Redis attempt at all and is Unavailable "circuit breaker redis cache is open".
//
// Near cache (near_max_bytes > 0; off by default): an in-process tier for the near_namespaces
// (profile, session) in front of Redis, invalidated across instances over pub/sub
// (redis_near_cache.h). A near hit makes no round trip. Every write of a near key (Set, MSet, Delete,
// Invalidate, Increment, a list trim to 0) drops this instance's entry before and after the Redis
// write and publishes the key to the channel in the same round trip, after the write.
//
// Thread-safety: safe from any number of threads (each call leases its own connection).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/redis/redis_near_cache.h"
#include "backends/redis/redis_pool.h"
#include "backends/redis/redis_script.h"
#include "backends/redis/redis_url.h"
#include "daira/cache/cache.h"

namespace daira::inline v0::backends::redis {

class RedisCache final : public cache::Cache {
 public:
  // Parses `url` (the common Redis parameters, plus the policy parameters ttl_<ns>_ms, jitter,
  // jitter_<ns>, list_max_<ns> for the policy's namespaces, and warn_interval_ms) and opens the pool,
  // connecting once: InvalidArgument for a bad URL or parameter, Unavailable when Redis is
  // unreachable, Unauthenticated/PermissionDenied for a wrong password — each naming the redacted URL.
  // `clock` (null: Clock::System()) times the breaker and the near entries' TTL; Redis keeps its own.
  static absl::StatusOr<std::unique_ptr<RedisCache>> Open(std::string_view url, const Clock* clock = nullptr);
  ~RedisCache() override;

  std::string_view Name() const override { return "redis"; }
  std::string Describe() const override;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  // (The defaults repeat cache::Cache's, for callers holding a RedisCache.)
  absl::Status Set(std::string_view key, std::string_view value,
                   std::chrono::milliseconds ttl = cache::kPolicyTtl) override;
  using cache::Cache::Delete;
  absl::StatusOr<int64_t> Delete(std::span<const std::string> keys) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> MGet(std::span<const std::string> keys) override;
  absl::Status MSet(std::span<const cache::CacheEntry> entries) override;
  absl::StatusOr<int64_t> Increment(std::string_view key, int64_t delta,
                                    std::chrono::milliseconds ttl = cache::kPolicyTtl) override;
  absl::StatusOr<std::optional<std::chrono::milliseconds>> Ttl(std::string_view key) override;
  absl::Status ListPush(std::string_view key, std::span<const std::string> values,
                        std::chrono::milliseconds ttl = cache::kPolicyTtl) override;
  absl::Status ListTrim(std::string_view key, int64_t max_length) override;
  absl::StatusOr<std::vector<std::string>> ListRange(std::string_view key, int64_t start,
                                                     int64_t stop) override;
  absl::StatusOr<int64_t> ListRemove(std::string_view key, std::string_view value) override;
  absl::StatusOr<int64_t> ListPushExisting(std::span<const std::string> keys,
                                           std::string_view value) override;
  absl::Status OrderedSetAdd(std::string_view key, std::span<const std::string> members,
                             std::chrono::milliseconds ttl = cache::kPolicyTtl) override;
  absl::StatusOr<int64_t> OrderedSetAddExisting(std::span<const std::string> keys,
                                                std::string_view member) override;
  absl::StatusOr<std::vector<std::string>> OrderedSetRangeBelow(std::string_view key, std::string_view below,
                                                                int64_t limit) override;
  absl::StatusOr<std::vector<std::string>> OrderedSetRangeDownTo(std::string_view key, std::string_view below,
                                                                 std::string_view down_to,
                                                                 int64_t limit) override;
  int64_t round_trips() const override { return round_trips_.load(std::memory_order_relaxed); }
  const resilience::CircuitBreaker* breaker() const override { return breaker_.get(); }
  std::optional<cache::NearCacheStats> near_stats() const override;
  // The near tier, or null when near_max_bytes is 0 (tests wait on it).
  NearCache* near() const { return near_.get(); }

  // Deletes every key under this cache's prefix (SCAN + DEL, never FLUSHDB); FailedPrecondition when
  // the prefix is empty. For tests and `daira` maintenance; returns how many keys went.
  absl::StatusOr<int64_t> DeleteEverythingUnderPrefix();
  const RedisUrl& url() const { return pool_->url(); }

 private:
  RedisCache(cache::Policy policy, std::unique_ptr<RedisPool> pool, std::chrono::milliseconds warn_interval,
             resilience::CircuitBreakerOptions breaker, std::unique_ptr<NearCache> near);
  std::string K(std::string_view key) const;
  // The breaker's permission and a connection: one round trip's worth. Failures are counted against
  // `key` (and, for the connection, recorded by the breaker).
  absl::StatusOr<RedisPool::Lease> Acquire(std::string_view key);
  // The near keys among `keys` (empty without a near tier).
  std::vector<std::string> NearKeys(std::span<const std::string> keys) const;
  // A pipeline of `commands` then one PUBLISH per near key: the writes first, the invalidations after
  // them, in one round trip. The near keys are dropped here before and after. Replies of `commands`.
  absl::StatusOr<std::vector<RedisReply>> WriteAndPublish(std::string_view key,
                                                          std::vector<std::vector<std::string>> commands,
                                                          const std::vector<std::string>& near_keys);
  // Leases a connection and runs one command (one round trip); failures are counted against `key`.
  absl::StatusOr<RedisReply> Run(std::string_view key, std::span<const std::string_view> args);
  absl::StatusOr<RedisReply> RunScript(std::string_view key, const RedisScript& script,
                                       std::span<const std::string> keys, std::span<const std::string> args);
  absl::Status Failed(std::string_view key, absl::Status status);

  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<resilience::CircuitBreaker> breaker_;
  std::unique_ptr<NearCache> near_;
  std::string prefix_;
  std::atomic<int64_t> round_trips_{0};
  std::chrono::milliseconds warn_interval_;
  std::mutex warn_mu_;
  std::chrono::steady_clock::time_point last_warning_{};
  int64_t suppressed_warnings_ = 0;
};

}  // namespace daira::inline v0::backends::redis
