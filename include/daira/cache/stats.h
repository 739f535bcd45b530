// cache::CacheStats: hit, miss, set, eviction, expiry and error counts per key namespace, kept by
// every cache backend and shown by `daira stats`, so a deployment can read its own hit rates.
//
//   for (const cache::NamespaceStats& s : platform->cache().Stats()) {
//     std::printf("%s hit rate %.2f\n", s.ns.c_str(), s.HitRate());
//   }
//
// Namespaces are the policy table's (session, feed, profile, vector, ratelimit, analytics, custom);
// keys in any other namespace are counted under "other". Counts are since the cache was opened, in
// this process (a Redis cache counts this instance's calls, not the server's).
//
// Thread-safety: every method is safe from any thread (relaxed atomic counters; a snapshot is not
// one instant across namespaces).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace daira::inline v0::cache {

struct NamespaceStats {
  std::string ns;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t sets = 0;
  int64_t evictions = 0;    // dropped to stay under the byte budget (memory backend)
  int64_t expirations = 0;  // removed because their TTL passed (memory backend)
  int64_t errors = 0;       // calls that failed (e.g. Redis unavailable)
  // hits / (hits + misses), 0 when there were no reads.
  double HitRate() const {
    const int64_t reads = hits + misses;
    return reads == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(reads);
  }
};

// The near cache's state and counts (a `redis://` cache with near_max_bytes > 0; docs/cache.md,
// "Near cache"). Counts are since the cache was opened, in this process.
struct NearCacheStats {
  bool usable = false;            // subscribed to the invalidation channel: near entries are served
  int64_t max_bytes = 0;          // the byte bound (near_max_bytes)
  int64_t ttl_ms = 0;             // an entry's lifetime (near_ttl_ms)
  int64_t bytes = 0;              // bytes held now (key + value + a fixed overhead per entry)
  int64_t entries = 0;            // entries held now (expired ones not yet dropped included)
  int64_t hits = 0;               // reads answered in-process (no Redis round trip)
  int64_t misses = 0;             // reads of a near namespace that went to Redis
  int64_t fills = 0;              // values kept after a Redis read
  int64_t evictions = 0;          // entries dropped to stay under max_bytes
  int64_t invalidations = 0;      // invalidation messages received (this instance's own included)
  int64_t clears = 0;             // times the near cache was emptied because the subscription was lost
  int64_t resubscribes = 0;       // subscriptions acknowledged (the first one included)
};

class CacheStats {
 public:
  enum class Counter { kHit, kMiss, kSet, kEviction, kExpiration, kError };
  CacheStats() = default;
  CacheStats(const CacheStats&) = delete;
  CacheStats& operator=(const CacheStats&) = delete;

  // Adds `n` to `counter` of the namespace of `key` (Policy::NamespaceOf).
  void Add(std::string_view key, Counter counter, int64_t n = 1);
  // A read that found bytes the caller could not use (an older format version): one hit becomes a miss.
  void HitWasMiss(std::string_view key);
  // One row per namespace that has any count, known namespaces first, then "other".
  std::vector<NamespaceStats> Snapshot() const;

 private:
  static constexpr size_t kSlots = 8;  // the 7 known namespaces + "other"
  static constexpr size_t kCounters = 6;
  static size_t Slot(std::string_view key);
  std::array<std::array<std::atomic<int64_t>, kCounters>, kSlots> counts_{};
};

}  // namespace daira::inline v0::cache
