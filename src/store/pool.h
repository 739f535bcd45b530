// Pool: the connections of one endpoint (a Postgres primary or replica, the SQLite writer or readers).
//
// Connections are lent LIFO (the warmest first) and returned by ConnectionLease. The pool keeps
// `min` connections open, grows on demand up to `max`, makes callers wait up to acquire_timeout (capped
// by the request deadline) when all are lent, closes connections idle longer than idle_timeout above
// `min`, pings a connection idle at least validate_after before lending it (replacing it silently when
// the ping fails; after a connection comes back broken, every idle connection is pinged once before it
// is lent), discards connections that come back broken or stuck in a transaction, and closes
// connections older than max_lifetime when they come back (or are found idle). Opening a connection
// and validating it stop at the request's deadline.
//
// Thread-safety: every method is safe from any thread. The pool must outlive its leases.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/core/url.h"
#include "daira/store/database.h"
#include "store/driver.h"
#include "store/instrumented_connection.h"

namespace daira::inline v0::store::internal {

struct PoolConfig {
  std::string endpoint;  // redacted, for stats and messages
  Url url;               // what the driver connects to
  bool read_only = false;
  int min = 0;
  int max = 1;
  PoolOptions options;
  const DatabaseOptions* database_options = nullptr;  // passed to the driver; outlives the pool
  Driver* driver = nullptr;                           // outlives the pool
  const Clock* clock = nullptr;                       // idle/validation bookkeeping
  // Record the primary's write position into the lease's context when a write lease that may have
  // written comes back (read-your-writes; only worth a round trip when replicas exist).
  bool note_write_positions = false;
};

class Pool final : public ConnectionLease::Owner {
 public:
  explicit Pool(PoolConfig config);
  ~Pool() override;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Opens connections until `count` are open. Unavailable (from the driver) if one cannot be opened.
  absl::Status Fill(int count);

  // Lends a connection. With `wait` false, ResourceExhausted at once when none is free and the pool is
  // at max (used to fall through replicas). DeadlineExceeded / ResourceExhausted / Unavailable.
  absl::StatusOr<ConnectionLease> Acquire(const RequestContext& ctx, Access access, bool wait = true);
  void Release(Connection* conn) override;

  PoolStats Stats() const;
  const std::string& endpoint() const { return config_.endpoint; }

  // Closes the idle connections now and every lent one when it comes back; Acquire then fails with
  // FailedPrecondition. Idempotent.
  void Close();

 private:
  using Conn = std::unique_ptr<InstrumentedConnection>;
  absl::StatusOr<Conn> Open(Deadline deadline);
  // True when `conn` has outlived max_lifetime.
  bool Expired(const InstrumentedConnection& conn) const;
  // Moves idle connections past idle_timeout (above min) into `out` to be closed outside the lock.
  void CollectIdleLocked(std::vector<Conn>* out);
  ConnectionLease Lend(Conn conn, const RequestContext& ctx, Access access,
                       std::chrono::steady_clock::time_point start);

  const PoolConfig config_;
  StatementCounters counters_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Conn> idle_;  // back = most recently returned
  int open_ = 0;           // idle + lent + being opened
  int in_use_ = 0;         // lent + being opened/validated
  bool closed_ = false;    // Close() ran
  // A connection came back broken at this time (server restart, failover): idle connections returned
  // before it are pinged before they are lent, whatever validate_after says, so one caller sees the
  // failure instead of one caller per pooled connection.
  std::chrono::steady_clock::time_point suspect_before_{};

  std::atomic<int64_t> acquires_{0};
  std::atomic<int64_t> waits_{0};
  std::atomic<int64_t> timeouts_{0};
  std::atomic<int64_t> created_{0};
  std::atomic<int64_t> discarded_{0};

  // Recent acquire latencies (µs), a ring buffer.
  static constexpr size_t kLatencySamples = 1024;
  mutable std::mutex latency_mu_;
  std::array<int64_t, kLatencySamples> latency_us_{};
  size_t latency_count_ = 0;  // total recorded; next slot = latency_count_ % kLatencySamples
};

}  // namespace daira::inline v0::store::internal
