// Real-time messages: what a Hub delivers, and the position (epoch, sequence) a client keeps to
// recover what it missed.
//
//   auto sub = hub->Subscribe("conversation:42");
//   auto m = (*sub)->Next(std::chrono::seconds(1));
//   if (m.ok()) Render(m->channel, m->payload);       // m->epoch, m->sequence: remember them
//   ...reconnect later...
//   auto missed = hub->Recover("conversation:42", last.position());   // or OutOfRange: reload
//
// Every message on a channel carries that channel's sequence number (1, 2, 3, … with no gaps) and the
// channel's epoch: a number that changes whenever the channel's sequence restarts (a new process for
// memory:, a Redis that lost the channel's keys for redis://). (epoch, sequence) identifies a message.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

#include "daira/core/clock.h"

namespace daira::inline v0::realtime {

// Where a client stands on one channel: the last message it has seen.
struct Position {
  uint64_t epoch = 0;     // 0: no message seen yet
  uint64_t sequence = 0;  // 0: no message seen yet
  friend bool operator==(const Position&, const Position&) = default;
};

struct Message {
  std::string channel{};    // the exact channel it was published on (also for pattern subscriptions)
  uint64_t epoch = 0;       // the channel's epoch when it was published
  uint64_t sequence = 0;    // 1-based, per channel and epoch, gapless
  std::string payload{};    // opaque bytes, as published
  Clock::TimePoint time{};  // when the hub accepted it (the publishing hub's clock, HubOptions::clock)

  Position position() const { return Position{epoch, sequence}; }
};

// One message to publish (Hub::PublishBatch).
struct OutgoingMessage {
  std::string channel;
  std::string payload;
};

}  // namespace daira::inline v0::realtime
