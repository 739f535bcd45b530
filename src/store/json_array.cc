#include "store/json_array.h"

#include <charconv>

namespace daira::inline v0::store::internal {
namespace {

// JSON whitespace.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Walks `[e, e, ...]`, calling read(text, &pos) for each element (which returns false to give up).
template <typename ReadElement>
bool WalkArray(std::string_view text, ReadElement read) {
  size_t pos = 0;
  auto skip = [&] {
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
  };
  skip();
  if (pos >= text.size() || text[pos] != '[') return false;
  ++pos;
  skip();
  if (pos < text.size() && text[pos] == ']') {
    ++pos;
  } else {
    for (;;) {
      skip();
      if (!read(text, &pos)) return false;
      skip();
      if (pos >= text.size()) return false;
      if (text[pos] == ']') {
        ++pos;
        break;
      }
      if (text[pos] != ',') return false;
      ++pos;
    }
  }
  skip();
  return pos == text.size();
}

}  // namespace

std::optional<std::vector<int64_t>> ReadSimpleInt64Array(std::string_view text) {
  std::vector<int64_t> out;
  const bool ok = WalkArray(text, [&](std::string_view t, size_t* pos) {
    const char* first = t.data() + *pos;
    const char* last = t.data() + t.size();
    // JSON integers only: no leading '+', no leading zeros (other than "0"), no fraction or exponent.
    const char* digits = first < last && *first == '-' ? first + 1 : first;
    if (digits >= last || *digits < '0' || *digits > '9') return false;
    if (*digits == '0' && digits + 1 < last && digits[1] >= '0' && digits[1] <= '9') return false;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || (end < last && (*end == '.' || *end == 'e' || *end == 'E'))) return false;
    out.push_back(v);
    *pos = static_cast<size_t>(end - t.data());
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> ReadSimpleTextArray(std::string_view text) {
  std::vector<std::string> out;
  const bool ok = WalkArray(text, [&](std::string_view t, size_t* pos) {
    if (*pos >= t.size() || t[*pos] != '"') return false;
    const size_t start = *pos + 1;
    size_t end = start;
    for (; end < t.size(); ++end) {
      const unsigned char c = static_cast<unsigned char>(t[end]);
      if (c == '"') break;
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;  // escapes, control bytes, UTF-8: the parser's job
    }
    if (end >= t.size()) return false;
    out.emplace_back(t.substr(start, end - start));
    *pos = end + 1;
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace daira::inline v0::store::internal
