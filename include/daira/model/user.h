// The User model: one row of `users`, typed, with the fields a read did not select left empty.
//
//   model::User u;                                   // usually filled by services::UserRepository
//   if (u.status == model::UserStatus::kActive) { ... }
//   std::string_view s = model::ToString(model::UserRole::kCreator);           // "CREATOR"
//   absl::StatusOr<model::UserStatus> st = model::ParseUserStatus("BANNED");   // kBanned
//   model::UserField f = model::UserField::kUsername;  // for field masks (services/user_repository.h)
//
// Reads take a field mask: every optional member is std::nullopt when its column was not selected
// (and, for nullable columns such as email, phone, avatar_url, last_login_at, also when the column
// is NULL). `id` is always present. password_hash is a secret: it is selected only when a mask names
// UserField::kPasswordHash, and no service returns it to callers.
//
// Thread-safety: plain values; the free functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

// users.status (CHECK constraint in migration 001).
enum class UserStatus { kActive, kSuspended, kBanned, kDeleted };
// users.role (CHECK constraint in migration 001).
enum class UserRole { kUser, kCreator, kModerator, kAdmin };

// "ACTIVE", "SUSPENDED", "BANNED", "DELETED".
inline std::string_view ToString(UserStatus status) {
  switch (status) {
    case UserStatus::kActive: return "ACTIVE";
    case UserStatus::kSuspended: return "SUSPENDED";
    case UserStatus::kBanned: return "BANNED";
    case UserStatus::kDeleted: return "DELETED";
  }
  return "ACTIVE";
}
// "USER", "CREATOR", "MODERATOR", "ADMIN".
inline std::string_view ToString(UserRole role) {
  switch (role) {
    case UserRole::kUser: return "USER";
    case UserRole::kCreator: return "CREATOR";
    case UserRole::kModerator: return "MODERATOR";
    case UserRole::kAdmin: return "ADMIN";
  }
  return "USER";
}
// Exact, upper-case names as stored; InvalidArgument naming "status" / "role" otherwise.
inline absl::StatusOr<UserStatus> ParseUserStatus(std::string_view s) {
  for (UserStatus v : {UserStatus::kActive, UserStatus::kSuspended, UserStatus::kBanned, UserStatus::kDeleted}) {
    if (ToString(v) == s) return v;
  }
  return InvalidField("user status", "status", "must be one of ACTIVE, SUSPENDED, BANNED, DELETED");
}
inline absl::StatusOr<UserRole> ParseUserRole(std::string_view s) {
  for (UserRole v : {UserRole::kUser, UserRole::kCreator, UserRole::kModerator, UserRole::kAdmin}) {
    if (ToString(v) == s) return v;
  }
  return InvalidField("user role", "role", "must be one of USER, CREATOR, MODERATOR, ADMIN");
}

// The columns of `users`, for field masks. kPasswordHash is sensitive (never part of "all fields").
enum class UserField {
  kId,
  kUsername,
  kEmail,
  kPhone,
  kAvatarUrl,
  kIsVerified,
  kIsPrivate,
  kStatus,
  kRole,
  kLastLoginAt,
  kCreatedAt,
  kUpdatedAt,
  kDeletedAt,
  kPasswordHash,
};

struct User {
  UserId id;                                      // always set
  std::optional<std::string> username;            // normalized (lower-case)
  std::optional<std::string> email;               // lower-cased; nullopt also when NULL
  std::optional<std::string> phone;               // E.164; nullopt also when NULL
  std::optional<std::string> avatar_url;          // nullopt also when NULL
  std::optional<bool> is_verified;
  std::optional<bool> is_private;
  std::optional<UserStatus> status;
  std::optional<UserRole> role;
  std::optional<Clock::TimePoint> last_login_at;  // nullopt also when never logged in
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> deleted_at;     // set once soft-deleted
  std::optional<std::string> password_hash;       // argon2id string; only when asked for by name
};

}  // namespace daira::inline v0::model
