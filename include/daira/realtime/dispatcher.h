// realtime::Dispatcher: C++ callbacks on top of pull subscriptions, run on a small pool of dispatcher
// threads (never on a hub's network thread, never on the publisher's thread).
//
//   DAIRA_ASSIGN_OR_RETURN(auto dispatcher, realtime::Dispatcher::Create({.threads = 2}));
//   DAIRA_ASSIGN_OR_RETURN(auto sub, hub->Subscribe("user:42"));
//   DAIRA_ASSIGN_OR_RETURN(auto listener, dispatcher->Listen(std::move(sub),
//       [](const realtime::Message& m) { Push(m.payload); },
//       [](const absl::Status& why) { Log(why); }));          // optional: the subscription closed
//   ...
//   listener.reset();   // detaches (waits for a running callback unless called from inside it)
//
// Each listener is served by one dispatcher thread, so its callbacks run one at a time and in the
// subscription's order. A slow callback delays the other listeners on the same thread only; its own
// subscription's queue bound and SlowConsumer policy still apply. Host languages (Python, Go, Node)
// should use the pull API instead (daira/realtime/subscription.h).
//
// Thread-safety: Listen and listener destruction are safe from any thread, including from inside a
// callback. Destroy every Listener before its Dispatcher.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/realtime/message.h"
#include "daira/realtime/subscription.h"

namespace daira::inline v0::realtime {

struct DispatcherOptions {
  // Dispatcher threads, in [1, 64]. Default 2.
  int threads = 2;
  // Most messages one listener handles before the thread turns to the next ready listener, in
  // [1, 1000000]. Default 64.
  int batch = 64;
};

class Dispatcher {
 public:
  using OnMessage = std::function<void(const Message&)>;
  using OnClosed = std::function<void(const absl::Status&)>;

  class Listener {
   public:
    virtual ~Listener() = default;
    // The subscription being served (dropped() / status() / last_position() stay readable).
    virtual const Subscription& subscription() const = 0;
  };

  // InvalidArgument for out-of-range options; ResourceExhausted when a thread cannot be started.
  static absl::StatusOr<std::unique_ptr<Dispatcher>> Create(const DispatcherOptions& options = {});
  virtual ~Dispatcher() = default;

  // Serves `subscription`: `on_message` for each message, then `on_closed` (if given) once when the
  // subscription closes. InvalidArgument for a null subscription or callback.
  virtual absl::StatusOr<std::unique_ptr<Listener>> Listen(std::unique_ptr<Subscription> subscription,
                                                           OnMessage on_message,
                                                           OnClosed on_closed = nullptr) = 0;
};

}  // namespace daira::inline v0::realtime
