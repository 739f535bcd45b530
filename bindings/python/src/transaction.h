// Database transactions from Python: `with p.transaction() as tx:` and the `tx=` argument every
// repository call takes.
//
//   with p.transaction() as tx:                       # BEGIN on one leased write connection
//       w = p.wallets.create(user_id=7, tx=tx)        # runs on that connection, inside the transaction
//       p.audit_logs.create(action="wallet.open", resource_type="wallet", resource_id=w.id, tx=tx)
//   # COMMIT on a normal exit; ROLLBACK (and the exception propagates) when the block raises
//
//   auto w = CallIn(api.core, tx, [&](Platform& p, const RequestContext& ctx) {
//     return p.wallets().Get(ctx, WalletId{id});     // ctx carries the open transaction when tx != null
//   });
//
// A TxState holds a store::Transaction (its leased connection) and a RequestContext that each call
// binds to it for the call's duration, on the calling thread (RequestContext::TransactionBinding):
// daira's services and repositories run every statement of that context on the transaction's
// connection (store::WithConnection; a nested Database::RunInTransaction joins it as a savepoint, so a
// call that fails inside the block undoes only its own work). Once committed or rolled back the
// connection is back in its pool and every further use raises FailedPrecondition.
//
// Thread-safety: a transaction is one connection, so its calls are serialized by the TxState's mutex
// (two Python threads sharing a tx take turns; neither crashes). Lock order: the core's lock (shared,
// or exclusive in Close) before the TxState's mutex — Close() can therefore roll back a transaction no
// call is using. The GIL is released before either lock is taken.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "common.h"
#include "daira/core/status.h"
#include "daira/store/database.h"

namespace daira::python {

class TxState : public std::enable_shared_from_this<TxState> {
 public:
  TxState(CorePtr core, store::Transaction tx) : core_(std::move(core)), tx_(std::move(tx)) {}
  TxState(const TxState&) = delete;
  TxState& operator=(const TxState&) = delete;
  // Rolls back a transaction nobody ended (a tx object dropped without `with`).
  ~TxState() { core_->ForgetTransaction(*this); }

  // The core's lock must be held (shared or exclusive) for the calls below, and mu() for all but core().
  std::mutex& mu() { return mu_; }
  const CorePtr& core() const { return core_; }
  bool active() const { return tx_.has_value() && tx_->active(); }
  const RequestContext& ctx() const { return ctx_; }
  // The open transaction, to bind ctx() to for one call (active() must be true).
  store::OpenTransaction* open_transaction() { return tx_->open_transaction(); }
  // COMMIT (or ROLLBACK), then give the connection back. A failed COMMIT rolls back. Over afterwards.
  absl::Status Finish(bool commit);
  // Platform.close() rolled it back (the `with` block then must not exit as if committed).
  void MarkRolledBackByClose() { rolled_back_by_close_ = true; }
  bool rolled_back_by_close() const { return rolled_back_by_close_; }

 private:
  std::mutex mu_;
  CorePtr core_;
  RequestContext ctx_;
  std::optional<store::Transaction> tx_;  // engaged until the transaction ends
  bool rolled_back_by_close_ = false;
};

// Platform.transaction(isolation=...): "default", "read_committed", "repeatable_read", "serializable".
std::shared_ptr<TxState> BeginTransaction(const CorePtr& core, const std::string& isolation);

// The FailedPrecondition a call on a finished transaction raises.
absl::Status TransactionOver(std::string_view op);

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Runs `f(Platform&, const RequestContext&)` like Core::Call: with a fresh context when `tx` is null,
// else with the transaction's context under its mutex (FailedPrecondition once it is over,
// InvalidArgument naming "tx" for a transaction of another platform).
template <typename F>
auto CallIn(const CorePtr& core, TxState* tx, F&& f) {
  if (tx == nullptr) return core->Call([&](Platform& p) { return f(p, RequestContext()); });
  return core->Call([&](Platform& p) {
    using R = decltype(f(p, tx->ctx()));
    if (tx->core().get() != core.get()) {
      return R(InvalidField("transaction", "tx", "belongs to another platform"));
    }
    std::lock_guard lock(tx->mu());
    if (!tx->active()) return R(TransactionOver("transaction"));
    // Bound for this call, on this thread; and a savepoint around it, so a call that fails undoes only
    // its own writes and the block can go on (on Postgres too, where a failed statement would
    // otherwise fail every later one).
    RequestContext::TransactionBinding binding(tx->ctx(), tx->open_transaction());
    std::optional<R> out;
    absl::Status savepoint = tx->open_transaction()->RunNested([&](store::Connection&) -> absl::Status {
      out.emplace(f(p, tx->ctx()));
      return StatusOf(*out);
    });
    if (!out.has_value() || (!savepoint.ok() && StatusOf(*out).ok())) return R(savepoint);
    return std::move(*out);
  });
}

}  // namespace daira::python
