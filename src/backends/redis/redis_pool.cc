#include "backends/redis/redis_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {
namespace {
constexpr std::chrono::milliseconds kFirstBackoff{100};
}

absl::StatusOr<std::unique_ptr<RedisPool>> RedisPool::Open(const RedisUrl& url) {
  std::unique_ptr<RedisPool> pool(new RedisPool(url));
  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> first, RedisConnection::Connect(url));
  absl::MutexLock lock(&pool->mu_);
  pool->idle_.push_back(std::move(first));
  pool->open_ = 1;
  pool->counters_.connects = 1;
  return pool;
}

RedisPool::~RedisPool() = default;

RedisPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_));
}

absl::StatusOr<RedisPool::Lease> RedisPool::Acquire(const RequestContext* ctx) {
  const auto now = std::chrono::steady_clock::now();
  auto deadline = now + url_.command_timeout;
  if (ctx != nullptr && ctx->deadline().has_value()) {
    if (*ctx->deadline() <= now) {
      return absl::DeadlineExceededError("redis: the request deadline passed before a connection was taken");
    }
    deadline = std::min(deadline, *ctx->deadline());
  }
  std::unique_ptr<RedisConnection> conn;
  {
    absl::MutexLock lock(&mu_);
    const auto can_take = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ + connecting_ < url_.pool_size;
    };
    while (conn == nullptr) {
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
        break;
      }
      if (open_ + connecting_ < url_.pool_size) {
        const auto t = std::chrono::steady_clock::now();
        if (t < next_connect_) {
          const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_connect_ - t);
          return absl::UnavailableError(absl::StrCat(last_connect_error_.message(),
                                                     " (next reconnect attempt in ", wait.count(), " ms)"));
        }
        ++connecting_;
        mu_.Unlock();
        absl::StatusOr<std::unique_ptr<RedisConnection>> fresh = RedisConnection::Connect(url_);
        mu_.Lock();
        --connecting_;
        if (!fresh.ok()) {
          ++counters_.connect_failures;
          backoff_ =
              backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, url_.reconnect_backoff_max);
          next_connect_ = std::chrono::steady_clock::now() + backoff_;
          last_connect_error_ = fresh.status();
          return fresh.status();
        }
        ++open_;
        ++counters_.connects;
        backoff_ = std::chrono::milliseconds(0);
        next_connect_ = {};
        conn = *std::move(fresh);
        break;
      }
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero() ||
          !mu_.AwaitWithTimeout(absl::Condition(&can_take), absl::FromChrono(left))) {
        return absl::DeadlineExceededError(
            absl::StrCat("redis ", url_.Redacted(), ": no free connection within ",
                         url_.command_timeout.count(), " ms (pool_size=", url_.pool_size, ")"));
      }
    }
  }
  Lease lease(this, std::move(conn));
  auto timeout = url_.command_timeout;
  if (ctx != nullptr && ctx->deadline().has_value()) {
    timeout = std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    *ctx->deadline() - std::chrono::steady_clock::now()));
  }
  DAIRA_RETURN_IF_ERROR(lease->SetTimeout(timeout));
  return lease;
}

void RedisPool::Return(std::unique_ptr<RedisConnection> conn) {
  std::vector<std::unique_ptr<RedisConnection>> drop;
  {
    absl::MutexLock lock(&mu_);
    if (!conn->broken()) {
      idle_.push_back(std::move(conn));
      return;
    }
    // One connection failed: the idle ones were opened to the same server and probably failed too. Drop
    // them now rather than fail one request per stale connection after the server comes back.
    drop.push_back(std::move(conn));
    for (auto& c : idle_) drop.push_back(std::move(c));
    idle_.clear();
    open_ -= static_cast<int>(drop.size());
    counters_.dropped += drop.size();
  }
}

RedisPoolStats RedisPool::stats() const {
  absl::MutexLock lock(&mu_);
  RedisPoolStats s = counters_;
  s.open = open_;
  s.idle = static_cast<int>(idle_.size());
  return s;
}

}  // namespace daira::inline v0::backends::redis
