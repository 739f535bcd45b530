#include "daira/bus/worker_pool.h"

#include <condition_variable>
#include <map>
#include <mutex>
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
  std::map<int64_t, Job> in_flight;     // job id -> claimed job; guarded by mu
  std::map<int64_t, bool> given_back;   // released at shutdown; guarded by mu

  void Run(const Entry& e, const std::string& worker_id, bool cleaner) {
    Worker worker(*queue, e.queue, worker_id);
    RequestContext admin({.correlation_id = "", .caller = "worker:" + e.queue});
    const Clock* clock = queue->options().clock != nullptr ? queue->options().clock : Clock::System();
    Clock::TimePoint next_clean{};
    while (!stopping.load()) {
      if (cleaner && options.clean_interval.count() > 0 && clock->Now() >= next_clean) {
        next_clean = clock->Now() + options.clean_interval;
        auto cleaned = queue->Clean(admin, e.queue);
        if (!cleaned.ok()) {
          Log(LogLevel::kWarning, admin, "bus",
              "worker " + worker_id + ": clean: " + std::string(cleaned.status().message()));
        }
      }
      auto next = worker.Next(admin, options.wait);
      if (!next.ok()) {
        if (queue->closed()) break;
        Log(LogLevel::kWarning, admin, "bus", "worker " + worker_id + ": next: " + std::string(next.status().message()));
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping.load(); });
        continue;
      }
      if (!next->has_value()) continue;
      const Job job = std::move(**next);
      if (stopping.load()) {  // claimed while shutting down: give it back unrun
        (void)worker.Release(admin, job);
        break;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        in_flight.emplace(job.id, job);
      }
      RequestContext ctx({.correlation_id = job.correlation_id, .caller = "worker:" + e.queue});
      absl::StatusOr<std::string> result = absl::InternalError("handler threw");
      try {
        result = e.handler(ctx, job);
      } catch (const std::exception& ex) {
        result = absl::InternalError(std::string("handler threw: ") + ex.what());
      } catch (...) {
      }
      bool was_released = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        in_flight.erase(job.id);
        was_released = given_back.erase(job.id) > 0;
        cv.notify_all();
      }
      if (was_released) continue;  // given back at shutdown: its completion would be refused anyway
      absl::Status done = result.ok() ? worker.Complete(ctx, job, *result)
                                      : worker.Fail(ctx, job, result.status().ToString());
      if (done.ok()) {
        (result.ok() ? processed : failed).fetch_add(1);
      } else {
        Log(LogLevel::kWarning, ctx, "bus",
            "worker " + worker_id + ": job " + std::to_string(job.id) + ": " + std::string(done.message()));
      }
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
  impl_->entries.push_back({std::string(queue), std::move(handler), concurrency > 0 ? concurrency : s->concurrency});
  return absl::OkStatus();
}

absl::Status WorkerPool::Start() {
  if (impl_->started) return absl::FailedPreconditionError("bus: worker pool: start: already started");
  impl_->started = true;
  const std::string prefix =
      impl_->options.worker_id_prefix.empty() ? DefaultWorkerId("") : impl_->options.worker_id_prefix + ":";
  for (const auto& e : impl_->entries) {
    for (int i = 0; i < e.concurrency; ++i) {
      {
        std::lock_guard<std::mutex> lock(impl_->mu);
        ++impl_->running_threads;
      }
      std::string id = prefix + e.queue + ":" + std::to_string(i);
      impl_->threads.emplace_back([this, &e, id, i] { impl_->Run(e, id, /*cleaner=*/i == 0); });
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
           impl_->running_threads > static_cast<int>(impl_->in_flight.size())) {
      lock.unlock();
      impl_->queue->InterruptWaiters();
      lock.lock();
      impl_->cv.wait_for(lock, std::chrono::milliseconds(20));
    }
    impl_->cv.wait_until(lock, until, [&] { return impl_->in_flight.empty(); });
    // Still running at the deadline: give the jobs back so another worker may take them now.
    RequestContext ctx({.correlation_id = "", .caller = "worker-pool:shutdown"});
    for (const auto& [id, job] : impl_->in_flight) {
      if (impl_->queue->Release(ctx, job).ok()) {
        impl_->given_back[id] = true;
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
}

int64_t WorkerPool::processed() const { return impl_->processed.load(); }
int64_t WorkerPool::failed() const { return impl_->failed.load(); }
int64_t WorkerPool::released() const { return impl_->released.load(); }

}  // namespace daira::inline v0::bus
