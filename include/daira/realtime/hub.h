// realtime::Hub: channels, pattern subscriptions and missed-message recovery, in-process (`memory:`) or
// across app instances through Redis (`redis://…`).
//
//   DAIRA_ASSIGN_OR_RETURN(auto hub, realtime::OpenHub("memory:"));       // or "redis://127.0.0.1:6379/0"
//   DAIRA_ASSIGN_OR_RETURN(auto sub, hub->Subscribe("conversation:*"));
//   DAIRA_ASSIGN_OR_RETURN(realtime::Position p, hub->Publish("conversation:7", R"({"text":"hi"})"));
//   auto m = sub->Next(std::chrono::seconds(1));                          // m->sequence == p.sequence
//   // After a disconnect: everything after the last message seen, or OutOfRange ("reload").
//   auto missed = hub->Recover("conversation:7", last_seen);
//
// Guarantees (docs/realtime.md): per channel, messages are delivered to each subscription in sequence
// order; live delivery is at-most-once; recovery returns exactly the messages after a position (no
// duplicate, no gap) or fails with OutOfRange when the history no longer holds them.
//
// Thread-safety: every method is safe from any number of threads. Subscriptions may outlive the hub
// (they are closed with FailedPrecondition when it closes).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/realtime/message.h"
#include "daira/realtime/subscription.h"
#include "daira/resilience/circuit_breaker.h"

namespace daira::inline v0::realtime {

// Every field is also a URL parameter (docs/configuration.md, "Real-time").
struct HubOptions {
  // history=: messages kept per channel for recovery, in [0, 10000000]. Default 1000. 0: no recovery.
  size_t history = 1000;
  // history_ttl_ms= (redis:// only): a channel's history and sequence expire after this long without a
  // publish (a later publish starts a new epoch). Default 24 h.
  std::chrono::milliseconds history_ttl{std::chrono::hours(24)};
  // max_payload=: largest payload accepted, in bytes. Default 1 MiB.
  size_t max_payload = 1 << 20;
  // Time source for message times (the publishing instance's clock, also for redis://) and for the
  // redis:// circuit breaker's cool-down. Null: Clock::System(). Not owned.
  const Clock* clock = nullptr;
};

class Hub {
 public:
  virtual ~Hub() = default;

  // "memory" or "redis".
  virtual std::string_view Name() const = 0;

  // Publishes `payload` on `channel` and returns its position (epoch, sequence). InvalidArgument for a
  // bad channel name or an oversized payload; Unavailable when the backend cannot be reached (nothing
  // was published); FailedPrecondition after Close().
  virtual absl::StatusOr<Position> Publish(std::string_view channel, std::string_view payload) = 0;
  // Publishes several messages in one round trip (redis://: one pipeline), in order. All are
  // validated first (InvalidArgument naming the index: nothing published). On Unavailable some may
  // have been published.
  virtual absl::StatusOr<std::vector<Position>> PublishBatch(std::span<const OutgoingMessage> messages) = 0;

  // Subscribes to a channel, or to a pattern when `target` contains '*' (daira/realtime/channel.h).
  // Returns once the subscription is live: every message published after that is delivered (at most
  // once). InvalidArgument for a bad target or options (resume_from with a pattern); OutOfRange when
  // resume_from cannot be honoured; Unavailable when the backend cannot be reached.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(std::string_view target,
                                                          const SubscribeOptions& options = {});

  // The messages published on `channel` after `since`, oldest first, up to the newest. `since` =
  // Position{} asks for the whole current epoch. OutOfRange when that is impossible: the channel's
  // epoch is not since.epoch (restarted, expired), or its history no longer holds since.sequence + 1
  // (trimmed); the message says which, so the caller reloads from the database instead.
  virtual absl::StatusOr<std::vector<Message>> Recover(std::string_view channel, Position since) = 0;

  // Closes every subscription (FailedPrecondition) and releases connections; later calls fail with
  // FailedPrecondition. Idempotent.
  virtual absl::Status Close() = 0;

  // The circuit breaker around the backend's calls (redis://: publish, history reads, presence and
  // typing; the breaker_* URL parameters), for stats; null when the backend has none (memory:). Owned
  // by the hub.
  virtual const resilience::CircuitBreaker* breaker() const { return nullptr; }

 protected:
  // A live subscription to a validated target (pattern when `pattern`).
  virtual absl::StatusOr<std::pair<std::unique_ptr<Subscription>, std::shared_ptr<SubscriptionSink>>>
  SubscribeLive(const std::string& target, bool pattern, const SubscribeOptions& options) = 0;
};

// True for the OutOfRange status Recover / resume_from return when recovery is impossible.
bool IsRecoveryImpossible(const absl::Status& status);

// Opens the hub a URL names: `memory:` or `redis://…` (docs/realtime.md), with options from the URL's
// parameters overriding `options`. InvalidArgument for an unknown scheme or parameter; Unavailable /
// Unauthenticated when Redis cannot be reached.
absl::StatusOr<std::unique_ptr<Hub>> OpenHub(std::string_view url, const HubOptions& options = {});

}  // namespace daira::inline v0::realtime
