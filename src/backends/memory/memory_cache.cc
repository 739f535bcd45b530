#include "backends/memory/memory_cache.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/byte_size_internal.h"
#include "daira/core/status.h"
#include "daira/core/url.h"

namespace daira::inline v0::backends::memory {

namespace {

using cache::CacheStats;
using Counter = cache::CacheStats::Counter;

constexpr int64_t kEntryOverhead = 96;    // node, map slot, bookkeeping
constexpr int64_t kElementOverhead = 32;  // per list element

absl::Status WrongType(std::string_view op, std::string_view key, std::string_view want) {
  return absl::FailedPreconditionError(
      absl::StrCat("memory cache: ", ToAbsl(op), ": key '", ToAbsl(key), "' does not hold a ", ToAbsl(want)));
}

}  // namespace

absl::StatusOr<MemoryCacheOptions> MemoryCacheOptions::FromUrl(std::string_view text) {
  DAIRA_ASSIGN_OR_RETURN(Url url, ParseUrl(text));
  if (url.scheme != "memory") {
    return InvalidField("memory cache: open", "url",
                        absl::StrCat("scheme must be 'memory:' (got '", url.scheme, ":')"));
  }
  MemoryCacheOptions o;
  o.url = std::string(text);
  for (const auto& [name, value] : url.params) {
    if (name == "max_bytes") {
      DAIRA_ASSIGN_OR_RETURN(o.max_bytes,
                             daira::internal::ParseByteSize("memory cache: open", "max_bytes", value));
    } else if (name == "shards") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 1024) {
        return InvalidField("memory cache: open", "shards",
                            absl::StrCat("must be 1..1024 (got '", value, "')"));
      }
      o.shards = n;
    } else if (name == "sweep_interval_ms") {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(value, &ms) || ms < 1) {
        return InvalidField("memory cache: open", "sweep_interval_ms",
                            absl::StrCat("must be a whole number of milliseconds >= 1 (got '", value, "')"));
      }
      o.sweep_interval = std::chrono::milliseconds(ms);
    } else {
      bool applied = false;
      DAIRA_RETURN_IF_ERROR(Annotate(o.policy.ApplyParam(name, value, &applied), "memory cache: open"));
      if (!applied) {
        return InvalidField("memory cache: open", name,
                            absl::StrCat("is not a memory cache parameter (url '", url.Redacted(), "')"));
      }
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// One shard: a map from key to a node in an LRU list (front = most recently used).

struct MemoryCache::Shard {
  struct Node {
    std::string key;
    bool is_list = false;
    bool is_set = false;  // an ordered set (`set`), never also a list
    std::string value;
    std::deque<std::string> list;  // front = newest
    std::deque<std::string> set;   // ascending bytes, unique: new greatest members go to the back
    int64_t expires_us = 0;        // 0 = never
    int64_t bytes = 0;
  };
  using Lru = std::list<Node>;

  std::mutex mu;
  Lru lru;
  std::unordered_map<std::string_view, Lru::iterator> index;
  int64_t bytes = 0;
  int64_t budget = 0;
  int64_t next_sweep_us = 0;
  CacheStats* stats = nullptr;

  static int64_t SizeOf(const Node& n) {
    int64_t b = kEntryOverhead + static_cast<int64_t>(n.key.size() + n.value.size());
    for (const std::string& e : n.list) b += kElementOverhead + static_cast<int64_t>(e.size());
    for (const std::string& e : n.set) b += kElementOverhead + static_cast<int64_t>(e.size());
    return b;
  }
  static bool Expired(const Node& n, int64_t now) { return n.expires_us != 0 && n.expires_us <= now; }

  void Erase(Lru::iterator it) {
    bytes -= it->bytes;
    index.erase(std::string_view(it->key));
    lru.erase(it);
  }
  // Recomputes the size of `it` (the most recently used node) after a change and evicts from the cold
  // end until the shard fits. A node bigger than the whole shard budget is dropped itself.
  void Resize(Lru::iterator it) {
    const int64_t now_bytes = SizeOf(*it);
    bytes += now_bytes - it->bytes;
    it->bytes = now_bytes;
    if (now_bytes > budget) {  // could never fit: drop it rather than empty the shard for it
      stats->Add(it->key, Counter::kEviction);
      Erase(it);
      return;
    }
    while (bytes > budget) {
      auto victim = std::prev(lru.end());  // never `it`: it is at the front and fits alone
      stats->Add(victim->key, Counter::kEviction);
      Erase(victim);
    }
  }
  void MaybeSweep(int64_t now, int64_t interval_us) {
    if (now < next_sweep_us) return;
    next_sweep_us = now + interval_us;
    for (auto it = lru.begin(); it != lru.end();) {
      auto next = std::next(it);
      if (Expired(*it, now)) {
        stats->Add(it->key, Counter::kExpiration);
        Erase(it);
      }
      it = next;
    }
  }
  // The live node for `key` (moved to the front), or lru.end().
  Lru::iterator Find(std::string_view key, int64_t now) {
    auto found = index.find(key);
    if (found == index.end()) return lru.end();
    Lru::iterator it = found->second;
    if (Expired(*it, now)) {
      stats->Add(it->key, Counter::kExpiration);
      Erase(it);
      return lru.end();
    }
    lru.splice(lru.begin(), lru, it);
    return it;
  }
  // A fresh node for `key` at the front (replacing any old one).
  Lru::iterator Create(std::string_view key) {
    auto found = index.find(key);
    if (found != index.end()) Erase(found->second);
    lru.emplace_front();
    Lru::iterator it = lru.begin();
    it->key = std::string(key);
    index.emplace(std::string_view(it->key), it);
    return it;
  }
  // The live list (or ordered set, when `set`) under `key`, created when absent (ListPush,
  // OrderedSetAdd); FailedPrecondition naming the key when it holds anything else.
  absl::StatusOr<Lru::iterator> Collection(std::string_view op, std::string_view key, int64_t now, bool set) {
    Lru::iterator it = Find(key, now);
    if (it != lru.end() && (set ? !it->is_set : !it->is_list)) {
      return WrongType(op, key, set ? "ordered set" : "list");
    }
    if (it == lru.end()) {
      it = Create(key);
      (set ? it->is_set : it->is_list) = true;
    }
    return it;
  }
  static int64_t ExpiryFor(int64_t now, std::chrono::milliseconds ttl) {
    return ttl.count() > 0 ? now + ttl.count() * 1000 : 0;
  }
  void SetLocked(std::string_view key, std::string_view value, std::chrono::milliseconds ttl, int64_t now) {
    Lru::iterator it = Create(key);
    it->value = std::string(value);
    it->expires_us = ExpiryFor(now, ttl);
    stats->Add(key, Counter::kSet);
    Resize(it);
  }
};

MemoryCache::MemoryCache(const MemoryCacheOptions& options)
    : cache::Cache(options.policy), options_(options) {
  if (options_.clock == nullptr) options_.clock = Clock::System();
  const int64_t per_shard = std::max<int64_t>(1, options_.max_bytes / options_.shards);
  for (int i = 0; i < options_.shards; ++i) {
    auto s = std::make_unique<Shard>();
    s->budget = per_shard;
    s->stats = &stats();
    shards_.push_back(std::move(s));
  }
}

MemoryCache::~MemoryCache() = default;

absl::StatusOr<std::unique_ptr<MemoryCache>> MemoryCache::Open(const MemoryCacheOptions& options) {
  if (options.max_bytes <= 0) return InvalidField("memory cache: open", "max_bytes", "must be positive");
  if (options.shards < 1 || options.shards > 1024)
    return InvalidField("memory cache: open", "shards", "must be 1..1024");
  if (options.sweep_interval.count() < 1) {
    return InvalidField("memory cache: open", "sweep_interval_ms", "must be >= 1");
  }
  return std::unique_ptr<MemoryCache>(new MemoryCache(options));
}

std::string MemoryCache::Describe() const { return options_.url; }

MemoryCache::Shard& MemoryCache::ShardFor(std::string_view key) const {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

int64_t MemoryCache::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(options_.clock->SteadyNow().time_since_epoch())
      .count();
}

absl::StatusOr<std::optional<std::string>> MemoryCache::Get(std::string_view key) {
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  s.MaybeSweep(now, options_.sweep_interval.count() * 1000);
  auto it = s.Find(key, now);
  if (it == s.lru.end()) {
    stats().Add(key, Counter::kMiss);
    return std::optional<std::string>();
  }
  if (it->is_list || it->is_set) return WrongType("get", key, "value");
  stats().Add(key, Counter::kHit);
  return std::optional<std::string>(it->value);
}

absl::Status MemoryCache::Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  const std::chrono::milliseconds resolved = ResolveTtl(key, ttl);
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  s.MaybeSweep(now, options_.sweep_interval.count() * 1000);
  s.SetLocked(key, value, resolved, now);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> MemoryCache::Delete(std::span<const std::string> keys) {
  int64_t n = 0;
  const int64_t now = NowMicros();
  for (const std::string& key : keys) {
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.Find(key, now);
    if (it == s.lru.end()) continue;
    s.Erase(it);
    ++n;
  }
  return n;
}

absl::StatusOr<std::vector<std::optional<std::string>>> MemoryCache::MGet(std::span<const std::string> keys) {
  std::vector<std::optional<std::string>> out(keys.size());
  const int64_t now = NowMicros();
  for (size_t i = 0; i < keys.size(); ++i) {
    Shard& s = ShardFor(keys[i]);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.Find(keys[i], now);
    // As Redis MGET: a key holding a list reads as a miss.
    if (it == s.lru.end() || it->is_list || it->is_set) {
      stats().Add(keys[i], Counter::kMiss);
      continue;
    }
    stats().Add(keys[i], Counter::kHit);
    out[i] = it->value;
  }
  return out;
}

absl::Status MemoryCache::MSet(std::span<const cache::CacheEntry> entries) {
  const int64_t now = NowMicros();
  for (const cache::CacheEntry& e : entries) {
    const std::chrono::milliseconds ttl = ResolveTtl(e.key, e.ttl);
    Shard& s = ShardFor(e.key);
    std::lock_guard<std::mutex> lock(s.mu);
    s.SetLocked(e.key, e.value, ttl, now);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> MemoryCache::Increment(std::string_view key, int64_t delta,
                                               std::chrono::milliseconds ttl) {
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.Find(key, now);
  int64_t value = 0;
  if (it != s.lru.end()) {
    if (it->is_list || it->is_set || !absl::SimpleAtoi(it->value, &value)) {
      return WrongType("increment", key, "integer");
    }
    if ((delta > 0 && value > INT64_MAX - delta) || (delta < 0 && value < INT64_MIN - delta)) {
      return absl::FailedPreconditionError(
          absl::StrCat("memory cache: increment: key '", ToAbsl(key), "' would overflow"));
    }
    value += delta;
    it->value = absl::StrCat(value);
    s.Resize(it);
  } else {
    value = delta;
    s.SetLocked(key, absl::StrCat(value), ResolveTtl(key, ttl), now);
  }
  return value;
}

absl::StatusOr<std::optional<std::chrono::milliseconds>> MemoryCache::Ttl(std::string_view key) {
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.Find(key, now);
  if (it == s.lru.end()) return std::optional<std::chrono::milliseconds>();
  if (it->expires_us == 0) return std::optional<std::chrono::milliseconds>(cache::kNoExpiry);
  // Rounded up, so a live key never reports 0 (which means "no expiry").
  return std::optional<std::chrono::milliseconds>(
      std::chrono::milliseconds((it->expires_us - now + 999) / 1000));
}

template <typename Add>
absl::Status MemoryCache::WriteCollection(std::string_view key, std::chrono::milliseconds ttl,
                                          std::string_view op, bool set, Add add) {
  const std::chrono::milliseconds resolved = ResolveTtl(key, ttl);
  const int64_t max_len = policy().For(cache::Policy::NamespaceOf(key)).max_list_length;
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  s.MaybeSweep(now, options_.sweep_interval.count() * 1000);
  DAIRA_ASSIGN_OR_RETURN(auto it, s.Collection(op, key, now, set));
  add(*it, max_len);
  it->expires_us = Shard::ExpiryFor(now, resolved);
  stats().Add(key, Counter::kSet);
  s.Resize(it);
  return absl::OkStatus();
}

absl::Status MemoryCache::ListPush(std::string_view key, std::span<const std::string> values,
                                   std::chrono::milliseconds ttl) {
  if (values.empty()) return absl::OkStatus();
  return WriteCollection(key, ttl, "list push", /*set=*/false, [&](auto& node, int64_t max_len) {
    for (const std::string& v : values) node.list.push_front(v);
    if (max_len > 0 && static_cast<int64_t>(node.list.size()) > max_len) node.list.resize(max_len);
  });
}

absl::Status MemoryCache::ListTrim(std::string_view key, int64_t max_length) {
  if (max_length < 0) return InvalidField("memory cache: list trim", "max_length", "must not be negative");
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.Find(key, now);
  if (it == s.lru.end()) return absl::OkStatus();
  if (!it->is_list) return WrongType("list trim", key, "list");
  if (max_length == 0) {
    s.Erase(it);
    return absl::OkStatus();
  }
  if (static_cast<int64_t>(it->list.size()) > max_length) it->list.resize(max_length);
  s.Resize(it);
  return absl::OkStatus();
}

template <typename Read>
absl::StatusOr<std::vector<std::string>> MemoryCache::ReadCollection(std::string_view key,
                                                                     std::string_view op, bool set,
                                                                     Read read) {
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.Find(key, now);
  std::vector<std::string> out;
  if (it == s.lru.end()) {
    stats().Add(key, Counter::kMiss);
    return out;
  }
  if (set ? !it->is_set : !it->is_list) return WrongType(op, key, set ? "ordered set" : "list");
  stats().Add(key, Counter::kHit);
  read(*it, out);
  return out;
}

absl::StatusOr<std::vector<std::string>> MemoryCache::ListRange(std::string_view key, int64_t start,
                                                                int64_t stop) {
  return ReadCollection(key, "list range", /*set=*/false,
                        [&](const auto& node, std::vector<std::string>& out) {
                          const int64_t n = static_cast<int64_t>(node.list.size());
                          if (start < 0) start += n;
                          if (stop < 0) stop += n;
                          start = std::max<int64_t>(start, 0);
                          stop = std::min<int64_t>(stop, n - 1);
                          if (stop >= start) out.reserve(static_cast<size_t>(stop - start + 1));
                          for (int64_t i = start; i <= stop; ++i)
                            out.push_back(node.list[static_cast<size_t>(i)]);
                        });
}

absl::StatusOr<int64_t> MemoryCache::ListRemove(std::string_view key, std::string_view value) {
  Shard& s = ShardFor(key);
  const int64_t now = NowMicros();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.Find(key, now);
  if (it == s.lru.end()) return int64_t{0};
  if (!it->is_list) return WrongType("list remove", key, "list");
  const size_t before = it->list.size();
  it->list.erase(std::remove(it->list.begin(), it->list.end(), value), it->list.end());
  const int64_t removed = static_cast<int64_t>(before - it->list.size());
  if (it->list.empty()) {
    s.Erase(it);  // as Redis: an empty list does not exist
  } else {
    s.Resize(it);
  }
  return removed;
}

template <typename Add>
absl::StatusOr<int64_t> MemoryCache::AddToExisting(std::span<const std::string> keys, std::string_view op, bool set,
                                                   Add add) {
  int64_t reached = 0;
  const int64_t now = NowMicros();
  for (const std::string& key : keys) {
    const int64_t max_len = policy().For(cache::Policy::NamespaceOf(key)).max_list_length;
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.Find(key, now);
    if (it == s.lru.end()) continue;
    if (set ? !it->is_set : !it->is_list) return WrongType(op, key, set ? "ordered set" : "list");
    add(*it, max_len);
    stats().Add(key, Counter::kSet);
    s.Resize(it);
    ++reached;
  }
  return reached;
}

absl::StatusOr<int64_t> MemoryCache::ListPushExisting(std::span<const std::string> keys,
                                                      std::string_view value) {
  return AddToExisting(keys, "list push existing", /*set=*/false, [&](auto& node, int64_t max_len) {
    node.list.emplace_front(value);
    if (max_len > 0 && static_cast<int64_t>(node.list.size()) > max_len) node.list.resize(max_len);
  });
}

namespace {

// Inserts `member` into the ascending, unique `set` (new greatest members, the common case, go to the
// back at once) and drops the least members beyond `max_len` (0: no cap).
void SetInsert(std::deque<std::string>& set, std::string_view member, int64_t max_len) {
  if (set.empty() || set.back() < member) {
    set.emplace_back(member);
  } else {
    auto at = std::lower_bound(set.begin(), set.end(), member);
    if (*at != member) set.emplace(at, member);
  }
  while (max_len > 0 && static_cast<int64_t>(set.size()) > max_len) set.pop_front();
}

}  // namespace

absl::Status MemoryCache::OrderedSetAdd(std::string_view key, std::span<const std::string> members,
                                        std::chrono::milliseconds ttl) {
  if (members.empty()) return absl::OkStatus();
  return WriteCollection(key, ttl, "ordered set add", /*set=*/true, [&](auto& node, int64_t max_len) {
    for (const std::string& m : members) SetInsert(node.set, m, max_len);
  });
}

absl::StatusOr<int64_t> MemoryCache::OrderedSetAddExisting(std::span<const std::string> keys,
                                                           std::string_view member) {
  return AddToExisting(keys, "ordered set add existing", /*set=*/true,
                       [&](auto& node, int64_t max_len) { SetInsert(node.set, member, max_len); });
}

absl::StatusOr<std::vector<std::string>> MemoryCache::OrderedSetRangeBelow(std::string_view key,
                                                                           std::string_view below,
                                                                           int64_t limit) {
  return OrderedSetRangeDownTo(key, below, /*down_to=*/"", limit);
}

absl::StatusOr<std::vector<std::string>> MemoryCache::OrderedSetRangeDownTo(std::string_view key,
                                                                            std::string_view below,
                                                                            std::string_view down_to,
                                                                            int64_t limit) {
  if (limit < 0) return InvalidField("memory cache: ordered set range", "limit", "must not be negative");
  return ReadCollection(
      key, "ordered set range", /*set=*/true, [&](const auto& node, std::vector<std::string>& out) {
        auto end = below.empty() ? node.set.end() : std::lower_bound(node.set.begin(), node.set.end(), below);
        const int64_t n = std::min<int64_t>(limit, end - node.set.begin());
        out.reserve(static_cast<size_t>(down_to.empty() ? n : std::min<int64_t>(n, 64)));
        for (int64_t i = 0; i < n; ++i) {
          out.push_back(*--end);
          if (!down_to.empty() && std::string_view(out.back()) < down_to)
            break;  // the member under the range
        }
      });
}

int64_t MemoryCache::bytes_used() const {
  int64_t total = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    total += s->bytes;
  }
  return total;
}

int64_t MemoryCache::entries() const {
  int64_t total = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    total += static_cast<int64_t>(s->lru.size());
  }
  return total;
}

}  // namespace daira::inline v0::backends::memory
