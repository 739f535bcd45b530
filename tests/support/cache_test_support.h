// Caches under test: "memory" always, "redis" when DAIRA_TEST_REDIS names a server (with CI=true a
// missing one fails every /redis case instead of skipping). Each cache a TestCacheOpener opens on
// Redis gets a unique key prefix, and every key under it is deleted when the opener goes.
//
//   daira::testing::TestCacheOpener opener;
//   ASSERT_OK_AND_ASSIGN(auto cache, opener.Open("redis", "ttl_profile_ms=1000", &clock));
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/redis_cache.h"
#include "cache/open_cache.h"
#include "daira/cache/cache.h"
#include "daira/core/clock.h"
#include "private_redis.h"
#include "test_backends.h"

namespace daira::testing {

// CacheBackends() is RedisBackends() (private_redis.h): "memory", plus "redis" when DAIRA_TEST_REDIS is
// set or CI=true.
inline std::vector<std::string> CacheBackends() { return RedisBackends(); }

// Appends `params` ("a=1&b=2") to `url`, which may already have a query.
inline std::string WithParams(std::string url, std::string_view params) {
  if (params.empty()) return url;
  absl::StrAppend(&url, url.find('?') == std::string::npos ? "?" : "&", std::string(params));
  return url;
}

class TestCacheOpener {
 public:
  TestCacheOpener() = default;
  TestCacheOpener(const TestCacheOpener&) = delete;
  TestCacheOpener& operator=(const TestCacheOpener&) = delete;
  ~TestCacheOpener() {
    for (const std::string& p : prefixes_) DropRedisPrefix(p);
  }

  // A cache on `backend` with extra URL parameters. On Redis a fresh prefix (returned in *prefix);
  // the memory cache runs on `clock`.
  absl::StatusOr<std::unique_ptr<cache::Cache>> Open(std::string_view backend, std::string_view params = "",
                                                     const Clock* clock = nullptr,
                                                     std::string* prefix = nullptr) {
    if (backend == "memory") {
      return cache::OpenCache(WithParams("memory:", params), {.clock = clock});
    }
    const std::string base = RedisTestUrl();
    if (base.empty()) {
      return absl::FailedPreconditionError("DAIRA_TEST_REDIS is not set (CI=true requires a Redis)");
    }
    std::string p = UniqueRedisPrefix();
    prefixes_.push_back(p);
    if (prefix != nullptr) *prefix = p;
    return cache::OpenCache(WithParams(WithParams(base, "prefix=" + p), params), {.clock = clock});
  }
  // A URL (with a fresh prefix, dropped afterwards) for opening the same Redis elsewhere (a Platform).
  std::string RedisUrl(std::string_view params = "") {
    std::string p = UniqueRedisPrefix();
    prefixes_.push_back(p);
    return WithParams(WithParams(RedisTestUrl(), "prefix=" + p), params);
  }

 private:
  // Deletes every key under `prefix` on the shared test Redis (SCAN + DEL; never FLUSHDB).
  static void DropRedisPrefix(const std::string& prefix) {
    auto c = backends::redis::RedisCache::Open(WithParams(RedisTestUrl(), "prefix=" + prefix));
    if (c.ok()) (*c)->DeleteEverythingUnderPrefix().IgnoreError();
  }
  std::vector<std::string> prefixes_;
};

}  // namespace daira::testing
