// The profile and session read-through caches (internal to services): keys, encoding, and the
// after-commit invalidation every write that changes a users, user_profiles or user_sessions row
// queues (docs/cache.md).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/user_session.h"
#include "daira/services/profiles.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services::internal {

// "profile:<id>": the ProfileView (user record + profile) framed as "profile_view:v1:{...}".
std::string ProfileKey(int64_t user_id);
std::string EncodeProfileView(const ProfileView& view);
// nullopt when `bytes` is not a profile_view of the current version or does not decode.
std::optional<ProfileView> DecodeProfileView(std::string_view bytes);

// Queues the invalidation of these users' cached profiles to run after the request's transaction
// commits (at once when none is bound; never after a rollback). Call it AFTER the write statement
// succeeded. A no-op without a cache; a cache failure is logged by the cache, never returned.
void InvalidateProfilesAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                   std::vector<int64_t> user_ids);

// The profile of `user` through the cache: read-through with single-flight; `load` reads the database.
// Bypasses the cache inside a transaction (read-your-writes) and without one.
absl::StatusOr<ProfileView> ReadProfileThrough(const ServiceDeps& deps, const RequestContext& ctx,
                                               int64_t user_id,
                                               const std::function<absl::StatusOr<ProfileView>()>& load);

// "session:<id>": a session row and its access-token hash (never a token), framed as
// "session_auth:v1:{...}". The user is not in it: CheckAccessToken reads it through the profile cache,
// which every write to the users row invalidates.
std::string SessionKey(int64_t session_id);
struct SessionAuth {
  model::UserSession session;
  std::string access_token_hash;  // "" when the row has none
};
std::string EncodeSessionAuth(const SessionAuth& auth);
std::optional<SessionAuth> DecodeSessionAuth(std::string_view bytes);
bool IsSessionAuth(std::string_view bytes);
// As InvalidateProfilesAfterCommit, for sessions (revocation, rotation).
void InvalidateSessionsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                   std::vector<int64_t> session_ids);

}  // namespace daira::inline v0::services::internal
