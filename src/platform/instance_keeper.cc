#include "platform/instance_keeper.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/store/cursor_keys.h"

namespace daira::inline v0::internal {
namespace {

RequestContext KeeperContext(std::chrono::milliseconds budget) {
  return RequestContext({.correlation_id = "", .caller = "platform:instance", .timeout = budget});
}

}  // namespace

InstanceKeeper::InstanceKeeper(store::Database& db, const InstanceKeeperOptions& options)
    : db_(db),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::System()),
      owner_pid_(static_cast<long>(::getpid())) {}

absl::StatusOr<std::unique_ptr<InstanceKeeper>> InstanceKeeper::Start(store::Database& db,
                                                                      const InstanceKeeperOptions& options) {
  std::unique_ptr<InstanceKeeper> k(new InstanceKeeper(db, options));
  // Open is not bounded by the heartbeat: a first statement on a cold pool may take a while.
  RequestContext ctx = KeeperContext(std::chrono::milliseconds(0));
  if (options.ids != nullptr) {
    const store::NodeLeaseOptions lo{.ttl = options.ttl, .clock = k->clock_};
    absl::StatusOr<store::NodeLease> lease = options.node_id >= 0
                                                 ? store::NodeLease::Claim(db, ctx, options.node_id, lo)
                                                 : store::NodeLease::Acquire(db, ctx, lo);
    if (!lease.ok()) return lease.status();
    std::lock_guard lock(k->beat_mu_);
    k->lease_ = *std::move(lease);
    k->Bind();
  }
  if (options.codec != nullptr) {
    DAIRA_RETURN_IF_ERROR(store::CursorKeys::Ensure(db, ctx, k->clock_));
    DAIRA_RETURN_IF_ERROR(k->LoadKeys());
  }
  if (options.ids != nullptr) {
    InstanceKeeper* self = k.get();
    options.ids->SetLapseListener([self] { self->Nudge(); });
  }
  k->thread_ = std::thread([self = k.get()] { self->Run(); });
  return k;
}

InstanceKeeper::~InstanceKeeper() { Stop(); }

int InstanceKeeper::node_id() const {
  std::lock_guard lock(beat_mu_);
  return lease_.has_value() ? lease_->node_id() : -1;
}

void InstanceKeeper::Bind() {
  // Ids stop a quarter of the TTL before the lease can expire in the database: that margin absorbs
  // clock differences between hosts and a heartbeat statement still in flight.
  const Clock::TimePoint valid_until = lease_->renewed_at() + options_.ttl - options_.ttl / 4;
  options_.ids->AssignNode(lease_->node_id(), valid_until, lease_->previous_expiry());
}

absl::Status InstanceKeeper::LoadKeys() {
  RequestContext ctx = KeeperContext(options_.heartbeat);
  DAIRA_ASSIGN_OR_RETURN(std::vector<store::CursorKey> keys,
                         store::CursorKeys::Load(db_, ctx, clock_->Now(), options_.grace));
  if (keys.empty()) return absl::FailedPreconditionError("platform: cursor keys: the cursor_keys table is empty");
  std::vector<std::string> older;
  for (size_t i = 1; i < keys.size(); ++i) older.push_back(keys[i].secret);
  return options_.codec->Rekey(keys.front().secret, older);
}

absl::Status InstanceKeeper::Beat() {
  std::lock_guard lock(beat_mu_);
  return BeatLocked();
}

absl::Status InstanceKeeper::BeatLocked() {
  absl::Status first;
  if (lease_.has_value() && lease_->node_id() >= 0) {
    RequestContext ctx = KeeperContext(options_.heartbeat);
    absl::Status renewed = lease_->Renew(db_, ctx);
    if (renewed.ok()) {
      const Clock::TimePoint valid_until = lease_->renewed_at() + options_.ttl - options_.ttl / 4;
      options_.ids->ExtendNode(valid_until);
    } else if (absl::IsAborted(renewed)) {
      // Lost: another instance took the node id after our lease expired (a long pause, a partition).
      // Stop issuing ids under it at once, then take a fresh lease (or the configured id again).
      const int lost = lease_->node_id();
      options_.ids->RevokeNode(absl::UnavailableError(
          absl::StrCat("id generator: the lease on node_id ", lost, " was lost; taking a new one")));
      Log(LogLevel::kWarning, "platform", ToStd(renewed.message()));
      const store::NodeLeaseOptions lo{.ttl = options_.ttl, .clock = clock_};
      absl::StatusOr<store::NodeLease> fresh = options_.node_id >= 0
                                                   ? store::NodeLease::Claim(db_, ctx, options_.node_id, lo)
                                                   : store::NodeLease::Acquire(db_, ctx, lo);
      if (fresh.ok()) {
        lease_ = *std::move(fresh);
        Bind();
        Log(LogLevel::kWarning, "platform",
            absl::StrCat("node lease: now issuing ids under node_id ", lease_->node_id(), " (was ", lost, ")"));
      } else {
        options_.ids->RevokeNode(absl::Status(
            absl::IsFailedPrecondition(fresh.status()) ? absl::StatusCode::kFailedPrecondition
                                                        : absl::StatusCode::kUnavailable,
            absl::StrCat("id generator: the lease on node_id ", lost,
                         " was lost and no new one could be taken: ", fresh.status().message())));
        first = fresh.status();
      }
    } else {
      // Unconfirmed (database unreachable): the binding lapses by itself at its validity's end.
      Log(LogLevel::kWarning, "platform", absl::StrCat("node lease: heartbeat failed: ", renewed.message()));
      first = renewed;
    }
  }
  if (options_.codec != nullptr) {
    absl::Status keys = LoadKeys();
    if (!keys.ok()) {
      Log(LogLevel::kWarning, "platform", absl::StrCat("cursor keys: refresh failed: ", keys.message()));
      if (first.ok()) first = keys;
    }
  }
  return first;
}

void InstanceKeeper::Nudge() {
  {
    std::lock_guard lock(mu_);
    nudged_ = true;
  }
  cv_.notify_all();
}

void InstanceKeeper::Run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.heartbeat, [&] { return stop_ || nudged_; });
      if (stop_) return;
      nudged_ = false;
    }
    (void)Beat();  // errors are logged; the binding lapses by itself if they persist
  }
}

void InstanceKeeper::Stop() {
  const bool in_fork_child = static_cast<long>(::getpid()) != owner_pid_;
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    if (in_fork_child) {
      thread_.detach();  // the thread exists only in the parent: nothing to join here
    } else {
      thread_.join();
    }
  }
  if (options_.ids != nullptr) options_.ids->SetLapseListener(nullptr);
  std::lock_guard lock(beat_mu_);
  if (lease_.has_value() && !in_fork_child) {
    options_.ids->RevokeNode(absl::FailedPreconditionError("id generator: the platform was closed"));
    RequestContext ctx = KeeperContext(std::chrono::milliseconds(2000));
    absl::Status released = lease_->Release(db_, ctx);
    if (!released.ok()) {
      Log(LogLevel::kWarning, "platform",
          absl::StrCat("node lease: release of node_id ", lease_->node_id(), " failed (it expires by itself): ",
                       released.message()));
    }
  }
  lease_.reset();
}

}  // namespace daira::inline v0::internal
