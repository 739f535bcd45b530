// Real-time (docs/realtime.md) behind JSON calls and one more opaque handle: publish and recover on the
// hub, subscriptions pulled by the host (daira_subscription_next, or poll daira_subscription_fd), presence
// heartbeats and lookups, typing start/stop. No callbacks: no library thread calls into the host.
#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"
#include "internal.h"
#include "service_call.h"

// The subscription handle: the live subscription; destroying it unsubscribes.
struct daira_subscription {
  std::unique_ptr<daira::realtime::Subscription> sub;
};

using daira::JsonWriter;

namespace {
namespace realtime = daira::realtime;
using daira::cabi::Request;

constexpr int64_t kMaxTimeoutMs = 60'000;

// A 64-bit unsigned number out (epoch, sequence) as a string of digits, like ids.
void WriteU64(JsonWriter& w, uint64_t v) { w.String(absl::StrCat(v)); }

void WriteMessage(JsonWriter& w, const realtime::Message& m) {
  w.BeginObject().Key("channel").String(m.channel).Key("epoch");
  WriteU64(w, m.epoch);
  w.Key("sequence");
  WriteU64(w, m.sequence);
  w.Key("payload").String(m.payload).Key("time");
  daira::cabi::WriteTime(w, m.time);
  w.EndObject();
}

// {epoch, sequence} (each a JSON integer >= 0 or a string of digits) as a Position.
std::optional<realtime::Position> PositionOf(Request& r, std::string_view field) {
  std::optional<std::string> text = r.OptObjectText(field);
  if (!text) return std::nullopt;
  absl::StatusOr<daira::JsonValue> v = daira::ParseJson(*text);
  realtime::Position pos;
  for (const char* part : {"epoch", "sequence"}) {
    const daira::JsonValue* x = v.ok() ? v->Get(part) : nullptr;
    uint64_t n = 0;
    bool ok = false;
    if (x != nullptr && x->type() == daira::JsonValue::Type::kInt && x->AsInt() >= 0) {
      n = static_cast<uint64_t>(x->AsInt());
      ok = true;
    } else if (x != nullptr && x->type() == daira::JsonValue::Type::kString) {
      const std::string& s = x->AsString();
      ok = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && absl::SimpleAtoi(s, &n);
    }
    if (!ok) {
      r.Fail(std::string(field) + "." + part, "must be a number >= 0 (a JSON integer or a string of digits)");
      return std::nullopt;
    }
    (std::string_view(part) == "epoch" ? pos.epoch : pos.sequence) = n;
  }
  if (v.ok() && v->AsObject().size() != 2)
    r.Fail(field, "must be {\"epoch\":…,\"sequence\":…} and nothing else");
  return pos;
}

std::string RequiredString(Request& r, std::string_view field) {
  return daira::cabi::fields::RequiredStr{field}(r);
}

std::string PositionJson(const std::string& channel, realtime::Position p) {
  JsonWriter w;
  w.BeginObject().Key("channel").String(channel).Key("epoch");
  WriteU64(w, p.epoch);
  w.Key("sequence");
  WriteU64(w, p.sequence);
  w.EndObject();
  return w.Take();
}

namespace f = daira::cabi::fields;
constexpr auto kPresence = &daira::Platform::presence;
constexpr auto kTyping = &daira::Platform::typing;

// "since": a Position (PositionOf), the start of the channel's history when absent.
struct Since {
  realtime::Position operator()(Request& r) const {
    return PositionOf(r, "since").value_or(realtime::Position{});
  }
};

// "status": "online" (the default) or "away".
struct StatusField {
  realtime::PresenceStatus operator()(Request& r) const {
    const std::string status = r.String("status", "online");
    if (status == "away") return realtime::PresenceStatus::kAway;
    if (status != "online") r.Fail("status", "must be \"online\" or \"away\" (got \"" + status + "\")");
    return realtime::PresenceStatus::kOnline;
  }
};

// "user_ids", required (an array of user ids).
struct UserIds {
  std::vector<daira::UserId> operator()(Request& r) const {
    std::vector<daira::UserId> users = f::IdListAs<daira::UserId>{"user_ids"}(r);
    if (!r.Has("user_ids")) r.Fail("user_ids", "is required (an array of user ids)");
    return users;
  }
};

void WriteUserPresence(JsonWriter& w, const realtime::UserPresence& u) {
  w.BeginObject().Key("user_id");
  daira::cabi::WriteId(w, u.user.value);
  w.Key("status").String(realtime::PresenceStatusName(u.status)).Key("devices").Int(u.devices);
  w.Key("last_seen");
  if (u.last_seen) {
    daira::cabi::WriteTime(w, *u.last_seen);
  } else {
    w.Null();
  }
  w.EndObject();
}

// {"published": bool}.
std::string PublishedJson(bool published) {
  JsonWriter w;
  w.BeginObject().Key("published").Bool(published).EndObject();
  return w.Take();
}

absl::Status NoSubscription(std::string_view op) { return daira::cabi::NullArgument(op, "subscription"); }

}  // namespace

DAIRA_CABI_CALL(daira_realtime_publish, "realtime.publish") {
  const std::string channel = RequiredString(r, "channel");
  const std::string payload = RequiredString(r, "payload");
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(realtime::Position pos, p.realtime().Publish(channel, payload));
  return PositionJson(channel, pos);
}

DAIRA_CABI_SERVICE_CALL(daira_realtime_recover, "realtime.recover", &daira::Platform::realtime,
                        &realtime::Hub::Recover, f::Items<realtime::Message>{WriteMessage, "messages"},
                        f::RequiredStr{"channel"}, Since{})
DAIRA_CABI_SERVICE_CALL(daira_presence_heartbeat, "presence.heartbeat", kPresence,
                        &realtime::Presence::Heartbeat, f::Empty{}, f::IdAs<daira::UserId>{"user_id"},
                        f::Str{"device"}, StatusField{})
DAIRA_CABI_SERVICE_CALL(daira_presence_disconnect, "presence.disconnect", kPresence,
                        &realtime::Presence::Disconnect, f::Empty{}, f::IdAs<daira::UserId>{"user_id"},
                        f::Str{"device"})
DAIRA_CABI_SERVICE_CALL(daira_presence_get_many, "presence.get_many", kPresence, &realtime::Presence::GetMany,
                        f::Items<realtime::UserPresence>{WriteUserPresence, "users"}, UserIds{})
DAIRA_CABI_SERVICE_CALL(daira_typing_start, "typing.start", kTyping, &realtime::Typing::Start, PublishedJson,
                        f::IdAs<daira::ConversationId>{"conversation_id"}, f::IdAs<daira::UserId>{"user_id"})
DAIRA_CABI_SERVICE_CALL(daira_typing_stop, "typing.stop", kTyping, &realtime::Typing::Stop, PublishedJson,
                        f::IdAs<daira::ConversationId>{"conversation_id"}, f::IdAs<daira::UserId>{"user_id"})

extern "C" {

daira_code daira_realtime_subscribe(daira_platform_t* platform, const char* request_json, size_t request_len,
                                    daira_subscription_t** out, daira_error_t** err) {
  constexpr std::string_view kOp = "realtime.subscribe";
  if (out == nullptr) return daira::cabi::Finish(daira::cabi::NullArgument(kOp, "out"), err);
  *out = nullptr;
  std::unique_ptr<realtime::Subscription> made;
  const daira_code code = daira::cabi::ServiceCall(
      platform, kOp, request_json, request_len, nullptr, err,
      [&](daira::Platform& p, Request& r, const daira::RequestContext&) -> absl::StatusOr<std::string> {
        const std::string target = RequiredString(r, "target");
        realtime::SubscribeOptions options;
        const int64_t queue_size = r.Int("queue_size", 1024);
        if (queue_size < 1 || queue_size > 1'000'000) {
          r.Fail("queue_size", absl::StrCat("must be between 1 and 1000000 (got ", queue_size, ")"));
        }
        options.queue_size = static_cast<size_t>(queue_size < 1 ? 1 : queue_size);
        const std::string policy = r.String("slow_consumer", "drop_oldest");
        if (policy == "disconnect") {
          options.slow_consumer = realtime::SlowConsumer::kDisconnect;
        } else if (policy != "drop_oldest") {
          r.Fail("slow_consumer", "must be \"drop_oldest\" or \"disconnect\" (got \"" + policy + "\")");
        }
        options.resume_from = PositionOf(r, "resume_from");
        DAIRA_CABI_CHECK(r);
        DAIRA_ASSIGN_OR_RETURN(made, p.realtime().Subscribe(target, options));
        return std::string();
      });
  if (code != DAIRA_OK) return code;
  return daira::cabi::Guarded(err, [&]() -> absl::Status {
    auto handle = std::make_unique<daira_subscription>();
    handle->sub = std::move(made);
    *out = handle.release();
    return absl::OkStatus();
  });
}

daira_code daira_subscription_next(daira_subscription_t* subscription, int timeout_ms, char** out_json,
                                   daira_error_t** err) {
  constexpr std::string_view kOp = "subscription.next";
  if (out_json != nullptr) *out_json = nullptr;
  return daira::cabi::Guarded(err, [&]() -> absl::Status {
    if (subscription == nullptr || subscription->sub == nullptr) return NoSubscription(kOp);
    if (timeout_ms < 0 || timeout_ms > kMaxTimeoutMs) {
      return daira::InvalidField(
          kOp, "timeout_ms",
          absl::StrCat("must be between 0 and ", kMaxTimeoutMs, " (got ", timeout_ms, ")"));
    }
    std::optional<realtime::Message> message;
    if (timeout_ms == 0) {
      message = subscription->sub->TryNext();
      if (!message) {
        // Nothing queued: a closed subscription says why, a live one has no message yet.
        absl::Status status = subscription->sub->status();
        if (!status.ok()) return daira::Annotate(status, kOp);
      }
    } else {
      absl::StatusOr<realtime::Message> m = subscription->sub->Next(std::chrono::milliseconds(timeout_ms));
      if (m.ok()) {
        message = *std::move(m);
      } else if (!absl::IsDeadlineExceeded(m.status())) {
        return daira::Annotate(m.status(), kOp);
      }
    }
    JsonWriter w;
    w.BeginObject().Key("message");
    if (message) {
      WriteMessage(w, *message);
    } else {
      w.Null();
    }
    w.Key("dropped").Int(static_cast<int64_t>(subscription->sub->dropped()));
    w.Key("interruptions").Int(static_cast<int64_t>(subscription->sub->interruptions()));
    w.EndObject();
    if (out_json != nullptr) {
      *out_json = daira::cabi::CopyOut(w.str());
      if (*out_json == nullptr) return absl::ResourceExhaustedError("subscription.next: out of memory");
    }
    return absl::OkStatus();
  });
}

int daira_subscription_fd(const daira_subscription_t* subscription) {
  if (subscription == nullptr || subscription->sub == nullptr) return -1;
  return subscription->sub->fd();
}

daira_code daira_subscription_close(daira_subscription_t** subscription, daira_error_t** err) {
  return daira::cabi::Guarded(err, [&]() -> absl::Status {
    if (subscription == nullptr) return NoSubscription("subscription.close");
    delete *subscription;  // unsubscribes; NULL is a no-op
    *subscription = nullptr;
    return absl::OkStatus();
  });
}

}  // extern "C"
