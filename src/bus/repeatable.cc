#include "daira/bus/repeatable.h"

#include <charconv>
#include <vector>

#include "absl/strings/str_split.h"
#include "daira/bus/repeatable_schedule.h"
#include "daira/core/status.h"

namespace daira::inline v0::bus {

namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::sys_days;

constexpr std::string_view kOp = "bus: cron";

struct FieldSpec {
  std::string_view name;
  int lo;
  int hi;
};

absl::StatusOr<int> Number(std::string_view text, const FieldSpec& f, std::string_view expr) {
  int v = -1;
  const bool digits =
      !text.empty() && text.size() <= 3 && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) std::from_chars(text.data(), text.data() + text.size(), v);
  if (!digits) {
    return InvalidField(
        kOp, f.name,
        "has '" + std::string(text) + "' where a number is expected (got '" + std::string(expr) + "')");
  }
  if (v < f.lo || v > f.hi) {
    return InvalidField(kOp, f.name,
                        "value " + std::to_string(v) + " is out of range [" + std::to_string(f.lo) + ", " +
                            std::to_string(f.hi) + "] (got '" + std::string(expr) + "')");
  }
  return v;
}

// Parses one field into `bits` (indexes lo..hi); `star` says whether it starts with '*'.
absl::Status ParseField(std::string_view text, const FieldSpec& f, std::string_view expr,
                        std::vector<bool>& bits, bool& star) {
  bits.assign(static_cast<size_t>(f.hi) + 1, false);
  star = !text.empty() && text[0] == '*';
  for (absl::string_view item_a : absl::StrSplit(ToAbsl(text), ',')) {
    const std::string_view item = ToStd(item_a);
    if (item.empty()) {
      return InvalidField(kOp, f.name, "has an empty list item (got '" + std::string(expr) + "')");
    }
    const size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view s = item.substr(slash + 1);
      const bool digits =
          !s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string_view::npos;
      if (digits) std::from_chars(s.data(), s.data() + s.size(), step);
      if (!digits || step < 1 || step > f.hi) {
        return InvalidField(kOp, f.name,
                            "has a bad step '" + std::string(s) + "' (a number in [1, " +
                                std::to_string(f.hi) + "]; got '" + std::string(expr) + "')");
      }
    }
    int from = f.lo;
    int to = f.hi;
    if (base == "*") {
      // the whole range
    } else if (const size_t dash = base.find('-'); dash != std::string_view::npos) {
      DAIRA_ASSIGN_OR_RETURN(from, Number(base.substr(0, dash), f, expr));
      DAIRA_ASSIGN_OR_RETURN(to, Number(base.substr(dash + 1), f, expr));
      if (from > to) {
        return InvalidField(
            kOp, f.name,
            "has a range '" + std::string(base) + "' that runs backwards (got '" + std::string(expr) + "')");
      }
    } else {
      DAIRA_ASSIGN_OR_RETURN(from, Number(base, f, expr));
      if (slash == std::string_view::npos) to = from;  // "a/s" runs from a to the field's maximum
    }
    for (int v = from; v <= to; v += step) bits[static_cast<size_t>(v)] = true;
  }
  return absl::OkStatus();
}

int64_t Us(Clock::TimePoint t) { return ToUnixMicros(t); }

}  // namespace

absl::StatusOr<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  std::vector<std::string_view> parts;
  for (absl::string_view p : absl::StrSplit(ToAbsl(expression), ' ', absl::SkipEmpty()))
    parts.push_back(ToStd(p));
  if (parts.size() != 5) {
    return InvalidField(kOp, "cron",
                        "must have 5 fields (minute hour day-of-month month day-of-week), has " +
                            std::to_string(parts.size()) + " (got '" + std::string(expression) + "')");
  }
  static constexpr FieldSpec kFields[5] = {{"cron.minute", 0, 59},
                                           {"cron.hour", 0, 23},
                                           {"cron.day_of_month", 1, 31},
                                           {"cron.month", 1, 12},
                                           {"cron.day_of_week", 0, 7}};
  CronSchedule c;
  c.expression_ = std::string(expression);
  std::vector<bool> bits;
  bool star = false;
  DAIRA_RETURN_IF_ERROR(ParseField(parts[0], kFields[0], expression, bits, star));
  for (int i = 0; i < 60; ++i) c.minutes_[i] = bits[i];
  DAIRA_RETURN_IF_ERROR(ParseField(parts[1], kFields[1], expression, bits, star));
  for (int i = 0; i < 24; ++i) c.hours_[i] = bits[i];
  DAIRA_RETURN_IF_ERROR(ParseField(parts[2], kFields[2], expression, bits, c.any_day_));
  for (int i = 1; i <= 31; ++i) c.days_[i] = bits[i];
  DAIRA_RETURN_IF_ERROR(ParseField(parts[3], kFields[3], expression, bits, star));
  for (int i = 1; i <= 12; ++i) c.months_[i] = bits[i];
  DAIRA_RETURN_IF_ERROR(ParseField(parts[4], kFields[4], expression, bits, c.any_weekday_));
  for (int i = 0; i <= 6; ++i) c.weekdays_[i] = bits[i];
  if (bits[7]) c.weekdays_[0] = true;  // 7 = Sunday
  return c;
}

bool CronSchedule::DayMatches(int day_of_month, int month, int day_of_week) const {
  (void)month;
  const bool dom = days_[day_of_month];
  const bool dow = weekdays_[day_of_week];
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return dow;
  if (any_weekday_) return dom;
  return dom || dow;
}

Clock::TimePoint CronSchedule::Next(Clock::TimePoint after) const {
  // Search forward field by field (month, day, hour, minute); give up after 10 years (no match).
  auto t = floor<minutes>(after) + minutes(1);
  const auto give_up = t + days(366 * 10);
  while (t < give_up) {
    const sys_days d = floor<days>(t);
    const std::chrono::year_month_day ymd(d);
    const unsigned month = static_cast<unsigned>(ymd.month());
    if (!months_[month]) {
      const std::chrono::year_month_day first{ymd.year(), ymd.month(), std::chrono::day(1)};
      t = sys_days(first + std::chrono::months(1));
      continue;
    }
    const int weekday = static_cast<int>(std::chrono::weekday(d).c_encoding());
    if (!DayMatches(static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(month), weekday)) {
      t = d + days(1);
      continue;
    }
    const auto h = std::chrono::duration_cast<hours>(t - d);
    if (!hours_[static_cast<size_t>(h.count())]) {
      t = d + h + hours(1);
      continue;
    }
    const auto m = std::chrono::duration_cast<minutes>(t - d - h);
    if (!minutes_[static_cast<size_t>(m.count())]) {
      t += minutes(1);
      continue;
    }
    return Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(t.time_since_epoch()));
  }
  return Clock::TimePoint::max();
}

std::string RepeatJobKey(std::string_view key, Clock::TimePoint occurrence) {
  return "repeat:" + std::string(key) + ":" + std::to_string(Us(occurrence));
}

namespace internal {

std::string ScheduleText(const RepeatableRequest& r) { return ScheduleText(r.every, r.cron); }

std::string ScheduleText(std::chrono::milliseconds every, std::string_view cron) {
  if (every.count() > 0) return "every:" + std::to_string(every.count());
  return "cron:" + std::string(cron);
}

absl::Status ParseScheduleText(std::string_view text, Repeatable& r) {
  if (text.substr(0, 6) == "every:") {
    const std::string_view n = text.substr(6);
    int64_t ms = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), ms);
    if (ec != std::errc() || p != n.data() + n.size() || ms <= 0) {
      return absl::InvalidArgumentError("bus: repeatable: bad stored schedule '" + std::string(text) + "'");
    }
    r.every = std::chrono::milliseconds(ms);
    r.cron.clear();
    return absl::OkStatus();
  }
  if (text.substr(0, 5) == "cron:") {
    r.every = std::chrono::milliseconds(0);
    r.cron = std::string(text.substr(5));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("bus: repeatable: bad stored schedule '" + std::string(text) + "'");
}

absl::StatusOr<Clock::TimePoint> FirstAfter(std::string_view schedule_text, Clock::TimePoint t) {
  Repeatable r;
  DAIRA_RETURN_IF_ERROR(ParseScheduleText(schedule_text, r));
  if (r.every.count() > 0) {
    const int64_t n = r.every.count() * 1000;
    const int64_t us = Us(t);
    const int64_t aligned = (us >= 0 ? us / n : (us - n + 1) / n) * n + n;
    return FromUnixMicros(aligned);
  }
  DAIRA_ASSIGN_OR_RETURN(CronSchedule cron, CronSchedule::Parse(r.cron));
  return cron.Next(t);
}

absl::StatusOr<Due> DueOccurrence(std::string_view schedule_text, Clock::TimePoint next_run_at,
                                  Clock::TimePoint now) {
  Repeatable r;
  DAIRA_RETURN_IF_ERROR(ParseScheduleText(schedule_text, r));
  if (now < next_run_at) return absl::FailedPreconditionError("bus: repeatable: not due");
  if (r.every.count() > 0) {
    const int64_t n = r.every.count() * 1000;
    const int64_t occ = Us(next_run_at) + (Us(now) - Us(next_run_at)) / n * n;
    return Due{.occurrence = FromUnixMicros(occ), .next = FromUnixMicros(occ + n)};
  }
  DAIRA_ASSIGN_OR_RETURN(CronSchedule cron, CronSchedule::Parse(r.cron));
  // Only the latest occurrence at or before `now` runs. Long downtime: start the walk two days back
  // when an occurrence lies in that window (at most 2880 steps for "* * * * *").
  Clock::TimePoint occ = next_run_at;
  const Clock::TimePoint recent = now - std::chrono::hours(48);
  if (recent > next_run_at) {
    const Clock::TimePoint c = cron.Next(recent - std::chrono::minutes(1));
    if (c <= now) occ = c;
  }
  while (true) {
    const Clock::TimePoint n = cron.Next(occ);
    if (n > now) return Due{.occurrence = occ, .next = n};
    occ = n;
  }
}

}  // namespace internal

}  // namespace daira::inline v0::bus
