// Transaction: BEGIN on construction, ROLLBACK in the destructor unless committed; optionally owning
// its lease and binding a request context.

#include "daira/store/transaction.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "store/transaction_internal.h"

namespace daira::inline v0::store {

struct Transaction::State {
  explicit State(Connection& c) : conn(&c), open(c) {}
  Connection* conn;                      // null once over
  std::optional<ConnectionLease> lease;  // engaged when Begin(db, ctx) leased the connection
  OpenTransaction open;
  std::optional<RequestContext::TransactionBinding> binding;  // engaged when a context is bound
};

Transaction::Transaction(std::unique_ptr<State> state) : state_(std::move(state)) {}

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn, IsolationLevel isolation) {
  if (conn.InTransaction()) {
    return absl::FailedPreconditionError("transaction: begin: a transaction is already open on this connection");
  }
  absl::Status st = conn.Begin(isolation, /*immediate=*/true);
  if (!st.ok()) return st;
  return Transaction(std::make_unique<State>(conn));
}

absl::StatusOr<Transaction> Transaction::Begin(ConnectionLease lease, IsolationLevel isolation) {
  if (lease->InTransaction()) {
    return absl::FailedPreconditionError(
        "transaction: begin: a transaction is already open on this connection");
  }
  DAIRA_RETURN_IF_ERROR(lease->Begin(isolation, /*immediate=*/true));
  auto state = std::make_unique<State>(*lease);
  state->lease.emplace(std::move(lease));
  return Transaction(std::move(state));
}

absl::StatusOr<Transaction> Transaction::Begin(Database& db, const RequestContext& ctx,
                                               IsolationLevel isolation) {
  if (ctx.open_transaction() != nullptr) {
    return absl::FailedPreconditionError(
        "transaction: begin: this request context already has a transaction open (nested work joins it "
        "through "
        "Database::RunInTransaction)");
  }
  DAIRA_ASSIGN_OR_RETURN(ConnectionLease lease, db.Acquire(ctx, Access::kWrite));
  DAIRA_ASSIGN_OR_RETURN(Transaction tx, Begin(std::move(lease), isolation));
  tx.state_->binding.emplace(ctx, &tx.state_->open);
  return tx;
}

Transaction::Transaction(Transaction&& other) noexcept : state_(std::move(other.state_)) {}

Transaction::~Transaction() {
  if (!active()) return;
  absl::Status st = Finish(/*commit=*/false, "rollback in destructor");
  if (!st.ok()) {
    Log(LogLevel::kWarning, "store", absl::StrCat("transaction: rollback in destructor failed: ", st.message()));
  }
}

bool Transaction::active() const { return state_ != nullptr && state_->conn != nullptr; }

Connection& Transaction::connection() { return *state_->conn; }

OpenTransaction* Transaction::open_transaction() { return active() ? &state_->open : nullptr; }

absl::Status Transaction::Finish(bool commit, const char* op) {
  if (!active()) {
    return absl::FailedPreconditionError(
        absl::StrCat("transaction: ", op, ": the transaction is already over"));
  }
  Connection* conn = state_->conn;
  state_->conn = nullptr;
  state_->binding.reset();  // the context works outside the transaction from here on
  absl::Status st;
  if (commit) {
    st = internal::EndTransaction(*conn, absl::OkStatus());
  } else if (conn->InTransaction()) {
    st = conn->Rollback();
  }
  state_->lease.reset();  // back to the pool before the hooks run (they may use the database)
  if (commit && st.ok()) {
    state_->open.RunAfterCommitHooks();
  } else {
    state_->open.DropAfterCommitHooks();
  }
  return st;
}

absl::Status Transaction::Commit() { return Finish(/*commit=*/true, "commit"); }

absl::Status Transaction::Rollback() { return Finish(/*commit=*/false, "rollback"); }

namespace internal {

absl::Status EndTransaction(Connection& conn, absl::Status outcome) {
  if (outcome.ok()) outcome = conn.Commit();
  if (!outcome.ok() && conn.InTransaction() && !conn.IsBroken()) {
    absl::Status rb = conn.Rollback();
    if (!rb.ok()) Log(LogLevel::kWarning, "store", absl::StrCat("transaction: rollback failed: ", rb.message()));
  }
  return outcome;
}

}  // namespace internal

}  // namespace daira::inline v0::store
