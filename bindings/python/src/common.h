// Shared plumbing of the native module daira._daira: the platform core every service wrapper holds,
// the one path from absl::Status to a daira.<Code> exception, the GIL-releasing call helper, and
// conversions (ids, times) between daira's C++ types and Python objects.
//
//   auto user = core->Call([&](Platform& p) { return p.users().Get(ctx, UserId{id}); });
//   // runs with the GIL released under the core's shared lock; a non-OK status raises daira.NotFound, …
//
// Calls that take tx= go through CallIn (transaction.h) instead, which runs them in a fresh context or
// in the open transaction's; repository.h holds what every typed repository shares.
//
// Thread-safety: Core is safe from any number of Python threads. Call() takes the core's lock in shared
// mode for the duration of one daira call; Close() takes it exclusively, so a close waits for the calls
// in flight and every later call raises daira.FailedPrecondition("platform is closed"). The GIL is
// released before either lock is taken, so a thread waiting for the lock never blocks the interpreter.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <memory>
#include <optional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/platform/platform.h"
#include "daira/store/connection.h"

namespace daira::python {

namespace py = pybind11;

class TxState;  // an open database transaction (transaction.h)

// A non-OK status on its way to Python; translated into daira.<Code> by errors.cc's translator.
class StatusError : public std::exception {
 public:
  explicit StatusError(absl::Status status) : status_(std::move(status)) {}
  const absl::Status& status() const { return status_; }
  const char* what() const noexcept override { return "daira status"; }

 private:
  absl::Status status_;
};

// Raises the daira.<Code> exception for `status` (which must not be OK).
[[noreturn]] inline void Throw(absl::Status status) { throw StatusError(std::move(status)); }

template <typename T>
T Unwrap(absl::StatusOr<T> r) {
  if (!r.ok()) Throw(std::move(r).status());
  return *std::move(r);
}
inline void Unwrap(absl::Status s) {
  if (!s.ok()) Throw(std::move(s));
}

// The platform behind one daira.open(): every service wrapper shares it.
class Core {
 public:
  explicit Core(std::unique_ptr<Platform> platform, std::string backend)
      : platform_(std::move(platform)), backend_(std::move(backend)) {}
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Runs `f(Platform&)` with the GIL released and the platform guaranteed open for its duration.
  // `f` returns absl::Status or absl::StatusOr<T>; a non-OK result raises, OK returns void / T.
  template <typename F>
  auto Call(F&& f) {
    py::gil_scoped_release release;
    std::shared_lock lock(mu_);
    if (platform_ == nullptr) Throw(absl::FailedPreconditionError("platform is closed"));
    return Unwrap(f(*platform_));
  }

  // Waits for the calls in flight, rolls back every transaction still open (transaction.h), closes
  // the platform and destroys it (releasing the GIL meanwhile). Idempotent.
  void Close();
  bool closed() const;
  const std::string& backend() const { return backend_; }

  // Database transactions (transaction.h/.cc): Begin leases a write connection and opens a transaction
  // on it; End commits (or rolls back) and returns the connection. Close() rolls back any still open.
  // Forget (from ~TxState) rolls back a transaction nobody ended and unregisters it.
  std::shared_ptr<TxState> BeginTransaction(const std::shared_ptr<Core>& self, store::IsolationLevel isolation);
  absl::Status EndTransaction(TxState& tx, bool commit);
  void ForgetTransaction(TxState& tx);

 private:
  mutable std::shared_mutex mu_;
  // The transactions alive on this core (each removes itself in ~TxState). Lock order: mu_, then
  // txs_mu_, then a TxState's mutex.
  std::mutex txs_mu_;
  std::vector<TxState*> txs_;
  std::unique_ptr<Platform> platform_;  // null once closed; guarded by mu_
  std::string backend_;
};

using CorePtr = std::shared_ptr<Core>;

// The service objects Python sees (p.accounts, p.users, …): each holds the shared core, so a service
// kept after the Platform object is gone still raises "platform is closed" cleanly once closed.
struct AccountsApi { CorePtr core; };
struct UsersApi { CorePtr core; };
struct ProfilesApi { CorePtr core; };
struct SocialApi { CorePtr core; };
struct ContentApi { CorePtr core; };
struct FeedApi { CorePtr core; };
struct SearchApi { CorePtr core; };
struct TrendingApi { CorePtr core; };
// The typed repositories (repository.h binds their common reads once).
struct WalletsApi { CorePtr core; };
struct JournalApi { CorePtr core; };
struct PaymentsApi { CorePtr core; };
struct MoneyApi { CorePtr core; };  // p.money (money.cc)
// A wallet movement as the dict p.money returns (money.cc; payments_service.cc uses it too).
py::dict MovementDict(const services::Movement& m);
// daira.open(payments={provider: secret | {"secret": …, "tolerance": seconds}}) into `out`: owned
// local providers (payments_service.cc). InvalidArgument naming payments[<provider>].
void ApplyPayments(const py::dict& providers, services::PaymentsOptions& out);
// p.payments' provider flow (start_deposit, handle_webhook, settle) on the repository's class
// (payments_service.cc; called from repos_payments.cc).
void AddPaymentFlow(py::class_<PaymentsApi>& c);
struct ReportsApi { CorePtr core; };
struct ReviewsApi { CorePtr core; };
struct AuditLogsApi { CorePtr core; };
struct PostsApi { CorePtr core; };
struct VideosApi { CorePtr core; };
struct CommentsApi { CorePtr core; };
struct FollowsApi { CorePtr core; };
struct BlocksApi { CorePtr core; };
struct MutesApi { CorePtr core; };
struct ReactionsApi { CorePtr core; };
struct SessionsApi { CorePtr core; };
struct UserProfilesApi { CorePtr core; };
// The concerns beside the database (bus.cc, cache.cc).
struct BusApi { CorePtr core; };
struct CacheApi { CorePtr core; };
struct RateLimitsApi { CorePtr core; };  // rate_limits.cc
struct VectorsApi { CorePtr core; };     // vectors.cc: p.vectors
// daira.open(rate_limits={endpoint: (count, window_seconds[, algorithm])}) into `out` (rate_limits.cc).
void ApplyRateLimits(const py::dict& limits, PlatformRateLimitOptions& out);
struct RealtimeApi { CorePtr core; };  // realtime.cc
struct PresenceApi { CorePtr core; };
struct TypingApi { CorePtr core; };
struct ChatApi { CorePtr core; };           // chat.cc
struct NotificationsApi { CorePtr core; };  // chat.cc
// Moderation and the audit log as services (moderation_service.cc).
struct ModerationServiceApi { CorePtr core; };
struct AuditApi { CorePtr core; };

// A fresh per-call request context.
inline RequestContext Ctx() { return RequestContext(); }

// Times cross as timezone-aware UTC datetime.datetime (microsecond precision).
py::object ToDatetime(Clock::TimePoint t);
py::object ToDatetime(const std::optional<Clock::TimePoint>& t);
// Accepts an aware datetime (any zone) or a naive one taken as UTC.
Clock::TimePoint FromDatetime(const py::handle& dt);

// repr helpers: Python's repr() of a value, "None" for an empty optional.
std::string Repr(const py::handle& h);
template <typename T>
  requires(!std::is_base_of_v<py::handle, T>)
std::string Repr(const T& v) {
  return Repr(py::cast(v));
}

}  // namespace daira::python
