// bus::Queue in process memory: fast, not durable, one process. Enqueue inside a bound SQL
// transaction is deferred to after its commit (store::AfterCommit), so a rolled-back transaction never
// leaves a job; the job is lost if the process dies before it runs.
//
// Storage (docs/bus.md "The memory backend"): jobs live in slots of fixed-size chunks addressed by id
// (no allocation per job or per state move), due jobs in one FIFO lane per priority, leases in a FIFO
// by expiry. A lane or the lease FIFO takes an out-of-order key (a delayed job promoted behind newer
// ones, an extended lease) into a small B-tree beside it; entries a job left are skipped when reached.
//
// Thread-safety: every method is safe from any thread (one mutex; Next waits on a condition variable).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "backends/bus_metrics.h"
#include "backends/memory/ring.h"
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
  explicit MemoryQueue(bus::BusOptions options);

  // One stored job: bus::Job's fields, with the queue as an index into options().queues. Its immutable
  // texts are one block made at enqueue (SharedText::Pack: one allocation per job) and the worker id is
  // one text per worker: a claim hands them out by reference, copying no bytes.
  struct Slot {
    int64_t id = 0;  // 0: no job here (not stored yet, or cleaned)
    uint32_t queue = 0;
    // Bumped each time the job is indexed as waiting: a ready-lane entry of an older generation is stale.
    uint32_t generation = 0;
    bus::JobState state = bus::JobState::kWaiting;
    bool cancel_requested = false;
    int priority = 0;
    int attempt = 0;
    int max_attempts = 0;
    int64_t lease_token = 0;
    // Where its lease entry went in its queue's lease FIFO (PerQueue::lease_front + index): a job finished
    // out of claim order marks its entry there (session 17), so no one reads its slot to learn it is stale.
    uint64_t lease_seq = 0;
    Clock::TimePoint run_at{}, lease_expires_at{}, created_at{}, updated_at{}, finished_at{}, started_at{};
    SharedText queue_name, name, payload, idempotency_key, group_key, correlation_id;  // one block
    SharedText lease_owner;                                                            // "" unless active
    SharedText progress, result;
    std::vector<bus::JobError> errors;
  };
  static constexpr int64_t kChunkSlots = 256;
  // A chunk's slots are constructed when first used, not all at once (256 slots of ~340 bytes each).
  class Chunk {
   public:
    Chunk() = default;
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;
    ~Chunk() {
      for (int k = 0; k < kChunkSlots; ++k) {
        if (Made(k)) At(k).~Slot();
      }
    }
    // Slot k, or null when it was never used.
    Slot* Find(int k) { return Made(k) ? &At(k) : nullptr; }
    Slot& Make(int k) {
      if (!Made(k)) {
        new (raw_ + k * sizeof(Slot)) Slot;  // every member has its initializer
        made_[k >> 6] |= uint64_t{1} << (k & 63);
      }
      return At(k);
    }
    int stored = 0;  // slots holding a job

   private:
    bool Made(int k) const { return (made_[k >> 6] >> (k & 63)) & 1; }
    Slot& At(int k) { return *std::launder(reinterpret_cast<Slot*>(raw_ + k * sizeof(Slot))); }
    std::array<uint64_t, kChunkSlots / 64> made_{};
    alignas(Slot) unsigned char raw_[kChunkSlots * sizeof(Slot)];
  };
  // A due job in a priority lane, ordered by (run_at µs, id).
  struct ReadyEntry {
    int64_t at;
    int64_t id;
    uint32_t generation;
  };
  using Key = std::pair<int64_t, int64_t>;  // (time µs, id)
  struct Lane {
    Ring<ReadyEntry> fifo;      // ascending keys; may hold stale entries (skipped)
    absl::btree_set<Key> late;    // keys that arrived out of order; always live
  };
  // An active job's lease, ordered by expiry.
  struct LeaseEntry {
    int64_t at;
    int64_t id;
    int64_t token;
  };
  using LateLease = std::tuple<int64_t, int64_t, int64_t>;  // (expiry µs, id, token)
  struct PerQueue {
    std::map<int, Lane> lanes;          // by -priority; a lane without live entries is erased when met
    // The lane the last job was indexed in (a batch is nearly always one priority); null after an erase.
    int last_lane_key = 0;
    Lane* last_lane = nullptr;
    int64_t ready = 0;                  // live entries in the lanes
    absl::btree_set<Key> delayed;       // waiting, not yet due, by run_at
    Ring<LeaseEntry> lease_fifo;  // ascending expiry; may hold stale entries (skipped, compacted)
    absl::btree_set<LateLease> lease_late;
    // FIFO entries that went stale (their job finished out of claim order): while 0, finishing the
    // front job pops it without looking at the next job's slot. Such an entry is marked where it is
    // (token 0), so popping it reads no slot either.
    int64_t lease_stale = 0;
    uint64_t lease_front = 0;  // the sequence number of lease_fifo's front entry (Slot::lease_seq)
    int64_t active = 0;  // jobs in ACTIVE
    // round_robin_groups with a group_concurrency limit: ACTIVE jobs per group (only then kept), and
    // finishing a job may free a place a waiter can claim.
    bool group_limited = false;
    absl::flat_hash_map<std::string, int> group_active;
    std::map<std::string, int64_t, std::less<>> keys;    // idempotency key -> newest job id
    std::map<std::string, int64_t, std::less<>> served;  // group -> when last served (round_robin_groups)
    int64_t serve_seq = 0;
    bool paused = false;
    int64_t rate_window = -1;  // rate limit: the current window's index and how many jobs it started
    int rate_started = 0;
    // Run-time metrics by minute (backends/bus_metrics.h), the last kMetricsKeepMinutes kept.
    struct MinuteMetrics {
      std::array<int64_t, backends::kLatencyBuckets> wait{}, completed{}, failed{};
    };
    std::map<int64_t, MinuteMetrics> metrics;
    // The minute of the last finish recorded and its entry (a batch's finishes share them).
    int64_t metrics_minute = INT64_MIN;
    MinuteMetrics* metrics_at = nullptr;
    int wait_bucket = 0, run_bucket = 0;  // the last latency buckets recorded (Bucket's hints)
  };

  // All under mu_.
  Slot* FindLocked(int64_t id);
  // The empty slot of a new id, counted as stored (its chunk made when missing); the caller fills it.
  Slot& NewSlotLocked(int64_t id);
  // Removes a finished job (Clean), freeing its chunk once that holds no job and every id in it was given.
  void RemoveLocked(Slot& slot);
  PerQueue& Q(const bus::QueueSettings& s) { return queues_[QueueIndex(s)]; }
  PerQueue& Q(const Slot& j) { return queues_[j.queue]; }
  uint32_t QueueIndex(const bus::QueueSettings& s) const;
  const std::string& QueueName(const Slot& j) const { return options().queues[j.queue].name; }
  void FillJob(const Slot& s, bus::Job& out) const;
  // Indexes a WAITING job: in its lane when due at `now`, else in `delayed` (promoted by claims).
  void IndexWaitingLocked(PerQueue& q, Slot& j, Clock::TimePoint now);
  void PushReadyLocked(PerQueue& q, const Slot& j, int64_t at);
  void MakeWaitingLocked(Slot& j, Clock::TimePoint run_at, Clock::TimePoint now);
  // Takes a job out of its waiting index (Cancel): `delayed` or its lane (a FIFO entry goes stale).
  void UnindexWaitingLocked(PerQueue& q, const Slot& j);
  // The slot of a live lane entry, else null (the entry is stale).
  Slot* ReadySlot(const ReadyEntry& e);
  // The highest-priority lane with a live entry (its FIFO front live), or null; erases drained lanes.
  // `*front` is the FIFO front's slot (null when the FIFO is empty).
  Lane* TopLaneLocked(PerQueue& q, Slot** front);
  void PushLeaseLocked(PerQueue& q, Slot& j);
  // Takes the lease of `j` (leaving ACTIVE) out of the index (a FIFO entry goes stale).
  void DropLeaseLocked(PerQueue& q, const Slot& j);
  bool LeaseLive(const LeaseEntry& e);
  // Pops the stale entries at the lease FIFO's front.
  void PopStaleLeasesLocked(PerQueue& q);
  void PopMarkedLeasesLocked(PerQueue& q);  // the front entries marked stale (token 0), reading no slot
  // The earliest live lease (expiry µs, id), popping stale FIFO fronts; false when none.
  bool EarliestLeaseLocked(PerQueue& q, Key* out);
  // ClaimLocked returns the slot it claimed (the caller copies it out), or null when none is due.
  Slot* ClaimLocked(PerQueue& q, const bus::QueueSettings& s, const SharedText& owner, int64_t token,
                    Clock::TimePoint now);
  // TransitionLocked sets `changed` when waiters must be notified (Notify once per call or batch).
  absl::Status TransitionLocked(const bus::Job& claimed, const Transition& t, bool& changed);
  // Records the attempt of `j` (still ACTIVE, its run_at that of the attempt) ending at `now`.
  void RecordFinishLocked(PerQueue& q, const Slot& j, Clock::TimePoint now, bool failed);
  // The worker id's text: the last claim's when it is the same worker (one text per worker run).
  const SharedText& OwnerLocked(std::string_view worker_id);
  template <typename Fn>
  void ForEachJobLocked(Fn fn);
  void Notify();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Changed under mu_ (a waiter's predicate reads it there); read without it by WakeCounter.
  std::atomic<uint64_t> wakes_{0};
  int waiters_ = 0;      // guarded by mu_: threads in WaitForWork (notified only when there are some)
  int64_t next_id_ = 1;  // guarded by mu_
  // Job slots by chunk number ((id - 1) / kChunkSlots); a chunk is freed once every id in it was
  // assigned and its jobs were cleaned (a deferred enqueue that commits later makes it again).
  absl::flat_hash_map<int64_t, std::unique_ptr<Chunk>> chunks_;
  int64_t last_chunk_no_ = -1;  // a one-entry cache over chunks_ (consecutive ids share a chunk)
  Chunk* last_chunk_ = nullptr;
  SharedText last_owner_;                                             // OwnerLocked's
  std::vector<PerQueue> queues_;                                      // by index in options().queues
  // Repeatable definitions by (queue, key), with their schedule text.
  std::map<std::pair<std::string, std::string>, std::pair<bus::Repeatable, std::string>> repeatables_;
};

}  // namespace daira::inline v0::backends
