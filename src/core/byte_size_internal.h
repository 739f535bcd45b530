// Sizes in bytes as configuration spells them ("256MiB", "64KiB", "1GiB", "10MB", "1000"): the memory
// cache's max_bytes, the SQLite database URL's mmap_size and cache_size.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace daira::inline v0::internal {

// Parses a positive size: digits with an optional suffix B, KiB, MiB, GiB (powers of 2) or KB, MB,
// GB (powers of 10), at most 2^50 bytes. `allow_zero` also accepts "0". InvalidArgument from `op`
// naming `field` and quoting the text otherwise.
absl::StatusOr<int64_t> ParseByteSize(std::string_view op, std::string_view field, std::string_view text,
                                      bool allow_zero = false);

}  // namespace daira::inline v0::internal
