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
  std::string s = r.String(field);
  if (s.empty() && !r.Has(field)) r.Fail(field, "is required");
  return s;
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

DAIRA_CABI_CALL(daira_realtime_recover, "realtime.recover") {
  const std::string channel = RequiredString(r, "channel");
  const realtime::Position since = PositionOf(r, "since").value_or(realtime::Position{});
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(std::vector<realtime::Message> messages, p.realtime().Recover(channel, since));
  JsonWriter w;
  w.BeginObject().Key("messages").BeginArray();
  for (const realtime::Message& m : messages) WriteMessage(w, m);
  w.EndArray().EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_presence_heartbeat, "presence.heartbeat") {
  const daira::UserId user(r.Id("user_id"));
  const std::string device = r.String("device");
  const std::string status = r.String("status", "online");
  realtime::PresenceStatus s = realtime::PresenceStatus::kOnline;
  if (status == "away") {
    s = realtime::PresenceStatus::kAway;
  } else if (status != "online") {
    r.Fail("status", "must be \"online\" or \"away\" (got \"" + status + "\")");
  }
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_RETURN_IF_ERROR(p.presence().Heartbeat(user, device, s));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_presence_disconnect, "presence.disconnect") {
  const daira::UserId user(r.Id("user_id"));
  const std::string device = r.String("device");
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_RETURN_IF_ERROR(p.presence().Disconnect(user, device));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_presence_get_many, "presence.get_many") {
  const std::vector<int64_t> ids = r.IdList("user_ids");
  if (!r.Has("user_ids")) r.Fail("user_ids", "is required (an array of user ids)");
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  std::vector<daira::UserId> users;
  users.reserve(ids.size());
  for (int64_t id : ids) users.emplace_back(id);
  DAIRA_ASSIGN_OR_RETURN(std::vector<realtime::UserPresence> rows, p.presence().GetMany(users));
  JsonWriter w;
  w.BeginObject().Key("users").BeginArray();
  for (const realtime::UserPresence& u : rows) {
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
  w.EndArray().EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_typing_start, "typing.start") {
  const daira::ConversationId conversation(r.Id("conversation_id"));
  const daira::UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(bool published, p.typing().Start(conversation, user));
  JsonWriter w;
  w.BeginObject().Key("published").Bool(published).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_typing_stop, "typing.stop") {
  const daira::ConversationId conversation(r.Id("conversation_id"));
  const daira::UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(bool published, p.typing().Stop(conversation, user));
  JsonWriter w;
  w.BeginObject().Key("published").Bool(published).EndObject();
  return w.Take();
}

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
