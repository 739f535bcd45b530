#include "daira/core/config.h"

#include <array>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daira/core/status.h"
#include "daira/core/url.h"

namespace daira::inline v0 {
namespace {

struct Concern {
  std::string_view name;
  std::string Config::*field;
  std::vector<std::string_view> schemes;
};

const std::vector<Concern>& Concerns() {
  static const std::vector<Concern>* const concerns = new std::vector<Concern>{
      {"database", &Config::database, {"sqlite", "postgres", "postgresql"}},
      {"cache", &Config::cache, {"memory", "redis"}},
      {"bus", &Config::bus, {"sqlite", "postgres", "postgresql", "redis", "memory"}},
      {"realtime", &Config::realtime, {"memory", "redis"}},
      {"blobs", &Config::blobs, {"file", "s3"}},
  };
  return *concerns;
}

std::string ExpectedList(const std::vector<std::string_view>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

bool IsConcernName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

// Percent-encodes the characters ParseUrl would otherwise read as syntax in an opaque path.
std::string EncodePathForUrl(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?') {
      out += c == '%' ? "%25" : "%3F";
    } else {
      out += c;
    }
  }
  return out;
}

constexpr int64_t kYearMs = int64_t{365} * 24 * 3600 * 1000;

struct DurationOption {
  std::string_view name;
  std::chrono::milliseconds Config::*field;
};

const std::vector<DurationOption>& DurationOptions() {
  static const auto* const options = new std::vector<DurationOption>{
      {"node_lease_ttl_ms", &Config::node_lease_ttl},
      {"node_heartbeat_ms", &Config::node_heartbeat},
      {"cursor_key_grace_ms", &Config::cursor_key_grace},
  };
  return *options;
}

// Service options: integers in [min, max] that override a PlatformOptions field; -1 = not set.
struct IntegerOption {
  std::string_view name;
  int64_t Config::*field;
  int64_t min;
  int64_t max;
};

const std::vector<IntegerOption>& IntegerOptions() {
  static const auto* const options = new std::vector<IntegerOption>{
      {"moderation_auto_hide_threshold", &Config::moderation_auto_hide_threshold, 0, 1000000},
      {"tip_fee_bps", &Config::tip_fee_bps, 0, 9999},
      {"money_idempotency_retention_s", &Config::money_idempotency_retention_s, 86400, int64_t{10} * 365 * 86400},
      {"money_max_attempts", &Config::money_max_attempts, 1, 1000},
  };
  return *options;
}

std::vector<std::string_view> InstanceOptionNames() {
  std::vector<std::string_view> names = {"node_id", "cursor_key"};
  for (const DurationOption& d : DurationOptions()) names.push_back(d.name);
  names.push_back("ratelimit");
  for (const IntegerOption& o : IntegerOptions()) names.push_back(o.name);
  return names;
}

// Parses one instance option into `config`. Returns false when `name` is not an instance option.
absl::StatusOr<bool> ParseInstanceOption(std::string_view name, std::string_view value, Config& config) {
  if (name == "node_id") {
    int n = 0;
    if (!absl::SimpleAtoi(ToAbsl(value), &n) || n < 0 || n > 1023) {
      return InvalidField("config", "node_id", absl::StrCat("must be an integer in [0, 1023] (got \"",
                                                            absl::CHexEscape(ToAbsl(value.substr(0, 32))), "\")"));
    }
    config.node_id = n;
    return true;
  }
  if (name == "cursor_key") {
    config.cursor_key = std::string(value);
    return true;
  }
  if (name == "ratelimit") {
    DAIRA_ASSIGN_OR_RETURN(config.rate_limits, Config::ParseRateLimits(value));
    return true;
  }
  for (const DurationOption& d : DurationOptions()) {
    if (name != d.name) continue;
    int64_t ms = 0;
    if (!absl::SimpleAtoi(ToAbsl(value), &ms) || ms < 1 || ms > kYearMs) {
      return InvalidField("config", d.name, absl::StrCat("must be an integer of milliseconds in [1, ", kYearMs,
                                                         "] (got \"", absl::CHexEscape(ToAbsl(value.substr(0, 32))),
                                                         "\")"));
    }
    config.*(d.field) = std::chrono::milliseconds(ms);
    return true;
  }
  for (const IntegerOption& o : IntegerOptions()) {
    if (name != o.name) continue;
    int64_t n = 0;
    if (!absl::SimpleAtoi(ToAbsl(value), &n) || n < o.min || n > o.max) {
      return InvalidField("config", o.name, absl::StrCat("must be an integer in [", o.min, ", ", o.max, "] (got \"",
                                                         absl::CHexEscape(ToAbsl(value.substr(0, 32))), "\")"));
    }
    config.*(o.field) = n;
    return true;
  }
  return false;
}

}  // namespace

absl::Status Config::ValidateInstanceOptions() const {
  if (node_id < -1 || node_id > 1023) {
    return InvalidField("config", "node_id", absl::StrCat("must be -1 or in [0, 1023] (got ", node_id, ")"));
  }
  if (!cursor_key.empty()) {
    bool hex = cursor_key.size() == 64;
    for (char c : cursor_key) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (!hex) {
      // A secret: its length only, never its text.
      return InvalidField("config", "cursor_key",
                          absl::StrCat("must be 64 hex digits (32 bytes) (got ", cursor_key.size(),
                                       " characters", cursor_key.size() == 64 ? ", not all hex digits" : "", ")"));
    }
  }
  for (const DurationOption& d : DurationOptions()) {
    const int64_t ms = (this->*(d.field)).count();
    if (ms < 1 || ms > kYearMs) {
      return InvalidField("config", d.name, absl::StrCat("must be in [1, ", kYearMs, "] ms (got ", ms, ")"));
    }
  }
  for (const IntegerOption& o : IntegerOptions()) {
    const int64_t n = this->*(o.field);
    if (n != -1 && (n < o.min || n > o.max)) {
      return InvalidField("config", o.name,
                          absl::StrCat("must be in [", o.min, ", ", o.max, "] (got ", n, ")"));
    }
  }
  if (node_heartbeat * 2 > node_lease_ttl) {
    return InvalidField("config", "node_heartbeat_ms",
                        absl::StrCat("must be at most half of node_lease_ttl_ms (", node_lease_ttl.count(),
                                     ") so a lease is renewed before it can expire (got ", node_heartbeat.count(),
                                     ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Config::RateLimitEntry>> Config::ParseRateLimits(std::string_view text) {
  std::vector<RateLimitEntry> out;
  if (text.empty()) {
    return InvalidField("config", "ratelimit",
                        "is empty (expected ENDPOINT:COUNT/WINDOW[:ALGORITHM],..., e.g. login:5/15m)");
  }
  size_t index = 0;
  for (absl::string_view part : absl::StrSplit(ToAbsl(text), ',')) {
    ++index;
    const std::string shown = absl::CHexEscape(part.substr(0, 64));
    auto bad = [&](std::string_view what) {
      return InvalidField("config", "ratelimit",
                          absl::StrCat("limit ", index, " (\"", shown, "\"): ", ToAbsl(what),
                                       " (expected ENDPOINT:COUNT/WINDOW[:ALGORITHM], e.g. api.search:100/60s)"));
    };
    const std::vector<absl::string_view> fields = absl::StrSplit(part, ':');
    if (fields.size() < 2 || fields.size() > 3) return bad("needs 2 or 3 ':'-separated parts");
    RateLimitEntry e;
    e.endpoint = std::string(fields[0]);
    if (e.endpoint.empty() || e.endpoint.size() > 128) return bad("the endpoint must be 1 to 128 characters");
    for (char c : e.endpoint) {
      if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
        return bad("the endpoint may hold only letters, digits, '.', '_' and '-'");
      }
    }
    for (const RateLimitEntry& other : out) {
      if (other.endpoint == e.endpoint) return bad("the endpoint is given more than once");
    }
    const size_t slash = fields[1].find('/');
    if (slash == absl::string_view::npos) return bad("COUNT/WINDOW has no '/'");
    if (!absl::SimpleAtoi(fields[1].substr(0, slash), &e.count) || e.count < 0 || e.count > 1000000000000) {
      return bad("the count must be a whole number in [0, 10^12]");
    }
    if (e.count == 0 && e.endpoint != "login" && e.endpoint != "post.create") {
      return bad("a count of 0 (off) is only for login and post.create");
    }
    absl::string_view window = fields[1].substr(slash + 1);
    size_t digits = 0;
    while (digits < window.size() && absl::ascii_isdigit(static_cast<unsigned char>(window[digits]))) ++digits;
    const absl::string_view unit = window.substr(digits);
    int64_t n = 0;
    if (digits == 0 || !absl::SimpleAtoi(window.substr(0, digits), &n) || n < 1) {
      return bad("the window must be a whole number >= 1 with a unit (ms, s, m, h or d)");
    }
    int64_t unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1000;
    } else if (unit == "m") {
      unit_ms = 60 * 1000;
    } else if (unit == "h") {
      unit_ms = 3600 * 1000;
    } else if (unit == "d") {
      unit_ms = 24 * 3600 * 1000;
    } else {
      return bad("the window's unit must be ms, s, m, h or d");
    }
    if (n > kYearMs / unit_ms) return bad("the window must be at most 365 days");
    e.window = std::chrono::milliseconds(n * unit_ms);
    if (fields.size() == 3) {
      if (fields[2] != "sliding_window" && fields[2] != "gcra") {
        return bad("the algorithm must be sliding_window or gcra");
      }
      e.algorithm = std::string(fields[2]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

Config Config::Embedded(std::string_view path) {
  Config c;
  c.database = "sqlite:" + EncodePathForUrl(path);
  return c;
}

absl::StatusOr<Config> Config::FromUrls(const std::vector<std::string>& entries) {
  Config config;
  std::vector<std::string_view> seen;
  for (const std::string& entry : entries) {
    size_t eq = entry.find('=');
    std::string_view name = std::string_view(entry).substr(0, eq);
    if (eq == std::string::npos || !IsConcernName(name)) {
      // Not echoed: the entry may be a URL with a password.
      return InvalidField("config", "entry",
                          "is not concern=url (expected e.g. database=sqlite:./app.db)");
    }
    std::string concern_name = absl::AsciiStrToLower(ToAbsl(name));
    const Concern* concern = nullptr;
    for (const Concern& c : Concerns()) {
      if (c.name == concern_name) concern = &c;
    }
    if (concern == nullptr) {
      for (std::string_view s : seen) {
        if (s == concern_name) return InvalidField("config", concern_name, "is given more than once");
      }
      DAIRA_ASSIGN_OR_RETURN(bool option,
                             ParseInstanceOption(concern_name, std::string_view(entry).substr(eq + 1), config));
      if (option) {
        for (std::string_view o : InstanceOptionNames()) {
          if (o == concern_name) seen.push_back(o);  // a view of static storage
        }
        continue;
      }
      std::vector<std::string_view> names;
      for (const Concern& c : Concerns()) names.push_back(c.name);
      return InvalidField("config", concern_name,
                          absl::StrCat("is not a known concern (expected ", ExpectedList(names),
                                       ") or instance option (", ExpectedList(InstanceOptionNames()), ")"));
    }
    for (std::string_view s : seen) {
      if (s == concern->name) {
        return InvalidField("config", concern->name, "is given more than once");
      }
    }
    seen.push_back(concern->name);
    std::string_view text = std::string_view(entry).substr(eq + 1);
    auto url = ParseUrl(text);
    if (!url.ok()) {
      absl::Status s = Annotate(url.status(), absl::StrCat("config: ", ToAbsl(concern->name)));
      return s;
    }
    bool allowed = false;
    for (std::string_view s : concern->schemes) allowed = allowed || s == url->scheme;
    if (!allowed) {
      return InvalidField("config", concern->name,
                          absl::StrCat("scheme is not supported (got \"", url->scheme, "\"; expected ",
                                       ExpectedList(concern->schemes), ")"));
    }
    config.*(concern->field) = std::string(text);
  }
  DAIRA_RETURN_IF_ERROR(config.ValidateInstanceOptions());
  return config;
}

}  // namespace daira::inline v0
