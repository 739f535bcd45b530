#include "backends/postgres/postgres_values.h"
#include "core/hex_internal.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace daira::inline v0::backends {

std::string PgInt64ArrayLiteral(const std::vector<int64_t>& values) {
  // Written in place into room for the longest elements (20 characters and a comma each), then cut:
  // no append (its capacity check and copy) per element.
  std::string out(2 + values.size() * 21, '\0');
  char* p = out.data();
  char* const end = p + out.size();
  *p++ = '{';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) *p++ = ',';
    p = std::to_chars(p, end, values[i]).ptr;
  }
  *p++ = '}';
  out.resize(static_cast<size_t>(p - out.data()));
  return out;
}

std::string PgTextArrayLiteral(const std::vector<std::string>& values) {
  size_t size = 2;
  for (const std::string& v : values) size += v.size() + 3;
  std::string out;
  out.reserve(size);
  out.push_back('{');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

namespace {

// Walks a one-dimensional array literal (PgParseArrayLiteral's grammar), calling
// `emit(std::string_view element, bool is_null)` per element: spans of `text` where an element has no
// escapes, `scratch` where it has. False on malformed input (elements emitted so far stay emitted).
template <typename Emit>
bool ScanArrayLiteral(std::string_view text, std::string& scratch, Emit&& emit) {
  size_t i = 0;
  if (!text.empty() && text[0] == '[') {  // explicit bounds: "[0:2]={...}"
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) return false;
    i = eq + 1;
  }
  if (i >= text.size() || text[i] != '{') return false;
  int depth = 0;
  const size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (c == '{') {
      ++depth;
      ++i;
      continue;
    }
    if (c == '}') {
      --depth;
      ++i;
      if (depth == 0) return i == n;
      continue;
    }
    if (c == ',' || c == ' ') {
      ++i;
      continue;
    }
    if (depth == 0) return false;
    if (c == '"') {
      ++i;
      // The closing quote unless a backslash comes first (memchr: string_view::find_first_of tests
      // every character against the set one by one).
      auto next_stop = [&](size_t from) -> size_t {
        const void* q = std::memchr(text.data() + from, '"', n - from);
        const size_t quote = q == nullptr ? n : static_cast<const char*>(q) - text.data();
        const void* b = std::memchr(text.data() + from, '\\', quote - from);
        return b == nullptr ? quote : static_cast<const char*>(b) - text.data();
      };
      size_t stop = next_stop(i);
      if (stop == n) return false;
      if (text[stop] == '"') {  // no escapes: the span itself
        emit(text.substr(i, stop - i), false);
        i = stop + 1;
        continue;
      }
      scratch.clear();
      while (true) {  // at a backslash or the closing quote
        scratch.append(text.substr(i, stop - i));
        if (text[stop] == '"') break;
        if (stop + 1 >= n) return false;
        scratch.push_back(text[stop + 1]);
        i = stop + 2;
        stop = i < n ? next_stop(i) : n;
        if (stop == n) return false;
      }
      emit(std::string_view(scratch), false);
      i = stop + 1;
      continue;
    }
    // Unquoted element: up to ',' or '}' (backslash escapes allowed), trailing spaces dropped.
    size_t stop = i;
    while (stop < n && text[stop] != ',' && text[stop] != '}' && text[stop] != '\\') ++stop;
    std::string_view element;
    if (stop == n || text[stop] != '\\') {
      element = text.substr(i, stop - i);
      i = stop;
    } else {
      scratch.assign(text.substr(i, stop - i));
      i = stop;
      while (i < n && text[i] != ',' && text[i] != '}') {
        if (text[i] == '\\' && i + 1 < n) ++i;
        scratch.push_back(text[i++]);
      }
      element = scratch;
    }
    while (!element.empty() && element.back() == ' ') element.remove_suffix(1);
    emit(element, element == "NULL");
  }
  return false;  // unbalanced braces
}

}  // namespace

bool PgParseArrayLiteral(std::string_view text, std::vector<std::optional<std::string>>* out) {
  out->clear();
  std::string scratch;
  return ScanArrayLiteral(text, scratch, [&](std::string_view e, bool is_null) {
    if (is_null) {
      out->emplace_back(std::nullopt);
    } else {
      out->emplace_back(std::in_place, e);
    }
  });
}

namespace {
// Room for the elements of `text`: one more than its commas (exact for a flat array of plain elements).
size_t ElementsHint(std::string_view text) {
  size_t commas = 0;
  for (const char* p = text.data(), *end = p + text.size();
       (p = static_cast<const char*>(std::memchr(p, ',', end - p))) != nullptr; ++p) {
    ++commas;
  }
  return commas + 1;
}
}  // namespace

bool PgParseTextArray(std::string_view text, std::vector<std::string>* out) {
  out->clear();
  if (text == "{}") return true;  // the common empty array: no allocation
  out->reserve(ElementsHint(text));
  std::string scratch;
  return ScanArrayLiteral(text, scratch, [&](std::string_view e, bool is_null) {
    if (is_null) {
      out->emplace_back();
    } else {
      out->emplace_back(e);
    }
  });
}

bool PgParseInt64Array(std::string_view text, std::vector<int64_t>* out) {
  out->clear();
  if (text == "{}") return true;
  out->reserve(ElementsHint(text));
  std::string scratch;
  return ScanArrayLiteral(text, scratch, [&](std::string_view e, bool is_null) {
    out->push_back(is_null ? 0 : PgParseInt64(e.data(), e.data() + e.size()));
  });
}

namespace {
using ::daira::internal::HexValue;
}  // namespace

bool PgDecodeHexBytea(std::string_view text, std::string* out) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
  out->clear();
  out->resize((text.size() - 2) / 2);
  for (size_t i = 2, j = 0; i < text.size(); i += 2, ++j) {
    int hi = HexValue(text[i]), lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[j] = static_cast<char>((hi << 4) | lo);
  }
  return true;
}

std::string PgDoubleText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

}  // namespace daira::inline v0::backends
