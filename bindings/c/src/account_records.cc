// account records: the sessions and user_profiles repositories — read-only, with field masks. Session
// token hashes are secret: `fields` naming refresh_token_hash / access_token_hash is INVALID_ARGUMENT
// naming "fields" (records.h's ParseFields refuses every sensitive column), and no record carries them.
#include "daira/services/profile_repository.h"
#include "daira/services/session_repository.h"
#include "records.h"

namespace {
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers of the tables
using daira::Platform;
using daira::UserId;
using daira::cabi::MaskedWriter;
using daira::cabi::OptIdOf;
namespace model = daira::model;
namespace query = daira::query;
namespace services = daira::services;

struct SessionKind {
  using Model = model::UserSessionRecord;
  using Field = model::UserSessionField;
  using Id = daira::SessionId;
  using Batch = services::SessionBatch;
  static constexpr auto kItems = &Batch::sessions;
  static services::SessionRepository& Repo(Platform& p) { return p.sessions(); }
  static const query::FieldTable<Field>& Columns() { return services::SessionColumns(); }
  // Never the token hashes (kRefreshTokenHash, kAccessTokenHash).
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kUserId, "user_id", m.user_id);
    w.Field(Field::kFamilyId, "family_id", m.family_id).Field(Field::kDeviceType, "device_type", m.device_type);
    w.Field(Field::kDeviceName, "device_name", m.device_name).Field(Field::kIpAddress, "ip_address", m.ip_address);
    w.Field(Field::kUserAgent, "user_agent", m.user_agent);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
    w.Field(Field::kLastUsedAt, "last_used_at", m.last_used_at).Field(Field::kExpiresAt, "expires_at", m.expires_at);
    w.Field(Field::kAccessExpiresAt, "access_expires_at", m.access_expires_at);
    w.Field(Field::kRevokedAt, "revoked_at", m.revoked_at).Field(Field::kReplacedBy, "replaced_by", m.replaced_by);
  }
};

struct ProfileKind {
  using Model = model::UserProfileRecord;
  using Field = model::UserProfileField;
  using Id = UserId;
  using Batch = services::ProfileBatch;
  static constexpr auto kItems = &Batch::profiles;
  static constexpr std::string_view kIdKey = "user_id";  // a profile is keyed by its user
  static services::ProfileRepository& Repo(Platform& p) { return p.user_profiles(); }
  static const query::FieldTable<Field>& Columns() { return services::ProfileColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kUserId, "user_id", m.user_id).Field(Field::kDisplayName, "display_name", m.display_name);
    w.Field(Field::kBio, "bio", m.bio).Field(Field::kLocation, "location", m.location);
    w.Field(Field::kWebsite, "website", m.website).Field(Field::kFollowersCount, "followers_count", m.followers_count);
    w.Field(Field::kFollowingCount, "following_count", m.following_count);
    w.Field(Field::kPostsCount, "posts_count", m.posts_count).Field(Field::kVideosCount, "videos_count", m.videos_count);
    w.Field(Field::kLikesReceivedCount, "likes_received_count", m.likes_received_count);
    w.Field(Field::kTrustScore, "trust_score", m.trust_score).Field(Field::kBadges, "badges", m.badges);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
  }
};

}  // namespace

DAIRA_CABI_RECORD_READS(daira_sessions, SessionKind, "sessions")
DAIRA_CABI_RECORD_READS(daira_user_profiles, ProfileKind, "user_profiles")

DAIRA_CABI_CALL(daira_sessions_count, "sessions.count") {
  services::SessionFilter filter;
  filter.user_id = OptIdOf<UserId>(r, "user_id");
  filter.family_id = r.OptId("family_id");
  filter.revoked = r.OptBool("revoked");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.sessions().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_CALL(daira_user_profiles_count, "user_profiles.count") {
  services::ProfileFilter filter;
  filter.min_followers_count = r.OptInt("min_followers_count");
  filter.trust_score_below = r.OptDouble("trust_score_below");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.user_profiles().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_METHOD(daira_sessions_list_by_user, "sessions.list_by_user", SessionKind,
                         &services::SessionRepository::ListByUser, IdAs<UserId>{"user_id"}, Page{})

DAIRA_CABI_RECORD_METHOD(daira_sessions_list_by_family, "sessions.list_by_family", SessionKind,
                         &services::SessionRepository::ListByFamily, Id{"family_id"}, Page{})
