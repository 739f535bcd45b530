#include "daira/core/config.h"

#include <array>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

}  // namespace

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
      std::vector<std::string_view> names;
      for (const Concern& c : Concerns()) names.push_back(c.name);
      return InvalidField("config", concern_name,
                          absl::StrCat("is not a known concern (expected ", ExpectedList(names), ")"));
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
  return config;
}

}  // namespace daira::inline v0
