// accounts: register, login, refresh, logout, logout everywhere, check token, change password — each
// call described by its service method and its fields (service_call.h).
#include "internal.h"
#include "service_call.h"

namespace {
using daira::UserId;
namespace services = daira::services;
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables

const Record<daira::model::User> kUserJson{daira::cabi::WriteUser};
const Record<services::Session> kSessionJson{daira::cabi::WriteSession};
constexpr auto kAccounts = &daira::Platform::accounts;

// {"user": …, "session": …}.
std::string AuthenticatedJson(const services::Authenticated& who) {
  daira::JsonWriter w;
  w.BeginObject().Key("user");
  daira::cabi::WriteUser(w, who.user);
  w.Key("session");
  daira::cabi::WriteUserSession(w, who.session);
  w.EndObject();
  return w.Take();
}

}  // namespace

DAIRA_CABI_SERVICE_CALL(
    daira_accounts_register, "accounts.register", kAccounts, &services::Accounts::Register, kUserJson,
    Struct<services::RegisterRequest>(Set{&services::RegisterRequest::email, OptStr{"email"}},
                                      Set{&services::RegisterRequest::phone, OptStr{"phone"}},
                                      Set{&services::RegisterRequest::username, Str{"username"}},
                                      Set{&services::RegisterRequest::password, Str{"password"}},
                                      Set{&services::RegisterRequest::display_name, OptStr{"display_name"}}))
DAIRA_CABI_SERVICE_CALL(
    daira_accounts_login, "accounts.login", kAccounts, &services::Accounts::Login, kSessionJson,
    Struct<services::LoginRequest>(Set{&services::LoginRequest::identifier, Str{"identifier"}},
                                   Set{&services::LoginRequest::password, Str{"password"}}),
    Struct<services::DeviceInfo>(Set{&services::DeviceInfo::device_type, Str{"device_type"}},
                                 Set{&services::DeviceInfo::device_name, Str{"device_name"}},
                                 Set{&services::DeviceInfo::ip_address, Str{"ip_address"}},
                                 Set{&services::DeviceInfo::user_agent, Str{"user_agent"}}))
DAIRA_CABI_SERVICE_CALL(daira_accounts_refresh, "accounts.refresh", kAccounts, &services::Accounts::Refresh,
                        kSessionJson,
                        Struct<services::RefreshRequest>(Set{&services::RefreshRequest::refresh_token,
                                                             Str{"refresh_token"}}))
DAIRA_CABI_SERVICE_CALL(daira_accounts_logout, "accounts.logout", kAccounts, &services::Accounts::Logout,
                        Empty{}, Str{"token"})
DAIRA_CABI_SERVICE_CALL(daira_accounts_logout_everywhere, "accounts.logout_everywhere", kAccounts,
                        &services::Accounts::LogoutEverywhere, Count{"revoked"}, IdAs<UserId>{"user_id"})
DAIRA_CABI_SERVICE_CALL(daira_accounts_check_token, "accounts.check_token", kAccounts,
                        &services::Accounts::CheckAccessToken, AuthenticatedJson, Str{"access_token"})
DAIRA_CABI_SERVICE_CALL(daira_accounts_change_password, "accounts.change_password", kAccounts,
                        &services::Accounts::ChangePassword, Empty{},
                        Struct<services::ChangePasswordRequest>(
                            Set{&services::ChangePasswordRequest::user_id, Id{"user_id"}},
                            Set{&services::ChangePasswordRequest::current_password, Str{"current_password"}},
                            Set{&services::ChangePasswordRequest::new_password, Str{"new_password"}}))
