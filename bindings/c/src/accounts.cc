// accounts: register, login, refresh, logout, logout everywhere, check token, change password.
#include "internal.h"

using daira::JsonWriter;
using daira::cabi::RecordJson;

namespace {
using daira::UserId;
namespace services = daira::services;
}  // namespace

DAIRA_CABI_CALL(daira_accounts_register, "accounts.register") {
  services::RegisterRequest req;
  req.email = r.OptString("email");
  req.phone = r.OptString("phone");
  req.username = r.String("username");
  req.password = r.String("password");
  req.display_name = r.OptString("display_name");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::User user, p.accounts().Register(ctx, req));
  return RecordJson(daira::cabi::WriteUser, user);
}

DAIRA_CABI_CALL(daira_accounts_login, "accounts.login") {
  services::LoginRequest req;
  req.identifier = r.String("identifier");
  req.password = r.String("password");
  services::DeviceInfo device;
  device.device_type = r.String("device_type");
  device.device_name = r.String("device_name");
  device.ip_address = r.String("ip_address");
  device.user_agent = r.String("user_agent");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Session session, p.accounts().Login(ctx, req, device));
  return RecordJson(daira::cabi::WriteSession, session);
}

DAIRA_CABI_CALL(daira_accounts_refresh, "accounts.refresh") {
  services::RefreshRequest req;
  req.refresh_token = r.String("refresh_token");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Session session, p.accounts().Refresh(ctx, req));
  return RecordJson(daira::cabi::WriteSession, session);
}

DAIRA_CABI_CALL(daira_accounts_logout, "accounts.logout") {
  const std::string token = r.String("token");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.accounts().Logout(ctx, token));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_accounts_logout_everywhere, "accounts.logout_everywhere") {
  const UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t revoked, p.accounts().LogoutEverywhere(ctx, user));
  JsonWriter w;
  w.BeginObject().Key("revoked").Int(revoked).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_accounts_check_token, "accounts.check_token") {
  const std::string token = r.String("access_token");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Authenticated who, p.accounts().CheckAccessToken(ctx, token));
  JsonWriter w;
  w.BeginObject().Key("user");
  daira::cabi::WriteUser(w, who.user);
  w.Key("session");
  daira::cabi::WriteUserSession(w, who.session);
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_accounts_change_password, "accounts.change_password") {
  services::ChangePasswordRequest req;
  req.user_id = r.Id("user_id");
  req.current_password = r.String("current_password");
  req.new_password = r.String("new_password");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.accounts().ChangePassword(ctx, req));
  return daira::cabi::EmptyJson();
}
