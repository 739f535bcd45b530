// Private to the C ABI: service calls as descriptions. Most service calls have one shape — read the
// request's fields, check the request, call one service method, encode its result — so instead of a
// body per call, a call is described by its field table (readers, in the order they are read), the
// service and its method, and the result's encoder:
//
//   DAIRA_CABI_SERVICE_CALL(daira_money_confirm_deposit, "money.confirm_deposit",
//                           &daira::Platform::wallet_service, &services::Wallets::ConfirmDeposit,
//                           MovementJson, IdAs<daira::TransactionId>{"transaction_id"})
//
// A request struct is one reader too: Struct<services::TipRequest>(Set(&TipRequest::sender_id, Id{"sender_id"}),
// …) fills its members in order. A method returning absl::Status takes a no-argument encoder (Empty{});
// one returning StatusOr<T> an encoder of T. A reader is any callable taking Request& (its value goes to
// the method; a failure is recorded in the Request, as the getters do), so a call with an odd field
// (a checked enum, a required string) describes that field with a small lambda and keeps the shape.
// Calls whose logic is more than this (a choice between two methods, a result assembled from several
// records) keep a DAIRA_CABI_CALL body.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "internal.h"

namespace daira::cabi::fields {

// ---- readers: one request field each ----

// An id (Request::Id: absent is 0, which the service rejects).
struct Id {
  std::string_view name;
  int64_t operator()(Request& r) const { return r.Id(name); }
};
// An id as its strong type (TransactionId, UserId, …).
template <typename T>
struct IdAs {
  std::string_view name;
  T operator()(Request& r) const { return T(r.Id(name)); }
};
struct OptId {
  std::string_view name;
  std::optional<int64_t> operator()(Request& r) const { return r.OptId(name); }
};
// An optional id as its strong type.
template <typename T>
struct OptIdAs {
  std::string_view name;
  std::optional<T> operator()(Request& r) const {
    std::optional<int64_t> id = r.OptId(name);
    if (!id) return std::nullopt;
    return T(*id);
  }
};
struct IdList {
  std::string_view name;
  std::vector<int64_t> operator()(Request& r) const { return r.IdList(name); }
};
// A list of ids as their strong type.
template <typename T>
struct IdListAs {
  std::string_view name;
  std::vector<T> operator()(Request& r) const {
    std::vector<T> ids;
    for (int64_t id : r.IdList(name)) ids.emplace_back(id);
    return ids;
  }
};
struct Int {
  std::string_view name;
  int64_t fallback = 0;
  int64_t operator()(Request& r) const { return r.Int(name, fallback); }
};
struct Str {
  std::string_view name;
  std::string_view fallback = "";
  std::string operator()(Request& r) const { return r.String(name, std::string(fallback)); }
};
// A string that must be present ("<field> is required" otherwise).
struct RequiredStr {
  std::string_view name;
  std::string operator()(Request& r) const {
    std::string value = r.String(name);
    if (!r.Has(name)) r.Fail(name, "is required");
    return value;
  }
};
// A string that must not be empty ("<field> is required" otherwise).
struct NonEmptyStr {
  std::string_view name;
  std::string operator()(Request& r) const {
    std::string value = r.String(name);
    if (value.empty()) r.Fail(name, "is required");
    return value;
  }
};
// An id that must be given (> 0; "<field> is required" otherwise).
struct RequiredId {
  std::string_view name;
  int64_t operator()(Request& r) const {
    const int64_t id = r.Id(name);
    if (id <= 0) r.Fail(name, "is required");
    return id;
  }
};
// An int limit (reported as given when outside int's range), `fallback` when absent.
struct Limit {
  std::string_view name;
  int fallback;
  int operator()(Request& r) const { return IntLimit(r, name, fallback); }
};
struct OptStr {
  std::string_view name;
  std::optional<std::string> operator()(Request& r) const { return r.OptString(name); }
};
struct OptInt {
  std::string_view name;
  std::optional<int64_t> operator()(Request& r) const { return r.OptInt(name); }
};
struct OptTime {
  std::string_view name;
  std::optional<std::chrono::system_clock::time_point> operator()(Request& r) const {
    return r.OptTime(name);
  }
};
// A JSON object as its compact text, absent as nullopt.
struct OptObjectText {
  std::string_view name;
  std::optional<std::string> operator()(Request& r) const { return r.OptObjectText(name); }
};
struct OptBoolean {
  std::string_view name;
  std::optional<bool> operator()(Request& r) const { return r.OptBool(name); }
};
struct BoolOr {
  std::string_view name;
  bool fallback = false;
  bool operator()(Request& r) const { return r.OptBool(name).value_or(fallback); }
};
// A list of strings, required.
struct StrList {
  std::string_view name;
  std::vector<std::string> operator()(Request& r) const { return r.StringList(name); }
};
struct OptStrList {
  std::string_view name;
  std::optional<std::vector<std::string>> operator()(Request& r) const { return r.OptStringList(name); }
};
// A list of strings, empty when absent.
struct StrListOrEmpty {
  std::string_view name;
  std::vector<std::string> operator()(Request& r) const {
    return r.OptStringList(name).value_or(std::vector<std::string>{});
  }
};
// A JSON object as its compact text, `fallback` when absent.
struct ObjectTextOr {
  std::string_view name;
  std::string_view fallback = "{}";
  std::string operator()(Request& r) const { return r.OptObjectText(name).value_or(std::string(fallback)); }
};
// "limit" (an int, reported as given when outside int's range) and "cursor".
struct Page {
  int fallback_limit = 20;
  query::PageRequest operator()(Request& r) const {
    query::PageRequest page;
    page.limit = IntLimit(r, "limit", fallback_limit);
    page.cursor = r.String("cursor");
    return page;
  }
};
// "limit" and "cursor" as the feed and content calls have always read them: the limit as any integer,
// the service's range check reporting it.
struct PageOfAnyLimit {
  query::PageRequest operator()(Request& r) const {
    query::PageRequest page;
    page.limit = r.Int("limit", query::kDefaultPageLimit);
    page.cursor = r.String("cursor");
    return page;
  }
};

// A parameter the request does not carry (a field mask the call always reads in full): `make()`.
template <auto Make>
struct Fixed {
  auto operator()(Request&) const { return Make(); }
};

// ---- a request struct, member by member ----

// Reads `read` into `member` of the request struct.
template <typename Req, typename T, typename Reader>
struct Set {
  T Req::*member;
  Reader read;
  void operator()(Request& r, Req& req) const { req.*member = read(r); }
};

// Reads a Req by its members' readers, in order.
template <typename Req, typename... Members>
struct StructReader {
  std::tuple<Members...> members;
  Req operator()(Request& r) const {
    Req req{};
    std::apply([&](const Members&... m) { (m(r, req), ...); }, members);
    return req;
  }
};
template <typename Req, typename... Members>
StructReader<Req, Members...> Struct(Members... members) {
  return {std::tuple<Members...>(std::move(members)...)};
}

// ---- encoders ----

// {} for a method returning absl::Status.
struct Empty {
  std::string operator()() const { return EmptyJson(); }
};
// {"<key>": n} for a count.
struct Count {
  std::string_view key;
  std::string operator()(int64_t n) const {
    JsonWriter w;
    w.BeginObject().Key(key).Int(n).EndObject();
    return w.Take();
  }
};
// A record by its writer (WriteUser-style functions): RecordJson(write, value).
template <typename T>
struct Record {
  void (*write)(JsonWriter&, const T&);
  std::string operator()(const T& value) const { return RecordJson(write, value); }
};
// {"<key>": [records]} by their writer.
template <typename T>
struct Items {
  void (*write)(JsonWriter&, const T&);
  std::string_view key = "items";
  std::string operator()(const std::vector<T>& items) const {
    JsonWriter w;
    w.BeginObject().Key(key).BeginArray();
    for (const T& item : items) write(w, item);
    w.EndArray().EndObject();
    return w.Take();
  }
};
// A page of records by their writer.
template <typename T>
struct PageOf {
  void (*write)(JsonWriter&, const T&);
  std::string operator()(const query::Page<T>& page) const { return PageJson(page, write); }
};

}  // namespace daira::cabi::fields

namespace daira::cabi {

// Runs a described service call (the service is a Platform accessor, &Platform::social, or a function
// of Platform&, a record kind's Repo): the readers' values, read from `r` in order (a braced list is
// evaluated left to right, so the first error recorded is the first field's), then the request's
// check, then `((p.*service)().*method)(ctx, values...)` (without ctx for a method that takes none),
// then `encode` of its result.
template <typename Service, typename Method, typename Encode, typename... Readers>
absl::StatusOr<std::string> InvokeService(Platform& p, Request& r, const RequestContext& ctx, Service service,
                                          Method method, const Encode& encode, const Readers&... readers) {
  std::tuple<std::invoke_result_t<const Readers&, Request&>...> args{readers(r)...};
  DAIRA_CABI_CHECK(r);
  return std::apply(
      [&](auto&... values) -> absl::StatusOr<std::string> {
        auto result = [&] {
          // A method without a RequestContext (the real-time hub, presence, typing) is called without one.
          if constexpr (std::is_invocable_v<Method, decltype(std::invoke(service, p)), const RequestContext&,
                                            decltype(values)...>) {
            return (std::invoke(service, p).*method)(ctx, values...);
          } else {
            return (std::invoke(service, p).*method)(values...);
          }
        }();
        if constexpr (std::is_same_v<decltype(result), absl::Status>) {
          DAIRA_RETURN_IF_ERROR(result);
          return encode();
        } else {
          if (!result.ok()) return result.status();
          return encode(*result);
        }
      },
      args);
}

}  // namespace daira::cabi

// Defines the exported service call `name` from its description: the service accessor of Platform,
// the method, the result's encoder, then the request's field readers in order (see above).
#define DAIRA_CABI_SERVICE_CALL(name, op, service, method, encode, ...) \
  DAIRA_CABI_CALL(name, op) { return ::daira::cabi::InvokeService(p, r, ctx, service, method, encode, __VA_ARGS__); }
