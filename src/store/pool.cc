#include "store/pool.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::store::internal {

Pool::Pool(PoolConfig config) : config_(std::move(config)) {}

Pool::~Pool() {
  std::deque<Conn> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
  }
  // Connections still lent here would be a caller bug (leases must not outlive their Database).
}

absl::StatusOr<Pool::Conn> Pool::Open(Deadline deadline) {
  absl::StatusOr<std::unique_ptr<Connection>> c =
      config_.driver->Connect(config_.url, *config_.database_options, config_.read_only, deadline);
  if (!c.ok()) return c.status();
  created_.fetch_add(1, std::memory_order_relaxed);
  auto conn = std::make_unique<InstrumentedConnection>(std::move(*c), &counters_, config_.options.slow_statement);
  conn->set_last_used(config_.clock->SteadyNow());
  conn->set_created(config_.clock->SteadyNow());
  return conn;
}

bool Pool::Expired(const InstrumentedConnection& conn) const {
  // SQLite connections are not recycled: there is no server to fail over, and closing the one
  // connection of a `:memory:` database would lose it.
  return config_.options.max_lifetime.count() > 0 && config_.driver->backend() != Backend::kSqlite &&
         config_.clock->SteadyNow() - conn.created() >= config_.options.max_lifetime;
}

absl::Status Pool::Fill(int count) {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (open_ >= count || open_ >= config_.max) return absl::OkStatus();
      ++open_;
    }
    absl::StatusOr<Conn> c = Open(std::nullopt);
    std::lock_guard<std::mutex> lock(mu_);
    if (!c.ok()) {
      --open_;
      return c.status();
    }
    idle_.push_back(std::move(*c));
    cv_.notify_one();
  }
}

void Pool::CollectIdleLocked(std::vector<Conn>* out) {
  if (idle_.empty() || open_ <= config_.min) return;
  const auto now = config_.clock->SteadyNow();
  while (!idle_.empty() && open_ > config_.min && now - idle_.front()->last_used() > config_.options.idle_timeout) {
    out->push_back(std::move(idle_.front()));
    idle_.pop_front();
    --open_;
    discarded_.fetch_add(1, std::memory_order_relaxed);
  }
}

ConnectionLease Pool::Lend(Conn conn, const RequestContext& ctx, Access access,
                           std::chrono::steady_clock::time_point start) {
  conn->Attach(ctx, access);
  acquires_.fetch_add(1, std::memory_order_relaxed);
  const int64_t us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard<std::mutex> lock(latency_mu_);
    latency_us_[latency_count_ % kLatencySamples] = us;
    ++latency_count_;
  }
  return ConnectionLease(this, conn.release());
}

absl::StatusOr<ConnectionLease> Pool::Acquire(const RequestContext& ctx, Access access, bool wait) {
  DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline("database: acquire connection"));
  const auto start = std::chrono::steady_clock::now();
  auto limit = start + config_.options.acquire_timeout;
  bool deadline_limits = false;
  if (ctx.deadline().has_value() && *ctx.deadline() < limit) {
    limit = *ctx.deadline();
    deadline_limits = true;
  }
  bool waited = false;
  // Declared before the lock: closed after it is released. A vector, not a deque: an empty deque
  // allocates (its map and first node), two allocations per lease for nothing on the usual path.
  std::vector<Conn> to_close;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (closed_) {
      return absl::FailedPreconditionError(absl::StrCat("database: ", config_.endpoint, " is closed"));
    }
    CollectIdleLocked(&to_close);
    if (!idle_.empty()) {
      Conn c = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      const bool validate = config_.clock->SteadyNow() - c->last_used() >= config_.options.validate_after ||
                            c->last_used() < suspect_before_;
      lock.unlock();
      to_close.clear();
      // The validation ping is bounded by the request's deadline too.
      absl::Status ping;
      if (Expired(*c)) {
        ping = absl::UnavailableError("database: connection outlived max_lifetime");
      } else if (validate) {
        c->Attach(ctx, access);
        ping = c->IsBroken() ? absl::UnavailableError("database: connection is broken") : c->Ping();
        if (ping.code() == absl::StatusCode::kDeadlineExceeded) {
          // Out of time: the request's deadline, or a server that does not answer (then the connection
          // is broken and Release discards it). Either way this caller has waited its bound: stop here
          // rather than pinging the next idle connection of a frozen server.
          Release(c.release());
          return Annotate(ping, absl::StrCat("database: validate connection to ", config_.endpoint));
        }
      }
      if (!ping.ok()) {
        // Expired, or dead (server restarted, idle connection killed): replace it without the caller
        // noticing.
        c.reset();
        discarded_.fetch_add(1, std::memory_order_relaxed);
        lock.lock();
        --in_use_;
        --open_;
        continue;
      }
      return Lend(std::move(c), ctx, access, start);
    }
    if (open_ < config_.max) {
      ++open_;
      ++in_use_;
      lock.unlock();
      to_close.clear();
      absl::StatusOr<Conn> c = Open(ctx.deadline());
      if (!c.ok()) {
        lock.lock();
        --open_;
        --in_use_;
        cv_.notify_one();
        return Annotate(c.status(), absl::StrCat("database: open connection to ", config_.endpoint));
      }
      return Lend(std::move(*c), ctx, access, start);
    }
    if (!wait) {
      return absl::ResourceExhaustedError(
          absl::StrCat("database: no idle connection to ", config_.endpoint, " (pool_max ", config_.max, ")"));
    }
    if (!waited) {
      waited = true;
      waits_.fetch_add(1, std::memory_order_relaxed);
    }
    if (cv_.wait_until(lock, limit) == std::cv_status::timeout && idle_.empty() && open_ >= config_.max) {
      const int in_use = in_use_;
      lock.unlock();
      if (deadline_limits) {
        DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline("database: acquire connection"));
        return absl::DeadlineExceededError(
            absl::StrCat("database: acquire connection: request deadline reached (correlation id ",
                         ctx.correlation_id(), ")"));
      }
      timeouts_.fetch_add(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(absl::StrCat(
          "database: no connection available within ", config_.options.acquire_timeout.count(), " ms (pool_max ",
          config_.max, ", in use ", in_use, ")"));
    }
  }
}

void Pool::Release(Connection* conn) {
  Conn c(static_cast<InstrumentedConnection*>(conn));
  if (config_.note_write_positions && c->access() == Access::kWrite && c->dirty() && c->ctx() != nullptr &&
      !c->IsBroken() && !c->InTransaction()) {
    absl::StatusOr<std::string> pos = c->WritePosition();
    if (pos.ok() && !pos->empty()) c->ctx()->NoteWritePosition(*pos);
  }
  c->Detach();
  const bool expired_or_broken = c->IsBroken() || c->InTransaction() || Expired(*c);
  std::vector<Conn> to_close;
  std::unique_lock<std::mutex> lock(mu_);
  const bool discard = expired_or_broken || closed_;
  --in_use_;
  if (discard) {
    if (c->IsBroken()) suspect_before_ = config_.clock->SteadyNow();
    --open_;
    discarded_.fetch_add(1, std::memory_order_relaxed);
    to_close.push_back(std::move(c));
  } else {
    c->set_last_used(config_.clock->SteadyNow());
    idle_.push_back(std::move(c));
    CollectIdleLocked(&to_close);
  }
  lock.unlock();
  cv_.notify_one();
}

void Pool::Close() {
  std::deque<Conn> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    open_ -= static_cast<int>(idle_.size());
    to_close.swap(idle_);
  }
  cv_.notify_all();  // waiters see closed_
}

PoolStats Pool::Stats() const {
  PoolStats s;
  s.endpoint = config_.endpoint;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.open = open_;
    s.idle = static_cast<int>(idle_.size());
    s.in_use = open_ - s.idle;
  }
  s.acquires = acquires_.load(std::memory_order_relaxed);
  s.waits = waits_.load(std::memory_order_relaxed);
  s.timeouts = timeouts_.load(std::memory_order_relaxed);
  s.created = created_.load(std::memory_order_relaxed);
  s.discarded = discarded_.load(std::memory_order_relaxed);
  s.statements = counters_.statements.load(std::memory_order_relaxed);
  s.errors = counters_.errors.load(std::memory_order_relaxed);
  s.slow_statements = counters_.slow_statements.load(std::memory_order_relaxed);
  std::vector<int64_t> samples;
  {
    std::lock_guard<std::mutex> lock(latency_mu_);
    const size_t n = std::min(latency_count_, kLatencySamples);
    samples.assign(latency_us_.begin(), latency_us_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  if (!samples.empty()) {
    auto pct = [&](double p) {
      size_t k = static_cast<size_t>(p * static_cast<double>(samples.size() - 1));
      std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k), samples.end());
      return samples[k];
    };
    s.acquire_p50_us = pct(0.50);
    s.acquire_p99_us = pct(0.99);
  }
  return s;
}

}  // namespace daira::inline v0::store::internal
