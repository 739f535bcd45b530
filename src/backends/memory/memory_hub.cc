#include "backends/memory/memory_hub.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daira/core/status.h"
#include "daira/realtime/channel.h"

namespace daira::inline v0::backends::memory {

using realtime::Message;
using realtime::Position;
using realtime::SubscriptionSink;

namespace {

struct Channel {
  uint64_t epoch = 0;
  uint64_t sequence = 0;
  std::deque<Message> history;                          // ascending sequences, at most options.history
  std::vector<std::shared_ptr<SubscriptionSink>> subs;  // live exact subscriptions
};

struct PatternSub {
  std::string pattern;
  std::shared_ptr<SubscriptionSink> sink;
};

}  // namespace

struct MemoryHub::State {
  realtime::HubOptions options;
  const Clock* clock = nullptr;
  std::mutex mu;
  bool closed = false;
  std::mt19937_64 random{std::random_device{}()};
  absl::flat_hash_map<std::string, Channel> channels;
  std::vector<PatternSub> patterns;

  uint64_t NewEpoch() {
    uint64_t e = 0;
    while (e == 0) e = random();
    return e;
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

  // Under mu.
  Position PublishLocked(std::string_view channel_name, std::string_view payload) {
    auto [it, inserted] = channels.try_emplace(std::string(channel_name));
    Channel& ch = it->second;
    if (ch.epoch == 0) ch.epoch = NewEpoch();
    Message m{.channel = it->first,
              .epoch = ch.epoch,
              .sequence = ++ch.sequence,
              .payload = std::string(payload),
              .time = clock->Now()};
    for (size_t i = 0; i < ch.subs.size();) {
      if (ch.subs[i]->Deliver(m)) {
        ++i;
      } else {
        ch.subs[i] = std::move(ch.subs.back());  // closed: forget it
        ch.subs.pop_back();
      }
    }
    for (size_t i = 0; i < patterns.size();) {
      if (!realtime::PatternMatches(patterns[i].pattern, m.channel) || patterns[i].sink->Deliver(m)) {
        ++i;
      } else {
        patterns.erase(patterns.begin() + static_cast<std::ptrdiff_t>(i));  // keeps order of the rest
      }
    }
    const Position pos = m.position();
    if (options.history > 0) {
      ch.history.push_back(std::move(m));
      while (ch.history.size() > options.history) ch.history.pop_front();
    }
    return pos;
  }

  void Remove(const std::string& target, bool pattern, const SubscriptionSink* sink) {
    std::lock_guard lock(mu);
    if (pattern) {
      std::erase_if(patterns, [&](const PatternSub& p) { return p.sink.get() == sink; });
      return;
    }
    auto it = channels.find(target);
    if (it == channels.end()) return;
    std::erase_if(it->second.subs, [&](const auto& s) { return s.get() == sink; });
  }
};

absl::StatusOr<std::unique_ptr<MemoryHub>> MemoryHub::Open(const realtime::HubOptions& options) {
  if (options.history > 10000000) {
    return absl::InvalidArgumentError("realtime: memory: history must be in [0, 10000000] (got " +
                                      std::to_string(options.history) + ")");
  }
  auto state = std::make_shared<State>();
  state->options = options;
  state->clock = options.clock != nullptr ? options.clock : Clock::System();
  return std::unique_ptr<MemoryHub>(new MemoryHub(std::move(state)));
}

MemoryHub::MemoryHub(std::shared_ptr<State> state) : state_(std::move(state)) {}

MemoryHub::~MemoryHub() { Close().IgnoreError(); }

absl::StatusOr<Position> MemoryHub::Publish(std::string_view channel, std::string_view payload) {
  DAIRA_RETURN_IF_ERROR(state_->CheckPayload("realtime: publish", channel, payload));
  std::lock_guard lock(state_->mu);
  if (state_->closed) return absl::FailedPreconditionError("realtime: publish: the hub is closed");
  return state_->PublishLocked(channel, payload);
}

absl::StatusOr<std::vector<Position>> MemoryHub::PublishBatch(
    std::span<const realtime::OutgoingMessage> messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    DAIRA_RETURN_IF_ERROR(state_->CheckPayload("realtime: publish batch: message " + std::to_string(i),
                                               messages[i].channel, messages[i].payload));
  }
  std::vector<Position> out;
  out.reserve(messages.size());
  std::lock_guard lock(state_->mu);
  if (state_->closed) return absl::FailedPreconditionError("realtime: publish batch: the hub is closed");
  for (const auto& m : messages) out.push_back(state_->PublishLocked(m.channel, m.payload));
  return out;
}

absl::StatusOr<std::vector<Message>> MemoryHub::Recover(std::string_view channel, Position since) {
  DAIRA_RETURN_IF_ERROR(Annotate(realtime::ValidateChannel(channel), "realtime: recover"));
  std::lock_guard lock(state_->mu);
  if (state_->closed) return absl::FailedPreconditionError("realtime: recover: the hub is closed");
  auto it = state_->channels.find(ToAbsl(channel));
  const std::string name(channel);
  if (it == state_->channels.end() || it->second.epoch == 0) {
    if (since == Position{}) return std::vector<Message>{};
    return absl::OutOfRangeError("realtime: recover: channel '" + name + "' epoch changed (asked for epoch " +
                                 std::to_string(since.epoch) + ", the channel has no history in this hub)");
  }
  const Channel& ch = it->second;
  if (since == Position{}) since.epoch = ch.epoch;
  if (since.epoch != ch.epoch) {
    return absl::OutOfRangeError("realtime: recover: channel '" + name + "' epoch changed (asked for epoch " +
                                 std::to_string(since.epoch) + ", current " + std::to_string(ch.epoch) + ")");
  }
  if (since.sequence > ch.sequence) {
    return absl::OutOfRangeError("realtime: recover: channel '" + name + "' position " +
                                 std::to_string(since.sequence) + " is ahead of its last sequence " +
                                 std::to_string(ch.sequence));
  }
  if (since.sequence == ch.sequence) return std::vector<Message>{};
  const uint64_t oldest = ch.history.empty() ? ch.sequence + 1 : ch.history.front().sequence;
  if (oldest > since.sequence + 1) {
    return absl::OutOfRangeError(
        "realtime: recover: channel '" + name + "' history trimmed (asked from sequence " +
        std::to_string(since.sequence + 1) + ", oldest kept " + std::to_string(oldest) + ")");
  }
  std::vector<Message> out;
  for (const Message& m : ch.history) {
    if (m.sequence > since.sequence) out.push_back(m);
  }
  return out;
}

absl::StatusOr<std::pair<std::unique_ptr<realtime::Subscription>, std::shared_ptr<SubscriptionSink>>>
MemoryHub::SubscribeLive(const std::string& target, bool pattern, const realtime::SubscribeOptions& options) {
  std::weak_ptr<State> weak = state_;
  auto holder = std::make_shared<const SubscriptionSink*>(nullptr);
  DAIRA_ASSIGN_OR_RETURN(auto created,
                         realtime::Subscription::Create(target, options, [weak, target, pattern, holder] {
                           if (auto s = weak.lock()) s->Remove(target, pattern, *holder);
                         }));
  *holder = created.second.get();
  std::lock_guard lock(state_->mu);
  if (state_->closed) return absl::FailedPreconditionError("realtime: subscribe: the hub is closed");
  if (pattern) {
    state_->patterns.push_back({target, created.second});
  } else {
    state_->channels[target].subs.push_back(created.second);
  }
  return created;
}

absl::Status MemoryHub::Close() {
  std::vector<std::shared_ptr<SubscriptionSink>> sinks;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) return absl::OkStatus();
    state_->closed = true;
    for (auto& [name, ch] : state_->channels) {
      for (auto& s : ch.subs) sinks.push_back(std::move(s));
      ch.subs.clear();
    }
    for (auto& p : state_->patterns) sinks.push_back(std::move(p.sink));
    state_->patterns.clear();
  }
  for (auto& s : sinks) s->Close(absl::FailedPreconditionError("realtime: the hub is closed"));
  return absl::OkStatus();
}

}  // namespace daira::inline v0::backends::memory
