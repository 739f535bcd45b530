// `daira demo`'s cache step: the busiest reader's home feed cold and warm through an in-process cache
// (fan-out lists, docs/cache.md "Feed cache") next to the database path, then the cache's hit rates.
#pragma once

#include "absl/status/status.h"
#include "daira/store/database.h"

namespace daira::inline v0::cli {

absl::Status CachedFeedDemo(store::Database& db);

}  // namespace daira::inline v0::cli
