#include "daira/services/account_requests.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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

namespace {

bool IsIpAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Device fields are free-form but bounded: checked in bytes first so a 50 MB value costs nothing more.
void AddDeviceViolations(Violations& v, const DeviceInfo& d) {
  auto text = [&v](std::string_view field, const std::string& value, size_t max) {
    if (value.size() > 4 * max) {
      v.Add(field, absl::StrCat("must be at most ", max, " characters (got ", value.size(), " bytes)"));
      return;
    }
    v.Text(field, value, 0, max, /*multiline=*/false);
  };
  text("device_type", d.device_type, kMaxDeviceTypeLength);
  text("device_name", d.device_name, kMaxDeviceNameLength);
  text("user_agent", d.user_agent, kMaxUserAgentLength);
  if (!d.ip_address.empty()) {
    if (d.ip_address.size() > kMaxIpAddressLength || d.ip_address.find('\0') != std::string::npos ||
        !IsIpAddress(d.ip_address)) {
      v.Add("ip_address", absl::StrCat("must be an IPv4 or IPv6 address (got ",
                                       QuoteForMessage(d.ip_address.substr(0, 64)), ")"));
    }
  }
}

void AddLoginViolations(Violations& v, const LoginRequest& r) {
  const std::string& identifier = r.identifier;
  if (identifier.empty()) {
    v.Add("identifier", "must not be empty");
  } else if (!ClassifyIdentifier(identifier).has_value()) {
    v.Add("identifier", absl::StrCat("must be an email address, an E.164 phone number or a username (got ",
                                     QuoteForMessage(identifier), ")"));
  }
  v.Length("password", r.password, 1, kMaxPasswordLength);
}

}  // namespace

absl::Status DeviceInfo::Validate() const {
  Violations v;
  AddDeviceViolations(v, *this);
  return v.ToStatus("login");
}

absl::Status LoginRequest::Validate() const {
  Violations v;
  AddLoginViolations(v, *this);
  return v.ToStatus("login");
}

absl::Status LoginRequest::Validate(const DeviceInfo& device) const {
  Violations v;
  AddLoginViolations(v, *this);
  AddDeviceViolations(v, device);
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
