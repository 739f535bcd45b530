// cache::Cache's read-through with single-flight, and invalidation generations.
//
// Why generations: a load that read the database before a write committed must not store its (old)
// value after the write's invalidation deleted the key. Each key maps to one of kGenerationStripes
// counters; Invalidate bumps it before deleting, and a load re-checks it after storing and deletes
// its own value when it moved. Either order of the two leaves the key deleted (a false-sharing
// stripe only costs a skipped fill). In-process only: another instance's load racing this
// instance's write is bounded by the TTL (docs/cache.md, "Invalidation").
#include <condition_variable>
#include <functional>

#include "daira/cache/cache.h"

namespace daira::inline v0::cache {

struct Cache::Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  absl::StatusOr<std::string> result = absl::UnknownError("in flight");
};

Cache::Cache(Policy policy) : policy_(std::move(policy)) {}

std::atomic<uint64_t>& Cache::GenerationOf(std::string_view key) {
  return generations_[std::hash<std::string_view>{}(key) % kGenerationStripes];
}

absl::StatusOr<std::string> Cache::ReadThrough(std::string_view key,
                                               const std::function<absl::StatusOr<std::string>()>& load,
                                               std::chrono::milliseconds ttl,
                                               const std::function<bool(std::string_view)>& usable) {
  // 1. The cache. A failure (Redis down) is a miss: the database answers.
  absl::StatusOr<std::optional<std::string>> cached = Get(key);
  if (cached.ok() && cached->has_value() && (usable == nullptr || usable(**cached)))
    return **std::move(cached);
  if (cached.ok() && cached->has_value()) stats_.HitWasMiss(key);  // bytes of another format version

  // 2. Join the load in flight for this key, or lead one.
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard<std::mutex> lock(flights_mu_);
    auto [it, inserted] = flights_.try_emplace(std::string(key));
    if (inserted) it->second = std::make_shared<Flight>();
    flight = it->second;
    leader = inserted;
  }
  if (!leader) {
    std::unique_lock<std::mutex> lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done; });
    if (flight->result.ok()) return flight->result;
    // The leader failed (its own deadline, say): this caller's load is its own.
    loads_.fetch_add(1, std::memory_order_relaxed);
    return load();
  }

  // 3. As leader, look once more: a caller that missed just before the previous leader stored its
  //    value, and registered just after that leader left, finds the value here instead of loading again.
  const uint64_t generation = GenerationOf(key).load(std::memory_order_acquire);
  absl::StatusOr<std::string> loaded = absl::UnknownError("not loaded");
  absl::StatusOr<std::optional<std::string>> again = Get(key);
  if (again.ok()) stats_.Add(key, CacheStats::Counter::kMiss, -1);  // one read for the caller, not two
  if (again.ok() && again->has_value() && (usable == nullptr || usable(**again))) {
    loaded = **std::move(again);
  } else {
    loads_.fetch_add(1, std::memory_order_relaxed);
    loaded = load();
    if (loaded.ok() && Set(key, *loaded, ttl).ok() &&
        GenerationOf(key).load(std::memory_order_acquire) != generation) {
      Delete(key).IgnoreError();  // invalidated while loading: never leave the older value behind
    }
  }
  {
    std::lock_guard<std::mutex> lock(flights_mu_);
    flights_.erase(std::string(key));
  }
  {
    std::lock_guard<std::mutex> lock(flight->mu);
    flight->result = loaded;
    flight->done = true;
  }
  flight->cv.notify_all();
  return loaded;
}

absl::Status Cache::Invalidate(std::span<const std::string> keys) {
  for (const std::string& key : keys) GenerationOf(key).fetch_add(1, std::memory_order_acq_rel);
  return Delete(keys).status();
}

}  // namespace daira::inline v0::cache
