// bus::Queue in process memory: fast, not durable, one process. Enqueue inside a bound SQL
// transaction is deferred to after its commit (store::AfterCommit), so a rolled-back transaction never
// leaves a job; the job is lost if the process dies before it runs.
//
// Thread-safety: every method is safe from any thread (one mutex; Next waits on a condition variable).
#pragma once

#include <array>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "backends/bus_metrics.h"
#include "daira/bus/queue.h"

namespace daira::inline v0::backends {

class MemoryQueue final : public bus::Queue {
 public:
  static absl::StatusOr<std::unique_ptr<bus::Queue>> Open(bus::BusOptions options);

  std::string_view Name() const override { return "memory"; }
  bus::QueueTraits traits() const override {
    return {.durable = false, .transactional_enqueue = true, .cross_process = false};
  }

 protected:
  absl::StatusOr<std::vector<bus::EnqueueResult>> DoEnqueue(const RequestContext& ctx,
                                                            const std::vector<NewJob>& jobs) override;
  absl::StatusOr<std::optional<bus::Job>> DoClaim(const RequestContext& ctx, const bus::QueueSettings& queue,
                                                  std::string_view worker_id, int64_t token) override;
  void WaitForWork(std::string_view queue, uint64_t seen, std::chrono::steady_clock::time_point until) override;
  uint64_t WakeCounter() const override;
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
  absl::StatusOr<bus::QueueCounts> DoCounts(const RequestContext& ctx, const bus::QueueSettings& queue) override;
  absl::StatusOr<bus::MetricHistograms> DoMetrics(const RequestContext& ctx, const bus::QueueSettings& queue,
                                                  int64_t first_minute, int64_t last_minute) override;
  absl::StatusOr<std::vector<bus::Job>> DoList(const RequestContext& ctx, const bus::QueueSettings& queue,
                                               bus::JobState state, int limit) override;
  absl::StatusOr<int64_t> DoReplay(const RequestContext& ctx, const bus::QueueSettings& queue,
                                   const std::vector<int64_t>& ids) override;
  absl::StatusOr<int64_t> DoRecoverStalled(const RequestContext& ctx, const bus::QueueSettings& queue) override;
  absl::StatusOr<int64_t> DoClean(const RequestContext& ctx, const bus::QueueSettings& queue) override;
  absl::StatusOr<bus::Repeatable> DoAddRepeatable(const RequestContext& ctx, const bus::Repeatable& def,
                                                  const std::string& schedule) override;
  absl::StatusOr<std::vector<bus::Repeatable>> DoListRepeatables(const RequestContext& ctx,
                                                                 const bus::QueueSettings& queue) override;
  absl::StatusOr<bool> DoRemoveRepeatable(const RequestContext& ctx, const bus::QueueSettings& queue,
                                          std::string_view key) override;
  absl::StatusOr<bool> DoFireRepeatable(const RequestContext& ctx, const bus::QueueSettings& queue,
                                        std::string_view key, Clock::TimePoint expected, Clock::TimePoint occurrence,
                                        Clock::TimePoint next, const NewJob& job) override;

 private:
  explicit MemoryQueue(bus::BusOptions options) : bus::Queue(std::move(options)) {}
  struct PerQueue;
  // DoClaim / DoTransition with mu_ held (the batch forms take it once). ClaimLocked returns the stored
  // job it claimed (the caller copies it out), or null when none is due. TransitionLocked sets
  // `changed` when the job left ACTIVE (waiters must be notified: Notify once per call or batch).
  bus::Job* ClaimLocked(PerQueue& q, const bus::QueueSettings& s, std::string_view worker_id, int64_t token,
                        Clock::TimePoint now);
  absl::Status TransitionLocked(const bus::Job& claimed, const Transition& t, bool& changed);
  using ReadyKey = std::tuple<int, int64_t, int64_t>;  // -priority, run_at µs, id
  using TimeKey = std::pair<int64_t, int64_t>;         // time µs, id
  struct PerQueue {
    // B-trees (no node allocation per job; iterators are not kept across inserts or erases).
    absl::btree_set<ReadyKey> ready;      // due (promoted from delayed when their time came)
    absl::btree_set<TimeKey> delayed;     // waiting, by run_at
    absl::btree_set<TimeKey> active;      // by lease expiry
    std::map<std::string, int64_t> keys;  // idempotency key -> newest job id
    std::map<std::string, int64_t> served;  // group -> when last served (round_robin_groups)
    int64_t serve_seq = 0;
    bool paused = false;
    // Set on first use: whether a finished job frees a place a waiter may claim (a per-group limit).
    int group_limited = -1;
    int64_t rate_window = -1;  // rate limit: the current window's index and how many jobs it started
    int rate_started = 0;
    // Run-time metrics by minute (backends/bus_metrics.h), the last kMetricsKeepMinutes kept.
    struct MinuteMetrics {
      std::array<int64_t, backends::kLatencyBuckets> wait{}, completed{}, failed{};
    };
    std::map<int64_t, MinuteMetrics> metrics;
  };
  // All under mu_.
  bus::Job* FindLocked(int64_t id) {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second.get();
  }
  // Stores a new WAITING job of `q` (its queue's state) and indexes it (ready at once when due at `now`).
  void InsertLocked(PerQueue& q, std::unique_ptr<bus::Job> job, Clock::TimePoint now);
  // Indexes a WAITING job: in `ready` when due at `now`, else in `delayed` (promoted by ClaimLocked).
  void IndexWaitingLocked(PerQueue& q, const bus::Job& job, Clock::TimePoint now);
  void MakeWaitingLocked(bus::Job& job, Clock::TimePoint run_at, Clock::TimePoint now);
  void RemoveFromIndexesLocked(const bus::Job& job);
  // Records the attempt of `j` (still ACTIVE, its run_at that of the attempt) ending at `now`.
  void RecordFinishLocked(PerQueue& q, const bus::Job& j, Clock::TimePoint now, bool failed);
  PerQueue& Q(const std::string& name) { return queues_[name]; }
  // Whether finishing one of `q`'s jobs can make another claimable (round_robin_groups with a
  // group_concurrency limit): only then do completions wake waiters.
  bool FinishFreesSlotLocked(PerQueue& q, const std::string& name);
  void Notify();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakes_ = 0;      // guarded by mu_
  int64_t next_id_ = 1;     // guarded by mu_
  // Every job by id (O(1) lookups however many finished jobs retention keeps; pointers are stable).
  absl::flat_hash_map<int64_t, std::unique_ptr<bus::Job>> jobs_;
  std::map<std::string, PerQueue, std::less<>> queues_;
  // Repeatable definitions by (queue, key), with their schedule text.
  std::map<std::pair<std::string, std::string>, std::pair<bus::Repeatable, std::string>> repeatables_;
};

}  // namespace daira::inline v0::backends
