// The shared state behind realtime::Presence and realtime::Typing (internal): in-process for memory:,
// Redis keys for redis:// (so every app instance sees every device and typist). Times are Unix
// microseconds from the caller's clock (a manual clock in tests), never the server's.
//
// Thread-safety: every implementation is safe from any number of threads; each operation is atomic
// (redis://: one Lua script).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::inline v0::backends {

class RealtimeState {
 public:
  virtual ~RealtimeState() = default;

  // ---- presence: per user, devices each with a status (1 away, 2 online) and an expiry ----
  struct PresenceChange {
    int before =
        0;  // aggregate (0 offline, 1 away, 2 online) before, as last announced (expired devices count)
    int after = 0;  // after the update, expired devices pruned
    int64_t last_seen_us = 0;
  };
  // Sets `device` to `status` until `expires_us` (status 0: removes it); device "" only prunes the
  // devices expired at now_us. A set or removal records now_us as last seen. The user's record (for
  // last seen) is kept `retention_ms` after the last update.
  virtual absl::StatusOr<PresenceChange> UpdatePresence(int64_t user, std::string_view device, int status,
                                                        int64_t now_us, int64_t expires_us,
                                                        int64_t retention_ms) = 0;
  struct PresenceRow {
    int status = 0;  // aggregate over the devices not expired at now_us
    int devices = 0;
    int64_t last_seen_us = 0;  // 0: never seen (or forgotten after the retention)
  };
  // One row per user, in order (one round trip on redis://).
  virtual absl::StatusOr<std::vector<PresenceRow>> ReadPresence(std::span<const int64_t> users,
                                                                int64_t now_us) = 0;
  // Users with a device expired at now_us (to prune and announce).
  virtual absl::StatusOr<std::vector<int64_t>> PresenceExpired(int64_t now_us) = 0;

  // ---- typing: per conversation, typists each with an expiry and the time of their last event ----
  // Marks `user` typing until expires_us. True when an event should be published: the user was not
  // typing (or had expired), or their last published event is at least interval_us old.
  virtual absl::StatusOr<bool> TypingStart(int64_t conversation, int64_t user, int64_t now_us,
                                           int64_t expires_us, int64_t interval_us) = 0;
  // Removes `user`; true when they were typing (not expired) at now_us.
  virtual absl::StatusOr<bool> TypingStop(int64_t conversation, int64_t user, int64_t now_us) = 0;
  // Typists not expired at now_us, ascending.
  virtual absl::StatusOr<std::vector<int64_t>> Typists(int64_t conversation, int64_t now_us) = 0;
  // Removes every typist expired at now_us and returns them as (conversation, user).
  virtual absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> TypingExpired(int64_t now_us) = 0;
};

}  // namespace daira::inline v0::backends
