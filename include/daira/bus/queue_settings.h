// Per-queue settings and the 18 queues daira ships with, each with defaults fitting its work.
//
//   std::vector<bus::QueueSettings> queues = bus::DefaultQueues();          // the 18, in one table
//   bus::FindQueue(queues, "video.transcode")->concurrency = 4;             // override in code
//   DAIRA_RETURN_IF_ERROR(bus::ApplyQueueOverride(queues, "video.transcode.max_attempts", "3"));  // or by name
//   std::chrono::milliseconds d = bus::RetryDelay(*bus::FindQueue(queues, "webhooks.deliver"), 3, 0.5);
//
// Every field is settable as a `bus=` URL parameter `<queue>.<field>=<value>` (docs/configuration.md).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace daira::inline v0::bus {

enum class Backoff { kFixed, kExponential };

struct QueueSettings {
  std::string name;                                    // "video.transcode"
  int concurrency = 1;                                 // worker threads per process (WorkerPool), >= 1
  int max_attempts = 5;                                // attempts before the dead-letter state, >= 1
  Backoff backoff = Backoff::kExponential;             // delay before attempt n+1
  std::chrono::milliseconds backoff_base{1000};        // fixed delay, or the first exponential step
  std::chrono::milliseconds backoff_max{3600000};      // cap of the exponential delay (1 h)
  double jitter = 0.2;                                 // ± fraction of the delay drawn at random, [0, 1]
  std::chrono::milliseconds timeout{60000};            // lease per attempt: a job still running after it
                                                       // is taken as stalled and runs again
  std::chrono::milliseconds dedup_window{std::chrono::hours(24)};        // idempotency key window
  std::chrono::milliseconds retain_completed{std::chrono::hours(24)};    // completed jobs kept this long
  std::chrono::milliseconds retain_dead{std::chrono::hours(24 * 7)};     // dead jobs kept this long
  // Groups (EnqueueRequest::group_key; jobs without one form one group): when on, among the due jobs
  // of the highest priority the group served longest ago goes first (one busy tenant cannot starve the
  // others), and at most group_concurrency jobs of one group are active at once (0: no limit; on
  // Postgres exact for one claimer at a time, best effort under concurrent claimers). Off (default):
  // group keys are only stored. On costs a scan of the queue's due jobs per claim.
  bool round_robin_groups = false;
  int group_concurrency = 0;
  // Rate limit: at most rate_limit jobs of this queue are started (claimed by Next) per rate_window,
  // counted across every worker and process sharing the bus, in fixed windows aligned to multiples of
  // rate_window since the Unix epoch (queue clock). A job claimed again after a retry or a lapsed lease
  // counts again. 0 (default): no limit.
  int rate_limit = 0;
  std::chrono::milliseconds rate_window{1000};
};

// The 18 queues with their defaults (docs/bus.md has the table).
std::vector<QueueSettings> DefaultQueues();
// The settings named `name`, or null.
QueueSettings* FindQueue(std::vector<QueueSettings>& queues, std::string_view name);
const QueueSettings* FindQueue(const std::vector<QueueSettings>& queues, std::string_view name);
// Applies "<queue>.<field>" = value (fields: concurrency, max_attempts, backoff (fixed|exponential),
// backoff_base_ms, backoff_max_ms, jitter, timeout_ms, dedup_window_ms, retain_completed_ms,
// retain_dead_ms, round_robin_groups (true|false), group_concurrency, rate_limit, rate_window_ms). InvalidArgument naming the key for an
// unknown queue/field or a bad value.
absl::Status ApplyQueueOverride(std::vector<QueueSettings>& queues, std::string_view key, std::string_view value);
// OK, or InvalidArgument naming the first field out of range.
absl::Status ValidateQueueSettings(const QueueSettings& settings);

// The delay before the attempt after failed attempt `attempt` (1-based): fixed → backoff_base;
// exponential → backoff_base * 2^(attempt-1) capped at backoff_max; then jitter: the delay is scaled by
// 1 + jitter * (2 * random01 - 1), random01 in [0, 1). Never negative.
std::chrono::milliseconds RetryDelay(const QueueSettings& settings, int attempt, double random01);

}  // namespace daira::inline v0::bus
