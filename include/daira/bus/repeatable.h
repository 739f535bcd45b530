// Repeatable jobs: a job definition enqueued on a schedule — every N (milliseconds) or a 5-field cron
// expression in UTC — scheduled once across every process that shares the bus (docs/bus.md
// "Repeatable jobs").
//
//   bus::RepeatableRequest nightly{.queue = "trending.refresh", .key = "nightly", .name = "refresh",
//                                  .cron = "30 2 * * *"};                // 02:30 UTC every day
//   DAIRA_ASSIGN_OR_RETURN(bus::Repeatable r, queue.AddRepeatable(ctx, nightly));  // r.next_run_at
//   bus::RepeatableRequest tick{.queue = "analytics.ingest", .key = "tick", .every =
//   std::chrono::seconds(30)}; DAIRA_RETURN_IF_ERROR(queue.AddRepeatable(ctx, tick).status());
//   // Any worker's Next on the queue (or Queue::RunRepeatables) enqueues each due occurrence exactly once.
//   DAIRA_RETURN_IF_ERROR(queue.RemoveRepeatable(ctx, "trending.refresh", "nightly"));
//
//   DAIRA_ASSIGN_OR_RETURN(bus::CronSchedule cron, bus::CronSchedule::Parse("*/15 9-17 * * 1-5"));
//   Clock::TimePoint next = cron.Next(now);   // the first matching minute strictly after `now`
//
// Thread-safety: plain values; CronSchedule is immutable after Parse and safe to share.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"

namespace daira::inline v0::bus {

// A 5-field cron expression: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week
// (0-7, 0 and 7 = Sunday), separated by spaces; each field `*`, a number, a range `a-b`, a step `*/s`,
// `a-b/s` or `a/s` (a to the field's maximum), or a comma-separated list of those. Numbers only (no
// month/day names, no `?`, `L`, `W`, `#`). Times are UTC. As in classic cron, when both day-of-month and
// day-of-week are restricted (neither is `*`), a day matches if EITHER matches.
class CronSchedule {
 public:
  // InvalidArgument naming the field at fault ("cron.minute", "cron.hour", "cron.day_of_month",
  // "cron.month", "cron.day_of_week", or "cron" for the wrong number of fields), with the expression.
  static absl::StatusOr<CronSchedule> Parse(std::string_view expression);
  // The first matching minute strictly after `after` (seconds and below are zero). An expression
  // that can never match (e.g. "0 0 31 2 *") returns Clock::TimePoint::max().
  Clock::TimePoint Next(Clock::TimePoint after) const;
  const std::string& expression() const { return expression_; }

 private:
  CronSchedule() = default;
  bool DayMatches(int day_of_month, int month, int day_of_week) const;
  std::string expression_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday = 0
  bool any_day_ = true;      // day-of-month was `*`
  bool any_weekday_ = true;  // day-of-week was `*`
};

// What AddRepeatable stores. Exactly one of `every` and `cron` is set.
struct RepeatableRequest {
  std::string queue;                   // a configured queue; else InvalidArgument naming `queue`
  std::string key;                     // identity within the queue (1..200 bytes); adding an existing key
                                       // replaces its definition
  std::string name;                    // the enqueued jobs' name
  std::string payload = "{}";          // JSON text, copied into every occurrence's job
  std::chrono::milliseconds every{0};  // > 0: every N, aligned to multiples of N since the Unix epoch
                                       // (at least 1 s)
  std::string cron;                    // non-empty: a 5-field cron expression (CronSchedule), UTC
  int priority = 0;                    // the jobs' priority
  int max_attempts = 0;                // 0: the queue's; else [1, 1000]
};

// A stored repeatable job definition.
struct Repeatable {
  std::string queue;
  std::string key;
  std::string name;
  std::string payload;
  std::chrono::milliseconds every{0};  // 0 when cron is set
  std::string cron;                    // "" when every is set
  int priority = 0;
  int max_attempts = 0;
  Clock::TimePoint next_run_at{};  // the next occurrence not yet enqueued
  Clock::TimePoint last_run_at{};  // the last occurrence enqueued (epoch: none yet)
  Clock::TimePoint created_at{};
  Clock::TimePoint updated_at{};
};

// The idempotency key of the job enqueued for occurrence `occurrence` of repeatable `key`:
// "repeat:<key>:<occurrence µs since the epoch>".
std::string RepeatJobKey(std::string_view key, Clock::TimePoint occurrence);

}  // namespace daira::inline v0::bus
