#include "daira/services/profiles.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/validation.h"
#include "daira/services/user_repository.h"
#include "services/profile_cache.h"
#include "services/user_repository_internal.h"

namespace daira::inline v0::services {

namespace {

using internal::OptionalText;

absl::Status UserNotFound(UserId id) {
  return absl::NotFoundError(absl::StrCat("profiles: user ", id.value, " not found"));
}

const std::string& ProfileSql() {
  static const std::string* kSql = [] {
    std::string users;
    for (const std::string& c : UserColumns().Columns(AllUserFields())) {
      absl::StrAppend(&users, users.empty() ? "" : ", ", "u.", c);
    }
    return new std::string(absl::StrCat(
        "SELECT ", users,
        ", p.display_name AS p_display_name, p.bio AS p_bio, p.location AS p_location, p.website AS p_website, "
        "p.followers_count AS p_followers_count, p.following_count AS p_following_count, "
        "p.posts_count AS p_posts_count, p.videos_count AS p_videos_count, "
        "p.likes_received_count AS p_likes_received_count, p.trust_score AS p_trust_score, p.badges AS p_badges, "
        "p.created_at AS p_created_at, p.updated_at AS p_updated_at "
        "FROM users u JOIN user_profiles p ON p.user_id = u.id WHERE u.id = ? AND u.status <> 'DELETED'"));
  }();
  return *kSql;
}

absl::StatusOr<ProfileView> ViewFromRow(const store::Row& r) {
  ProfileView v;
  DAIRA_ASSIGN_OR_RETURN(v.user, UserFromRow(r, AllUserFields()));
  model::UserProfile& p = v.profile;
  p.user_id = v.user.id;
  p.display_name = OptionalText(r, "p_display_name");
  p.bio = OptionalText(r, "p_bio");
  p.location = OptionalText(r, "p_location");
  p.website = OptionalText(r, "p_website");
  p.followers_count = r.Int64("p_followers_count");
  p.following_count = r.Int64("p_following_count");
  p.posts_count = r.Int64("p_posts_count");
  p.videos_count = r.Int64("p_videos_count");
  p.likes_received_count = r.Int64("p_likes_received_count");
  p.trust_score = r.Double("p_trust_score");
  p.badges = r.TextArray("p_badges");
  p.created_at = FromUnixMicros(r.Int64("p_created_at"));
  p.updated_at = FromUnixMicros(r.Int64("p_updated_at"));
  return v;
}

absl::StatusOr<ProfileView> GetOn(store::Connection& c, UserId id) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(ProfileSql(), {id.value}));
  if (rs.empty()) return UserNotFound(id);
  return ViewFromRow(rs.front());
}

}  // namespace

absl::StatusOr<ProfileView> Profiles::Get(const RequestContext& ctx, UserId user) const {
  // Through the cache (docs/cache.md). A value that may go into the shared cache is read from the
  // primary: a lagging replica must never fill it with a row older than a committed write.
  const store::Access access = deps_.cache != nullptr && deps_.db->backend() == store::Backend::kPostgres
                                   ? store::Access::kWrite
                                   : store::Access::kRead;
  return internal::ReadProfileThrough(deps_, ctx, user.value, [&] {
    return store::WithConnection(*deps_.db, ctx, access, [&](store::Connection& c) { return GetOn(c, user); });
  });
}

absl::StatusOr<ProfileView> Profiles::Update(const RequestContext& ctx, const UpdateProfileRequest& request) const {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const UserId id{request.user_id};
  const int64_t now = deps_.NowMicros();
  std::vector<std::string> profile_sets;
  std::vector<store::Value> profile_params;
  auto text_or_null = [](const std::string& s) { return s.empty() ? store::Value() : store::Value(s); };
  if (request.display_name) {
    profile_sets.push_back("display_name = ?");
    profile_params.emplace_back(*request.display_name);
  }
  if (request.bio) {
    profile_sets.push_back("bio = ?");
    profile_params.push_back(text_or_null(*request.bio));
  }
  if (request.location) {
    profile_sets.push_back("location = ?");
    profile_params.push_back(text_or_null(*request.location));
  }
  std::vector<std::string> user_sets;
  std::vector<store::Value> user_params;
  if (request.avatar_url) {
    user_sets.push_back("avatar_url = ?");
    user_params.push_back(text_or_null(*request.avatar_url));
  }
  if (request.is_private) {
    user_sets.push_back("is_private = ?");
    user_params.emplace_back(*request.is_private);
  }
  absl::StatusOr<ProfileView> out = absl::UnknownError("profiles: update did not run");
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    // The guard makes a deleted user NotFound before anything is written.
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet alive,
                           c.Execute("SELECT 1 FROM users WHERE id = ? AND status <> 'DELETED'", {id.value}));
    if (alive.empty()) return UserNotFound(id);
    if (!profile_sets.empty()) {
      std::vector<store::Value> params = profile_params;
      params.emplace_back(now);
      params.emplace_back(id.value);
      DAIRA_RETURN_IF_ERROR(c.Execute(absl::StrCat("UPDATE user_profiles SET ", absl::StrJoin(profile_sets, ", "),
                                                   ", updated_at = ? WHERE user_id = ?"),
                                      params)
                                .status());
    }
    if (!user_sets.empty()) {
      std::vector<store::Value> params = user_params;
      params.emplace_back(now);
      params.emplace_back(id.value);
      DAIRA_RETURN_IF_ERROR(c.Execute(absl::StrCat("UPDATE users SET ", absl::StrJoin(user_sets, ", "),
                                                   ", updated_at = ? WHERE id = ?"),
                                      params)
                                .status());
    }
    internal::InvalidateProfilesAfterCommit(deps_, ctx, {id.value});
    out = GetOn(c, id);
    return out.status();
  }));
  return out;
}

absl::Status Profiles::SetVerified(const RequestContext& ctx, UserId user, bool verified) const {
  const int64_t now = deps_.NowMicros();
  return store::WithConnection(*deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                           c.Execute("UPDATE users SET is_verified = ?, updated_at = ? WHERE id = ? AND status <> 'DELETED'",
                                     {verified, now, user.value}));
    if (rs.rows_affected() == 0) return UserNotFound(user);
    internal::InvalidateProfilesAfterCommit(deps_, ctx, {user.value});
    return absl::OkStatus();
  });
}

absl::StatusOr<double> Profiles::AdjustTrustScore(const RequestContext& ctx, UserId user, double delta) const {
  if (!std::isfinite(delta)) return InvalidField("adjust_trust_score", "delta", "must be a finite number");
  const int64_t now = deps_.NowMicros();
  return store::WithConnection(*deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::StatusOr<double> {
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        c.Execute("UPDATE user_profiles SET trust_score = CASE WHEN trust_score + ? > 1.0 THEN 1.0 "
                  "WHEN trust_score + ? < 0.0 THEN 0.0 ELSE trust_score + ? END, updated_at = ? "
                  "WHERE user_id = ? AND EXISTS (SELECT 1 FROM users WHERE id = ? AND status <> 'DELETED') "
                  "RETURNING trust_score",
                  {delta, delta, delta, now, user.value, user.value}));
    if (rs.empty()) return UserNotFound(user);
    internal::InvalidateProfilesAfterCommit(deps_, ctx, {user.value});
    return rs.front().Double(0);
  });
}

absl::Status Profiles::AddBadge(const RequestContext& ctx, UserId user, std::string_view badge) const {
  return ChangeBadges(ctx, user, badge, /*add=*/true);
}

absl::Status Profiles::RemoveBadge(const RequestContext& ctx, UserId user, std::string_view badge) const {
  return ChangeBadges(ctx, user, badge, /*add=*/false);
}

absl::Status Profiles::ChangeBadges(const RequestContext& ctx, UserId user, std::string_view badge, bool add) const {
  const std::string_view op = add ? "add_badge" : "remove_badge";
  Violations v;
  v.Token("badge", badge, 1, kMaxBadgeLength);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(op));
  const int64_t now = deps_.NowMicros();
  // Read-modify-write under the row lock (Postgres FOR UPDATE; SQLite's writer lock is held already).
  const std::string select =
      absl::StrCat("SELECT p.badges FROM user_profiles p JOIN users u ON u.id = p.user_id "
                   "WHERE p.user_id = ? AND u.status <> 'DELETED'",
                   deps_.db->backend() == store::Backend::kPostgres ? " FOR UPDATE OF p" : "");
  return deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(select, {user.value}));
    if (rs.empty()) return UserNotFound(user);
    std::vector<std::string> badges = rs.front().TextArray(0);
    auto it = std::find(badges.begin(), badges.end(), badge);
    if (add == (it != badges.end())) return absl::OkStatus();  // already in the wanted state
    if (add) {
      if (badges.size() >= kMaxBadges) {
        return absl::FailedPreconditionError(
            absl::StrCat(ToAbsl(op), ": user ", user.value, " already has ", badges.size(), " badges (max ", kMaxBadges, ")"));
      }
      badges.emplace_back(badge);
    } else {
      badges.erase(it);
    }
    DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE user_profiles SET badges = ?, updated_at = ? WHERE user_id = ?",
                                    {store::Value(std::move(badges)), now, user.value})
                              .status());
    internal::InvalidateProfilesAfterCommit(deps_, ctx, {user.value});
    return absl::OkStatus();
  });
}

absl::StatusOr<model::UserStats> Profiles::Stats(const RequestContext& ctx, UserId user) const {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<model::UserStats> {
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        c.Execute("SELECT p.followers_count, p.following_count, p.posts_count, p.videos_count, "
                  "p.likes_received_count FROM user_profiles p JOIN users u ON u.id = p.user_id "
                  "WHERE p.user_id = ? AND u.status <> 'DELETED'",
                  {user.value}));
    if (rs.empty()) return UserNotFound(user);
    const store::Row r = rs.front();
    return model::UserStats{.user_id = user,
                            .followers = r.Int64(0),
                            .following = r.Int64(1),
                            .posts = r.Int64(2),
                            .videos = r.Int64(3),
                            .likes_received = r.Int64(4)};
  });
}

}  // namespace daira::inline v0::services
