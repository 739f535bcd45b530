#include "cache/open_cache.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "backends/memory/memory_cache.h"
#include "backends/redis/redis_cache.h"
#include "daira/core/status.h"

namespace daira::inline v0::cache {

absl::StatusOr<std::unique_ptr<Cache>> OpenCache(std::string_view url, const OpenCacheOptions& options) {
  const std::string scheme(url.substr(0, url.find(':')));
  if (scheme == "memory") {
    DAIRA_ASSIGN_OR_RETURN(backends::memory::MemoryCacheOptions o,
                           backends::memory::MemoryCacheOptions::FromUrl(url));
    o.clock = options.clock;
    DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<backends::memory::MemoryCache> c,
                           backends::memory::MemoryCache::Open(o));
    return std::unique_ptr<Cache>(std::move(c));
  }
  if (scheme == "redis") {
    DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<backends::redis::RedisCache> c,
                           backends::redis::RedisCache::Open(url, options.clock));
    return std::unique_ptr<Cache>(std::move(c));
  }
  return InvalidField("cache: open", "cache",
                      absl::StrCat("unknown cache scheme '", scheme, ":' (known: memory:, redis://)"));
}

}  // namespace daira::inline v0::cache
