#include "backends/postgres/postgres_values.h"
#include "core/hex_internal.h"

#include <charconv>
#include <cmath>

namespace daira::inline v0::backends {

std::string PgInt64ArrayLiteral(const std::vector<int64_t>& values) {
  std::string out;
  out.reserve(2 + values.size() * 8);
  out.push_back('{');
  char buf[24];
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    auto r = std::to_chars(buf, buf + sizeof(buf), values[i]);
    out.append(buf, r.ptr);
  }
  out.push_back('}');
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

bool PgParseArrayLiteral(std::string_view text, std::vector<std::optional<std::string>>* out) {
  out->clear();
  size_t i = 0;
  if (!text.empty() && text[0] == '[') {  // explicit bounds: "[0:2]={...}"
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) return false;
    i = eq + 1;
  }
  if (i >= text.size() || text[i] != '{') return false;
  int depth = 0;
  const size_t n = text.size();
  while (i < n) {
    char c = text[i];
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
      std::string s;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = text[i++];
        if (d == '\\') {
          if (i >= n) return false;
          s.push_back(text[i++]);
        } else if (d == '"') {
          closed = true;
          break;
        } else {
          s.push_back(d);
        }
      }
      if (!closed) return false;
      out->push_back(std::move(s));
      continue;
    }
    // Unquoted element: up to ',' or '}' (backslash escapes allowed).
    std::string s;
    while (i < n && text[i] != ',' && text[i] != '}') {
      if (text[i] == '\\' && i + 1 < n) ++i;
      s.push_back(text[i++]);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s == "NULL") {
      out->push_back(std::nullopt);
    } else {
      out->push_back(std::move(s));
    }
  }
  return false;  // unbalanced braces
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
