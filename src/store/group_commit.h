// Group commit on SQLite: concurrent write transactions from many threads combined into one
// BEGIN IMMEDIATE … COMMIT, each inside its own SAVEPOINT. Private to the library (the money service uses
// it; docs/money.md, "Group commit").
//
//   // Instead of db.RunInTransaction(ctx, fn, options), for a call that may share its COMMIT:
//   absl::Status st = store::internal::RunGrouped(db, ctx, fn, options);
//
// Leader/follower, as databases do it: a caller queues its request; the first queued caller while no
// group runs becomes the leader, leases the writer, BEGIN IMMEDIATE, then takes what is queued at that
// moment (itself first, at most kMaxGroupSize) and runs each request's `fn` on the leader's thread inside
// SAVEPOINT daira_group with the request's context bound (so nested calls, statement deadlines and
// after-commit hooks are the request's). A request that fails is rolled back to its savepoint and
// returns its own error; the others commit together. Every caller returns only after the shared COMMIT
// answered: if it fails, every request of the group that had succeeded gets that error (nothing is
// reported done that was not committed). A lone caller never waits for company: a group of one runs
// without a savepoint, exactly as Database::RunInTransaction. The leader then leads what queued
// meanwhile, up to kMaxGroupsPerLeader groups, before the next oldest caller takes over. Each caller's
// after-commit hooks run on its own thread after the COMMIT. Aborted (SQLITE_BUSY from another process) is
// retried per request as RunInTransaction does.
//
// Not grouped (RunInTransaction as before): a context with an open transaction (the call joins it), a
// database other than SqlDatabase on SQLite (Postgres has many writers and no single lock to share),
// and a call made from inside a group's `fn` with another context (it would wait for itself).
//
// Thread-safety: RunGrouped is called from any number of threads; `fn` must not keep the Connection.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"

namespace daira::inline v0::store::internal {

// At most this many requests share one COMMIT; the rest wait for the next group.
inline constexpr size_t kMaxGroupSize = 64;
// A leader runs at most this many groups back to back (what queued while it ran the previous one)
// before handing over; its own call returns after them.
inline constexpr size_t kMaxGroupsPerLeader = 4;

// Database::RunInTransaction, grouped on SQLite (see above). Same codes, retries and binding rules.
absl::Status RunGrouped(Database& db, const RequestContext& ctx,
                        const std::function<absl::Status(Connection&)>& fn,
                        const Database::TransactionOptions& options = {});

// Group commit statistics of `db` (zeros when it does not group). For tests and benchmarks.
struct GroupCommitStats {
  int64_t groups = 0;    // COMMITs (or rollbacks) of groups, lone callers included
  int64_t requests = 0;  // requests run in them
  int64_t queued = 0;    // requests waiting for a group right now
};
GroupCommitStats GroupCommitStatsOf(Database& db);

// One SQLite database's queue. Owned by the database; `db` must outlive it.
class GroupCommitter {
 public:
  explicit GroupCommitter(Database& db) : db_(db) {}
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // One attempt of `fn` (no retry): queued, run by this thread or another one's group, committed.
  absl::Status RunOnce(const RequestContext& ctx, const std::function<absl::Status(Connection&)>& fn,
                       IsolationLevel isolation);
  GroupCommitStats Stats() const;

  // True on a thread that is running a group now (a call from inside `fn` must not queue).
  static bool Leading();

 private:
  struct Request;
  // Leads one group whose first request is `self` (at the queue's front).
  void Lead(Request& self, IsolationLevel isolation);
  // Marks `group` done and wakes its callers.
  void Finish(const std::vector<std::shared_ptr<Request>>& group);

  Database& db_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Request>> queue_;  // guarded by mu_; front = oldest
  bool leading_ = false;        // guarded by mu_: a group is being run
  int64_t groups_ = 0;          // guarded by mu_
  int64_t requests_ = 0;        // guarded by mu_
};

}  // namespace daira::inline v0::store::internal
