#include "backends/redis/redis_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "backends/redis/redis_breaker_params.h"
#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_reply.h"
#include "core/byte_size_internal.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {

namespace {

using Counter = cache::CacheStats::Counter;

// INCRBY, and a TTL only when this call created the key (a fixed window for counters).
// KEYS[1] key; ARGV[1] delta; ARGV[2] ttl in ms (0 = none).
const RedisScript& IncrementScript() {
  static const RedisScript* s = new RedisScript(R"lua(
local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
)lua");
  return *s;
}

// LPUSH the values (in chunks: Lua's unpack has a stack limit), LTRIM to the cap, then PEXPIRE (or
// PERSIST), atomically. KEYS[1] key; ARGV[1] max length (0 = no cap); ARGV[2] ttl in ms (0 = none);
// ARGV[3..] values.
const RedisScript& ListPushScript() {
  static const RedisScript* s = new RedisScript(R"lua(
for i = 3, #ARGV, 1000 do
  redis.call('LPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
local cap = tonumber(ARGV[1])
if cap > 0 then redis.call('LTRIM', KEYS[1], 0, cap - 1) end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
)lua");
  return *s;
}

// ZADD the members with score 0 (in chunks), keep the cap's greatest (ZREMRANGEBYRANK drops the
// least), then PEXPIRE (or PERSIST), atomically. KEYS[1] key; ARGV[1] cap (0 = none); ARGV[2] ttl in
// ms (0 = none); ARGV[3..] members.
const RedisScript& OrderedSetAddScript() {
  static const RedisScript* s = new RedisScript(R"lua(
for i = 3, #ARGV, 500 do
  local args = {}
  for j = i, math.min(i + 499, #ARGV) do
    args[#args + 1] = 0
    args[#args + 1] = ARGV[j]
  end
  redis.call('ZADD', KEYS[1], unpack(args))
end
local cap = tonumber(ARGV[1])
if cap > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -cap - 1) end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
)lua");
  return *s;
}

// For each key that exists: ZADD the member (score 0) and keep the cap's greatest; TTLs untouched.
// KEYS the sets; ARGV[1] cap (0 = none); ARGV[2] member. Returns how many existed.
const RedisScript& OrderedSetAddExistingScript() {
  static const RedisScript* s = new RedisScript(R"lua(
local cap = tonumber(ARGV[1])
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, 0, ARGV[2])
    if cap > 0 then redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1) end
    n = n + 1
  end
end
return n
)lua");
  return *s;
}

// Up to ARGV[3] members below ARGV[1] ('': no bound), greatest first, down to ARGV[2] (inclusive);
// when fewer than ARGV[3], also the greatest member below both ARGV[2] and ARGV[1]. KEYS[1] the set.
// (Lua compares strings bytewise here: Redis runs scripts in the C locale.)
const RedisScript& OrderedSetRangeDownToScript() {
  static const RedisScript* s = new RedisScript(R"lua(
local limit = tonumber(ARGV[3])
local max = '+'
if ARGV[1] ~= '' then max = '(' .. ARGV[1] end
local out = redis.call('ZREVRANGEBYLEX', KEYS[1], max, '[' .. ARGV[2], 'LIMIT', 0, limit)
if #out < limit then
  local under = '(' .. ARGV[2]
  if ARGV[1] ~= '' and ARGV[1] < ARGV[2] then under = max end
  local next = redis.call('ZREVRANGEBYLEX', KEYS[1], under, '-', 'LIMIT', 0, 1)
  if #next == 1 then out[#out + 1] = next[1] end
end
return out
)lua");
  return *s;
}

// The parameters this layer adds to the common Redis ones.
const std::vector<std::string>& CacheParamNames() {
  static const std::vector<std::string>* names = [] {
    auto* v = new std::vector<std::string>{"jitter",          "warn_interval_ms",     "near_max_bytes",
                                           "near_ttl_ms",     "near_namespaces",      "breaker_failures",
                                           "breaker_failure_rate", "breaker_min_calls", "breaker_window_ms",
                                           "breaker_cool_down_ms"};
    for (const std::string& ns : cache::Policy::KnownNamespaces()) {
      v->push_back(absl::StrCat("ttl_", ns, "_ms"));
      v->push_back(absl::StrCat("jitter_", ns));
      v->push_back(absl::StrCat("list_max_", ns));
    }
    return v;
  }();
  return *names;
}

// "*", "?", "[", "\" escaped for SCAN MATCH.
std::string GlobEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// "0", "1000", "64KiB", "64MiB", "1GiB" (also KB/MB/GB = 10^3...). InvalidArgument naming `field` and
// the (redacted) URL.
absl::StatusOr<int64_t> ParseSize(std::string_view field, std::string_view text, const RedisUrl& url) {
  absl::StatusOr<int64_t> n = daira::internal::ParseByteSize("redis cache: open", field, text, /*allow_zero=*/true);
  if (!n.ok()) {
    return InvalidField("redis cache: open", field,
                        absl::StrCat("must be a size in bytes, KiB, MiB or GiB, 0 = off (got '", ToAbsl(text),
                                     "') in ", url.Redacted()));
  }
  return n;
}

// A whole number in [lo, hi]. InvalidArgument naming `field`.
absl::StatusOr<int64_t> ParseInt(std::string_view field, std::string_view text, int64_t lo, int64_t hi,
                                 std::string_view unit, const RedisUrl& url) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(ToAbsl(text), &n) || n < lo || n > hi) {
    return InvalidField("redis cache: open", field,
                        absl::StrCat("must be a whole number", ToAbsl(unit), " in [", lo, ", ", hi, "] (got '",
                                     ToAbsl(text), "') in ", url.Redacted()));
  }
  return n;
}

absl::Status Unexpected(std::string_view op, std::string_view key, const RedisReply& reply) {
  return absl::InternalError(absl::StrCat("redis cache: ", ToAbsl(op), ": key '", ToAbsl(key),
                                          "': unexpected reply type ", static_cast<int>(reply.type)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisCache>> RedisCache::Open(std::string_view text, const Clock* clock) {
  std::vector<std::string_view> extra;
  for (const std::string& n : CacheParamNames()) extra.push_back(n);
  DAIRA_ASSIGN_OR_RETURN(RedisUrl url, RedisUrl::Parse(text, extra));
  cache::Policy policy = cache::Policy::Defaults();
  std::chrono::milliseconds warn_interval{30000};
  resilience::CircuitBreakerOptions breaker{.name = "redis cache", .clock = clock};
  NearCache::Options near{.clock = clock};
  constexpr int64_t kMaxMs = int64_t{1} << 40;
  for (const auto& [name, value] : url.params) {
    if (name == "warn_interval_ms") {
      DAIRA_ASSIGN_OR_RETURN(int64_t ms, ParseInt(name, value, 0, kMaxMs, " of milliseconds", url));
      warn_interval = std::chrono::milliseconds(ms);
    } else if (name == "near_max_bytes") {
      DAIRA_ASSIGN_OR_RETURN(near.max_bytes, ParseSize(name, value, url));
    } else if (name == "near_ttl_ms") {
      DAIRA_ASSIGN_OR_RETURN(int64_t ms, ParseInt(name, value, 1, kMaxMs, " of milliseconds", url));
      near.ttl = std::chrono::milliseconds(ms);
    } else if (name == "near_namespaces") {
      near.namespaces.clear();
      for (absl::string_view part : absl::StrSplit(ToAbsl(value), ',')) {
        const std::string ns(part);
        bool known = false;
        for (const std::string& k : cache::Policy::KnownNamespaces()) known = known || k == ns;
        if (!known || ns == "feed") {
          return InvalidField("redis cache: open", "near_namespaces",
                              absl::StrCat("names '", ns,
                                           "', not a namespace that can be kept near (session, profile, vector, "
                                           "analytics, custom; never feed: its values are lists) in ",
                                           url.Redacted()));
        }
        near.namespaces.push_back(ns);
      }
    } else if (name.starts_with("breaker_")) {
      DAIRA_ASSIGN_OR_RETURN(bool known, ApplyBreakerParam("redis cache: open", name, value, breaker));
      if (!known) {
        DAIRA_RETURN_IF_ERROR(
            Annotate(policy.ApplyParam(name, value), absl::StrCat("redis cache: open ", url.Redacted())));
      }
    } else {
      DAIRA_RETURN_IF_ERROR(
          Annotate(policy.ApplyParam(name, value), absl::StrCat("redis cache: open ", url.Redacted())));
    }
  }
  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<RedisPool> pool, RedisPool::Open(url));
  std::unique_ptr<NearCache> near_cache;
  if (near.max_bytes > 0) {
    DAIRA_ASSIGN_OR_RETURN(near_cache, NearCache::Start(url, std::move(near)));
  }
  return std::unique_ptr<RedisCache>(new RedisCache(std::move(policy), std::move(pool), warn_interval,
                                                    std::move(breaker), std::move(near_cache)));
}

RedisCache::RedisCache(cache::Policy policy, std::unique_ptr<RedisPool> pool,
                       std::chrono::milliseconds warn_interval, resilience::CircuitBreakerOptions breaker,
                       std::unique_ptr<NearCache> near)
    : cache::Cache(std::move(policy)),
      pool_(std::move(pool)),
      breaker_(std::make_unique<resilience::CircuitBreaker>(std::move(breaker))),
      near_(std::move(near)),
      prefix_(pool_->url().prefix),
      warn_interval_(warn_interval) {}

RedisCache::~RedisCache() = default;

std::optional<cache::NearCacheStats> RedisCache::near_stats() const {
  if (near_ == nullptr) return std::nullopt;
  return near_->Stats();
}

std::string RedisCache::Describe() const { return pool_->url().Redacted(); }

std::string RedisCache::K(std::string_view key) const { return absl::StrCat(prefix_, ToAbsl(key)); }

absl::Status RedisCache::Failed(std::string_view key, absl::Status status) {
  stats().Add(key, Counter::kError);
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    // Losing Redis costs speed, not correctness: say so once per interval, not once per call.
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(warn_mu_);
    if (last_warning_ == std::chrono::steady_clock::time_point{} || now - last_warning_ >= warn_interval_) {
      Log(LogLevel::kWarning, "cache",
          absl::StrCat("redis cache ", pool_->url().Redacted(), " unavailable (", suppressed_warnings_,
                       " more failures since the last warning): ", status.message()));
      last_warning_ = now;
      suppressed_warnings_ = 0;
    } else {
      ++suppressed_warnings_;
    }
  }
  return status;
}

absl::StatusOr<RedisPool::Lease> RedisCache::Acquire(std::string_view key) {
  // The breaker first: while it is open no connection is even attempted.
  if (absl::Status allowed = breaker_->Allow(); !allowed.ok()) return Failed(key, allowed);
  absl::StatusOr<RedisPool::Lease> lease = pool_->Acquire();
  if (!lease.ok()) {
    breaker_->Record(lease.status());
    return Failed(key, lease.status());
  }
  round_trips_.fetch_add(1, std::memory_order_relaxed);
  return lease;
}

absl::StatusOr<RedisReply> RedisCache::Run(std::string_view key, std::span<const std::string_view> args) {
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease lease, Acquire(key));
  absl::StatusOr<RedisReply> reply = lease->Command(args);
  breaker_->Record(reply.status());
  if (!reply.ok()) return Failed(key, reply.status());
  return reply;
}

absl::StatusOr<RedisReply> RedisCache::RunScript(std::string_view key, const RedisScript& script,
                                                 std::span<const std::string> keys,
                                                 std::span<const std::string> args) {
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease lease, Acquire(key));
  absl::StatusOr<RedisReply> reply = lease->Eval(script, keys, args);
  breaker_->Record(reply.status());
  if (!reply.ok()) return Failed(key, reply.status());
  return reply;
}

std::vector<std::string> RedisCache::NearKeys(std::span<const std::string> keys) const {
  std::vector<std::string> out;
  if (near_ == nullptr) return out;
  for (const std::string& key : keys) {
    if (near_->Covers(key)) out.push_back(key);
  }
  return out;
}

absl::StatusOr<std::vector<RedisReply>> RedisCache::WriteAndPublish(
    std::string_view key, std::vector<std::vector<std::string>> commands,
    const std::vector<std::string>& near_keys) {
  const size_t writes = commands.size();
  // This instance never serves its own stale entry: dropped before the write (and its shards marked,
  // so a read in flight fills nothing), and again after it (a read that started in between).
  if (near_ != nullptr) near_->Drop(near_keys);
  for (const std::string& k : near_keys) commands.push_back({"PUBLISH", near_->channel(), k});
  absl::StatusOr<RedisPool::Lease> lease = Acquire(key);
  absl::StatusOr<std::vector<RedisReply>> replies =
      lease.ok() ? (*lease)->Pipeline(commands) : absl::StatusOr<std::vector<RedisReply>>(lease.status());
  if (lease.ok()) breaker_->Record(replies.status());
  if (near_ != nullptr) near_->Drop(near_keys);
  if (!lease.ok()) return lease.status();  // counted by Acquire
  if (!replies.ok()) return Failed(key, replies.status());
  replies->resize(std::min(writes, replies->size()));
  return replies;
}

absl::StatusOr<std::optional<std::string>> RedisCache::Get(std::string_view key) {
  const bool near = near_ != nullptr && near_->Covers(key);
  NearCache::Ticket ticket;
  if (near) {
    if (std::optional<std::string> v = near_->Get(key)) {
      stats().Add(key, Counter::kHit);
      return v;  // in-process: no round trip
    }
    ticket = near_->Take(key);
  }
  const std::string k = K(key);
  const std::string_view args[] = {"GET", k};
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(key, args));
  if (reply.IsNil()) {
    stats().Add(key, Counter::kMiss);
    return std::optional<std::string>();
  }
  if (reply.type != RedisReply::Type::kString) return Unexpected("get", key, reply);
  stats().Add(key, Counter::kHit);
  if (near) near_->Fill(key, reply.str, ticket);
  return std::optional<std::string>(std::move(reply.str));
}

absl::Status RedisCache::Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  const std::chrono::milliseconds resolved = ResolveTtl(key, ttl);
  if (near_ == nullptr || !near_->Covers(key)) {
    // No near tier to tell: one plain command, the value not copied.
    const std::string k = K(key);
    const std::string px = absl::StrCat(resolved.count());
    std::vector<std::string_view> args = {"SET", k, value};
    if (resolved.count() > 0) {
      args.push_back("PX");
      args.push_back(px);
    }
    DAIRA_RETURN_IF_ERROR(Run(key, args).status());
    stats().Add(key, Counter::kSet);
    return absl::OkStatus();
  }
  std::vector<std::string> cmd = {"SET", K(key), std::string(value)};
  if (resolved.count() > 0) {
    cmd.push_back("PX");
    cmd.push_back(absl::StrCat(resolved.count()));
  }
  const std::string one(key);
  const std::vector<std::string> near_keys = NearKeys(std::span<const std::string>(&one, 1));
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, WriteAndPublish(key, {std::move(cmd)}, near_keys));
  if (!replies.empty() && replies[0].IsError()) {
    return Failed(key, ErrorReplyStatus(absl::StrCat("set '", ToAbsl(key), "'"), replies[0]));
  }
  stats().Add(key, Counter::kSet);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RedisCache::Delete(std::span<const std::string> keys) {
  if (keys.empty()) return int64_t{0};
  if (std::vector<std::string> near_keys = NearKeys(keys); near_keys.empty()) {
    std::vector<std::string> full;
    full.reserve(keys.size());
    for (const std::string& key : keys) full.push_back(K(key));
    std::vector<std::string_view> args = {"DEL"};
    for (const std::string& k : full) args.push_back(k);
    DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(keys.front(), args));
    return static_cast<int64_t>(reply.integer);
  }
  std::vector<std::string> del = {"DEL"};
  del.reserve(keys.size() + 1);
  for (const std::string& key : keys) del.push_back(K(key));
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies,
                         WriteAndPublish(keys.front(), {std::move(del)}, NearKeys(keys)));
  if (replies.empty() || replies[0].type != RedisReply::Type::kInteger) {
    return replies.empty() ? absl::InternalError("redis cache: delete: no reply")
                           : Unexpected("delete", keys.front(), replies[0]);
  }
  return static_cast<int64_t>(replies[0].integer);
}

absl::StatusOr<std::vector<std::optional<std::string>>> RedisCache::MGet(std::span<const std::string> keys) {
  std::vector<std::optional<std::string>> out(keys.size());
  if (keys.empty()) return out;
  // Near hits answer in-process; the rest (all of them without a near tier) is one MGET.
  std::vector<size_t> remote;
  std::vector<NearCache::Ticket> tickets(keys.size());
  std::vector<bool> near(keys.size(), false);
  remote.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (near_ != nullptr && near_->Covers(keys[i])) {
      near[i] = true;
      if (std::optional<std::string> v = near_->Get(keys[i])) {
        stats().Add(keys[i], Counter::kHit);
        out[i] = std::move(v);
        continue;
      }
      tickets[i] = near_->Take(keys[i]);
    }
    remote.push_back(i);
  }
  if (remote.empty()) return out;
  std::vector<std::string> full;
  full.reserve(remote.size());
  for (size_t i : remote) full.push_back(K(keys[i]));
  std::vector<std::string_view> args = {"MGET"};
  for (const std::string& k : full) args.push_back(k);
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(keys[remote.front()], args));
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != remote.size()) {
    return Unexpected("mget", keys[remote.front()], reply);
  }
  for (size_t j = 0; j < remote.size(); ++j) {
    const size_t i = remote[j];
    RedisReply& e = reply.elements[j];
    if (e.type == RedisReply::Type::kString) {
      stats().Add(keys[i], Counter::kHit);
      if (near[i]) near_->Fill(keys[i], e.str, tickets[i]);
      out[i] = std::move(e.str);
    } else {
      stats().Add(keys[i], Counter::kMiss);
    }
  }
  return out;
}

absl::Status RedisCache::MSet(std::span<const cache::CacheEntry> entries) {
  if (entries.empty()) return absl::OkStatus();
  // MSET cannot carry a TTL per key: a pipeline of SET ... PX is still one round trip.
  std::vector<std::vector<std::string>> commands;
  commands.reserve(entries.size());
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const cache::CacheEntry& e : entries) {
    const std::chrono::milliseconds ttl = ResolveTtl(e.key, e.ttl);
    std::vector<std::string> cmd = {"SET", K(e.key), e.value};
    if (ttl.count() > 0) {
      cmd.push_back("PX");
      cmd.push_back(absl::StrCat(ttl.count()));
    }
    commands.push_back(std::move(cmd));
    keys.push_back(e.key);
  }
  DAIRA_ASSIGN_OR_RETURN(std::vector<RedisReply> replies,
                         WriteAndPublish(entries.front().key, std::move(commands), NearKeys(keys)));
  for (size_t i = 0; i < replies.size() && i < entries.size(); ++i) {
    if (replies[i].IsError()) {
      return Failed(entries[i].key,
                    ErrorReplyStatus(absl::StrCat("mset: set '", entries[i].key, "'"), replies[i]));
    }
    stats().Add(entries[i].key, Counter::kSet);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RedisCache::Increment(std::string_view key, int64_t delta,
                                              std::chrono::milliseconds ttl) {
  const std::chrono::milliseconds resolved = ResolveTtl(key, ttl);
  const std::string keys[] = {K(key)};
  const std::string args[] = {absl::StrCat(delta), absl::StrCat(resolved.count())};
  const std::string one(key);
  const std::vector<std::string> near_keys = NearKeys(std::span<const std::string>(&one, 1));
  if (!near_keys.empty()) near_->Drop(near_keys);
  absl::StatusOr<RedisReply> reply = RunScript(key, IncrementScript(), keys, args);
  if (!near_keys.empty()) {
    // A counter in a near namespace (rare): the value changed without a Set, so say so (a second
    // round trip, after the script), and drop this instance's entry again.
    const std::string_view publish[] = {"PUBLISH", near_->channel(), one};
    Run(key, publish).IgnoreError();
    near_->Drop(near_keys);
  }
  if (!reply.ok()) {
    return absl::Status(reply.status().code(), absl::StrCat("redis cache: increment: key '", ToAbsl(key),
                                                            "': ", reply.status().message()));
  }
  if (reply->type != RedisReply::Type::kInteger) return Unexpected("increment", key, *reply);
  return static_cast<int64_t>(reply->integer);
}

absl::StatusOr<std::optional<std::chrono::milliseconds>> RedisCache::Ttl(std::string_view key) {
  const std::string k = K(key);
  const std::string_view args[] = {"PTTL", k};
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(key, args));
  if (reply.type != RedisReply::Type::kInteger) return Unexpected("ttl", key, reply);
  if (reply.integer == -2) return std::optional<std::chrono::milliseconds>();
  if (reply.integer == -1) return std::optional<std::chrono::milliseconds>(cache::kNoExpiry);
  // A key in its last millisecond reports 0; keep 0 meaning "no expiry".
  return std::optional<std::chrono::milliseconds>(
      std::chrono::milliseconds(std::max<long long>(1, reply.integer)));
}

absl::Status RedisCache::ListPush(std::string_view key, std::span<const std::string> values,
                                  std::chrono::milliseconds ttl) {
  if (values.empty()) return absl::OkStatus();
  const std::chrono::milliseconds resolved = ResolveTtl(key, ttl);
  const int64_t cap = policy().For(cache::Policy::NamespaceOf(key)).max_list_length;
  const std::string keys[] = {K(key)};
  std::vector<std::string> args = {absl::StrCat(cap), absl::StrCat(resolved.count())};
  args.insert(args.end(), values.begin(), values.end());
  absl::StatusOr<RedisReply> reply = RunScript(key, ListPushScript(), keys, args);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(), absl::StrCat("redis cache: list push: key '", ToAbsl(key),
                                                            "': ", reply.status().message()));
  }
  stats().Add(key, Counter::kSet);
  return absl::OkStatus();
}

absl::Status RedisCache::ListTrim(std::string_view key, int64_t max_length) {
  if (max_length < 0) return InvalidField("redis cache: list trim", "max_length", "must not be negative");
  const std::string k = K(key);
  if (max_length == 0) return Delete(key).status();  // a DEL: publishes when the key is kept near
  const std::string stop = absl::StrCat(max_length - 1);
  const std::string_view args[] = {"LTRIM", k, "0", stop};
  return Run(key, args).status();
}

absl::StatusOr<std::vector<std::string>> RedisCache::ListRange(std::string_view key, int64_t start,
                                                               int64_t stop) {
  const std::string k = K(key);
  const std::string a = absl::StrCat(start), b = absl::StrCat(stop);
  const std::string_view args[] = {"LRANGE", k, a, b};
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(key, args));
  if (reply.type != RedisReply::Type::kArray) return Unexpected("list range", key, reply);
  std::vector<std::string> out;
  out.reserve(reply.elements.size());
  for (RedisReply& e : reply.elements) out.push_back(std::move(e.str));
  // As the memory backend: an absent (or empty) list is a miss.
  stats().Add(key, out.empty() ? Counter::kMiss : Counter::kHit);
  return out;
}

absl::StatusOr<int64_t> RedisCache::ListRemove(std::string_view key, std::string_view value) {
  const std::string k = K(key);
  const std::string_view args[] = {"LREM", k, "0", value};
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(key, args));
  return static_cast<int64_t>(reply.integer);
}

absl::StatusOr<int64_t> RedisCache::ListPushExisting(std::span<const std::string> keys,
                                                     std::string_view value) {
  if (keys.empty()) return int64_t{0};
  const int64_t cap = policy().For(cache::Policy::NamespaceOf(keys.front())).max_list_length;
  // LPUSHX creates nothing; the LTRIM of an absent key is a no-op. One pipeline: one round trip.
  std::vector<std::vector<std::string>> commands;
  commands.reserve(keys.size() * 2);
  for (const std::string& key : keys) {
    commands.push_back({"LPUSHX", K(key), std::string(value)});
    if (cap > 0) commands.push_back({"LTRIM", K(key), "0", absl::StrCat(cap - 1)});
  }
  DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease lease, Acquire(keys.front()));
  absl::StatusOr<std::vector<RedisReply>> replies = lease->Pipeline(commands);
  breaker_->Record(replies.status());
  if (!replies.ok()) return Failed(keys.front(), replies.status());
  const size_t per_key = cap > 0 ? 2 : 1;
  int64_t pushed = 0;
  for (size_t i = 0; i < keys.size() && i * per_key < replies->size(); ++i) {
    const RedisReply& r = (*replies)[i * per_key];
    if (r.IsError()) {
      return Failed(keys[i], ErrorReplyStatus(absl::StrCat("list push existing: key '", keys[i], "'"), r));
    }
    if (r.integer > 0) {
      ++pushed;
      stats().Add(keys[i], Counter::kSet);
    }
  }
  return pushed;
}

absl::Status RedisCache::OrderedSetAdd(std::string_view key, std::span<const std::string> members,
                                       std::chrono::milliseconds ttl) {
  if (members.empty()) return absl::OkStatus();
  const std::chrono::milliseconds resolved = ResolveTtl(key, ttl);
  const int64_t cap = policy().For(cache::Policy::NamespaceOf(key)).max_list_length;
  const std::string keys[] = {K(key)};
  std::vector<std::string> args = {absl::StrCat(cap), absl::StrCat(resolved.count())};
  args.insert(args.end(), members.begin(), members.end());
  absl::StatusOr<RedisReply> reply = RunScript(key, OrderedSetAddScript(), keys, args);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(), absl::StrCat("redis cache: ordered set add: key '",
                                                            ToAbsl(key), "': ", reply.status().message()));
  }
  stats().Add(key, Counter::kSet);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RedisCache::OrderedSetAddExisting(std::span<const std::string> keys,
                                                          std::string_view member) {
  if (keys.empty()) return int64_t{0};
  const int64_t cap = policy().For(cache::Policy::NamespaceOf(keys.front())).max_list_length;
  std::vector<std::string> prefixed;
  prefixed.reserve(keys.size());
  for (const std::string& key : keys) prefixed.push_back(K(key));
  const std::string args[] = {absl::StrCat(cap), std::string(member)};
  // One script over every key: one round trip, and no key is created.
  absl::StatusOr<RedisReply> reply = RunScript(keys.front(), OrderedSetAddExistingScript(), prefixed, args);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(),
                        absl::StrCat("redis cache: ordered set add existing: keys '", keys.front(),
                                     "'...: ", reply.status().message()));
  }
  if (reply->type != RedisReply::Type::kInteger)
    return Unexpected("ordered set add existing", keys.front(), *reply);
  return static_cast<int64_t>(reply->integer);
}

absl::StatusOr<std::vector<std::string>> RedisCache::OrderedSetRangeBelow(std::string_view key,
                                                                          std::string_view below,
                                                                          int64_t limit) {
  if (limit < 0) return InvalidField("redis cache: ordered set range", "limit", "must not be negative");
  std::vector<std::string> out;
  if (limit == 0) return out;
  const std::string k = K(key);
  const std::string max = below.empty() ? std::string("+") : absl::StrCat("(", ToAbsl(below));
  const std::string count = absl::StrCat(limit);
  const std::string_view args[] = {"ZREVRANGEBYLEX", k, max, "-", "LIMIT", "0", count};
  DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run(key, args));
  if (reply.IsError()) {
    return Failed(key, ErrorReplyStatus(absl::StrCat("ordered set range: key '", ToAbsl(key), "'"), reply));
  }
  if (reply.type != RedisReply::Type::kArray) return Unexpected("ordered set range", key, reply);
  out.reserve(reply.elements.size());
  for (RedisReply& e : reply.elements) out.push_back(std::move(e.str));
  // As the memory backend counts an absent set: a miss (an existing set with nothing below `below` too).
  stats().Add(key, out.empty() ? Counter::kMiss : Counter::kHit);
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisCache::OrderedSetRangeDownTo(std::string_view key,
                                                                           std::string_view below,
                                                                           std::string_view down_to,
                                                                           int64_t limit) {
  if (down_to.empty()) return OrderedSetRangeBelow(key, below, limit);
  if (limit < 0) return InvalidField("redis cache: ordered set range", "limit", "must not be negative");
  std::vector<std::string> out;
  if (limit == 0) return out;
  const std::string keys[] = {K(key)};
  const std::string args[] = {std::string(below), std::string(down_to), absl::StrCat(limit)};
  absl::StatusOr<RedisReply> reply = RunScript(key, OrderedSetRangeDownToScript(), keys, args);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(), absl::StrCat("redis cache: ordered set range: key '",
                                                            ToAbsl(key), "': ", reply.status().message()));
  }
  if (reply->type != RedisReply::Type::kArray) return Unexpected("ordered set range", key, *reply);
  out.reserve(reply->elements.size());
  for (RedisReply& e : reply->elements) out.push_back(std::move(e.str));
  stats().Add(key, out.empty() ? Counter::kMiss : Counter::kHit);
  return out;
}

absl::StatusOr<int64_t> RedisCache::DeleteEverythingUnderPrefix() {
  if (prefix_.empty()) {
    return absl::FailedPreconditionError("redis cache: delete under prefix: the cache has no ?prefix=");
  }
  const std::string pattern = GlobEscape(prefix_) + "*";
  std::string cursor = "0";
  int64_t deleted = 0;
  do {
    const std::string_view scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
    DAIRA_ASSIGN_OR_RETURN(RedisReply reply, Run("", scan));
    if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2)
      return Unexpected("scan", prefix_, reply);
    cursor = reply.elements[0].str;
    if (!reply.elements[1].elements.empty()) {
      std::vector<std::string_view> del = {"DEL"};
      for (const RedisReply& k : reply.elements[1].elements) del.push_back(k.str);
      DAIRA_ASSIGN_OR_RETURN(RedisReply n, Run("", del));
      deleted += n.integer;
    }
  } while (cursor != "0");
  return deleted;
}

}  // namespace daira::inline v0::backends::redis
