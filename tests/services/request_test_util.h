// Helpers for the request-validation tests.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daira/core/validation.h"

namespace daira::services::testing {

// The fields named by the violations `s` carries, in order.
inline std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const Violation& v : StatusViolations(s)) out.push_back(v.field);
  return out;
}

// The message of the first violation on `field`, or "" when there is none.
inline std::string MessageFor(const absl::Status& s, const std::string& field) {
  for (const Violation& v : StatusViolations(s)) {
    if (v.field == field) return v.message;
  }
  return "";
}

inline std::string Repeat(std::string_view unit, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(unit);
  return out;
}

inline constexpr std::string_view kEmoji = "\xF0\x9F\x98\x80";  // 😀, 4 bytes, 1 character
inline constexpr std::string_view kCjk = "\xE4\xB8\xAD";        // 中, 3 bytes, 1 character

}  // namespace daira::services::testing
