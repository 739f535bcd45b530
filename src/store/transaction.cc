// Transaction: BEGIN on construction, ROLLBACK in the destructor unless committed.

#include "daira/store/transaction.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"

namespace daira::inline v0::store {

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn, IsolationLevel isolation) {
  if (conn.InTransaction()) {
    return absl::FailedPreconditionError("transaction: begin: a transaction is already open on this connection");
  }
  absl::Status st = conn.Begin(isolation, /*immediate=*/true);
  if (!st.ok()) return st;
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  Connection* conn = conn_;
  conn_ = nullptr;
  if (!conn->InTransaction()) return;
  absl::Status st = conn->Rollback();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "store", absl::StrCat("transaction: rollback in destructor failed: ", st.message()));
  }
}

absl::Status Transaction::Commit() {
  if (conn_ == nullptr) return absl::FailedPreconditionError("transaction: commit: the transaction is already over");
  Connection* conn = conn_;
  conn_ = nullptr;
  absl::Status st = conn->Commit();
  if (!st.ok() && conn->InTransaction() && !conn->IsBroken()) {
    absl::Status rb = conn->Rollback();
    if (!rb.ok()) {
      Log(LogLevel::kWarning, "store", absl::StrCat("transaction: rollback after failed commit failed: ", rb.message()));
    }
  }
  return st;
}

absl::Status Transaction::Rollback() {
  if (conn_ == nullptr) {
    return absl::FailedPreconditionError("transaction: rollback: the transaction is already over");
  }
  Connection* conn = conn_;
  conn_ = nullptr;
  return conn->Rollback();
}

}  // namespace daira::inline v0::store
