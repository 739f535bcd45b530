// Opens a cache::Cache from its URL: the one registry of cache backends, by scheme (`memory:`,
// `redis://`). Used by daira::Platform, the CLI, tests and benchmarks.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/cache/cache.h"
#include "daira/core/clock.h"

namespace daira::inline v0::cache {

struct OpenCacheOptions {
  // Time source of the memory backend's TTLs, of the Redis cache's breaker and near entries (Redis keeps its
  // own clock for its TTLs); null = Clock::System().
  const Clock* clock = nullptr;
};

// InvalidArgument for an unknown scheme or a bad parameter (naming it; the URL shown redacted);
// Unavailable / Unauthenticated / PermissionDenied when Redis cannot be reached or refuses the password.
absl::StatusOr<std::unique_ptr<Cache>> OpenCache(std::string_view url, const OpenCacheOptions& options = {});

}  // namespace daira::inline v0::cache
