// Profiles: a user's public face — display name, bio, location, avatar, privacy, verified flag,
// trust score, badges — and the counters (stats) the social and content services maintain.
//
//   services::Profiles profiles(deps);
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(services::ProfileView p, profiles.Get(ctx, alice));     // user + profile, 1 statement
//   DAIRA_ASSIGN_OR_RETURN(p, profiles.Update(ctx, {.user_id = alice.value, .bio = "hi"}));   // only bio changes
//   DAIRA_RETURN_IF_ERROR(profiles.SetVerified(ctx, alice, true));
//   DAIRA_ASSIGN_OR_RETURN(double score, profiles.AdjustTrustScore(ctx, alice, -0.1));        // clamped to 0..1
//   DAIRA_RETURN_IF_ERROR(profiles.AddBadge(ctx, alice, "early_adopter"));
//   DAIRA_ASSIGN_OR_RETURN(model::UserStats s, profiles.Stats(ctx, alice));         // 1 statement
//
// A user that does not exist, or is soft-deleted, is NotFound "profiles: user 42 not found".
//
// Thread-safety: a Profiles object is safe to use from any number of threads.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/user.h"
#include "daira/model/user_profile.h"
#include "daira/services/account_requests.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

inline constexpr size_t kMaxBadgeLength = 32;  // badge names: 1–32 of [A-Za-z0-9_-]
inline constexpr size_t kMaxBadges = 20;       // badges per profile

// A user together with their profile.
struct ProfileView {
  model::User user;  // every non-secret field
  model::UserProfile profile;
};

class Profiles {
 public:
  explicit Profiles(const ServiceDeps& deps) : deps_(deps) {}

  // The user and profile in one statement. NotFound for unknown or deleted users.
  absl::StatusOr<ProfileView> Get(const RequestContext& ctx, UserId user) const;

  // Writes only the fields the request sets (display_name, bio, location → user_profiles; avatar_url,
  // is_private → users; an empty avatar_url removes it) in one transaction, and returns the result.
  // InvalidArgument listing every violation (nothing written); NotFound for unknown/deleted users.
  absl::StatusOr<ProfileView> Update(const RequestContext& ctx, const UpdateProfileRequest& request) const;

  // Sets users.is_verified. NotFound for unknown/deleted users.
  absl::Status SetVerified(const RequestContext& ctx, UserId user, bool verified) const;

  // Adds `delta` to the trust score, clamped to [0, 1], in one statement; returns the new score.
  // InvalidArgument naming "delta" when it is not finite; NotFound for unknown/deleted users.
  absl::StatusOr<double> AdjustTrustScore(const RequestContext& ctx, UserId user, double delta) const;

  // Adds a badge (no-op when present) / removes one (no-op when absent). Badge names are 1–32 of
  // [A-Za-z0-9_-] (InvalidArgument naming "badge"); at most kMaxBadges per profile
  // (FailedPrecondition). NotFound for unknown/deleted users.
  absl::Status AddBadge(const RequestContext& ctx, UserId user, std::string_view badge) const;
  absl::Status RemoveBadge(const RequestContext& ctx, UserId user, std::string_view badge) const;

  // Followers, following, posts, videos and likes received, from the profile counters: one statement.
  absl::StatusOr<model::UserStats> Stats(const RequestContext& ctx, UserId user) const;

 private:
  absl::Status ChangeBadges(const RequestContext& ctx, UserId user, std::string_view badge, bool add) const;
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
