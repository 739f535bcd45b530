// p.accounts (registration, login, sessions, passwords), p.users (user rows) and p.profiles, as
// descriptions (service_call.h). Every method releases the GIL for the daira call and raises
// daira.<Code> on failure.
#include "daira/services/accounts.h"

#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/model/user.h"
#include "daira/services/profiles.h"
#include "daira/services/user_repository.h"
#include "module.h"
#include "repository.h"
#include "service_call.h"

namespace daira::python {
namespace {

// users.* `fields`: as every repository (repository.h), but the password hash is never read into Python.
struct UsersTraits {
  using Api = UsersApi;
  static services::UserRepository& Repo(Platform& p) { return p.users(); }
  static const query::FieldTable<model::UserField>& Columns() { return services::UserColumns(); }
  static services::UserFieldMask Mask(const py::object& fields) {
    services::UserFieldMask mask = ParseFields(services::UserColumns(), fields);
    if (mask.Has(model::UserField::kPasswordHash)) {
      Throw(InvalidField("field mask", "fields", "names password_hash, which is never returned to Python"));
    }
    return mask;
  }
};

}  // namespace

// users.count(status=): the status by model::ParseUserStatus (exact names, its own error).
template <>
struct ArgOf<UsersTraits, std::optional<model::UserStatus>> {
  using Py = std::optional<std::string>;
  static std::optional<model::UserStatus> From(const Py& s, const Where&) {
    if (!s.has_value()) return std::nullopt;
    return Unwrap(model::ParseUserStatus(*s));
  }
};

namespace {

void BindAccounts(py::module_& m) {
  using services::Accounts;
  constexpr auto kAccounts = &Platform::accounts;
  py::class_<AccountsApi> c(m, "Accounts",
                            "Registration, login, sessions (access + refresh tokens), passwords.");
  using Reg = services::RegisterRequest;
  DefRequest<kAccounts, &Accounts::Register,
             Fields<&Reg::username, &Reg::password, &Reg::email, &Reg::phone, &Reg::display_name>>(
      c, NoTx{"register"}, py::kw_only(), py::arg("username"), py::arg("password"),
      py::arg("email") = py::none(), py::arg("phone") = py::none(), py::arg("display_name") = py::none(),
      "Creates a user and profile. At least one of email/phone. Raises InvalidArgument listing every\n"
      "violation (see .violations), AlreadyExists naming the taken field.");
  using Login = services::LoginRequest;
  using Device = services::DeviceInfo;
  DefRequest<kAccounts, &Accounts::Login,
             Fields<&Login::identifier, &Login::password, &Device::device_type, &Device::device_name,
                    &Device::ip_address, &Device::user_agent>>(
      c, NoTx{"login"}, py::kw_only(), py::arg("identifier"), py::arg("password"),
      py::arg("device_type") = "", py::arg("device_name") = "", py::arg("ip_address") = "",
      py::arg("user_agent") = "",
      "Logs in by email, E.164 phone or username → Session. Unauthenticated 'login: invalid\n"
      "credentials' for an unknown user or wrong password alike; PermissionDenied for a suspended,\n"
      "banned or deleted account.");
  DefCall<kAccounts, &Accounts::CheckAccessToken>(
      c, NoTx{"check_access_token"}, py::arg("access_token"),
      "The user and session of a valid access token (else Unauthenticated).");
  DefRequest<kAccounts, &Accounts::Refresh, Fields<&services::RefreshRequest::refresh_token>>(
      c, NoTx{"refresh"}, py::arg("refresh_token"),
      "Rotates a refresh token into a new Session. Presenting a rotated token again revokes the\n"
      "whole family and raises Unauthenticated.");
  DefCall<kAccounts, &Accounts::Logout>(c, NoTx{"logout"}, py::arg("token"),
                                        "Revokes the session of an access or refresh token.");
  DefCall<kAccounts, &Accounts::LogoutEverywhere>(
      c, NoTx{"logout_everywhere"}, py::arg("user_id"),
      "Revokes every live session of the user; returns how many.");
  using Change = services::ChangePasswordRequest;
  DefRequest<kAccounts, &Accounts::ChangePassword,
             Fields<&Change::user_id, &Change::current_password, &Change::new_password>>(
      c, NoTx{"change_password"}, py::arg("user_id"), py::kw_only(), py::arg("current_password"),
      py::arg("new_password"), "Checks the current password, stores the new one and revokes every session.");
  c.def("__repr__", [](const AccountsApi&) { return std::string("<daira.Accounts>"); });
}

void BindUsers(py::module_& m) {
  using Repo = services::UserRepository;
  py::class_<UsersApi> c(m, "Users", "Typed access to user rows (every status, including DELETED).");
  DefRepoCall<UsersTraits, &Repo::Get>(
      c, "get", py::arg("user_id"), py::kw_only(), py::arg("fields") = py::none(), TxArg(),
      "The user with this id, reading only `fields` (None: all; the others read None); NotFound otherwise.");
  DefRepoCall<UsersTraits, &Repo::GetMany>(
      c, "get_many", py::arg("user_ids"), py::kw_only(), py::arg("fields") = py::none(), TxArg(),
      "The users with these ids in one statement, in the order given, and the ids missing → UserBatch\n"
      "(.users, also as .items; .missing).");
  DefRepoCall<UsersTraits, &Repo::FindByUsername>(
      c, "find_by_username", py::arg("username"), py::kw_only(), py::arg("fields") = py::none(), TxArg(),
      "Looks up by username (normalized first); NotFound otherwise.");
  DefRepoCall<UsersTraits, &Repo::FindByEmail>(c, "find_by_email", py::arg("email"), py::kw_only(),
                                               py::arg("fields") = py::none(), TxArg(),
                                               "Looks up by email (lower-cased first); NotFound otherwise.");
  DefRepoCall<UsersTraits, &Repo::FindByPhone>(c, "find_by_phone", py::arg("phone"), py::kw_only(),
                                               py::arg("fields") = py::none(), TxArg(),
                                               "Looks up by E.164 phone; NotFound otherwise.");
  DefRepoCall<UsersTraits, &Repo::Exists>(c, "exists", py::arg("user_id"), py::kw_only(), TxArg(),
                                          "Whether a user row with this id exists (any status).");
  DefRepoCall<UsersTraits, &Repo::Count>(
      c, "count", py::kw_only(), py::arg("status") = py::none(), TxArg(),
      "Number of users, or of users with status ACTIVE | SUSPENDED | BANNED | DELETED.");
  DefRepoCall<UsersTraits, &Repo::Delete>(
      c, "delete", py::arg("user_id"), py::kw_only(), TxArg(),
      "Soft delete (status DELETED). NotFound when there is no such user.");
  c.def("__repr__", [](const UsersApi&) { return std::string("<daira.Users>"); });
}

void BindProfiles(py::module_& m) {
  using services::Profiles;
  constexpr auto kProfiles = &Platform::profiles;
  py::class_<ProfilesApi> c(m, "Profiles", "Profiles: view, edit, verification, trust score, badges, stats.");
  DefCall<kProfiles, &Profiles::Get>(c, NoTx{"get"}, py::arg("user_id"),
                                     "The user and profile; NotFound for unknown or deleted users.");
  using Update = services::UpdateProfileRequest;
  DefRequest<kProfiles, &Profiles::Update,
             Fields<&Update::user_id, &Update::display_name, &Update::bio, &Update::location,
                    &Update::avatar_url, &Update::is_private>>(
      c, NoTx{"update"}, py::arg("user_id"), py::kw_only(), py::arg("display_name") = py::none(),
      py::arg("bio") = py::none(), py::arg("location") = py::none(), py::arg("avatar_url") = py::none(),
      py::arg("is_private") = py::none(),
      "Changes only the fields given (avatar_url='' removes the avatar); returns the ProfileView.");
  DefCall<kProfiles, &Profiles::SetVerified>(c, NoTx{"set_verified"}, py::arg("user_id"),
                                             py::arg("verified"));
  DefCall<kProfiles, &Profiles::AdjustTrustScore>(c, NoTx{"adjust_trust_score"}, py::arg("user_id"),
                                                  py::arg("delta"),
                                                  "Adds delta, clamped to [0, 1]; returns the new score.");
  DefCall<kProfiles, &Profiles::AddBadge>(c, NoTx{"add_badge"}, py::arg("user_id"), py::arg("badge"));
  DefCall<kProfiles, &Profiles::RemoveBadge>(c, NoTx{"remove_badge"}, py::arg("user_id"), py::arg("badge"));
  DefCall<kProfiles, &Profiles::Stats>(c, NoTx{"stats"}, py::arg("user_id"),
                                       "Followers, following, posts, videos and likes received.");
  c.def("__repr__", [](const ProfilesApi&) { return std::string("<daira.Profiles>"); });
}

}  // namespace

void RegisterAccounts(py::module_& m) {
  BindAccounts(m);
  BindUsers(m);
  BindProfiles(m);
}

}  // namespace daira::python
