#include "backends/redis/redis_hub.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "backends/redis/redis_breaker_params.h"
#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_pool.h"
#include "backends/redis/redis_reply.h"
#include "backends/redis/redis_script.h"
#include "daira/core/status.h"
#include "daira/realtime/channel.h"

namespace daira::inline v0::backends::redis {

using realtime::Message;
using realtime::Position;
using realtime::SubscriptionSink;

namespace {

// KEYS: the channel's stream. ARGV: the pub/sub channel, `<epoch>-*` with the channel's epoch as last
// seen ("": not known), a candidate epoch (for a new channel), the message ("seconds:micros:payload", the
// publisher's clock) and, only when the TTL is to be set again, a fifth argument. The history length, the
// trimming ("~" approximate or "=" exact) and the TTL are constants of the hub's options, written into
// the script's text (@HISTORY@, @TRIM@, @TTL@; RedisHubPublishScript): each argument costs the server a
// Lua string and a table slot per call. Returns the entry id `<epoch>-<seq>`, and publishes
// `<epoch>-<seq>:<message>` — the id as XADD returned it, so Lua builds no string but one concatenation.
//
// One stream per channel is the whole state: entry ids are `<epoch>-<seq>`, so one XADD with the id
// `<epoch>-*` appends the history entry AND takes the next sequence (Redis adds 1 to the last id's
// sequence part), and the stream's last id survives trimming (history 0 keeps no entry but the id).
// The fast path — the publisher knows the epoch — is two calls (XADD, PUBLISH) and no number
// formatting; Lua, its arguments and each redis.call are most of a publish's server time
// (docs/realtime.md, "Publish cost"). The publisher's epoch can be outdated (the stream expired or was
// lost and restarted with a new random epoch):
//   - no stream (NOMKSTREAM: nil) → a new epoch starts at `<candidate>-1`;
//   - the channel's epoch is larger → XADD refuses the smaller id → read the stream's last id;
//   - the channel's epoch is smaller → XADD appended `<ours>-0` (a new id's sequence part starts at 0;
//     a live epoch's never does: it starts at 1): take that entry back, put the last id back to the
//     newest remaining entry (XSETID), and append again under the channel's epoch. When no entry is
//     left to restore it from (history 0) the stream is dropped and a new epoch starts.
// The TTL is set when the publisher asks (every history_ttl/64 per channel and hub, see RedisHub::Core::
// Plan) and when a stream starts, so no PTTL runs per message.
constexpr char kPublishLua[] = R"lua(
local key, msg = KEYS[1], ARGV[4]
local id
if ARGV[2] ~= '' then
  id = redis.pcall('XADD', key, 'NOMKSTREAM', 'MAXLEN', '@TRIM@', '@HISTORY@', ARGV[2], 'm', msg)
  if type(id) ~= 'string' then
    id = nil
  elseif string.byte(id, -1) == 48 and string.byte(id, -2) == 45 then
    redis.call('XDEL', key, id)
    local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
    if #last > 0 then redis.call('XSETID', key, last[1][1]) else redis.call('DEL', key) end
    id = nil
  end
end
local refresh = ARGV[5]
if not id then
  if redis.call('EXISTS', key) == 1 then
    local info, epoch = redis.call('XINFO', 'STREAM', key), nil
    for i = 1, #info, 2 do
      if info[i] == 'last-generated-id' then epoch = string.match(info[i + 1], '^(%d+)-') end
    end
    id = redis.call('XADD', key, 'MAXLEN', '@TRIM@', '@HISTORY@', epoch .. '-*', 'm', msg)
  else
    id = redis.call('XADD', key, 'MAXLEN', '@TRIM@', '@HISTORY@', ARGV[3] .. '-1', 'm', msg)
    refresh = true
  end
end
if refresh then redis.call('PEXPIRE', key, '@TTL@') end
redis.call('PUBLISH', ARGV[1], id .. ':' .. msg)
return id
)lua";

// The channel's history stream (ids `<epoch>-<seq>`, field m: "seconds:micros:payload").
std::string StreamKeyFor(std::string_view prefix, std::string_view channel) {
  return absl::StrCat(ToAbsl(prefix), "rt:{", ToAbsl(channel), "}:s");
}

// The publish script's key and arguments for one message: the stream key, the pub/sub channel and the
// message ("<time>:<payload>") share one buffer (one allocation per publish); `epoch_id` and
// `candidate` are the caller's and must outlive the views.
struct PublishCall {
  std::string buf;
  std::string_view key;
  std::array<std::string_view, 5> args;  // ARGV[1..4], and ARGV[5] when the TTL is to be set again
  size_t nargs = 4;

  PublishCall(std::string_view prefix, std::string_view channel, std::string_view epoch_id,
              std::string_view candidate, std::string_view time, std::string_view payload, bool refresh) {
    constexpr std::string_view kRt = "rt:", kOpen = "rt:{", kClose = "}:s";
    buf.reserve(2 * prefix.size() + 2 * channel.size() + time.size() + payload.size() + 16);
    buf.append(prefix).append(kOpen).append(channel).append(kClose);
    const size_t channel_at = buf.size();
    buf.append(prefix).append(kRt).append(channel);
    const size_t message_at = buf.size();
    buf.append(time).append(1, ':').append(payload);
    const std::string_view all(buf);
    key = all.substr(0, channel_at);
    args = {all.substr(channel_at, message_at - channel_at), epoch_id, candidate, all.substr(message_at),
            "1"};
    nargs = refresh ? 5 : 4;
  }
  // The views point into buf: neither copied nor moved (returned only as a prvalue).
  PublishCall(const PublishCall&) = delete;
  PublishCall& operator=(const PublishCall&) = delete;
  std::span<const std::string_view> argv() const { return {args.data(), nargs}; }
  // As EVALSHA arguments after the SHA (numkeys, key, ARGV), for a pipeline.
  std::vector<std::string> EvalArgs() const {
    std::vector<std::string> out;
    out.reserve(2 + nargs);
    out.emplace_back("1");
    out.emplace_back(key);
    for (std::string_view a : argv()) out.emplace_back(a);
    return out;
  }
};

// Decimal digits of `v` into `out` (20 at most); the view into `out`.
std::string_view Digits(uint64_t v, std::array<char, 24>& out) {
  return {out.data(),
          static_cast<size_t>(std::to_chars(out.data(), out.data() + out.size(), v).ptr - out.data())};
}

bool ParseU64(std::string_view s, uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "<epoch>-<seq>" (a stream id) → position.
bool ParseId(std::string_view id, Position& out) {
  const size_t dash = id.find('-');
  return dash != std::string_view::npos && ParseU64(id.substr(0, dash), out.epoch) &&
         ParseU64(id.substr(dash + 1), out.sequence);
}

// "seconds:micros" → time point.
Clock::TimePoint ParseTime(std::string_view sec, std::string_view usec) {
  uint64_t s = 0, us = 0;
  ParseU64(sec, s);
  ParseU64(usec, us);
  return Clock::TimePoint{std::chrono::seconds(s) + std::chrono::microseconds(us)};
}

// Splits "a:b:c:d:rest" into 4 fields and the rest (which may contain ':'); "a-b:c:d:rest" (the id as
// the publish script sends it) the same way.
bool SplitHeader(std::string_view data, std::string_view (&fields)[4], std::string_view& rest) {
  size_t i = 0;
  for (; i < 4; ++i) {
    const size_t colon = data.find(':');
    if (colon == std::string_view::npos) return false;
    fields[i] = data.substr(0, colon);
    data.remove_prefix(colon + 1);
    if (i == 0) {
      // "<epoch>-<seq>" (this build's script) or "<epoch>" (an older build's: "<epoch>:<seq>:…").
      const size_t dash = fields[0].find('-');
      if (dash != std::string_view::npos) {
        fields[1] = fields[0].substr(dash + 1);
        fields[0] = fields[0].substr(0, dash);
        ++i;
      }
    }
  }
  rest = data;
  return true;
}

std::string EscapeGlob(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

struct ContextFree {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

timeval ToTimeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000), static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

std::string_view Str(const redisReply* r) {
  return (r != nullptr && r->str != nullptr) ? std::string_view(r->str, r->len) : std::string_view();
}

// The subscriber connection pings after this long without traffic, and gives up on it after as long
// again without an answer.
constexpr std::chrono::milliseconds kPingEvery{15000};

}  // namespace

struct RedisHub::Core final : realtime::DeliveryPump {
  RedisUrl url;
  realtime::HubOptions options;
  std::unique_ptr<RedisPool> pool;
  // Around every call on the pool (publish, recover; presence and typing share it): while open, calls
  // fail at once with Unavailable and Redis is not touched. Not around the subscriber connection, which
  // reconnects by itself.
  std::shared_ptr<resilience::CircuitBreaker> breaker;
  std::unique_ptr<RedisScript> publish_script;  // RedisHubPublishScript of the options
  const Clock* clock = nullptr;  // message times (options.clock or the system clock)
  std::string pubsub_prefix;  // <prefix>rt:
  std::atomic<bool> closed{false};
  std::mt19937_64 random{std::random_device{}()};
  std::mutex random_mu;

  // ---- subscriber state (guarded by mu) ----
  std::mutex mu;
  std::condition_variable cv;
  // By Redis channel / pattern; transparent so that a delivery looks its channel up without a copy.
  using SinkMap = std::map<std::string, std::vector<std::shared_ptr<SubscriptionSink>>, std::less<>>;
  SinkMap channels;
  SinkMap patterns;
  std::set<std::string> confirmed_channels, confirmed_patterns;  // acknowledged on the current connection
  absl::Status connection_status = absl::UnavailableError("realtime: redis: subscriber not connected yet");
  bool stop = false;
  int wake_fd = -1;
  // Set whenever the local subscriptions may differ from the connection's (a Wake, a sink dropped on
  // delivery): the thread compares the two only then, not once per message.
  std::atomic<bool> membership_changed{true};
  std::thread thread;

  std::string StreamKey(std::string_view channel) const { return StreamKeyFor(url.prefix, channel); }

  // ---- what this hub knows of the channels it published to (guarded by known_mu) ----
  // The epoch the channel had at this hub's last publish (the script's fast path needs it; an outdated
  // one costs the script a slower path, never a wrong sequence), and when this hub last set its TTL.
  // The TTL is set again once refresh_every (history_ttl/64) has passed since, so a channel's stream
  // expires no earlier than history_ttl minus that after any hub's last publish, without a PTTL per
  // message. Bounded: past kMaxKnown channels the table is cleared (each channel then pays one slower
  // publish and one TTL refresh).
  struct Known {
    std::string epoch_id;  // "<epoch>-*", as the script's argument
    std::chrono::steady_clock::time_point refreshed{};
    bool ever_refreshed = false;
  };
  static constexpr size_t kMaxKnown = 65536;
  std::mutex known_mu;
  absl::flat_hash_map<std::string, Known> known;
  std::chrono::milliseconds refresh_every{0};

  struct Plan {
    std::string epoch_id;  // "<epoch>-*", "" when not known
    bool refresh = true;
    std::chrono::steady_clock::time_point at;
  };
  Plan PlanPublish(std::string_view channel) {
    Plan plan{.epoch_id = "", .refresh = true, .at = std::chrono::steady_clock::now()};
    std::lock_guard lock(known_mu);
    auto it = known.find(ToAbsl(channel));
    if (it == known.end()) return plan;
    plan.epoch_id = it->second.epoch_id;
    plan.refresh = !it->second.ever_refreshed || plan.at - it->second.refreshed >= refresh_every;
    return plan;
  }
  // `id` is the script's reply "<epoch>-<seq>".
  void Learn(std::string_view channel, const Plan& plan, std::string_view id) {
    const std::string_view epoch_dash = id.substr(0, id.find('-') + 1);
    std::lock_guard lock(known_mu);
    if (known.size() >= kMaxKnown && !known.contains(ToAbsl(channel))) known.clear();
    Known& k = known[ToAbsl(channel)];
    if (std::string_view(k.epoch_id).substr(0, k.epoch_id.size() - 1) != epoch_dash)
      k.epoch_id = absl::StrCat(ToAbsl(epoch_dash), "*");
    if (plan.refresh && (!k.ever_refreshed || plan.at > k.refreshed)) {
      k.refreshed = plan.at;
      k.ever_refreshed = true;
    }
  }

  uint64_t NewEpoch() {
    std::lock_guard lock(random_mu);
    // At most 2^53 so Lua (doubles) never rounds it; never 0.
    return (random() >> 11) | 1;
  }

  // Subscriptions changed: the current reader applies it (its poll returns), or the hub's thread
  // comes back to (when nobody reads).
  void Wake() {
    membership_changed.store(true);
    uint64_t one = 1;
    while (::write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
    hub_cv.notify_all();
  }

  absl::Status CheckPayload(std::string_view op, std::string_view channel, std::string_view payload) const {
    DAIRA_RETURN_IF_ERROR(Annotate(realtime::ValidateChannel(channel), op));
    if (payload.size() > options.max_payload) {
      return absl::InvalidArgumentError(std::string(op) + ": payload for '" + std::string(channel) + "' is " +
                                        std::to_string(payload.size()) + " bytes (max_payload " +
                                        std::to_string(options.max_payload) + ")");
    }
    return absl::OkStatus();
  }

  // `call` (a lease and its commands) through the breaker (answers such as OutOfRange do not count as
  // failures).
  template <typename Op, typename F>
  auto Guarded(Op&& op, F&& call) -> decltype(call()) {
    return redis::Guarded(*breaker, std::forward<Op>(op), std::forward<F>(call));
  }

  // The message's time is the publisher's clock ("seconds:micros"): asking Redis (TIME) cost a call
  // inside the script on every message.
  std::string_view NowArg(std::array<char, 48>& out) const {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock->Now().time_since_epoch()).count();
    char* p = std::to_chars(out.data(), out.data() + 24, us / 1000000).ptr;
    *p++ = ':';
    p = std::to_chars(p, out.data() + out.size(), us % 1000000).ptr;
    return {out.data(), static_cast<size_t>(p - out.data())};
  }

  // The script's key and arguments for one message (`scratch` holds the candidate epoch and the time).
  struct Scratch {
    std::array<char, 24> candidate;
    std::array<char, 48> time;
  };
  PublishCall MakeCall(std::string_view channel, std::string_view payload, const Plan& plan,
                       Scratch& scratch) {
    return PublishCall(url.prefix, channel, plan.epoch_id, Digits(NewEpoch(), scratch.candidate),
                       NowArg(scratch.time), payload, plan.refresh);
  }
  // The same as EVALSHA arguments after the SHA (numkeys, key, ARGV), for a pipeline.
  std::vector<std::string> PublishArgs(std::string_view channel, std::string_view payload, const Plan& plan) {
    Scratch scratch;
    return MakeCall(channel, payload, plan, scratch).EvalArgs();
  }

  // The script's reply "<epoch>-<seq>"; learns the channel's epoch.
  absl::StatusOr<Position> ParsePublishReply(const RedisReply& r, std::string_view channel,
                                             const Plan& plan) {
    if (r.IsError()) return ErrorReplyStatus("realtime: publish '" + std::string(channel) + "'", r);
    Position p;
    if (r.type != RedisReply::Type::kString || !ParseId(r.str, p)) {
      return absl::InternalError("realtime: publish '" + std::string(channel) + "': unexpected script reply");
    }
    Learn(channel, plan, r.str);
    return p;
  }

  // ---- the subscriber thread ----
  // Each sink gets a copy but the last, which gets `m` itself (one subscription: no copy at all).
  void Deliver(std::vector<std::shared_ptr<SubscriptionSink>>& sinks, Message& m) {
    for (size_t i = 0; i < sinks.size();) {
      if (i + 1 == sinks.size() ? sinks[i]->Deliver(std::move(m)) : sinks[i]->Deliver(m)) {
        ++i;
      } else {
        sinks.erase(sinks.begin() + static_cast<std::ptrdiff_t>(i));
        membership_changed.store(true);
      }
    }
  }

  // Under mu: the Redis channel name → daira channel, and the message.
  bool Decode(std::string_view redis_channel, std::string_view data, Message& m) const {
    if (redis_channel.substr(0, pubsub_prefix.size()) != pubsub_prefix) return false;
    std::string_view f[4], rest;
    if (!SplitHeader(data, f, rest)) return false;
    m.channel = std::string(redis_channel.substr(pubsub_prefix.size()));
    if (!ParseU64(f[0], m.epoch) || !ParseU64(f[1], m.sequence)) return false;
    m.time = ParseTime(f[2], f[3]);
    m.payload = std::string(rest);
    return true;
  }

  void HandleReply(const redisReply* r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const std::string_view kind = Str(r->element[0]);
    std::lock_guard lock(mu);
    if (kind == "message") {
      auto it = channels.find(Str(r->element[1]));
      Message m;
      if (it != channels.end() && Decode(Str(r->element[1]), Str(r->element[2]), m)) Deliver(it->second, m);
    } else if (kind == "pmessage" && r->elements >= 4) {
      auto it = patterns.find(Str(r->element[1]));
      Message m;
      if (it != patterns.end() && Decode(Str(r->element[2]), Str(r->element[3]), m)) Deliver(it->second, m);
    } else if (kind == "subscribe") {
      confirmed_channels.insert(std::string(Str(r->element[1])));
      cv.notify_all();
    } else if (kind == "psubscribe") {
      confirmed_patterns.insert(std::string(Str(r->element[1])));
      cv.notify_all();
    }
  }

  absl::StatusOr<ContextPtr> Connect() {
    ContextPtr c(redisConnectWithTimeout(url.host.c_str(), url.port, ToTimeval(url.connect_timeout)));
    if (c == nullptr || c->err) {
      return absl::UnavailableError("realtime: redis: subscriber cannot connect to " + url.Redacted() + ": " +
                                    (c ? c->errstr : "out of memory"));
    }
    redisSetTimeout(c.get(), ToTimeval(url.command_timeout));
    redisEnableKeepAlive(c.get());
    if (!url.password.empty()) {
      std::vector<const char*> argv = {"AUTH"};
      std::vector<size_t> lens = {4};
      if (!url.username.empty()) {
        argv.push_back(url.username.data());
        lens.push_back(url.username.size());
      }
      argv.push_back(url.password.data());
      lens.push_back(url.password.size());
      ReplyPtr reply(static_cast<redisReply*>(
          redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
      if (reply == nullptr)
        return absl::UnavailableError("realtime: redis: subscriber AUTH failed: " + url.Redacted());
      if (reply->type == REDIS_REPLY_ERROR) {
        return absl::UnauthenticatedError("realtime: redis: subscriber AUTH refused by " + url.Redacted());
      }
    }
    return c;
  }

  // `cmd` with `args`; a (P)(UN)SUBSCRIBE with no argument is not sent (it would mean "all").
  static void Append(redisContext* c, std::string_view cmd, const std::vector<std::string>& args) {
    if (args.empty() && cmd != "PING") return;
    std::vector<const char*> argv = {cmd.data()};
    std::vector<size_t> lens = {cmd.size()};
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
  }

  void Run() {
    auto backoff = std::chrono::milliseconds(50);
    while (true) {
      {
        std::lock_guard lock(mu);
        if (stop) return;
      }
      auto connected = Connect();
      if (!connected.ok()) {
        std::unique_lock lock(mu);
        connection_status = connected.status();
        cv.notify_all();
        cv.wait_for(lock, backoff, [&] { return stop; });
        backoff = std::min(backoff * 2,
                           std::chrono::duration_cast<std::chrono::milliseconds>(url.reconnect_backoff_max));
        continue;
      }
      backoff = std::chrono::milliseconds(50);
      ContextPtr c = *std::move(connected);
      Serve(c.get());
      std::lock_guard lock(mu);
      confirmed_channels.clear();
      confirmed_patterns.clear();
      if (!stop) {
        // Live delivery stops until the resubscribe: tell every subscription (interruptions()).
        for (auto& [k, sinks] : channels) {
          for (auto& sink : sinks) sink->Interrupted();
        }
        for (auto& [k, sinks] : patterns) {
          for (auto& sink : sinks) sink->Interrupted();
        }
      }
      if (connection_status.ok()) {
        connection_status = absl::UnavailableError("realtime: redis: subscriber connection to " +
                                                   url.Redacted() + " lost; reconnecting");
      }
      cv.notify_all();
    }
  }

  // ---- who reads the subscriber connection: leader/follower ----
  //
  // Either the hub's thread or one consumer waiting in Subscription::Next (the leader) reads the
  // connection and queues what arrives for every subscription; other waiting consumers follow (wait
  // until their message is queued or the connection is free). The hub's thread hands the connection
  // over when a consumer asks, and after a leader left it stays away for kLeaderHold: the next Next is
  // usually that close, and a consumer reading its own message is one thread wakeup per message where
  // the hub's thread reading it and waking the consumer is two. The hub's thread alone connects,
  // reconnects and resubscribes; any reader applies subscription changes and pings.
  enum class Reader { kNone, kHub, kLeader };
  std::mutex io_mu;
  std::condition_variable io_cv;   // consumers: the reader changed, or a follower's message arrived
  std::condition_variable hub_cv;  // the hub's thread: a leader left or the connection failed
  Reader reader = Reader::kNone;   // guarded by io_mu
  redisContext* conn = nullptr;    // the live connection (owned by Run), null while reconnecting
  bool conn_failed = false;        // a reader saw it fail: the hub's thread reconnects
  int want_lead = 0;               // consumers waiting for the hub's thread to hand the connection over
  int followers = 0;               // consumers waiting while a leader reads
  std::atomic<int> followers_hint{0};
  std::atomic<bool> stopping{false};
  std::chrono::steady_clock::time_point last_led{};    // when the last leader left
  std::chrono::steady_clock::time_point lead_began{};  // when the current leader began
  bool hub_waits_for_leader = false;  // the hub's thread sleeps until the leader leaves (a long lead)
  // Connection state, touched only by the current reader.
  std::set<std::string> requested_channels, requested_patterns;  // sent on this connection
  bool ping_outstanding = false;
  std::chrono::steady_clock::time_point last_traffic{}, ping_sent{};

  // How long the hub's thread leaves the connection to consumers after a leader left.
  static constexpr std::chrono::milliseconds kLeaderHold{1};
  // A lead this long is not on a hot path (a consumer idling in Next): the hub's thread then sleeps
  // until the leader leaves, instead of looking every kLeaderHold, and the leader wakes it on leaving.
  static constexpr std::chrono::milliseconds kLongLead{20};

  // Makes the current reader's poll return (eventfd).
  void Interrupt() {
    uint64_t one = 1;
    while (::write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }

  // One turn of the current reader: applies subscription changes, pings when quiet, waits up to
  // `max_wait` for traffic and handles what arrived. False when the connection failed or the hub stops.
  bool ServeOnce(redisContext* c, std::chrono::milliseconds max_wait) {
    // Bring the connection's subscriptions in line with the local ones (only when they may differ:
    // the scan is over every channel this hub serves).
    std::vector<std::string> sub, unsub, psub, punsub;
    if (membership_changed.exchange(false)) {
      std::lock_guard lock(mu);
      if (stop) return false;
      for (const auto& [ch, sinks] : channels) {
        if (!sinks.empty() && !requested_channels.contains(ch)) sub.push_back(ch);
      }
      for (const auto& ch : requested_channels) {
        auto it = channels.find(ch);
        if (it == channels.end() || it->second.empty()) unsub.push_back(ch);
      }
      for (const auto& [p, sinks] : patterns) {
        if (!sinks.empty() && !requested_patterns.contains(p)) psub.push_back(p);
      }
      for (const auto& p : requested_patterns) {
        auto it = patterns.find(p);
        if (it == patterns.end() || it->second.empty()) punsub.push_back(p);
      }
      for (const auto& ch : unsub) {
        confirmed_channels.erase(ch);
        if (auto it = channels.find(ch); it != channels.end()) channels.erase(it);
      }
      for (const auto& p : punsub) {
        confirmed_patterns.erase(p);
        if (auto it = patterns.find(p); it != patterns.end()) patterns.erase(it);
      }
    }
    for (const auto& ch : sub) requested_channels.insert(ch);
    for (const auto& ch : unsub) requested_channels.erase(ch);
    for (const auto& p : psub) requested_patterns.insert(p);
    for (const auto& p : punsub) requested_patterns.erase(p);
    Append(c, "SUBSCRIBE", sub);
    Append(c, "UNSUBSCRIBE", unsub);
    Append(c, "PSUBSCRIBE", psub);
    Append(c, "PUNSUBSCRIBE", punsub);
    // Quiet for a whole interval: a half-open connection (no FIN, e.g. a dead host) would look just
    // like this, so ask; no answer for another interval means the connection is gone.
    auto now = std::chrono::steady_clock::now();
    if (ping_outstanding && now - ping_sent >= kPingEvery) return false;
    if (!ping_outstanding && now - last_traffic >= kPingEvery) {
      Append(c, "PING", {});
      ping_outstanding = true;
      ping_sent = now;
    }
    int done = 0;
    while (!done) {
      if (redisBufferWrite(c, &done) != REDIS_OK) return false;
    }
    const auto until_ping = kPingEvery - (now - (ping_outstanding ? ping_sent : last_traffic));
    const auto wait = std::max(std::chrono::milliseconds(0),
                               std::min(max_wait, std::chrono::ceil<std::chrono::milliseconds>(until_ping)));
    pollfd fds[2] = {{c->fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(wait.count()));
    if (ready < 0) return errno == EINTR;
    if (fds[1].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_fd, &v, sizeof(v));
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (redisBufferRead(c) != REDIS_OK) return false;  // closed by the server, or an I/O error
      ping_outstanding = false;
      last_traffic = std::chrono::steady_clock::now();
      while (true) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return false;
        if (raw == nullptr) break;
        ReplyPtr reply(static_cast<redisReply*>(raw));
        HandleReply(reply.get());
      }
    }
    return !stopping.load();
  }

  // DeliveryPump (Subscription::Next on a consumer's thread): lead, or follow, until `waiting` is
  // signaled or the deadline passes.
  void Pump(const SubscriptionSink& waiting, std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock io(io_mu);
    while (!waiting.signaled()) {
      if (stopping.load() || conn == nullptr || conn_failed) return;  // the hub's thread delivers later
      if (std::chrono::steady_clock::now() >= deadline) return;
      if (reader == Reader::kNone) {
        Lead(io, waiting, deadline);
        return;
      }
      if (reader == Reader::kHub) {
        ++want_lead;
        Interrupt();
        io_cv.wait_until(io, deadline, [&] {
          return reader != Reader::kHub || stopping.load() || conn_failed || waiting.signaled();
        });
        --want_lead;
        continue;
      }
      ++followers;
      followers_hint.store(followers);
      io_cv.wait_until(io, deadline, [&] {
        return waiting.signaled() || reader == Reader::kNone || stopping.load() || conn_failed;
      });
      --followers;
      followers_hint.store(followers);
    }
  }

  // Under io (locked on entry, unlocked on return): reads as the leader.
  void Lead(std::unique_lock<std::mutex>& io, const SubscriptionSink& waiting,
            std::chrono::steady_clock::time_point deadline) {
    reader = Reader::kLeader;
    lead_began = std::chrono::steady_clock::now();
    redisContext* c = conn;
    io.unlock();
    bool ok = true;
    while (ok && !waiting.signaled()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      ok = ServeOnce(c, std::min(std::chrono::ceil<std::chrono::milliseconds>(deadline - now), kPingEvery));
      if (followers_hint.load() > 0) {
        std::lock_guard wake(io_mu);  // a follower checks its queue under io_mu: no lost wakeup
        io_cv.notify_all();
      }
    }
    io.lock();
    reader = Reader::kNone;
    last_led = std::chrono::steady_clock::now();
    if (!ok && !stopping.load()) conn_failed = true;
    if (conn_failed || stopping.load() || membership_changed.load() || hub_waits_for_leader)
      hub_cv.notify_all();
    if (followers > 0 || want_lead > 0) io_cv.notify_all();
    io.unlock();
  }

  // The hub's thread on one connection, until it fails or the hub stops.
  void Serve(redisContext* c) {
    {
      std::lock_guard lock(mu);
      connection_status = absl::OkStatus();
    }
    membership_changed.store(true);  // a new connection has no subscriptions yet
    std::unique_lock io(io_mu);
    requested_channels.clear();
    requested_patterns.clear();
    ping_outstanding = false;
    last_traffic = std::chrono::steady_clock::now();
    conn = c;
    conn_failed = false;
    while (true) {
      // Stay away while a consumer reads, when one asks for the connection, and for kLeaderHold after
      // a leader left; come back for subscription changes (Wake) at once.
      while (!stopping.load() && !conn_failed) {
        if (reader == Reader::kNone && want_lead == 0) {
          const auto since = std::chrono::steady_clock::now() - last_led;
          if (membership_changed.load() || since >= kLeaderHold) break;
          hub_cv.wait_for(io, kLeaderHold - since);
        } else if (reader == Reader::kLeader && std::chrono::steady_clock::now() - lead_began >= kLongLead) {
          hub_waits_for_leader = true;
          hub_cv.wait(io, [&] { return reader != Reader::kLeader || stopping.load() || conn_failed; });
          hub_waits_for_leader = false;
        } else {
          if (reader == Reader::kNone) io_cv.notify_all();  // a consumer is waiting to lead
          hub_cv.wait_for(io, kLeaderHold);
        }
      }
      if (stopping.load() || conn_failed) {
        hub_cv.wait(io, [&] { return reader != Reader::kLeader; });  // a leader still reading
        conn = nullptr;
        return;
      }
      reader = Reader::kHub;
      io.unlock();
      const bool ok = ServeOnce(c, kPingEvery);
      io.lock();
      reader = Reader::kNone;
      if (!ok) conn_failed = true;
      if (want_lead > 0 || followers > 0) io_cv.notify_all();
    }
  }

  // The wake fd lives as long as the core: an unsubscribe racing the hub's destruction may still
  // hold the core and wake it.
  ~Core() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void Stop() {
    {
      std::lock_guard lock(mu);
      if (stop) return;
      stop = true;
      cv.notify_all();
    }
    stopping.store(true);
    Wake();
    {
      std::lock_guard io(io_mu);
      hub_cv.notify_all();
      io_cv.notify_all();
    }
    if (thread.joinable()) thread.join();
  }
};

std::string RedisHubPublishScript(uint64_t history, int64_t ttl_ms) {
  // Approximate trimming (whole stream nodes) once the history is at least a node.
  return absl::StrReplaceAll(kPublishLua, {{"@TRIM@", history >= 100 ? "~" : "="},
                                           {"@HISTORY@", std::to_string(history)},
                                           {"@TTL@", std::to_string(ttl_ms)}});
}

std::vector<std::string> RedisHubPublishScriptArgs(std::string_view prefix, std::string_view channel,
                                                   std::string_view cached_epoch_id,
                                                   std::string_view candidate_epoch, std::string_view time,
                                                   std::string_view payload, bool refresh) {
  return PublishCall(prefix, channel, cached_epoch_id, candidate_epoch, time, payload, refresh).EvalArgs();
}

absl::StatusOr<std::unique_ptr<RedisHub>> RedisHub::Open(const RedisUrl& url,
                                                         const realtime::HubOptions& options) {
  if (options.history > 10000000) {
    return absl::InvalidArgumentError("realtime: redis: history must be in [0, 10000000] (got " +
                                      std::to_string(options.history) + ")");
  }
  if (options.history_ttl.count() < 1) {
    return absl::InvalidArgumentError("realtime: redis: history_ttl_ms must be at least 1");
  }
  auto core = std::make_shared<Core>();
  core->url = url;
  core->options = options;
  core->pubsub_prefix = url.prefix + "rt:";
  core->clock = options.clock != nullptr ? options.clock : Clock::System();
  core->refresh_every = options.history_ttl / 64;
  core->publish_script =
      std::make_unique<RedisScript>(RedisHubPublishScript(options.history, options.history_ttl.count()));
  resilience::CircuitBreakerOptions breaker{.name = "redis realtime", .clock = options.clock};
  for (const auto& [name, value] : url.params) {
    DAIRA_RETURN_IF_ERROR(ApplyBreakerParam("realtime: open", name, value, breaker).status());
  }
  core->breaker = std::make_shared<resilience::CircuitBreaker>(std::move(breaker));
  auto pool = RedisPool::Open(url);
  if (!pool.ok()) return Annotate(pool.status(), "realtime: open");
  core->pool = *std::move(pool);
  core->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (core->wake_fd < 0) {
    return absl::ResourceExhaustedError(std::string("realtime: redis: eventfd: ") + std::strerror(errno));
  }
  core->thread = std::thread([c = core.get()] { c->Run(); });
  return std::unique_ptr<RedisHub>(new RedisHub(std::move(core)));
}

RedisHub::RedisHub(std::shared_ptr<Core> core) : core_(std::move(core)) {}

RedisHub::~RedisHub() { Close().IgnoreError(); }

absl::StatusOr<Position> RedisHub::Publish(std::string_view channel, std::string_view payload) {
  DAIRA_RETURN_IF_ERROR(core_->CheckPayload("realtime: publish", channel, payload));
  if (core_->closed) return absl::FailedPreconditionError("realtime: publish: the hub is closed");
  // The operation's name is built only for an error.
  const auto op = [channel] { return "realtime: publish '" + std::string(channel) + "'"; };
  return core_->Guarded(op, [&]() -> absl::StatusOr<Position> {
    DAIRA_ASSIGN_OR_RETURN(auto lease, core_->pool->Acquire());
    const Core::Plan plan = core_->PlanPublish(channel);
    Core::Scratch scratch;
    const PublishCall call = core_->MakeCall(channel, payload, plan, scratch);
    auto reply = lease->EvalViews(*core_->publish_script, std::span<const std::string_view>(&call.key, 1),
                                  call.argv());
    if (!reply.ok()) return Annotate(reply.status(), op());
    return core_->ParsePublishReply(*reply, channel, plan);
  });
}

absl::StatusOr<std::vector<Position>> RedisHub::PublishBatch(
    std::span<const realtime::OutgoingMessage> messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    DAIRA_RETURN_IF_ERROR(core_->CheckPayload("realtime: publish batch: message " + std::to_string(i),
                                              messages[i].channel, messages[i].payload));
  }
  if (core_->closed) return absl::FailedPreconditionError("realtime: publish batch: the hub is closed");
  if (messages.empty()) return std::vector<Position>{};
  return core_->Guarded("realtime: publish batch", [&] { return PublishBatchUnguarded(messages); });
}

absl::StatusOr<std::vector<Position>> RedisHub::PublishBatchUnguarded(
    std::span<const realtime::OutgoingMessage> messages) {
  DAIRA_ASSIGN_OR_RETURN(auto lease, core_->pool->Acquire());
  // The first through Eval (loads the script when the server lacks it), the rest pipelined by SHA.
  std::vector<Position> out;
  {
    const Core::Plan plan = core_->PlanPublish(messages[0].channel);
    const std::vector<std::string> args = core_->PublishArgs(messages[0].channel, messages[0].payload, plan);
    const std::span<const std::string> all(args);
    auto reply = lease->Eval(*core_->publish_script, all.subspan(1, 1), all.subspan(2));
    if (!reply.ok()) return Annotate(reply.status(), "realtime: publish batch");
    DAIRA_ASSIGN_OR_RETURN(Position first, core_->ParsePublishReply(*reply, messages[0].channel, plan));
    out.push_back(first);
  }
  if (messages.size() == 1) return out;
  std::string sha = core_->publish_script->sha();  // learned by the Eval above
  if (sha.empty()) {
    DAIRA_ASSIGN_OR_RETURN(RedisReply loaded,
                           lease->Command({"SCRIPT", "LOAD", core_->publish_script->source()}));
    sha = loaded.str;
  }
  std::vector<std::vector<std::string>> commands;
  std::vector<Core::Plan> plans;
  commands.reserve(messages.size() - 1);
  plans.reserve(messages.size() - 1);
  for (size_t i = 1; i < messages.size(); ++i) {
    plans.push_back(core_->PlanPublish(messages[i].channel));
    std::vector<std::string> cmd = {"EVALSHA", sha};
    for (auto& a : core_->PublishArgs(messages[i].channel, messages[i].payload, plans.back()))
      cmd.push_back(std::move(a));
    commands.push_back(std::move(cmd));
  }
  auto replies = lease->Pipeline(commands);
  if (!replies.ok()) return Annotate(replies.status(), "realtime: publish batch");
  for (size_t i = 0; i < replies->size(); ++i) {
    DAIRA_ASSIGN_OR_RETURN(Position p,
                           core_->ParsePublishReply((*replies)[i], messages[i + 1].channel, plans[i]));
    out.push_back(p);
  }
  return out;
}

absl::StatusOr<std::vector<Message>> RedisHub::Recover(std::string_view channel, Position since) {
  DAIRA_RETURN_IF_ERROR(Annotate(realtime::ValidateChannel(channel), "realtime: recover"));
  if (core_->closed) return absl::FailedPreconditionError("realtime: recover: the hub is closed");
  const std::string name(channel);
  // The stream's last id is the channel's position (XINFO STREAM; "no such key": no history), and the
  // entries after `since` under its epoch, in one round trip.
  const std::string key = core_->StreamKey(channel);
  const std::string from =
      since == Position{} ? "-" : std::to_string(since.epoch) + "-" + std::to_string(since.sequence + 1);
  auto replies =
      core_->Guarded("realtime: recover '" + name + "'", [&]() -> absl::StatusOr<std::vector<RedisReply>> {
        DAIRA_ASSIGN_OR_RETURN(auto lease, core_->pool->Acquire());
        return lease->Pipeline({{"XINFO", "STREAM", key}, {"XRANGE", key, from, "+"}});
      });
  if (!replies.ok()) return Annotate(replies.status(), "realtime: recover '" + name + "'");
  const RedisReply& info = (*replies)[0];
  const RedisReply& range = (*replies)[1];
  const bool missing = info.IsError() && absl::StrContains(info.str, "no such key");
  if (info.IsError() && !missing) return ErrorReplyStatus("realtime: recover '" + name + "'", info);
  if (range.IsError()) return ErrorReplyStatus("realtime: recover '" + name + "'", range);
  Position last;
  for (size_t i = 0; !missing && i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].str == "last-generated-id") ParseId(info.elements[i + 1].str, last);
  }
  const uint64_t epoch = last.epoch, seq = last.sequence;
  if (epoch == 0) {
    if (since == Position{}) return std::vector<Message>{};
    return absl::OutOfRangeError("realtime: recover: channel '" + name + "' epoch changed (asked for epoch " +
                                 std::to_string(since.epoch) +
                                 ", Redis holds no history for it: expired or the server lost it)");
  }
  if (since == Position{}) since.epoch = epoch;
  if (since.epoch != epoch) {
    return absl::OutOfRangeError("realtime: recover: channel '" + name + "' epoch changed (asked for epoch " +
                                 std::to_string(since.epoch) + ", current " + std::to_string(epoch) + ")");
  }
  if (since.sequence > seq) {
    return absl::OutOfRangeError("realtime: recover: channel '" + name + "' position " +
                                 std::to_string(since.sequence) + " is ahead of its last sequence " +
                                 std::to_string(seq));
  }
  std::vector<Message> out;
  uint64_t expect = since.sequence + 1;
  for (const RedisReply& entry : range.elements) {
    // [id, [field, value, ...]]
    if (entry.elements.size() != 2) continue;
    Position at;
    if (!ParseId(entry.elements[0].str, at) || at.epoch != epoch || at.sequence != expect)
      break;  // never a gap
    Message m{.channel = name, .epoch = epoch, .sequence = at.sequence};
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str != "m") continue;
      // "seconds:micros:payload"
      std::string_view data = fields[i + 1].str;
      const size_t c1 = data.find(':');
      const size_t c2 = c1 == std::string_view::npos ? c1 : data.find(':', c1 + 1);
      if (c2 == std::string_view::npos) break;
      m.time = ParseTime(data.substr(0, c1), data.substr(c1 + 1, c2 - c1 - 1));
      m.payload = std::string(data.substr(c2 + 1));
    }
    out.push_back(std::move(m));
    ++expect;
  }
  if (since.sequence < seq && (out.empty() || out.front().sequence != since.sequence + 1)) {
    Position first;
    const std::string oldest =
        range.elements.empty() ? std::to_string(seq + 1)
        : !range.elements[0].elements.empty() && ParseId(range.elements[0].elements[0].str, first)
            ? std::to_string(first.sequence)
            : "?";
    return absl::OutOfRangeError("realtime: recover: channel '" + name +
                                 "' history trimmed (asked from sequence " +
                                 std::to_string(since.sequence + 1) + ", oldest kept " + oldest + ")");
  }
  if (!out.empty() && out.back().sequence < seq) {
    return absl::OutOfRangeError("realtime: recover: channel '" + name +
                                 "' history has a hole after sequence " +
                                 std::to_string(out.back().sequence));
  }
  return out;
}

absl::StatusOr<std::pair<std::unique_ptr<realtime::Subscription>, std::shared_ptr<SubscriptionSink>>>
RedisHub::SubscribeLive(const std::string& target, bool pattern, const realtime::SubscribeOptions& options) {
  if (core_->closed) return absl::FailedPreconditionError("realtime: subscribe: the hub is closed");
  const std::string key = pattern ? EscapeGlob(core_->pubsub_prefix) + target : core_->pubsub_prefix + target;
  std::weak_ptr<Core> weak = core_;
  auto holder = std::make_shared<const SubscriptionSink*>(nullptr);
  DAIRA_ASSIGN_OR_RETURN(auto created,
                         realtime::Subscription::Create(target, options, [weak, key, pattern, holder] {
                           auto core = weak.lock();
                           if (core == nullptr) return;
                           {
                             std::lock_guard lock(core->mu);
                             auto& map = pattern ? core->patterns : core->channels;
                             auto it = map.find(key);
                             if (it == map.end()) return;
                             std::erase_if(it->second, [&](const auto& s) { return s.get() == *holder; });
                             if (!it->second.empty()) return;
                           }
                           core->Wake();  // the thread unsubscribes from Redis
                         }));
  *holder = created.second.get();
  created.second->SetPump(std::weak_ptr<realtime::DeliveryPump>(core_));
  std::unique_lock lock(core_->mu);
  auto& map = pattern ? core_->patterns : core_->channels;
  auto& confirmed = pattern ? core_->confirmed_patterns : core_->confirmed_channels;
  map[key].push_back(created.second);
  if (!confirmed.contains(key)) {
    core_->Wake();
    const bool ok = core_->cv.wait_for(lock, core_->url.command_timeout,
                                       [&] { return confirmed.contains(key) || core_->stop; });
    if (!ok || core_->stop) {
      std::erase(map[key], created.second);
      absl::Status why = core_->stop ? absl::FailedPreconditionError("realtime: subscribe: the hub is closed")
                         : core_->connection_status.ok()
                             ? absl::UnavailableError("realtime: subscribe '" + target +
                                                      "': Redis did not acknowledge within timeout_ms")
                             : Annotate(core_->connection_status, "realtime: subscribe '" + target + "'");
      lock.unlock();
      core_->Wake();
      return why;
    }
  }
  return created;
}

const resilience::CircuitBreaker* RedisHub::breaker() const { return core_->breaker.get(); }

std::shared_ptr<resilience::CircuitBreaker> RedisHub::shared_breaker() const { return core_->breaker; }

absl::Status RedisHub::Close() {
  if (core_->closed.exchange(true)) return absl::OkStatus();
  core_->Stop();
  std::vector<std::shared_ptr<SubscriptionSink>> sinks;
  {
    std::lock_guard lock(core_->mu);
    for (auto& [k, v] : core_->channels) sinks.insert(sinks.end(), v.begin(), v.end());
    for (auto& [k, v] : core_->patterns) sinks.insert(sinks.end(), v.begin(), v.end());
    core_->channels.clear();
    core_->patterns.clear();
  }
  for (auto& s : sinks) s->Close(absl::FailedPreconditionError("realtime: the hub is closed"));
  return absl::OkStatus();
}

}  // namespace daira::inline v0::backends::redis
