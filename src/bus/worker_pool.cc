#include "daira/bus/worker_pool.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::bus {

struct WorkerPool::Impl {
  Queue* queue;
  WorkerPoolOptions options;
  struct Entry {
    std::string queue;
    Handler handler;
    int concurrency;
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
  // The job each thread's handler is running (null: none), indexed by the thread's slot; the job lives
  // in that thread's Run until it clears its slot under mu, so Shutdown may release it meanwhile.
  std::vector<const Job*> in_flight;  // guarded by mu
  int in_flight_count = 0;            // non-null slots; guarded by mu
  std::set<int64_t> given_back;       // released at shutdown; guarded by mu

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

  // Stores one batch of acks: one FinishMany (one transaction / script for every thread's jobs). When the
  // batch as a whole is refused (a result that is not JSON, a store error), each job is acked alone so
  // one bad ack cannot hold back the others.
  void Flush(std::vector<Pending>& batch) {
    RequestContext ctx({.correlation_id = "", .caller = "worker-pool:ack"});
    std::vector<Queue::JobOutcome> outcomes;
    outcomes.reserve(batch.size());
    for (const Pending& p : batch) outcomes.push_back({.job = &p.job, .failed = p.failed, .text = p.text});
    absl::StatusOr<std::vector<absl::Status>> done = queue->FinishMany(ctx, outcomes);
    if (done.ok()) {
      for (size_t i = 0; i < batch.size(); ++i)
        Counted((*done)[i], batch[i].failed, batch[i].job, batch[i].job.lease_owner);
      return;
    }
    for (const Pending& p : batch) {
      RequestContext jctx(
          {.correlation_id = p.job.correlation_id.str(), .caller = "worker:" + p.job.queue.str()});
      Counted(p.failed ? queue->Fail(jctx, p.job, p.text) : queue->Complete(jctx, p.job, p.text), p.failed,
              p.job, p.job.lease_owner);
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

  void Ack(Job&& job, bool failed_attempt, std::string text) {
    std::lock_guard<std::mutex> lock(ack_mu);
    acks.emplace_back(std::move(job), failed_attempt, std::move(text));  // the job moved once, in place
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

  void Run(const Entry& e, const std::string& worker_id, bool cleaner, size_t slot) {
    Worker worker(*queue, e.queue, worker_id);
    const std::string caller = "worker:" + e.queue;
    RequestContext admin({.correlation_id = "", .caller = caller});
    const Clock* clock = queue->options().clock != nullptr ? queue->options().clock : Clock::System();
    const std::chrono::microseconds lease =
        std::chrono::duration_cast<std::chrono::microseconds>(queue->Settings(e.queue)->timeout);
    Clock::TimePoint next_clean{};
    // Claimed, not started yet: prefetched[next...] (a batch is used in place, never moved job by job).
    std::vector<Job> prefetched;
    size_t next_job = 0;
    double handler_us = 0;       // moving average of this thread's handler time
    std::optional<RequestContext> job_ctx;  // the last job's (see below)
    auto release = [&](const Job& job) {
      if (worker.Release(admin, job).ok()) released.fetch_add(1);
    };
    while (!stopping.load()) {
      if (cleaner && options.clean_interval.count() > 0 && clock->Now() >= next_clean) {
        next_clean = clock->Now() + options.clean_interval;
        auto cleaned = queue->Clean(admin, e.queue);
        if (!cleaned.ok()) {
          Log(LogLevel::kWarning, admin, "bus",
              "worker " + worker_id + ": clean: " + std::string(cleaned.status().message()));
        }
      }
      if (next_job == prefetched.size()) {
        prefetched.clear();
        next_job = 0;
        absl::Status claimed;
        if (options.prefetch <= 1) {
          auto next = worker.Next(admin, options.wait);
          claimed = next.status();
          if (next.ok() && next->has_value()) prefetched.push_back(std::move(**next));
        } else {
          // No more than this thread can start within half a lease at its measured pace.
          int want = options.prefetch;
          if (handler_us > 0) {
            const double fit = static_cast<double>(lease.count()) / 2.0 / handler_us;
            want = static_cast<int>(std::clamp(fit, 1.0, static_cast<double>(options.prefetch)));
          }
          auto next = worker.NextBatch(admin, want, options.wait);
          claimed = next.status();
          if (next.ok()) prefetched = *std::move(next);
        }
        if (!claimed.ok()) {
          if (queue->closed()) break;
          Log(LogLevel::kWarning, admin, "bus",
              "worker " + worker_id + ": next: " + std::string(claimed.message()));
          std::unique_lock<std::mutex> lock(mu);
          cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping.load(); });
          continue;
        }
        if (prefetched.empty()) continue;
      }
      if (stopping.load()) break;  // claimed while shutting down: given back unrun below
      Job& job = prefetched[next_job++];
      if (job.lease_expires_at - clock->Now() < lease / 2) {
        // Its turn came too late: too little lease left to run it safely. Another worker takes it.
        release(job);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        in_flight[slot] = &job;
        ++in_flight_count;
      }
      // The handler's context carries the job's correlation id; consecutive jobs with the same one (the
      // jobs one request enqueued) run with the same context instead of one built per job.
      if (!job_ctx.has_value() || job_ctx->correlation_id() != job.correlation_id.view()) {
        job_ctx.emplace(RequestContextOptions{.correlation_id = job.correlation_id.str(), .caller = caller});
      }
      const RequestContext& ctx = *job_ctx;
      absl::StatusOr<std::string> result;  // (no error status built per job: only a throw makes one)
      const auto started = std::chrono::steady_clock::now();
      try {
        result = e.handler(ctx, job);
      } catch (const std::exception& ex) {
        result = absl::InternalError(std::string("handler threw: ") + ex.what());
      } catch (...) {
        result = absl::InternalError("handler threw");
      }
      const double took =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
      handler_us = handler_us == 0 ? took : 0.8 * handler_us + 0.2 * took;
      bool was_released = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        in_flight[slot] = nullptr;
        --in_flight_count;
        was_released = !given_back.empty() && given_back.erase(job.id) > 0;
        if (stopping.load()) cv.notify_all();  // Shutdown waits for in_flight_count to drop
      }
      if (was_released) continue;  // given back at shutdown: its completion would be refused anyway
      if (options.ack_flush.count() > 0) {
        const bool failed_attempt = !result.ok();
        Ack(std::move(job), failed_attempt, failed_attempt ? result.status().ToString() : *std::move(result));
        if (next_job == prefetched.size()) Nudge();
        continue;
      }
      absl::Status done = result.ok() ? worker.Complete(ctx, job, *result)
                                      : worker.Fail(ctx, job, result.status().ToString());
      Counted(done, !result.ok(), job, worker_id);
    }
    for (; next_job < prefetched.size(); ++next_job) release(prefetched[next_job]);  // never started
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
  impl_->entries.push_back({std::string(queue), std::move(handler), concurrency > 0 ? concurrency : s->concurrency});
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
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->in_flight.assign(threads, nullptr);
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
      lock.lock();
      impl_->cv.wait_for(lock, std::chrono::milliseconds(20));
    }
    impl_->cv.wait_until(lock, until, [&] { return impl_->in_flight_count == 0; });
    // Still running at the deadline: give the jobs back so another worker may take them now.
    RequestContext ctx({.correlation_id = "", .caller = "worker-pool:shutdown"});
    for (const Job* job : impl_->in_flight) {
      if (job != nullptr && impl_->queue->Release(ctx, *job).ok()) {
        impl_->given_back.insert(job->id);
        impl_->released.fetch_add(1);
      }
    }
  }
  while (true) {
    impl_->queue->InterruptWaiters();
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
