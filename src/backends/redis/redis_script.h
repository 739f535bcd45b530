// A Lua script run with EVALSHA (internal to the Redis backends). Its SHA1 is learned from the server's
// SCRIPT LOAD reply the first time it runs, and the script is loaded again after NOSCRIPT (a restarted or
// flushed server), so callers never send the whole source on the hot path.
//
//   static const RedisScript kIncrCapped(R"lua(
//     local v = redis.call('INCR', KEYS[1]) ... return v
//   )lua");
//   DAIRA_ASSIGN_OR_RETURN(RedisReply r, conn->Eval(kIncrCapped, {key}, {cap}));
//
// Thread-safe: one script object may be shared by every connection and thread.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace daira::inline v0::backends::redis {

class RedisScript {
 public:
  explicit RedisScript(std::string source) : source_(std::move(source)) {}
  RedisScript(const RedisScript&) = delete;
  RedisScript& operator=(const RedisScript&) = delete;

  const std::string& source() const { return source_; }
  // The SHA1 the server reported, or "" before the first load.
  std::string sha() const {
    absl::MutexLock lock(&mu_);
    return sha_;
  }
  void set_sha(std::string sha) const {
    absl::MutexLock lock(&mu_);
    sha_ = std::move(sha);
  }

 private:
  const std::string source_;
  mutable absl::Mutex mu_;
  mutable std::string sha_ ABSL_GUARDED_BY(mu_);
};

}  // namespace daira::inline v0::backends::redis
