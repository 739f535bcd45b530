// ConnectionLease: returns its connection to the pool, rolling back a transaction left open.

#include <string>
#include <utility>

#include "daira/core/logging.h"
#include "daira/store/connection_lease.h"

namespace daira::inline v0::store {

ConnectionLease& ConnectionLease::operator=(ConnectionLease&& o) noexcept {
  if (this != &o) {
    Reset();
    owner_ = o.owner_;
    conn_ = o.conn_;
    o.conn_ = nullptr;
  }
  return *this;
}

void ConnectionLease::Reset() {
  Connection* conn = conn_;
  if (conn == nullptr) return;
  conn_ = nullptr;
  if (conn->InTransaction() && !conn->IsBroken()) {
    // A transaction left open (an early return, a forgotten Commit) must not leak into the next
    // borrower. If the rollback fails the pool sees InTransaction()/IsBroken() and discards it.
    absl::Status st = conn->Rollback();
    if (!st.ok()) Log(LogLevel::kWarning, "store", std::string("lease: rollback on release failed: ") +
                                                       std::string(st.message()));
  }
  owner_->Release(conn);
}

}  // namespace daira::inline v0::store
