// bus::Queue on Redis (`bus=redis://host:port/db?prefix=...`): every state move is one Lua script
// (EVALSHA) over hashes, sorted sets and lists, so claims, fencing, retries, dedup and groups are atomic
// on the server and shared by every process on the same Redis and prefix. docs/bus.md ("Redis").
//
//   DAIRA_ASSIGN_OR_RETURN(auto q, RedisQueue::Open("redis://127.0.0.1:6379/0?prefix=app1:", options));
//
// Keys (all under `<prefix>{bus3}:`, one hash tag, so one cluster slot; job layout 3 — Open refuses
// waiting, active or dead jobs or repeatables left under layout 1's `<prefix>{bus}:` or layout 2's
// `<prefix>{bus2}:`):
//   id                          INCR counter of job ids
//   d, c, t, g, p, k, r         hashes by job id: the immutable record (MessagePack, packed by the
//                               client), the latest claim, the lease token while ACTIVE, group,
//                               priority, idempotency key, result (the last four only when set) —
//                               a batch reads or writes each with one variadic command
//   job:<id>                    hash: what the rarer moves set (run_at once moved, updated, progress,
//                               cancel); job:<id>:err  list: its error history
//   q:<queue>:delayed           zset id by run_at µs (every waiting job until it is due)
//   q:<queue>:ready             zset "<run_at>:<id>" by -priority (due jobs: priority, then FIFO)
//   q:<queue>:active            zset id by lease expiry µs (+ a keeper member at +inf: a skiplist)
//   q:<queue>:COMPLETED|DEAD|CANCELLED  zset id by finished µs (List, Counts, Clean)
//   q:<queue>:keys              hash idempotency key -> "<id>:<created µs>"
//   q:<queue>:paused            "1" while paused
//   q:<queue>:served / :seq / :gactive  round-robin groups: last served sequence, active per group
//   wake:<queue>                list of wake tokens a blocked worker BLPOPs
// A job's state is the set its id is in (active, a finished state's, else WAITING).
// Times are the queue's clock (BusOptions::clock) in µs since the epoch, sent by the client.
//
// Outbox (when opened with a SQL database): Enqueue inside a bound transaction inserts `outbox` rows
// (topic "bus:<queue>", id = the job id, from an IdGenerator) in that transaction; after the commit
// they are relayed at once, and a relay thread (every relay_interval_ms) moves what is left. Without a
// database, such an enqueue is written to Redis after the commit (AfterCommit), not atomically with it.
//
// Thread-safe: a pool of connections for commands, a second one for blocking waits. Claims of one queue
// that threads ask for while one is in flight go out together in the next script call (DoClaimMany).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backends/redis/redis_pool.h"
#include "backends/redis/redis_url.h"
#include "daira/bus/queue.h"
#include "daira/core/id.h"
#include "daira/resilience/circuit_breaker.h"

namespace daira::inline v0::store {
class Database;
}  // namespace daira::inline v0::store

namespace daira::inline v0::backends::redis {

class RedisQueue final : public bus::Queue {
 public:
  // `text` is a redis:// URL whose parameters are the common Redis ones (redis_url.h) plus
  // allow_eviction=1. Refuses (FailedPrecondition naming maxmemory-policy) a server whose
  // maxmemory-policy may evict keys, unless allow_eviction=1.
  // `db` (may be null; must outlive the queue) holds the outbox. URL parameters of the relay:
  // relay_interval_ms (default 1000; 0 = no relay thread in this process) and relay_batch (default 500).
  static absl::StatusOr<std::unique_ptr<bus::Queue>> Open(std::string_view text, bus::BusOptions options,
                                                          store::Database* db = nullptr);
  ~RedisQueue() override;

  std::string_view Name() const override { return "redis"; }
  bus::QueueTraits traits() const override {
    // transactional_enqueue: in a bound SQL transaction the job is written to Redis after the commit
    // (never after a rollback); a Redis failure at that moment loses it (docs/bus.md).
    return {.durable = true, .transactional_enqueue = true, .cross_process = true};
  }
  const resilience::CircuitBreaker* breaker() const override { return breaker_.get(); }
  // The key prefix every key of this queue starts with ("<prefix>{bus3}:").
  const std::string& base() const { return base_; }
  // Test hook: runs after a relay batch reached Redis and before its rows are deleted; an error aborts
  // the relay there (the rows stay, as if the relaying process had died at that point).
  void set_relay_fault_for_testing(std::function<absl::Status()> fault) { relay_fault_ = std::move(fault); }

 protected:
  absl::StatusOr<std::vector<bus::EnqueueResult>> DoEnqueue(const RequestContext& ctx,
                                                            const std::vector<NewJob>& jobs) override;
  absl::StatusOr<std::optional<bus::Job>> DoClaim(const RequestContext& ctx, const bus::QueueSettings& queue,
                                                  std::string_view worker_id, int64_t token) override;
  void WaitForWork(std::string_view queue, uint64_t seen,
                   std::chrono::steady_clock::time_point until) override;
  uint64_t WakeCounter() const override { return wakes_.load(); }
  void WakeAll() override;
  absl::StatusOr<std::optional<Clock::TimePoint>> DoNextDue(const RequestContext& ctx,
                                                            const bus::QueueSettings& queue) override;
  absl::Status DoTransition(const RequestContext& ctx, const bus::Job& job, const Transition& t) override;
  absl::StatusOr<std::vector<bus::Job>> DoClaimMany(const RequestContext& ctx,
                                                    const bus::QueueSettings& queue,
                                                    std::string_view worker_id, int64_t token,
                                                    int max_jobs) override;
  absl::StatusOr<std::vector<absl::Status>> DoTransitionMany(
      const RequestContext& ctx, const std::vector<const bus::Job*>& jobs,
      const std::vector<Transition>& transitions) override;
  absl::StatusOr<bus::Job> DoGet(const RequestContext& ctx, int64_t id) override;
  absl::Status DoCancel(const RequestContext& ctx, int64_t id, Clock::TimePoint now) override;
  absl::Status DoSetPaused(const RequestContext& ctx, const bus::QueueSettings& queue, bool paused) override;
  absl::StatusOr<bus::QueueCounts> DoCounts(const RequestContext& ctx,
                                            const bus::QueueSettings& queue) override;
  absl::StatusOr<bus::MetricHistograms> DoMetrics(const RequestContext& ctx, const bus::QueueSettings& queue,
                                                  int64_t first_minute, int64_t last_minute) override;
  absl::StatusOr<std::vector<bus::Job>> DoList(const RequestContext& ctx, const bus::QueueSettings& queue,
                                               bus::JobState state, int limit) override;
  absl::StatusOr<int64_t> DoReplay(const RequestContext& ctx, const bus::QueueSettings& queue,
                                   const std::vector<int64_t>& ids) override;
  absl::StatusOr<int64_t> DoRecoverStalled(const RequestContext& ctx,
                                           const bus::QueueSettings& queue) override;
  absl::StatusOr<int64_t> DoClean(const RequestContext& ctx, const bus::QueueSettings& queue) override;
  absl::StatusOr<int64_t> DoRelayOutbox(const RequestContext& ctx, int limit) override;
  absl::StatusOr<bus::Repeatable> DoAddRepeatable(const RequestContext& ctx, const bus::Repeatable& def,
                                                  const std::string& schedule) override;
  absl::StatusOr<std::vector<bus::Repeatable>> DoListRepeatables(const RequestContext& ctx,
                                                                 const bus::QueueSettings& queue) override;
  absl::StatusOr<bool> DoRemoveRepeatable(const RequestContext& ctx, const bus::QueueSettings& queue,
                                          std::string_view key) override;
  absl::StatusOr<bool> DoFireRepeatable(const RequestContext& ctx, const bus::QueueSettings& queue,
                                        std::string_view key, Clock::TimePoint expected, Clock::TimePoint occurrence,
                                        Clock::TimePoint next, const NewJob& job) override;
  void OnClose() override;

 private:
  RedisQueue(bus::BusOptions options, std::unique_ptr<RedisPool> pool, std::unique_ptr<RedisPool> blocking);
  // The circuit breaker's permission, then a pooled connection (a failure to connect is recorded).
  // Unavailable "bus: <op>: circuit breaker redis bus is open" without touching Redis while it is
  // open. The caller records its call's result with breaker_->Record.
  absl::StatusOr<RedisPool::Lease> Admit(std::string_view op, const RequestContext* ctx);
  // Runs `script` with KEYS = {base_} on a pooled connection, through the breaker.
  absl::StatusOr<RedisReply> Run(std::string_view op, const RequestContext* ctx, const RedisScript& script,
                                 const std::vector<std::string>& args);
  // One enqueue_job record (6 arguments) of the Lua scripts; `now` (µs) is the job's creation time.
  void AppendJobArgs(std::vector<std::string>& args, const NewJob& nj, int64_t now, std::string id,
                     std::string nonce) const;
  // DoTransitionMany under the operation name `op` (also a single Complete's, as a batch of one).
  absl::StatusOr<std::vector<absl::Status>> FinishMany(std::string_view op, const RequestContext& ctx,
                                                       const std::vector<const bus::Job*>& jobs,
                                                       const std::vector<Transition>& transitions);
  absl::StatusOr<std::vector<bus::EnqueueResult>> EnqueueNow(const RequestContext* ctx,
                                                             const std::vector<NewJob>& jobs,
                                                             const std::vector<int64_t>& ids,
                                                             const std::vector<std::string>& nonces = {});

  absl::StatusOr<std::vector<bus::EnqueueResult>> WriteOutbox(const RequestContext& ctx,
                                                              const std::vector<NewJob>& jobs);
  absl::StatusOr<std::vector<bus::EnqueueResult>> EnqueueAfterCommit(const RequestContext& ctx,
                                                                     const std::vector<NewJob>& jobs);
  void RelayLoop();
  void StopRelay();

  // One claim a thread asks for (DoClaimMany): its lease owner, token and max jobs, and its answer.
  struct ClaimAsk {
    std::string_view worker;
    int64_t token = 0;
    int max = 0;
    absl::StatusOr<std::vector<bus::Job>> jobs{std::vector<bus::Job>()};
    bool done = false;  // guarded by claim_mu_ once queued
    // Signalled (under claim_mu_) when the ask is answered, or when it should lead the next call: each
    // waiter is woken for its own reason only, not by every call's end.
    std::condition_variable cv{};
  };
  // The asks of one queue: those waiting for the next call, and whether a call is in flight.
  struct ClaimLane {
    std::vector<ClaimAsk*> waiting;
    bool leading = false;
  };
  // One claim script call for every ask in `asks` (one queue): sets each ask's jobs (or the error).
  void ClaimTogether(const RequestContext& ctx, const bus::QueueSettings& s, const std::vector<ClaimAsk*>& asks);

  std::unique_ptr<RedisPool> pool_;
  // Guards every command call (not the blocking BLPOP waits, which skip Redis while it is open).
  std::unique_ptr<resilience::CircuitBreaker> breaker_;
  std::unique_ptr<RedisPool> blocking_;  // BLPOP on wake lists (kept apart so waiters never starve commands)
  std::string base_;
  std::atomic<uint64_t> wakes_{0};
  // Claims coalesced per queue (DoClaimMany).
  std::mutex claim_mu_;
  std::map<std::string, ClaimLane, std::less<>> claim_lanes_;  // guarded by claim_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  // Outbox (db_ non-null).
  store::Database* db_ = nullptr;
  IdGenerator ids_;
  std::chrono::milliseconds relay_interval_{1000};
  int relay_batch_ = 500;
  std::function<absl::Status()> relay_fault_;
  std::mutex relay_mu_;
  std::condition_variable relay_cv_;
  bool relay_stop_ = false;  // guarded by relay_mu_
  std::thread relay_thread_;
};

}  // namespace daira::inline v0::backends::redis
