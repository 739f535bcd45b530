#include "daira/core/url.h"
#include "core/hex_internal.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daira/core/status.h"

// Grammar accepted (a practical subset of RFC 3986 for configuration URLs):
//
//   scheme ":" "//" [userinfo "@"] host [":" port] ["/" path] ["?" query]    hierarchical
//   scheme ":" opaque-path ["?" query]                                      opaque (sqlite:./a.db)
//
// Passwords are often pasted raw, so the userinfo is found leniently: it ends at the LAST '@' before the
// query ('?'), so a raw '@', ':' or '/' in a password works, while a raw '?' does not (percent-encode it
// as %3F), and a raw '@' in the path of a URL with a host is read as userinfo (encode it as %40). There
// are no fragments: '#' is an ordinary character.
// Error messages never contain the userinfo.

namespace daira::inline v0 {
namespace {

using internal::HexValue;

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-encodes every byte outside the unreserved set and `also_safe`.
std::string Encode(std::string_view s, std::string_view also_safe) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || also_safe.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

// Decodes one URL component; on error names the component and, unless `secret`, the bad escape.
absl::StatusOr<std::string> DecodeComponent(std::string_view s, std::string_view component,
                                            bool secret) {
  auto decoded = PercentDecode(s);
  if (decoded.ok()) return decoded;
  if (secret) {
    return InvalidField("url", component,
                        "has a bad percent-escape (a '%' must be followed by two hex digits)");
  }
  return InvalidField("url", component, std::string(ToStd(decoded.status().message())));
}

absl::Status ParseQuery(std::string_view query, Url& url) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string_view raw_key = item.substr(0, eq);
      std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      if (raw_key.empty()) {
        return InvalidField("url", "query", "has a parameter with an empty name");
      }
      DAIRA_ASSIGN_OR_RETURN(std::string key, DecodeComponent(raw_key, "query parameter name", false));
      // Values may hold secrets (a replica URL with its password): never echo them.
      DAIRA_ASSIGN_OR_RETURN(std::string value,
                             DecodeComponent(raw_value, absl::StrCat("query parameter ", key), true));
      url.params.emplace_back(std::move(key), std::move(value));
    }
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::Status ParseHostPort(std::string_view hostport, bool may_hold_secret, Url& url) {
  std::string_view port_text;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      return InvalidField("url", "host", "has an unterminated IPv6 literal (missing ']')");
    }
    std::string_view literal = hostport.substr(1, close - 1);
    if (literal.empty()) return InvalidField("url", "host", "has an empty IPv6 literal");
    for (char c : literal) {
      if (!(absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%')) {
        return InvalidField("url", "host",
                            absl::StrCat("is not a valid IPv6 literal (got \"[", ToAbsl(literal), "]\")"));
      }
    }
    url.host = std::string(literal);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return InvalidField("url", "host", "has characters after the IPv6 literal (expected ':port')");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = hostport.rfind(':');
    std::string_view host = hostport;
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port_text = hostport.substr(colon + 1);
      has_port = true;
      if (host.find(':') != std::string_view::npos) {
        return InvalidField("url", "host",
                            "has more than one ':' (an IPv6 address must be in brackets, e.g. [::1])");
      }
    }
    DAIRA_ASSIGN_OR_RETURN(url.host, DecodeComponent(host, "host", false));
  }
  if (has_port && !port_text.empty()) {
    bool digits = port_text.size() <= 5;
    for (char c : port_text) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!digits) {
      bool all_digits = true;
      for (char c : port_text) all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
      if (all_digits) {
        return InvalidField("url", "port", absl::StrCat("is out of range 1-65535 (got ", ToAbsl(port_text), ")"));
      }
      if (may_hold_secret) {
        return InvalidField("url", "port",
                            "is not a number (if the password contains '?', percent-encode it as %3F)");
      }
      return InvalidField("url", "port", absl::StrCat("is not a number (got \"", ToAbsl(port_text), "\")"));
    }
    int port = 0;
    for (char c : port_text) port = port * 10 + (c - '0');
    if (port < 1 || port > 65535) {
      return InvalidField("url", "port", absl::StrCat("is out of range 1-65535 (got ", port, ")"));
    }
    url.port = port;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("percent-decode: escape is truncated (got \"", ToAbsl(s.substr(i)), "\")"));
    }
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("percent-decode: escape is not two hex digits (got \"", ToAbsl(s.substr(i, 3)), "\")"));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PercentEncode(std::string_view s) { return Encode(s, ""); }

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  if (text.empty()) return InvalidField("url", "url", "is empty");
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      return InvalidField("url", "url", absl::StrCat("contains a control character at offset ", i));
    }
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidField("url", "scheme", "is missing (expected scheme:..., e.g. sqlite:./app.db)");
  }
  Url url;
  std::string_view scheme = text.substr(0, colon);
  if (!absl::ascii_isalpha(static_cast<unsigned char>(scheme.front()))) {
    return InvalidField("url", "scheme", "must start with a letter");
  }
  for (char c : scheme) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) {
      return InvalidField("url", "scheme",
                          "has an invalid character (expected letters, digits, '+', '-', '.')");
    }
  }
  url.scheme = absl::AsciiStrToLower(ToAbsl(scheme));
  std::string_view rest = text.substr(colon + 1);

  if (rest.substr(0, 2) != "//") {
    // Opaque: sqlite:./a.db, sqlite::memory:, memory:, file:./blobs.
    size_t q = rest.find('?');
    DAIRA_ASSIGN_OR_RETURN(url.path, DecodeComponent(rest.substr(0, q), "path", false));
    if (q != std::string_view::npos) DAIRA_RETURN_IF_ERROR(ParseQuery(rest.substr(q + 1), url));
    return url;
  }

  std::string_view s = rest.substr(2);
  // Userinfo: see the grammar note at the top of this file.
  std::string_view pre = s.substr(0, s.find('?'));
  size_t first_at = pre.find('@');
  bool userinfo_seen = false;
  if (first_at != std::string_view::npos) {
    size_t at = pre.rfind('@');
    std::string_view userinfo = s.substr(0, at);
    s = s.substr(at + 1);
    userinfo_seen = true;
    size_t c = userinfo.find(':');
    DAIRA_ASSIGN_OR_RETURN(url.user, DecodeComponent(userinfo.substr(0, c), "user", true));
    if (c != std::string_view::npos) {
      url.has_password = true;
      DAIRA_ASSIGN_OR_RETURN(url.password, DecodeComponent(userinfo.substr(c + 1), "password", true));
    }
  }
  size_t authority_end = s.find_first_of("/?");
  std::string_view hostport = s.substr(0, authority_end);
  // Without userinfo, a later '@' hints that a raw '?' in a password cut the authority short: then the
  // "port" may be part of the password and must not be echoed.
  const bool may_hold_secret = !userinfo_seen && s.find('@') != std::string_view::npos;
  if (hostport.find(',') == std::string_view::npos) {
    DAIRA_RETURN_IF_ERROR(ParseHostPort(hostport, may_hold_secret, url));
  } else {
    // libpq's multi-host authority, "h1:p1,h2:p2": the hosts become a host list and the ports a `port`
    // parameter list (empty where a host has none: the default port), as libpq's own keywords take them.
    std::vector<std::string> hosts, ports;
    bool any_port = false;
    for (absl::string_view piece : absl::StrSplit(ToAbsl(hostport), ',')) {
      const std::string_view one = ToStd(piece);
      Url part;
      DAIRA_RETURN_IF_ERROR(ParseHostPort(one, may_hold_secret, part));
      if (part.host.empty()) return InvalidField("url", "host", "has an empty entry in its host list");
      hosts.push_back(part.host);
      ports.push_back(part.port != 0 ? std::to_string(part.port) : "");
      any_port = any_port || part.port != 0;
    }
    url.host = absl::StrJoin(hosts, ",");
    if (any_port) url.params.emplace_back("port", absl::StrJoin(ports, ","));
  }
  if (authority_end == std::string_view::npos) return url;
  s = s.substr(authority_end);
  size_t q = s.find('?');
  std::string_view path = s.substr(0, q);
  if (!path.empty()) {
    // path starts with '/': drop it (postgres db name, redis db index).
    DAIRA_ASSIGN_OR_RETURN(url.path, DecodeComponent(path.substr(1), "path", false));
  }
  if (q != std::string_view::npos) DAIRA_RETURN_IF_ERROR(ParseQuery(s.substr(q + 1), url));
  if (url.host.find(',') != std::string::npos && url.Params("port").size() > 1) {
    return InvalidField("url", "port", "is given both in the host list (h1:p1,h2:p2) and as ?port=; give it once");
  }
  return url;
}

std::optional<std::string> Url::Param(std::string_view key) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return std::nullopt;
}

std::vector<std::string> Url::Params(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k == key) out.push_back(v);
  }
  return out;
}

bool IsSecretParam(std::string_view key) {
  const std::string k = absl::AsciiStrToLower(ToAbsl(key));
  for (std::string_view word : {"password", "passwd", "pwd", "secret", "token", "apikey", "api_key",
                                "access_key", "private_key", "credential", "auth"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return k == "pass";
}

namespace {

std::string RedactedAt(const Url& url, int depth);

// A parameter value as printed by Redacted(): a secret-bearing name hides its value; a value that is
// itself a URL is redacted recursively (a replica URL with a password, in userinfo or as ?password=);
// a value that looks like a URL but does not parse is hidden whole (it may still hold a password).
std::string RedactedParamValue(std::string_view key, std::string_view value, int depth) {
  if (IsSecretParam(key)) return "***";
  const bool looks_like_url = value.find("://") != std::string_view::npos;
  if (looks_like_url) {
    if (depth > 4) return "***";
    auto nested = ParseUrl(value);
    if (!nested.ok()) return "***";
    return Encode(RedactedAt(*nested, depth + 1), "/:@*");
  }
  if (value.find('@') != std::string_view::npos && value.find(':') != std::string_view::npos) {
    // "user:pw@host" without a scheme: treat as credentials.
    return "***";
  }
  return Encode(value, "/:");
}

// `depth` bounds the recursion: "k=s://h?k=s://h?…" nests once per repetition.
std::string RedactedAt(const Url& url, int depth) {
  const auto& [scheme, user, password, has_password, host, port, path, params] = url;
  (void)password;
  std::string out = scheme + ":";
  const bool hierarchical = !host.empty() || !user.empty() || has_password || port != 0;
  if (hierarchical) {
    out += "//";
    if (!user.empty() || has_password) {
      out += Encode(user, "");
      if (has_password) out += ":***";
      out += "@";
    }
    if (host.find(',') != std::string::npos) {
      out += Encode(host, ",:");  // a host list (its ports are in the port parameter)
    } else if (host.find(':') != std::string::npos) {
      out += "[" + host + "]";
    } else {
      out += Encode(host, "");
    }
    if (port != 0) out += ":" + std::to_string(port);
    if (!path.empty()) out += "/" + Encode(path, "/:");
  } else {
    out += Encode(path, "/:");
  }
  char sep = '?';
  for (const auto& [k, v] : params) {
    out += sep;
    sep = '&';
    out += Encode(k, "");
    out += '=';
    out += RedactedParamValue(k, v, depth);
  }
  return out;
}

}  // namespace

std::string Url::Redacted() const { return RedactedAt(*this, 0); }

}  // namespace daira::inline v0
