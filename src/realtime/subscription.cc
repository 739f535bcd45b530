#include "daira/realtime/subscription.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace daira::inline v0::realtime {

namespace {
// How long Next looks for a message before it sleeps on the condition variable (see Next).
constexpr std::chrono::microseconds kSpinBeforeSleep{50};
}  // namespace

absl::StatusOr<std::pair<std::unique_ptr<Subscription>, std::shared_ptr<SubscriptionSink>>>
Subscription::Create(std::string target, const SubscribeOptions& options, std::function<void()> unsubscribe) {
  if (options.queue_size < 1 || options.queue_size > 1000000) {
    return absl::InvalidArgumentError("realtime: subscribe: queue_size must be in [1, 1000000] (got " +
                                      std::to_string(options.queue_size) + ")");
  }
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return absl::ResourceExhaustedError(std::string("realtime: subscribe: eventfd: ") + std::strerror(errno));
  }
  auto sink = std::make_shared<SubscriptionSink>(options.queue_size, options.slow_consumer, fd);
  std::unique_ptr<Subscription> sub(new Subscription(std::move(target), sink, std::move(unsubscribe)));
  return std::make_pair(std::move(sub), std::move(sink));
}

Subscription::Subscription(std::string target, std::shared_ptr<SubscriptionSink> sink,
                           std::function<void()> unsubscribe)
    : target_(std::move(target)), sink_(std::move(sink)), unsubscribe_(std::move(unsubscribe)) {}

Subscription::~Subscription() {
  sink_->Close(absl::CancelledError("realtime: subscription to '" + target_ + "' was dropped"));
  if (unsubscribe_) unsubscribe_();
}

const std::string& Subscription::target() const { return target_; }

absl::StatusOr<Message> Subscription::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!sink_->signaled() && timeout.count() > 0) {
    if (std::shared_ptr<DeliveryPump> pump = sink_->pump_.lock()) {
      // redis://: read the connection on this thread (or wait while another thread does).
      pump->Pump(*sink_, deadline);
    } else {
      // A message is usually a few microseconds away when Next is called (the publish that caused it
      // has just returned, the hub's thread is queueing it): look for it briefly, yielding the core,
      // before paying for a sleep and a second thread wakeup. Bounded by kSpinBeforeSleep and the timeout.
      const auto until = std::min(deadline, std::chrono::steady_clock::now() + kSpinBeforeSleep);
      while (!sink_->signaled() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    }
  }
  std::unique_lock lock(sink_->mu_);
  sink_->cv_.wait_until(lock, deadline, [&] { return !sink_->queue_.empty() || !sink_->status_.ok(); });
  if (sink_->queue_.empty()) {
    if (!sink_->status_.ok()) return sink_->status_;
    return absl::DeadlineExceededError("realtime: no message on '" + target_ + "' within " +
                                       std::to_string(timeout.count()) + " ms");
  }
  return sink_->PopLocked();
}

std::optional<Message> Subscription::TryNext() {
  std::lock_guard lock(sink_->mu_);
  if (sink_->queue_.empty()) return std::nullopt;
  return *sink_->PopLocked();
}

int Subscription::fd() const {
  sink_->ArmFd();
  return sink_->event_fd_;
}

uint64_t Subscription::dropped() const {
  std::lock_guard lock(sink_->mu_);
  return sink_->dropped_;
}

uint64_t Subscription::interruptions() const {
  std::lock_guard lock(sink_->mu_);
  return sink_->interruptions_;
}

absl::Status Subscription::status() const {
  std::lock_guard lock(sink_->mu_);
  return sink_->status_;
}

size_t Subscription::queued() const {
  std::lock_guard lock(sink_->mu_);
  return sink_->queue_.size();
}

std::optional<Position> Subscription::last_position() const {
  std::lock_guard lock(sink_->mu_);
  return sink_->last_;
}

SubscriptionSink::SubscriptionSink(size_t capacity, SlowConsumer policy, int event_fd)
    : capacity_(capacity), policy_(policy), event_fd_(event_fd) {}

SubscriptionSink::~SubscriptionSink() { ::close(event_fd_); }

// The eventfd costs a write and a read (two system calls) per message that finds the queue empty; it
// is kept in step only once someone polls it (ArmFd), so Next/TryNext consumers never pay for it.
void SubscriptionSink::SignalLocked() {
  signaled_.store(true, std::memory_order_release);
  if (!fd_armed_ || fd_readable_) return;
  uint64_t one = 1;
  // The counter cannot overflow (at most one unread increment), so the write never fails but EINTR.
  while (::write(event_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
  fd_readable_ = true;
}

void SubscriptionSink::UnsignalLocked() {
  if (!queue_.empty() || !status_.ok()) return;
  signaled_.store(false, std::memory_order_release);
  if (!fd_readable_) return;
  uint64_t value;
  while (::read(event_fd_, &value, sizeof(value)) < 0 && errno == EINTR) {
  }
  fd_readable_ = false;
}

void SubscriptionSink::ArmFd() {
  std::lock_guard lock(mu_);
  if (fd_armed_) return;
  fd_armed_ = true;
  if (signaled_.load(std::memory_order_relaxed)) SignalLocked();
}

absl::StatusOr<Message> SubscriptionSink::PopLocked() {
  Message m = std::move(queue_.front());
  queue_.pop_front();
  last_ = m.position();
  UnsignalLocked();
  return m;
}

bool SubscriptionSink::Deliver(Message message) {
  {
    std::lock_guard lock(mu_);
    if (!status_.ok()) return false;
    // A live message still in flight when the recovery was merged: the recovery already holds it.
    if (floor_.has_value() && message.epoch == floor_->epoch && message.sequence <= floor_->sequence)
      return true;
    if (queue_.size() >= capacity_) {
      if (policy_ == SlowConsumer::kDisconnect) {
        status_ = absl::ResourceExhaustedError(
            "realtime: subscription disconnected as a slow consumer: its queue of " +
            std::to_string(capacity_) + " messages was full");
        SignalLocked();
        cv_.notify_all();
        return false;
      }
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(message));
    SignalLocked();
  }
  cv_.notify_one();
  return true;
}

void SubscriptionSink::PrependRecovered(std::vector<Message> recovered) {
  if (recovered.empty()) return;
  {
    std::lock_guard lock(mu_);
    const Position last = recovered.back().position();
    floor_ = last;
    std::deque<Message> merged(std::make_move_iterator(recovered.begin()),
                               std::make_move_iterator(recovered.end()));
    for (Message& m : queue_) {
      if (m.epoch == last.epoch && m.sequence <= last.sequence) continue;  // the recovery already holds it
      merged.push_back(std::move(m));
    }
    queue_ = std::move(merged);
    // Recovery is not subject to the live queue bound: the caller asked for exactly these.
    SignalLocked();
  }
  cv_.notify_all();
}

void SubscriptionSink::Close(absl::Status why) {
  {
    std::lock_guard lock(mu_);
    if (!status_.ok()) return;
    status_ = std::move(why);
    SignalLocked();
  }
  cv_.notify_all();
}

void SubscriptionSink::Interrupted() {
  std::lock_guard lock(mu_);
  ++interruptions_;
}

bool SubscriptionSink::closed() const {
  std::lock_guard lock(mu_);
  return !status_.ok();
}

}  // namespace daira::inline v0::realtime
