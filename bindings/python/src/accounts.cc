// p.accounts (registration, login, sessions, passwords), p.users (user rows) and p.profiles.
// Every method releases the GIL for the daira call and raises daira.<Code> on failure.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/model/user.h"
#include "daira/services/accounts.h"
#include "daira/services/profiles.h"
#include "daira/services/user_repository.h"
#include "module.h"
#include "repository.h"

namespace daira::python {
namespace {

std::optional<model::UserStatus> ParseStatusArg(const std::optional<std::string>& s) {
  if (!s.has_value()) return std::nullopt;
  return Unwrap(model::ParseUserStatus(*s));
}

void BindAccounts(py::module_& m) {
  py::class_<AccountsApi>(m, "Accounts", "Registration, login, sessions (access + refresh tokens), passwords.")
      .def(
          "register",
          [](AccountsApi& a, std::string username, std::string password, std::optional<std::string> email,
             std::optional<std::string> phone, std::optional<std::string> display_name) {
            services::RegisterRequest r{.email = std::move(email),
                                        .phone = std::move(phone),
                                        .username = std::move(username),
                                        .password = std::move(password),
                                        .display_name = std::move(display_name)};
            return a.core->Call([&](Platform& p) { return p.accounts().Register(Ctx(), r); });
          },
          py::kw_only(), py::arg("username"), py::arg("password"), py::arg("email") = py::none(),
          py::arg("phone") = py::none(), py::arg("display_name") = py::none(),
          "Creates a user and profile. At least one of email/phone. Raises InvalidArgument listing every\n"
          "violation (see .violations), AlreadyExists naming the taken field.")
      .def(
          "login",
          [](AccountsApi& a, std::string identifier, std::string password, std::string device_type,
             std::string device_name, std::string ip_address, std::string user_agent) {
            services::LoginRequest r{.identifier = std::move(identifier), .password = std::move(password)};
            services::DeviceInfo d{.device_type = std::move(device_type),
                                   .device_name = std::move(device_name),
                                   .ip_address = std::move(ip_address),
                                   .user_agent = std::move(user_agent)};
            return a.core->Call([&](Platform& p) { return p.accounts().Login(Ctx(), r, d); });
          },
          py::kw_only(), py::arg("identifier"), py::arg("password"), py::arg("device_type") = "",
          py::arg("device_name") = "", py::arg("ip_address") = "", py::arg("user_agent") = "",
          "Logs in by email, E.164 phone or username → Session. Unauthenticated 'login: invalid\n"
          "credentials' for an unknown user or wrong password alike; PermissionDenied for a suspended,\n"
          "banned or deleted account.")
      .def(
          "check_access_token",
          [](AccountsApi& a, std::string token) {
            return a.core->Call([&](Platform& p) { return p.accounts().CheckAccessToken(Ctx(), token); });
          },
          py::arg("access_token"), "The user and session of a valid access token (else Unauthenticated).")
      .def(
          "refresh",
          [](AccountsApi& a, std::string token) {
            services::RefreshRequest r{.refresh_token = std::move(token)};
            return a.core->Call([&](Platform& p) { return p.accounts().Refresh(Ctx(), r); });
          },
          py::arg("refresh_token"),
          "Rotates a refresh token into a new Session. Presenting a rotated token again revokes the\n"
          "whole family and raises Unauthenticated.")
      .def(
          "logout",
          [](AccountsApi& a, std::string token) {
            a.core->Call([&](Platform& p) { return p.accounts().Logout(Ctx(), token); });
          },
          py::arg("token"), "Revokes the session of an access or refresh token.")
      .def(
          "logout_everywhere",
          [](AccountsApi& a, int64_t user_id) {
            return a.core->Call([&](Platform& p) { return p.accounts().LogoutEverywhere(Ctx(), UserId{user_id}); });
          },
          py::arg("user_id"), "Revokes every live session of the user; returns how many.")
      .def(
          "change_password",
          [](AccountsApi& a, int64_t user_id, std::string current_password, std::string new_password) {
            services::ChangePasswordRequest r{.user_id = user_id,
                                              .current_password = std::move(current_password),
                                              .new_password = std::move(new_password)};
            a.core->Call([&](Platform& p) { return p.accounts().ChangePassword(Ctx(), r); });
          },
          py::arg("user_id"), py::kw_only(), py::arg("current_password"), py::arg("new_password"),
          "Checks the current password, stores the new one and revokes every session.")
      .def("__repr__", [](const AccountsApi&) { return std::string("<daira.Accounts>"); });
}

// users.* `fields`: as every repository (repository.h), but the password hash is never read into Python.
services::UserFieldMask UserFields(const py::object& fields) {
  services::UserFieldMask mask = ParseFields(services::UserColumns(), fields);
  if (mask.Has(model::UserField::kPasswordHash)) {
    Throw(InvalidField("field mask", "fields", "names password_hash, which is never returned to Python"));
  }
  return mask;
}

void BindUsers(py::module_& m) {
  py::class_<UsersApi>(m, "Users", "Typed access to user rows (every status, including DELETED).")
      .def(
          "get",
          [](UsersApi& u, int64_t id, py::object fields, TxState* tx) {
            auto mask = UserFields(fields);
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().Get(ctx, UserId{id}, mask);
            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "The user with this id, reading only `fields` (None: all; the others read None); NotFound otherwise.")
      .def(
          "get_many",
          [](UsersApi& u, const std::vector<int64_t>& ids, py::object fields, TxState* tx) {
            auto mask = UserFields(fields);
            std::vector<UserId> typed = IdsOf<UserId>(ids);
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().GetMany(ctx, typed, mask);
            });
          },
          py::arg("user_ids"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "The users with these ids in one statement, in the order given, and the ids missing → UserBatch\n"
          "(.users, also as .items; .missing).")
      .def(
          "find_by_username",
          [](UsersApi& u, std::string username, py::object fields, TxState* tx) {
            auto mask = UserFields(fields);
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().FindByUsername(ctx, username, mask);
            });
          },
          py::arg("username"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "Looks up by username (normalized first); NotFound otherwise.")
      .def(
          "find_by_email",
          [](UsersApi& u, std::string email, py::object fields, TxState* tx) {
            auto mask = UserFields(fields);
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().FindByEmail(ctx, email, mask);
            });
          },
          py::arg("email"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "Looks up by email (lower-cased first); NotFound otherwise.")
      .def(
          "find_by_phone",
          [](UsersApi& u, std::string phone, py::object fields, TxState* tx) {
            auto mask = UserFields(fields);
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().FindByPhone(ctx, phone, mask);
            });
          },
          py::arg("phone"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "Looks up by E.164 phone; NotFound otherwise.")
      .def(
          "exists",
          [](UsersApi& u, int64_t id, TxState* tx) {
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().Exists(ctx, UserId{id});
            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Whether a user row with this id exists (any status).")
      .def(
          "count",
          [](UsersApi& u, std::optional<std::string> status, TxState* tx) {
            std::optional<model::UserStatus> st = ParseStatusArg(status);
            return CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().Count(ctx, st);
            });
          },
          py::kw_only(), py::arg("status") = py::none(), py::arg("tx") = py::none(),
          "Number of users, or of users with status ACTIVE | SUSPENDED | BANNED | DELETED.")
      .def(
          "delete",
          [](UsersApi& u, int64_t id, TxState* tx) {
            CallIn(u.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.users().Delete(ctx, UserId{id});
            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Soft delete (status DELETED). NotFound when there is no such user.")
      .def("__repr__", [](const UsersApi&) { return std::string("<daira.Users>"); });
}

void BindProfiles(py::module_& m) {
  py::class_<ProfilesApi>(m, "Profiles", "Profiles: view, edit, verification, trust score, badges, stats.")
      .def(
          "get",
          [](ProfilesApi& a, int64_t id) {
            return a.core->Call([&](Platform& p) { return p.profiles().Get(Ctx(), UserId{id}); });
          },
          py::arg("user_id"), "The user and profile; NotFound for unknown or deleted users.")
      .def(
          "update",
          [](ProfilesApi& a, int64_t id, std::optional<std::string> display_name, std::optional<std::string> bio,
             std::optional<std::string> location, std::optional<std::string> avatar_url,
             std::optional<bool> is_private) {
            services::UpdateProfileRequest r{.user_id = id,
                                             .display_name = std::move(display_name),
                                             .bio = std::move(bio),
                                             .location = std::move(location),
                                             .avatar_url = std::move(avatar_url),
                                             .is_private = is_private};
            return a.core->Call([&](Platform& p) { return p.profiles().Update(Ctx(), r); });
          },
          py::arg("user_id"), py::kw_only(), py::arg("display_name") = py::none(), py::arg("bio") = py::none(),
          py::arg("location") = py::none(), py::arg("avatar_url") = py::none(), py::arg("is_private") = py::none(),
          "Changes only the fields given (avatar_url='' removes the avatar); returns the ProfileView.")
      .def(
          "set_verified",
          [](ProfilesApi& a, int64_t id, bool verified) {
            a.core->Call([&](Platform& p) { return p.profiles().SetVerified(Ctx(), UserId{id}, verified); });
          },
          py::arg("user_id"), py::arg("verified"))
      .def(
          "adjust_trust_score",
          [](ProfilesApi& a, int64_t id, double delta) {
            return a.core->Call([&](Platform& p) { return p.profiles().AdjustTrustScore(Ctx(), UserId{id}, delta); });
          },
          py::arg("user_id"), py::arg("delta"), "Adds delta, clamped to [0, 1]; returns the new score.")
      .def(
          "add_badge",
          [](ProfilesApi& a, int64_t id, std::string badge) {
            a.core->Call([&](Platform& p) { return p.profiles().AddBadge(Ctx(), UserId{id}, badge); });
          },
          py::arg("user_id"), py::arg("badge"))
      .def(
          "remove_badge",
          [](ProfilesApi& a, int64_t id, std::string badge) {
            a.core->Call([&](Platform& p) { return p.profiles().RemoveBadge(Ctx(), UserId{id}, badge); });
          },
          py::arg("user_id"), py::arg("badge"))
      .def(
          "stats",
          [](ProfilesApi& a, int64_t id) {
            return a.core->Call([&](Platform& p) { return p.profiles().Stats(Ctx(), UserId{id}); });
          },
          py::arg("user_id"), "Followers, following, posts, videos and likes received.")
      .def("__repr__", [](const ProfilesApi&) { return std::string("<daira.Profiles>"); });
}

}  // namespace

void RegisterAccounts(py::module_& m) {
  BindAccounts(m);
  BindUsers(m);
  BindProfiles(m);
}

}  // namespace daira::python
