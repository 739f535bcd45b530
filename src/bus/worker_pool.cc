#include "daira/bus/worker_pool.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::bus {

struct WorkerPool::Impl {
  Queue* queue;
  WorkerPoolOptions options;
  // The claims of one handled queue's threads, shared (see Take): one NextBatch for all of them, handed
  // out in chunks from here, on a bus whose claims serialize anyway (memory: one lock; SQLite: one writer).
  struct Feed {
    std::mutex mu;
    std::condition_variable cv;
    // The last claim (null once handed out); (*claim)[next...] are not handed out yet. Threads run their
    // chunk of it in place, so a claim lives until its last chunk's thread is done with it.
    std::shared_ptr<std::vector<Job>> claim;
    size_t next = 0;
    size_t chunk = 1;       // what a thread takes at once from this claim
    bool claiming = false;  // a thread is in NextBatch for all
    int waiting = 0;        // threads waiting for the claim
    double handler_us = 0;  // the last measured handler time a thread brought (0: none yet)
    Clock::TimePoint next_clean{};
  };
  struct Entry {
    std::string queue;
    Handler handler;
    int concurrency;
    std::unique_ptr<Feed> feed;  // null: each thread claims its own batch
  };
  std::vector<Entry> entries;
  std::vector<std::thread> threads;
  bool started = false;
  bool shut_down = false;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> processed{0}, failed{0}, released{0};

  std::mutex mu;
  std::condition_variable cv;
  int running_threads = 0;              // guarded by mu
  // The job each thread's handler is running, one slot per thread (its own cache line); the job lives in
  // that thread's claim until the thread moves its slot on, so Shutdown may release it meanwhile. Lock-free
  // (session 17): a thread moves its slot from one job to the next with one compare-and-swap; Shutdown
  // marks a slot Busy while it releases the slot's job (the thread's next move waits for it) and leaves
  // GivenBack when the release succeeded.
  using ClaimPtr = std::shared_ptr<std::vector<Job>>;
  struct alignas(64) Slot {
    std::atomic<const Job*> job{nullptr};  // null: none
    char busy_mark = 0, given_back_mark = 0;  // their addresses are the two marks (never a job's)
    const Job* Busy() const { return reinterpret_cast<const Job*>(&busy_mark); }
    const Job* GivenBack() const { return reinterpret_cast<const Job*>(&given_back_mark); }
    // The thread's finished jobs not taken by the acker yet (batched acks), and the claims they point
    // into. Its own mutex: only the acker, when it takes them, ever contends for it.
    // acks[0, acked) wait; the elements past them are kept constructed for reuse (no per-job construction).
    std::mutex ack_mu;
    std::vector<Queue::JobOutcome> acks;
    size_t acked = 0;
    std::vector<ClaimPtr> claims;
  };
  // Sets the reused element `to` to `from`, moving its text (no string built for an empty one).
  static void MoveOutcome(Queue::JobOutcome& to, Queue::JobOutcome& from) {
    to.job = from.job;
    to.failed = from.failed;
    if (!from.text.empty()) {
      to.text = std::move(from.text);
      from.text.clear();
    } else if (!to.text.empty()) {
      to.text.clear();
    }
  }
  std::unique_ptr<Slot[]> slots;
  size_t slot_count = 0;
  std::atomic<int> in_flight_count{0};  // non-null slots (Shutdown waits on cv, under mu, for 0)

  // Batched acks (options.ack_flush > 0). A thread puts its finished jobs' outcomes in its slot's buffer
  // (session 17: under the slot's own mutex, uncontended but for the acker; no job moved or copied), and
  // the acker takes every slot's buffer when it stores: once the oldest waiting ack has waited
  // `ack_flush`, at once when a thread ran out of prefetched jobs (Nudge) or `ack_batch` wait. The
  // outcomes point into the claims the jobs were run in: the acker holds those claims until it has stored
  // the acks.
  std::mutex ack_mu;
  std::condition_variable ack_cv;
  bool ack_pending = false;  // a slot's buffer went from empty to not; guarded by ack_mu
  std::chrono::steady_clock::time_point ack_since{};  // when ack_pending was set; guarded by ack_mu
  bool acker_idle = false;   // the acker waits for ack_pending (untimed): notify it; guarded by ack_mu
  bool ack_stop = false;     // guarded by ack_mu
  bool ack_now = false;      // a thread ran out of prefetched jobs: flush without waiting; guarded by ack_mu
  std::atomic<size_t> ack_count{0};  // outcomes in the slots' buffers (about: reset when taken)
  std::thread acker;
  // Memory and SQLite shared claims (set by Start): the claimer nudges the acker only when its claim
  // finds the queue drained (Take).
  bool nudge_when_drained = false;
  // The acker's own, kept from flush to flush: every slot's outcomes for one FinishMany, and their claims.
  std::vector<Queue::JobOutcome> merged;
  std::vector<ClaimPtr> holds;

  void Counted(const absl::Status& done, bool failed_attempt, const Job& job, std::string_view worker_id) {
    if (done.ok()) {
      (failed_attempt ? failed : processed).fetch_add(1);
    } else {
      LogAckError(done, job, worker_id);
    }
  }
  static void LogAckError(const absl::Status& done, const Job& job, std::string_view worker_id) {
    RequestContext ctx({.correlation_id = job.correlation_id.str(), .caller = "worker:" + job.queue.str()});
    Log(LogLevel::kWarning, ctx, "bus",
        "worker " + std::string(worker_id) + ": job " + std::to_string(job.id) + ": " + std::string(done.message()));
  }

  // Stores one batch of acks: one FinishMany (one transaction / script for every thread's jobs), counted
  // once per batch. When the batch as a whole is refused (a result that is not JSON, a store error), each
  // job is acked alone so one bad ack cannot hold back the others.
  void Flush(const std::vector<Queue::JobOutcome>& outcomes) {
    RequestContext ctx({.correlation_id = "", .caller = "worker-pool:ack"});
    absl::StatusOr<std::vector<absl::Status>> done = queue->FinishMany(ctx, outcomes);
    if (done.ok()) {
      int64_t completed = 0, failed_attempts = 0;
      for (size_t i = 0; i < outcomes.size(); ++i) {
        const Queue::JobOutcome& o = outcomes[i];
        if ((*done)[i].ok()) {
          ++(o.failed ? failed_attempts : completed);
        } else {
          LogAckError((*done)[i], *o.job, o.job->lease_owner);
        }
      }
      if (completed > 0) processed.fetch_add(completed);
      if (failed_attempts > 0) failed.fetch_add(failed_attempts);
      return;
    }
    for (const Queue::JobOutcome& o : outcomes) {
      const Job& job = *o.job;
      RequestContext jctx({.correlation_id = job.correlation_id.str(), .caller = "worker:" + job.queue.str()});
      Counted(o.failed ? queue->Fail(jctx, job, o.text) : queue->Complete(jctx, job, o.text), o.failed, job,
              job.lease_owner);
    }
  }

  // The acker's store: every slot's waiting outcomes in one FinishMany.
  void Drain() {
    ack_count.store(0, std::memory_order_relaxed);
    size_t n = 0;  // merged[0, n): every slot's outcomes (the elements are reused from flush to flush)
    for (size_t i = 0; i < slot_count; ++i) {
      Slot& slot = slots[i];
      std::lock_guard<std::mutex> slot_lock(slot.ack_mu);
      if (merged.size() < n + slot.acked) merged.resize(n + slot.acked);
      for (size_t k = 0; k < slot.acked; ++k) {
        MoveOutcome(merged[n++], slot.acks[k]);
      }
      slot.acked = 0;
      for (ClaimPtr& c : slot.claims) holds.push_back(std::move(c));
      slot.claims.clear();
    }
    if (merged.size() > n) merged.resize(n);  // (FinishMany takes the whole vector)
    if (n > 0) Flush(merged);
    holds.clear();  // (a claim whose jobs were all acked is freed here)
  }

  [[gnu::noinline]] void AckLoop() {  // (a symbol of its own: profiles toggle on it)
    std::unique_lock<std::mutex> lock(ack_mu);
    while (true) {
      acker_idle = !ack_pending;
      ack_cv.wait(lock, [&] { return ack_stop || ack_pending; });
      acker_idle = false;
      if (!ack_pending) break;  // stopping, nothing left
      // Gather until the oldest waiting ack has waited ack_flush (or ack_batch wait, or a thread nudged):
      // one store round trip for all of them.
      while (!ack_stop && !ack_now && ack_pending &&
             ack_count.load(std::memory_order_relaxed) < static_cast<size_t>(options.ack_batch)) {
        const auto due = ack_since + options.ack_flush;
        if (std::chrono::steady_clock::now() >= due) break;
        ack_cv.wait_until(lock, due);
      }
      ack_now = false;
      ack_pending = false;  // (a thread that adds to a buffer taken below sets it again)
      lock.unlock();
      Drain();
      lock.lock();
    }
  }


  // A thread's finished job: its outcome goes to the thread's slot buffer (the acker takes it from there).
  void Ack(Slot& slot, const Job& job, absl::StatusOr<std::string>&& result, const ClaimPtr& claim) {
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(slot.ack_mu);
      first = slot.acked == 0;
      if (slot.acked == slot.acks.size()) slot.acks.emplace_back();
      Queue::JobOutcome& o = slot.acks[slot.acked++];
      o.job = &job;
      o.failed = !result.ok();
      if (o.failed) {
        o.text = result.status().ToString();
      } else if (!result->empty()) {
        o.text = *std::move(result);  // (the result text only when the handler set one)
      } else if (!o.text.empty()) {
        o.text.clear();
      }
      if (slot.claims.empty() || slot.claims.back() != claim) slot.claims.push_back(claim);
    }
    const bool full = ack_count.fetch_add(1, std::memory_order_relaxed) + 1 == static_cast<size_t>(options.ack_batch);
    if (first || full) {
      bool wake = full;
      {
        std::lock_guard<std::mutex> lock(ack_mu);
        if (!ack_pending) {
          ack_pending = true;
          ack_since = std::chrono::steady_clock::now();
          // (An acker in its timed wait looks again by itself: waking it per thread's first ack was a
          // futex wake it slept through.)
          wake = wake || acker_idle;
        }
      }
      if (wake) ack_cv.notify_all();
    }
  }

  // A thread finished its prefetched batch: its acks need not wait for more (the acker gathers what the
  // other threads finished meanwhile and stores them together).
  void Nudge() {
    std::lock_guard<std::mutex> lock(ack_mu);
    if (!ack_pending) return;
    ack_now = true;
    ack_cv.notify_all();
  }

  // The handler's verdict on `job`; a throw is an error (no status is built for a job that returns).
  static absl::StatusOr<std::string> Call(const Handler& handler, const RequestContext& ctx, const Job& job) {
    try {
      return handler(ctx, job);
    } catch (const std::exception& ex) {
      return absl::InternalError(std::string("handler threw: ") + ex.what());
    } catch (...) {
      return absl::InternalError("handler threw");
    }
  }

  void Clean(const Entry& e, const RequestContext& admin, const std::string& worker_id) {
    auto cleaned = queue->Clean(admin, e.queue);
    if (!cleaned.ok()) {
      Log(LogLevel::kWarning, admin, "bus",
          "worker " + worker_id + ": clean: " + std::string(cleaned.status().message()));
    }
  }

  // This thread's chunk of the feed's claim: (*mine)[begin, end). Under f.mu.
  static void TakeChunk(Feed& f, std::shared_ptr<std::vector<Job>>& mine, size_t& begin, size_t& end) {
    mine = f.claim;
    begin = f.next;
    end = std::min(f.next + f.chunk, f.claim->size());
    f.next = end;
    if (f.next == f.claim->size()) f.claim.reset();
  }

  // How many threads share a claim of `n` jobs (session 18): as many as its measured work fills with at
  // least kSpreadUs each (and at most half a lease: a chunk must start within it), so jobs that take
  // microseconds run on the claimer alone instead of waking threads that would find a few microseconds of
  // work and sleep again; before any handler time is known, all of them.
  static constexpr double kSpreadUs = 200;
  static size_t SpreadOver(size_t n, double handler_us, std::chrono::microseconds lease, int concurrency) {
    const size_t all = static_cast<size_t>(concurrency);
    if (handler_us <= 0) return all;
    const double per_thread = std::min(kSpreadUs, static_cast<double>(lease.count()) / 2.0);
    const double threads = std::ceil(static_cast<double>(n) * handler_us / std::max(per_thread, 1.0));
    return std::clamp<size_t>(static_cast<size_t>(threads), 1, all);
  }

  // Shared claims: a thread out of jobs takes a chunk of the pool's last claim; when none is left, one
  // thread claims for all (`want` jobs per thread, so up to want × concurrency in one NextBatch: one
  // commit on SQLite where each thread's own claim made one each) while the others wait for its result,
  // then takes its chunk — the claim divided over as many threads as its measured work fills
  // (SpreadOver) — and wakes as many waiting threads as chunks are left, plus one to claim next (so
  // another claim is always under way while handlers run: one slow handler never stops the queue). The
  // claimer also runs the queue's retention when due (one thread per queue, as before); on memory and
  // SQLite it nudges the acker only when its claim finds the queue drained. `begin == end` after a
  // claim that found nothing within `wait`, or when stopping. `handler_us`: the caller's measured
  // handler time (0: none yet).
  absl::Status Take(const Entry& e, Worker& worker, const RequestContext& admin, const std::string& worker_id,
                    int want, double handler_us, std::chrono::microseconds lease,
                    std::shared_ptr<std::vector<Job>>& mine, size_t& begin, size_t& end) {
    Feed& f = *e.feed;
    std::unique_lock<std::mutex> lock(f.mu);
    if (handler_us > 0) f.handler_us = handler_us;
    while (true) {
      if (stopping.load()) return absl::OkStatus();
      if (f.claim != nullptr) {
        TakeChunk(f, mine, begin, end);
        return absl::OkStatus();
      }
      if (!f.claiming) break;
      ++f.waiting;
      f.cv.wait(lock, [&] { return stopping.load() || f.claim != nullptr || !f.claiming; });
      --f.waiting;
    }
    f.claiming = true;
    const Clock* clock = queue->options().clock != nullptr ? queue->options().clock : Clock::System();
    bool clean = false;
    if (options.clean_interval.count() > 0 && clock->Now() >= f.next_clean) {
      f.next_clean = clock->Now() + options.clean_interval;
      clean = true;
    }
    lock.unlock();
    if (clean) Clean(e, admin, worker_id);
    const int total = static_cast<int>(std::min<int64_t>(1000, int64_t{want} * e.concurrency));
    absl::StatusOr<std::vector<Job>> got;
    if (nudge_when_drained) {
      // Memory and SQLite (session 18): the acker keeps gathering while jobs keep coming (it stores what
      // waited ack_flush, or ack_batch at once), instead of being nudged per claim to race this claim for
      // the same lock / writer — one store per claim and a wait for the writer each time. Nudged only
      // when the queue is drained: the acks do not wait for the next job.
      got = worker.NextBatch(admin, total, std::chrono::milliseconds(0));
      if (got.ok() && got->empty()) {
        Nudge();
        got = worker.NextBatch(admin, total, options.wait);
      }
    } else {
      Nudge();  // the acks of the last claim's jobs go now, not after this claim's wait
      got = worker.NextBatch(admin, total, options.wait);
    }
    lock.lock();
    f.claiming = false;
    if (!got.ok()) {
      lock.unlock();
      f.cv.notify_all();  // the others try (and see a closed queue) themselves
      return got.status();
    }
    if (got->empty()) return absl::OkStatus();  // this thread claims again (the others still wait)
    const size_t n = got->size();
    f.claim = std::make_shared<std::vector<Job>>(*std::move(got));
    f.next = 0;
    const size_t threads = SpreadOver(n, f.handler_us, lease, e.concurrency);
    f.chunk = (n + threads - 1) / threads;
    TakeChunk(f, mine, begin, end);
    const size_t chunks_left = (n - end + f.chunk - 1) / f.chunk;
    const size_t wake = std::min(static_cast<size_t>(f.waiting), chunks_left + 1);
    lock.unlock();
    for (size_t i = 0; i < wake; ++i) f.cv.notify_one();
    return absl::OkStatus();
  }

  void WakeFeeds() {
    for (Entry& e : entries) {
      if (e.feed == nullptr) continue;
      { std::lock_guard<std::mutex> lock(e.feed->mu); }
      e.feed->cv.notify_all();
    }
  }

  // Moves a thread's slot from `current` (the job it ran or published; null: none) to `next` (null: none)
  // and returns whether Shutdown released `current` meanwhile. One compare-and-swap unless Shutdown is at
  // the slot. When stopping, wakes Shutdown, which waits for in_flight_count to drop.
  bool MoveSlot(Slot& slot, const Job* current, const Job* next) {
    if (current == nullptr && next != nullptr) in_flight_count.fetch_add(1);  // (counted before it shows)
    bool given_back = false;
    const Job* seen = current;
    while (!slot.job.compare_exchange_weak(seen, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
      while (seen == slot.Busy()) {  // Shutdown is releasing `current`: wait for its verdict
        slot.job.wait(seen, std::memory_order_acquire);
        seen = slot.job.load(std::memory_order_acquire);
      }
      if (seen == slot.GivenBack()) given_back = true;
      // (Otherwise `seen` is `current` again: Shutdown's release failed, or the swap failed spuriously.)
    }
    if (current != nullptr && next == nullptr) in_flight_count.fetch_sub(1);
    if (stopping.load()) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    }
    return given_back;
  }

  // Shutdown's side: releases the job in `slot`, if any (its thread, moving on, learns it was given back).
  void ReleaseSlot(Slot& slot, const RequestContext& ctx) {
    const Job* job = slot.job.load(std::memory_order_acquire);
    if (job == nullptr || job == slot.Busy() || job == slot.GivenBack()) return;
    // Busy: the thread cannot move its slot (nor free the job's claim) until this is done.
    if (!slot.job.compare_exchange_strong(job, slot.Busy(), std::memory_order_acq_rel)) return;  // moved on
    const bool given_back = queue->Release(ctx, *job).ok();
    if (given_back) released.fetch_add(1);
    slot.job.store(given_back ? slot.GivenBack() : job, std::memory_order_release);
    slot.job.notify_all();
  }

  void Run(const Entry& e, const std::string& worker_id, bool cleaner, size_t slot) {
    Worker worker(*queue, e.queue, worker_id);
    const std::string caller = "worker:" + e.queue;
    RequestContext admin({.correlation_id = "", .caller = caller});
    const Clock* clock = queue->options().clock != nullptr ? queue->options().clock : Clock::System();
    const std::chrono::microseconds lease =
        std::chrono::duration_cast<std::chrono::microseconds>(queue->Settings(e.queue)->timeout);
    // Elapsed time (handler timing) in µs: on the system clock the reading the
    // lease check takes anyway (one clock reading per job); another clock (a test's) is not real time.
    const bool system_clock = clock == Clock::System();
    auto elapsed_us = [&](Clock::TimePoint now) {
      return system_clock ? ToUnixMicros(now)
                          : std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count();
    };
    Clock::TimePoint next_clean{};
    // Claimed, not started yet: (*claim)[next_job, end_job) — this thread's own claim, or its chunk of a
    // shared claim. Jobs run in place, never moved job by job; their acks point there too.
    ClaimPtr claim;
    size_t next_job = 0, end_job = 0;
    double handler_us = 0;                // moving average of this thread's handler time
    const Job* published = nullptr;       // (*claim)[next_job], in this thread's slot already
    int64_t last_end_us = 0;              // when the last handler returned
    std::optional<RequestContext> job_ctx;  // the last job's (see below)
    auto release = [&](const Job& job) {
      if (worker.Release(admin, job).ok()) released.fetch_add(1);
    };
    while (!stopping.load()) {
      if (cleaner && e.feed == nullptr && options.clean_interval.count() > 0 && clock->Now() >= next_clean) {
        next_clean = clock->Now() + options.clean_interval;
        Clean(e, admin, worker_id);
      }
      if (next_job == end_job) {
        // The batch's acks go now. (Shared claims: the claimer nudges before its next claim instead, so the
        // acks of a whole claim tend to go in one FinishMany.)
        if (e.feed == nullptr && options.ack_flush.count() > 0) Nudge();
        if (options.prefetch > 1 || claim.use_count() != 1) claim.reset();  // (one claimed job's is reused)
        next_job = end_job = 0;
        absl::Status claimed;
        if (options.prefetch <= 1) {
          auto next = worker.Next(admin, options.wait);
          claimed = next.status();
          if (next.ok() && next->has_value()) {
            if (claim == nullptr) claim = std::make_shared<std::vector<Job>>();
            claim->clear();
            claim->push_back(std::move(**next));
            end_job = 1;
          }
        } else {
          // No more than this thread can start within half a lease at its measured pace.
          int want = options.prefetch;
          if (handler_us > 0) {
            const double fit = static_cast<double>(lease.count()) / 2.0 / handler_us;
            want = static_cast<int>(std::clamp(fit, 1.0, static_cast<double>(options.prefetch)));
          }
          if (e.feed != nullptr) {
            claimed = Take(e, worker, admin, worker_id, want, handler_us, lease, claim, next_job, end_job);
          } else {
            auto next = worker.NextBatch(admin, want, options.wait);
            claimed = next.status();
            if (next.ok() && !next->empty()) {
              end_job = next->size();
              claim = std::make_shared<std::vector<Job>>(*std::move(next));
            }
          }
        }
        if (!claimed.ok()) {
          if (queue->closed()) break;
          Log(LogLevel::kWarning, admin, "bus",
              "worker " + worker_id + ": next: " + std::string(claimed.message()));
          std::unique_lock<std::mutex> lock(mu);
          cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping.load(); });
          continue;
        }
        if (next_job == end_job) continue;
      }
      if (stopping.load()) break;  // claimed while shutting down: given back unrun below
      const Job& job = (*claim)[next_job++];
      Slot& mine = slots[slot];
      if (published == nullptr) {
        const Clock::TimePoint now = clock->Now();
        if (job.lease_expires_at - now < lease / 2) {
          // Its turn came too late: too little lease left to run it safely. Another worker takes it.
          release(job);
          continue;
        }
        last_end_us = elapsed_us(now);  // the handler is timed from here
        MoveSlot(mine, nullptr, &job);  // (nothing in the slot for Shutdown to release)
      }
      // The handler's context carries the job's correlation id; consecutive jobs with the same one (the
      // jobs one request enqueued) run with the same context instead of one built per job.
      if (!job_ctx.has_value() || job_ctx->correlation_id() != job.correlation_id.view()) {
        job_ctx.emplace(RequestContextOptions{.correlation_id = job.correlation_id.str(), .caller = caller});
      }
      const RequestContext& ctx = *job_ctx;
      absl::StatusOr<std::string> result = Call(e.handler, ctx, job);
      // One clock reading per job: it times this handler (from the previous one's end, or from the
      // publication above) and checks the next job's lease.
      const Clock::TimePoint now = clock->Now();
      const int64_t end_us = elapsed_us(now);
      const double took = static_cast<double>(std::max<int64_t>(0, end_us - last_end_us));
      last_end_us = end_us;
      handler_us = handler_us == 0 ? took : 0.8 * handler_us + 0.2 * took;
      // The slot goes from this job to the next prefetched one in one step when that one may start (not
      // stopping, lease long enough).
      const Job* next = nullptr;
      if (next_job < end_job && !stopping.load()) {
        const Job& n = (*claim)[next_job];
        if (n.lease_expires_at - now >= lease / 2) next = &n;
      }
      const bool was_released = MoveSlot(mine, &job, next);
      published = next;
      if (was_released) continue;  // given back at shutdown: its completion would be refused anyway
      if (options.ack_flush.count() > 0) {
        Ack(mine, job, std::move(result), claim);
        continue;
      }
      absl::Status acked = result.ok() ? worker.Complete(ctx, job, *result)
                                       : worker.Fail(ctx, job, result.status().ToString());
      Counted(acked, !result.ok(), job, worker_id);
    }
    if (published != nullptr) {
      // Stopped with the next job in the slot (not started): clear it; Shutdown may have released it.
      if (MoveSlot(slots[slot], published, nullptr)) ++next_job;
    }
    if (options.ack_flush.count() > 0) Nudge();
    for (; next_job < end_job; ++next_job) release((*claim)[next_job]);  // never started
    if (e.feed != nullptr) {
      // The shared claim's jobs no thread took (the last thread to leave finds what a claim returned
      // after the others left).
      ClaimPtr left;
      size_t from = 0;
      {
        std::lock_guard<std::mutex> lock(e.feed->mu);
        left = std::move(e.feed->claim);
        from = e.feed->next;
      }
      for (size_t i = from; left != nullptr && i < left->size(); ++i) release((*left)[i]);
    }
    std::lock_guard<std::mutex> lock(mu);
    --running_threads;
    cv.notify_all();
  }
};

WorkerPool::WorkerPool(Queue& queue, WorkerPoolOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->queue = &queue;
  impl_->options = std::move(options);
}

WorkerPool::~WorkerPool() { Shutdown(std::chrono::milliseconds(0)); }

absl::Status WorkerPool::Handle(std::string_view queue, Handler handler, int concurrency) {
  const QueueSettings* s = impl_->queue->Settings(queue);
  if (s == nullptr) {
    return InvalidField("bus: worker pool: handle", "queue",
                        "is not a configured queue (got '" + std::string(queue) + "')");
  }
  if (concurrency < 0) return InvalidField("bus: worker pool: handle", "concurrency", "must not be negative");
  if (impl_->started) return absl::FailedPreconditionError("bus: worker pool: handle: already started");
  for (const auto& e : impl_->entries) {
    if (e.queue == queue) {
      return absl::FailedPreconditionError("bus: worker pool: handle: queue '" + std::string(queue) +
                                           "' already has a handler");
    }
  }
  impl_->entries.push_back(
      {std::string(queue), std::move(handler), concurrency > 0 ? concurrency : s->concurrency, nullptr});
  return absl::OkStatus();
}

absl::Status WorkerPool::Start() {
  constexpr std::string_view kOp = "bus: worker pool: start";
  if (impl_->started) return absl::FailedPreconditionError("bus: worker pool: start: already started");
  const WorkerPoolOptions& o = impl_->options;
  if (o.prefetch < 1 || o.prefetch > 1000) {
    return InvalidField(kOp, "prefetch", "must be in [1, 1000] (got " + std::to_string(o.prefetch) + ")");
  }
  if (o.ack_batch < 1 || o.ack_batch > 10000) {
    return InvalidField(kOp, "ack_batch", "must be in [1, 10000] (got " + std::to_string(o.ack_batch) + ")");
  }
  if (o.ack_flush.count() < 0) {
    return InvalidField(kOp, "ack_flush",
                        "must not be negative (got " + std::to_string(o.ack_flush.count()) + " ms)");
  }
  impl_->started = true;
  {
    size_t threads = 0;
    for (const auto& e : impl_->entries) threads += static_cast<size_t>(e.concurrency);
    impl_->slots = std::make_unique<Impl::Slot[]>(threads);
    impl_->slot_count = threads;
  }
  // Shared claims where a bus's claims serialize anyway (memory: one lock; SQLite: one writer), so one
  // claimer costs no parallelism and saves the commits of the others', and on Redis (session 17), where
  // one claim of prefetch x concurrency is one round trip where each thread's claim was one (docs/bus.md,
  // Workers). Postgres claims run in parallel over several connections.
  const std::string_view bus = impl_->queue->Name();
  if (o.prefetch > 1 && (bus == "sqlite" || bus == "memory" || bus == "redis")) {
    for (auto& e : impl_->entries) e.feed = std::make_unique<Impl::Feed>();
    // Where acks and claims take the same lock (memory) or writer (SQLite), the claimer does not nudge the
    // acker per claim (Take). Redis: the acker's script and the claim run at once over two connections.
    impl_->nudge_when_drained = bus != "redis";
  }
  if (o.ack_flush.count() > 0) impl_->acker = std::thread([this] { impl_->AckLoop(); });
  const std::string prefix =
      impl_->options.worker_id_prefix.empty() ? DefaultWorkerId("") : impl_->options.worker_id_prefix + ":";
  for (const auto& e : impl_->entries) {
    for (int i = 0; i < e.concurrency; ++i) {
      {
        std::lock_guard<std::mutex> lock(impl_->mu);
        ++impl_->running_threads;
      }
      std::string id = prefix + e.queue + ":" + std::to_string(i);
      const size_t slot = impl_->threads.size();
      impl_->threads.emplace_back([this, &e, id, i, slot] { impl_->Run(e, id, /*cleaner=*/i == 0, slot); });
    }
  }
  return absl::OkStatus();
}

void WorkerPool::Shutdown(std::chrono::milliseconds deadline) {
  if (!impl_->started || impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->stopping.store(true);
  const auto until = std::chrono::steady_clock::now() + deadline;
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    // Interrupt blocked Next calls (again and again: a thread may enter Next just after one).
    while (std::chrono::steady_clock::now() < until && impl_->running_threads > 0 &&
           impl_->running_threads > impl_->in_flight_count) {
      lock.unlock();
      impl_->queue->InterruptWaiters();
      impl_->WakeFeeds();
      lock.lock();
      impl_->cv.wait_for(lock, std::chrono::milliseconds(20));
    }
    impl_->cv.wait_until(lock, until, [&] { return impl_->in_flight_count.load() == 0; });
    // Still running at the deadline: give the jobs back so another worker may take them now.
    RequestContext ctx({.correlation_id = "", .caller = "worker-pool:shutdown"});
    for (size_t i = 0; i < impl_->slot_count; ++i) impl_->ReleaseSlot(impl_->slots[i], ctx);
  }
  while (true) {
    impl_->queue->InterruptWaiters();
    impl_->WakeFeeds();
    std::unique_lock<std::mutex> lock(impl_->mu);
    if (impl_->cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return impl_->running_threads == 0; })) break;
  }
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // The acks the threads left: stored before Shutdown returns.
  if (impl_->acker.joinable()) {
    {
      std::lock_guard<std::mutex> lock(impl_->ack_mu);
      impl_->ack_stop = true;
    }
    impl_->ack_cv.notify_all();
    impl_->acker.join();
  }
}

int64_t WorkerPool::processed() const { return impl_->processed.load(); }
int64_t WorkerPool::failed() const { return impl_->failed.load(); }
int64_t WorkerPool::released() const { return impl_->released.load(); }

}  // namespace daira::inline v0::bus
