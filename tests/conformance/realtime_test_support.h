// Hubs under test for the realtime conformance suite: memory: always; redis:// on DAIRA_TEST_REDIS
// (with CI=true a missing one fails the redis cases, never skips them). Each redis environment has its
// own key prefix (which also prefixes its pub/sub channels), and deletes its keys afterwards.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_url.h"
#include "daira/realtime/hub.h"
#include "private_redis.h"
#include "test_backends.h"

namespace daira::testing {

inline std::vector<std::string> RealtimeBackends() { return RedisBackends(); }
// The backends shared by several hubs/instances (those claiming cross-instance behaviour): redis.
inline std::vector<std::string> SharedRealtimeBackends() {
  std::vector<std::string> out;
  for (std::string& b : RedisBackends()) {
    if (b != "memory") out.push_back(std::move(b));
  }
  return out;
}

class RealtimeTestEnv {
 public:
  // `server_url`: a Redis to use instead of DAIRA_TEST_REDIS (a PrivateRedis).
  explicit RealtimeTestEnv(std::string backend, std::string server_url = "")
      : backend_(std::move(backend)), prefix_(UniqueRedisPrefix()) {
    if (backend_ == "redis") server_url_ = server_url.empty() ? RedisTestUrl() : std::move(server_url);
  }
  ~RealtimeTestEnv() {
    if (backend_ != "redis" || server_url_.empty()) return;
    // Delete this test's keys (SCAN by prefix; never FLUSHDB on the shared server).
    auto url = backends::redis::RedisUrl::Parse(server_url_);
    if (!url.ok()) return;
    auto conn = backends::redis::RedisConnection::Connect(*url);
    if (!conn.ok()) return;
    std::string cursor = "0";
    do {
      auto r = (*conn)->Command({"SCAN", cursor, "MATCH", prefix_ + "*", "COUNT", "1000"});
      if (!r.ok() || r->elements.size() != 2) return;
      cursor = r->elements[0].str;
      for (const auto& key : r->elements[1].elements) (*conn)->Command({"DEL", key.str}).IgnoreError();
    } while (cursor != "0");
  }

  // The URL a hub of this test opens (same prefix for every hub of the test: they share channels).
  std::string HubUrl(std::string_view extra = "") const {
    if (backend_ == "memory") return "memory:" + std::string(extra.empty() ? "" : "?") + std::string(extra);
    std::string url = server_url_;
    url += url.find('?') == std::string::npos ? "?" : "&";
    url += "prefix=" + prefix_;
    if (!extra.empty()) url += "&" + std::string(extra);
    return url;
  }

  absl::StatusOr<std::unique_ptr<realtime::Hub>> OpenHub(const realtime::HubOptions& options = {}) {
    if (backend_ == "redis" && server_url_.empty()) {
      return absl::FailedPreconditionError("redis case without DAIRA_TEST_REDIS (CI=true): not covered");
    }
    return realtime::OpenHub(HubUrl(), options);
  }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string backend_;
  std::string prefix_;
  std::string server_url_;
};

}  // namespace daira::testing
