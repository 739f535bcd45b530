// A pool of worker threads per queue running C++ handlers, on top of the pull API (bus::Queue::Next).
//
//   bus::WorkerPool pool(queue);
//   DAIRA_RETURN_IF_ERROR(pool.Handle("video.transcode",
//       [&](const RequestContext& ctx, const bus::Job& job) -> absl::StatusOr<std::string> {
//         DAIRA_RETURN_IF_ERROR(Transcode(ctx, job.payload));     // an error → Fail (retry / dead letter)
//         return std::string(R"({"ok":true})");                    // → Complete with this result
//       }));
//   DAIRA_RETURN_IF_ERROR(pool.Start());                          // QueueSettings::concurrency threads
//   ...
//   pool.Shutdown(std::chrono::seconds(10));                      // graceful
//
// Threads prefetch small batches of jobs (WorkerPoolOptions::prefetch) and the pool acks finished
// jobs in batches (ack_flush / ack_batch); docs/bus.md "Worker pool" says what a crash costs then.
// Handlers run on the pool's threads with a context carrying the job's correlation id (caller
// "worker:<queue>"). Host languages should prefer the pull API (Worker) over handlers on these threads.
//
// Thread-safety: Handle before Start; Start and Shutdown from one thread; processed()/failed() any time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/bus/queue.h"

namespace daira::inline v0::bus {

// Returns the result JSON ("" for none) to complete the job, or an error to fail this attempt.
using Handler = std::function<absl::StatusOr<std::string>(const RequestContext& ctx, const Job& job)>;

struct WorkerPoolOptions {
  std::string worker_id_prefix{};            // "" = "<host>:<pid>"; threads append ":<queue>:<n>"
  std::chrono::milliseconds wait{5000};      // how long one Next blocks before looking again
  // Retention: one thread per handled queue runs Queue::Clean this often (by the queue's clock), first
  // at Start. 0: never (call Clean yourself). Default 1 min.
  std::chrono::milliseconds clean_interval{60000};
  // Prefetch: each thread claims up to this many jobs at once (Queue::NextBatch) and runs them one
  // after another; 1 = one Queue::Next per job. On memory, SQLite and Redis the threads of one queue
  // share their claims instead: one NextBatch of prefetch x concurrency, handed out in chunks (docs/bus.md
  // "Workers": shared claims). Bounded further by the lease: a thread claims no more
  // than it can start within half the queue's timeout at its measured handler time, and a prefetched
  // job with less than half its lease left when its turn comes is released unrun (another worker
  // takes it). Jobs prefetched but not started are released at Shutdown. A crash of the process
  // costs the prefetched jobs one lease timeout, then they run again (at-least-once). Default 16;
  // 1..1000.
  int prefetch = 16;
  // Batched acknowledgement: finished jobs are acked (Queue::FinishMany: one transaction / script for
  // all of the pool's threads) by one acker thread, at least this often, or as soon as `ack_batch` are
  // pending. processed()/failed() count a job once its ack is stored (committed on SQL buses), so a
  // completion reported there is durable. 0 = each thread acks each job at once (Complete / Fail).
  // Default 2 ms.
  std::chrono::milliseconds ack_flush{2};
  int ack_batch = 256;  // flush as soon as this many acks wait (1..10000). Default 256.
};

class WorkerPool {
 public:
  // `queue` must outlive the pool.
  explicit WorkerPool(Queue& queue, WorkerPoolOptions options = {});
  ~WorkerPool();  // Shutdown(0) if still running
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Registers the handler of `queue` with `concurrency` threads (0: the queue's setting).
  // InvalidArgument for an unknown queue or concurrency < 0; FailedPrecondition after Start or when the
  // queue already has a handler.
  absl::Status Handle(std::string_view queue, Handler handler, int concurrency = 0);
  // Starts the threads. FailedPrecondition when already started; InvalidArgument naming prefetch or
  // ack_batch when out of range.
  absl::Status Start();
  // Stops claiming at once; waits up to `deadline` for the jobs in flight to finish; releases those
  // still running then (they wait again, another worker may take them, and their handler's late
  // completion is refused), then waits for their handlers to return and joins every thread.
  // Idempotent.
  void Shutdown(std::chrono::milliseconds deadline);

  int64_t processed() const;  // jobs completed by this pool
  int64_t failed() const;     // attempts failed by this pool (handler errors)
  int64_t released() const;   // jobs released unrun: at shutdown (running or prefetched), or a
                              // prefetched job whose lease ran too short before its turn

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace daira::inline v0::bus
