// Text encodings between daira Values and PostgreSQL's wire text formats (arrays, bytea), free of
// libpq so they are unit-testable.
#pragma once

#include <cstdint>
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

// Decodes bytea hex output ("\x0aff..."). Returns false if `text` is not in hex format.
bool PgDecodeHexBytea(std::string_view text, std::string* out);

// Shortest round-trip text of a double in PostgreSQL's float8 input syntax (NaN, Infinity, -Infinity).
std::string PgDoubleText(double v);

}  // namespace daira::inline v0::backends
