// p.realtime, p.presence, p.typing: the real-time layer (docs/realtime.md) from Python. Pull-first:
// a Subscription is a queue Python reads (next / try_next / iteration) or waits on through fileno()
// with select/selectors/asyncio; daira's threads never call into Python.
//
//   with p.realtime.subscribe("conversation:*") as sub:      # a channel, or a pattern with '*'
//       p.realtime.publish("conversation:7", {"text": "hi"})  # bytes/str as is, anything else as JSON
//       m = sub.next(timeout=1.0)                            # Message or None on timeout
//       m.channel, m.payload, m.json(), m.position           # position: (epoch, sequence)
//   missed = p.realtime.recover("conversation:7", since=m.position)   # OutOfRange: reload instead
//
// Thin: each call is one daira call with the GIL released. A blocking next() waits in short slices so
// Ctrl-C is seen and close() from another thread takes effect within one slice.
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "daira/core/status.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/subscription.h"
#include "daira/realtime/typing.h"
#include "module.h"
#include "service_call.h"
#include "sliced_wait.h"

namespace daira::python {

namespace {


std::string Payload(const py::handle& v) {
  if (py::isinstance<py::bytes>(v) || py::isinstance<py::str>(v)) return py::cast<std::string>(v);
  return py::cast<std::string>(py::module_::import("json").attr("dumps")(v));
}

realtime::Position ToPosition(const std::pair<uint64_t, uint64_t>& p) { return {p.first, p.second}; }

// A subscription: shared so a close() racing with a next() in another thread never frees it under it.
class PySubscription {
 public:
  explicit PySubscription(std::unique_ptr<realtime::Subscription> sub) : sub_(std::move(sub)) {}

  std::shared_ptr<realtime::Subscription> get() {
    std::lock_guard lock(mu_);
    if (sub_ == nullptr) Throw(absl::FailedPreconditionError("subscription is closed"));
    return sub_;
  }
  void close() {
    std::shared_ptr<realtime::Subscription> old;
    {
      std::lock_guard lock(mu_);
      old.swap(sub_);
    }
    py::gil_scoped_release release;
    old.reset();  // unsubscribes (once no next() is inside it)
  }
  bool closed() {
    std::lock_guard lock(mu_);
    return sub_ == nullptr;
  }

  // The next message, waiting up to `timeout` seconds (nullopt: forever); nullopt on timeout. Raises
  // the subscription's status once it is closed and drained.
  std::optional<realtime::Message> next(std::optional<double> timeout) {
    std::shared_ptr<realtime::Subscription> sub = get();
    SlicedWait wait("subscription.next", timeout);
    for (;;) {
      const std::chrono::milliseconds slice = wait.Slice();
      absl::StatusOr<realtime::Message> m;
      {
        py::gil_scoped_release release;
        m = sub->Next(slice);
      }
      if (m.ok()) return *std::move(m);
      if (!absl::IsDeadlineExceeded(m.status())) Throw(m.status());
      if (wait.Expired()) return std::nullopt;
      if (closed()) Throw(absl::FailedPreconditionError("subscription is closed"));
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }

 private:
  std::mutex mu_;
  std::shared_ptr<realtime::Subscription> sub_;
};

py::object PresenceDict(const realtime::UserPresence& p) {
  py::dict d;
  d["user_id"] = p.user.value;
  d["status"] = std::string(realtime::PresenceStatusName(p.status));
  d["devices"] = p.devices;
  d["last_seen"] = ToDatetime(p.last_seen);
  return d;
}

py::list PresenceList(const std::vector<realtime::UserPresence>& ps) {
  py::list out;
  for (const auto& p : ps) out.append(PresenceDict(p));
  return out;
}

// The argument conversions of the real-time calls beyond ArgOf's: a presence status, a position.
struct RealtimeArgs {};

}  // namespace

template <>
struct ArgOf<RealtimeArgs, realtime::PresenceStatus> {
  using Py = std::string;
  static realtime::PresenceStatus From(const std::string& s, const Where&) {
    if (s == "online") return realtime::PresenceStatus::kOnline;
    if (s == "away") return realtime::PresenceStatus::kAway;
    Throw(InvalidField("presence.heartbeat", "status", "must be \"online\" or \"away\" (got \"" + s + "\")"));
  }
};
template <>
struct ArgOf<RealtimeArgs, realtime::Position> {
  using Py = std::pair<uint64_t, uint64_t>;
  static realtime::Position From(const Py& p, const Where&) { return ToPosition(p); }
};

void RegisterRealtime(py::module_& m) {
  py::class_<realtime::Message>(m, "Message", "One real-time message (payload as bytes).")
      .def_readonly("channel", &realtime::Message::channel, "The exact channel it was published on.")
      .def_property_readonly("payload", [](const realtime::Message& msg) { return py::bytes(msg.payload); })
      .def_readonly("epoch", &realtime::Message::epoch)
      .def_readonly("sequence", &realtime::Message::sequence)
      .def_property_readonly("time", [](const realtime::Message& msg) { return ToDatetime(msg.time); })
      .def_property_readonly(
          "position", [](const realtime::Message& msg) { return std::make_pair(msg.epoch, msg.sequence); },
          "(epoch, sequence): pass it to recover(since=) or subscribe(resume_from=).")
      .def(
          "json",
          [](const realtime::Message& msg) { return py::module_::import("json").attr("loads")(msg.payload); },
          "The payload decoded as JSON.")
      .def("__repr__", [](const realtime::Message& msg) {
        return "Message(channel=" + Repr(py::str(msg.channel)) +
               ", sequence=" + std::to_string(msg.sequence) + ", payload=" + Repr(py::bytes(msg.payload)) +
               ")";
      });

  py::class_<PySubscription, std::shared_ptr<PySubscription>>(
      m, "Subscription",
      "A live subscription: a bounded queue read with next()/try_next() or by iteration; fileno() polls\n"
      "readable while a message is queued (select/selectors/asyncio). close() (or `with`) unsubscribes.")
      .def("next", &PySubscription::next, py::arg("timeout") = py::none(),
           "The next message, waiting up to `timeout` seconds (None: forever) → Message, or None on timeout.")
      .def(
          "try_next",
          [](PySubscription& s) -> std::optional<realtime::Message> {
            std::shared_ptr<realtime::Subscription> sub = s.get();
            py::gil_scoped_release release;
            return sub->TryNext();
          },
          "The next queued message without waiting, or None.")
      .def(
          "fileno", [](PySubscription& s) { return s.get()->fd(); },
          "An fd that polls readable while a message is queued or the subscription closed (do not read it).")
      .def_property_readonly("target", [](PySubscription& s) { return s.get()->target(); })
      .def_property_readonly("dropped", [](PySubscription& s) { return s.get()->dropped(); })
      .def_property_readonly("interruptions", [](PySubscription& s) { return s.get()->interruptions(); })
      .def_property_readonly("queued", [](PySubscription& s) { return s.get()->queued(); })
      .def_property_readonly("closed", &PySubscription::closed)
      .def_property_readonly("last_position",
                             [](PySubscription& s) -> std::optional<std::pair<uint64_t, uint64_t>> {
                               std::optional<realtime::Position> p = s.get()->last_position();
                               if (!p.has_value()) return std::nullopt;
                               return std::make_pair(p->epoch, p->sequence);
                             })
      .def("close", &PySubscription::close, "Unsubscribes. Idempotent.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](PySubscription& s) {
             std::optional<realtime::Message> msg = s.next(std::nullopt);
             if (!msg.has_value()) throw py::stop_iteration();
             return *std::move(msg);
           })
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__",
          [](PySubscription& s, py::object, py::object, py::object) {
            s.close();
            return false;
          },
          py::arg("exc_type"), py::arg("exc"), py::arg("tb"));

  py::class_<RealtimeApi> rt(m, "Realtime", "Pub/sub with recovery (realtime= URL: memory: or redis://).");
  rt
      .def_property_readonly("backend",
                             [](RealtimeApi& a) {
                               return a.core->Call([](Platform& p) {
                                 return absl::StatusOr<std::string>(std::string(p.realtime().Name()));
                               });
                             })
      .def(
          "publish",
          [](RealtimeApi& a, const std::string& channel, py::object payload) {
            std::string body = Payload(payload);
            realtime::Position pos =
                a.core->Call([&](Platform& p) { return p.realtime().Publish(channel, body); });
            return std::make_pair(pos.epoch, pos.sequence);
          },
          py::arg("channel"), py::arg("payload"),
          "Publishes (bytes/str as is, anything else as JSON) → its position (epoch, sequence).")
      .def(
          "subscribe",
          [](RealtimeApi& a, const std::string& target, size_t queue_size, bool drop_oldest,
             std::optional<std::pair<uint64_t, uint64_t>> resume_from) {
            realtime::SubscribeOptions o;
            o.queue_size = queue_size;
            o.slow_consumer =
                drop_oldest ? realtime::SlowConsumer::kDropOldest : realtime::SlowConsumer::kDisconnect;
            if (resume_from.has_value()) o.resume_from = ToPosition(*resume_from);
            std::unique_ptr<realtime::Subscription> sub =
                a.core->Call([&](Platform& p) { return p.realtime().Subscribe(target, o); });
            return std::make_shared<PySubscription>(std::move(sub));
          },
          py::arg("target"), py::kw_only(), py::arg("queue_size") = 1024, py::arg("drop_oldest") = true,
          py::arg("resume_from") = py::none(),
          "Subscribes to a channel, or a pattern when `target` contains '*'; live once it returns.\n"
          "drop_oldest=False disconnects a slow consumer (ResourceExhausted) instead of dropping.\n"
          "resume_from=(epoch, sequence): first every message after it (OutOfRange when impossible).");
  DefCall<&Platform::realtime, &realtime::Hub::Recover, nullptr, RealtimeArgs>(
      rt, NoTx{"recover"}, py::arg("channel"), py::arg("since") = std::make_pair(uint64_t{0}, uint64_t{0}),
      "The messages on `channel` after `since` (oldest first); OutOfRange when the history no longer\n"
      "holds them (reload from the database instead).");

  py::class_<PresenceApi> presence(m, "Presence", "Who is online (per device heartbeats with a TTL).");
  using realtime::Presence;
  constexpr auto kPresence = &Platform::presence;
  DefCall<kPresence, &Presence::Heartbeat, nullptr, RealtimeArgs>(
      presence, NoTx{"heartbeat"}, py::arg("user_id"), py::arg("device"), py::kw_only(),
      py::arg("status") = "online");
  DefCall<kPresence, &Presence::Disconnect>(presence, NoTx{"disconnect"}, py::arg("user_id"),
                                            py::arg("device"));
  DefCall<kPresence, &Presence::Get, &PresenceDict>(
      presence, NoTx{"get"}, py::arg("user_id"),
      "{'user_id', 'status' (offline|away|online), 'devices', 'last_seen'}.");
  DefCall<kPresence, &Presence::GetMany, &PresenceList>(presence, NoTx{"get_many"}, py::arg("user_ids"));

  py::class_<TypingApi> typing(m, "Typing", "Typing indicators per conversation.");
  using realtime::Typing;
  constexpr auto kTyping = &Platform::typing;
  DefCall<kTyping, &Typing::Start>(typing, NoTx{"start"}, py::arg("conversation_id"), py::arg("user_id"),
                                   "→ True when an event was published.");
  DefCall<kTyping, &Typing::Stop>(typing, NoTx{"stop"}, py::arg("conversation_id"), py::arg("user_id"));
  DefCall<kTyping, &Typing::Typists, &IdValues<UserId>>(typing, NoTx{"typists"}, py::arg("conversation_id"),
                                                        "The users typing in the conversation now.");
}

}  // namespace daira::python
