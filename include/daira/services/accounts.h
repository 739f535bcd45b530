// Accounts: registration, login, sessions (access + refresh tokens with rotation and reuse
// detection), logout, password changes.
//
//   services::Accounts accounts(deps);                          // AccountsOptions{} = production cost
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(model::User alice,
//       accounts.Register(ctx, {.email = "a@x.io", .username = "Alice", .password = pw}));
//   DAIRA_ASSIGN_OR_RETURN(services::Session s, accounts.Login(ctx, {.identifier = "alice", .password = pw}));
//   DAIRA_ASSIGN_OR_RETURN(auto who, accounts.CheckAccessToken(ctx, s.access_token));   // who.user.id
//   DAIRA_ASSIGN_OR_RETURN(services::Session next, accounts.Refresh(ctx, {.refresh_token = s.refresh_token}));
//   DAIRA_RETURN_IF_ERROR(accounts.Logout(ctx, next.access_token));
//
// Security model:
//  * Passwords are hashed with argon2id (libsodium crypto_pwhash_str) at AccountsOptions' cost and
//    never logged, echoed in a message, or returned.
//  * Login fails with the same Unauthenticated "login: invalid credentials" for an unknown user and
//    for a wrong password, and verifies against a dummy hash when the user does not exist, so both
//    paths do the same work. Only after the password is right does the account's status matter:
//    SUSPENDED / BANNED / DELETED → PermissionDenied "login: account is suspended" (… banned, … deleted).
//  * Tokens are 256 random bits (base64url). The database stores only their BLAKE2b-256 hashes.
//    An access token is "<session id>.<secret>" (short-lived, default 15 min); a refresh token is the
//    bare secret (long-lived, default 30 days). One user_sessions row holds both.
//  * Refresh rotates: the presented session is revoked (replaced_by = the new row of the same family)
//    and a new pair is issued. Presenting a refresh token that was already rotated means it leaked:
//    every session of that family is revoked and the call fails with Unauthenticated
//    "refresh: token reuse detected; all sessions in this family were revoked".
//  * Time comes from ServiceDeps::clock (tests use a ManualClock for expiry).
//
// Thread-safety: an Accounts object is safe to use from any number of threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/user.h"
#include "daira/model/user_session.h"
#include "daira/services/account_requests.h"
#include "daira/services/service_deps.h"
#include "daira/services/user_repository.h"

namespace daira::inline v0::services {

// libsodium's argon2id cost presets (checked against sodium.h at build time).
inline constexpr uint64_t kPasswordOpsLimitInteractive = 2;         // crypto_pwhash_OPSLIMIT_INTERACTIVE
inline constexpr size_t kPasswordMemLimitInteractive = 67108864;    // crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB)
inline constexpr uint64_t kPasswordOpsLimitMin = 1;                 // crypto_pwhash_OPSLIMIT_MIN
inline constexpr size_t kPasswordMemLimitMin = 8192;                // crypto_pwhash_MEMLIMIT_MIN (8 KiB)

struct AccountsOptions {
  // argon2id passes. Default: libsodium's INTERACTIVE preset. Tests may use kPasswordOpsLimitMin.
  uint64_t password_opslimit = kPasswordOpsLimitInteractive;
  // argon2id memory in bytes. Default: 64 MiB (INTERACTIVE). Tests may use kPasswordMemLimitMin.
  size_t password_memlimit = kPasswordMemLimitInteractive;
  // Lifetime of an access token. Default 15 minutes.
  std::chrono::seconds access_token_ttl{15 * 60};
  // Lifetime of a refresh token (each rotation starts a new one). Default 30 days.
  std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};
  // How many argon2id computations (hash or verify) may run at once; each holds password_memlimit
  // bytes (64 MiB by default), so this bounds login memory. 0 (default): the number of hardware threads.
  int max_concurrent_password_hashes = 0;
  // How long a login/register waits for a free slot before failing with ResourceExhausted. Default 1 s.
  std::chrono::milliseconds password_hash_wait{1000};
  // Refresh-token reuse grace window: a rotated refresh token presented again within this time after
  // its rotation (a client retrying a refresh whose answer it never received) gets the same successor
  // session back instead of revoking the family. 0 disables it. Default 30 s; at most 5 minutes.
  std::chrono::seconds refresh_reuse_grace{30};

  // OK, or InvalidArgument naming the first option out of range: token TTLs 1 s to 10 years (larger
  // values would overflow the expiry time), password_memlimit/opslimit at least libsodium's minimum,
  // max_concurrent_password_hashes >= 0, password_hash_wait 0 to 1 min, refresh_reuse_grace 0 to 5 min.
  absl::Status Validate() const;

  // The cheapest cost libsodium allows: for tests only, never for real passwords.
  static AccountsOptions ForTesting() {
    AccountsOptions o;
    o.password_opslimit = kPasswordOpsLimitMin;
    o.password_memlimit = kPasswordMemLimitMin;
    return o;
  }
};

// What Login and Refresh return. The tokens are secrets: hand them to the client, never log them.
struct Session {
  std::string access_token;
  std::string refresh_token;
  Clock::TimePoint access_expires_at{};
  Clock::TimePoint refresh_expires_at{};
  SessionId session_id;
  model::User user;  // without password_hash
};

// Who an access token belongs to.
struct Authenticated {
  model::User user;             // without password_hash
  model::UserSession session;
};

class Accounts {
 public:
  explicit Accounts(const ServiceDeps& deps, const AccountsOptions& options = {});
  ~Accounts();
  Accounts(const Accounts&) = delete;
  Accounts& operator=(const Accounts&) = delete;

  // Creates a user and its profile in one transaction. The username is stored normalized
  // (NormalizeUsername), the email lower-cased. Fails with InvalidArgument listing every violation of
  // RegisterRequest::Validate, or AlreadyExists naming the field ("register: username is already
  // taken") — writing nothing either way.
  absl::StatusOr<model::User> Register(const RequestContext& ctx, const RegisterRequest& request) const;

  // Logs in by email, E.164 phone or username. Unauthenticated "login: invalid credentials" for an
  // unknown identifier or a wrong password (identical); PermissionDenied for a non-ACTIVE account
  // with the right password; InvalidArgument for a malformed request.
  absl::StatusOr<Session> Login(const RequestContext& ctx, const LoginRequest& request,
                                const DeviceInfo& device = {}) const;

  // The user and session of a valid access token. Unauthenticated when the token is malformed,
  // unknown, expired, revoked, or its user is no longer ACTIVE.
  absl::StatusOr<Authenticated> CheckAccessToken(const RequestContext& ctx, std::string_view access_token) const;

  // Rotates a refresh token into a new session of the same family. Unauthenticated when the token is
  // unknown, expired, revoked (logged out), or was already rotated (then the whole family is revoked
  // first); PermissionDenied when the user is no longer ACTIVE; InvalidArgument when malformed.
  absl::StatusOr<Session> Refresh(const RequestContext& ctx, const RefreshRequest& request) const;

  // Revokes the session of an access or refresh token. Revoking a revoked session is OK;
  // Unauthenticated when the token matches no session.
  absl::Status Logout(const RequestContext& ctx, std::string_view token) const;
  // Revokes every live session of `user`; returns how many were revoked.
  absl::StatusOr<int64_t> LogoutEverywhere(const RequestContext& ctx, UserId user) const;

  // Checks the current password (Unauthenticated "change_password: current password is wrong"),
  // stores the new hash and revokes every session of the user, in one transaction.
  absl::Status ChangePassword(const RequestContext& ctx, const ChangePasswordRequest& request) const;

  const UserRepository& users() const { return users_; }

 private:
  struct Impl;
  ServiceDeps deps_;
  AccountsOptions options_;
  absl::Status options_status_;  // options_.Validate(): every call fails with it when not OK
  UserRepository users_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace daira::inline v0::services
