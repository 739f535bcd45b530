// The private seam between the store layer and a SQL backend: opening one connection, and the
// controls the pool needs on a backend connection that the public store::Connection does not show.
// Pools, routing, instrumentation and transactions live above it in src/store/.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/core/url.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"

namespace daira::inline v0::store::internal {

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

class Driver {
 public:
  virtual ~Driver() = default;
  virtual Backend backend() const = 0;
  // Opens one connection to `url` (the primary's or a replica's), configured from `options`
  // (SQLite: WAL, busy timeout, foreign keys, synchronous; Postgres: connect timeout, keepalives,
  // statement timeout, statement cache size). `read_only` asks for a reader connection where the
  // backend distinguishes (SQLite). Connecting stops at `deadline` when one is given (Postgres).
  // Unavailable when the server/file cannot be reached (DeadlineExceeded at the deadline);
  // InvalidArgument for a malformed URL.
  virtual absl::StatusOr<std::unique_ptr<Connection>> Connect(const Url& url, const DatabaseOptions& options,
                                                              bool read_only, Deadline deadline) = 0;
  absl::StatusOr<std::unique_ptr<Connection>> Connect(const Url& url, const DatabaseOptions& options,
                                                      bool read_only) {
    return Connect(url, options, read_only, std::nullopt);
  }
};

// Implemented by every backend connection besides store::Connection (the public interface stays
// unchanged): InstrumentedConnection binds the lease's request to it, so a running statement stops at
// the request's deadline, and collects the statements the bounded statement cache evicted.
class ConnectionControl {
 public:
  virtual ~ConnectionControl() = default;
  // The request the connection works for until the next call (null: none). Statements stop at its
  // deadline (and at the statement_timeout_ms option, whichever comes first) with DeadlineExceeded;
  // notices are logged with its correlation id. `ctx` must outlive the binding.
  virtual void BindRequest(const RequestContext* ctx) = 0;
  // Statements evicted from the connection's LRU statement cache since the last call. Callers may
  // still hold a pointer to one until they give the connection back (an evicted statement prepares
  // itself again if executed), so the owner frees them only when the lease ends.
  virtual std::vector<std::unique_ptr<Statement>> TakeEvicted() = 0;
};

// Implemented by connections that can receive server notifications (Postgres LISTEN/NOTIFY), for the
// event bus's wake-ups. The connection is dedicated to listening (never pooled).
class NotificationSource {
 public:
  virtual ~NotificationSource() = default;
  // Waits until a notification arrives, `wake_fd` (if >= 0) becomes readable, or `timeout` passes;
  // returns the payloads received (possibly none). Unavailable when the connection is lost.
  virtual absl::StatusOr<std::vector<std::string>> WaitForNotifications(std::chrono::milliseconds timeout,
                                                                        int wake_fd) = 0;
};

// The backend's control interface of `conn`, or null for a connection that has none (test doubles).
inline ConnectionControl* ControlOf(Connection* conn) { return dynamic_cast<ConnectionControl*>(conn); }

}  // namespace daira::inline v0::store::internal
