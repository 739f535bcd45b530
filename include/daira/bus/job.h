// A job on the event bus: what a producer enqueues (EnqueueRequest) and what a worker claims (Job).
//
//   bus::EnqueueRequest req{.queue = "video.transcode", .name = "transcode",
//                           .payload = R"({"video_id":42})", .priority = 5,
//                           .idempotency_key = "video:42"};
//   DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult r, queue.Enqueue(ctx, req));   // r.id, r.deduplicated
//   ...
//   DAIRA_ASSIGN_OR_RETURN(std::optional<bus::Job> job, worker.Next(ctx, std::chrono::seconds(1)));
//   if (job) { job->payload; job->attempt; job->errors; /* ... */ }
//
// Thread-safety: plain values; copy freely. A Job's texts are SharedText (daira/core/shared_text.h):
// immutable and reference-counted, so copying a claimed job copies no bytes; they read like
// std::string_view (size(), data(), ==, implicit conversion) and std::string(job.payload) copies one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daira/core/clock.h"
#include "daira/core/shared_text.h"

namespace daira::inline v0::bus {

// Where a job is in its life. A delayed job (run_at in the future) and a job waiting for its next
// attempt after a failure are both kWaiting; Job::run_at says when it becomes due.
enum class JobState {
  kWaiting,    // due at run_at; claimed by the next free worker (higher priority first, FIFO within)
  kActive,     // claimed: a worker holds its lease until lease_expires_at
  kCompleted,  // Complete() accepted (kept for the queue's retain_completed)
  kDead,       // failed max_attempts times (or cancelled while its lease lapsed): the dead-letter state
  kCancelled,  // Cancel() took it out before it ran, or its worker stopped after a cancel request
};
// "WAITING", "ACTIVE", "COMPLETED", "DEAD", "CANCELLED" (the SQL status column's values).
std::string_view JobStateName(JobState state);

// One failed attempt, kept in the job's error history.
struct JobError {
  int attempt = 0;           // the attempt that failed (1-based)
  Clock::TimePoint at{};     // when the failure was recorded
  std::string worker;        // the lease owner that failed it ("" when the lease expired unclaimed)
  std::string message;       // the worker's message, or "lease expired" for a stalled job
};

// What a producer asks for. Only `queue` is required.
struct EnqueueRequest {
  std::string queue;                  // one of the configured queues (bus::QueueSettings); else InvalidArgument
  std::string name;                   // the job's kind within the queue, free-form ("transcode", "hls")
  std::string payload = "{}";         // JSON text; anything else is InvalidArgument naming `payload`
  int priority = 0;                   // higher runs first; FIFO within one priority
  std::chrono::milliseconds delay{0}; // not before now + delay; negative is InvalidArgument naming `delay`
  int max_attempts = 0;               // 0: the queue's max_attempts; else in [1, 1000]
  // Dedup: a second enqueue with the same key on the same queue within the queue's dedup_window
  // returns the first job's id (EnqueueResult::deduplicated) and enqueues nothing. "" = no dedup.
  std::string idempotency_key;
  std::string group_key;              // tenant / group: served round-robin when the queue's
                                      // round_robin_groups is on ("" = the ungrouped jobs' group)
  std::string correlation_id;         // "" = the request context's correlation id
};

struct EnqueueResult {
  int64_t id = 0;             // the job's id (the existing job's when deduplicated)
  bool deduplicated = false;  // true: an earlier job with the same idempotency key was within the window
};

// A job as stored. A claimed job (from Next) carries its lease: the lease_token fences every later
// Complete/Fail/Progress/ExtendLease — once the lease expired or another worker took the job over,
// they are refused.
struct Job {
  int64_t id = 0;
  SharedText queue;
  SharedText name;
  SharedText payload;  // JSON text, as the backend stores it (Postgres jsonb normalizes spacing)
  int priority = 0;
  JobState state = JobState::kWaiting;
  Clock::TimePoint run_at{};       // due time of the next attempt
  int attempt = 0;                 // attempts started so far (this claim's number while active)
  int max_attempts = 0;
  SharedText idempotency_key;
  SharedText group_key;
  SharedText correlation_id;
  SharedText lease_owner;                  // worker id holding the lease ("" unless active)
  Clock::TimePoint lease_expires_at{};     // meaningful while active
  int64_t lease_token = 0;                 // fencing token of the current claim (0 unless active)
  SharedText progress;                     // JSON text set by Progress(), "" if never set
  SharedText result;                       // JSON text given to Complete(), "" otherwise
  std::vector<JobError> errors;            // one entry per failed attempt, oldest first
  // Cancel() was called while the job ran: a cooperative signal (Queue::CancelRequested, ExtendLease).
  // The attempt then ends CANCELLED (not retried) on Fail, Release or an expired lease.
  bool cancel_requested = false;
  Clock::TimePoint created_at{};
  Clock::TimePoint updated_at{};
  Clock::TimePoint finished_at{};          // completed / dead / cancelled time; epoch otherwise
  // When the current (or last) attempt was claimed; epoch when never claimed. The bus's run-time
  // metrics (Queue::Metrics) measure run_at → started_at (wait) and started_at → finish (run).
  Clock::TimePoint started_at{};
};

}  // namespace daira::inline v0::bus
