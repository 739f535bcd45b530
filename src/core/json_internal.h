// Private to daira: the per-thread JSON parser's memory bound (src/core/json.cc).
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::internal {

// A thread's parser keeps its buffers between calls while they serve documents up to this size;
// after a larger document they are released (ParseJson), so capacity never stays above it.
inline constexpr size_t kJsonParserKeepCapacity = size_t{64} << 10;  // 64 KiB of input

// The calling thread's parser capacity in input bytes (0 before its first parse or after a release).
size_t ThreadJsonParserCapacity();

// Whether `text` is JSON that ParseJson accepts, with ParseJson's error when it is not, without
// building the JsonValue tree (the bus checks every payload and result this way: a third of the cost).
absl::Status ValidateJson(std::string_view text);

// ValidateJson's fast path, exposed for its test: true only for texts of a plain subset of JSON
// (printable-ASCII strings without escapes, integers up to 18 digits, true/false/null, nesting up to
// 32) that simdjson accepts too; false for everything else, valid or not. ValidateJson tries it on
// texts up to kPlainJsonMaxSize bytes (beyond, simdjson's vectorised scan is the faster one).
inline constexpr size_t kPlainJsonMaxSize = 1024;
bool PlainJsonAccepts(std::string_view text);

}  // namespace daira::inline v0::internal
