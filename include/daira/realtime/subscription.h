// Subscriptions: a bounded, pull-first queue of the messages of one channel or pattern.
//
//   realtime::SubscribeOptions opts{.queue_size = 256, .slow_consumer = realtime::SlowConsumer::kDropOldest};
//   DAIRA_ASSIGN_OR_RETURN(auto sub, hub.Subscribe("user:42", opts));
//   while (true) {
//     auto m = sub->Next(std::chrono::milliseconds(500));      // DeadlineExceeded: nothing yet
//     if (absl::IsDeadlineExceeded(m.status())) continue;
//     if (!m.ok()) break;                                       // disconnected (see status())
//     Handle(*m);
//   }
//   // Event loops: poll(sub->fd()) for POLLIN, then drain with TryNext().
//   // Dropping `sub` unsubscribes.
//
// Pull-first on purpose: no host code (Python, Go, Node) ever runs on daira's threads. Callbacks are
// an adapter on top (daira/realtime/dispatcher.h). Each subscription has its own bounded queue: the hub
// appends without ever waiting for the consumer, so one slow consumer never delays another; when the
// queue is full the subscription's SlowConsumer policy decides (drop the oldest and count it, or
// disconnect this subscription).
//
// Delivery is at-most-once live: a message published while a subscription is not live (before
// Subscribe returned, while redis:// reconnects, dropped as the oldest) is not delivered. Recovery from
// a remembered Position (SubscribeOptions::resume_from, Hub::Recover) fills such gaps exactly or says
// it cannot (docs/realtime.md).
//
// Thread-safety: a Subscription may be used from several threads (Next/TryNext hand each message to
// exactly one caller). SubscriptionSink is the hub-side end, safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/realtime/message.h"

namespace daira::inline v0::realtime {

// What happens when a subscription's queue is full and another message arrives.
enum class SlowConsumer {
  kDropOldest,  // discard the oldest queued message, count it in dropped(); the new one is queued
  kDisconnect,  // close the subscription: status() becomes ResourceExhausted; queued messages remain readable
};

struct SubscribeOptions {
  // Most messages queued for this subscription, in [1, 1000000]. Default 1024.
  size_t queue_size = 1024;
  // Policy when the queue is full. Default kDropOldest.
  SlowConsumer slow_consumer = SlowConsumer::kDropOldest;
  // Exact channels only: the last message the client saw. Subscribe then first queues every message
  // after it (from the hub's history), followed by the live ones, with no duplicate and no gap, or
  // fails with OutOfRange when that is impossible (history trimmed or expired, epoch changed).
  std::optional<Position> resume_from{};
};

class SubscriptionSink;

// Backend side: a hub whose network connection a consumer waiting in Subscription::Next may read on its
// own thread (redis://, leader/follower): the message then reaches the consumer without a second thread
// being woken to hand it over. Only daira's code runs there (reading, decoding, queueing); never host code.
class DeliveryPump {
 public:
  virtual ~DeliveryPump() = default;
  // Called by Next while `waiting` has nothing queued: reads the connection on the calling thread,
  // queueing what arrives for every subscription, until `waiting` is signaled or `deadline` passes —
  // or waits while another thread reads. May return earlier (no connection, hub closing); Next then
  // waits for its queue as usual.
  virtual void Pump(const SubscriptionSink& waiting, std::chrono::steady_clock::time_point deadline) = 0;
};

class Subscription {
 public:
  // Backend side: a new subscription to `target` (a channel or pattern) and the sink the hub delivers
  // into. `unsubscribe` runs once, when the Subscription is destroyed (it must not block on the hub's
  // delivery). InvalidArgument when options.queue_size is out of range.
  static absl::StatusOr<std::pair<std::unique_ptr<Subscription>, std::shared_ptr<SubscriptionSink>>> Create(
      std::string target, const SubscribeOptions& options, std::function<void()> unsubscribe);

  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Unsubscribes: the hub stops delivering; queued messages are discarded.
  ~Subscription();

  // The channel or pattern subscribed to.
  const std::string& target() const;

  // The next message, waiting at most `timeout`. DeadlineExceeded when none arrived in time; once the
  // subscription is closed and its queue drained, status() (ResourceExhausted for a disconnected slow
  // consumer, FailedPrecondition when the hub closed).
  absl::StatusOr<Message> Next(std::chrono::milliseconds timeout);
  // The next message if one is queued, without waiting.
  std::optional<Message> TryNext();

  // A file descriptor (eventfd) that polls readable (POLLIN) while a message is queued or the
  // subscription is closed. Owned by the subscription; do not read or close it. The eventfd is kept
  // in step only from the first call of fd() on: a subscription consumed with Next/TryNext alone pays
  // no system call per message.
  int fd() const;

  // Messages discarded by the kDropOldest policy so far.
  uint64_t dropped() const;
  // How many times live delivery was interrupted (redis://: the subscriber connection was lost and
  // re-established; messages published meanwhile were not delivered). When it grows, Hub::Recover from
  // last_position() (per channel) gets what was missed, or says it cannot. A jump in a channel's
  // sequence, or a new epoch, tells the same per message. Always 0 for memory:.
  uint64_t interruptions() const;
  // OK while live; why it was closed otherwise.
  absl::Status status() const;
  // Messages queued now.
  size_t queued() const;
  // The position of the last message Next/TryNext returned, to resume from later. For a pattern
  // subscription it is that message's channel's position (see Message::channel).
  std::optional<Position> last_position() const;

 private:
  Subscription(std::string target, std::shared_ptr<SubscriptionSink> sink, std::function<void()> unsubscribe);
  std::string target_;
  std::shared_ptr<SubscriptionSink> sink_;
  std::function<void()> unsubscribe_;
};

// The hub-side end of a subscription's queue.
class SubscriptionSink {
 public:
  SubscriptionSink(size_t capacity, SlowConsumer policy, int event_fd);
  ~SubscriptionSink();
  SubscriptionSink(const SubscriptionSink&) = delete;
  SubscriptionSink& operator=(const SubscriptionSink&) = delete;

  // Queues `message` (applying the slow-consumer policy); never waits for the consumer. Returns false
  // when the subscription is closed (the hub may forget this sink).
  bool Deliver(Message message);
  // Recovery merge (SubscribeOptions::resume_from): puts `recovered` (ascending sequences of one channel)
  // before the queued live messages, dropping the live ones the recovery already holds (also those
  // delivered later: a live copy can still be in flight from the network when the merge happens).
  void PrependRecovered(std::vector<Message> recovered);
  // Closes the subscription with `why` (not OK); Next returns it once the queue is drained.
  void Close(absl::Status why);
  // Counts an interruption of live delivery (Subscription::interruptions()).
  void Interrupted();
  bool closed() const;
  // A message is queued or the subscription is closed (lock-free).
  bool signaled() const { return signaled_.load(std::memory_order_acquire); }
  // The hub whose connection Next may read itself (set before the subscription is handed out).
  void SetPump(std::weak_ptr<DeliveryPump> pump) { pump_ = std::move(pump); }

 private:
  friend class Subscription;
  void SignalLocked();
  void UnsignalLocked();
  absl::StatusOr<Message> PopLocked();
  void ArmFd();  // Subscription::fd(): from now on the eventfd follows signaled_

  const size_t capacity_;
  const SlowConsumer policy_;
  const int event_fd_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;
  absl::Status status_;
  uint64_t dropped_ = 0;
  uint64_t interruptions_ = 0;
  // Queue non-empty or subscription closed. Written under mu_; read without it by Next's short spin
  // before it sleeps.
  std::atomic<bool> signaled_{false};
  bool fd_armed_ = false;     // fd() was called: keep the eventfd readable exactly while signaled_
  bool fd_readable_ = false;  // the eventfd's counter is non-zero
  std::optional<Position> last_;
  std::optional<Position> floor_;  // set by PrependRecovered: live copies at or below it are dropped
  std::weak_ptr<DeliveryPump> pump_;
};

}  // namespace daira::inline v0::realtime
