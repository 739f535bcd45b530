// GroupCommitter: leader/follower group commit of SQLite write transactions (see group_commit.h).

#include "store/group_commit.h"

#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/store/open_transaction.h"
#include "store/instrumented_connection.h"
#include "store/transaction_internal.h"

namespace daira::inline v0::store::internal {
namespace {

thread_local bool t_leading = false;

// The savepoint around each request of a group of two or more. Distinct from OpenTransaction's
// daira_sp_N, which a request's nested calls open inside it.
constexpr std::string_view kSavepoint = "SAVEPOINT daira_group";
constexpr std::string_view kRelease = "RELEASE SAVEPOINT daira_group";
constexpr std::string_view kRollbackTo = "ROLLBACK TO SAVEPOINT daira_group";

}  // namespace

struct GroupCommitter::Request {
  const RequestContext* ctx = nullptr;
  const std::function<absl::Status(Connection&)>* fn = nullptr;
  std::optional<OpenTransaction> open;  // its hooks, on the group's connection; engaged once it ran
  absl::Status status;
  std::exception_ptr exception;  // `fn` threw: rethrown on the caller's thread
  bool done = false;             // guarded by mu_
  // Its caller waits here (with mu_): woken when done, or when it is the oldest and may lead. One per
  // request, so a finished group wakes only its own callers, not every waiting thread.
  std::condition_variable cv;
};

bool GroupCommitter::Leading() { return t_leading; }

GroupCommitStats GroupCommitter::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {.groups = groups_, .requests = requests_, .queued = static_cast<int64_t>(queue_.size())};
}

absl::Status GroupCommitter::RunOnce(const RequestContext& ctx,
                                     const std::function<absl::Status(Connection&)>& fn,
                                     IsolationLevel isolation) {
  // Shared with the leader that runs it, which notifies it after releasing mu_ (see Finish).
  const auto shared = std::make_shared<Request>();
  Request& req = *shared;
  req.ctx = &ctx;
  req.fn = &fn;
  {
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(shared);
    while (!req.done) {
      // The oldest waiting request leads the next group (FIFO: nobody is passed over for long).
      if (!leading_ && queue_.front() == shared) {
        leading_ = true;
        lock.unlock();
        Lead(req, isolation);  // marks req (and its group) done
        // What queued meanwhile is led by this thread too, a few groups at most: waking the next
        // leader costs a thread switch, which on a busy machine takes longer than a group.
        for (size_t more = 1; more < kMaxGroupsPerLeader; ++more) {
          lock.lock();
          std::shared_ptr<Request> next = queue_.empty() ? nullptr : queue_.front();
          lock.unlock();
          if (next == nullptr) break;
          Lead(*next, isolation);
        }
        lock.lock();
        leading_ = false;
        if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next oldest leads
        break;
      }
      req.cv.wait(lock);
    }
  }
  // On the caller's own thread, after the group's COMMIT answered (or the rollback).
  if (req.open.has_value()) {
    if (req.status.ok() && req.exception == nullptr) {
      req.open->RunAfterCommitHooks();
    } else {
      req.open->DropAfterCommitHooks();
    }
    // Whatever the call left in it goes here, on its caller's thread, not where the leader drops its
    // share of the Request.
    req.open.reset();
  }
  if (req.exception != nullptr) std::rethrow_exception(std::exchange(req.exception, nullptr));
  return std::move(req.status);
}

void GroupCommitter::Finish(const std::vector<std::shared_ptr<Request>>& group) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++groups_;
    requests_ += static_cast<int64_t>(group.size());
    for (const auto& r : group) r->done = true;
  }
  // After releasing mu_, so a woken caller takes it at once instead of waking into the leader's lock
  // and sleeping again (two thread switches per caller instead of one). `group` keeps every Request
  // alive: a caller that saw `done` and returned meanwhile leaves its Request to the last owner.
  for (const auto& r : group) r->cv.notify_one();
}

void GroupCommitter::Lead(Request& self, IsolationLevel isolation) {
  struct Leading {  // restored on every exit
    Leading() { t_leading = true; }
    ~Leading() { t_leading = false; }
  } leading;
  auto fail_alone = [&](absl::Status st) {
    // Before the group is taken only the leader's own request is affected; the others stay queued.
    std::shared_ptr<Request> front;
    {
      std::lock_guard<std::mutex> lock(mu_);
      front = std::move(queue_.front());  // self is the front
      queue_.pop_front();
    }
    self.status = std::move(st);
    Finish({front});
  };

  // The writer and BEGIN IMMEDIATE first: whatever queues meanwhile joins this group.
  std::optional<ConnectionLease> lease;
  absl::Status st;
  for (int begin_attempt = 0; begin_attempt < 2; ++begin_attempt) {
    absl::StatusOr<ConnectionLease> l = db_.Acquire(*self.ctx, Access::kWrite);
    if (!l.ok()) return fail_alone(l.status());
    st = (*l)->Begin(isolation, /*immediate=*/true);
    if (st.ok()) {
      lease.emplace(*std::move(l));
      break;
    }
    if (!(*l)->IsBroken()) break;  // a broken one goes back and is discarded; try a fresh one once
  }
  if (!lease.has_value()) return fail_alone(st);

  std::vector<std::shared_ptr<Request>> group;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!queue_.empty() && group.size() < kMaxGroupSize) {
      group.push_back(queue_.front());
      queue_.pop_front();
    }
  }
  Connection& conn = **lease;
  auto* instrumented = dynamic_cast<InstrumentedConnection*>(&conn);

  // Runs r's fn with its context bound; an exception is kept for its caller's thread.
  auto run = [&](Request& r) -> absl::Status {
    r.open.emplace(conn);
    RequestContext::TransactionBinding binding(*r.ctx, &*r.open);
    try {
      return (*r.fn)(conn);
    } catch (...) {
      r.exception = std::current_exception();
      return absl::InternalError("transaction: the call threw an exception");
    }
  };

  if (group.size() == 1) {
    // A lone caller: no savepoint, the same statements as Database::RunInTransaction.
    self.status = EndTransaction(conn, run(self));
    lease.reset();
    Finish(group);
    return;
  }

  absl::Status fatal;  // the shared transaction cannot go on: every request fails with it
  for (const auto& r : group) {
    absl::Status own = r->ctx->CheckDeadline("database: transaction (group commit)");
    if (!own.ok()) {
      r->status = std::move(own);
      continue;
    }
    if (instrumented != nullptr) instrumented->Rebind(*r->ctx);
    fatal = Annotate(conn.Execute(kSavepoint).status(), "transaction: group savepoint");
    if (!fatal.ok()) break;
    own = run(*r);
    if (own.ok()) {
      own = Annotate(conn.Execute(kRelease).status(), "transaction: release group savepoint");
      if (!own.ok()) {
        fatal = own;
        break;
      }
    } else if (!conn.IsBroken() && conn.InTransaction()) {
      absl::Status rb = conn.Execute(kRollbackTo).status();
      if (rb.ok()) rb = conn.Execute(kRelease).status();
      if (!rb.ok()) fatal = Annotate(rb, "transaction: rolling back a grouped call to its savepoint");
    } else {
      fatal = own;  // the connection lost the transaction: nothing of the group survives
    }
    r->status = std::move(own);
    if (!fatal.ok()) break;
  }
  if (instrumented != nullptr) instrumented->Rebind(*self.ctx);

  absl::Status commit = EndTransaction(conn, fatal);
  if (!commit.ok()) {
    // Nothing of the group is committed: every call that had succeeded (or had not run) reports it.
    // When the transaction was lost with another call (e.g. its statement interrupted at its own
    // deadline, which rolls back the whole SQLite transaction), theirs did nothing wrong: Aborted, so
    // RunGrouped runs them again. A failed COMMIT is theirs too (BUSY is Aborted already).
    for (const auto& r : group) {
      if (!r->status.ok()) continue;
      r->status = fatal.ok()
                      ? Annotate(commit, "database: group commit")
                      : absl::AbortedError(absl::StrCat(
                            "database: group commit: the shared transaction was lost with another call, "
                            "retry (",
                            fatal.message(), ")"));
    }
  }
  lease.reset();  // back to the pool before the callers run their hooks (they may use the database)
  Finish(group);
}

}  // namespace daira::inline v0::store::internal
