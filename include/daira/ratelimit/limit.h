// ratelimit::Limit: how many units an endpoint allows per window, and the algorithm that enforces it.
//
//   ratelimit::Limit login{.count = 10, .window = std::chrono::minutes(1)};            // sliding window
//   ratelimit::Limit burst{.count = 30, .window = std::chrono::minutes(1),
//                          .algorithm = ratelimit::Algorithm::kGcra};                   // smooth, burst 30
//
// Algorithms (docs/ratelimit.md):
//   kSlidingWindow — the sliding-window counter: fixed windows aligned on multiples of `window` since the
//     epoch; a check weighs the previous window's count by the part of it still inside the sliding window
//     (prev * (window - elapsed) / window + current). Two integers of state per key.
//   kGcra — the generic cell rate algorithm (a leaky bucket as a theoretical arrival time): one unit every
//     window/count, bursts up to `count`. One number of state per key.
//
// Thread-safety: a plain value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace daira::inline v0::ratelimit {

enum class Algorithm { kSlidingWindow, kGcra };

inline std::string_view AlgorithmName(Algorithm a) {
  return a == Algorithm::kGcra ? "gcra" : "sliding_window";
}

// The algorithm AlgorithmName spells `name`, or nullopt for any other text.
inline std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  if (name == "gcra") return Algorithm::kGcra;
  if (name == "sliding_window") return Algorithm::kSlidingWindow;
  return std::nullopt;
}

struct Limit {
  // Units allowed per window (> 0).
  int64_t count = 0;
  // The window (>= 1 ms; whole milliseconds are used).
  std::chrono::milliseconds window{0};
  Algorithm algorithm = Algorithm::kSlidingWindow;
};

}  // namespace daira::inline v0::ratelimit
