// RAII transactions: rolled back in the destructor unless committed.
//
// Bound to a request (the usual way): every call made with `ctx` until the end — services,
// repositories, Database::Execute/Read, nested RunInTransaction (as savepoints) — runs inside it.
//
//   DAIRA_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*db, ctx));
//   DAIRA_RETURN_IF_ERROR(platform.social().Follow(ctx, bob, alice));        // inside tx
//   DAIRA_RETURN_IF_ERROR(db->Execute(ctx, "UPDATE …", {…}).status());        // inside tx
//   return tx.Commit();          // an early return above rolls back
//
// On a connection you hold (binds no context):
//
//   DAIRA_ASSIGN_OR_RETURN(auto lease, db->Acquire(ctx));
//   DAIRA_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*lease));
//   DAIRA_RETURN_IF_ERROR(lease->Execute("UPDATE wallets SET balance = balance - ? WHERE id = ?", {n, a}).status());
//   return tx.Commit();
//
// For retries on serialization failures / SQLITE_BUSY use Database::RunInTransaction.
//
// Thread-safety: a Transaction belongs to the thread that began it (the context binding is that
// thread's); move it only within that thread.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::store {

class Database;
class ConnectionLease;

class Transaction {
 public:
  // BEGIN on `conn` (which must outlive the transaction). FailedPrecondition if one is already open.
  static absl::StatusOr<Transaction> Begin(Connection& conn, IsolationLevel isolation = IsolationLevel::kDefault);
  // Leases a write connection from `db` for `ctx`, BEGINs (IMMEDIATE on SQLite), and binds `ctx` to the
  // transaction until it ends. `ctx` (this very object; copies are not bound) must outlive the
  // transaction. FailedPrecondition when `ctx` already has a transaction bound (use RunInTransaction
  // to join it); otherwise Acquire's and BEGIN's errors.
  static absl::StatusOr<Transaction> Begin(Database& db, const RequestContext& ctx,
                                           IsolationLevel isolation = IsolationLevel::kDefault);
  // BEGIN on the leased connection, which the transaction keeps until it ends (then returns to its
  // pool). Binds no context: bind contexts per call through open_transaction().
  static absl::StatusOr<Transaction> Begin(ConnectionLease lease, IsolationLevel isolation = IsolationLevel::kDefault);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();  // rolls back if still open; errors there are logged, never thrown

  // COMMIT, then the after-commit hooks (store::AfterCommit) queued on a bound context. On failure the
  // transaction is rolled back and over. FailedPrecondition if already over.
  absl::Status Commit();
  // ROLLBACK (after-commit hooks are dropped). FailedPrecondition if already over.
  absl::Status Rollback();
  bool active() const;
  Connection& connection();
  // The transaction's handle, for binding further contexts to it one call at a time
  // (RequestContext::TransactionBinding) — how host-language bindings serve one transaction from
  // several threads in turn. Valid while active().
  OpenTransaction* open_transaction();

 private:
  struct State;
  explicit Transaction(std::unique_ptr<State> state);
  // Ends the transaction (COMMIT when `commit`), returns the connection to its pool, runs or drops hooks.
  absl::Status Finish(bool commit, const char* op);
  std::unique_ptr<State> state_;
};

}  // namespace daira::inline v0::store
