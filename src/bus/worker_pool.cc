#include "daira/bus/worker_pool.h"

#include <algorithm>
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
  // The job each thread's handler is running, one slot per thread; the job lives in that thread's Run
  // until it clears its slot under the slot's mutex, so Shutdown may release it meanwhile. A mutex per
  // slot (its own cache line): a thread publishes each job without contending with the others.
  struct alignas(64) Slot {
    std::mutex mu;
    const Job* job = nullptr;  // null: none
    bool given_back = false;   // released by Shutdown while its handler ran
  };
  std::unique_ptr<Slot[]> slots;
  size_t slot_count = 0;
  std::atomic<int> in_flight_count{0};  // non-null slots (Shutdown waits on cv, under mu, for 0)

  // Batched acks (options.ack_flush > 0): finished jobs wait here for the acker thread.
  struct Pending {
    Job job;
    bool failed;
    std::string text;  // (the worker is job.lease_owner)
  };
  std::mutex ack_mu;
  std::condition_variable ack_cv;
  std::vector<Pending> acks;  // guarded by ack_mu
  bool ack_stop = false;      // guarded by ack_mu
  bool ack_now = false;       // a thread ran out of prefetched jobs: flush without waiting; guarded by ack_mu
  std::thread acker;

  void Counted(const absl::Status& done, bool failed_attempt, const Job& job, std::string_view worker_id) {
    if (done.ok()) {
      (failed_attempt ? failed : processed).fetch_add(1);
    } else {
      RequestContext ctx({.correlation_id = job.correlation_id.str(), .caller = "worker:" + job.queue.str()});
      Log(LogLevel::kWarning, ctx, "bus",
          "worker " + std::string(worker_id) + ": job " + std::to_string(job.id) + ": " +
              std::string(done.message()));
    }
  }

  std::vector<Queue::JobOutcome> outcomes;  // the acker's, reused from flush to flush

  // Stores one batch of acks: one FinishMany (one transaction / script for every thread's jobs). When the
  // batch as a whole is refused (a result that is not JSON, a store error), each job is acked alone so
  // one bad ack cannot hold back the others.
  void Flush(std::vector<Pending>& batch) {
    RequestContext ctx({.correlation_id = "", .caller = "worker-pool:ack"});
    outcomes.clear();
    for (Pending& p : batch) outcomes.push_back({.job = &p.job, .failed = p.failed, .text = std::move(p.text)});
    absl::StatusOr<std::vector<absl::Status>> done = queue->FinishMany(ctx, outcomes);
    if (done.ok()) {
      for (size_t i = 0; i < batch.size(); ++i)
        Counted((*done)[i], batch[i].failed, batch[i].job, batch[i].job.lease_owner);
      return;
    }
    for (const Queue::JobOutcome& o : outcomes) {  // (the texts were moved here)
      const Job& job = *o.job;
      RequestContext jctx({.correlation_id = job.correlation_id.str(), .caller = "worker:" + job.queue.str()});
      Counted(o.failed ? queue->Fail(jctx, job, o.text) : queue->Complete(jctx, job, o.text), o.failed, job,
              job.lease_owner);
    }
  }

  void AckLoop() {
    std::unique_lock<std::mutex> lock(ack_mu);
    // The two buffers that take turns (acks fill one while the other is flushed), sized for a full batch.
    acks.reserve(static_cast<size_t>(options.ack_batch));
    batch.reserve(static_cast<size_t>(options.ack_batch));
    while (true) {
      ack_cv.wait(lock, [&] { return ack_stop || !acks.empty(); });
      if (acks.empty()) break;  // stopping, nothing left
      // Gather for up to ack_flush (or until ack_batch wait): one store round trip for all of them.
      if (!ack_stop) {
        ack_cv.wait_for(lock, options.ack_flush, [&] {
          return ack_stop || ack_now || static_cast<int>(acks.size()) >= options.ack_batch;
        });
      }
      ack_now = false;
      batch.swap(acks);
      lock.unlock();
      Flush(batch);
      batch.clear();  // keeps its capacity: the next swap hands it back to `acks`
      lock.lock();
    }
  }
  std::vector<Pending> batch;  // the acker's own

  // The job and its result (or error) moved once, in place.
  void Ack(Job&& job, absl::StatusOr<std::string>&& result) {
    std::lock_guard<std::mutex> lock(ack_mu);
    if (result.ok()) {
      acks.emplace_back(std::move(job), false, *std::move(result));
    } else {
      acks.emplace_back(std::move(job), true, result.status().ToString());
    }
    if (acks.size() == 1 || static_cast<int>(acks.size()) >= options.ack_batch) ack_cv.notify_all();
  }

  // A thread finished its prefetched batch: its acks need not wait for more (the acker gathers what the
  // other threads finished meanwhile and stores them together).
  void Nudge() {
    std::lock_guard<std::mutex> lock(ack_mu);
    if (acks.empty()) return;
    ack_now = true;
    ack_cv.notify_all();
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

  // Shared claims: a thread out of jobs takes a chunk of the pool's last claim; when none is left, one
  // thread claims for all (`want` jobs per thread, so up to want × concurrency in one NextBatch: one
  // commit on SQLite where each thread's own claim made one each) while the others wait for its result,
  // then takes its chunk and wakes as many waiting threads as chunks are left, plus one to claim next.
  // The claimer also runs the queue's retention when due (one thread per queue, as before). `begin ==
  // end` after a claim that found nothing within `wait`, or when stopping.
  absl::Status Take(const Entry& e, Worker& worker, const RequestContext& admin, const std::string& worker_id,
                    int want, std::shared_ptr<std::vector<Job>>& mine, size_t& begin, size_t& end) {
    Feed& f = *e.feed;
    std::unique_lock<std::mutex> lock(f.mu);
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
    Nudge();  // the acks of the last claim's jobs go now, not after this claim's wait
    const int total = static_cast<int>(std::min<int64_t>(1000, int64_t{want} * e.concurrency));
    absl::StatusOr<std::vector<Job>> got = worker.NextBatch(admin, total, options.wait);
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
    f.chunk = (n + static_cast<size_t>(e.concurrency) - 1) / static_cast<size_t>(e.concurrency);
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

  // Moves a thread's slot (holding the job it ran or published) to `next` (null: none) and returns
  // whether Shutdown released the job it held meanwhile. When stopping, wakes Shutdown, which waits for
  // in_flight_count to drop.
  bool MoveSlot(Slot& slot, const Job* next) {
    bool given_back = false;
    {
      std::lock_guard<std::mutex> lock(slot.mu);
      slot.job = next;
      given_back = slot.given_back;
      slot.given_back = false;
      if (next == nullptr) in_flight_count.fetch_sub(1);
    }
    if (stopping.load()) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    }
    return given_back;
  }

  void Run(const Entry& e, const std::string& worker_id, bool cleaner, size_t slot) {
    Worker worker(*queue, e.queue, worker_id);
    const std::string caller = "worker:" + e.queue;
    RequestContext admin({.correlation_id = "", .caller = caller});
    const Clock* clock = queue->options().clock != nullptr ? queue->options().clock : Clock::System();
    const std::chrono::microseconds lease =
        std::chrono::duration_cast<std::chrono::microseconds>(queue->Settings(e.queue)->timeout);
    Clock::TimePoint next_clean{};
    // Claimed, not started yet: (*batch)[next_job, end_job) — this thread's own claim (`own`), or its
    // chunk of a shared claim (`shared` holds it). Jobs run in place, never moved job by job.
    std::vector<Job> own;
    std::shared_ptr<std::vector<Job>> shared;
    std::vector<Job>* batch = &own;
    size_t next_job = 0, end_job = 0;
    double handler_us = 0;       // moving average of this thread's handler time
    bool published = false;      // (*batch)[next_job] is in this thread's slot already
    std::chrono::steady_clock::time_point last_end{};  // when the last handler returned
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
        own.clear();
        shared.reset();
        batch = &own;
        next_job = end_job = 0;
        absl::Status claimed;
        if (options.prefetch <= 1) {
          auto next = worker.Next(admin, options.wait);
          claimed = next.status();
          if (next.ok() && next->has_value()) own.push_back(std::move(**next));
          end_job = own.size();
        } else {
          // No more than this thread can start within half a lease at its measured pace.
          int want = options.prefetch;
          if (handler_us > 0) {
            const double fit = static_cast<double>(lease.count()) / 2.0 / handler_us;
            want = static_cast<int>(std::clamp(fit, 1.0, static_cast<double>(options.prefetch)));
          }
          if (e.feed != nullptr) {
            claimed = Take(e, worker, admin, worker_id, want, shared, next_job, end_job);
            if (shared != nullptr) batch = shared.get();
          } else {
            auto next = worker.NextBatch(admin, want, options.wait);
            claimed = next.status();
            if (next.ok()) own = *std::move(next);
            end_job = own.size();
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
      Job& job = (*batch)[next_job++];
      Slot& mine = slots[slot];
      if (!published) {
        if (job.lease_expires_at - clock->Now() < lease / 2) {
          // Its turn came too late: too little lease left to run it safely. Another worker takes it.
          release(job);
          continue;
        }
        std::lock_guard<std::mutex> lock(mine.mu);
        mine.job = &job;
        in_flight_count.fetch_add(1);
      }
      // The handler's context carries the job's correlation id; consecutive jobs with the same one (the
      // jobs one request enqueued) run with the same context instead of one built per job.
      if (!job_ctx.has_value() || job_ctx->correlation_id() != job.correlation_id.view()) {
        job_ctx.emplace(RequestContextOptions{.correlation_id = job.correlation_id.str(), .caller = caller});
      }
      const RequestContext& ctx = *job_ctx;
      absl::StatusOr<std::string> result;  // (no error status built per job: only a throw makes one)
      // (A job published with the previous one's end is timed from that end: one clock reading per job.)
      const auto started = published ? last_end : std::chrono::steady_clock::now();
      try {
        result = e.handler(ctx, job);
      } catch (const std::exception& ex) {
        result = absl::InternalError(std::string("handler threw: ") + ex.what());
      } catch (...) {
        result = absl::InternalError("handler threw");
      }
      last_end = std::chrono::steady_clock::now();
      const double took = std::chrono::duration<double, std::micro>(last_end - started).count();
      handler_us = handler_us == 0 ? took : 0.8 * handler_us + 0.2 * took;
      // The slot goes from this job to the next prefetched one in one step when that one may start (not
      // stopping, lease long enough): one lock per job, not two.
      const Job* next = nullptr;
      if (next_job < end_job && !stopping.load()) {
        const Job& n = (*batch)[next_job];
        if (n.lease_expires_at - clock->Now() >= lease / 2) next = &n;
      }
      const bool was_released = MoveSlot(mine, next);
      published = next != nullptr;
      if (was_released) continue;  // given back at shutdown: its completion would be refused anyway
      if (options.ack_flush.count() > 0) {
        Ack(std::move(job), std::move(result));
        // (Shared claims: the claimer nudges before its next claim instead, so the acks of a whole claim
        // tend to go in one FinishMany.)
        if (next_job == end_job && e.feed == nullptr) Nudge();
        continue;
      }
      absl::Status done = result.ok() ? worker.Complete(ctx, job, *result)
                                      : worker.Fail(ctx, job, result.status().ToString());
      Counted(done, !result.ok(), job, worker_id);
    }
    if (published) {
      // Stopped with the next job in the slot (not started): clear it; Shutdown may have released it.
      if (MoveSlot(slots[slot], nullptr)) ++next_job;
    }
    for (; next_job < end_job; ++next_job) release((*batch)[next_job]);  // never started
    if (e.feed != nullptr) {
      // The shared claim's jobs no thread took (the last thread to leave finds what a claim returned
      // after the others left).
      std::shared_ptr<std::vector<Job>> left;
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
  // claimer costs no parallelism and saves the commits of the others' (docs/bus.md, Workers). Postgres
  // claims run in parallel over several connections and the Redis bus shares its claims itself.
  const std::string_view bus = impl_->queue->Name();
  if (o.prefetch > 1 && (bus == "sqlite" || bus == "memory")) {
    for (auto& e : impl_->entries) e.feed = std::make_unique<Impl::Feed>();
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
    for (size_t i = 0; i < impl_->slot_count; ++i) {
      Impl::Slot& slot = impl_->slots[i];
      std::lock_guard<std::mutex> slot_lock(slot.mu);
      if (slot.job != nullptr && impl_->queue->Release(ctx, *slot.job).ok()) {
        slot.given_back = true;
        impl_->released.fetch_add(1);
      }
    }
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
