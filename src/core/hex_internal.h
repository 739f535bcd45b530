// Hex digits, for percent-decoding (url.cc) and bytea decoding (the Postgres backend).
#pragma once

namespace daira::inline v0::internal {

// The value of hex digit `c` (0-9, a-f, A-F), or -1.
inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace daira::inline v0::internal
