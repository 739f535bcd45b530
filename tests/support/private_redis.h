// A private Redis server for tests that kill or restart their server (so the shared test Redis is never
// disturbed), and the shared test Redis from the environment.
//
//   ASSERT_OK_AND_ASSIGN(auto redis, PrivateRedis::Start());
//   auto cache = OpenCache(redis->url());   // redis://127.0.0.1:<port>/0
//   ASSERT_OK(redis->Kill());               // SIGKILL by PID: the server is gone
//   ASSERT_OK(redis->Restart());            // the same port again (empty unless options.appendonly)
//
//   INSTANTIATE_TEST_SUITE_P(Cache, CacheTest, ::testing::ValuesIn(RedisBackends()), BackendName());
//   std::string url = RedisTestUrl();       // DAIRA_TEST_REDIS; with CI=true an unset one fails the test
//
// Started with `redis-server` from PATH on a free 127.0.0.1 port in a temp dir; stopped by PID in the
// destructor. Not thread-safe (one test thread drives it).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::testing {

struct PrivateRedisOptions {
  std::string password;     // requirepass ("" = none)
  bool appendonly = false;  // keep data across Restart() (AOF, fsync always)
};

class PrivateRedis {
 public:
  // FailedPrecondition when redis-server is not installed; Internal when it does not answer PING in 10 s.
  static absl::StatusOr<std::unique_ptr<PrivateRedis>> Start(const PrivateRedisOptions& options = {});
  ~PrivateRedis();
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // redis://[:password@]127.0.0.1:<port>/0
  std::string url() const;
  bool running() const { return pid_ > 0; }

  absl::Status Kill();     // SIGKILL and reap (no-op when not running)
  absl::Status Restart();  // Kill if running, then start again on the same port and wait for PING

 private:
  PrivateRedis() = default;
  absl::Status Launch();
  PrivateRedisOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// DAIRA_TEST_REDIS, or "" when unset (with CI=true an unset one is reported by RedisBackends' cases).
std::string RedisTestUrl();
// "memory", plus "redis" when DAIRA_TEST_REDIS is set or CI=true (then a missing server fails the case).
std::vector<std::string> RedisBackends();
// A key prefix no other test (or test process) uses: "daira-test:<pid>:<n>:<random>:".
std::string UniqueRedisPrefix();
// True when redis-server is on PATH.
bool PrivateRedisAvailable();

}  // namespace daira::testing
