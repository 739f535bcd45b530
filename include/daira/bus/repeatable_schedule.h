// bus::internal scheduling arithmetic shared by every bus backend's repeatable jobs (memory and SQL in
// src/bus, Redis in src/backends/redis: a public header so each computes occurrences identically;
// not a stable API — use bus::Queue's repeatable calls). Example:
//
//   auto due = bus::internal::DueOccurrence("cron:*/5 * * * *", next_run_at, now);
//   // due->occurrence: the latest occurrence at or before now; due->next: the first one after it
//
// Thread-safety: pure functions.
//
// Scheduling arithmetic shared by every bus backend's repeatable jobs (docs/bus.md "Repeatable jobs"):
// the stored schedule text, the first occurrence after a time, and which occurrence a late scheduler
// tick enqueues (only the latest one missed).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/bus/repeatable.h"
#include "daira/core/clock.h"

namespace daira::inline v0::bus::internal {

// "every:<ms>" or "cron:<expression>" (the `schedule` column / hash field).
std::string ScheduleText(const RepeatableRequest& r);
std::string ScheduleText(std::chrono::milliseconds every, std::string_view cron);
// Fills r.every / r.cron from ScheduleText's output; InvalidArgument when it does not parse.
absl::Status ParseScheduleText(std::string_view text, Repeatable& r);

// The first occurrence strictly after `t`.
absl::StatusOr<Clock::TimePoint> FirstAfter(std::string_view schedule_text, Clock::TimePoint t);

// A due repeatable (next_run_at <= now): the occurrence to enqueue — the LATEST one at or before `now`
// (earlier missed ones are skipped) — and the next one after `now`.
struct Due {
  Clock::TimePoint occurrence;
  Clock::TimePoint next;
};
absl::StatusOr<Due> DueOccurrence(std::string_view schedule_text, Clock::TimePoint next_run_at,
                                  Clock::TimePoint now);

}  // namespace daira::inline v0::bus::internal
