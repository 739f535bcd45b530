// Blocking waits of the Python surface (bus.jobs / next_batch, subscription.next), cut into slices.
//
// A wait of `timeout` seconds (None: forever) never blocks in daira for more than kWaitSlice at a time,
// so that between two slices the caller notices close() and Ctrl-C (PyErr_CheckSignals):
//
//   SlicedWait wait("bus.jobs", timeout);          // InvalidArgument naming bus.jobs.timeout if < 0 / NaN
//   for (;;) {
//     if (auto job = Try(wait.Slice())) return job;  // Slice(): kWaitSlice or what is left, never < 0
//     if (wait.Expired()) return std::nullopt;
//     if (PyErr_CheckSignals() != 0) throw py::error_already_set();
//   }
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "common.h"
#include "daira/core/status.h"

namespace daira::python {

// One slice of a blocking wait (bounds how long close() waits for a thread inside a wait).
inline constexpr std::chrono::milliseconds kWaitSlice{200};

// A duration argument given in seconds, as milliseconds; InvalidArgument naming `op` and `field` when it
// is negative or not finite.
inline std::chrono::milliseconds SecondsArg(const char* op, const char* field, double s) {
  if (!std::isfinite(s) || s < 0) {
    Throw(InvalidField(op, field, "must be a finite number of seconds >= 0 (got " + std::to_string(s) + ")"));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(s * 1000.0)));
}

class SlicedWait {
 public:
  using Steady = std::chrono::steady_clock;

  // `timeout` in seconds (nullopt: wait forever), checked as `op`'s field "timeout".
  SlicedWait(const char* op, std::optional<double> timeout) {
    if (timeout.has_value()) until_ = Steady::now() + SecondsArg(op, "timeout", *timeout);
  }

  // How long the next slice may wait: kWaitSlice, or what is left of the timeout (0 once it passed).
  std::chrono::milliseconds Slice() const {
    if (!until_.has_value()) return kWaitSlice;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until_ - Steady::now());
    return std::min(kWaitSlice, std::max(left, std::chrono::milliseconds(0)));
  }

  // Whether the timeout has passed (never for a wait without one).
  bool Expired() const { return until_.has_value() && Steady::now() >= *until_; }

 private:
  std::optional<Steady::time_point> until_;
};

}  // namespace daira::python
