// Where stalled-job recovery's scan of a queue's expired leases starts ("Per-job cost, session 18" in
// docs/bus.md).
//
// Recovery reads `status = 'ACTIVE' AND lease_expires_at <= now` through jobs_active_idx (queue,
// lease_expires_at, group_key). Every claimed job leaves an entry there; once the job finished, the
// entry is dead but stays until it is killed (on a scan, once its row version is dead to every
// transaction) or vacuumed. While another session holds a transaction open neither happens, and a scan
// from the range's head walks the entry of every job whose lease has expired since that transaction
// began — each one a heap visit, once per second per queue (session 18: 3 buffers per scan while no
// lease had expired, 38,830 at 58 s under a long transaction).
//
// A scan that read its whole range at time T found every active job whose lease expired by T that it
// could see; a lease is set in the future (a claim's now + timeout, an extension's now + extension), so
// a job that later shows up active with a lease at or before T would need a claim or an extension that
// committed more than its lease length after its own clock read it, or a clock that lags this one.
// The next scan therefore starts at T − kMargin (exclusive), and every kFullScanEvery-th scan — and the
// first, and any after the clock went back, or after a scan that hit its row limit or failed — starts
// at the head, so even such a job is recovered within that many scans (about a minute at the claim
// path's once-per-second housekeeping).
//
// Thread-safety: all members may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace daira::inline v0::bus::internal {

class RecoveryFloors {
 public:
  static constexpr int64_t kMarginUs = 1'000'000;  // 1 s
  static constexpr int kFullScanEvery = 60;

  // The exclusive lower bound of the lease range a scan of `queue` at `now` (µs) reads; none: from
  // the head.
  std::optional<int64_t> Begin(std::string_view queue, int64_t now);
  // A scan begun at `now` read its whole range (fewer rows than its limit) and moved every job it
  // found: the next starts at now − kMargin. Not called when it did not (the floor stays).
  void Complete(std::string_view queue, int64_t now, bool was_full);

 private:
  struct State {
    std::optional<int64_t> floor;
    int64_t last_now = 0;
    int since_full = 0;
  };
  std::mutex mu_;
  std::map<std::string, State, std::less<>> queues_;  // guarded by mu_
};

}  // namespace daira::inline v0::bus::internal
