#include "daira/services/account_requests.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using internal::NonBlankText;

absl::Status RegisterRequest::Validate() const {
  Violations v;
  if (!email.has_value() && !phone.has_value()) v.Add("email", "or phone is required");
  if (email.has_value()) v.Email("email", *email);
  if (phone.has_value()) v.Phone("phone", *phone);
  v.Username("username", NormalizeUsername(username));
  v.Length("password", password, kMinPasswordLength, kMaxPasswordLength);
  if (display_name.has_value()) NonBlankText(v, "display_name", *display_name, kMaxDisplayNameLength, false);
  return v.ToStatus("register");
}

std::optional<IdentifierKind> ClassifyIdentifier(std::string_view identifier) {
  if (identifier.find('@') != std::string_view::npos) {
    return IsValidEmail(identifier) ? std::optional(IdentifierKind::kEmail) : std::nullopt;
  }
  if (!identifier.empty() && identifier.front() == '+') {
    return IsValidPhone(identifier) ? std::optional(IdentifierKind::kPhone) : std::nullopt;
  }
  if (IsValidUsername(NormalizeUsername(identifier))) return IdentifierKind::kUsername;
  return std::nullopt;
}

absl::Status LoginRequest::Validate() const {
  Violations v;
  if (identifier.empty()) {
    v.Add("identifier", "must not be empty");
  } else if (!ClassifyIdentifier(identifier).has_value()) {
    v.Add("identifier", absl::StrCat("must be an email address, an E.164 phone number or a username (got ",
                                     QuoteForMessage(identifier), ")"));
  }
  v.Length("password", password, 1, kMaxPasswordLength);
  return v.ToStatus("login");
}

absl::Status RefreshRequest::Validate() const {
  Violations v;
  // Never echo the token: check its alphabet without quoting it.
  const bool printable = std::all_of(refresh_token.begin(), refresh_token.end(),
                                     [](char c) { return c > 0x20 && c < 0x7F; });
  if (!printable) {
    v.Add("refresh_token", "must contain only printable ASCII characters without spaces");
  } else {
    v.Length("refresh_token", refresh_token, kMinRefreshTokenLength, kMaxRefreshTokenLength);
  }
  return v.ToStatus("refresh");
}

absl::Status UpdateProfileRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  if (display_name.has_value()) NonBlankText(v, "display_name", *display_name, kMaxDisplayNameLength, false);
  if (bio.has_value()) internal::BodyText(v, "bio", *bio, kMaxBioLength, /*multiline=*/true, /*required=*/false);
  if (location.has_value()) {
    internal::BodyText(v, "location", *location, kMaxLocationLength, /*multiline=*/false, /*required=*/false);
  }
  if (avatar_url.has_value() && !avatar_url->empty()) v.Url("avatar_url", *avatar_url);
  return v.ToStatus("update_profile");
}

absl::Status ChangePasswordRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  v.Length("current_password", current_password, 1, kMaxPasswordLength);
  if (v.Length("new_password", new_password, kMinPasswordLength, kMaxPasswordLength)) {
    v.Require("new_password", new_password != current_password, "must differ from current_password");
  }
  return v.ToStatus("change_password");
}

}  // namespace daira::inline v0::services
