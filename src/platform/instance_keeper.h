// Private: what a Platform keeps alive so several instances can share one database — its node id
// lease (bound to the platform's IdGenerator) and its cursor keys (installed in the platform's
// CursorCodec) — plus the background thread that renews the one and re-reads the other.
//
// Thread-safety: Beat() and Stop() are safe from any thread; Beat calls are serialized.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/id.h"
#include "daira/query/cursor.h"
#include "daira/store/database.h"
#include "daira/store/node_lease.h"

namespace daira::inline v0::internal {

struct InstanceKeeperOptions {
  // Lease a node id for `ids` (null: the caller supplied its own generator; no lease).
  IdGenerator* ids = nullptr;
  int node_id = -1;                             // >= 0: claim this configured node id instead of leasing
  // Key `codec` from the database's cursor_keys (null: a configured key; nothing to load).
  query::CursorCodec* codec = nullptr;
  std::chrono::milliseconds ttl{30000};
  std::chrono::milliseconds heartbeat{10000};
  std::chrono::milliseconds grace{std::chrono::hours(24 * 7)};
  const Clock* clock = nullptr;                 // null: Clock::System()
};

class InstanceKeeper {
 public:
  // Takes the lease (or claims the configured node id) and binds `ids` to it, ensures and loads the
  // cursor keys into `codec`, then starts the heartbeat thread. Errors: those of NodeLease::Acquire /
  // Claim and CursorKeys (ResourceExhausted: no node id free; FailedPrecondition: configured node id in
  // use, or the database lacks migration 012).
  static absl::StatusOr<std::unique_ptr<InstanceKeeper>> Start(store::Database& db, const InstanceKeeperOptions& options);
  ~InstanceKeeper();
  InstanceKeeper(const InstanceKeeper&) = delete;
  InstanceKeeper& operator=(const InstanceKeeper&) = delete;

  // One heartbeat now: renews the lease (re-taking a fresh one when it was lost) and re-reads the
  // cursor keys. Returns the first error (the lease stays bound until its validity ends).
  absl::Status Beat();
  // Stops the thread (waking it at once), then releases the lease — except in a fork()ed child, which
  // never touches its parent's lease. Idempotent.
  void Stop();
  // The node id held now (-1 without a lease).
  int node_id() const;

 private:
  InstanceKeeper(store::Database& db, const InstanceKeeperOptions& options);
  absl::Status BeatLocked();
  absl::Status LoadKeys();
  void Bind();
  void Run();
  void Nudge();

  store::Database& db_;
  const InstanceKeeperOptions options_;
  const Clock* clock_;
  const long owner_pid_;
  mutable std::mutex beat_mu_;                  // serializes Beat / Stop's release
  std::optional<store::NodeLease> lease_;       // guarded by beat_mu_
  std::mutex mu_;                               // guards the flags below
  std::condition_variable cv_;
  bool stop_ = false;
  bool nudged_ = false;
  std::thread thread_;
};

}  // namespace daira::inline v0::internal
