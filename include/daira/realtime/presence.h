// realtime::Presence: online / away / offline per user across devices and app instances, with
// heartbeats that expire, last seen, many users in one call, and changes published to `user:{id}`.
//
//   DAIRA_ASSIGN_OR_RETURN(auto presence, realtime::Presence::Open("memory:", *hub, {.ttl = 60s}));
//   presence->Heartbeat(alice, "phone");                            // online until now + ttl
//   presence->Heartbeat(alice, "laptop", realtime::PresenceStatus::kAway);
//   DAIRA_ASSIGN_OR_RETURN(auto rows, presence->GetMany({alice, bob, carol}));   // one round trip
//   presence->Disconnect(alice, "phone");                           // a clean sign-out
//   presence->Sweep();                                              // periodically: expire crashed clients
//
// A user's status is the best of their live devices (online > away > offline); a device that sends no
// heartbeat for `ttl` is gone (a crashed client goes offline after at most ttl, once Sweep or any
// update of that user runs). When a user's status changes, a message is published on `user:{id}`:
//   {"type":"presence","user":42,"status":"online","last_seen":1733400000000000}
// (last_seen in Unix microseconds). With `redis://` the state lives in Redis keys shared by every
// instance (docs/realtime.md lists them); with `memory:` in this process.
//
// Thread-safety: every method is safe from any number of threads. The hub must outlive the Presence.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/model/ids.h"
#include "daira/realtime/hub.h"

namespace daira::inline v0::realtime {

enum class PresenceStatus { kOffline = 0, kAway = 1, kOnline = 2 };
// "offline", "away", "online".
std::string_view PresenceStatusName(PresenceStatus status);

struct UserPresence {
  UserId user{};
  PresenceStatus status = PresenceStatus::kOffline;
  int devices = 0;                              // live devices
  std::optional<Clock::TimePoint> last_seen{};  // the last heartbeat or disconnect; none if never seen
};

struct PresenceOptions {
  // presence_ttl_ms=: a device is gone this long after its last heartbeat. Default 60 s. At least 1 ms.
  std::chrono::milliseconds ttl{60000};
  // presence_retention_ms= (redis:// only): how long a user's last-seen is kept after their last update.
  // Default 30 days.
  std::chrono::milliseconds retention{std::chrono::hours(24 * 30)};
  // Time source (a ManualClock in tests). Null: Clock::System(). Not owned.
  const Clock* clock = nullptr;
};

class Presence {
 public:
  // `url`: the realtime URL (memory: or redis://…; its presence_* parameters override `options`).
  // InvalidArgument for bad options; Unavailable when Redis cannot be reached.
  static absl::StatusOr<std::unique_ptr<Presence>> Open(std::string_view url, Hub& hub,
                                                        const PresenceOptions& options = {});
  ~Presence();

  // Marks `device` of `user` as `status` (kOnline or kAway) until now + ttl; publishes a change.
  // InvalidArgument for an invalid user id, an empty device (at most 128 bytes) or kOffline.
  absl::Status Heartbeat(UserId user, std::string_view device,
                         PresenceStatus status = PresenceStatus::kOnline);
  // Removes `device` at once (sign-out); publishes a change.
  absl::Status Disconnect(UserId user, std::string_view device);
  // The presence of one user / of many, in the order asked (one round trip on redis://; at most 10000).
  absl::StatusOr<UserPresence> Get(UserId user);
  absl::StatusOr<std::vector<UserPresence>> GetMany(std::span<const UserId> users);
  // Prunes every device whose ttl passed and publishes the resulting changes; returns how many users
  // changed status. Run it periodically (e.g. every ttl / 2).
  absl::StatusOr<int> Sweep();

 private:
  struct Impl;
  explicit Presence(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace daira::inline v0::realtime
