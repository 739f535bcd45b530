#include "daira/realtime/channel.h"

#include <string>

namespace daira::inline v0::realtime {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
}

struct Kind {
  std::string_view prefix;
  size_t max_len;
  bool (*allowed)(char);
};
constexpr Kind kKinds[] = {
    {"user:", 20, IsDigit},
    {"conversation:", 20, IsDigit},
    {"topic:", 128, IsNameChar},
};

std::string Shown(std::string_view s) {
  // Never echo megabytes or control bytes back.
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 64) out += "...";
  return out;
}

absl::Status Check(std::string_view what, std::string_view name, bool pattern) {
  for (const Kind& kind : kKinds) {
    if (name.substr(0, kind.prefix.size()) != kind.prefix) continue;
    std::string_view rest = name.substr(kind.prefix.size());
    if (rest.empty()) {
      return absl::InvalidArgumentError("realtime: " + std::string(what) + " '" + Shown(name) +
                                        "' has an empty " + (kind.prefix == "topic:" ? "name" : "id"));
    }
    if (rest.size() > kind.max_len) {
      return absl::InvalidArgumentError("realtime: " + std::string(what) + " '" + Shown(name) +
                                        "' is too long (at most " + std::to_string(kind.max_len) +
                                        " characters after '" + std::string(kind.prefix) + "')");
    }
    bool star = false;
    for (char c : rest) {
      if (c == '*' && pattern) {
        star = true;
        continue;
      }
      if (!kind.allowed(c)) {
        return absl::InvalidArgumentError(
            "realtime: " + std::string(what) + " '" + Shown(name) + "' has a character not allowed after '" +
            std::string(kind.prefix) + "' (" +
            (kind.prefix == "topic:" ? "letters, digits, '.', '_', '-'" : "decimal digits") +
            (pattern ? " and '*'" : "") + ")");
      }
    }
    if (pattern && !star) {
      return absl::InvalidArgumentError("realtime: pattern '" + Shown(name) + "' has no '*'");
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("realtime: " + std::string(what) + " '" + Shown(name) +
                                    "' is not of the form user:{id}, conversation:{id} or topic:{name}");
}

}  // namespace

absl::Status ValidateChannel(std::string_view channel) { return Check("channel", channel, false); }
absl::Status ValidatePattern(std::string_view pattern) { return Check("pattern", pattern, true); }
bool IsPattern(std::string_view target) { return target.find('*') != std::string_view::npos; }

bool PatternMatches(std::string_view pattern, std::string_view channel) {
  // Glob with '*' only: greedy match with backtracking to the last star.
  size_t p = 0, c = 0, star = std::string_view::npos, mark = 0;
  while (c < channel.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = c;
    } else if (p < pattern.size() && pattern[p] == channel[c]) {
      ++p;
      ++c;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      c = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace daira::inline v0::realtime
