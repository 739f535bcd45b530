#include "backends/memory/memory_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace daira::inline v0::backends::memory {

using ratelimit::Decision;
using ratelimit::Limit;
using std::chrono::milliseconds;

namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

}  // namespace

// The sliding-window counter, in integers: weighted*W = previous*(W - elapsed) + current*W.
Decision CheckSlidingWindow(RateState& s, const Limit& limit, int64_t now_ms, int64_t cost) {
  const int64_t w = limit.window.count();
  const int64_t l = limit.count;
  const int64_t ws = now_ms - (now_ms % w);
  if (s.window_start == ws) {
  } else if (s.window_start == ws - w) {
    s.previous = s.current;
    s.current = 0;
  } else {
    s.previous = 0;
    s.current = 0;
  }
  s.window_start = ws;
  s.expires_at = ws + 2 * w;
  const int64_t e = now_ms - ws;
  Decision d;
  d.limit = l;
  d.reset_after = milliseconds(w - e);
  if (s.previous * (w - e) + (s.current + cost) * w <= l * w) {
    s.current += cost;
    d.allowed = true;
    d.remaining = std::max<int64_t>(0, (l * w - s.previous * (w - e) - s.current * w) / w);
    return d;
  }
  if (s.current + cost <= l) {
    // Allowed once enough of the previous window has slid out (still inside the current window).
    d.retry_after = milliseconds(CeilDiv(s.previous * (w - e) - (l - s.current - cost) * w, s.previous));
  } else {
    // Allowed once the next window has started and enough of this one has slid out.
    d.retry_after = milliseconds(w - e + CeilDiv(w * (s.current - l + cost), s.current));
  }
  return d;
}

Decision CheckGcra(RateState& s, const Limit& limit, int64_t now_ms, int64_t cost) {
  const double w = static_cast<double>(limit.window.count());
  const double t = w / static_cast<double>(limit.count);
  const double now = static_cast<double>(now_ms);
  const double tat = std::max(s.tat, now);
  const double new_tat = tat + static_cast<double>(cost) * t;
  const double allow_at = new_tat - w;
  Decision d;
  d.limit = limit.count;
  if (allow_at > now) {
    d.retry_after = milliseconds(static_cast<int64_t>(std::ceil(allow_at - now)));
    d.reset_after = milliseconds(static_cast<int64_t>(std::ceil(tat - now)));
    return d;
  }
  s.tat = new_tat;
  s.expires_at = static_cast<int64_t>(std::ceil(new_tat));
  d.allowed = true;
  d.remaining = static_cast<int64_t>(std::floor((w - (new_tat - now)) / t));
  d.reset_after = milliseconds(static_cast<int64_t>(std::ceil(new_tat - now)));
  return d;
}

absl::StatusOr<std::unique_ptr<MemoryRateLimiter>> MemoryRateLimiter::Open(
    ratelimit::RateLimiterOptions options, MemoryRateLimiterOptions memory) {
  if (memory.shards < 1 || memory.shards > 1024) {
    return absl::InvalidArgumentError("memory rate limiter: shards must be in 1..1024");
  }
  if (memory.max_keys < memory.shards) {
    return absl::InvalidArgumentError("memory rate limiter: max_keys must be >= shards");
  }
  if (absl::Status s = ratelimit::RateLimiter::ValidateLimits(options); !s.ok()) return s;
  return std::unique_ptr<MemoryRateLimiter>(new MemoryRateLimiter(std::move(options), memory));
}

MemoryRateLimiter::MemoryRateLimiter(ratelimit::RateLimiterOptions options, MemoryRateLimiterOptions memory)
    : RateLimiter(std::move(options)),
      memory_(memory),
      per_shard_(static_cast<size_t>(memory.max_keys / memory.shards)) {
  for (int i = 0; i < memory_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

absl::StatusOr<Decision> MemoryRateLimiter::Check(std::string_view key, std::string_view endpoint,
                                                  int64_t cost) {
  absl::StatusOr<Limit> limit = LimitFor(key, endpoint, cost);
  if (!limit.ok()) return limit.status();
  const int64_t now_ms = ToUnixMicros(clock().Now()) / 1000;
  std::string k(endpoint);
  k.push_back('\0');
  k.append(key);
  Shard& shard = *shards_[std::hash<std::string>{}(k) % shards_.size()];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.states.find(k);
  if (it == shard.states.end()) {
    if (shard.states.size() >= per_shard_) {
      std::erase_if(shard.states, [&](const auto& kv) { return kv.second.expires_at <= now_ms; });
      if (shard.states.size() >= per_shard_) {
        shard.states.erase(shard.states.begin());
        evictions_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    it = shard.states.emplace(std::move(k), RateState{}).first;
  } else if (it->second.expires_at <= now_ms) {
    it->second = RateState{};
  }
  return limit->algorithm == ratelimit::Algorithm::kGcra
             ? CheckGcra(it->second, *limit, now_ms, cost)
             : CheckSlidingWindow(it->second, *limit, now_ms, cost);
}

int64_t MemoryRateLimiter::size() const {
  int64_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    n += static_cast<int64_t>(s->states.size());
  }
  return n;
}

}  // namespace daira::inline v0::backends::memory
