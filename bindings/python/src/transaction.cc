// p.transaction() and daira.Transaction (see transaction.h): begin, commit, roll back, the context
// manager, and how Close() and a dropped tx end the transactions still open.
#include "transaction.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <string>

#include "module.h"

namespace daira::python {
namespace {

// Releases the GIL for the scope when this thread holds it (destructors may run either way).
class ReleaseGilIfHeld {
 public:
  ReleaseGilIfHeld() {
    if (Py_IsInitialized() && PyGILState_Check()) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

store::IsolationLevel ParseIsolation(const std::string& s) {
  if (s == "default") return store::IsolationLevel::kDefault;
  if (s == "read_committed") return store::IsolationLevel::kReadCommitted;
  if (s == "repeatable_read") return store::IsolationLevel::kRepeatableRead;
  if (s == "serializable") return store::IsolationLevel::kSerializable;
  Throw(InvalidField("transaction", "isolation",
                     "must be one of default, read_committed, repeatable_read, serializable (got " +
                         Repr(py::str(s)) + ")"));
}

}  // namespace

absl::Status TransactionOver(std::string_view op) {
  return absl::FailedPreconditionError(
      std::string(op) + ": the transaction is over (committed, rolled back, or its platform closed)");
}

absl::Status TxState::Finish(bool commit) {
  if (!active()) return TransactionOver(commit ? "commit" : "rollback");
  // A failed COMMIT rolls back; either way the connection goes back to its pool.
  absl::Status st = commit ? tx_->Commit() : tx_->Rollback();
  tx_.reset();
  return st;
}

std::shared_ptr<TxState> Core::BeginTransaction(const CorePtr& self, store::IsolationLevel isolation) {
  py::gil_scoped_release release;
  std::shared_lock lock(mu_);
  if (platform_ == nullptr) Throw(absl::FailedPreconditionError("platform is closed"));
  RequestContext ctx;
  store::ConnectionLease lease = Unwrap(platform_->database().Acquire(ctx, store::Access::kWrite));
  // BEGIN IMMEDIATE on SQLite: the write lock now, so a write later in the block never hits SQLITE_BUSY.
  // The transaction owns the lease and binds no context: each call binds the TxState's context.
  auto tx = std::make_shared<TxState>(self, Unwrap(store::Transaction::Begin(std::move(lease), isolation)));
  std::lock_guard g(txs_mu_);
  txs_.push_back(tx.get());
  return tx;
}

absl::Status Core::EndTransaction(TxState& tx, bool commit) {
  ReleaseGilIfHeld release;
  std::shared_lock lock(mu_);
  std::lock_guard g(tx.mu());
  return tx.Finish(commit);  // after Close() the transaction is already over
}

void Core::ForgetTransaction(TxState& tx) {
  ReleaseGilIfHeld release;
  // Holding mu_ (shared) keeps Close() from destroying the pool while the lease goes back; if Close()
  // ran first it already rolled this transaction back.
  std::shared_lock lock(mu_);
  {
    std::lock_guard g(tx.mu());
    if (tx.active()) (void)tx.Finish(/*commit=*/false);
  }
  std::lock_guard g(txs_mu_);
  txs_.erase(std::remove(txs_.begin(), txs_.end(), &tx), txs_.end());
}

void RegisterTransaction(py::module_& m) {
  using TxPtr = std::shared_ptr<TxState>;
  py::class_<TxState, TxPtr>(
      m, "Transaction",
      "One database transaction on one connection, from Platform.transaction().\n\n"
      "Pass it as tx=tx to repository calls to run them inside it. As a context manager it commits on\n"
      "a normal exit and rolls back when the block raises (the exception propagates). Calls using it\n"
      "after it ended raise daira.FailedPrecondition. Threads sharing it take turns (a mutex).")
      .def_property_readonly(
          "active",
          [](TxState& tx) {
            py::gil_scoped_release release;
            std::lock_guard g(tx.mu());
            return tx.active();
          },
          "True until commit(), rollback(), the end of the `with` block, or Platform.close().")
      .def(
          "commit", [](TxState& tx) { Unwrap(tx.core()->EndTransaction(tx, /*commit=*/true)); },
          "COMMIT and give the connection back. FailedPrecondition once over; a failed COMMIT rolls back\n"
          "and raises (Aborted for a serialization failure: retry the whole block).")
      .def(
          "rollback", [](TxState& tx) { Unwrap(tx.core()->EndTransaction(tx, /*commit=*/false)); },
          "ROLLBACK and give the connection back. FailedPrecondition once over.")
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__",
          [](TxState& tx, py::object exc_type, py::object, py::object) {
            bool active;
            bool by_close;
            {
              py::gil_scoped_release release;
              std::lock_guard g(tx.mu());
              active = tx.active();
              by_close = tx.rolled_back_by_close();
            }
            if (!active) {
              // Ended inside the block (commit()/rollback()/close()): nothing left to do, except that
              // a normal exit after close() must not pretend the work was committed.
              if (exc_type.is_none() && by_close) Throw(TransactionOver("commit"));
              return false;
            }
            if (exc_type.is_none()) {
              Unwrap(tx.core()->EndTransaction(tx, /*commit=*/true));
            } else {
              (void)tx.core()->EndTransaction(tx, /*commit=*/false);  // the block's exception wins
            }
            return false;
          },
          py::arg("exc_type"), py::arg("exc"), py::arg("tb"))
      .def("__repr__", [](TxState& tx) {
        bool active;
        {
          py::gil_scoped_release release;
          std::lock_guard g(tx.mu());
          active = tx.active();
        }
        return std::string("Transaction(active=") + (active ? "True" : "False") + ")";
      });
}

std::shared_ptr<TxState> BeginTransaction(const CorePtr& core, const std::string& isolation) {
  return core->BeginTransaction(core, ParseIsolation(isolation));
}

}  // namespace daira::python
