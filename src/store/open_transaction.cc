// OpenTransaction: savepoints for joined transactions, after-commit hooks, the bound-connection rule.

#include "daira/store/open_transaction.h"

#include <exception>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::store {

absl::Status OpenTransaction::RunNested(const std::function<absl::Status(Connection&)>& fn) {
  // Savepoint names are per nesting level: a level's savepoint is released or rolled back before its
  // parent's next child opens, so reusing the name is safe and keeps the statement cache small.
  const std::string name = absl::StrCat("daira_sp_", depth_ + 1);
  DAIRA_RETURN_IF_ERROR(
      Annotate(conn_->Execute(absl::StrCat("SAVEPOINT ", name)).status(), "transaction: savepoint"));
  const size_t hooks_before = hooks_.size();
  struct Depth {  // restored on every exit, exceptions included
    explicit Depth(int& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    int& d_;
  } depth(depth_);
  absl::Status st = fn(*conn_);
  if (st.ok()) {
    return Annotate(conn_->Execute(absl::StrCat("RELEASE SAVEPOINT ", name)).status(),
                    "transaction: release savepoint");
  }
  hooks_.resize(hooks_before);
  if (conn_->IsBroken() || !conn_->InTransaction()) return st;
  absl::Status rb = conn_->Execute(absl::StrCat("ROLLBACK TO SAVEPOINT ", name)).status();
  if (rb.ok()) rb = conn_->Execute(absl::StrCat("RELEASE SAVEPOINT ", name)).status();
  if (!rb.ok()) {
    return Annotate(
        st, absl::StrCat("transaction: the inner call failed and rolling back to its savepoint failed "
                         "too (the whole transaction will fail: ",
                         rb.message(), ")"));
  }
  return st;
}

void OpenTransaction::RunAfterCommitHooks() {
  std::vector<std::function<void()>> hooks = std::move(hooks_);
  hooks_.clear();
  for (auto& hook : hooks) {
    try {
      hook();
    } catch (const std::exception& e) {
      Log(LogLevel::kError, "store", absl::StrCat("transaction: an after-commit hook threw: ", e.what()));
    } catch (...) {
      Log(LogLevel::kError, "store", "transaction: an after-commit hook threw a non-standard exception");
    }
  }
}

absl::StatusOr<Connection*> BoundConnection(const RequestContext& ctx, std::string_view op) {
  OpenTransaction* tx = ctx.open_transaction();
  if (tx == nullptr) return nullptr;
  DAIRA_RETURN_IF_ERROR(ctx.CheckTransactionThread(op));
  return &tx->connection();
}

void AfterCommit(const RequestContext& ctx, std::function<void()> fn) {
  OpenTransaction* tx = ctx.open_transaction();
  if (tx != nullptr) {
    absl::Status thread = ctx.CheckTransactionThread("after commit");
    if (thread.ok()) {
      tx->AfterCommit(std::move(fn));
    } else {
      // Every statement of this thread on that context is refused the same way, so the write this hook
      // would announce cannot have happened here: drop it.
      Log(LogLevel::kError, "store", absl::StrCat(thread.message(), "; the hook is dropped"));
    }
    return;
  }
  try {
    fn();
  } catch (...) {
    Log(LogLevel::kError, "store", "transaction: an after-commit hook threw");
  }
}

}  // namespace daira::inline v0::store
