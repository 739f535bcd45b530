// The per-request context: correlation id, caller, deadline, and per-request accounting.
//
//   daira::RequestContext ctx;                              // fresh correlation id, no deadline
//   daira::RequestContext ctx2({.correlation_id = "req-42", .caller = "user:7",
//                               .timeout = std::chrono::milliseconds(200)});
//   db->Execute(ctx2, "SELECT 1");                          // SQL comment / logs carry "req-42"
//   ctx2.statements();                                      // statements run so far for this request
//
// A context is cheap to copy; copies share the accounting (statement count, last write position)
// so one request's work adds up wherever the context travels. An open transaction is bound to one
// context object only, never to its copies (see open_transaction()).
//
// Thread-safety: const methods are safe from any thread; the shared accounting is atomic/locked.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"

namespace daira::inline v0 {

namespace store {
class OpenTransaction;  // daira/store/open_transaction.h; opaque to core
}  // namespace store

struct RequestContextOptions {
  // Correlation id that tags logs, SQL comments and events. Empty: a random 16-hex-digit id.
  std::string correlation_id{};
  // Who is calling ("user:42", "worker:transcode"); free-form, for logs and audit. Default empty.
  std::string caller{};
  // Time budget from construction. Zero (default) means no deadline.
  std::chrono::milliseconds timeout{0};
};

class RequestContext {
 public:
  RequestContext();
  explicit RequestContext(const RequestContextOptions& options);

  const std::string& correlation_id() const { return shared_->correlation_id; }
  const std::string& caller() const { return shared_->caller; }
  // The deadline, if any (steady clock).
  std::optional<std::chrono::steady_clock::time_point> deadline() const { return shared_->deadline; }
  // OK, or DeadlineExceeded naming `op` when the deadline has passed.
  absl::Status CheckDeadline(std::string_view op) const;

  // Statements executed on behalf of this request (all copies together).
  int64_t statements() const { return shared_->statements.load(std::memory_order_relaxed); }
  void CountStatements(int64_t n) const { shared_->statements.fetch_add(n, std::memory_order_relaxed); }

  // Read-your-writes: the primary's write position (e.g. a Postgres LSN) after this request's last
  // committed write, or "" if it wrote nothing. Reads routed to a replica check it has replayed this.
  std::string last_write_position() const;
  void NoteWritePosition(std::string position) const;

  // The transaction bound to this context object, or null. Only the store layer binds one
  // (Database::RunInTransaction, store::Transaction::Begin(db, ctx, …)), through a TransactionBinding
  // that lives exactly as long as the call or transaction; while it is bound, every statement run with
  // this context object (services, repositories, Database::Execute/Read, a nested RunInTransaction)
  // runs inside that transaction. COPIES AND MOVES OF A CONTEXT NEVER CARRY THE BINDING: a copy handed
  // to another thread works outside the transaction instead of racing on its connection.
  store::OpenTransaction* open_transaction() const { return binding_.tx; }
  // OK when no transaction is bound or it was bound on the calling thread; FailedPrecondition naming
  // `op` when another thread uses this very object while its transaction is open.
  absl::Status CheckTransactionThread(std::string_view op) const;

  // RAII: binds `tx` to `ctx` for the binding's lifetime on the constructing thread, then restores
  // what was bound before (bindings nest). For the store layer and host-language bindings.
  class TransactionBinding {
   public:
    TransactionBinding(const RequestContext& ctx, store::OpenTransaction* tx);
    ~TransactionBinding();
    TransactionBinding(const TransactionBinding&) = delete;
    TransactionBinding& operator=(const TransactionBinding&) = delete;

   private:
    const RequestContext& ctx_;
    struct Saved {
      store::OpenTransaction* tx;
      std::thread::id thread;
    } saved_;
  };

  RequestContext(const RequestContext& other) : shared_(other.shared_) {}
  RequestContext(RequestContext&& other) noexcept : shared_(std::move(other.shared_)) {}
  RequestContext& operator=(const RequestContext& other) {
    shared_ = other.shared_;
    return *this;
  }
  RequestContext& operator=(RequestContext&& other) noexcept {
    shared_ = std::move(other.shared_);
    return *this;
  }

 private:
  struct Shared {
    std::string correlation_id;
    std::string caller;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::atomic<int64_t> statements{0};
    mutable std::mutex mu;
    std::string last_write_position;  // guarded by mu
  };
  struct Binding {
    store::OpenTransaction* tx = nullptr;  // see open_transaction()
    std::thread::id thread{};              // the thread that bound it
  };
  std::shared_ptr<Shared> shared_;
  mutable Binding binding_;  // this object's own; never copied (see open_transaction())
};

}  // namespace daira::inline v0
