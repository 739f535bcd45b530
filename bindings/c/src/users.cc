// users (the repository, read side) and profiles — each call described by its method and its fields
// (service_call.h); users.count, whose status is parsed after the fields, keeps a body.
#include "internal.h"
#include "service_call.h"

using daira::JsonWriter;
using daira::cabi::RecordJson;

namespace {
using daira::UserId;
namespace services = daira::services;
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables

const Record<daira::model::User> kUserJson{daira::cabi::WriteUser};
const Record<services::ProfileView> kProfileJson{daira::cabi::WriteProfileView};
constexpr auto kUsers = &daira::Platform::users;
constexpr auto kProfiles = &daira::Platform::profiles;
using AllUserFields = Fixed<&services::AllUserFields>;

// {"users": [...], "missing": [ids]}.
std::string UserBatchJson(const services::UserBatch& batch) {
  JsonWriter w;
  w.BeginObject().Key("users").BeginArray();
  for (const daira::model::User& u : batch.users) daira::cabi::WriteUser(w, u);
  w.EndArray().Key("missing").BeginArray();
  for (UserId id : batch.missing) daira::cabi::WriteId(w, id.value);
  w.EndArray().EndObject();
  return w.Take();
}

// The single-id calls: each is a JSON call and a typed one (DAIRA_CABI_ID_CALLS).
absl::StatusOr<std::string> GetUser(daira::Platform& p, int64_t id, const daira::RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(daira::model::User user, p.users().Get(ctx, UserId(id)));
  return RecordJson(daira::cabi::WriteUser, user);
}

absl::StatusOr<std::string> GetProfile(daira::Platform& p, int64_t id, const daira::RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(services::ProfileView view, p.profiles().Get(ctx, UserId(id)));
  return RecordJson(daira::cabi::WriteProfileView, view);
}

absl::StatusOr<std::string> GetStats(daira::Platform& p, int64_t id, const daira::RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(daira::model::UserStats stats, p.profiles().Stats(ctx, UserId(id)));
  return RecordJson(daira::cabi::WriteStats, stats);
}
}  // namespace

DAIRA_CABI_ID_CALLS(daira_users_get, "users.get", "id", GetUser)

DAIRA_CABI_SERVICE_CALL(daira_users_get_many, "users.get_many", kUsers, &services::UserRepository::GetMany,
                        UserBatchJson, IdListAs<UserId>{"ids"}, AllUserFields{})
DAIRA_CABI_SERVICE_CALL(daira_users_find_by_username, "users.find_by_username", kUsers,
                        &services::UserRepository::FindByUsername, kUserJson, Str{"username"},
                        AllUserFields{})
DAIRA_CABI_SERVICE_CALL(daira_users_find_by_email, "users.find_by_email", kUsers,
                        &services::UserRepository::FindByEmail, kUserJson, Str{"email"}, AllUserFields{})

DAIRA_CABI_CALL(daira_users_count, "users.count") {
  std::optional<std::string> status_text = r.OptString("status");
  DAIRA_CABI_CHECK(r);
  std::optional<daira::model::UserStatus> status;
  if (status_text) {
    DAIRA_ASSIGN_OR_RETURN(status, daira::model::ParseUserStatus(*status_text));
  }
  DAIRA_ASSIGN_OR_RETURN(int64_t count, p.users().Count(ctx, status));
  JsonWriter w;
  w.BeginObject().Key("count").Int(count).EndObject();
  return w.Take();
}

DAIRA_CABI_ID_CALLS(daira_profiles_get, "profiles.get", "user_id", GetProfile)

DAIRA_CABI_SERVICE_CALL(daira_profiles_update, "profiles.update", kProfiles, &services::Profiles::Update,
                        kProfileJson,
                        Struct<services::UpdateProfileRequest>(
                            Set{&services::UpdateProfileRequest::user_id, Id{"user_id"}},
                            Set{&services::UpdateProfileRequest::display_name, OptStr{"display_name"}},
                            Set{&services::UpdateProfileRequest::bio, OptStr{"bio"}},
                            Set{&services::UpdateProfileRequest::location, OptStr{"location"}},
                            Set{&services::UpdateProfileRequest::avatar_url, OptStr{"avatar_url"}},
                            Set{&services::UpdateProfileRequest::is_private, OptBoolean{"is_private"}}))

DAIRA_CABI_ID_CALLS(daira_profiles_stats, "profiles.stats", "user_id", GetStats)
