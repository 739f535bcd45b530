// Private to the C ABI (bindings/c/src): the handle and error structs behind the opaque types, the
// entry-point wrapper that turns statuses and exceptions into codes, the JSON request reader and the
// record writers. Nothing here is exported (the version script keeps only daira_*).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/platform/platform.h"
#include "daira_c.h"

namespace daira::cabi {
class TxState;  // transaction.cc
}

// The opaque handle, of two kinds.
//
// A root (daira_platform_open; parent == null): the platform plus the lock that makes shutdown safe
// against calls in flight (calls hold it shared, shutdown exclusive). glibc's rwlock prefers readers,
// so under a steady stream of calls a writer could wait forever: shutdown first raises `closing`,
// which turns new calls away without touching the lock, and then waits only for the calls already in
// flight. A root also lists its open transaction handles, so shutdown can roll them back before the
// pool goes away.
//
// A transaction (daira_transaction_begin; parent == its root): `tx` holds the open transaction; every
// call made with the handle runs inside it (PlatformCall), under the root's lock and `closing` flag.
// Lock order: root.mu (shared for calls, begin and commit; exclusive for shutdown), then root.txs_mu,
// then a transaction's own mutex (TxState::mu).
struct daira_platform {
  // Both in transaction.cc, where TxState is complete.
  daira_platform();
  ~daira_platform();
  daira_platform(const daira_platform&) = delete;
  daira_platform& operator=(const daira_platform&) = delete;

  // Requests longer than this are refused before parsing (the "max_request_bytes" open option).
  size_t max_request_bytes = size_t{1} << 20;
  std::atomic<bool> closing{false};
  std::shared_mutex mu;
  std::unique_ptr<daira::Platform> platform;  // null once shut down

  // ---- transactions (transaction.cc) ----
  daira_platform* parent = nullptr;           // the root, on a transaction handle; null on a root
  std::unique_ptr<daira::cabi::TxState> tx;   // on a transaction handle only
  std::mutex txs_mu;                          // on a root: guards txs and released
  std::vector<daira_platform*> txs;           // on a root: its transaction handles not yet ended
  // On a root: daira_platform_close() ran while transaction handles were still open; the last of them
  // to end frees the root (so they never point at freed memory).
  bool released = false;

  // The root of this handle (itself for a root).
  daira_platform& root() { return parent == nullptr ? *this : *parent; }
};

struct daira_error {
  daira_code code = DAIRA_OK;
  std::string message;
  std::string field;
  std::string violations = "[]";
};

namespace daira::cabi {

// Stores `status` into `*err` per the header's rules (frees an earlier error; NULL on success) and
// returns its code.
daira_code Finish(const absl::Status& status, daira_error_t** err) noexcept;

// InvalidArgument naming `field`, with the payloads bindings read back.
absl::Status NullArgument(std::string_view op, std::string_view field);

// InvalidArgument (field "request_json") for a request over the max_request_bytes open option.
absl::Status RequestTooLarge(std::string_view op, size_t size, size_t max);

// A (data, len) text parameter as a view: NULL with len 0 is "", NULL with len > 0 is InvalidArgument.
absl::StatusOr<std::string_view> Text(std::string_view op, std::string_view param, const char* data, size_t len);

// Copies `json` into a malloc'd NUL-terminated buffer the caller frees with daira_free. Null on OOM.
char* CopyOut(const std::string& json) noexcept;

// Runs `body` (returning absl::Status) under a catch-all: nothing escapes into the host.
template <typename F>
daira_code Guarded(daira_error_t** err, F&& body) noexcept {
  try {
    return Finish(body(), err);
  } catch (const std::bad_alloc&) {
    return Finish(absl::ResourceExhaustedError("daira: out of memory"), err);
  } catch (const std::exception& e) {
    try {
      return Finish(absl::InternalError(std::string("daira: unexpected exception: ") + e.what()), err);
    } catch (...) {
      return DAIRA_INTERNAL;
    }
  } catch (...) {
    return Finish(absl::InternalError("daira: unexpected exception"), err);
  }
}

// Reads a JSON request object. Getters record the first type error (InvalidArgument naming the
// field) and return a default; Finish() then also rejects fields no getter asked for, so a typo in a
// field name is an error rather than silently ignored.
class Request {
 public:
  // Parses `text` ("" means {}): InvalidArgument naming `param` when it is not a JSON object.
  // `param` names the parameter in that message.
  static absl::StatusOr<Request> Parse(std::string_view op, std::string_view text,
                                       std::string_view param = "request_json");

  // An id: a JSON integer or a string of decimal digits. Absent or null: 0 (the service rejects it).
  int64_t Id(std::string_view field);
  std::optional<int64_t> OptId(std::string_view field);
  std::vector<int64_t> IdList(std::string_view field);
  int64_t Int(std::string_view field, int64_t fallback);
  std::optional<int64_t> OptInt(std::string_view field);
  // A JSON number (integer or not).
  std::optional<double> OptDouble(std::string_view field);
  // An array of JSON numbers (vectors.put's "embedding").
  std::optional<std::vector<double>> OptDoubleList(std::string_view field);
  std::string String(std::string_view field, std::string fallback = "");
  std::optional<std::string> OptString(std::string_view field);
  std::optional<bool> OptBool(std::string_view field);
  std::vector<std::string> StringList(std::string_view field);
  std::optional<std::vector<std::string>> OptStringList(std::string_view field);
  // An RFC 3339 time ("2026-11-29T18:04:05.123Z", any offset).
  std::optional<std::chrono::system_clock::time_point> OptTime(std::string_view field);
  // A JSON object, returned as its compact text ("metadata": {"k":1} → "{\"k\":1}").
  std::optional<std::string> OptObjectText(std::string_view field);
  // An array of JSON objects, each returned as its compact text (bus.enqueue_many's "jobs").
  std::optional<std::vector<std::string>> OptObjectListTexts(std::string_view field);
  // True when the request has `field` (any value); does not count as reading it.
  bool Has(std::string_view field) const { return root_.Get(field) != nullptr; }

  // Records `problem` about `field` as the request's error unless one is recorded already.
  void Fail(std::string_view field, std::string_view problem);

  // The first error recorded, else InvalidArgument naming a field no getter read, else OK.
  absl::Status Finish() const;
  std::string_view op() const { return op_; }

 private:
  Request(std::string_view op, JsonValue root) : op_(op), root_(std::move(root)) {}
  const JsonValue* Lookup(std::string_view field);  // marks it read; null when absent or JSON null
  std::string op_;
  JsonValue root_;
  std::vector<std::string> read_;
  absl::Status error_;
};

// A page limit read as int64 and narrowed to int: a value outside int's range is reported as given
// ("must be between 1 and 100 (got 9223372036854775807)"), not clamped to another number first.
int IntLimit(Request& r, std::string_view field, int fallback);

// Runs `fn(ctx)` inside the open transaction of the transaction handle `tx` (transaction.cc): under
// the handle's mutex, with the handle's context bound to the transaction on this thread, inside a
// SAVEPOINT — so a call that fails undoes only its own writes and the transaction stays usable (on
// Postgres too, where a failed statement would otherwise fail every later one). Returns `fn`'s status,
// else the savepoint's; FailedPrecondition naming `op` once the transaction is over. The caller holds
// the root's lock shared.
absl::Status RunInTransaction(daira_platform& tx, std::string_view op,
                              const std::function<absl::Status(const RequestContext&)>& fn);

// Rolls back every transaction of `root` still open (daira_platform_shutdown, which holds root.mu
// exclusively, before it closes the platform): a later commit on their handles is FailedPrecondition.
void RollBackTransactions(daira_platform& root);
// daira_platform_close() on a shut-down root: true when it may be freed now; false when transaction
// handles are still open — then the last of them to end frees it.
bool ReleaseRoot(daira_platform& root);

// Runs `body(platform, ctx)` (returning absl::StatusOr<std::string> of JSON) on a non-null handle:
// FailedPrecondition once it is closing or shut down, else under its root's lock held shared — and
// inside the handle's transaction when it is a transaction handle. `op` names the call in messages.
template <typename F>
absl::StatusOr<std::string> RunOnPlatform(daira_platform& handle, std::string_view op, F&& body) {
  daira_platform& root = handle.root();
  if (root.closing.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError(std::string(op) + ": platform is closed");
  }
  std::shared_lock<std::shared_mutex> lock(root.mu);
  if (root.platform == nullptr) {
    return absl::FailedPreconditionError(std::string(op) + ": platform is closed");
  }
  if (handle.parent == nullptr) {
    RequestContext ctx;
    return body(*root.platform, ctx);
  }
  absl::StatusOr<std::string> json = absl::InternalError("unreachable");
  DAIRA_RETURN_IF_ERROR(RunInTransaction(handle, op, [&](const RequestContext& ctx) -> absl::Status {
    json = body(*root.platform, ctx);
    return json.status();
  }));
  return json;
}

// The shape every platform call shares: checks the handle and the request text, runs
// `body(platform, request_text, ctx)` (returning absl::StatusOr<std::string> of JSON) through
// RunOnPlatform, and hands the JSON out. `op` names the call in messages ("social.follow").
template <typename F>
daira_code PlatformCall(daira_platform_t* handle, std::string_view op, const char* request_json,
                        size_t request_len, char** out_json, daira_error_t** err, F&& body) noexcept {
  if (out_json != nullptr) *out_json = nullptr;
  return Guarded(err, [&]() -> absl::Status {
    if (handle == nullptr) return NullArgument(op, "platform");
    daira_platform& root = handle->root();
    absl::StatusOr<std::string_view> text = Text(op, "request_json", request_json, request_len);
    if (!text.ok()) return text.status();
    if (text->size() > root.max_request_bytes)
      return RequestTooLarge(op, text->size(), root.max_request_bytes);
    absl::StatusOr<std::string> json = RunOnPlatform(
        *handle, op, [&](Platform& p, const RequestContext& ctx) { return body(p, *text, ctx); });
    if (!json.ok()) return json.status();
    if (out_json != nullptr) {
      *out_json = CopyOut(*json);
      if (*out_json == nullptr) return absl::ResourceExhaustedError(std::string(op) + ": out of memory");
    }
    return absl::OkStatus();
  });
}

// ---- typed single-id calls (daira_<call>_by_id, daira_<call>_by_id_into) ----

// ResourceExhausted naming "buf": the record (`needed` bytes) does not fit in `cap`.
absl::Status BufferTooSmall(std::string_view op, size_t cap, size_t needed);
// InvalidArgument naming "buf": a NULL buffer with a capacity above 0.
absl::Status NullBuffer(std::string_view op, size_t cap);

// daira_<call>_by_id: `body(platform, id, ctx)` with no request to parse; the record in a
// library-allocated `*out_json` (may be NULL: not wanted) and its length in `*out_len` (may be NULL).
template <typename F>
daira_code IdCall(daira_platform_t* handle, std::string_view op, int64_t id, char** out_json, size_t* out_len,
                  daira_error_t** err, F&& body) noexcept {
  if (out_json != nullptr) *out_json = nullptr;
  if (out_len != nullptr) *out_len = 0;
  return Guarded(err, [&]() -> absl::Status {
    if (handle == nullptr) return NullArgument(op, "platform");
    absl::StatusOr<std::string> json =
        RunOnPlatform(*handle, op, [&](Platform& p, const RequestContext& ctx) { return body(p, id, ctx); });
    if (!json.ok()) return json.status();
    if (out_json != nullptr) {
      *out_json = CopyOut(*json);
      if (*out_json == nullptr) return absl::ResourceExhaustedError(std::string(op) + ": out of memory");
    }
    if (out_len != nullptr) *out_len = json->size();
    return absl::OkStatus();
  });
}

// daira_<call>_by_id_into: as IdCall, with the record written into the caller's `buf` of `cap` bytes
// (no NUL added) and its length in `*len`. When it does not fit: ResourceExhausted naming "buf",
// `*len` the size needed and nothing written. `len` is required; `buf` may be NULL only with `cap` 0.
template <typename F>
daira_code IdCallInto(daira_platform_t* handle, std::string_view op, int64_t id, char* buf, size_t cap,
                      size_t* len, daira_error_t** err, F&& body) noexcept {
  if (len != nullptr) *len = 0;
  return Guarded(err, [&]() -> absl::Status {
    if (handle == nullptr) return NullArgument(op, "platform");
    if (len == nullptr) return NullArgument(op, "len");
    if (buf == nullptr && cap > 0) return NullBuffer(op, cap);
    absl::StatusOr<std::string> json =
        RunOnPlatform(*handle, op, [&](Platform& p, const RequestContext& ctx) { return body(p, id, ctx); });
    if (!json.ok()) return json.status();
    *len = json->size();
    if (json->size() > cap) return BufferTooSmall(op, cap, json->size());
    if (!json->empty()) std::memcpy(buf, json->data(), json->size());
    return absl::OkStatus();
  });
}

// A service call: PlatformCall with the request text parsed as a JSON object, running
// `body(platform, request, ctx)`.
template <typename F>
daira_code ServiceCall(daira_platform_t* handle, std::string_view op, const char* request_json,
                       size_t request_len, char** out_json, daira_error_t** err, F&& body) noexcept {
  return PlatformCall(handle, op, request_json, request_len, out_json, err,
                      [&](Platform& p, std::string_view text, const RequestContext& ctx) -> absl::StatusOr<std::string> {
                        absl::StatusOr<Request> request = Request::Parse(op, text);
                        if (!request.ok()) return request.status();
                        return body(p, *request, ctx);
                      });
}

// The open option "rate_limits": [{endpoint*, count*, window_ms*, algorithm}] into `out`
// (rate_limits.cc); InvalidArgument naming "rate_limits[i].<field>".
absl::Status ParseRateLimits(std::string_view op, Request& r, PlatformRateLimitOptions& out);

// The open option "payments": [{provider*, secret*, tolerance_s}] into `out`: local providers the
// platform owns (payment_service.cc); InvalidArgument naming "payments[i].<field>".
absl::Status ParsePayments(std::string_view op, Request& r, services::PaymentsOptions& out);

// A wallet movement (money.cc) and a full payments row (payments.cc) as JSON objects.
std::string MovementJson(const services::Movement& m);
// The refund request of money.refund and payment_service.refund (money.cc): {transaction_id*, amount*,
// idempotency_key*, reason, actor_id}.
services::RefundRequest ReadRefundRequest(Request& r);
// The deposit request of money.deposit and payment_service.start_deposit (money.cc): {user_id*, amount*,
// currency (USD), provider*, idempotency_key*}.
services::DepositRequest ReadDepositRequest(Request& r);
std::string PaymentJson(const model::Payment& payment);

// A JSON array of ids (integers or strings of digits): InvalidArgument naming `param` (or
// "<param>[i]") otherwise.
absl::StatusOr<std::vector<int64_t>> IdArray(std::string_view op, std::string_view text,
                                             std::string_view param = "ids_json");

// Defines an exported service entry point whose body sees `p` (Platform&), `r` (Request&) and `ctx`.
#define DAIRA_CABI_CALL(name, op)                                                                        \
  static absl::StatusOr<std::string> name##_body(::daira::Platform& p, ::daira::cabi::Request& r,         \
                                                 const ::daira::RequestContext& ctx);                     \
  extern "C" daira_code name(daira_platform_t* platform, const char* request_json, size_t request_len,     \
                             char** out_json, daira_error_t** err) {                                      \
    return ::daira::cabi::ServiceCall(platform, op, request_json, request_len, out_json, err, name##_body); \
  }                                                                                                      \
  static absl::StatusOr<std::string> name##_body(::daira::Platform& p, ::daira::cabi::Request& r,         \
                                                 const ::daira::RequestContext& ctx)

// A single-id call in its three forms from one description: `fn(platform, id, ctx)` (returning
// absl::StatusOr<std::string> of JSON) behind the JSON call `name` (request {`field`*}), and the typed
// `name##_by_id` and `name##_by_id_into` (daira_c.h, DAIRA_C_ID_CALL), so the three cannot drift apart.
#define DAIRA_CABI_ID_CALLS(name, op, field, fn)                                                         \
  DAIRA_CABI_CALL(name, op) {                                                                            \
    const int64_t id = r.Id(field);                                                                      \
    DAIRA_CABI_CHECK(r);                                                                                 \
    return fn(p, id, ctx);                                                                               \
  }                                                                                                      \
  extern "C" daira_code name##_by_id(daira_platform_t* platform, int64_t id, char** out_json,            \
                                     size_t* out_len, daira_error_t** err) {                             \
    return ::daira::cabi::IdCall(platform, op "_by_id", id, out_json, out_len, err, fn);                 \
  }                                                                                                      \
  extern "C" daira_code name##_by_id_into(daira_platform_t* platform, int64_t id, char* buf, size_t cap, \
                                          size_t* len, daira_error_t** err) {                            \
    return ::daira::cabi::IdCallInto(platform, op "_by_id_into", id, buf, cap, len, err, fn);            \
  }

// Returns from a call body with the request's first error.
#define DAIRA_CABI_CHECK(r) DAIRA_RETURN_IF_ERROR((r).Finish())

// ---- records out (json_out.cc) ----
void WriteTime(JsonWriter& w, std::chrono::system_clock::time_point t);
void WriteId(JsonWriter& w, int64_t id);
void WriteUser(JsonWriter& w, const model::User& u);
void WriteProfileView(JsonWriter& w, const services::ProfileView& v);
void WriteStats(JsonWriter& w, const model::UserStats& s);
void WriteSession(JsonWriter& w, const services::Session& s);
void WriteUserSession(JsonWriter& w, const model::UserSession& s);
void WriteFollow(JsonWriter& w, const model::Follow& f);
void WriteFollowEntry(JsonWriter& w, const services::FollowEntry& e);
void WriteBlock(JsonWriter& w, const model::Block& b);
void WriteMute(JsonWriter& w, const model::Mute& m);
void WritePost(JsonWriter& w, const model::Post& p);
void WriteComment(JsonWriter& w, const model::Comment& c);
void WriteVideo(JsonWriter& w, const model::Video& v);
void WriteUserHit(JsonWriter& w, const services::UserHit& h);

// {"items":[…],"next_cursor":"…","has_more":…} with `write` for each item.
template <typename T, typename F>
std::string PageJson(const query::Page<T>& page, F&& write) {
  JsonWriter w;
  w.BeginObject().Key("items").BeginArray();
  for (const T& item : page.items) write(w, item);
  w.EndArray().Key("next_cursor").String(page.next_cursor).Key("has_more").Bool(page.has_more).EndObject();
  return w.Take();
}

// One record as a JSON document.
template <typename T>
std::string RecordJson(void (*write)(JsonWriter&, const T&), const T& value) {
  JsonWriter w;
  write(w, value);
  return w.Take();
}

inline std::string EmptyJson() { return "{}"; }

}  // namespace daira::cabi
