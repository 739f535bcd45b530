// A connection leased from a Database's pool, returned when the lease is destroyed (RAII).
//
//   DAIRA_ASSIGN_OR_RETURN(store::ConnectionLease lease, db->Acquire(ctx, store::Access::kRead));
//   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, lease->Execute("SELECT 1"));
//   lease.Reset();                                  // back to the pool now (else at scope exit)
//
// Prefer store::WithConnection (database.h), which also joins the request's open transaction.
//
// Thread-safety: a lease and its connection belong to one thread at a time; the pool it returns to
// is thread-safe. The pool must outlive its leases.
#pragma once

#include "daira/store/connection.h"

namespace daira::inline v0::store {

// A leased connection, returned to its pool when destroyed. Statements run through it are counted
// against the lease's request context and the pool, and slow ones are logged with the correlation id.
class ConnectionLease {
 public:
  class Owner {  // implemented by pools
   public:
    virtual ~Owner() = default;
    virtual void Release(Connection* conn) = 0;
  };
  ConnectionLease(Owner* owner, Connection* conn) : owner_(owner), conn_(conn) {}
  ConnectionLease(ConnectionLease&& o) noexcept : owner_(o.owner_), conn_(o.conn_) { o.conn_ = nullptr; }
  ConnectionLease& operator=(ConnectionLease&& o) noexcept;
  ConnectionLease(const ConnectionLease&) = delete;
  ~ConnectionLease() { Reset(); }

  Connection* operator->() const { return conn_; }
  Connection& operator*() const { return *conn_; }
  Connection* get() const { return conn_; }
  // Returns the connection to the pool now (rolling back any open transaction).
  void Reset();

 private:
  Owner* owner_;
  Connection* conn_;
};

}  // namespace daira::inline v0::store
