// Text encodings between daira Values and PostgreSQL's wire text formats (arrays, bytea), free of
// libpq so they are unit-testable.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace daira::inline v0::backends {

// "{1,2,3}".
std::string PgInt64ArrayLiteral(const std::vector<int64_t>& values);
// {"a","b \"c\"","d\\e"}: every element quoted, '\' and '"' escaped, so "NULL", commas and braces
// stay plain strings.
std::string PgTextArrayLiteral(const std::vector<std::string>& values);

// Parses a one-dimensional array in PostgreSQL's output format ({a,"b c",NULL}; an optional
// "[lo:hi]=" bounds prefix is skipped; nested arrays are flattened). Unquoted NULL → nullopt.
// Returns false on malformed input.
bool PgParseArrayLiteral(std::string_view text, std::vector<std::optional<std::string>>* out);
// The same grammar straight into the shapes daira reads: NULL elements as "" / 0, integers parsed as
// std::from_chars does (an element that is not a number reads as 0). False on malformed input.
bool PgParseTextArray(std::string_view text, std::vector<std::string>* out);
bool PgParseInt64Array(std::string_view text, std::vector<int64_t>* out);

// std::from_chars's int64 from the text at `s` (up to `end`): an optional '-' then decimal digits up to the
// first non-digit, 0 when there are none or the number overflows int64. Numbers of up to 19 digits
// (every int64) are read 8 digits at a time where 8 are available (a 16-digit microsecond timestamp
// in ~40 instructions; libstdc++'s from_chars took ~200); longer ones (leading zeros) go to from_chars.
inline int64_t PgParseInt64(const char* s, const char* end) {
  const char* p = s;
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  const char* digits = p;
  uint64_t v = 0;  // < 10^19 < 2^64 after 19 digits
  while (end - p >= 8 && p - digits <= 11) {  // 8 more digits keep it within 19
    uint64_t chunk;
    std::memcpy(&chunk, p, 8);
    // All eight bytes are '0'..'9' (little-endian SWAR, as in simdjson / fast_float).
    if ((((chunk & 0xF0F0F0F0F0F0F0F0) | (((chunk + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) !=
         0x3333333333333333)) {
      break;
    }
    chunk -= 0x3030303030303030;
    chunk = (chunk * 10) + (chunk >> 8);
    chunk = (((chunk & 0x000000FF000000FF) * 0x000F424000000064) +
             (((chunk >> 16) & 0x000000FF000000FF) * 0x0000271000000001)) >> 32;
    v = v * 100000000 + chunk;
    p += 8;
  }
  while (p < end && p - digits < 19 && static_cast<unsigned>(*p - '0') < 10) {
    v = v * 10 + static_cast<unsigned>(*p++ - '0');
  }
  if (p < end && static_cast<unsigned>(*p - '0') < 10) {  // 20 digits or more
    int64_t out = 0;
    std::from_chars(s, end, out);
    return out;
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (!negative) return v <= kMax ? static_cast<int64_t>(v) : 0;  // overflow: from_chars leaves 0
  if (v <= kMax) return -static_cast<int64_t>(v);
  return v == kMax + 1 ? INT64_MIN : 0;
}

// Decodes bytea hex output ("\x0aff..."). Returns false if `text` is not in hex format.
bool PgDecodeHexBytea(std::string_view text, std::string* out);

// Shortest round-trip text of a double in PostgreSQL's float8 input syntax (NaN, Infinity, -Infinity).
std::string PgDoubleText(double v);

}  // namespace daira::inline v0::backends
