// A thread-safe pool of Redis connections with reconnect backoff (internal to the Redis backends).
//
//   DAIRA_ASSIGN_OR_RETURN(auto pool, RedisPool::Open(url));     // connects once: a bad URL fails here
//   DAIRA_ASSIGN_OR_RETURN(RedisPool::Lease conn, pool->Acquire(&ctx));
//   DAIRA_ASSIGN_OR_RETURN(RedisReply r, conn->Command({"GET", key}));
//   // the lease returns the connection when it goes out of scope (a broken one is dropped)
//
// Losing the server costs speed, not a hang: while it is unreachable, a new connect is tried at most once
// per backoff interval (100 ms doubling up to url.reconnect_backoff_max) and Acquire fails fast with
// Unavailable in between; the first connect that succeeds resets the backoff, so the pool comes back by
// itself. When a connection breaks, the idle ones (probably dead too) are dropped with it.
//
// Thread-safe. A Lease is owned by one thread at a time and must not outlive the pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/redis/redis_connection.h"
#include "daira/core/request_context.h"

namespace daira::inline v0::backends::redis {

struct RedisPoolStats {
  int open = 0;              // connections open (idle + leased)
  int idle = 0;
  uint64_t connects = 0;     // successful connects since Open
  uint64_t connect_failures = 0;
  uint64_t dropped = 0;      // connections dropped after an I/O failure
};

class RedisPool {
 public:
  // Opens the pool and connects one connection at once, so a bad URL, a wrong password or an unreachable
  // server is reported here (Unavailable / Unauthenticated / PermissionDenied naming url.Redacted()).
  static absl::StatusOr<std::unique_ptr<RedisPool>> Open(const RedisUrl& url);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) { other.pool_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    RedisConnection* operator->() const { return conn_.get(); }
    RedisConnection& operator*() const { return *conn_; }

   private:
    friend class RedisPool;
    Lease(RedisPool* pool, std::unique_ptr<RedisConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> conn_;
  };

  // A connection. Waits at most url.command_timeout (or until the context's deadline, if sooner) for a free
  // one (then DeadlineExceeded); Unavailable while the server is unreachable (fast, during the backoff).
  // With a context deadline, the connection's socket timeout is shortened to it for this lease.
  absl::StatusOr<Lease> Acquire(const RequestContext* ctx = nullptr);

  const RedisUrl& url() const { return url_; }
  RedisPoolStats stats() const;

 private:
  explicit RedisPool(RedisUrl url) : url_(std::move(url)) {}
  void Return(std::unique_ptr<RedisConnection> conn);

  const RedisUrl url_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int connecting_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point next_connect_ ABSL_GUARDED_BY(mu_){};
  std::chrono::milliseconds backoff_ ABSL_GUARDED_BY(mu_){0};
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mu_);
  RedisPoolStats counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace daira::inline v0::backends::redis
