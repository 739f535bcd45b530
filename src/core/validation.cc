#include "daira/core/validation.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/core/utf8.h"

namespace daira::inline v0 {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsAsciiAlpha(c) || IsAsciiDigit(c); }

// RFC 5322 atext.
bool IsAtext(char c) {
  if (IsAsciiAlnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// A DNS label: 1-63 letters/digits/hyphens, no leading or trailing hyphen.
bool IsDnsLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return IsAsciiAlnum(c) || c == '-'; });
}

// A hostname: dot-separated DNS labels (a single trailing dot, the root, is allowed).
bool IsHostname(std::string_view host, bool require_dot) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return false;
  if (require_dot && host.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsDnsLabel(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsTld(std::string_view tld) {
  if (tld.size() >= 4 && (tld.substr(0, 4) == "xn--" || tld.substr(0, 4) == "XN--")) return tld.size() > 4;
  return tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), IsAsciiAlpha);
}

bool IsHexDigit(char c) { return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// "[v6 literal]": hex digits, colons, dots (embedded IPv4), at least two colons. Not a full parser.
bool IsIpv6Literal(std::string_view host) {
  if (host.size() < 4 || host.front() != '[' || host.back() != ']') return false;
  std::string_view inner = host.substr(1, host.size() - 2);
  if (std::count(inner.begin(), inner.end(), ':') < 2) return false;
  return std::all_of(inner.begin(), inner.end(), [](char c) { return IsHexDigit(c) || c == ':' || c == '.'; });
}

std::string JoinAllowed(const std::string_view* begin, const std::string_view* end) {
  std::string out;
  for (const std::string_view* it = begin; it != end; ++it) {
    if (it != begin) out += ", ";
    out.append(it->data(), it->size());
  }
  return out;
}

bool OneOfImpl(Violations& v, std::string_view field, std::string_view value, const std::string_view* begin,
               const std::string_view* end) {
  for (const std::string_view* it = begin; it != end; ++it) {
    if (*it == value) return true;
  }
  v.Add(field, absl::StrCat("must be one of ", JoinAllowed(begin, end), " (got ", QuoteForMessage(value), ")"));
  return false;
}

std::string CharacterWord(size_t n) { return n == 1 ? "character" : "characters"; }

}  // namespace

bool IsValidEmail(std::string_view s) {
  if (s.empty() || s.size() > kMaxEmailLength) return false;
  const size_t at = s.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view local = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (local.empty() || local.size() > kMaxEmailLocalLength) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  for (char c : local) {
    if (!IsAtext(c) && c != '.') return false;  // also rejects a second '@', spaces, non-ASCII
  }
  if (domain.empty() || domain.back() == '.') return false;
  if (!IsHostname(domain, /*require_dot=*/true)) return false;
  return IsTld(domain.substr(domain.rfind('.') + 1));
}

bool IsValidPhone(std::string_view s) {
  if (s.size() < 1 + kMinPhoneDigits || s.size() > 1 + kMaxPhoneDigits) return false;
  if (s[0] != '+' || s[1] == '0') return false;
  return std::all_of(s.begin() + 1, s.end(), IsAsciiDigit);
}

bool IsValidUsername(std::string_view s) {
  if (s.size() < kMinUsernameLength || s.size() > kMaxUsernameLength) return false;
  if (!(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || IsAsciiDigit(c) || c == '_'; });
}

bool IsValidUrl(std::string_view s) {
  if (s.empty() || s.size() > kMaxUrlLength) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;  // printable ASCII only, no spaces
  }
  const size_t colon = s.find("://");
  if (colon == std::string_view::npos) return false;
  std::string scheme(s.substr(0, colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  if (scheme != "http" && scheme != "https") return false;
  std::string_view rest = s.substr(colon + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  // Port: digits after the last ':' that is outside an IPv6 literal.
  const size_t close = authority.rfind(']');
  const size_t port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos && (close == std::string_view::npos || port_colon > close)) {
    std::string_view port = authority.substr(port_colon + 1);
    host = authority.substr(0, port_colon);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), IsAsciiDigit)) return false;
    int p = 0;
    std::from_chars(port.data(), port.data() + port.size(), p);
    if (p < 1 || p > 65535) return false;
  }
  if (host.empty()) return false;
  if (host.front() == '[') return IsIpv6Literal(host);
  return IsHostname(host, /*require_dot=*/false);
}

bool IsValidCurrency(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string NormalizeUsername(std::string_view s) {
  std::string out(TrimWhitespace(s));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string QuoteForMessage(std::string_view value, size_t max_chars) {
  std::string out = "\"";
  size_t pos = 0;
  size_t chars = 0;
  while (pos < value.size()) {
    if (chars == max_chars) {
      out += "\xE2\x80\xA6";  // …
      break;
    }
    const size_t start = pos;
    const char32_t c = Utf8Decode(value, &pos);
    ++chars;
    if (c == kUtf8Invalid) {
      absl::StrAppendFormat(&out, "\\x%02X", static_cast<unsigned char>(value[start]));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (IsControlCharacter(c, /*allow_line_breaks=*/false)) {
      absl::StrAppendFormat(&out, "\\u%04X", static_cast<unsigned>(c));
    } else {
      out.append(value.substr(start, pos - start).data(), pos - start);
    }
  }
  out += '"';
  return out;
}

bool Violations::Require(std::string_view field, bool condition, std::string_view message) {
  if (!condition) Add(field, message);
  return condition;
}

void Violations::Add(std::string_view field, std::string_view message) {
  list_.push_back(Violation{std::string(field), std::string(message)});
}

bool Violations::Utf8(std::string_view field, std::string_view value) {
  std::optional<size_t> bad = FindInvalidUtf8(value);
  if (!bad.has_value()) return true;
  Add(field, absl::StrCat("must be valid UTF-8 (bad byte at offset ", *bad, ")"));
  return false;
}

bool Violations::OpaqueAscii(std::string_view field, std::string_view value, size_t min, size_t max) {
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  if (!printable) {
    Add(field, absl::StrCat("must contain only printable ASCII characters without spaces (got ",
                            QuoteForMessage(value), ")"));
    return false;
  }
  return Length(field, value, min, max);
}

bool Violations::Length(std::string_view field, std::string_view value, size_t min, size_t max) {
  if (!Utf8(field, value)) return false;
  const size_t n = *Utf8Length(value);
  if (n >= min && n <= max) return true;
  if (min == 1 && n == 0) {
    Add(field, "must not be empty");
  } else if (min == max) {
    Add(field, absl::StrCat("must be exactly ", min, " ", CharacterWord(min), " (got ", n, ")"));
  } else if (min == 0) {
    Add(field, absl::StrCat("must be at most ", max, " ", CharacterWord(max), " (got ", n, ")"));
  } else {
    Add(field, absl::StrCat("must be ", min, " to ", max, " characters (got ", n, ")"));
  }
  return false;
}

bool Violations::NoControlCharacters(std::string_view field, std::string_view value, bool allow_line_breaks) {
  size_t pos = 0;
  size_t index = 0;
  while (pos < value.size()) {
    const char32_t c = Utf8Decode(value, &pos);
    ++index;
    if (c != kUtf8Invalid && IsControlCharacter(c, allow_line_breaks)) {
      Add(field, absl::StrFormat("must not contain control characters (U+%04X at character %d)",
                                 static_cast<unsigned>(c), index));
      return false;
    }
  }
  return true;
}

bool Violations::Text(std::string_view field, std::string_view value, size_t min, size_t max, bool multiline) {
  if (!Length(field, value, min, max)) return false;
  return NoControlCharacters(field, value, multiline);
}

bool Violations::Email(std::string_view field, std::string_view value) {
  if (IsValidEmail(value)) return true;
  if (value.size() > kMaxEmailLength) {
    Add(field, absl::StrCat("must be a valid email address of at most ", kMaxEmailLength, " characters (got ",
                            Utf8LengthLenient(value), ")"));
  } else {
    Add(field, absl::StrCat("must be a valid email address (got ", QuoteForMessage(value), ")"));
  }
  return false;
}

bool Violations::Phone(std::string_view field, std::string_view value) {
  if (IsValidPhone(value)) return true;
  Add(field, absl::StrCat("must be an E.164 phone number: + and ", kMinPhoneDigits, " to ", kMaxPhoneDigits,
                          " digits (got ", QuoteForMessage(value), ")"));
  return false;
}

bool Violations::Username(std::string_view field, std::string_view value) {
  if (IsValidUsername(value)) return true;
  const size_t n = Utf8LengthLenient(value);
  if (n < kMinUsernameLength || n > kMaxUsernameLength) {
    Add(field, absl::StrCat("must be ", kMinUsernameLength, " to ", kMaxUsernameLength, " characters (got ", n, ")"));
  } else {
    Add(field, absl::StrCat("must start with a letter and contain only a-z, 0-9 and _ (got ",
                            QuoteForMessage(value), ")"));
  }
  return false;
}

bool Violations::Url(std::string_view field, std::string_view value) {
  if (IsValidUrl(value)) return true;
  if (value.size() > kMaxUrlLength) {
    Add(field, absl::StrCat("must be an http(s) URL of at most ", kMaxUrlLength, " characters (got ",
                            Utf8LengthLenient(value), ")"));
  } else {
    Add(field, absl::StrCat("must be an http or https URL with a host (got ", QuoteForMessage(value), ")"));
  }
  return false;
}

bool Violations::Currency(std::string_view field, std::string_view value) {
  if (IsValidCurrency(value)) return true;
  Add(field, absl::StrCat("must be a 3-letter upper-case currency code (got ", QuoteForMessage(value), ")"));
  return false;
}

bool Violations::OneOf(std::string_view field, std::string_view value,
                       std::initializer_list<std::string_view> allowed) {
  return OneOfImpl(*this, field, value, allowed.begin(), allowed.end());
}

bool Violations::OneOf(std::string_view field, std::string_view value, std::span<const std::string_view> allowed) {
  return OneOfImpl(*this, field, value, allowed.data(), allowed.data() + allowed.size());
}

bool Violations::Range(std::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return true;
  Add(field, absl::StrCat("must be between ", min, " and ", max, " (got ", value, ")"));
  return false;
}

bool Violations::Amount(std::string_view field, int64_t value, int64_t cap) {
  if (value <= 0) {
    Add(field, absl::StrCat("must be greater than 0 (got ", value, ")"));
    return false;
  }
  if (value > cap) {
    Add(field, absl::StrCat("must be at most ", cap, " (got ", value, ")"));
    return false;
  }
  return true;
}

bool Violations::Id(std::string_view field, int64_t value) {
  if (value > 0) return true;
  Add(field, absl::StrCat("must be a positive id (got ", value, ")"));
  return false;
}

bool Violations::Count(std::string_view field, size_t count, size_t min, size_t max) {
  if (count >= min && count <= max) return true;
  if (min == 0) {
    Add(field, absl::StrCat("must have at most ", max, max == 1 ? " item" : " items", " (got ", count, ")"));
  } else if (min == max) {
    Add(field, absl::StrCat("must have exactly ", min, min == 1 ? " item" : " items", " (got ", count, ")"));
  } else {
    Add(field, absl::StrCat("must have ", min, " to ", max, " items (got ", count, ")"));
  }
  return false;
}

bool Violations::JsonObject(std::string_view field, std::string_view value) {
  auto parsed = ParseJson(value);
  if (!parsed.ok()) {
    std::string_view msg = ToStd(parsed.status().message());
    const size_t paren = msg.rfind('(');
    Add(field, absl::StrCat("must be a JSON object",
                            paren == std::string_view::npos ? "" : absl::StrCat(" ", ToAbsl(msg.substr(paren)))));
    return false;
  }
  if (parsed->type() != JsonValue::Type::kObject) {
    Add(field, absl::StrCat("must be a JSON object (got ", QuoteForMessage(value), ")"));
    return false;
  }
  return true;
}

bool Violations::Token(std::string_view field, std::string_view value, size_t min, size_t max) {
  const bool charset_ok = std::all_of(value.begin(), value.end(), [](char c) {
    return IsAsciiAlnum(c) || c == '_' || c == '-';
  });
  if (!charset_ok) {
    Add(field, absl::StrCat("must contain only A-Z, a-z, 0-9, _ and - (got ", QuoteForMessage(value), ")"));
    return false;
  }
  return Length(field, value, min, max);
}

absl::Status Violations::ToStatus(std::string_view op) const {
  if (list_.empty()) return absl::OkStatus();
  std::string message(op);
  message += ": ";
  JsonWriter w;
  w.BeginArray();
  for (size_t i = 0; i < list_.size(); ++i) {
    if (i > 0) message += "; ";
    absl::StrAppend(&message, list_[i].field, " ", list_[i].message);
    w.BeginObject().Key("field").String(list_[i].field).Key("message").String(list_[i].message).EndObject();
  }
  w.EndArray();
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(ToAbsl(kViolationsPayloadUrl), absl::Cord(w.Take()));
  status.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(list_.front().field));
  return status;
}

std::vector<Violation> StatusViolations(const absl::Status& status) {
  std::vector<Violation> out;
  if (status.ok()) return out;
  if (auto payload = status.GetPayload(ToAbsl(kViolationsPayloadUrl)); payload.has_value()) {
    auto parsed = ParseJson(std::string(*payload));
    if (parsed.ok()) {
      for (const JsonValue& e : parsed->AsArray()) {
        const JsonValue* field = e.Get("field");
        const JsonValue* message = e.Get("message");
        if (field == nullptr || message == nullptr) continue;
        out.push_back(Violation{field->AsString(), message->AsString()});
      }
      return out;
    }
  }
  std::string field = StatusField(status);
  if (field.empty()) return out;
  // InvalidField's message is "<op>: <field> <problem>".
  std::string_view msg = ToStd(status.message());
  std::string marker = absl::StrCat(": ", field, " ");
  const size_t at = msg.find(marker);
  std::string_view problem = at == std::string_view::npos ? msg : msg.substr(at + marker.size());
  out.push_back(Violation{std::move(field), std::string(problem)});
  return out;
}

}  // namespace daira::inline v0
