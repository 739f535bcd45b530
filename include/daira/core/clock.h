// Clocks: the system clock for production and a manual clock that tests move by hand.
//
//   daira::ManualClock clock(daira::Clock::TimePoint{std::chrono::seconds(1700000000)});
//   IdGenerator ids({.clock = &clock});
//   clock.Advance(std::chrono::milliseconds(5));   // no sleeps in tests
//
// Thread-safety: every Clock is safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace daira::inline v0 {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Wall-clock now. May step backwards (NTP); consumers that need monotonic order must cope.
  virtual TimePoint Now() const = 0;
  // Monotonic time, for durations and timeouts.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
  // The process-wide system clock (never null, never destroyed).
  static Clock* System();
};

// A clock that moves only when told to. Now() and SteadyNow() advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_us_(ToMicros(start)) {}
  TimePoint Now() const override { return TimePoint{std::chrono::microseconds(now_us_.load())}; }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::time_point{std::chrono::microseconds(now_us_.load())};
  }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }
  // Sets the wall clock; may move it backwards (to test clock steps).
  void Set(TimePoint t) { now_us_ = ToMicros(t); }

 private:
  static int64_t ToMicros(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> now_us_;
};

// Microseconds since the Unix epoch: how daira stores timestamps (BIGINT columns named *_at).
inline int64_t ToUnixMicros(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
inline Clock::TimePoint FromUnixMicros(int64_t us) {
  return Clock::TimePoint{std::chrono::microseconds(us)};
}

}  // namespace daira::inline v0
