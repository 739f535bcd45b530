// The transaction a RequestContext is bound to: its connection, its savepoints, its after-commit hooks.
//
// Services never make one: Database::RunInTransaction and store::Transaction::Begin(db, ctx) do, and
// bind it to the request's context for exactly as long as the transaction is open. What services use:
//
//   // Runs on the request's transaction when one is bound, else on a leased connection:
//   store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c) { ... });
//   // Runs `fn` once the outermost transaction commits (never after a rollback); at once without one:
//   store::AfterCommit(ctx, [key] { cache.Delete(key); });
//
// A nested RunInTransaction on a bound context runs inside a SAVEPOINT: released when it returns OK,
// rolled back to when it fails, so a caught inner error undoes only the inner work on both backends
// (and Postgres never sees statements after an error in the same transaction). Hooks added inside a
// savepoint that is rolled back are dropped with it.
//
// Thread-safety: an OpenTransaction is used by the thread its context is bound on (see
// RequestContext::CheckTransactionThread); it is not safe for concurrent use.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "daira/core/request_context.h"
#include "daira/store/connection.h"

namespace daira::inline v0::store {

class OpenTransaction {
 public:
  // `conn` must be inside a transaction (BEGIN done) and outlive this object.
  explicit OpenTransaction(Connection& conn) : conn_(&conn) {}
  OpenTransaction(const OpenTransaction&) = delete;
  OpenTransaction& operator=(const OpenTransaction&) = delete;

  Connection& connection() const { return *conn_; }

  // Runs `fn` inside a SAVEPOINT (see the header comment). Returns `fn`'s status, or the savepoint
  // statement's error. A failed ROLLBACK TO leaves the whole transaction to fail (the error says so).
  absl::Status RunNested(const std::function<absl::Status(Connection&)>& fn);

  // Queues `fn` to run after the outermost COMMIT succeeds.
  void AfterCommit(std::function<void()> fn) { hooks_.push_back(std::move(fn)); }
  // Runs the queued hooks in order (the owner calls it once, after COMMIT), then forgets them. A hook
  // that throws is logged and the rest still run.
  void RunAfterCommitHooks();
  // Forgets the queued hooks (rollback).
  void DropAfterCommitHooks() { hooks_.clear(); }

  // Savepoints currently open (0 at the outermost level).
  int depth() const { return depth_; }

 private:
  Connection* conn_;
  int depth_ = 0;
  std::vector<std::function<void()>> hooks_;
};

// The connection of the transaction bound to `ctx`, null when none is bound, or FailedPrecondition
// naming `op` when it was bound on another thread.
absl::StatusOr<Connection*> BoundConnection(const RequestContext& ctx, std::string_view op);

// Runs `fn` after the transaction bound to `ctx` commits (dropped if it rolls back), or at once when
// no transaction is bound. For invalidations and notifications that must never announce a write that
// did not happen. A hook must not throw (it is logged and ignored if it does).
void AfterCommit(const RequestContext& ctx, std::function<void()> fn);

}  // namespace daira::inline v0::store
