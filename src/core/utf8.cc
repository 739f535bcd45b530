#include "daira/core/utf8.h"

#include <cstdint>

namespace daira::inline v0 {
namespace {

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

bool IsTrimmable(char32_t c) { return IsUnicodeWhitespace(c) || c == 0x200B || c == 0xFEFF; }

}  // namespace

char32_t Utf8Decode(std::string_view s, size_t* pos) {
  const size_t n = s.size();
  const size_t i = *pos;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  size_t len;
  char32_t cp;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {  // 0xC0/0xC1 only ever start overlong forms
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {  // 0xF5.. would exceed U+10FFFF
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    *pos = i + 1;
    return kUtf8Invalid;
  }
  if (i + len > n) {
    *pos = i + 1;
    return kUtf8Invalid;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (!IsContinuation(b)) {
      *pos = i + 1;
      return kUtf8Invalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *pos = i + 1;
    return kUtf8Invalid;
  }
  *pos = i + len;
  return cp;
}

std::optional<size_t> FindInvalidUtf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    // ASCII fast path.
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t start = pos;
    if (Utf8Decode(s, &pos) == kUtf8Invalid) return start;
  }
  return std::nullopt;
}

bool Utf8Valid(std::string_view s) { return !FindInvalidUtf8(s).has_value(); }

std::optional<size_t> Utf8Length(std::string_view s) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
    } else if (Utf8Decode(s, &pos) == kUtf8Invalid) {
      return std::nullopt;
    }
    ++count;
  }
  return count;
}

size_t Utf8LengthLenient(std::string_view s) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    Utf8Decode(s, &pos);
    ++count;
  }
  return count;
}

bool IsUnicodeWhitespace(char32_t c) {
  switch (c) {
    case 0x20: case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::string_view TrimLeadingWhitespace(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t next = pos;
    const char32_t c = Utf8Decode(s, &next);
    if (c == kUtf8Invalid || !IsTrimmable(c)) break;
    pos = next;
  }
  return s.substr(pos);
}

std::string_view TrimTrailingWhitespace(std::string_view s) {
  // Walk forward (UTF-8 cannot be decoded reliably backwards when it may be invalid), remembering the
  // end of the last non-whitespace code point.
  size_t end = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t c = Utf8Decode(s, &pos);
    if (c == kUtf8Invalid || !IsTrimmable(c)) end = pos;
  }
  return s.substr(0, end);
}

std::string_view TrimWhitespace(std::string_view s) { return TrimTrailingWhitespace(TrimLeadingWhitespace(s)); }

std::string_view TrimAsciiWhitespace(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t b = 0;
  size_t e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool IsControlCharacter(char32_t c, bool allow_line_breaks) {
  if (allow_line_breaks && (c == '\t' || c == '\n' || c == '\r')) return false;
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

bool HasControlCharacters(std::string_view s, bool allow_line_breaks) {
  size_t pos = 0;
  while (pos < s.size()) {
    const auto b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) {
      if (IsControlCharacter(b, allow_line_breaks)) return true;
      ++pos;
      continue;
    }
    const char32_t c = Utf8Decode(s, &pos);
    if (c != kUtf8Invalid && IsControlCharacter(c, allow_line_breaks)) return true;
  }
  return false;
}

}  // namespace daira::inline v0
