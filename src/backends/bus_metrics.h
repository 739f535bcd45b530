// The bus's run-time metrics (bus::Queue::Metrics, docs/bus.md "Metrics"): how a finished attempt is
// turned into histogram samples, shared by every bus backend (memory, SQL in src/bus, Redis) so they
// all bucket alike. Here, under the bus layer, so the backends may include it.
//
// Per queue and per minute of the queue clock (minute = unix µs / 60e6, the minute the attempt ended),
// three series of kLatencyBuckets counters:
//   'w'  due → start: started_at − run_at (run_at as it was while the attempt ran);
//   'c'  start → finish of a completed attempt;
//   'f'  start → finish of a failed attempt (Fail: retried, dead, or a cancel-requested job ending).
// The counts of completed / failed attempts are the sums of 'c' / 'f'. An attempt whose start is not
// known (claimed before the bus recorded started_at) counts in bucket 0 of 'c' / 'f' and adds no 'w'.
// Bucket b holds values in [LatencyBucketLow(b), LatencyBucketLow(b + 1)): b = 0 under 100 µs, then
// half-octaves (×√2) from 100 µs, the last bucket open-ended (from about 56 minutes).
//
// Thread-safety: plain functions and values.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "daira/bus/queue.h"
#include "daira/core/clock.h"

namespace daira::inline v0::backends {

inline constexpr int kLatencyBuckets = 52;
// Minutes of metrics a backend keeps (Queue::Metrics accepts windows up to kMetricsMaxWindow).
inline constexpr int64_t kMetricsKeepMinutes = 62;
inline constexpr int64_t kMetricsMaxWindow = 60;

// The lower bound of bucket `b` in µs (0 for b = 0): round(100 · 2^((b − 1) / 2)) for b ≥ 1.
int64_t LatencyBucketLow(int b);
// The bucket of a latency of `micros` (negative counts as 0).
int LatencyBucket(int64_t micros);
// "{100,141,200,...}": the bounds of buckets 1..kLatencyBuckets-1 as a Lua table (the Redis scripts
// bucket in the server, with the same integer comparisons).
std::string LatencyBoundsLua();

inline int64_t MetricsMinute(Clock::TimePoint t) { return ToUnixMicros(t) / 60000000; }

// Samples of finished attempts aggregated before one write: (queue, minute, series, bucket) → count.
class MetricsDelta {
 public:
  using Key = std::tuple<std::string, int64_t, char, int>;
  // One finished attempt of `queue` that ended at `finished`: due at `run_at`, started at `started`
  // (epoch: unknown).
  void Add(const std::string& queue, Clock::TimePoint run_at, Clock::TimePoint started,
           Clock::TimePoint finished, bool failed);
  bool empty() const { return counts_.empty(); }
  const std::map<Key, int64_t>& counts() const { return counts_; }

 private:
  std::map<Key, int64_t> counts_;
};

// Adds one (series, bucket, n) to `h` (series 'w', 'c' or 'f'; anything else is ignored).
void AddToHistograms(bus::MetricHistograms& h, char series, int bucket, int64_t n);
bus::MetricHistograms EmptyHistograms();

// The percentile `p` (0 < p ≤ 1) of a histogram as its bucket's upper bound (the lower bound for the
// open last bucket); 0 when it is empty.
std::chrono::microseconds Percentile(const std::vector<int64_t>& buckets, double p);

}  // namespace daira::inline v0::backends
