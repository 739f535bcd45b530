// The per-request context: correlation id, caller, deadline, and per-request accounting.
//
//   daira::RequestContext ctx;                              // fresh correlation id, no deadline
//   daira::RequestContext ctx2({.correlation_id = "req-42", .caller = "user:7",
//                               .timeout = std::chrono::milliseconds(200)});
//   db->Execute(ctx2, "SELECT 1");                          // SQL comment / logs carry "req-42"
//   ctx2.statements();                                      // statements run so far for this request
//
// A context is cheap to copy; copies share the accounting (statement count, last write position)
// so one request's work adds up wherever the context travels.
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

#include "absl/status/status.h"

namespace daira::inline v0 {

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

  // For the store layer: the connection of the transaction this request has open, or null. A nested
  // Database::RunInTransaction with the same context joins that transaction instead of opening a
  // second one. Opaque here (core knows nothing of connections). A request's open transaction belongs
  // to the thread that opened it: do not share a context across threads while one is open.
  void* open_transaction() const { return shared_->open_transaction; }
  void set_open_transaction(void* connection) const { shared_->open_transaction = connection; }

 private:
  struct Shared {
    std::string correlation_id;
    std::string caller;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::atomic<int64_t> statements{0};
    mutable std::mutex mu;
    std::string last_write_position;  // guarded by mu
    void* open_transaction = nullptr;  // see open_transaction()
  };
  std::shared_ptr<Shared> shared_;
};

}  // namespace daira::inline v0
