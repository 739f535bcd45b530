#include "backends/redis/redis_realtime_state.h"

#include <charconv>
#include <string>

#include "backends/redis/redis_pool.h"
#include "backends/redis/redis_reply.h"
#include "backends/redis/redis_script.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {
namespace {

// Aggregate of KEYS[1]: best status, device count, earliest expiry; with `prune`, devices expired at `now`
// are deleted and not counted.
#define DAIRA_PRESENCE_AGG_LUA                                    \
  "local function agg(now, prune)\n"                              \
  "  local best, n, minexp = 0, 0, nil\n"                         \
  "  local all = redis.call('HGETALL', KEYS[1])\n"                \
  "  for i = 1, #all, 2 do\n"                                     \
  "    local f = all[i]\n"                                        \
  "    if string.sub(f, 1, 2) == 'd:' then\n"                     \
  "      local v = all[i + 1]\n"                                  \
  "      local c = string.find(v, ':', 1, true)\n"                \
  "      local st = tonumber(string.sub(v, 1, c - 1))\n"          \
  "      local ex = tonumber(string.sub(v, c + 1))\n"             \
  "      if prune and ex <= now then\n"                           \
  "        redis.call('HDEL', KEYS[1], f)\n"                      \
  "      else\n"                                                  \
  "        n = n + 1\n"                                           \
  "        if st > best then best = st end\n"                     \
  "        if (not minexp) or ex < minexp then minexp = ex end\n" \
  "      end\n"                                                   \
  "    end\n"                                                     \
  "  end\n"                                                       \
  "  return best, n, minexp\n"                                    \
  "end\n"

// KEYS: user hash, expiry zset. ARGV: user, device ('' = prune only), status ('0' = remove), now_us,
// expires_us, retention_ms. Returns {before, after, last_seen}.
const RedisScript kUpdatePresence(DAIRA_PRESENCE_AGG_LUA R"lua(
local now = tonumber(ARGV[4])
local before = agg(now, false)  -- as last announced: expired devices count until pruned
if ARGV[2] ~= '' then
  local f = 'd:' .. ARGV[2]
  if ARGV[3] == '0' then
    redis.call('HDEL', KEYS[1], f)
  else
    redis.call('HSET', KEYS[1], f, ARGV[3] .. ':' .. ARGV[5])
  end
  redis.call('HSET', KEYS[1], 'last_seen', ARGV[4])
end
local after, n, minexp = agg(now, true)
if minexp then
  redis.call('ZADD', KEYS[2], string.format('%.0f', minexp), ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
local ls = redis.call('HGET', KEYS[1], 'last_seen') or '0'
return {before, after, ls}
)lua");

// KEYS: conversation hash, expiry zset. ARGV: user, now, expires, interval, member. Returns 1 to publish.
const RedisScript kTypingStart(R"lua(
local now, interval = tonumber(ARGV[2]), tonumber(ARGV[4])
local publish, last = 1, ARGV[2]
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local c = string.find(v, ':', 1, true)
  local e, l = tonumber(string.sub(v, 1, c - 1)), string.sub(v, c + 1)
  if e > now and now - tonumber(l) < interval then
    publish, last = 0, l
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. ':' .. last)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
return publish
)lua");

// KEYS: conversation hash, expiry zset. ARGV: user, now, member, only_expired ('1': remove only when
// expired). Returns 1 when removed while live (only_expired '0') / removed (only_expired '1').
const RedisScript kTypingRemove(R"lua(
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 0
end
local c = string.find(v, ':', 1, true)
local live = tonumber(string.sub(v, 1, c - 1)) > tonumber(ARGV[2])
if ARGV[4] == '1' and live then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[3])
if ARGV[4] == '1' then return 1 end
if live then return 1 end
return 0
)lua");

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

class RedisRealtimeState final : public RealtimeState {
 public:
  RedisRealtimeState(std::unique_ptr<RedisPool> pool, std::string prefix)
      : pool_(std::move(pool)), prefix_(std::move(prefix)) {}

  absl::StatusOr<PresenceChange> UpdatePresence(int64_t user, std::string_view device, int status,
                                                int64_t now_us, int64_t expires_us,
                                                int64_t retention_ms) override {
    DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
    const std::vector<std::string> keys = {PresenceKey(user), prefix_ + "rt:presence:expiry"};
    const std::vector<std::string> args = {std::to_string(user),       std::string(device),
                                           std::to_string(status),     std::to_string(now_us),
                                           std::to_string(expires_us), std::to_string(retention_ms)};
    DAIRA_ASSIGN_OR_RETURN(RedisReply r, lease->Eval(kUpdatePresence, keys, args));
    if (r.elements.size() != 3) return absl::InternalError("realtime: presence: unexpected script reply");
    return PresenceChange{.before = static_cast<int>(r.elements[0].integer),
                          .after = static_cast<int>(r.elements[1].integer),
                          .last_seen_us = ToInt(r.elements[2].str)};
  }

  absl::StatusOr<std::vector<PresenceRow>> ReadPresence(std::span<const int64_t> users,
                                                        int64_t now_us) override {
    std::vector<PresenceRow> out(users.size());
    if (users.empty()) return out;
    std::vector<std::vector<std::string>> commands;
    for (int64_t u : users) commands.push_back({"HGETALL", PresenceKey(u)});
    DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
    DAIRA_ASSIGN_OR_RETURN(auto replies, lease->Pipeline(commands));
    for (size_t i = 0; i < replies.size(); ++i) {
      if (replies[i].IsError()) return ErrorReplyStatus("realtime: presence: read", replies[i]);
      const auto& e = replies[i].elements;
      for (size_t j = 0; j + 1 < e.size(); j += 2) {
        const std::string& f = e[j].str;
        const std::string& v = e[j + 1].str;
        if (f == "last_seen") {
          out[i].last_seen_us = ToInt(v);
        } else if (f.rfind("d:", 0) == 0) {
          const size_t c = v.find(':');
          const int st = static_cast<int>(ToInt(std::string_view(v).substr(0, c)));
          const int64_t ex = ToInt(std::string_view(v).substr(c + 1));
          if (ex <= now_us) continue;
          ++out[i].devices;
          out[i].status = std::max(out[i].status, st);
        }
      }
    }
    return out;
  }

  absl::StatusOr<std::vector<int64_t>> PresenceExpired(int64_t now_us) override {
    DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
    DAIRA_ASSIGN_OR_RETURN(RedisReply r, lease->Command({"ZRANGEBYSCORE", prefix_ + "rt:presence:expiry",
                                                         "-inf", std::to_string(now_us)}));
    std::vector<int64_t> out;
    for (const auto& e : r.elements) out.push_back(ToInt(e.str));
    return out;
  }

  absl::StatusOr<bool> TypingStart(int64_t conversation, int64_t user, int64_t now_us, int64_t expires_us,
                                   int64_t interval_us) override {
    DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
    const std::vector<std::string> keys = {TypingKey(conversation), prefix_ + "rt:typing:expiry"};
    const std::vector<std::string> args = {std::to_string(user), std::to_string(now_us),
                                           std::to_string(expires_us), std::to_string(interval_us),
                                           Member(conversation, user)};
    DAIRA_ASSIGN_OR_RETURN(RedisReply r, lease->Eval(kTypingStart, keys, args));
    return r.integer == 1;
  }

  absl::StatusOr<bool> TypingStop(int64_t conversation, int64_t user, int64_t now_us) override {
    return Remove(conversation, user, now_us, false);
  }

  absl::StatusOr<std::vector<int64_t>> Typists(int64_t conversation, int64_t now_us) override {
    DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
    DAIRA_ASSIGN_OR_RETURN(RedisReply r, lease->Command({"HGETALL", TypingKey(conversation)}));
    std::vector<int64_t> out;
    for (size_t j = 0; j + 1 < r.elements.size(); j += 2) {
      const std::string& v = r.elements[j + 1].str;
      if (ToInt(std::string_view(v).substr(0, v.find(':'))) > now_us) out.push_back(ToInt(r.elements[j].str));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> TypingExpired(int64_t now_us) override {
    std::vector<std::string> members;
    {
      DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
      DAIRA_ASSIGN_OR_RETURN(RedisReply r, lease->Command({"ZRANGEBYSCORE", prefix_ + "rt:typing:expiry",
                                                           "-inf", std::to_string(now_us)}));
      for (const auto& e : r.elements) members.push_back(e.str);
    }
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const std::string& m : members) {
      const size_t c = m.find(':');
      const int64_t conv = ToInt(std::string_view(m).substr(0, c));
      const int64_t user = ToInt(std::string_view(m).substr(c + 1));
      DAIRA_ASSIGN_OR_RETURN(bool removed, Remove(conv, user, now_us, true));
      if (removed) out.emplace_back(conv, user);  // another instance may have swept it first
    }
    return out;
  }

 private:
  std::string PresenceKey(int64_t user) const {
    return prefix_ + "rt:presence:{" + std::to_string(user) + "}";
  }
  std::string TypingKey(int64_t conv) const { return prefix_ + "rt:typing:{" + std::to_string(conv) + "}"; }
  static std::string Member(int64_t conv, int64_t user) {
    return std::to_string(conv) + ":" + std::to_string(user);
  }

  absl::StatusOr<bool> Remove(int64_t conversation, int64_t user, int64_t now_us, bool only_expired) {
    DAIRA_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
    const std::vector<std::string> keys = {TypingKey(conversation), prefix_ + "rt:typing:expiry"};
    const std::vector<std::string> args = {std::to_string(user), std::to_string(now_us),
                                           Member(conversation, user), only_expired ? "1" : "0"};
    DAIRA_ASSIGN_OR_RETURN(RedisReply r, lease->Eval(kTypingRemove, keys, args));
    return r.integer == 1;
  }

  std::unique_ptr<RedisPool> pool_;
  std::string prefix_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RealtimeState>> OpenRedisRealtimeState(const RedisUrl& url) {
  auto pool = RedisPool::Open(url);
  if (!pool.ok()) return Annotate(pool.status(), "realtime: open presence/typing state");
  return std::unique_ptr<RealtimeState>(new RedisRealtimeState(*std::move(pool), url.prefix));
}

}  // namespace daira::inline v0::backends::redis
