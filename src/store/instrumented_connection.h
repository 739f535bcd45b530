// InstrumentedConnection: the decorator every pooled backend connection is wrapped in.
//
// It counts statements against the lease's RequestContext and the pool, times every statement and logs
// the slow ones with the correlation id, and remembers whether the lease may have written (so the pool
// can record the primary's write position for read-your-writes). Everything else is forwarded.
//
// Thread-safety: like any Connection, used by one thread at a time (the lease holder); the pool
// counters it updates are atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "store/driver.h"

namespace daira::inline v0::store::internal {

// Statement counters shared by every connection of one pool.
struct StatementCounters {
  std::atomic<int64_t> statements{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> slow_statements{0};
};

class InstrumentedConnection final : public Connection {
 public:
  InstrumentedConnection(std::unique_ptr<Connection> inner, StatementCounters* counters,
                         std::chrono::milliseconds slow_statement);
  ~InstrumentedConnection() override;

  // Binds the connection to a lease: statements count against `ctx` and stop at its deadline until
  // Detach(). Detach also frees the statements the backend's cache evicted during the lease.
  void Attach(const RequestContext& ctx, Access access);
  void Detach();
  // Statements count against `ctx` and stop at its deadline from here on (a group commit runs several
  // requests on one lease, each under its own context); Attach's access and dirty flags stay.
  void Rebind(const RequestContext& ctx);
  const RequestContext* ctx() const { return ctx_ ? &*ctx_ : nullptr; }
  Access access() const { return access_; }
  // True when a statement that may have written ran (and was not rolled back) during this lease.
  bool dirty() const { return dirty_; }

  Connection& inner() { return *inner_; }
  // When the connection was last returned to its pool (the pool's clock).
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }
  void set_last_used(std::chrono::steady_clock::time_point t) { last_used_ = t; }
  // When the connection was opened (the pool's clock), for max_lifetime.
  std::chrono::steady_clock::time_point created() const { return created_; }
  void set_created(std::chrono::steady_clock::time_point t) { created_ = t; }

  // Connection.
  Backend backend() const override { return inner_->backend(); }
  absl::StatusOr<Statement*> Prepare(std::string_view sql) override;
  absl::StatusOr<Statement*> Prepare(const SqlText& sql) override;
  absl::StatusOr<std::vector<ResultSet>> ExecuteBatch(std::span<const BatchStatement> batch) override;
  absl::Status ExecuteScript(std::string_view sql) override;
  absl::Status Begin(IsolationLevel isolation, bool immediate) override;
  absl::Status Commit() override;
  absl::Status Rollback() override;
  bool InTransaction() const override { return inner_->InTransaction(); }
  absl::Status Ping() override { return inner_->Ping(); }
  bool IsBroken() const override { return inner_->IsBroken(); }
  absl::StatusOr<std::string> WritePosition() override { return inner_->WritePosition(); }
  absl::StatusOr<bool> HasReplayed(std::string_view position) override { return inner_->HasReplayed(position); }
  absl::StatusOr<int64_t> ReplicaLagMillis() override { return inner_->ReplicaLagMillis(); }
  int64_t statements_executed() const override { return inner_->statements_executed(); }

  // Bookkeeping around one backend call: `count` statements of text `sql` took `elapsed` and ended
  // with `status`; `may_write` marks the lease dirty.
  void Record(std::string_view sql, int64_t count, bool may_write, std::chrono::steady_clock::duration elapsed,
              const absl::Status& status);

 private:
  class WrappedStatement;
  // The wrapper of the backend's `st` (made on its first use); a failed prepare counted as a statement.
  absl::StatusOr<Statement*> Wrap(std::string_view sql, const absl::StatusOr<Statement*>& st);

  std::unique_ptr<Connection> inner_;
  ConnectionControl* control_;  // inner_'s, or null
  StatementCounters* counters_;
  std::chrono::milliseconds slow_statement_;
  std::optional<RequestContext> ctx_;
  Access access_ = Access::kWrite;
  bool dirty_ = false;     // a possibly-writing statement ran outside a transaction or in a committed one
  bool tx_dirty_ = false;  // ... inside the open transaction
  std::chrono::steady_clock::time_point last_used_{};
  std::chrono::steady_clock::time_point created_{};
  std::unordered_map<Statement*, std::unique_ptr<WrappedStatement>> statements_;
};

// True unless `sql` plainly only reads (starts with SELECT / SHOW / EXPLAIN / VALUES, ignoring
// whitespace and comments). Conservative: "WITH ..." counts as a possible write.
bool MayWrite(std::string_view sql);

}  // namespace daira::inline v0::store::internal
