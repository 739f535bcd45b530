// NearCache: the in-process tier in front of a RedisCache (docs/cache.md, "Near cache"), for the
// hottest namespaces (profile and session by default). A near hit is a read of this process's memory:
// no Redis round trip. Entries live at most `ttl` (short: 2 s by default), the whole tier is bounded in
// bytes (LRU per shard), and every instance drops a key when it hears of its invalidation on one Redis
// pub/sub channel (`<prefix>cache:near`), which RedisCache publishes to after each write of a near key.
//
//   NearCache::Options o{.max_bytes = 64 << 20, .ttl = std::chrono::seconds(2)};
//   DAIRA_ASSIGN_OR_RETURN(auto near, NearCache::Start(url, o));
//   if (auto v = near->Get("profile:42")) return *v;          // in-process
//   NearCache::Ticket t = near->Take("profile:42");           // before the Redis read
//   ... GET from Redis ...
//   near->Fill("profile:42", value, t);                       // kept only if nothing invalidated it
//   meanwhile
//
// Why tickets: a Redis read that raced an invalidation (its reply carries the value from before the
// DEL, the message arrived before the reply) must not put that value back. Each shard counts the
// invalidations that touched it, and a global epoch counts losses of the subscription; Fill keeps a
// value only when neither moved since Take, checked under the shard's lock that Drop also takes.
//
// Losing the subscription: from the moment the subscriber sees its connection fail, the tier is
// unusable (Get misses, Fill keeps nothing) and emptied; it is used again only once a new SUBSCRIBE
// has been acknowledged, because a message published in between was never heard.
//
// Thread-safety: safe from any number of threads; one subscriber thread per NearCache.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/redis/redis_url.h"
#include "daira/cache/stats.h"
#include "daira/core/clock.h"

namespace daira::inline v0::backends::redis {

class NearCache {
 public:
  struct Options {
    // The byte bound over all shards (key + value + kEntryOverhead per entry). > 0.
    int64_t max_bytes = 0;
    // How long an entry is served after it was filled. > 0.
    std::chrono::milliseconds ttl{2000};
    // The namespaces kept near (the text before a key's first ':').
    std::vector<std::string> namespaces = {"profile", "session"};
    // How often the subscriber pings a quiet connection; no answer within as long again = lost.
    std::chrono::milliseconds ping_interval{1000};
    // Time source of the entries' TTL (steady time); null = Clock::System(). Not owned.
    const Clock* clock = nullptr;
  };
  static constexpr int64_t kEntryOverhead = 96;
  static constexpr size_t kShards = 16;

  struct Ticket {
    uint64_t shard_generation = 0;
    uint64_t epoch = 0;
  };

  // Starts the subscriber on `url` (its own connection, named "daira-near:<prefix>:<pid>.<n>" in
  // CLIENT LIST)
  // and waits up to the URL's connect timeout for the first SUBSCRIBE to be acknowledged; when that
  // does not happen in time the tier starts unusable and becomes usable once it does.
  static absl::StatusOr<std::unique_ptr<NearCache>> Start(const RedisUrl& url, Options options);
  ~NearCache();
  NearCache(const NearCache&) = delete;
  NearCache& operator=(const NearCache&) = delete;

  // The pub/sub channel of invalidations: "<prefix>cache:near".
  static std::string ChannelFor(const RedisUrl& url) { return url.prefix + "cache:near"; }
  const std::string& channel() const { return channel_; }
  // The subscriber connection's CLIENT SETNAME.
  const std::string& connection_name() const { return connection_name_; }

  // True when `key`'s namespace is kept near.
  bool Covers(std::string_view key) const;
  // The value when usable, present and not expired; nullopt otherwise (counted as a near miss).
  std::optional<std::string> Get(std::string_view key);
  // Taken before the Redis read whose value may be filled.
  Ticket Take(std::string_view key) const;
  // Keeps `value` under `key` when the tier is usable and no invalidation (of this shard) nor a loss
  // of the subscription happened since `ticket` was taken.
  void Fill(std::string_view key, std::string_view value, const Ticket& ticket);
  // Drops `keys` here and marks their shards invalidated (for reads in flight). The writer calls it
  // before and after its Redis write; the subscriber for each message.
  void Drop(std::span<const std::string> keys);

  // Subscribed (entries served) now.
  bool usable() const { return usable_.load(std::memory_order_acquire); }
  // Waits until usable() is `want` or `timeout` passed; returns usable() == want. For tests.
  bool WaitUsable(bool want, std::chrono::milliseconds timeout);
  // Invalidation messages handled so far. For tests that wait for one.
  int64_t invalidations() const { return invalidations_.load(std::memory_order_acquire); }
  cache::NearCacheStats Stats() const;

 private:
  struct Entry {
    std::string key;
    std::string value;
    std::chrono::steady_clock::time_point expires;
    int64_t bytes = 0;
  };
  struct Shard {
    std::mutex mu;
    std::list<Entry> lru;                                                    // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views into lru's keys
    int64_t bytes = 0;
    uint64_t generation = 0;  // invalidations that touched this shard (under mu)
  };

  NearCache(const RedisUrl& url, Options options);
  Shard& ShardOf(std::string_view key) const;
  void EraseLocked(Shard& shard, std::list<Entry>::iterator it);
  // Unusable and emptied (the subscription is lost or not yet acknowledged).
  void Disable();
  // Emptied again and usable (a SUBSCRIBE was acknowledged on a fresh connection).
  void Enable();
  void Run();
  // Serves one connection until it fails or Stop; returns when it does.
  void Serve();
  void Stop();

  RedisUrl url_;
  Options options_;
  std::string channel_;
  std::string connection_name_;
  const Clock* clock_;
  int64_t shard_budget_;
  mutable std::array<Shard, kShards> shards_;  // mutable: const readers lock their mutexes
  std::atomic<bool> usable_{false};
  std::atomic<uint64_t> epoch_{0};

  std::atomic<int64_t> hits_{0}, misses_{0}, fills_{0}, evictions_{0}, invalidations_{0}, clears_{0},
      resubscribes_{0};

  std::mutex state_mu_;
  std::condition_variable state_cv_;
  bool stop_ = false;
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace daira::inline v0::backends::redis
