// bus::Queue over a store::Database: the `sqlite:` and `postgres:` buses (one implementation, the
// dialect differences inline). Jobs live in the database's `jobs` table (migration 015), so an
// enqueue made with a context bound to a transaction commits or rolls back with it.
//
// Claims: one UPDATE … WHERE id = (SELECT … ORDER BY priority DESC, run_at, id LIMIT 1) RETURNING;
// Postgres adds FOR UPDATE SKIP LOCKED to the inner select so concurrent workers never wait on each
// other. Wake-ups: enqueue (and replay/resume, retry/release) notify waiting Next calls of this process
// after the commit; on Postgres a listener thread on a dedicated LISTEN connection wakes this process's
// waiters on NOTIFY daira_bus, and sends this process's own entry notices after their commits (coalesced
// per queue, one notify-only statement: no NOTIFY inside the enqueueing transaction, whose commit would
// then take PostgreSQL's database-wide notify lock through its WAL flush). A process that dies between
// a commit and its notice: other processes see those jobs within BusOptions::idle_recheck. SQLite has no
// cross-process signal: another process's jobs are seen within BusOptions::idle_recheck.
//
// Thread-safety: as bus::Queue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "backends/bus_metrics.h"
#include "bus/finished_counts.h"
#include "bus/pick_cursor.h"
#include "bus/recovery_floor.h"
#include "daira/bus/queue.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"

namespace daira::inline v0::bus::internal {

class SqlQueue final : public Queue {
 public:
  // `db` must outlive the queue. `database_url` (Postgres) opens the LISTEN connection.
  static absl::StatusOr<std::unique_ptr<Queue>> Open(store::Database& db, std::string database_url,
                                                     BusOptions options);
  ~SqlQueue() override;

  std::string_view Name() const override { return pg_ ? "postgres" : "sqlite"; }
  QueueTraits traits() const override {
    return {.durable = true, .transactional_enqueue = true, .cross_process = true, .fused_finish_and_claim = true};
  }

 protected:
  absl::StatusOr<std::vector<EnqueueResult>> DoEnqueue(const RequestContext& ctx,
                                                       const std::vector<NewJob>& jobs) override;
  absl::StatusOr<std::optional<Job>> DoClaim(const RequestContext& ctx, const QueueSettings& queue,
                                             std::string_view worker_id, int64_t token) override;
  void WaitForWork(std::string_view queue, uint64_t seen, std::chrono::steady_clock::time_point until) override;
  uint64_t WakeCounter() const override;
  void WakeAll() override;
  void OnClose() override;  // stops the listener thread and closes its LISTEN connection
  absl::StatusOr<std::optional<Clock::TimePoint>> DoNextDue(const RequestContext& ctx,
                                                            const QueueSettings& queue) override;
  absl::Status DoTransition(const RequestContext& ctx, const Job& job, const Transition& t) override;
  absl::StatusOr<std::vector<Job>> DoClaimMany(const RequestContext& ctx, const QueueSettings& queue,
                                               std::string_view worker_id, int64_t token,
                                               int max_jobs) override;
  absl::StatusOr<std::vector<absl::Status>> DoTransitionMany(
      const RequestContext& ctx, const std::vector<const Job*>& jobs,
      const std::vector<Transition>& transitions) override;
  absl::StatusOr<std::optional<FinishedAndClaimed>> DoTransitionManyAndClaimMany(
      const RequestContext& ctx, const std::vector<const Job*>& jobs, const std::vector<Transition>& transitions,
      const QueueSettings& queue, std::string_view worker_id, int64_t token, int max_jobs) override;
  absl::StatusOr<Job> DoGet(const RequestContext& ctx, int64_t id) override;
  absl::Status DoCancel(const RequestContext& ctx, int64_t id, Clock::TimePoint now) override;
  absl::Status DoSetPaused(const RequestContext& ctx, const QueueSettings& queue, bool paused) override;
  absl::StatusOr<QueueCounts> DoCounts(const RequestContext& ctx, const QueueSettings& queue) override;
  absl::StatusOr<MetricHistograms> DoMetrics(const RequestContext& ctx, const QueueSettings& queue,
                                             int64_t first_minute, int64_t last_minute) override;
  absl::StatusOr<std::vector<Job>> DoList(const RequestContext& ctx, const QueueSettings& queue, JobState state,
                                          int limit) override;
  absl::StatusOr<int64_t> DoReplay(const RequestContext& ctx, const QueueSettings& queue,
                                   const std::vector<int64_t>& ids) override;
  absl::StatusOr<int64_t> DoRecoverStalled(const RequestContext& ctx, const QueueSettings& queue) override;
  absl::StatusOr<int64_t> DoClean(const RequestContext& ctx, const QueueSettings& queue) override;
  absl::StatusOr<Repeatable> DoAddRepeatable(const RequestContext& ctx, const Repeatable& def,
                                             const std::string& schedule) override;
  absl::StatusOr<std::vector<Repeatable>> DoListRepeatables(const RequestContext& ctx,
                                                            const QueueSettings& queue) override;
  absl::StatusOr<bool> DoRemoveRepeatable(const RequestContext& ctx, const QueueSettings& queue,
                                          std::string_view key) override;
  absl::StatusOr<bool> DoFireRepeatable(const RequestContext& ctx, const QueueSettings& queue, std::string_view key,
                                        Clock::TimePoint expected, Clock::TimePoint occurrence,
                                        Clock::TimePoint next, const NewJob& job) override;

 private:
  SqlQueue(store::Database& db, std::string database_url, BusOptions options);
  void Listen();  // the Postgres listener thread
  // The claim statement(s) without the rate limit (DoClaim wraps them when the queue has one).
  absl::StatusOr<std::optional<Job>> ClaimOne(const RequestContext& ctx, const QueueSettings& queue,
                                              std::string_view worker_id, int64_t token);
  // Postgres, a queue with round-robin groups and a per-group limit: its claims run one at a time, so
  // each one's count of a group's active jobs includes what the claim before it took (group_concurrency
  // exact under concurrent claimers, in this process or another). A transaction-scoped advisory lock on
  // the queue's name, taken first in the claim's own transaction.
  bool SerializesGroupClaims(const QueueSettings& queue) const;
  absl::Status LockGroupClaims(store::Connection& c, const QueueSettings& queue);
  // Where jobs entered a queue's ready set (PickCursors::Entered); none: unknown (a cursor reset).
  struct Landing {
    int64_t min_priority = 0;
    int64_t max_priority = 0;
    int64_t run_at = 0;
  };
  // After the bound transaction commits (at once without one): Entered.
  void Announce(const RequestContext& ctx, std::string_view queue, std::optional<Landing> landing);
  // Jobs entered `queue` (committed): tells the pick cursor where they landed, wakes this process's
  // waiters and, on Postgres, posts the entry notice for the other processes (PostNotice).
  void Entered(std::string_view queue, const std::optional<Landing>& landing);
  // Postgres: queues `queue`'s entry notice for the listener thread (merged with one pending for the
  // same queue: the lowest and highest priority, the earliest run-at; a reset absorbs any) and wakes it.
  // At most one pending notice per queue.
  void PostNotice(std::string_view queue, const std::optional<Landing>& landing);
  // The listener thread: sends the pending notices on `conn` in one statement; false (they stay
  // pending) when it failed.
  bool SendNotices(store::Connection& conn);
  void DrainWakePipe();
  std::string Notice(std::string_view queue, const std::optional<Landing>& landing) const;
  void NoteEntered(std::string_view queue, const std::optional<Landing>& landing);
  // Postgres, a claim without groups or rate limit: where its pick starts (none: the head pick, the
  // cursor not used) — and, when it ended, what the cursor learns from it: a failure resets it, a pick
  // that claimed something moves it to `last` (its last job in claim order), an empty one (`last`
  // null) leaves it.
  std::optional<PickCursors::Start> PickStart(const QueueSettings& s);
  void PickEnd(const QueueSettings& s, const std::optional<PickCursors::Start>& start, bool ok,
               const Job* last);
  static bool Finishes(Outcome o);  // kComplete, kRetry, kDead: an attempt ends (and is measured)
  // DoTransition's fenced UPDATE (in the bound transaction, if any); a finished attempt (kComplete,
  // kRetry, kDead) adds its metric samples to `delta` when it is not null, and a job it leaves in a
  // finished state (also a release whose cancel was requested) adds itself to `finished` if not null. `no_seq_scan` (Postgres, never
  // inside a caller's transaction): the UPDATE goes behind kNoSeqScan in one pipeline.
  absl::Status TransitionIn(const RequestContext& ctx, const Job& job, const Transition& t,
                            backends::MetricsDelta* delta, FinishedDelta* finished,
                            bool no_seq_scan = false);
  // Postgres: completes the jobs at `indexes` (all kComplete) and records their metric samples in one
  // statement (in the bound transaction, if any); sets out[i] to OK or LeaseLost. An error: nothing done.
  absl::Status CompleteManyPg(const RequestContext& ctx, const std::vector<const Job*>& jobs,
                              const std::vector<Transition>& transitions, const std::vector<size_t>& indexes,
                              std::vector<absl::Status>& out);
  // CompleteManyPg's statement (a job named twice gets its LeaseLost in `out` here) and the reading of
  // its result (the ids it completed) into `out`.
  static store::BatchStatement CompleteManyPgStatement(const std::vector<const Job*>& jobs,
                                                       const std::vector<Transition>& transitions,
                                                       const std::vector<size_t>& indexes,
                                                       std::vector<absl::Status>& out, bool async_commit);
  static void ApplyCompleted(const store::ResultSet& rs, const std::vector<const Job*>& jobs,
                             const std::vector<size_t>& indexes, std::vector<absl::Status>& out);
  // The batch claim without rate limit and groups: one UPDATE (Postgres: RETURNING the lean columns;
  // SQLite: read back by ClaimManyOn), and its rows turned into jobs in claim order.
  // `from` (Postgres): the pick starts after this cursor position.
  store::BatchStatement ClaimManyStatement(const QueueSettings& s, std::string_view worker_id, int64_t token,
                                           int max_jobs, Clock::TimePoint now,
                                           const std::optional<PickPosition>& from = std::nullopt) const;
  // Runs a ClaimManyStatement on `c` → the claimed rows (kClaimCols). Postgres: its RETURNING; SQLite:
  // the UPDATE, then a read-back of this claim's rows (call inside a transaction).
  absl::StatusOr<store::ResultSet> ClaimManyOn(store::Connection& c, const store::BatchStatement& claim,
                                               const QueueSettings& s, int64_t token, Clock::TimePoint now) const;
  static std::vector<Job> ClaimedJobs(const store::ResultSet& rs, const QueueSettings& s,
                                      std::string_view worker_id, int64_t token, Clock::TimePoint now);
  // Adds `delta` to bus_metrics (one upsert per 100 rows) and `finished` (if not null) to
  // bus_finished_counts on `c`, inside the finishing transaction, under this thread's writer.
  absl::Status RecordMetrics(store::Connection& c, const backends::MetricsDelta& delta,
                             const FinishedDelta* finished = nullptr);
  // Deletes bus_metrics minutes older than kMetricsKeepMinutes (once per minute, never inside a bound
  // transaction); a failure is logged, not returned.
  void MaybePruneMetrics(const RequestContext& ctx, Clock::TimePoint now);
  absl::StatusOr<int64_t> RecoverStalledOnce(const RequestContext& ctx, const QueueSettings& s);

  store::Database& db_;
  const bool pg_;
  const std::string database_url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakes_ = 0;  // guarded by mu_
  std::atomic<bool> stop_{false};
  int wake_pipe_[2] = {-1, -1};
  std::thread listener_;
  std::mutex close_mu_;  // serializes OnClose (Close and the destructor)
  std::atomic<int64_t> metrics_pruned_{0};  // the minute of the last MaybePruneMetrics
  PickCursors cursors_;             // Postgres: where this process's next pick of each queue starts
  RecoveryFloors recovery_floors_;  // where the next stalled-job recovery scan of each queue starts
  const uint64_t origin_;           // names this object's NOTIFYs (its listener skips its own)
  std::mutex notice_mu_;
  std::map<std::string, std::optional<Landing>> notices_;  // guarded by notice_mu_: PostNotice
};

}  // namespace daira::inline v0::bus::internal
