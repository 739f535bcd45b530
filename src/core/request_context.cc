#include "daira/core/request_context.h"

#include <array>
#include <cstdint>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0 {
namespace {

// A random 16-hex-digit correlation id. Per-thread engine seeded once from random_device, so
// generating an id costs no syscall and needs no lock.
std::string RandomCorrelationId() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  uint64_t v = engine();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xf];
    v >>= 4;
  }
  return out;
}

}  // namespace

RequestContext::RequestContext() : RequestContext(RequestContextOptions{}) {}

RequestContext::RequestContext(const RequestContextOptions& options)
    : shared_(std::make_shared<Shared>()) {
  shared_->correlation_id =
      options.correlation_id.empty() ? RandomCorrelationId() : options.correlation_id;
  shared_->caller = options.caller;
  if (options.timeout.count() > 0) {
    shared_->deadline = std::chrono::steady_clock::now() + options.timeout;
  }
}

absl::Status RequestContext::CheckDeadline(std::string_view op) const {
  if (!shared_->deadline.has_value()) return absl::OkStatus();
  const auto now = std::chrono::steady_clock::now();
  if (now < *shared_->deadline) return absl::OkStatus();
  const auto over =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - *shared_->deadline).count();
  return absl::DeadlineExceededError(absl::StrCat(ToAbsl(op), ": request deadline exceeded by ", over,
                                                  " ms (correlation id ", shared_->correlation_id,
                                                  ")"));
}

absl::Status RequestContext::CheckTransactionThread(std::string_view op) const {
  if (binding_.tx == nullptr || binding_.thread == std::this_thread::get_id()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(ToAbsl(op),
                   ": this request context has a transaction open on another thread; give each thread "
                   "its own copy of the context (copies run outside the transaction) (correlation id ",
                   shared_->correlation_id, ")"));
}

RequestContext::TransactionBinding::TransactionBinding(const RequestContext& ctx, store::OpenTransaction* tx)
    : ctx_(ctx), saved_{ctx.binding_.tx, ctx.binding_.thread} {
  ctx.binding_.tx = tx;
  ctx.binding_.thread = std::this_thread::get_id();
}

RequestContext::TransactionBinding::~TransactionBinding() {
  ctx_.binding_.tx = saved_.tx;
  ctx_.binding_.thread = saved_.thread;
}

std::string RequestContext::last_write_position() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->last_write_position;
}

void RequestContext::NoteWritePosition(std::string position) const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->last_write_position = std::move(position);
}

}  // namespace daira::inline v0
