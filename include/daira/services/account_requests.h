// Account requests (register, log in, refresh a session, edit a profile, change a password) and their
// validation rules. Each request is a plain struct; Validate() reports every broken rule at once.
//
//   daira::services::RegisterRequest r{.email = "a@x.io", .username = "Alice", .password = "hunter22!"};
//   absl::Status s = r.Validate();   // OK: the username is checked in its normalized form "alice"
//   r.password = "short";
//   s = r.Validate();                 // InvalidArgument "register: password must be 8 to 128 characters (got 5)"
//   for (const daira::Violation& v : daira::StatusViolations(s)) { /* v.field == "password" */ }
//
// Validation checks shape only (formats, lengths in characters, enums); whether a username is taken
// or a password is right is the service's job. Passwords are never echoed in messages. The full rule
// tables are in docs/validation.md.
//
// Thread-safety: requests are plain values; Validate() is const and touches nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::services {

inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 128;
inline constexpr size_t kMaxDisplayNameLength = 50;
inline constexpr size_t kMaxBioLength = 300;
inline constexpr size_t kMaxLocationLength = 100;
inline constexpr size_t kMinRefreshTokenLength = 16;
inline constexpr size_t kMaxRefreshTokenLength = 512;
inline constexpr size_t kMaxDeviceTypeLength = 32;
inline constexpr size_t kMaxDeviceNameLength = 100;
inline constexpr size_t kMaxUserAgentLength = 512;
inline constexpr size_t kMaxIpAddressLength = 45;  // the longest IPv6 text form (IPv4-mapped)

// Creates an account. At least one of email and phone is required. The service stores
// daira::NormalizeUsername(username) (trimmed, lower-cased); Validate() checks that form.
struct RegisterRequest {
  std::optional<std::string> email{};         // practical RFC 5322 subset (daira::IsValidEmail)
  std::optional<std::string> phone{};         // E.164, e.g. "+14155552671"
  std::string username{};                     // 3–30 of [a-z0-9_], starts with a letter (after normalizing)
  std::string password{};                     // 8–128 characters, any valid UTF-8
  std::optional<std::string> display_name{};  // 1–50 characters, single line

  // OK, or InvalidArgument ("register: …") listing every violation.
  absl::Status Validate() const;
};

// How a login identifier was recognized.
enum class IdentifierKind { kEmail, kPhone, kUsername };

// The kind of `identifier`: email if it contains '@' and is a valid address, phone if it starts with
// '+' and is E.164, username if its normalized form is a valid username; std::nullopt otherwise.
std::optional<IdentifierKind> ClassifyIdentifier(std::string_view identifier);

// Where a login comes from; stored on the session. Every field optional ("" = unknown), for display
// ("your sessions") and audit. Validated with the login request, before the password is hashed.
struct DeviceInfo {
  std::string device_type{};  // "ios", "android", "web", …: 0–32 characters, single line
  std::string device_name{};  // 0–100 characters, single line
  std::string ip_address{};   // "" or an IPv4 / IPv6 address in text form ("203.0.113.7", "2001:db8::1")
  std::string user_agent{};   // 0–512 characters, single line
  absl::Status Validate() const;  // op "login"
};

// Logs in with an email, a phone number or a username, and a password.
struct LoginRequest {
  std::string identifier{};  // email | E.164 phone | username
  std::string password{};    // 1–128 characters (the length rule for new passwords is not applied)
  absl::Status Validate() const;  // op "login"
  // The request and the device together: one InvalidArgument listing every violation of both.
  absl::Status Validate(const DeviceInfo& device) const;
};

// Exchanges a refresh token for a new session.
struct RefreshRequest {
  std::string refresh_token{};  // 16–512 printable ASCII characters, no spaces
  absl::Status Validate() const;  // op "refresh"
};

// Changes the given fields of a profile; fields left unset are neither validated nor changed.
struct UpdateProfileRequest {
  int64_t user_id = 0;                      // > 0
  std::optional<std::string> display_name{};  // 1–50 characters, single line
  std::optional<std::string> bio{};           // 0–300 characters, line breaks allowed
  std::optional<std::string> location{};      // 0–100 characters, single line
  std::optional<std::string> avatar_url{};    // http(s) URL, or "" to remove the avatar
  std::optional<bool> is_private{};
  absl::Status Validate() const;  // op "update_profile"
};

struct ChangePasswordRequest {
  int64_t user_id = 0;           // > 0
  std::string current_password{};  // 1–128 characters
  std::string new_password{};      // 8–128 characters, different from current_password
  absl::Status Validate() const;  // op "change_password"
};

}  // namespace daira::inline v0::services
