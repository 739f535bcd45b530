#include "services/text_entities.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>

#include "daira/core/utf8.h"

namespace daira::inline v0::services::internal {
namespace {

// glibc's built-in C.UTF-8 locale classifies and case-maps all of Unicode; created once, never freed.
locale_t Utf8Locale() {
  static const locale_t kLocale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return kLocale;
}

// Combining marks of common scripts (glibc puts them in "punct"); they belong inside a word.
bool IsCombiningMark(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) || (c >= 0x0591 && c <= 0x05C7) ||
         (c >= 0x0610 && c <= 0x061A) || (c >= 0x064B && c <= 0x065F) || c == 0x0670 ||
         (c >= 0x06D6 && c <= 0x06ED) || (c >= 0x0900 && c <= 0x0DFF && c != 0x0964 && c != 0x0965) ||
         (c >= 0x0E31 && c <= 0x0E3A) || (c >= 0x0E47 && c <= 0x0E4E) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F);
}

bool IsAsciiWord(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsTagChar(char32_t c) {
  if (c == kUtf8Invalid) return false;
  if (c < 0x80) return IsAsciiWord(c);
  const locale_t loc = Utf8Locale();
  if (loc != static_cast<locale_t>(nullptr) && iswalnum_l(static_cast<wint_t>(c), loc)) return true;
  return IsCombiningMark(c);
}

bool IsDigit(char32_t c) {
  if (c >= '0' && c <= '9') return true;
  const locale_t loc = Utf8Locale();
  return c >= 0x80 && loc != static_cast<locale_t>(nullptr) && iswdigit_l(static_cast<wint_t>(c), loc);
}

char32_t FoldCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  const locale_t loc = Utf8Locale();
  if (loc == static_cast<locale_t>(nullptr)) return c;
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), loc));
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// A character after which '#' / '@' does not start an entity.
bool BlocksEntity(char32_t prev) {
  return IsTagChar(prev) || prev == '#' || prev == '@' || prev == '&' || prev == '/' || prev == '.';
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
    if (a != prefix[i]) return false;
  }
  return true;
}

bool IsUrlStart(std::string_view rest) {
  return StartsWithIgnoreCase(rest, "http://") || StartsWithIgnoreCase(rest, "https://") ||
         StartsWithIgnoreCase(rest, "www.");
}

void AddUnique(std::vector<std::string>& list, std::string value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

// Reads a tag run starting at byte `pos` (just after '#'). Returns the folded tag or "" and sets
// `*end` to the first byte after the run.
std::string ReadTag(std::string_view text, size_t pos, size_t* end) {
  std::string tag;
  size_t chars = 0;
  bool non_digit = false;
  size_t p = pos;
  while (p < text.size()) {
    size_t next = p;
    const char32_t c = Utf8Decode(text, &next);
    if (!IsTagChar(c)) break;
    ++chars;
    if (!IsDigit(c)) non_digit = true;
    AppendUtf8(tag, FoldCase(c));
    p = next;
  }
  *end = p;
  if (chars == 0 || chars > kMaxHashtagLength || !non_digit) return "";
  return tag;
}

}  // namespace

TextEntities ExtractEntities(std::string_view text) {
  TextEntities out;
  char32_t prev = ' ';
  size_t pos = 0;
  while (pos < text.size()) {
    // At the start of a whitespace-delimited word: skip URLs whole.
    if (IsUnicodeWhitespace(prev) && IsUrlStart(text.substr(pos))) {
      while (pos < text.size()) {
        size_t next = pos;
        const char32_t c = Utf8Decode(text, &next);
        if (IsUnicodeWhitespace(c)) break;
        prev = c;
        pos = next;
      }
      continue;
    }
    size_t next = pos;
    const char32_t c = Utf8Decode(text, &next);
    if ((c == '#' || c == '@') && !BlocksEntity(prev)) {
      size_t end = next;
      if (c == '#') {
        std::string tag = ReadTag(text, next, &end);
        if (!tag.empty()) AddUnique(out.hashtags, std::move(tag));
      } else {
        std::string name;
        while (end < text.size() && IsAsciiWord(static_cast<unsigned char>(text[end]))) {
          name += static_cast<char>(FoldCase(static_cast<unsigned char>(text[end])));
          ++end;
        }
        // A run continuing with other letters ("@zoë") is not a username.
        size_t after = end;
        const bool clean_end = end >= text.size() || !IsTagChar(Utf8Decode(text, &after));
        if (!name.empty() && name.size() <= kMaxMentionLength && clean_end) AddUnique(out.mentions, std::move(name));
      }
      if (end > next) {
        // Continue after the run; its last character is the new `prev`.
        size_t p = next;
        char32_t last = c;
        while (p < end) last = Utf8Decode(text, &p);
        prev = last;
        pos = end;
        continue;
      }
    }
    prev = c;
    pos = next;
  }
  return out;
}

std::string NormalizeHashtag(std::string_view tag) {
  if (!tag.empty() && tag.front() == '#') tag.remove_prefix(1);
  size_t end = 0;
  std::string folded = ReadTag(tag, 0, &end);
  if (end != tag.size()) return "";
  return folded;
}

}  // namespace daira::inline v0::services::internal
