// 64-bit time-ordered ids, unique across threads and processes.
//
//   daira::IdGenerator ids;                 // node id from the process (pid + random), system clock
//   int64_t a = ids.Next(), b = ids.Next(); // a < b, always
//   daira::IdParts p = daira::DecodeId(a);  // p.unix_millis, p.node, p.sequence
//   absl::StatusOr<int64_t> c = ids.TryNext();  // fails instead when the node id is not ours (below)
//
// Layout (most significant first): 1 zero sign bit | 41 bits milliseconds since 2024-01-01 UTC |
// 10 bits node id | 12 bits sequence. Sorting ids sorts by creation time, so "newest first" and keyset
// cursors need no extra column. When the wall clock steps back, the generator keeps using its last
// timestamp (borrowing sequence space) so ids stay monotonic; 4096 ids per millisecond per node.
//
// Uniqueness across processes rests on the node id. A derived node id (the default) is random, unique
// only by chance (two of N processes collide with probability ~N²/2048). daira::Platform instead leases
// its node id from the database (store::NodeLease) and binds the generator to the lease with
// AssignNode/ExtendNode/RevokeNode: ids are issued under a leased node only until the lease's validity
// ends; after that (a missed heartbeat, a lost lease, a revoked one) TryNext fails until the keeper
// renews or re-takes a lease, and Next falls back to a random other node (logged as an ERROR).
//
// fork(): a child process never issues ids under its parent's node id. A derived generator picks a
// new random node id (other than the parent's) in the child; a leased or configured one refuses in the
// child (TryNext → FailedPrecondition; the child must open its own Platform, which leases its own).
//
// Thread-safety: Next()/TryNext() are safe from any thread (lock-free unless the node is not valid);
// the lease-binding methods are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"

namespace daira::inline v0 {

inline constexpr int64_t kIdEpochUnixMillis = 1704067200000;  // 2024-01-01T00:00:00Z
inline constexpr int kIdNodeBits = 10;
inline constexpr int kIdSequenceBits = 12;

struct IdGeneratorOptions {
  // Node id in [0, 1023]. -1 (default) derives one from the process id and random bits, so two
  // processes on one machine differ. Deployments with many hosts should assign node ids explicitly.
  int node_id = -1;
  // Time source; null means Clock::System(). Not owned; must outlive the generator.
  const Clock* clock = nullptr;
};

struct IdParts {
  int64_t unix_millis;
  int node;
  int sequence;
};

class IdGenerator {
 public:
  // An out-of-range node_id (not -1 and not in [0, 1023]) is ignored here and a derived one is used
  // instead; use Create() to have it rejected.
  explicit IdGenerator(const IdGeneratorOptions& options = {});
  // Validates `options`: InvalidArgument when node_id is neither -1 nor in [0, 1023].
  static absl::StatusOr<std::unique_ptr<IdGenerator>> Create(const IdGeneratorOptions& options);
  // The next id: strictly greater than every id this generator returned before. Never fails: when
  // TryNext would fail, the id is issued under a random node id other than the generator's own
  // (unique only by chance, as before node leases) and an ERROR is logged once per such episode.
  int64_t Next();
  // The next id, or why this generator must not issue one now: Unavailable when its node lease was
  // not renewed in time (or was lost and no new one is held yet; retry shortly), FailedPrecondition
  // in a fork()ed child of the process that holds the leased/configured node id, or the status given
  // to RevokeNode.
  absl::StatusOr<int64_t> TryNext();
  int node_id() const { return node_.load(std::memory_order_acquire); }
  // A process-wide generator (never null).
  static IdGenerator* Default();

  // ---- Binding to a node lease (daira::Platform's lease keeper; see store/node_lease.h) ----
  // Issues ids under `node_id` (in [0, 1023]) from now on, until `valid_until` on this generator's
  // clock, and only in milliseconds after `not_before` (when the node id's previous holder stopped:
  // NodeLease::previous_expiry()). Every id issued after the switch sorts after every id issued before.
  void AssignNode(int node_id, Clock::TimePoint valid_until, Clock::TimePoint not_before = {});
  // Moves the end of the current node's validity (after a successful heartbeat).
  void ExtendNode(Clock::TimePoint valid_until);
  // Stops issuing ids under the current node: TryNext returns `why` until the next AssignNode.
  void RevokeNode(absl::Status why);
  // Called (on the calling thread, at most once per lapse) when TryNext finds the validity ended, so
  // the keeper can renew at once. Set it before ids are issued; null clears it.
  void SetLapseListener(std::function<void()> listener);

 private:
  int64_t Compose(int64_t now_ms, int node);
  void BumpMillisecond();
  absl::Status ForkedChild();

  const Clock* clock_;
  std::atomic<int> node_;
  std::atomic<int64_t> last_;  // last (millis << 12 | sequence) handed out
  // Lease binding. valid_until_us_ is INT64_MAX while the generator is not bound to a lease.
  std::atomic<int64_t> valid_until_us_;
  std::atomic<bool> revoked_{false};
  std::atomic<bool> lapse_reported_{false};
  std::atomic<uint64_t> fork_generation_;  // the process's fork generation the node belongs to
  std::atomic<bool> derived_;              // node id picked at random (may be re-picked in a fork child)
  std::mutex mu_;                          // guards the fields below and slow-path switches
  absl::Status revoked_status_;
  std::function<void()> lapse_listener_;
  int fallback_node_ = -1;                 // Next()'s stand-in node while TryNext fails
};

IdParts DecodeId(int64_t id);

}  // namespace daira::inline v0
