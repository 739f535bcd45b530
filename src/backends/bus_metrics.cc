#include "backends/bus_metrics.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace daira::inline v0::backends {

namespace {

const std::array<int64_t, kLatencyBuckets>& Bounds() {
  static const std::array<int64_t, kLatencyBuckets> bounds = [] {
    std::array<int64_t, kLatencyBuckets> b{};
    b[0] = 0;
    for (int i = 1; i < kLatencyBuckets; ++i) b[i] = std::llround(100.0 * std::pow(2.0, (i - 1) / 2.0));
    return b;
  }();
  return bounds;
}

}  // namespace

int64_t LatencyBucketLow(int b) { return Bounds()[std::clamp(b, 0, kLatencyBuckets - 1)]; }

int LatencyBucket(int64_t micros) {
  const auto& b = Bounds();
  // The number of bounds (buckets 1..) at or below `micros`.
  return static_cast<int>(std::upper_bound(b.begin() + 1, b.end(), micros) - (b.begin() + 1));
}

std::string LatencyBoundsLua() {
  std::string out = "{";
  for (int i = 1; i < kLatencyBuckets; ++i) {
    if (i > 1) out += ",";
    out += std::to_string(Bounds()[i]);
  }
  return out + "}";
}

void MetricsDelta::Add(const std::string& queue, Clock::TimePoint run_at, Clock::TimePoint started,
                       Clock::TimePoint finished, bool failed) {
  const int64_t minute = MetricsMinute(finished);
  const char series = failed ? 'f' : 'c';
  if (started == Clock::TimePoint{}) {
    ++counts_[{queue, minute, series, 0}];
    return;
  }
  if (run_at != Clock::TimePoint{}) {
    ++counts_[{queue, minute, 'w', LatencyBucket(ToUnixMicros(started) - ToUnixMicros(run_at))}];
  }
  ++counts_[{queue, minute, series, LatencyBucket(ToUnixMicros(finished) - ToUnixMicros(started))}];
}

bus::MetricHistograms EmptyHistograms() {
  bus::MetricHistograms h;
  h.wait.assign(kLatencyBuckets, 0);
  h.completed.assign(kLatencyBuckets, 0);
  h.failed.assign(kLatencyBuckets, 0);
  return h;
}

void AddToHistograms(bus::MetricHistograms& h, char series, int bucket, int64_t n) {
  if (bucket < 0 || bucket >= kLatencyBuckets) return;
  std::vector<int64_t>* v = series == 'w'   ? &h.wait
                            : series == 'c' ? &h.completed
                            : series == 'f' ? &h.failed
                                            : nullptr;
  if (v == nullptr) return;
  if (v->size() < static_cast<size_t>(kLatencyBuckets)) v->resize(kLatencyBuckets, 0);
  (*v)[bucket] += n;
}

std::chrono::microseconds Percentile(const std::vector<int64_t>& buckets, double p) {
  int64_t total = 0;
  for (int64_t n : buckets) total += n;
  if (total <= 0) return std::chrono::microseconds(0);
  const int64_t target =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(p * static_cast<double>(total))));
  int64_t seen = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    seen += buckets[b];
    if (seen >= target) {
      const int i = static_cast<int>(b);
      return std::chrono::microseconds(i + 1 < kLatencyBuckets ? LatencyBucketLow(i + 1)
                                                               : LatencyBucketLow(i));
    }
  }
  return std::chrono::microseconds(LatencyBucketLow(kLatencyBuckets - 1));
}

}  // namespace daira::inline v0::backends
