// Node id leases: how app instances sharing one database get distinct id-generator node ids.
//
// Every id carries a 10-bit node part (daira/core/id.h). Two processes issuing ids under the same node
// id in the same millisecond produce the same ids, so each running Platform holds a lease on its node
// id in the `instance_nodes` table (migration 012): a row naming the holder (host, pid, start time)
// with a heartbeat and an expiry. A node id is free when it has no row or its row has expired.
//
//   store::NodeLeaseOptions o{.ttl = std::chrono::seconds(30)};
//   DAIRA_ASSIGN_OR_RETURN(store::NodeLease lease, store::NodeLease::Acquire(db, ctx, o));
//   IdGenerator ids({.node_id = lease.node_id()});
//   ...                                                     // every ttl/3: lease.Renew(db, ctx)
//   lease.Release(db, ctx);                                 // at shutdown: the node id is free again
//
// Taking is atomic on both backends (one INSERT … ON CONFLICT DO UPDATE … WHERE expired … RETURNING
// statement per attempt), so concurrent takers never get the same node id. Each lease carries a random
// fencing token: Renew and Release touch the row only while it still holds that token, so a holder
// that was paused past its expiry and taken over learns it (Renew → Aborted) instead of stealing the
// row back. Expiry is judged by the `clock` of the instance taking over (wall time, microseconds):
// hosts' clocks must agree to well within the TTL.
//
// Thread-safety: NodeLease is a value owned by one holder; do not call its methods concurrently.
// The static functions are safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"

namespace daira::inline v0::store {

class Database;

struct NodeLeaseOptions {
  // How long a lease lives without a heartbeat; Renew extends it to now + ttl. Default 30 s.
  std::chrono::milliseconds ttl{30000};
  // Time source for heartbeats and expiry; null: Clock::System(). Not owned.
  const Clock* clock = nullptr;
  // Holder description stored with the lease: "" → this host's name; 0 → this process's id.
  std::string host{};
  int64_t pid = 0;
};

// One row of instance_nodes, for `daira health`-style listings and tests.
struct NodeHolder {
  int node_id = 0;
  std::string source;  // "LEASED" | "CONFIGURED"
  std::string host;
  int64_t pid = 0;
  Clock::TimePoint started_at{};
  Clock::TimePoint heartbeat_at{};
  Clock::TimePoint expires_at{};
};

class NodeLease {
 public:
  // The number of node ids: [0, kNodeCount).
  static constexpr int kNodeCount = 1024;

  // Takes a free node id (no row, or an expired one), chosen at random among the free ones.
  // ResourceExhausted when every node id is held by a live lease; FailedPrecondition when the
  // database lacks the instance_nodes table (not migrated to 012); backend errors pass through.
  static absl::StatusOr<NodeLease> Acquire(Database& db, const RequestContext& ctx, const NodeLeaseOptions& options);
  // Registers `node_id` (from configuration) as held by this instance, so no lease can take it.
  // InvalidArgument naming node_id outside [0, kNodeCount); FailedPrecondition naming the holder when
  // a live lease of another instance holds it.
  static absl::StatusOr<NodeLease> Claim(Database& db, const RequestContext& ctx, int node_id,
                                         const NodeLeaseOptions& options);
  // Every row of instance_nodes (live and expired/released: compare expires_at with now), by node id.
  static absl::StatusOr<std::vector<NodeHolder>> List(Database& db, const RequestContext& ctx);

  // Extends the lease to now + ttl. Aborted when the lease was lost (its row was taken over by
  // another instance after it expired, or deleted): the holder must stop issuing ids under it.
  // Backend errors (Unavailable, …) pass through; the lease is then unconfirmed, not lost.
  absl::Status Renew(Database& db, const RequestContext& ctx);
  // Ends the lease now if its row still holds this lease's token (never another holder's): the row
  // stays, expired, so the next holder knows when this one stopped. Idempotent.
  absl::Status Release(Database& db, const RequestContext& ctx);

  int node_id() const { return node_id_; }
  bool configured() const { return configured_; }  // Claim()ed rather than Acquire()d
  // The expiry stored by the last successful Acquire/Claim/Renew (this instance's clock).
  Clock::TimePoint expires_at() const { return expires_at_; }
  // When that last successful Acquire/Claim/Renew began (before its statement was sent).
  Clock::TimePoint renewed_at() const { return renewed_at_; }
  std::chrono::milliseconds ttl() const { return ttl_; }
  // When the previous holder's lease on this node id ended (its row's expires_at when taken over;
  // the epoch when the node id had never been held). The previous holder issued ids only before it,
  // so this holder must issue ids only in later milliseconds (IdGenerator::AssignNode's not_before).
  Clock::TimePoint previous_expiry() const { return previous_expiry_; }

 private:
  NodeLease() = default;
  // Takes `node_id` if its row is still as read (`seen_expiry`: its expiry, or no row); nullopt when
  // another taker changed it first. Shared by Acquire and Claim.
  static absl::StatusOr<std::optional<NodeLease>> TryTake(Database& db, const RequestContext& ctx, int node_id,
                                                          int64_t seen_expiry, bool configured,
                                                          const NodeLeaseOptions& options);
  const Clock* clock_ = nullptr;
  std::chrono::milliseconds ttl_{0};
  int node_id_ = -1;
  int64_t token_ = 0;
  bool configured_ = false;
  Clock::TimePoint renewed_at_{};
  Clock::TimePoint expires_at_{};
  Clock::TimePoint previous_expiry_{};
};

}  // namespace daira::inline v0::store
