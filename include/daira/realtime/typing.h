// realtime::Typing: typing indicators per conversation that expire by themselves and are throttled to
// at most one event per interval per typist.
//
//   DAIRA_ASSIGN_OR_RETURN(auto typing, realtime::Typing::Open("memory:", *hub, {.interval = 3s, .ttl =
//   6s})); typing->Start(conversation, alice);    // publishes
//   {"type":"typing","conversation":7,"user":42,"state":"start"} typing->Start(conversation, alice);    //
//   within the interval: refreshes the expiry, publishes nothing typing->Stop(conversation, alice);     //
//   publishes "stop" (if alice was typing) typing->Sweep();                       // periodically: "stop" for
//   typists whose ttl passed
//
// Events go to `conversation:{id}`. With `redis://` the typists live in Redis keys shared by every
// instance (throttle and expiry hold across instances); with `memory:` in this process.
//
// Thread-safety: every method is safe from any number of threads. The hub must outlive the Typing.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/model/ids.h"
#include "daira/realtime/hub.h"

namespace daira::inline v0::realtime {

struct TypingOptions {
  // typing_interval_ms=: at most one "start" event per typist per interval. Default 3 s. At least 1 ms.
  std::chrono::milliseconds interval{3000};
  // typing_ttl_ms=: a typist without a Start for this long stops by themselves. Default 6 s; at least
  // interval.
  std::chrono::milliseconds ttl{6000};
  // Time source (a ManualClock in tests). Null: Clock::System(). Not owned.
  const Clock* clock = nullptr;
};

class Typing {
 public:
  // `url`: the realtime URL (memory: or redis://…; its typing_* parameters override `options`).
  static absl::StatusOr<std::unique_ptr<Typing>> Open(std::string_view url, Hub& hub,
                                                      const TypingOptions& options = {});
  ~Typing();

  // `user` is typing in `conversation` until now + ttl. Returns true when a "start" event was published
  // (false: throttled). InvalidArgument for invalid ids.
  absl::StatusOr<bool> Start(ConversationId conversation, UserId user);
  // `user` stopped. Returns true when a "stop" event was published (they were typing).
  absl::StatusOr<bool> Stop(ConversationId conversation, UserId user);
  // Who is typing now, by ascending user id.
  absl::StatusOr<std::vector<UserId>> Typists(ConversationId conversation);
  // Publishes "stop" for every typist whose ttl passed; returns how many.
  absl::StatusOr<int> Sweep();

 private:
  struct Impl;
  explicit Typing(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace daira::inline v0::realtime
