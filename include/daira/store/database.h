// A SQL database: a pool of connections to a primary, optional read replicas, statistics.
//
//   auto db = store::Database::Open("sqlite:./app.db");          // or postgres://app@127.0.0.1:5433/app
//   if (!db.ok()) return db.status();                           // InvalidArgument / Unavailable
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(auto rs, (*db)->Read(ctx, "SELECT count(*) FROM users"));
//   DAIRA_RETURN_IF_ERROR((*db)->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
//     return c.Execute("INSERT INTO hashtags (tag) VALUES (?)", {"cats"}).status();
//   }));
//
// Backends are chosen by URL scheme (sqlite, postgres) through one explicit registry.
// SQLite: one writer connection plus `readers` reader connections (WAL); Postgres: a pool of
// pool_min..pool_max connections per endpoint. Reads (Access::kRead) may go to a replica; writes never
// do; a replica that fails or lags more than max_replica_lag is skipped for the primary, and a context
// that wrote reads from a replica only once that replica has replayed its write (read-your-writes).
//
// Thread-safety: a Database is safe to use from any number of threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "daira/store/connection_lease.h"
#include "daira/store/database_options.h"
#include "daira/store/open_transaction.h"
#include "daira/store/pool_stats.h"
#include "daira/store/transaction.h"

namespace daira::inline v0::store {

enum class Access { kWrite, kRead };

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  static absl::StatusOr<std::unique_ptr<Database>> Open(std::string_view url);
  virtual ~Database() = default;

  virtual Backend backend() const = 0;
  const Dialect& dialect() const;
  // The primary's URL with the password redacted.
  virtual std::string endpoint() const = 0;

  // Leases a connection: the primary for kWrite; for kRead a healthy, caught-up replica when there is
  // one, else the primary. DeadlineExceeded if ctx's deadline passed; ResourceExhausted after
  // acquire_timeout; Unavailable if no connection can be opened.
  virtual absl::StatusOr<ConnectionLease> Acquire(const RequestContext& ctx, Access access = Access::kWrite) = 0;

  // One statement on the primary / on a read connection. While `ctx` has a transaction open (inside
  // RunInTransaction) both run on that transaction's connection instead.
  absl::StatusOr<ResultSet> Execute(const RequestContext& ctx, std::string_view sql, Params params = {});
  absl::StatusOr<ResultSet> Execute(const RequestContext& ctx, std::string_view sql,
                                    std::initializer_list<Value> params) {
    return Execute(ctx, sql, Params(params.begin(), params.size()));
  }
  absl::StatusOr<ResultSet> Read(const RequestContext& ctx, std::string_view sql, Params params = {});
  absl::StatusOr<ResultSet> Read(const RequestContext& ctx, std::string_view sql,
                                 std::initializer_list<Value> params) {
    return Read(ctx, sql, Params(params.begin(), params.size()));
  }

  struct TransactionOptions {
    IsolationLevel isolation = IsolationLevel::kDefault;
    int max_attempts = 5;                              // Aborted is retried up to this many times in all
    std::chrono::milliseconds initial_backoff{2};      // doubled per retry, with jitter
  };
  // Runs `fn` inside a transaction on the primary and commits when it returns OK; rolls back and
  // returns its error otherwise. Aborted (serialization failure, deadlock, SQLITE_BUSY) reruns the whole
  // function; `fn` must therefore be safe to repeat. While it runs, `ctx` (this object, not its copies)
  // is bound to the transaction (see RequestContext::open_transaction), released on every exit,
  // exceptions included. Called again with a bound `ctx` (services composing, or inside
  // store::Transaction::Begin(db, ctx)), it joins the open transaction inside a SAVEPOINT: released when
  // `fn` returns OK, rolled back to when it fails, so a caught inner error undoes exactly the inner
  // work; the outermost call commits, rolls back or retries the whole unit. After the outermost COMMIT
  // the hooks queued with store::AfterCommit run. A BEGIN that fails because the pooled connection was
  // lost is retried once on a fresh connection. FailedPrecondition when `ctx` is bound on another thread.
  absl::Status RunInTransaction(const RequestContext& ctx, const std::function<absl::Status(Connection&)>& fn,
                                const TransactionOptions& options);
  absl::Status RunInTransaction(const RequestContext& ctx, const std::function<absl::Status(Connection&)>& fn) {
    return RunInTransaction(ctx, fn, TransactionOptions{});
  }

  // Statistics per endpoint: the primary first, then replicas in configuration order.
  virtual std::vector<PoolStats> Stats() const = 0;

  // Closes every idle pooled connection and refuses all further work: Acquire (and so every service
  // call) returns FailedPrecondition "database is closed". Leases still out close when returned.
  // Idempotent. The object itself stays valid until destroyed, so holders of a Database& never dangle.
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

// Runs `fn(Connection&)` on the request's open transaction when there is one (so it sees the
// transaction's uncommitted writes and SQLite's single writer is never asked for twice), else on a
// connection leased for `access` and returned afterwards. Returns what `fn` returns (a Status or
// StatusOr<T>), or the lease's error.
//
//   return store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c)
//                                    -> absl::StatusOr<int64_t> { ... several statements ... });
template <typename F>
auto WithConnection(Database& db, const RequestContext& ctx, Access access, F&& fn)
    -> decltype(fn(std::declval<Connection&>())) {
  absl::StatusOr<Connection*> bound = BoundConnection(ctx, "database");
  if (!bound.ok()) return bound.status();
  if (*bound != nullptr) return fn(**bound);
  auto lease = db.Acquire(ctx, access);
  if (!lease.ok()) return lease.status();
  return fn(**lease);
}

}  // namespace daira::inline v0::store
