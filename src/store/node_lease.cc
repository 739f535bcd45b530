#include "daira/store/node_lease.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "store/instance_internal.h"

namespace daira::inline v0::store {
namespace internal {

absl::StatusOr<bool> TableExists(Database& db, const RequestContext& ctx, std::string_view table) {
  absl::StatusOr<ResultSet> rs =
      db.backend() == Backend::kSqlite
          ? db.Execute(ctx, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
          : db.Execute(ctx,
                       "SELECT 1 FROM information_schema.tables "
                       "WHERE table_schema = current_schema() AND table_name = ?",
                       {table});
  if (!rs.ok()) return rs.status();
  return !rs->empty();
}

absl::Status MissingTable(std::string_view op, std::string_view table) {
  return absl::FailedPreconditionError(absl::StrCat(
      ToAbsl(op), ": table ", ToAbsl(table),
      " is missing: the database is not migrated to 012_instances (run `daira migrate` or open with migrate)"));
}

std::string RandomBytes(size_t n) {
  // sodium_init is < 0 only without an entropy source, and randombytes_buf aborts then.
  [[maybe_unused]] static const int init = sodium_init();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

}  // namespace internal

namespace {

constexpr std::string_view kTable = "instance_nodes";

int64_t RandomToken() {
  const std::string bytes = internal::RandomBytes(8);
  uint64_t u = 0;
  std::memcpy(&u, bytes.data(), sizeof u);
  return static_cast<int64_t>(u >> 1);  // positive: BIGINT without sign surprises
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// Takes `node_id` for this holder if its row is still as last seen: absent (the INSERT), or expired
// with expires_at = the value read (the UPDATE; a concurrent take or release changes it, and this take
// then does nothing). Returns a row when taken. One statement: atomic against concurrent takers on
// both backends.
constexpr std::string_view kTake =
    "INSERT INTO instance_nodes (node_id, token, source, host, pid, started_at, heartbeat_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (node_id) DO UPDATE SET token = excluded.token, source = excluded.source, host = excluded.host, "
    "pid = excluded.pid, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
    "expires_at = excluded.expires_at "
    "WHERE instance_nodes.expires_at <= ? AND instance_nodes.expires_at = ? "
    "RETURNING node_id";

constexpr int64_t kNoRow = -1;  // "seen: no row" (never equal to a stored expires_at)

struct Holder {
  std::string host;
  int64_t pid;
};

Holder HolderOf(const NodeLeaseOptions& options) {
  return Holder{options.host.empty() ? HostName() : options.host,
                options.pid != 0 ? options.pid : static_cast<int64_t>(::getpid())};
}

absl::Status CheckOptions(std::string_view op, const NodeLeaseOptions& options) {
  if (options.ttl <= std::chrono::milliseconds(0)) {
    return InvalidField(op, "ttl", absl::StrCat("must be > 0 ms (got ", options.ttl.count(), ")"));
  }
  return absl::OkStatus();
}

absl::Status RequireTable(Database& db, const RequestContext& ctx, std::string_view op) {
  DAIRA_ASSIGN_OR_RETURN(bool exists, internal::TableExists(db, ctx, kTable));
  if (!exists) return internal::MissingTable(op, kTable);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<NodeLease>> NodeLease::TryTake(Database& db, const RequestContext& ctx, int node_id,
                                                             int64_t seen_expiry, bool configured,
                                                             const NodeLeaseOptions& options) {
  const Clock* clock = options.clock != nullptr ? options.clock : Clock::System();
  const Holder holder = HolderOf(options);
  const Clock::TimePoint now = clock->Now();
  const int64_t now_us = ToUnixMicros(now);
  NodeLease lease;
  lease.clock_ = clock;
  lease.ttl_ = options.ttl;
  lease.node_id_ = node_id;
  lease.token_ = RandomToken();
  lease.configured_ = configured;
  lease.renewed_at_ = now;
  lease.expires_at_ = now + options.ttl;
  if (seen_expiry != kNoRow) lease.previous_expiry_ = FromUnixMicros(seen_expiry);
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, db.Execute(ctx, kTake,
                                                  {int64_t{node_id}, lease.token_, configured ? "CONFIGURED" : "LEASED",
                                                   holder.host, holder.pid, now_us, now_us,
                                                   ToUnixMicros(lease.expires_at_), now_us, seen_expiry}));
  if (rs.empty()) return std::optional<NodeLease>();
  return std::optional<NodeLease>(std::move(lease));
}

absl::StatusOr<NodeLease> NodeLease::Acquire(Database& db, const RequestContext& ctx,
                                             const NodeLeaseOptions& options) {
  constexpr char kOp[] = "node lease: acquire";
  DAIRA_RETURN_IF_ERROR(CheckOptions(kOp, options));
  DAIRA_RETURN_IF_ERROR(RequireTable(db, ctx, kOp));
  const Clock* clock = options.clock != nullptr ? options.clock : Clock::System();
  std::mt19937_64 rng(static_cast<uint64_t>(RandomToken()));
  // Each attempt reads the live node ids and tries one free id at random; a lost race (another taker
  // got it between the read and the insert) just tries again with a fresh read.
  constexpr int kMaxAttempts = 64;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const int64_t now_us = ToUnixMicros(clock->Now());
    DAIRA_ASSIGN_OR_RETURN(ResultSet rows, db.Execute(ctx, "SELECT node_id, expires_at FROM instance_nodes"));
    std::vector<int64_t> seen(kNodeCount, kNoRow);
    for (const Row& r : rows) {
      const int64_t id = r.Int64(0);
      if (id >= 0 && id < kNodeCount) seen[id] = r.Int64(1);
    }
    std::vector<int> free;
    for (int i = 0; i < kNodeCount; ++i) {
      if (seen[i] <= now_us) free.push_back(i);  // no row (kNoRow) or expired
    }
    if (free.empty()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          kOp, ": every node id is held by a live instance (", kNodeCount,
          " of ", kNodeCount, " leased); stop an instance or wait for a crashed one's lease to expire"));
    }
    const int candidate = free[std::uniform_int_distribution<size_t>(0, free.size() - 1)(rng)];
    DAIRA_ASSIGN_OR_RETURN(std::optional<NodeLease> lease,
                           TryTake(db, ctx, candidate, seen[candidate], /*configured=*/false, options));
    if (lease.has_value()) return *std::move(lease);
  }
  return absl::AbortedError(absl::StrCat(kOp, ": lost the race for a free node id ", kMaxAttempts,
                                         " times in a row; retry"));
}

absl::StatusOr<NodeLease> NodeLease::Claim(Database& db, const RequestContext& ctx, int node_id,
                                           const NodeLeaseOptions& options) {
  constexpr char kOp[] = "node lease: claim";
  if (node_id < 0 || node_id >= kNodeCount) {
    return InvalidField(kOp, "node_id", absl::StrCat("must be in [0, ", kNodeCount - 1, "] (got ", node_id, ")"));
  }
  DAIRA_RETURN_IF_ERROR(CheckOptions(kOp, options));
  DAIRA_RETURN_IF_ERROR(RequireTable(db, ctx, kOp));
  const Clock* clock = options.clock != nullptr ? options.clock : Clock::System();
  // Read the row, then take it if it is still as read; a concurrent change makes the take do nothing
  // and the loop look again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int64_t now_us = ToUnixMicros(clock->Now());
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet who,
        db.Execute(ctx, "SELECT source, host, pid, expires_at FROM instance_nodes WHERE node_id = ?", {int64_t{node_id}}));
    const int64_t seen = who.empty() ? kNoRow : who.front().Int64(3);
    if (seen > now_us) {
      const Row r = who.front();
      return absl::FailedPreconditionError(absl::StrCat(
          kOp, ": node_id ", node_id, " is in use (", absl::AsciiStrToLower(r.Text(0)), " by ", r.Text(1), " pid ",
          r.Int64(2), ", lease valid for ", (seen - now_us) / 1000,
          " ms more); configure another node_id, or leave it out to lease a free one"));
    }
    DAIRA_ASSIGN_OR_RETURN(std::optional<NodeLease> lease,
                           TryTake(db, ctx, node_id, seen, /*configured=*/true, options));
    if (lease.has_value()) return *std::move(lease);
  }
  return absl::AbortedError(absl::StrCat(kOp, ": node_id ", node_id, " kept changing hands while claiming it; retry"));
}

absl::StatusOr<std::vector<NodeHolder>> NodeLease::List(Database& db, const RequestContext& ctx) {
  DAIRA_RETURN_IF_ERROR(RequireTable(db, ctx, "node lease: list"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         db.Execute(ctx,
                                    "SELECT node_id, source, host, pid, started_at, heartbeat_at, expires_at "
                                    "FROM instance_nodes ORDER BY node_id"));
  std::vector<NodeHolder> out;
  for (const Row& r : rs) {
    out.push_back(NodeHolder{.node_id = static_cast<int>(r.Int64(0)),
                             .source = r.Text(1),
                             .host = r.Text(2),
                             .pid = r.Int64(3),
                             .started_at = FromUnixMicros(r.Int64(4)),
                             .heartbeat_at = FromUnixMicros(r.Int64(5)),
                             .expires_at = FromUnixMicros(r.Int64(6))});
  }
  return out;
}

absl::Status NodeLease::Renew(Database& db, const RequestContext& ctx) {
  if (node_id_ < 0) return absl::FailedPreconditionError("node lease: renew: lease was released");
  const Clock::TimePoint now = clock_->Now();
  const Clock::TimePoint expires = now + ttl_;
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         db.Execute(ctx,
                                    "UPDATE instance_nodes SET heartbeat_at = ?, expires_at = ? "
                                    "WHERE node_id = ? AND token = ? RETURNING node_id",
                                    {ToUnixMicros(now), ToUnixMicros(expires), int64_t{node_id_}, token_}));
  if (rs.empty()) {
    return absl::AbortedError(absl::StrCat("node lease: renew: node_id ", node_id_,
                                           " was lost (taken over by another instance after it expired)"));
  }
  renewed_at_ = now;
  expires_at_ = expires;
  return absl::OkStatus();
}

absl::Status NodeLease::Release(Database& db, const RequestContext& ctx) {
  if (node_id_ < 0) return absl::OkStatus();
  // The row stays, expired at now: the next holder of this node id issues ids only in later
  // milliseconds than any this holder can have issued (previous_expiry()).
  const int64_t now_us = ToUnixMicros(clock_->Now());
  DAIRA_RETURN_IF_ERROR(db.Execute(ctx,
                                   "UPDATE instance_nodes SET heartbeat_at = ?, expires_at = ? "
                                   "WHERE node_id = ? AND token = ? AND expires_at > ?",
                                   {now_us, now_us, int64_t{node_id_}, token_, now_us})
                            .status());
  node_id_ = -1;
  return absl::OkStatus();
}

}  // namespace daira::inline v0::store
