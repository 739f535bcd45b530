// RedisHub: realtime::Hub over Redis (`redis://…`), so that several app instances act as one.
//
//   Publish     one Lua script per message (EVALSHA): one XADD to the channel's stream with the id
//               `<epoch>-*` — the history entry and the next sequence at once (MAXLEN `history`,
//               approximate from 100 on) — and PUBLISH of the message with its id `<epoch>-<seq>` and
//               the publisher's time. The hub remembers each channel's epoch (the script checks it and
//               takes a slower path when it is outdated) and sets the stream's TTL (`history_ttl`)
//               every history_ttl/64 per channel. PublishBatch pipelines the scripts.
//   Subscribe   one dedicated subscriber connection per hub, read by its own thread or, leader/follower,
//               by a consumer waiting in Subscription::Next (hiredis 0.14 is RESP2: a subscribed
//               connection can do nothing else). Local subscriptions share Redis
//               subscriptions; Subscribe returns once Redis acknowledged. After a lost connection the
//               thread reconnects with backoff and resubscribes everything by itself; what was
//               published meanwhile is not delivered live (at-most-once) but can be recovered.
//   Recover     XINFO STREAM (the last id: epoch and sequence) and XRANGE of the stream, in one round trip.
//   Breaker     a resilience::CircuitBreaker (breaker_* URL parameters, as the Redis cache's) around
//               publish and recover, shared with presence and typing: while open they fail at once with
//               Unavailable without touching Redis; after the cool-down one call probes.
//
// Keys (all under the URL's ?prefix=): `<prefix>rt:{<channel>}:s` (stream, ids `<epoch>-<seq>`, field m:
// "seconds:micros:payload"); the pub/sub channel is `<prefix>rt:<channel>`, its messages
// "<epoch>-<seq>:seconds:micros:payload" (an older build's "<epoch>:<seq>:…" is read too).
//
// Thread-safety: as realtime::Hub.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/redis/redis_url.h"
#include "daira/realtime/hub.h"

namespace daira::inline v0::backends::redis {

// The Lua script behind every publish (history entry, sequence and PUBLISH in one EVALSHA) of a hub
// keeping `history` messages per channel for `ttl_ms` (constants of the script's text). Exposed for
// realtime_bench's raw baseline that runs the same script, and for tests.
std::string RedisHubPublishScript(uint64_t history, int64_t ttl_ms);
// The EVALSHA arguments after the SHA (numkeys, keys, args) of one publish of `payload` on `channel`
// under `prefix`, as the hub sends them: `cached_epoch_id` "<epoch>-*" with the channel's epoch as last
// seen ("" when not known), `candidate_epoch` the epoch a new channel starts with, `time`
// "seconds:micros", `refresh` whether the stream's TTL is set again. The script replies the entry id
// "<epoch>-<sequence>".
std::vector<std::string> RedisHubPublishScriptArgs(std::string_view prefix, std::string_view channel,
                                                   std::string_view cached_epoch_id,
                                                   std::string_view candidate_epoch, std::string_view time,
                                                   std::string_view payload, bool refresh);

class RedisHub final : public realtime::Hub {
 public:
  // Opens a pool on `url` (one connection at once: Unavailable / Unauthenticated when Redis cannot be
  // used) and starts the subscriber thread.
  static absl::StatusOr<std::unique_ptr<RedisHub>> Open(const RedisUrl& url,
                                                        const realtime::HubOptions& options);
  ~RedisHub() override;

  std::string_view Name() const override { return "redis"; }
  absl::StatusOr<realtime::Position> Publish(std::string_view channel, std::string_view payload) override;
  absl::StatusOr<std::vector<realtime::Position>> PublishBatch(
      std::span<const realtime::OutgoingMessage> messages) override;
  absl::StatusOr<std::vector<realtime::Message>> Recover(std::string_view channel,
                                                         realtime::Position since) override;
  absl::Status Close() override;
  const resilience::CircuitBreaker* breaker() const override;
  // The same breaker, for the presence and typing state on this hub's Redis (one breaker per hub).
  std::shared_ptr<resilience::CircuitBreaker> shared_breaker() const;

 protected:
  absl::StatusOr<
      std::pair<std::unique_ptr<realtime::Subscription>, std::shared_ptr<realtime::SubscriptionSink>>>
  SubscribeLive(const std::string& target, bool pattern, const realtime::SubscribeOptions& options) override;

 private:
  struct Core;
  explicit RedisHub(std::shared_ptr<Core> core);
  absl::StatusOr<std::vector<realtime::Position>> PublishBatchUnguarded(
      std::span<const realtime::OutgoingMessage> messages);
  std::shared_ptr<Core> core_;
};

}  // namespace daira::inline v0::backends::redis
