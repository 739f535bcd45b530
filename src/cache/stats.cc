#include "daira/cache/stats.h"

#include "daira/cache/policy.h"

namespace daira::inline v0::cache {

size_t CacheStats::Slot(std::string_view key) {
  const std::string_view ns = Policy::NamespaceOf(key);
  const std::vector<std::string>& known = Policy::KnownNamespaces();
  for (size_t i = 0; i < known.size() && i + 1 < kSlots; ++i) {
    if (known[i] == ns) return i;
  }
  return kSlots - 1;
}

void CacheStats::Add(std::string_view key, Counter counter, int64_t n) {
  counts_[Slot(key)][static_cast<size_t>(counter)].fetch_add(n, std::memory_order_relaxed);
}

void CacheStats::HitWasMiss(std::string_view key) {
  auto& row = counts_[Slot(key)];
  row[static_cast<size_t>(Counter::kHit)].fetch_sub(1, std::memory_order_relaxed);
  row[static_cast<size_t>(Counter::kMiss)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<NamespaceStats> CacheStats::Snapshot() const {
  std::vector<NamespaceStats> out;
  const std::vector<std::string>& known = Policy::KnownNamespaces();
  for (size_t i = 0; i < kSlots; ++i) {
    auto get = [&](Counter c) { return counts_[i][static_cast<size_t>(c)].load(std::memory_order_relaxed); };
    NamespaceStats s{.ns = i < known.size() && i + 1 < kSlots ? known[i] : "other",
                     .hits = get(Counter::kHit),
                     .misses = get(Counter::kMiss),
                     .sets = get(Counter::kSet),
                     .evictions = get(Counter::kEviction),
                     .expirations = get(Counter::kExpiration),
                     .errors = get(Counter::kError)};
    if (s.hits || s.misses || s.sets || s.evictions || s.expirations || s.errors) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace daira::inline v0::cache
