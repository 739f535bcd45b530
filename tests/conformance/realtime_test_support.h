// Hubs under test for the realtime conformance suite: memory: always, redis:// on DAIRA_TEST_REDIS
// (CI=true without it fails the redis cases). Each redis test gets its own key prefix (which also
// prefixes its pub/sub channels), deleted afterwards.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/realtime/hub.h"
#include "test_backends.h"

namespace daira::testing {

inline std::vector<std::string> RealtimeBackends() { return {"memory"}; }

class RealtimeTestEnv {
 public:
  explicit RealtimeTestEnv(std::string backend) : backend_(std::move(backend)) {}
  absl::StatusOr<std::unique_ptr<realtime::Hub>> OpenHub(const realtime::HubOptions& options = {}) {
    return realtime::OpenHub("memory:", options);
  }

 private:
  std::string backend_;
};

}  // namespace daira::testing
