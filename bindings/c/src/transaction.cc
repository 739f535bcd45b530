// Transactions through the C ABI: daira_transaction_begin / _commit / _rollback, the handle every
// other call accepts in place of the platform to run inside the transaction, and how shutdown and
// close end the transactions still open. Mirrors the Python binding (bindings/python/src/transaction.*):
//
//   daira_platform_t* tx = NULL;
//   daira_transaction_begin(p, NULL, 0, &tx, &err);           // BEGIN (IMMEDIATE on SQLite)
//   daira_social_follow(tx, req, len, &out, &err);            // inside the transaction, as a savepoint
//   daira_transaction_commit(&tx, &err);                      // COMMIT; tx is NULL afterwards
//
// A transaction handle is a daira_platform whose `parent` is its root and whose `tx` holds a
// store::Transaction (owning its leased write connection, binding no context) and a RequestContext.
// Each call binds that context to the transaction for the call's duration, on the calling thread
// (RequestContext::TransactionBinding), and runs inside a SAVEPOINT (OpenTransaction::RunNested).
#include "daira/store/transaction.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "internal.h"

namespace daira::cabi {

// The state of one transaction handle. Guarded by `mu` (and the root's lock held shared or exclusive).
class TxState {
 public:
  explicit TxState(store::Transaction tx) : tx_(std::move(tx)) {}
  TxState(const TxState&) = delete;
  TxState& operator=(const TxState&) = delete;

  std::mutex& mu() { return mu_; }
  bool active() const { return tx_.has_value() && tx_->active(); }
  const RequestContext& ctx() const { return ctx_; }
  store::OpenTransaction* open_transaction() { return tx_->open_transaction(); }
  // COMMIT (or ROLLBACK), then the connection goes back to its pool. A failed COMMIT rolls back.
  absl::Status Finish(bool commit) {
    absl::Status st = commit ? tx_->Commit() : tx_->Rollback();
    tx_.reset();
    return st;
  }
  void MarkRolledBackByShutdown() { rolled_back_by_shutdown_ = true; }
  bool rolled_back_by_shutdown() const { return rolled_back_by_shutdown_; }

 private:
  std::mutex mu_;
  RequestContext ctx_;
  std::optional<store::Transaction> tx_;  // engaged until the transaction ends
  bool rolled_back_by_shutdown_ = false;
};

namespace {

constexpr std::string_view kBegin = "transaction.begin";
constexpr std::string_view kCommit = "transaction.commit";
constexpr std::string_view kRollback = "transaction.rollback";

absl::StatusOr<store::IsolationLevel> ParseIsolation(const std::string& s) {
  if (s == "default") return store::IsolationLevel::kDefault;
  if (s == "read_committed") return store::IsolationLevel::kReadCommitted;
  if (s == "repeatable_read") return store::IsolationLevel::kRepeatableRead;
  if (s == "serializable") return store::IsolationLevel::kSerializable;
  return InvalidField(kBegin, "isolation",
                      absl::StrCat("must be one of \"default\", \"read_committed\", \"repeatable_read\", "
                                   "\"serializable\" (got \"",
                                   s, "\")"));
}

absl::StatusOr<store::IsolationLevel> ParseBeginOptions(const daira_platform& root, std::string_view text) {
  if (text.size() > root.max_request_bytes) {
    return InvalidField(kBegin, "options_json",
                        absl::StrCat("is ", text.size(), " bytes, more than max_request_bytes allows (",
                                     root.max_request_bytes, ")"));
  }
  DAIRA_ASSIGN_OR_RETURN(Request r, Request::Parse(kBegin, text, "options_json"));
  const std::string isolation = r.String("isolation", "default");
  DAIRA_RETURN_IF_ERROR(r.Finish());
  return ParseIsolation(isolation);
}

absl::Status Begin(daira_platform_t* platform, const char* options_json, size_t options_len,
                   daira_platform_t** out_tx) {
  if (out_tx == nullptr) return NullArgument(kBegin, "out_tx");
  *out_tx = nullptr;
  if (platform == nullptr) return NullArgument(kBegin, "platform");
  if (platform->parent != nullptr) {
    return InvalidField(kBegin, "platform",
                        "is a transaction handle: transactions do not nest (begin on the platform handle)");
  }
  daira_platform& root = *platform;
  DAIRA_ASSIGN_OR_RETURN(std::string_view text, Text(kBegin, "options_json", options_json, options_len));
  DAIRA_ASSIGN_OR_RETURN(store::IsolationLevel isolation, ParseBeginOptions(root, text));
  if (root.closing.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError(absl::StrCat(ToAbsl(kBegin), ": platform is closed"));
  }
  std::shared_lock<std::shared_mutex> lock(root.mu);
  if (root.platform == nullptr)
    return absl::FailedPreconditionError(absl::StrCat(ToAbsl(kBegin), ": platform is closed"));
  RequestContext ctx;
  absl::StatusOr<store::ConnectionLease> lease =
      root.platform->database().Acquire(ctx, store::Access::kWrite);
  if (!lease.ok()) return Annotate(lease.status(), kBegin);
  // BEGIN IMMEDIATE on SQLite: the write lock now, so a write later in the transaction never meets
  // SQLITE_BUSY half way. The transaction owns the lease and binds no context: each call binds the
  // handle's context for its own duration.
  absl::StatusOr<store::Transaction> tx = store::Transaction::Begin(*std::move(lease), isolation);
  if (!tx.ok()) return Annotate(tx.status(), kBegin);
  auto handle = std::make_unique<daira_platform>();
  handle->parent = &root;
  handle->max_request_bytes = root.max_request_bytes;
  handle->tx = std::make_unique<TxState>(*std::move(tx));
  {
    std::lock_guard<std::mutex> g(root.txs_mu);
    root.txs.push_back(handle.get());
  }
  *out_tx = handle.release();
  return absl::OkStatus();
}

// Ends the transaction of `*handle_ptr` (COMMIT when `commit`), frees the handle and NULLs `*handle_ptr`
// in every case once the handle is known to be a transaction handle.
absl::Status End(daira_platform_t** handle_ptr, bool commit) {
  const std::string_view op = commit ? kCommit : kRollback;
  if (handle_ptr == nullptr) return NullArgument(op, "tx");
  if (*handle_ptr == nullptr) {
    // Rolling back nothing is a no-op, so cleanup paths need no check; committing nothing is a bug.
    return commit ? NullArgument(op, "tx") : absl::OkStatus();
  }
  if ((*handle_ptr)->parent == nullptr) {
    return InvalidField(op, "tx",
                        "is a platform handle, not a transaction (end a platform with daira_platform_close)");
  }
  std::unique_ptr<daira_platform> handle(*handle_ptr);
  *handle_ptr = nullptr;
  daira_platform& root = *handle->parent;
  absl::Status st;
  {
    // Shared: shutdown (exclusive) cannot close the pool while the connection goes back to it.
    std::shared_lock<std::shared_mutex> lock(root.mu);
    try {
      TxState& tx = *handle->tx;
      std::lock_guard<std::mutex> g(tx.mu());
      if (tx.active()) {
        st = Annotate(tx.Finish(commit), op);
      } else if (commit) {
        st = absl::FailedPreconditionError(
            tx.rolled_back_by_shutdown()
                ? absl::StrCat(
                      ToAbsl(op),
                      ": the transaction was rolled back when its platform shut down; nothing was written")
                : absl::StrCat(ToAbsl(op), ": the transaction is over; nothing was written"));
      }
    } catch (...) {
      st = absl::InternalError(absl::StrCat(ToAbsl(op), ": unexpected exception"));
    }
    // Still under the lock: a transaction an exception left open rolls back in its destructor here,
    // and the handle leaves the root's list below in every case.
    handle->tx.reset();
  }
  bool free_root = false;
  {
    std::lock_guard<std::mutex> g(root.txs_mu);
    root.txs.erase(std::remove(root.txs.begin(), root.txs.end(), handle.get()), root.txs.end());
    free_root = root.released && root.txs.empty();
  }
  handle.reset();
  if (free_root) delete &root;  // daira_platform_close() ran while this transaction was open
  return st;
}

}  // namespace

absl::Status RunInTransaction(daira_platform& handle, std::string_view op,
                              const std::function<absl::Status(const RequestContext&)>& fn) {
  TxState& tx = *handle.tx;
  std::lock_guard<std::mutex> g(tx.mu());
  if (!tx.active()) {
    return absl::FailedPreconditionError(
        absl::StrCat(ToAbsl(op), tx.rolled_back_by_shutdown()
                                     ? ": the transaction was rolled back when its platform shut down"
                                     : ": the transaction is over"));
  }
  RequestContext::TransactionBinding binding(tx.ctx(), tx.open_transaction());
  absl::Status call;
  absl::Status savepoint = tx.open_transaction()->RunNested([&](store::Connection&) -> absl::Status {
    call = fn(tx.ctx());
    return call;
  });
  if (!call.ok()) return call;
  return savepoint;
}

void RollBackTransactions(daira_platform& root) {
  std::lock_guard<std::mutex> g(root.txs_mu);
  for (daira_platform* handle : root.txs) {
    TxState& tx = *handle->tx;
    std::lock_guard<std::mutex> t(tx.mu());
    if (!tx.active()) continue;
    (void)tx.Finish(/*commit=*/false);
    tx.MarkRolledBackByShutdown();
  }
}

bool ReleaseRoot(daira_platform& root) {
  std::lock_guard<std::mutex> g(root.txs_mu);
  if (root.txs.empty()) return true;
  root.released = true;
  return false;
}

}  // namespace daira::cabi

daira_platform::daira_platform() = default;
daira_platform::~daira_platform() = default;

using daira::cabi::Guarded;

extern "C" {

daira_code daira_transaction_begin(daira_platform_t* platform, const char* options_json, size_t options_len,
                                   daira_platform_t** out_tx, daira_error_t** err) {
  return Guarded(err, [&]() { return daira::cabi::Begin(platform, options_json, options_len, out_tx); });
}

daira_code daira_transaction_commit(daira_platform_t** tx, daira_error_t** err) {
  return Guarded(err, [&]() { return daira::cabi::End(tx, /*commit=*/true); });
}

daira_code daira_transaction_rollback(daira_platform_t** tx, daira_error_t** err) {
  return Guarded(err, [&]() { return daira::cabi::End(tx, /*commit=*/false); });
}

}  // extern "C"
