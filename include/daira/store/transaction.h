// RAII transactions: rolled back in the destructor unless committed.
//
//   DAIRA_ASSIGN_OR_RETURN(auto lease, db->Acquire(ctx));
//   DAIRA_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(*lease));
//   DAIRA_RETURN_IF_ERROR(lease->Execute("UPDATE wallets SET balance = balance - ? WHERE id = ?", {n, a}).status());
//   DAIRA_RETURN_IF_ERROR(lease->Execute("UPDATE wallets SET balance = balance + ? WHERE id = ?", {n, b}).status());
//   return tx.Commit();          // an early return above rolls back
//
// For retries on serialization failures / SQLITE_BUSY use Database::RunInTransaction.
//
// Thread-safety: a Transaction belongs to the thread using its connection.
#pragma once

#include "absl/status/statusor.h"
#include "daira/store/connection.h"

namespace daira::inline v0::store {

class Transaction {
 public:
  // BEGIN on `conn` (which must outlive the transaction). FailedPrecondition if one is already open.
  static absl::StatusOr<Transaction> Begin(Connection& conn, IsolationLevel isolation = IsolationLevel::kDefault);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();  // rolls back if still open; errors there are logged, never thrown

  // COMMIT. On failure the transaction is rolled back and over. FailedPrecondition if already over.
  absl::Status Commit();
  // ROLLBACK. FailedPrecondition if already over.
  absl::Status Rollback();
  bool active() const { return conn_ != nullptr; }
  Connection& connection() { return *conn_; }

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;
};

}  // namespace daira::inline v0::store
