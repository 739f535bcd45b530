// The UserSession model: one login session (a row of `user_sessions`), without its token hashes.
//
//   model::UserSession s;                              // from services::Accounts::CheckAccessToken
//   if (s.revoked_at.has_value()) { /* logged out */ }
//   bool same_login = (s.family_id == other.family_id); // rotations of one login share a family
//
// A session holds one refresh token and one access token, both stored only as hashes (never in this
// struct). Refreshing rotates: the old row is revoked with replaced_by pointing at the new row of the
// same family.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daira/core/clock.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

struct UserSession {
  SessionId id;
  UserId user_id;
  int64_t family_id = 0;                      // id of the first session of this login
  std::optional<std::string> device_type;     // free-form ("ios", "web"); nullopt when unknown
  std::optional<std::string> device_name;
  std::optional<std::string> ip_address;
  std::optional<std::string> user_agent;
  Clock::TimePoint created_at{};
  std::optional<Clock::TimePoint> last_used_at;
  Clock::TimePoint expires_at{};              // refresh token expiry
  Clock::TimePoint access_expires_at{};       // access token expiry
  std::optional<Clock::TimePoint> revoked_at;
  std::optional<SessionId> replaced_by;       // set when rotated by a refresh
};

}  // namespace daira::inline v0::model
