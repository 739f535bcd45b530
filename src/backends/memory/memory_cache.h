// MemoryCache: the in-process `memory:` cache backend. Sharded (a mutex per shard), TTL expiry both
// lazy (an expired entry is never returned) and periodic (each shard sweeps its expired entries at
// most once per sweep_interval, on a call into that shard — no thread the user must manage), and LRU
// eviction per shard under a byte budget (max_bytes split evenly across the shards).
//
//   MemoryCacheOptions o;                         // or
//   MemoryCacheOptions::FromUrl("memory:?max_bytes=64MiB") o.max_bytes = 64 << 20;
//   DAIRA_ASSIGN_OR_RETURN(auto cache, MemoryCache::Open(o));
//
// Bytes are counted as key + value sizes plus a fixed per-entry (and per-list-element) overhead, so the
// budget bounds memory approximately. An entry larger than one shard's budget is not kept (counted as
// an eviction). Times come from options.clock's steady clock (a ManualClock in tests).
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/cache/cache.h"
#include "daira/core/clock.h"

namespace daira::inline v0::backends::memory {

struct MemoryCacheOptions {
  // Byte budget over all shards (`max_bytes=`, accepts KiB/MiB/GiB suffixes). Default 256 MiB.
  int64_t max_bytes = int64_t{256} << 20;
  // Number of shards (`shards=`, 1..1024). Default 16.
  int shards = 16;
  // How often a shard sweeps its expired entries (`sweep_interval_ms=`). Default 1 s.
  std::chrono::milliseconds sweep_interval{1000};
  // Time source; null = Clock::System(). Not owned.
  const Clock* clock = nullptr;
  // TTL table; overridden by the URL's policy parameters (ttl_<ns>_ms, jitter, list_max_<ns>, ...).
  cache::Policy policy = cache::Policy::Defaults();

  // Parses "memory:" with optional parameters. InvalidArgument naming an unknown parameter or bad value.
  static absl::StatusOr<MemoryCacheOptions> FromUrl(std::string_view url);
  // "memory:?max_bytes=...&shards=..." as given to FromUrl (for Describe()).
  std::string url = "memory:";
};

class MemoryCache final : public cache::Cache {
 public:
  static absl::StatusOr<std::unique_ptr<MemoryCache>> Open(const MemoryCacheOptions& options);
  ~MemoryCache() override;

  std::string_view Name() const override { return "memory"; }
  std::string Describe() const override;

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  absl::Status Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  using cache::Cache::Delete;
  absl::StatusOr<int64_t> Delete(std::span<const std::string> keys) override;
  absl::StatusOr<std::vector<std::optional<std::string>>> MGet(std::span<const std::string> keys) override;
  absl::Status MSet(std::span<const cache::CacheEntry> entries) override;
  absl::StatusOr<int64_t> Increment(std::string_view key, int64_t delta,
                                    std::chrono::milliseconds ttl) override;
  absl::StatusOr<std::optional<std::chrono::milliseconds>> Ttl(std::string_view key) override;
  absl::Status ListPush(std::string_view key, std::span<const std::string> values,
                        std::chrono::milliseconds ttl) override;
  absl::Status ListTrim(std::string_view key, int64_t max_length) override;
  absl::StatusOr<int64_t> ListPushExisting(std::span<const std::string> keys,
                                           std::string_view value) override;
  absl::StatusOr<std::vector<std::string>> ListRange(std::string_view key, int64_t start,
                                                     int64_t stop) override;
  absl::StatusOr<int64_t> ListRemove(std::string_view key, std::string_view value) override;
  absl::Status OrderedSetAdd(std::string_view key, std::span<const std::string> members,
                             std::chrono::milliseconds ttl) override;
  absl::StatusOr<int64_t> OrderedSetAddExisting(std::span<const std::string> keys,
                                                std::string_view member) override;
  absl::StatusOr<std::vector<std::string>> OrderedSetRangeBelow(std::string_view key, std::string_view below,
                                                                int64_t limit) override;
  absl::StatusOr<std::vector<std::string>> OrderedSetRangeDownTo(std::string_view key, std::string_view below,
                                                                 std::string_view down_to,
                                                                 int64_t limit) override;

  // Bytes accounted now (≤ max_bytes after every call) and entries held (expired ones not yet swept
  // included).
  int64_t bytes_used() const;
  int64_t entries() const;
  const MemoryCacheOptions& options() const { return options_; }

 private:
  struct Shard;
  explicit MemoryCache(const MemoryCacheOptions& options);
  Shard& ShardFor(std::string_view key) const;
  int64_t NowMicros() const;
  // ListPushExisting's and OrderedSetAddExisting's loop: `add(node, max_len)` on each key of `keys` that
  // exists and holds a list (an ordered set when `set`); WrongType naming `op` for one that holds
  // anything else. How many keys were reached.
  template <typename Add>
  absl::StatusOr<int64_t> AddToExisting(std::span<const std::string> keys, std::string_view op, bool set, Add add);

  // The write path of ListPush / OrderedSetAdd: under the key's shard lock (after a due sweep), the
  // list (an ordered set when `set`) at `key`, created when absent (WrongType naming `op` for another
  // type); `add(node, max_len)` adds to it; then the TTL, the set count and the shard's bytes.
  template <typename Add>
  absl::Status WriteCollection(std::string_view key, std::chrono::milliseconds ttl, std::string_view op,
                               bool set, Add add);
  // The read prologue of ListRange / OrderedSetRangeBelow: under the key's shard lock, a miss counts
  // and reads empty; a key holding anything but a list (an ordered set when `set`) is WrongType naming
  // `op`; a hit counts and `read(node, out)` copies what is asked.
  template <typename Read>
  absl::StatusOr<std::vector<std::string>> ReadCollection(std::string_view key, std::string_view op, bool set,
                                                          Read read);

  MemoryCacheOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace daira::inline v0::backends::memory
