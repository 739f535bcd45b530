// The event bus: durable job queues with priorities, delays, retries, dead letters, dedup and leases.
//
//   // Producer: joins the request's open transaction on SQL backends, so the job exists iff it commits.
//   DAIRA_RETURN_IF_ERROR(db.RunInTransaction(ctx, [&](store::Connection&) -> absl::Status {
//     DAIRA_RETURN_IF_ERROR(platform.content().CreatePost(ctx, ...).status());
//     return queue.Enqueue(ctx, {.queue = "feed.fanout", .payload = R"({"post":1})"}).status();
//   }));
//   // Consumer (pull): claim, work, complete or fail — see bus::Worker below and bus::WorkerPool.
//   bus::Worker worker(queue, "feed.fanout", "host-1:pid-7:w0");
//   DAIRA_ASSIGN_OR_RETURN(std::optional<bus::Job> job, worker.Next(ctx, std::chrono::seconds(5)));
//   if (job) DAIRA_RETURN_IF_ERROR(worker.Complete(ctx, *job, R"({"ok":true})"));
//   // Batch consume: up to 32 jobs claimed at once, finished in one call (fencing per job).
//   DAIRA_ASSIGN_OR_RETURN(std::vector<bus::Job> jobs, worker.NextBatch(ctx, 32, std::chrono::seconds(5)));
//
// Backends (bus=URL): `memory:` (in-process, not durable), `sqlite:` (the database file), `postgres:`
// (the database; FOR UPDATE SKIP LOCKED, LISTEN/NOTIFY wake-ups), `redis://`
// (Lua scripts, BLPOP wake-ups). docs/bus.md states what each promises.
// Delivery is at-least-once: a job whose worker died or overran its lease runs again, and the old
// worker's late Complete/Fail is refused (fencing by lease token). Handlers must be idempotent.
//
// Thread-safety: a Queue is safe to use from any number of threads; Next may block (up to its timeout)
// in many threads at once. Close() wakes every blocked Next.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/bus/job.h"
#include "daira/bus/queue_settings.h"
#include "daira/bus/repeatable.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"

namespace daira::inline v0::store {
class Database;
}  // namespace daira::inline v0::store
namespace daira::inline v0::resilience {
class CircuitBreaker;
}  // namespace daira::inline v0::resilience

namespace daira::inline v0::bus {

struct BusOptions {
  std::vector<QueueSettings> queues = DefaultQueues();  // the queues that exist; others are refused
  const Clock* clock = nullptr;                         // null: Clock::System(); not owned
  // Longest a blocked Next sleeps before looking again when nothing woke it (a job enqueued by another
  // process on SQLite, a delayed job becoming due is computed exactly). Default 1 s.
  std::chrono::milliseconds idle_recheck{1000};
};

// Counts of one queue's jobs by state (kWaiting split into ready now / delayed).
struct QueueCounts {
  std::string queue;
  int64_t waiting = 0;    // due now
  int64_t delayed = 0;    // waiting with run_at in the future (retries in backoff included)
  int64_t active = 0;
  int64_t completed = 0;
  int64_t dead = 0;
  int64_t cancelled = 0;
  bool paused = false;
};

// Latency percentiles of one kind of interval over a Queue::Metrics window. The bus keeps them as
// log-scale histograms (52 buckets: under 100 µs, then half-octaves from 100 µs to about 56 min, then
// one open bucket above): a percentile is reported as the upper bound of the bucket it falls in, so it
// is at most √2 (41%) above the true value — the lower bound (100 µs·2^((b-1)/2)) for the open bucket.
struct LatencyPercentiles {
  int64_t samples = 0;  // attempts measured; 0: p50 and p99 are 0
  std::chrono::microseconds p50{0};
  std::chrono::microseconds p99{0};
};

// Run-time metrics of one queue, kept by the bus itself (per queue and minute, written with each
// completion or failure, so they need no completed job to be retained and are seen by every process).
struct QueueMetrics {
  std::string queue;
  // The span covered: the last `window` whole minutes of the queue clock plus the current minute so far.
  std::chrono::seconds span{0};
  int64_t completed = 0;  // attempts completed (Complete / FinishMany) in the span
  int64_t failed = 0;     // attempts failed (Fail / FinishMany: retried, dead, or ending a cancelled job)
  double throughput = 0;  // (completed + failed) per second over `span`
  // Due → start of those attempts: from run_at (the enqueue for a job without delay; the retry time or
  // the delay's end otherwise) to the claim.
  LatencyPercentiles wait;
  // Start → finish of those attempts: from the claim to Complete or Fail.
  LatencyPercentiles run;
};

// The histograms behind QueueMetrics, as backends store them (one counter per latency bucket; the
// bucket bounds are those LatencyPercentiles describes).
struct MetricHistograms {
  std::vector<int64_t> wait;       // due → start
  std::vector<int64_t> completed;  // start → finish of completed attempts
  std::vector<int64_t> failed;     // start → finish of failed attempts
};

// What a backend promises (docs/bus.md).
struct QueueTraits {
  bool durable = false;               // an enqueued job survives a process crash
  bool transactional_enqueue = false; // in the caller's SQL transaction: exists iff it commits (memory:
                                      // enqueued after the commit, never after a rollback, but not durable)
  bool cross_process = false;         // several processes may produce and consume the same queues
  // FinishManyAndNextBatch finishes and claims in one unit (SQL: one transaction and one commit; on
  // Postgres one round trip), for a worker that acks a batch and claims the next (WorkerPool keeps its
  // separate acker: docs/bus.md, Workers).
  bool fused_finish_and_claim = false;
};

class Queue {
 public:
  virtual ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // "memory", "sqlite", "postgres", "redis".
  virtual std::string_view Name() const = 0;
  virtual QueueTraits traits() const = 0;
  // The circuit breaker guarding the backend's server calls (redis://: the breaker_* URL parameters,
  // docs/bus.md), or null when the backend has none. Owned by the queue.
  virtual const resilience::CircuitBreaker* breaker() const { return nullptr; }
  const BusOptions& options() const { return options_; }
  // The settings of `queue`, or null when no such queue is configured.
  const QueueSettings* Settings(std::string_view queue) const;

  // ---- Producer ----
  // Enqueues one job. On SQL backends it runs inside the transaction bound to `ctx` when there is one
  // (joined as a savepoint), so the job exists iff that transaction commits. InvalidArgument naming the
  // field (queue, payload, delay, max_attempts) enqueues nothing; else the store's errors.
  absl::StatusOr<EnqueueResult> Enqueue(const RequestContext& ctx, const EnqueueRequest& request);
  // Enqueues all or none (one transaction; one INSERT statement per batch on SQL backends when no
  // request carries an idempotency key). Any invalid request fails the whole batch with InvalidArgument
  // naming `requests[i].field`. Results are in request order.
  absl::StatusOr<std::vector<EnqueueResult>> EnqueueMany(const RequestContext& ctx,
                                                         const std::vector<EnqueueRequest>& requests);

  // ---- Consumer (pull; bus::Worker wraps these for one queue) ----
  // Claims the next due job of `queue` (highest priority, then oldest run_at, then oldest id) for
  // `worker_id`, with a lease of the queue's timeout; waits up to `timeout` for one (0: do not wait).
  // Jobs whose lease expired are recovered first (another attempt, or the dead-letter state once
  // max_attempts were spent). Returns nullopt when none became available in time, or when the queue is
  // paused. InvalidArgument for an unknown queue; FailedPrecondition after Close() or when `ctx` is
  // bound to a transaction (a claim commits by itself). Complete/Fail/Progress may run inside the
  // caller's transaction on SQL buses: the job's outcome then commits or rolls back with the work.
  absl::StatusOr<std::optional<Job>> Next(const RequestContext& ctx, std::string_view queue,
                                          std::string_view worker_id, std::chrono::milliseconds timeout);
  // The batch consume: claims up to `max_jobs` (1..1000) due jobs of `queue` at once for `worker_id` —
  // one statement on SQL buses (one transaction when the queue has round-robin groups or a rate limit),
  // one Lua script on Redis, one lock on memory — in the order Next would have claimed them one by one
  // (priority, FIFO within one, groups round-robin with their concurrency limit, the rate limit, pause,
  // delayed jobs). Every job gets its own lease (the queue's timeout) and fencing token, exactly as from
  // Next. Waits up to `timeout` for at least one job, then returns what was ready (fewer than
  // `max_jobs` when fewer were ready; empty when none became available in time or the queue is
  // paused). The errors of Next, plus InvalidArgument naming `max_jobs`.
  absl::StatusOr<std::vector<Job>> NextBatch(const RequestContext& ctx, std::string_view queue,
                                             std::string_view worker_id, int max_jobs,
                                             std::chrono::milliseconds timeout);
  // Finishes many claimed jobs in one call — one transaction on SQL buses (completions with the same
  // result share one UPDATE), one Lua script on Redis, one lock on memory: each outcome is Complete
  // (failed = false; `text` the result JSON) or Fail (failed = true; `text` the message). Fencing is per
  // job: the returned vector holds, in outcome order, OkStatus or that job's own error
  // (FailedPrecondition "lease lost" for a job whose lease expired or was taken over; nothing changes for
  // it, the others still finish). The outer status is an error only when nothing was applied:
  // InvalidArgument naming `outcomes[i].<field>` (a result that is not JSON, a job not claimed by Next),
  // or a store / Redis error (on SQL buses the batch's transaction rolled back). Inside the caller's
  // transaction on SQL buses, the batch commits or rolls back with it.
  struct JobOutcome {
    const Job* job = nullptr;  // claimed by Next / NextBatch; not owned, must outlive the call
    bool failed = false;       // false: complete; true: fail this attempt (retry or dead letter)
    std::string text{};        // the result JSON ("" none) or the failure message
  };
  absl::StatusOr<std::vector<absl::Status>> FinishMany(const RequestContext& ctx,
                                                       const std::vector<JobOutcome>& outcomes);
  // FinishMany(outcomes), then NextBatch(queue, worker_id, max_jobs, timeout): a worker's "done with
  // these, give me the next ones". Where the backend fuses them (QueueTraits::fused_finish_and_claim:
  // SQL buses when no rate limit and no round-robin groups apply — then one transaction, one commit,
  // and on Postgres one round trip) the finish and the first claim commit together; otherwise, or when
  // the fused unit fails, they run one after the other. The finish is never held back by the wait: when
  // the first claim finds nothing, the finish is already committed and the call waits like NextBatch.
  // The outer status is an error only when nothing was finished (FinishMany's errors, and NextBatch's
  // argument errors — queue, max_jobs, timeout, a closed queue, a bound context — checked first); a
  // claim that failed after the finish was applied is `claim_status` (then `claimed` is empty).
  struct FinishedAndClaimed {
    std::vector<absl::Status> finished;  // FinishMany's per-job statuses, in outcome order
    std::vector<Job> claimed;            // NextBatch's jobs
    absl::Status claim_status;           // the claim's error, when it failed after the finish
  };
  absl::StatusOr<FinishedAndClaimed> FinishManyAndNextBatch(const RequestContext& ctx,
                                                           const std::vector<JobOutcome>& outcomes,
                                                           std::string_view queue, std::string_view worker_id,
                                                           int max_jobs, std::chrono::milliseconds timeout);
  // Finishes a claimed job with `result_json` (JSON text; "" stores nothing). FailedPrecondition
  // "lease lost" when the lease expired or the job was taken over (fencing): nothing changes then.
  absl::Status Complete(const RequestContext& ctx, const Job& job, std::string_view result_json = "");
  // Records a failed attempt (message appended to the error history): the job waits RetryDelay(...)
  // for its next attempt, or goes to the dead-letter state after max_attempts. FailedPrecondition when
  // the lease was lost.
  absl::Status Fail(const RequestContext& ctx, const Job& job, std::string_view message);
  // Stores progress (JSON text) on a claimed job. FailedPrecondition when the lease was lost.
  absl::Status Progress(const RequestContext& ctx, const Job& job, std::string_view progress_json);
  // Extends the lease to now + `extension` (> 0) — the worker's heartbeat; returns the new expiry.
  // FailedPrecondition when the lease was already lost (it cannot be revived). Cancelled ("cancel
  // requested") when Cancel was called on the running job: the lease was still extended, and the
  // handler should stop and call Fail or Release (the job then ends CANCELLED).
  absl::StatusOr<Clock::TimePoint> ExtendLease(const RequestContext& ctx, const Job& job,
                                               std::chrono::milliseconds extension);
  // Gives a claimed job back unrun (graceful shutdown): waiting again at once, the attempt not counted.
  // FailedPrecondition when the lease was lost.
  absl::Status Release(const RequestContext& ctx, const Job& job);

  // ---- Administration ----
  // NotFound naming the id.
  absl::StatusOr<Job> Get(const RequestContext& ctx, int64_t id);
  // Cancels a job. A waiting (or delayed) one is CANCELLED at once. A running one gets a cooperative
  // signal: cancel_requested is set, which its worker sees through CancelRequested and ExtendLease
  // (Cancelled); when the worker then calls Fail or Release, or its lease expires, the job ends
  // CANCELLED instead of being retried (a Complete still completes it: the work was done). NotFound;
  // FailedPrecondition when it is already finished (COMPLETED, DEAD, CANCELLED).
  absl::Status Cancel(const RequestContext& ctx, int64_t id);
  // The cooperative cancel signal of a claimed job: true once Cancel was called on it. Fenced like
  // Complete (FailedPrecondition "lease lost"); changes nothing.
  absl::StatusOr<bool> CancelRequested(const RequestContext& ctx, const Job& job);
  // Paused: Next returns nothing for the queue (jobs still enqueue). Persistent on SQL backends and
  // seen by every process.
  absl::Status Pause(const RequestContext& ctx, std::string_view queue);
  absl::Status Resume(const RequestContext& ctx, std::string_view queue);
  absl::StatusOr<QueueCounts> Counts(const RequestContext& ctx, std::string_view queue);
  // Throughput and latency percentiles of `queue` over the last `window` minutes (1..60) plus the
  // current one so far (QueueMetrics). An attempt counts once it ends by Complete or Fail, in the
  // minute it ended; a released job, or one whose lease lapsed, is not counted. The minutes are stored
  // by the backend (SQL: bus_metrics; Redis: a hash per minute; memory: in process) and kept 61 minutes.
  // InvalidArgument naming `queue` or `window`.
  absl::StatusOr<QueueMetrics> Metrics(const RequestContext& ctx, std::string_view queue,
                                       std::chrono::minutes window = std::chrono::minutes(1));
  // Jobs by state, oldest first, at most `limit` (1..10000).
  absl::StatusOr<std::vector<Job>> List(const RequestContext& ctx, std::string_view queue, JobState state,
                                        int limit = 100);
  // Moves dead jobs of `queue` back to waiting with a fresh attempt budget (their error history kept);
  // `ids` empty: every dead job of the queue. Returns how many moved (ids not dead are ignored).
  absl::StatusOr<int64_t> Replay(const RequestContext& ctx, std::string_view queue,
                                 const std::vector<int64_t>& ids = {});
  // Recovers the jobs of `queue` whose lease expired (Next does this itself); returns how many.
  absl::StatusOr<int64_t> RecoverStalled(const RequestContext& ctx, std::string_view queue);
  // Deletes completed/cancelled and dead jobs older than the queue's retention; returns how many.
  absl::StatusOr<int64_t> Clean(const RequestContext& ctx, std::string_view queue);

  // ---- Repeatable jobs (daira/bus/repeatable.h; docs/bus.md "Repeatable jobs") ----
  // Stores (or replaces, by queue + key) a repeatable job definition, durably on sqlite/postgres/redis
  // (in process on memory). Its first occurrence is the first schedule time after now; re-adding a key
  // with the same schedule keeps its pending occurrence. InvalidArgument naming the field (queue, key,
  // payload, every, cron.<field>, max_attempts; both or neither of every/cron) stores nothing.
  absl::StatusOr<Repeatable> AddRepeatable(const RequestContext& ctx, const RepeatableRequest& request);
  // The definitions of `queue` ("" = every configured queue), by queue then key.
  absl::StatusOr<std::vector<Repeatable>> ListRepeatables(const RequestContext& ctx, std::string_view queue = "");
  // Removes a definition: no further occurrences (jobs already enqueued stay). NotFound naming the key.
  absl::Status RemoveRepeatable(const RequestContext& ctx, std::string_view queue, std::string_view key);
  // The scheduler tick for `queue`: for each definition whose next occurrence is due, enqueues ONE job
  // — for the latest occurrence at or before now; occurrences missed while no scheduler ran are skipped
  // — and moves next_run_at past now. Each occurrence is enqueued exactly once however many processes
  // tick at once (SQL: a conditional UPDATE of next_run_at in the enqueue's transaction; Redis: one
  // Lua script; memory: under the queue's mutex); the job's idempotency key is RepeatJobKey(key,
  // occurrence). Next runs this itself (when an occurrence is due, and at least once per second of the
  // queue clock). Returns how many jobs it enqueued. FailedPrecondition when `ctx` is bound to a
  // transaction.
  absl::StatusOr<int64_t> RunRepeatables(const RequestContext& ctx, std::string_view queue);

  // ---- Outbox relay (redis:// on a SQL database; docs/bus.md "Outbox relay") ----
  // On a redis:// bus opened with a database, Enqueue inside a bound transaction writes an `outbox` row
  // in that transaction instead of touching Redis; after the commit the row is relayed at once, and
  // whatever is left (Redis was down, the process died) is relayed by the queue's relay thread or by
  // this call. Moves at most `limit` (1..10000) committed rows to Redis and deletes them once Redis
  // acknowledged the jobs; a row sent twice makes one job (the job id is the row id). Returns how many
  // rows it handled. 0 on every other backend (nothing to relay).
  absl::StatusOr<int64_t> RelayOutbox(const RequestContext& ctx, int limit = 500);

  // Makes every Next blocked now return nullopt at once (a WorkerPool shutting down). Later calls wait
  // as usual.
  void InterruptWaiters();
  // Wakes every blocked Next (which then returns nullopt), refuses further Next calls with
  // FailedPrecondition, and releases the backend's own resources (the Postgres LISTEN connection and
  // its thread; Platform::Close calls it). Idempotent.
  void Close();
  bool closed() const;

 protected:
  explicit Queue(BusOptions options);
  const Clock& clock() const { return *clock_; }

  // A validated request with its derived fields resolved (max_attempts, correlation id, run_at).
  struct NewJob {
    const EnqueueRequest* request;
    int max_attempts;
    // The request's, else the context's (shared by the requests of one thread and context: no copy
    // per request).
    SharedText correlation_id;
    Clock::TimePoint run_at;
  };
  // Backends implement these; arguments are validated and the queue exists.
  virtual absl::StatusOr<std::vector<EnqueueResult>> DoEnqueue(const RequestContext& ctx,
                                                               const std::vector<NewJob>& jobs) = 0;
  // Claims at most one due job (no waiting): nullopt if none.
  virtual absl::StatusOr<std::optional<Job>> DoClaim(const RequestContext& ctx, const QueueSettings& queue,
                                                     std::string_view worker_id, int64_t token) = 0;
  // Claims at most `max_jobs` (>= 1) due jobs in claim order, all with lease token `token` (fencing is
  // by job id and token together). Default: DoClaim in a loop until it finds none. Backends override it
  // with one statement / script.
  virtual absl::StatusOr<std::vector<Job>> DoClaimMany(const RequestContext& ctx, const QueueSettings& queue,
                                                       std::string_view worker_id, int64_t token,
                                                       int max_jobs);
  // Blocks until something may have changed for `queue`, `until` passes, or Close(). Returns at once
  // when the queue was notified since `seen` (a counter from WakeCounter).
  virtual void WaitForWork(std::string_view queue, uint64_t seen, std::chrono::steady_clock::time_point until) = 0;
  virtual uint64_t WakeCounter() const = 0;
  virtual void WakeAll() = 0;
  // Called once by Close() after WakeAll: release what the backend holds besides the database (e.g. a
  // LISTEN connection). Default: nothing.
  virtual void OnClose() {}
  // When the next waiting job of `queue` becomes due or the next lease expires, if any.
  virtual absl::StatusOr<std::optional<Clock::TimePoint>> DoNextDue(const RequestContext& ctx,
                                                                    const QueueSettings& queue) = 0;
  // The fenced transitions: apply only while `job.lease_token` still holds the lease and it has not
  // expired at `now`; FailedPrecondition "lease lost" otherwise.
  // kRetry, kDead and kRelease end CANCELLED instead when the job's cancel was requested; kExtend and
  // kCheck (changes nothing) return absl::CancelledError after applying when it was.
  enum class Outcome { kComplete, kRetry, kDead, kRelease, kProgress, kExtend, kCheck };
  struct Transition {
    Outcome outcome;
    Clock::TimePoint now;
    std::string text;                   // result / progress JSON, or the error message
    Clock::TimePoint when{};            // kRetry: next run_at; kExtend: new expiry
    std::string worker;                 // kRetry/kDead: who failed it
  };
  virtual absl::Status DoTransition(const RequestContext& ctx, const Job& job, const Transition& t) = 0;
  // Applies `transitions[i]` to `*jobs[i]` (kComplete, kRetry, kDead only), each fenced on its own; the
  // result holds each job's status (OkStatus or LeaseLost). An outer error means nothing was applied
  // (SQL: the transaction rolled back). Default: DoTransition in a loop (per job; an error other than
  // a lease lost is returned as that job's status).
  virtual absl::StatusOr<std::vector<absl::Status>> DoTransitionMany(
      const RequestContext& ctx, const std::vector<const Job*>& jobs,
      const std::vector<Transition>& transitions);
  // DoTransitionMany(jobs, transitions) and DoClaimMany(queue, worker_id, token, max_jobs) as one unit
  // (SQL: one transaction). nullopt: the backend does not fuse them for these arguments (the default),
  // and Queue runs them one after the other. An error: nothing finished, nothing claimed.
  virtual absl::StatusOr<std::optional<FinishedAndClaimed>> DoTransitionManyAndClaimMany(
      const RequestContext& ctx, const std::vector<const Job*>& jobs, const std::vector<Transition>& transitions,
      const QueueSettings& queue, std::string_view worker_id, int64_t token, int max_jobs);
  // FailedPrecondition "bus: <op>: job N lease lost (...)": what DoTransition returns when fenced off.
  static absl::Status LeaseLost(Outcome outcome, int64_t job_id);
  // absl::CancelledError "cancel requested": what kExtend / kCheck return on a cancel-requested job.
  static absl::Status CancelRequestedError(int64_t job_id);
  virtual absl::StatusOr<Job> DoGet(const RequestContext& ctx, int64_t id) = 0;
  // A waiting job → CANCELLED; an active one → cancel_requested set.
  virtual absl::Status DoCancel(const RequestContext& ctx, int64_t id, Clock::TimePoint now) = 0;
  virtual absl::Status DoSetPaused(const RequestContext& ctx, const QueueSettings& queue, bool paused) = 0;
  virtual absl::StatusOr<QueueCounts> DoCounts(const RequestContext& ctx, const QueueSettings& queue) = 0;
  // The metric histograms of `queue` summed over the minutes [first_minute, last_minute] (minutes since
  // the Unix epoch): src/backends/bus_metrics.h says how a finished attempt is recorded.
  virtual absl::StatusOr<MetricHistograms> DoMetrics(const RequestContext& ctx, const QueueSettings& queue,
                                                     int64_t first_minute, int64_t last_minute) = 0;
  virtual absl::StatusOr<std::vector<Job>> DoList(const RequestContext& ctx, const QueueSettings& queue,
                                                  JobState state, int limit) = 0;
  virtual absl::StatusOr<int64_t> DoReplay(const RequestContext& ctx, const QueueSettings& queue,
                                           const std::vector<int64_t>& ids) = 0;
  virtual absl::StatusOr<int64_t> DoRecoverStalled(const RequestContext& ctx, const QueueSettings& queue) = 0;
  virtual absl::StatusOr<int64_t> DoClean(const RequestContext& ctx, const QueueSettings& queue) = 0;
  virtual absl::StatusOr<int64_t> DoRelayOutbox(const RequestContext& ctx, int limit);
  // Repeatables. `schedule` is internal::ScheduleText's form ("every:<ms>" / "cron:<expr>").
  // DoAddRepeatable upserts (keeping next_run_at when the stored schedule equals `schedule`) and
  // returns the stored definition.
  virtual absl::StatusOr<Repeatable> DoAddRepeatable(const RequestContext& ctx, const Repeatable& def,
                                                     const std::string& schedule) = 0;
  virtual absl::StatusOr<std::vector<Repeatable>> DoListRepeatables(const RequestContext& ctx,
                                                                    const QueueSettings& queue) = 0;
  // False when there was no such definition.
  virtual absl::StatusOr<bool> DoRemoveRepeatable(const RequestContext& ctx, const QueueSettings& queue,
                                                  std::string_view key) = 0;
  // Atomically: if the definition's next_run_at still equals `expected`, sets it to `next` (last_run_at
  // to `occurrence`) and enqueues `job`; returns whether this call did (false: another scheduler did,
  // or the definition changed or was removed).
  virtual absl::StatusOr<bool> DoFireRepeatable(const RequestContext& ctx, const QueueSettings& queue,
                                                std::string_view key, Clock::TimePoint expected,
                                                Clock::TimePoint occurrence, Clock::TimePoint next,
                                                const NewJob& job) = 0;

 private:
  absl::StatusOr<const QueueSettings*> Resolve(std::string_view op, std::string_view queue) const;
  // Next (max_jobs 0: DoClaim) and NextBatch (DoClaimMany): recovery, repeatables, claim, wait, again.
  // `claimed_at`: the caller's own claim just found nothing at that WakeCounter(), so the first round
  // starts with the wait.
  absl::StatusOr<std::vector<Job>> ClaimWaiting(std::string_view op, const RequestContext& ctx,
                                                std::string_view queue, std::string_view worker_id,
                                                int max_jobs, std::chrono::milliseconds timeout,
                                                std::optional<uint64_t> claimed_at = std::nullopt);
  absl::StatusOr<NewJob> Validate(const RequestContext& ctx, const EnqueueRequest& request,
                                  std::string_view field_prefix) const;
  // ClaimWaiting's checks of its arguments (queue resolved into `*s`).
  absl::Status CheckClaim(std::string_view op, const RequestContext& ctx, std::string_view queue,
                          std::chrono::milliseconds timeout, const QueueSettings** s) const;
  // Stalled-job recovery and the repeatables tick of `s`, when due (before a claim).
  absl::Status Housekeep(const RequestContext& ctx, const QueueSettings& s);
  // FinishMany's validation: the fenced transitions of `outcomes` (InvalidArgument naming
  // `outcomes[i].<field>`).
  absl::Status OutcomeTransitions(std::string_view op, const std::vector<JobOutcome>& outcomes,
                                  std::vector<const Job*>& jobs, std::vector<Transition>& transitions);
  // A failed attempt of `job` at `now` (Fail and FinishMany): kRetry after RetryDelay while attempts
  // remain, kDead after the last; the message is kept up to 4,000 bytes.
  Transition FailureTransition(const QueueSettings& s, const Job& job, std::string_view message,
                               Clock::TimePoint now);
  absl::Status Fenced(std::string_view op, const RequestContext& ctx, const Job& job, Outcome outcome,
                      std::string text);
  BusOptions options_;
  const Clock* clock_;
  struct State;
  std::unique_ptr<State> state_;
};

// The pull API for one queue and one worker identity: a thin, copyable view over a Queue.
// Thread-safety: as Queue; use one Worker (one worker id) per thread for readable lease owners.
class Worker {
 public:
  // `queue` must outlive the Worker. `worker_id` names the lease owner ("" = "host:pid:<n>").
  Worker(Queue& queue, std::string queue_name, std::string worker_id = "");
  const std::string& queue_name() const { return queue_name_; }
  const std::string& worker_id() const { return worker_id_; }
  absl::StatusOr<std::optional<Job>> Next(const RequestContext& ctx, std::chrono::milliseconds timeout) {
    return queue_->Next(ctx, queue_name_, worker_id_, timeout);
  }
  absl::StatusOr<std::vector<Job>> NextBatch(const RequestContext& ctx, int max_jobs,
                                             std::chrono::milliseconds timeout) {
    return queue_->NextBatch(ctx, queue_name_, worker_id_, max_jobs, timeout);
  }
  absl::StatusOr<std::vector<absl::Status>> FinishMany(const RequestContext& ctx,
                                                       const std::vector<Queue::JobOutcome>& outcomes) {
    return queue_->FinishMany(ctx, outcomes);
  }
  absl::StatusOr<Queue::FinishedAndClaimed> FinishManyAndNextBatch(const RequestContext& ctx,
                                                                  const std::vector<Queue::JobOutcome>& outcomes,
                                                                  int max_jobs, std::chrono::milliseconds timeout) {
    return queue_->FinishManyAndNextBatch(ctx, outcomes, queue_name_, worker_id_, max_jobs, timeout);
  }
  absl::Status Complete(const RequestContext& ctx, const Job& job, std::string_view result_json = "") {
    return queue_->Complete(ctx, job, result_json);
  }
  absl::Status Fail(const RequestContext& ctx, const Job& job, std::string_view message) {
    return queue_->Fail(ctx, job, message);
  }
  absl::Status Progress(const RequestContext& ctx, const Job& job, std::string_view progress_json) {
    return queue_->Progress(ctx, job, progress_json);
  }
  absl::StatusOr<Clock::TimePoint> ExtendLease(const RequestContext& ctx, const Job& job,
                                               std::chrono::milliseconds extension) {
    return queue_->ExtendLease(ctx, job, extension);
  }
  absl::Status Release(const RequestContext& ctx, const Job& job) { return queue_->Release(ctx, job); }

 private:
  Queue* queue_;
  std::string queue_name_;
  std::string worker_id_;
};

// A worker id for this process: "<host>:<pid>:<suffix>".
std::string DefaultWorkerId(std::string_view suffix);

// Opens the bus a `bus=` URL names: "memory:", "sqlite:" (on `db`, which must be SQLite), "postgres:"
// (on `db`, which must be Postgres; `database_url` is its URL, used to open the LISTEN connection).
// URL parameters "<queue>.<field>=<value>" override queue settings (ApplyQueueOverride). `db` must
// outlive the queue. InvalidArgument for an unknown scheme, a backend that does not match `db`, or a
// bad parameter. "redis://host:port/db?prefix=..." keeps jobs in Redis (db may be null; the Redis
// parameters of docs/configuration.md plus allow_eviction=1); FailedPrecondition when the server's
// maxmemory-policy may evict keys.
absl::StatusOr<std::unique_ptr<Queue>> OpenQueue(std::string_view url, store::Database* db,
                                                 std::string_view database_url, BusOptions options = {});

}  // namespace daira::inline v0::bus
