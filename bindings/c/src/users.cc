// users (the repository, read side) and profiles.
#include "internal.h"

using daira::JsonWriter;
using daira::cabi::RecordJson;

namespace {
using daira::UserId;
namespace services = daira::services;

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

DAIRA_CABI_CALL(daira_users_get_many, "users.get_many") {
  std::vector<UserId> ids;
  for (int64_t id : r.IdList("ids")) ids.emplace_back(id);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::UserBatch batch, p.users().GetMany(ctx, ids));
  JsonWriter w;
  w.BeginObject().Key("users").BeginArray();
  for (const daira::model::User& u : batch.users) daira::cabi::WriteUser(w, u);
  w.EndArray().Key("missing").BeginArray();
  for (UserId id : batch.missing) daira::cabi::WriteId(w, id.value);
  w.EndArray().EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_users_find_by_username, "users.find_by_username") {
  const std::string username = r.String("username");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::User user, p.users().FindByUsername(ctx, username));
  return RecordJson(daira::cabi::WriteUser, user);
}

DAIRA_CABI_CALL(daira_users_find_by_email, "users.find_by_email") {
  const std::string email = r.String("email");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::User user, p.users().FindByEmail(ctx, email));
  return RecordJson(daira::cabi::WriteUser, user);
}

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

DAIRA_CABI_CALL(daira_profiles_update, "profiles.update") {
  services::UpdateProfileRequest req;
  req.user_id = r.Id("user_id");
  req.display_name = r.OptString("display_name");
  req.bio = r.OptString("bio");
  req.location = r.OptString("location");
  req.avatar_url = r.OptString("avatar_url");
  req.is_private = r.OptBool("is_private");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::ProfileView view, p.profiles().Update(ctx, req));
  return RecordJson(daira::cabi::WriteProfileView, view);
}

DAIRA_CABI_ID_CALLS(daira_profiles_stats, "profiles.stats", "user_id", GetStats)
