// URL parsing for configuration: `sqlite:PATH`, `sqlite::memory:`, `postgres://user:pw@host:port/db?k=v`,
// `redis://host:port/0`, `memory:`.
//
//   auto url = daira::ParseUrl("postgres://app:p%40ss@127.0.0.1:5433/app?replica=postgres://...&pool_max=20");
//   url->scheme    == "postgres";  url->password == "p@ss";  url->port == 5433;
//   url->Param("pool_max") == "20";  url->Params("replica") -> every replica URL
//
// Userinfo, path and query values are percent-decoded. A malformed URL is InvalidArgument saying what is
// wrong and where (the password is never echoed back).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::inline v0 {

struct Url {
  std::string scheme;    // lower-case, without ':'
  std::string user;      // decoded; "" if absent
  std::string password;  // decoded; "" if absent
  bool has_password = false;
  std::string host;      // "" for opaque URLs like sqlite:PATH
  int port = 0;          // 0 when absent
  // For hierarchical URLs the decoded path without the leading '/' (postgres db name, redis db index);
  // for opaque URLs (`sqlite:./a.db`, `sqlite::memory:`) everything after "scheme:" up to '?'.
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in order, repeats kept

  // The last value of `key`, if present.
  std::optional<std::string> Param(std::string_view key) const;
  // Every value of `key`, in order.
  std::vector<std::string> Params(std::string_view key) const;
  // The URL for logs and errors, every secret replaced by "***": the userinfo password, the value of
  // every secret-bearing parameter (IsSecretParam: password, sslpassword, …), and inside every
  // parameter whose value is itself a URL (a replica= URL), recursively. Print nothing else.
  std::string Redacted() const;
};

// True when a URL query parameter named `key` carries a secret (password, sslpassword, passwd,
// secret, token, api_key, …; case-insensitive): its value is never printed.
bool IsSecretParam(std::string_view key);

// Parses `text`. InvalidArgument on: empty input, missing scheme, bad port, bad percent-escape, etc.
absl::StatusOr<Url> ParseUrl(std::string_view text);

// Percent-decodes `s` ('+' is left alone). InvalidArgument on a truncated or non-hex escape.
absl::StatusOr<std::string> PercentDecode(std::string_view s);
std::string PercentEncode(std::string_view s);

}  // namespace daira::inline v0
