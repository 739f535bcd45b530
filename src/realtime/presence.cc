#include "daira/realtime/presence.h"

#include <string>

#include "daira/core/status.h"
#include "realtime/realtime_url_internal.h"

namespace daira::inline v0::realtime {

std::string_view PresenceStatusName(PresenceStatus status) {
  switch (status) {
    case PresenceStatus::kOnline:
      return "online";
    case PresenceStatus::kAway:
      return "away";
    case PresenceStatus::kOffline:
      break;
  }
  return "offline";
}

struct Presence::Impl {
  Hub* hub = nullptr;
  PresenceOptions options;
  const Clock* clock = nullptr;
  std::unique_ptr<backends::RealtimeState> state;

  // Publishes the change (if any) on user:{id}. A publish failure is returned: the state changed, but
  // the subscribers were not told (they read Get() on reconnect).
  absl::Status Announce(int64_t user, const backends::RealtimeState::PresenceChange& c) {
    if (c.before == c.after) return absl::OkStatus();
    const std::string payload = R"({"type":"presence","user_id":")" + std::to_string(user) +
                                R"(","status":")" +
                                std::string(PresenceStatusName(static_cast<PresenceStatus>(c.after))) +
                                R"(","last_seen":)" + std::to_string(c.last_seen_us) + "}";
    return hub->Publish("user:" + std::to_string(user), payload).status();
  }

  absl::Status Update(std::string_view op, UserId user, std::string_view device, int status) {
    if (!user.valid())
      return InvalidField(op, "user", "must be a positive id (got " + std::to_string(user.value) + ")");
    if (device.empty() || device.size() > 128) {
      return InvalidField(op, "device", "must be 1 to 128 bytes (got " + std::to_string(device.size()) + ")");
    }
    const int64_t now = ToUnixMicros(clock->Now());
    const int64_t expires = now + std::chrono::duration_cast<std::chrono::microseconds>(options.ttl).count();
    auto change = state->UpdatePresence(user.value, device, status, now, expires, options.retention.count());
    if (!change.ok()) return Annotate(change.status(), op);
    return Annotate(Announce(user.value, *change), op);
  }
};

absl::StatusOr<std::unique_ptr<Presence>> Presence::Open(std::string_view url, Hub& hub,
                                                         const PresenceOptions& options) {
  DAIRA_ASSIGN_OR_RETURN(internal::RealtimeUrl parsed, internal::ParseRealtimeUrl(url));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  DAIRA_RETURN_IF_ERROR(internal::ApplyPresenceParams(parsed, impl->options));
  if (impl->options.ttl.count() < 1) {
    return InvalidField("realtime: presence: open", "ttl", "must be at least 1 ms");
  }
  if (impl->options.retention.count() < 1) {
    return InvalidField("realtime: presence: open", "retention", "must be at least 1 ms");
  }
  impl->hub = &hub;
  impl->clock = options.clock != nullptr ? options.clock : Clock::System();
  DAIRA_ASSIGN_OR_RETURN(impl->state, internal::OpenState(parsed, hub));
  return std::unique_ptr<Presence>(new Presence(std::move(impl)));
}

Presence::Presence(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Presence::~Presence() = default;

absl::Status Presence::Heartbeat(UserId user, std::string_view device, PresenceStatus status) {
  if (status == PresenceStatus::kOffline) {
    return InvalidField("realtime: presence: heartbeat", "status", "must be online or away (use Disconnect)");
  }
  return impl_->Update("realtime: presence: heartbeat", user, device, static_cast<int>(status));
}

absl::Status Presence::Disconnect(UserId user, std::string_view device) {
  return impl_->Update("realtime: presence: disconnect", user, device, 0);
}

absl::StatusOr<UserPresence> Presence::Get(UserId user) {
  DAIRA_ASSIGN_OR_RETURN(auto rows, GetMany(std::span<const UserId>(&user, 1)));
  return rows[0];
}

absl::StatusOr<std::vector<UserPresence>> Presence::GetMany(std::span<const UserId> users) {
  if (users.size() > 10000) {
    return InvalidField("realtime: presence: get", "users",
                        "at most 10000 (got " + std::to_string(users.size()) + ")");
  }
  std::vector<int64_t> ids;
  for (size_t i = 0; i < users.size(); ++i) {
    if (!users[i].valid()) {
      return InvalidField("realtime: presence: get", "users[" + std::to_string(i) + "]",
                          "must be a positive id (got " + std::to_string(users[i].value) + ")");
    }
    ids.push_back(users[i].value);
  }
  auto rows = impl_->state->ReadPresence(ids, ToUnixMicros(impl_->clock->Now()));
  if (!rows.ok()) return Annotate(rows.status(), "realtime: presence: get");
  std::vector<UserPresence> out;
  for (size_t i = 0; i < users.size(); ++i) {
    const auto& r = (*rows)[i];
    UserPresence p{.user = users[i], .status = static_cast<PresenceStatus>(r.status), .devices = r.devices};
    if (r.last_seen_us > 0) p.last_seen = FromUnixMicros(r.last_seen_us);
    out.push_back(p);
  }
  return out;
}

absl::StatusOr<int> Presence::Sweep() {
  const int64_t now = ToUnixMicros(impl_->clock->Now());
  auto expired = impl_->state->PresenceExpired(now);
  if (!expired.ok()) return Annotate(expired.status(), "realtime: presence: sweep");
  int changed = 0;
  for (int64_t user : *expired) {
    auto change = impl_->state->UpdatePresence(user, "", 0, now, 0, impl_->options.retention.count());
    if (!change.ok()) return Annotate(change.status(), "realtime: presence: sweep");
    if (change->before != change->after) ++changed;
    DAIRA_RETURN_IF_ERROR(Annotate(impl_->Announce(user, *change), "realtime: presence: sweep"));
  }
  return changed;
}

}  // namespace daira::inline v0::realtime
