#include "backends/redis/redis_rate_limiter.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_reply.h"
#include "backends/redis/redis_script.h"
#include "backends/redis/redis_url.h"
#include "daira/core/logging.h"

namespace daira::inline v0::backends::redis {

namespace {

using ratelimit::Decision;
using ratelimit::Limit;
using std::chrono::milliseconds;

// One check. KEYS[1] the key. ARGV: now in ms ("" = the server's TIME), count, window in ms, cost,
// algorithm ("s" sliding window, "g" GCRA). Returns {allowed 0/1, remaining, retry_after_ms,
// reset_after_ms}. The arithmetic is the in-process limiter's (memory_rate_limiter.cc), step for step.
const RedisScript& CheckScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local l = tonumber(ARGV[2])
local w = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local function ceil_div(a, b)
  if a >= 0 then return math.floor((a + b - 1) / b) end
  return -math.floor((-a) / b)
end
if ARGV[5] == 'g' then
  local t = w / l
  local tat = tonumber(redis.call('GET', KEYS[1])) or 0
  if tat < now then tat = now end
  local new_tat = tat + cost * t
  local allow_at = new_tat - w
  if allow_at > now then
    return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now)}
  end
  redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX',
             string.format('%d', math.max(1, math.ceil(new_tat - now))))
  return {1, math.floor((w - (new_tat - now)) / t), 0, math.ceil(new_tat - now)}
end
local ws = now - (now % w)
local h = redis.call('HMGET', KEYS[1], 'ws', 'p', 'c')
local old = tonumber(h[1])
local prev = tonumber(h[2]) or 0
local cur = tonumber(h[3]) or 0
if old == ws then
elseif old == ws - w then
  prev = cur
  cur = 0
else
  prev = 0
  cur = 0
end
local e = now - ws
if prev * (w - e) + (cur + cost) * w <= l * w then
  cur = cur + cost
  redis.call('HSET', KEYS[1], 'ws', string.format('%d', ws), 'p', string.format('%d', prev),
             'c', string.format('%d', cur))
  redis.call('PEXPIRE', KEYS[1], string.format('%d', 2 * w - e))
  local remaining = math.floor((l * w - prev * (w - e) - cur * w) / w)
  if remaining < 0 then remaining = 0 end
  return {1, remaining, 0, w - e}
end
local retry
if cur + cost <= l then
  retry = ceil_div(prev * (w - e) - (l - cur - cost) * w, prev)
else
  retry = w - e + ceil_div(w * (cur - l + cost), cur)
end
return {0, 0, retry, w - e}
)lua");
  return *script;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisRateLimiter>> RedisRateLimiter::Open(
    std::string_view text, ratelimit::RateLimiterOptions options, RedisRateLimiterOptions redis) {
  absl::StatusOr<RedisUrl> url = RedisUrl::Parse(text);
  if (!url.ok()) return url.status();
  return Open(*url, std::move(options), redis);
}

absl::StatusOr<std::unique_ptr<RedisRateLimiter>> RedisRateLimiter::Open(
    const RedisUrl& url, ratelimit::RateLimiterOptions options, RedisRateLimiterOptions redis) {
  if (absl::Status s = ratelimit::RateLimiter::ValidateLimits(options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<RedisPool>> pool = RedisPool::Open(url);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<RedisRateLimiter>(new RedisRateLimiter(std::move(options), redis, *std::move(pool)));
}

RedisRateLimiter::RedisRateLimiter(ratelimit::RateLimiterOptions options, RedisRateLimiterOptions redis,
                                   std::unique_ptr<RedisPool> pool)
    : RateLimiter(std::move(options)), redis_(std::move(redis)), pool_(std::move(pool)) {
  resilience::CircuitBreakerOptions b = redis_.breaker;
  if (b.clock == nullptr) b.clock = &clock();
  breaker_ = std::make_unique<resilience::CircuitBreaker>(std::move(b));
}

RedisRateLimiter::~RedisRateLimiter() = default;

std::string RedisRateLimiter::RedisKey(std::string_view key, std::string_view endpoint) const {
  std::string k = pool_->url().prefix;
  k.append("ratelimit:{").append(key).append("}:").append(endpoint);
  return k;
}

absl::StatusOr<Decision> RedisRateLimiter::Failed(const Limit& limit, int64_t cost, absl::Status status) {
  const bool unreachable =
      status.code() == absl::StatusCode::kUnavailable || status.code() == absl::StatusCode::kDeadlineExceeded;
  if (!unreachable || options().on_failure == ratelimit::FailurePolicy::kFailClosed) return status;
  failed_open_.fetch_add(1, std::memory_order_relaxed);
  {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(warn_mu_);
    if (last_warning_ == std::chrono::steady_clock::time_point{} ||
        now - last_warning_ >= options().warn_interval) {
      Log(LogLevel::kWarning, "ratelimit",
          absl::StrCat("redis rate limiter ", pool_->url().Redacted(), " unavailable, failing open (",
                       suppressed_warnings_, " more failures since the last warning): ", status.message()));
      last_warning_ = now;
      suppressed_warnings_ = 0;
    } else {
      ++suppressed_warnings_;
    }
  }
  Decision d;
  d.allowed = true;
  d.degraded = true;
  d.limit = limit.count;
  d.remaining = limit.count - cost;
  return d;
}

absl::StatusOr<Decision> RedisRateLimiter::Check(std::string_view key, std::string_view endpoint,
                                                 int64_t cost) {
  absl::StatusOr<Limit> limit = LimitFor(key, endpoint, cost);
  if (!limit.ok()) return limit.status();
  const std::vector<std::string> keys = {RedisKey(key, endpoint)};
  const std::vector<std::string> args = {
      redis_.use_server_time ? std::string() : absl::StrCat(ToUnixMicros(clock().Now()) / 1000),
      absl::StrCat(limit->count), absl::StrCat(limit->window.count()), absl::StrCat(cost),
      limit->algorithm == ratelimit::Algorithm::kGcra ? "g" : "s"};
  if (absl::Status allowed = breaker_->Allow(); !allowed.ok()) return Failed(*limit, cost, allowed);
  absl::StatusOr<RedisPool::Lease> lease = pool_->Acquire();
  if (!lease.ok()) {
    breaker_->Record(lease.status());
    return Failed(*limit, cost, lease.status());
  }
  absl::StatusOr<RedisReply> reply = (*lease)->Eval(CheckScript(), keys, args);
  breaker_->Record(reply.status());
  if (!reply.ok()) return Failed(*limit, cost, reply.status());
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 4) {
    return absl::InternalError(
        absl::StrCat("redis rate limiter: unexpected reply to the check of ", keys[0]));
  }
  Decision d;
  d.allowed = reply->elements[0].integer == 1;
  d.remaining = reply->elements[1].integer;
  d.retry_after = milliseconds(reply->elements[2].integer);
  d.reset_after = milliseconds(reply->elements[3].integer);
  d.limit = limit->count;
  return d;
}

}  // namespace daira::inline v0::backends::redis
