// cache::Cache: the cache layer's one interface, implemented in-process (`memory:`) and on Redis
// (`redis://`). Values are bytes; keys are "<namespace>:<id>" and the namespace picks the TTL policy
// (daira/cache/policy.h) and the stats row (daira/cache/stats.h). The database stays the source of
// truth: a cache may drop any entry at any time, and every caller must cope with a miss.
//
//   cache::Cache& cache = platform->cache();
//   DAIRA_RETURN_IF_ERROR(cache.Set("profile:42", bytes));                // policy TTL (1 h, jittered)
//   DAIRA_ASSIGN_OR_RETURN(std::optional<std::string> v, cache.Get("profile:42"));
//   if (!v) { /* miss: load from the database */ }
//   DAIRA_ASSIGN_OR_RETURN(auto many, cache.MGet(keys));                  // one round trip on Redis
//   DAIRA_RETURN_IF_ERROR(cache.ListPush("feed:7", {post_id}));           // capped by the policy
//
// Errors: every call may fail with Unavailable (Redis unreachable or a timeout; retry later or go to
// the database) and ResourceExhausted (Redis out of memory). Type clashes (Increment on a
// non-integer, a list call on a plain value) are FailedPrecondition naming the key.
//
// Thread-safety: every Cache is safe to call from any number of threads at once.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/cache/policy.h"
#include "daira/cache/stats.h"
#include "daira/resilience/circuit_breaker.h"

namespace daira::inline v0::cache {

// A TTL argument meaning "the policy's TTL for the key's namespace, jittered".
inline constexpr std::chrono::milliseconds kPolicyTtl{-1};
// A TTL argument meaning "never expires" (until evicted or deleted).
inline constexpr std::chrono::milliseconds kNoExpiry{0};

struct CacheEntry {
  std::string key;
  std::string value;
  std::chrono::milliseconds ttl = kPolicyTtl;
};

class Cache {
 public:
  virtual ~Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // "memory" or "redis".
  virtual std::string_view Name() const = 0;
  // The URL the cache was opened from, any password replaced by "***" (safe to log and show).
  virtual std::string Describe() const = 0;

  // The value of `key`, or nullopt on a miss (absent or expired).
  virtual absl::StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;
  // Stores `value` under `key`, replacing any value (or list), with `ttl` (kPolicyTtl, kNoExpiry or > 0).
  virtual absl::Status Set(std::string_view key, std::string_view value,
                           std::chrono::milliseconds ttl = kPolicyTtl) = 0;
  // Removes each key (value or list); returns how many existed.
  virtual absl::StatusOr<int64_t> Delete(std::span<const std::string> keys) = 0;
  absl::StatusOr<int64_t> Delete(std::string_view key) {
    const std::string one(key);
    return Delete(std::span<const std::string>(&one, 1));
  }
  // The values of `keys`, in order, nullopt for each miss. One round trip on Redis (MGET).
  virtual absl::StatusOr<std::vector<std::optional<std::string>>> MGet(std::span<const std::string> keys) = 0;
  // Stores every entry, each with its own TTL. One round trip on Redis (a pipeline).
  virtual absl::Status MSet(std::span<const CacheEntry> entries) = 0;

  // Adds `delta` to the integer under `key` (a missing key counts as 0) and returns the new value.
  // `ttl` applies only when this call creates the key (a fixed window for counters). Atomic.
  virtual absl::StatusOr<int64_t> Increment(std::string_view key, int64_t delta,
                                            std::chrono::milliseconds ttl = kPolicyTtl) = 0;
  // The time `key` has left: nullopt when absent, kNoExpiry when it never expires.
  virtual absl::StatusOr<std::optional<std::chrono::milliseconds>> Ttl(std::string_view key) = 0;

  // Lists (newest first). ListPush prepends `values` in order (the last one ends up first), trims the
  // list to the namespace's max_list_length and sets its TTL (kPolicyTtl: the policy's). Atomic.
  virtual absl::Status ListPush(std::string_view key, std::span<const std::string> values,
                                std::chrono::milliseconds ttl = kPolicyTtl) = 0;
  // Keeps the first `max_length` values (0 removes the list).
  virtual absl::Status ListTrim(std::string_view key, int64_t max_length) = 0;
  // Values from index `start` to `stop`, both inclusive; negative indexes count from the end (-1 is
  // the last), as Redis LRANGE. Empty when the list is absent.
  virtual absl::StatusOr<std::vector<std::string>> ListRange(std::string_view key, int64_t start,
                                                             int64_t stop) = 0;
  // Removes every occurrence of `value`; returns how many were removed.
  virtual absl::StatusOr<int64_t> ListRemove(std::string_view key, std::string_view value) = 0;
  // Prepends `value` to each list of `keys` that EXISTS (an absent key stays absent: fan-out reaches
  // only readers whose list is cached) and trims it to the namespace's max_list_length; TTLs are left
  // as they are. One round trip on Redis (a pipeline of LPUSHX + LTRIM). Returns how many lists took it.
  virtual absl::StatusOr<int64_t> ListPushExisting(std::span<const std::string> keys,
                                                   std::string_view value) = 0;

  // Ordered sets: unique members kept in byte order — a Redis sorted set whose scores are all 0, read
  // by lex range (ZREVRANGEBYLEX); in memory a sorted container. Fixed-width members sort as numbers
  // exactly (ids zero-padded to 19 digits), which a score cannot do above 2^53 (a double). The feed
  // cache keeps its lists this way so that a page reads only the ids it needs, in id order whatever
  // order the writes arrived in (docs/cache.md, "Feed cache").
  // OrderedSetAdd adds `members`, keeps the namespace's max_list_length greatest (0: no cap) and sets
  // the TTL (kPolicyTtl: the policy's). Atomic; creates the set.
  virtual absl::Status OrderedSetAdd(std::string_view key, std::span<const std::string> members,
                                     std::chrono::milliseconds ttl = kPolicyTtl) = 0;
  // Adds `member` to each set of `keys` that EXISTS (an absent key stays absent) and keeps its
  // max_list_length greatest members; TTLs are left as they are. One round trip on Redis (one script).
  // Returns how many sets exist (and hold `member` now).
  virtual absl::StatusOr<int64_t> OrderedSetAddExisting(std::span<const std::string> keys,
                                                        std::string_view member) = 0;
  // Up to `limit` members (>= 0) that sort strictly below `below` (bytewise; an empty `below` is no
  // bound), greatest first. Empty when the set is absent. One command on Redis.
  virtual absl::StatusOr<std::vector<std::string>> OrderedSetRangeBelow(std::string_view key,
                                                                        std::string_view below,
                                                                        int64_t limit) = 0;
  // As OrderedSetRangeBelow, and the walk down also ends at the first member that sorts strictly
  // below `down_to` — that member included, so the caller learns what lies under the range (an empty
  // `down_to`: no such end). Up to `limit` members (>= 0), greatest first. Lets a reader that already
  // holds enough members above some bound fetch from another set only what can still matter (the feed
  // cache's merge of large accounts' lists). Atomic; one round trip on Redis (one script).
  virtual absl::StatusOr<std::vector<std::string>> OrderedSetRangeDownTo(std::string_view key,
                                                                         std::string_view below,
                                                                         std::string_view down_to,
                                                                         int64_t limit) = 0;

  // Network round trips made so far (each command, pipeline or script call is one); 0 for in-process
  // backends. Lets tests prove that a batch is one round trip, and `daira stats` show the traffic.
  virtual int64_t round_trips() const { return 0; }
  // The circuit breaker around the backend's network calls (Redis), for its state and counts; null
  // for in-process backends. Lives as long as the cache.
  virtual const resilience::CircuitBreaker* breaker() const { return nullptr; }
  // The in-process near cache in front of the backend (Redis with near_max_bytes > 0); nullopt when
  // there is none.
  virtual std::optional<NearCacheStats> near_stats() const { return std::nullopt; }

  // Read-through with single-flight: the bytes under `key` when they are cached and `usable` accepts
  // them (null: any bytes); otherwise `load` runs — once per key at a time in this process: concurrent
  // callers for the same key wait for that one load and share its bytes — and its bytes are stored
  // with `ttl`. A value loaded while the key was invalidated (Invalidate, below) is not left in the
  // cache, so a read after a committed write in this process never sees the old value.
  // Cache failures (Redis down) are not errors here: the load runs and its bytes are returned (storing
  // is then skipped). Returns `load`'s error when it fails; a waiter whose leader failed loads itself.
  absl::StatusOr<std::string> ReadThrough(std::string_view key,
                                          const std::function<absl::StatusOr<std::string>()>& load,
                                          std::chrono::milliseconds ttl = kPolicyTtl,
                                          const std::function<bool(std::string_view)>& usable = nullptr);
  // Deletes `keys` and marks them invalidated for loads already in flight (see ReadThrough). Call it
  // after the write committed (store::AfterCommit). Returns the Delete's status.
  absl::Status Invalidate(std::span<const std::string> keys);
  // The in-process write generation of `key` (one of 1,024 stripes). A caller that fills a key from
  // the database reads it before its load and compares after storing: when it moved, a write raced
  // the load (BumpGeneration or Invalidate ran) and the filled value must be deleted.
  uint64_t Generation(std::string_view key) { return GenerationOf(key).load(std::memory_order_acquire); }
  // Marks a write to `keys` that does not delete them (a list push), for Generation's readers.
  void BumpGeneration(std::span<const std::string> keys) {
    for (const std::string& key : keys) GenerationOf(key).fetch_add(1, std::memory_order_acq_rel);
  }
  // Loads `load` ran through ReadThrough (for tests: N concurrent misses → 1 load).
  int64_t read_through_loads() const { return loads_.load(std::memory_order_relaxed); }

  // Counts per namespace since the cache was opened.
  std::vector<NamespaceStats> Stats() const { return stats_.Snapshot(); }
  CacheStats& stats() { return stats_; }
  const Policy& policy() const { return policy_; }

 protected:
  explicit Cache(Policy policy);
  // kPolicyTtl resolved through the policy; other values as given.
  std::chrono::milliseconds ResolveTtl(std::string_view key, std::chrono::milliseconds ttl) const {
    return ttl == kPolicyTtl ? policy_.TtlFor(key) : ttl;
  }

 private:
  struct Flight;  // one in-flight load (src/cache/read_through.cc)
  static constexpr size_t kGenerationStripes = 1024;
  std::atomic<uint64_t>& GenerationOf(std::string_view key);

  Policy policy_;
  CacheStats stats_;
  std::mutex flights_mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  std::array<std::atomic<uint64_t>, kGenerationStripes> generations_{};
  std::atomic<int64_t> loads_{0};
};

}  // namespace daira::inline v0::cache
