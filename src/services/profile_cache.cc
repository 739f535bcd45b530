#include "services/profile_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/cache/typed.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::services::internal {

namespace {
constexpr std::string_view kTag = "profile_view";
constexpr int kVersion = 1;  // bump when the encoding (or User / UserProfile's codecs) change
}  // namespace

std::string ProfileKey(int64_t user_id) { return absl::StrCat("profile:", user_id); }

std::string EncodeProfileView(const ProfileView& view) {
  JsonWriter w;
  w.BeginObject()
      .Key("user")
      .Raw(cache::Codec<model::User>::Encode(view.user))
      .Key("profile")
      .Raw(cache::Codec<model::UserProfile>::Encode(view.profile))
      .EndObject();
  return cache::Frame(kTag, kVersion, w.Take());
}

std::optional<ProfileView> DecodeProfileView(std::string_view bytes) {
  std::optional<std::string_view> body = cache::Unframe(kTag, kVersion, bytes);
  if (!body.has_value()) return std::nullopt;
  absl::StatusOr<JsonValue> v = ParseJson(*body);
  if (!v.ok() || v->Get("user") == nullptr || v->Get("profile") == nullptr) return std::nullopt;
  absl::StatusOr<model::User> user = cache::Codec<model::User>::Decode(v->Get("user")->Serialize());
  absl::StatusOr<model::UserProfile> profile =
      cache::Codec<model::UserProfile>::Decode(v->Get("profile")->Serialize());
  if (!user.ok() || !profile.ok()) return std::nullopt;
  return ProfileView{.user = *std::move(user), .profile = *std::move(profile)};
}

void InvalidateProfilesAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                   std::vector<int64_t> user_ids) {
  if (deps.cache == nullptr || user_ids.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(user_ids.size());
  for (int64_t id : user_ids) keys.push_back(ProfileKey(id));
  cache::Cache* cache = deps.cache;
  store::AfterCommit(ctx, [cache, keys = std::move(keys)] { cache->Invalidate(keys).IgnoreError(); });
}

absl::StatusOr<ProfileView> ReadProfileThrough(const ServiceDeps& deps, const RequestContext& ctx,
                                               int64_t user_id,
                                               const std::function<absl::StatusOr<ProfileView>()>& load) {
  if (deps.cache == nullptr) return load();
  // Inside a transaction the transaction's own view is the truth (read-your-writes): no cache.
  absl::StatusOr<store::Connection*> bound = store::BoundConnection(ctx, "profiles: get");
  if (!bound.ok() || *bound != nullptr) return load();
  std::optional<ProfileView> loaded_here;
  absl::StatusOr<std::string> bytes = deps.cache->ReadThrough(
      ProfileKey(user_id),
      [&]() -> absl::StatusOr<std::string> {
        DAIRA_ASSIGN_OR_RETURN(ProfileView v, load());
        std::string encoded = EncodeProfileView(v);
        loaded_here = std::move(v);
        return encoded;
      },
      cache::kPolicyTtl, [](std::string_view b) { return cache::Unframe(kTag, kVersion, b).has_value(); });
  if (!bytes.ok()) return bytes.status();
  if (loaded_here.has_value()) return *std::move(loaded_here);
  if (std::optional<ProfileView> v = DecodeProfileView(*bytes)) return *std::move(v);
  return load();  // undecodable bytes (never expected): the database answers
}

namespace {
constexpr std::string_view kSessionTag = "session_auth";
constexpr int kSessionVersion = 1;  // bump when the encoding (or UserSession's codec) changes
}  // namespace

std::string SessionKey(int64_t session_id) { return absl::StrCat("session:", session_id); }

std::string EncodeSessionAuth(const SessionAuth& auth) {
  JsonWriter w;
  w.BeginObject()
      .Key("session")
      .Raw(cache::Codec<model::UserSession>::Encode(auth.session))
      .Key("access_token_hash")
      .String(auth.access_token_hash)
      .EndObject();
  return cache::Frame(kSessionTag, kSessionVersion, w.Take());
}

bool IsSessionAuth(std::string_view bytes) {
  return cache::Unframe(kSessionTag, kSessionVersion, bytes).has_value();
}

std::optional<SessionAuth> DecodeSessionAuth(std::string_view bytes) {
  std::optional<std::string_view> body = cache::Unframe(kSessionTag, kSessionVersion, bytes);
  if (!body.has_value()) return std::nullopt;
  absl::StatusOr<JsonValue> v = ParseJson(*body);
  if (!v.ok() || v->Get("session") == nullptr || v->Get("access_token_hash") == nullptr) return std::nullopt;
  absl::StatusOr<model::UserSession> session =
      cache::Codec<model::UserSession>::Decode(v->Get("session")->Serialize());
  if (!session.ok()) return std::nullopt;
  return SessionAuth{.session = *std::move(session),
                     .access_token_hash = v->Get("access_token_hash")->AsString()};
}

void InvalidateSessionsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                   std::vector<int64_t> session_ids) {
  if (deps.cache == nullptr || session_ids.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(session_ids.size());
  for (int64_t id : session_ids) keys.push_back(SessionKey(id));
  cache::Cache* cache = deps.cache;
  store::AfterCommit(ctx, [cache, keys = std::move(keys)] { cache->Invalidate(keys).IgnoreError(); });
}

}  // namespace daira::inline v0::services::internal
