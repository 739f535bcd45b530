// UserSessionRecord and UserProfileRecord: rows of `user_sessions` and `user_profiles` as
// field-masked reads return them — every column optional, so the columns a mask left out are absent
// rather than defaulted. (model::UserSession and model::UserProfile are the values services::Accounts
// and services::Profiles return.)
//
//   // services/session_repository.h and services/profile_repository.h fill them:
//   auto mask = services::SessionFieldMask{model::UserSessionField::kExpiresAt};
//   DAIRA_ASSIGN_OR_RETURN(model::UserSessionRecord s, sessions.Get(ctx, SessionId{9}, mask));
//   s.expires_at;          // selected
//   s.refresh_token_hash;  // std::nullopt: sensitive, selected only when a mask names it
//
// The token hashes are BLAKE2b-256 hex of the tokens, never the tokens (which are not stored).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daira/core/clock.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

// The columns of `user_sessions`, for field masks. kRefreshTokenHash and kAccessTokenHash are
// sensitive: not part of All(), selected only when a mask names them.
enum class UserSessionField {
  kId,
  kUserId,
  kFamilyId,
  kRefreshTokenHash,
  kAccessTokenHash,
  kDeviceType,
  kDeviceName,
  kIpAddress,
  kUserAgent,
  kCreatedAt,
  kUpdatedAt,
  kLastUsedAt,
  kExpiresAt,
  kAccessExpiresAt,
  kRevokedAt,
  kReplacedBy,
};

struct UserSessionRecord {
  SessionId id;  // always set
  std::optional<UserId> user_id;
  std::optional<int64_t> family_id;               // id of the first session of this login
  std::optional<std::string> refresh_token_hash;  // sensitive
  std::optional<std::string> access_token_hash;   // sensitive; nullopt also when NULL
  std::optional<std::string> device_type;         // nullopt also when NULL (same for the next three)
  std::optional<std::string> device_name;
  std::optional<std::string> ip_address;
  std::optional<std::string> user_agent;
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> last_used_at;       // nullopt also when never used
  std::optional<Clock::TimePoint> expires_at;         // refresh token expiry
  std::optional<Clock::TimePoint> access_expires_at;  // access token expiry; nullopt also when NULL
  std::optional<Clock::TimePoint> revoked_at;         // nullopt also while not revoked
  std::optional<SessionId> replaced_by;               // nullopt also while not rotated
};

// The columns of `user_profiles`, for field masks (user_id is the key).
enum class UserProfileField {
  kUserId,
  kDisplayName,
  kBio,
  kLocation,
  kWebsite,
  kFollowersCount,
  kFollowingCount,
  kPostsCount,
  kVideosCount,
  kLikesReceivedCount,
  kTrustScore,
  kBadges,
  kCreatedAt,
  kUpdatedAt,
};

struct UserProfileRecord {
  UserId user_id;                           // always set
  std::optional<std::string> display_name;  // nullopt also when NULL (same for the next three)
  std::optional<std::string> bio;
  std::optional<std::string> location;
  std::optional<std::string> website;
  std::optional<int64_t> followers_count;
  std::optional<int64_t> following_count;
  std::optional<int64_t> posts_count;
  std::optional<int64_t> videos_count;
  std::optional<int64_t> likes_received_count;
  std::optional<double> trust_score;  // 0..1
  std::optional<std::vector<std::string>> badges;
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
};

}  // namespace daira::inline v0::model
