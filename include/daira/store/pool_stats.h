// Statistics of one pooled endpoint (the Postgres primary, a replica, SQLite's writer or readers).
//
//   for (const store::PoolStats& s : db->Stats()) {
//     std::printf("%s: %d open, %d in use, p99 acquire %lld us\n", s.endpoint.c_str(), s.open, s.in_use,
//                 static_cast<long long>(s.acquire_p99_us));
//   }
//
// A snapshot: counters since the pool opened, gauges at the time of the call.
#pragma once

#include <cstdint>
#include <string>

namespace daira::inline v0::store {

struct PoolStats {
  std::string endpoint;     // redacted URL
  int open = 0;             // connections open now
  int in_use = 0;           // leased now
  int idle = 0;             // open and not leased
  int64_t acquires = 0;     // successful leases
  int64_t waits = 0;        // leases that had to wait for a connection
  int64_t timeouts = 0;     // leases that gave up (ResourceExhausted)
  int64_t created = 0;      // connections opened over the pool's life
  int64_t discarded = 0;    // connections closed as broken, failed validation, or idle
  int64_t statements = 0;   // statements executed through leases
  int64_t errors = 0;       // statements that failed
  int64_t slow_statements = 0;
  int64_t acquire_p50_us = 0;  // lease latency percentiles over recent acquires
  int64_t acquire_p99_us = 0;
};

}  // namespace daira::inline v0::store
