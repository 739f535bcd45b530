// A fast reader for the JSON array text SQLite stores array columns as (`[1,2,3]`, `["a","b"]`):
// plain integers, and strings without escapes or non-ASCII bytes, read without a JSON parser. Anything
// else (escapes, UTF-8, floats, nesting, malformed text) is nullopt, and the caller parses it with
// ParseJson, so results are always exactly the JSON parser's.
//
// Measured on the warm home feed (20 posts, 3–4 array columns each): simdjson's parse of these small
// arrays was ~170k of a page's ~930k instructions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace daira::inline v0::store::internal {

std::optional<std::vector<int64_t>> ReadSimpleInt64Array(std::string_view text);
std::optional<std::vector<std::string>> ReadSimpleTextArray(std::string_view text);

}  // namespace daira::inline v0::store::internal
