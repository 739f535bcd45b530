#include "daira/core/clock.h"

namespace daira::inline v0 {
namespace {

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace

Clock* Clock::System() {
  // Leaked on purpose: usable from static destructors and other threads at exit.
  static Clock* const clock = new SystemClock();
  return clock;
}

}  // namespace daira::inline v0
