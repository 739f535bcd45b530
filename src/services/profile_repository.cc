#include "daira/services/profile_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::UserProfileField;
using model::UserProfileRecord;

namespace {

using Column = query::ColumnSpec<UserProfileRecord, UserProfileField>;
using internal::Conditions;
using query::ReadColumn;
using ProfileTableType = internal::TypedTable<UserProfileRecord, UserProfileField, UserId>;
using F = UserProfileField;
using R = UserProfileRecord;

const ProfileTableType& ProfileTable() {
  static const auto* kTable = new ProfileTableType(
      {.table = "user_profiles", .entity = "profile of user", .key = "user_id"},
      std::array{
          Column{F::kUserId, "user_id", &ReadColumn<&R::user_id>, query::kPrimaryKey},
          Column{F::kDisplayName, "display_name", &ReadColumn<&R::display_name>},
          Column{F::kBio, "bio", &ReadColumn<&R::bio>},
          Column{F::kLocation, "location", &ReadColumn<&R::location>},
          Column{F::kWebsite, "website", &ReadColumn<&R::website>},
          Column{F::kFollowersCount, "followers_count", &ReadColumn<&R::followers_count>},
          Column{F::kFollowingCount, "following_count", &ReadColumn<&R::following_count>},
          Column{F::kPostsCount, "posts_count", &ReadColumn<&R::posts_count>},
          Column{F::kVideosCount, "videos_count", &ReadColumn<&R::videos_count>},
          Column{F::kLikesReceivedCount, "likes_received_count", &ReadColumn<&R::likes_received_count>},
          Column{F::kTrustScore, "trust_score", &ReadColumn<&R::trust_score>},
          Column{F::kBadges, "badges", &ReadColumn<&R::badges>},
          Column{F::kCreatedAt, "created_at", &ReadColumn<&R::created_at>},
          Column{F::kUpdatedAt, "updated_at", &ReadColumn<&R::updated_at>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<UserProfileField>& ProfileColumns() { return ProfileTable().fields(); }

ProfileFieldMask AllProfileFields() { return ProfileColumns().All(); }

absl::StatusOr<UserProfileRecord> ProfileRepository::Get(const RequestContext& ctx, UserId user,
                                                         ProfileFieldMask mask) const {
  return ProfileTable().Get(deps_, ctx, user, mask);
}

absl::StatusOr<ProfileBatch> ProfileRepository::GetMany(const RequestContext& ctx,
                                                        std::span<const UserId> users,
                                                        ProfileFieldMask mask) const {
  return ProfileTable().GetMany<ProfileBatch>(deps_, ctx, users, mask);
}

absl::StatusOr<bool> ProfileRepository::Exists(const RequestContext& ctx, UserId user) const {
  return ProfileTable().Exists(deps_, ctx, user);
}

absl::StatusOr<int64_t> ProfileRepository::Count(const RequestContext& ctx,
                                                 const ProfileFilter& filter) const {
  Violations v;
  if (filter.min_followers_count) {
    v.Require("min_followers_count", *filter.min_followers_count >= 0,
              absl::StrCat("must be >= 0 (got ", *filter.min_followers_count, ")"));
  }
  if (filter.trust_score_below) {
    const double t = *filter.trust_score_below;
    v.Require("trust_score_below", t >= 0 && t <= 1, absl::StrCat("must be between 0 and 1 (got ", t, ")"));
  }
  DAIRA_RETURN_IF_ERROR(v.ToStatus("count profiles"));
  Conditions c;
  c.IfSet("followers_count >= ?", filter.min_followers_count);
  c.IfSet("trust_score < ?", filter.trust_score_below);
  return ProfileTable().Count(deps_, ctx, c);
}

}  // namespace daira::inline v0::services
