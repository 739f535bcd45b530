// ProfileRepository: field-masked reads of `user_profiles` (one row per user, keyed by user_id) —
// get, batch get, exists and count.
//
//   services::ProfileRepository profiles(deps);
//   auto mask = services::ProfileFieldMask{model::UserProfileField::kDisplayName,
//                                          model::UserProfileField::kFollowersCount};
//   // SELECT user_id, display_name, followers_count FROM user_profiles WHERE user_id = ?
//   DAIRA_ASSIGN_OR_RETURN(model::UserProfileRecord p, profiles.Get(ctx, UserId{7}, mask));
//   DAIRA_ASSIGN_OR_RETURN(auto batch, profiles.GetMany(ctx, author_ids, mask));   // ONE statement
//   DAIRA_ASSIGN_OR_RETURN(int64_t low, profiles.Count(ctx, {.trust_score_below = 0.2}));
//
// Read-only on purpose: services::Profiles (services/profiles.h) validates display fields, keeps the
// trust score in 0..1 and the badge list deduplicated; the counters are maintained by Social and
// Content in the same transaction as the rows they count; Accounts::Register creates the row with the
// user. services::Profiles::Get is the public view (joined with users); this is the raw row.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica). Bad input is InvalidArgument naming the field; nothing runs.
//
// Thread-safety: ProfileRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/account_records.h"
#include "daira/model/ids.h"
#include "daira/query/field_mask.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using ProfileFieldMask = query::FieldMask<model::UserProfileField>;

// The column table of `user_profiles` (user_id is the primary key).
const query::FieldTable<model::UserProfileField>& ProfileColumns();
// Every column of `user_profiles`.
ProfileFieldMask AllProfileFields();

struct ProfileBatch {
  std::vector<model::UserProfileRecord> profiles;  // found, in the caller's order (duplicates once)
  std::vector<UserId> missing;                     // user ids with no profile row
};

// Count filters (all given ones must match).
struct ProfileFilter {
  std::optional<int64_t> min_followers_count{};  // followers_count >= this; must be >= 0
  std::optional<double> trust_score_below{};     // trust_score < this; must be in 0..1
};

class ProfileRepository {
 public:
  explicit ProfileRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The profile of `user` (columns of `mask` plus user_id). NotFound
  // "user_profiles: profile of user 7 not found".
  absl::StatusOr<model::UserProfileRecord> Get(const RequestContext& ctx, UserId user,
                                               ProfileFieldMask mask = AllProfileFields()) const;
  // The profiles of `users` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; user ids with no profile in `missing`. No ids: no statement.
  absl::StatusOr<ProfileBatch> GetMany(const RequestContext& ctx, std::span<const UserId> users,
                                       ProfileFieldMask mask = AllProfileFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, UserId user) const;
  // Number of profiles matching `filter` (every profile when empty). InvalidArgument naming
  // min_followers_count / trust_score_below when out of range.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const ProfileFilter& filter = {}) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
