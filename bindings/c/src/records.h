// Private to the C ABI (bindings/c/src): the shape the typed-repository calls share — wallets,
// transactions, payments (payments.cc), reports, reviews, audit_logs (moderation.cc), posts, videos,
// comments (content_records.cc). Each repository is described once by a kind:
//
//   struct WalletKind {
//     using Model = model::Wallet;  using Field = model::WalletField;  using Id = WalletId;
//     using Batch = services::WalletBatch;
//     static constexpr auto kItems = &Batch::wallets;
//     static services::WalletRepository& Repo(Platform& p) { return p.wallets(); }
//     static const query::FieldTable<Field>& Columns() { return services::WalletColumns(); }
//     static void Write(MaskedWriter<Field>& w, const Model& m);   // one call per member
//   };
//   DAIRA_CABI_RECORD_READS(daira_wallets, WalletKind, "wallets")    // _get, _get_many, _exists
//   DAIRA_CABI_RECORD_METHOD(daira_wallets_find_by_user, "wallets.find_by_user", WalletKind,
//                            &services::WalletRepository::FindByUserId, IdAs<UserId>{"user_id"})
//   DAIRA_CABI_RECORD_CALL(name, op, WalletKind) { … return RecordOf<WalletKind>(wallet, mask); }  // odd
//   shapes
//
// Record calls take a field mask as `fields`, a NUL-terminated list of column names ("id,balance";
// NULL or "" = every field) parsed by the kind's column table: an unknown name is InvalidArgument
// naming "fields". Records carry exactly the selected members (id always), null for NULL columns.
//
// Thread-safety: everything here is stateless; calls run under the handle's shared lock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "internal.h"
#include "service_call.h"

namespace daira::cabi {

template <typename K>
using MaskOf = query::FieldMask<typename K::Field>;

// Writes the members of one record that the mask selected: "key": value, or null when the value is
// absent (a NULL column). Members outside the mask are left out.
template <typename F>
class MaskedWriter {
 public:
  MaskedWriter(JsonWriter& w, query::FieldMask<F> mask) : w_(w), mask_(mask) {}

  template <typename T>
  MaskedWriter& Field(F field, std::string_view key, const std::optional<T>& v) {
    if (!mask_.Has(field)) return *this;
    w_.Key(key);
    if (v) {
      Value(*v);
    } else {
      w_.Null();
    }
    return *this;
  }
  // A member that always has a value (the primary key).
  template <typename T>
  MaskedWriter& Field(F field, std::string_view key, const T& v) {
    if (!mask_.Has(field)) return *this;
    w_.Key(key);
    Value(v);
    return *this;
  }
  // A JSON object stored as text (metadata, changes, evidence): inserted as JSON, not as a string, in
  // compact form on every backend (PostgreSQL's jsonb re-spells it with spaces). Text that does not
  // parse (never written by daira) goes out as a JSON string.
  MaskedWriter& Object(F field, std::string_view key, const std::optional<std::string>& v) {
    if (!mask_.Has(field)) return *this;
    w_.Key(key);
    if (!v || v->empty()) {
      w_.Null();
      return *this;
    }
    absl::StatusOr<JsonValue> parsed = ParseJson(*v);
    if (parsed.ok()) {
      w_.Raw(parsed->Serialize());
    } else {
      w_.String(*v);
    }
    return *this;
  }

 private:
  void Value(int64_t v) { w_.Int(v); }
  void Value(double v) { w_.Double(v); }
  void Value(const std::string& v) { w_.String(v); }
  void Value(std::chrono::system_clock::time_point t) { WriteTime(w_, t); }
  template <typename Tag>
  void Value(StrongId<Tag> id) {
    WriteId(w_, id.value);
  }
  template <typename E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
  void Value(E e) {
    w_.String(model::ToString(e));
  }
  void Value(const std::vector<std::string>& v) {
    w_.BeginArray();
    for (const std::string& s : v) w_.String(s);
    w_.EndArray();
  }
  template <typename Tag>
  void Value(const std::vector<StrongId<Tag>>& v) {
    w_.BeginArray();
    for (StrongId<Tag> id : v) WriteId(w_, id.value);
    w_.EndArray();
  }

  JsonWriter& w_;
  query::FieldMask<F> mask_;
};

// One record as a JSON object with the members `mask` selected (and the primary key).
template <typename K>
void WriteRecord(JsonWriter& w, const typename K::Model& m, MaskOf<K> mask) {
  w.BeginObject();
  MaskedWriter<typename K::Field> mw(w, mask | K::Columns().PrimaryKey());
  K::Write(mw, m);
  w.EndObject();
}

template <typename K>
std::string RecordOf(const typename K::Model& m, MaskOf<K> mask) {
  JsonWriter w;
  WriteRecord<K>(w, m, mask);
  return w.Take();
}

// {"items":[…],"next_cursor":"…","has_more":…} of masked records.
template <typename K>
std::string PageOf(const query::Page<typename K::Model>& page, MaskOf<K> mask) {
  return PageJson(page, [&](JsonWriter& w, const typename K::Model& m) { WriteRecord<K>(w, m, mask); });
}

// `fields` as K's mask: NULL or "" is every (non-sensitive) field; an unknown name is InvalidArgument
// "<op>: fields names an unknown field (got \"…\")" naming "fields", and so is a sensitive one
// ("fields names a secret field").
template <typename K>
absl::StatusOr<MaskOf<K>> ParseFields(std::string_view op, const char* fields) {
  if (fields == nullptr) return K::Columns().All();
  absl::StatusOr<MaskOf<K>> mask = K::Columns().Parse(fields);
  if (mask.ok()) {
    // Sensitive columns (session token hashes) never leave through the C ABI.
    const MaskOf<K> open = K::Columns().All() | K::Columns().PrimaryKey();
    if (!open.Contains(*mask)) {
      return InvalidField(op, "fields", "names a secret field (token hashes are never returned)");
    }
    return mask;
  }
  std::string message(mask.status().message());
  const std::string prefix = "field mask: fields ";
  if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  return InvalidField(op, "fields", message);
}

// The parsed request's "limit" and "cursor".
inline query::PageRequest PageOfRequest(Request& r) {
  query::PageRequest page;
  // Out-of-int range values are reported as given; in-range ones by the repository's range check.
  page.limit = IntLimit(r, "limit", page.limit);
  page.cursor = r.String("cursor");
  return page;
}

// An enum field by its stored spelling ("PENDING"); InvalidArgument naming `field` otherwise.
template <typename E, size_t N>
std::optional<E> OptEnum(Request& r, std::string_view field, const std::string_view (&names)[N]) {
  std::optional<std::string> text = r.OptString(field);
  if (!text) return std::nullopt;
  E value;
  if (model::Parse(*text, &value)) return value;
  std::string problem = "must be one of ";
  for (size_t i = 0; i < N; ++i) absl::StrAppend(&problem, i == 0 ? "" : ", ", ToAbsl(names[i]));
  absl::StrAppend(&problem, " (got \"", text->substr(0, 64), "\")");
  r.Fail(field, problem);
  return std::nullopt;
}

// An optional id as its strong type (OptIdOf<WalletId>(r, "wallet_id")).
template <typename IdT>
std::optional<IdT> OptIdOf(Request& r, std::string_view field) {
  std::optional<int64_t> id = r.OptId(field);
  if (!id) return std::nullopt;
  return IdT(*id);
}

// A record call: PlatformCall with the mask parsed from `fields` and the request parsed as a JSON
// object, running `body(platform, request, mask, ctx)`.
template <typename K, typename F>
daira_code RecordCall(daira_platform_t* handle, std::string_view op, const char* request_json, size_t request_len,
                      const char* fields, char** out_json, daira_error_t** err, F&& body) noexcept {
  return PlatformCall(handle, op, request_json, request_len, out_json, err,
                      [&](Platform& p, std::string_view text, const RequestContext& ctx) -> absl::StatusOr<std::string> {
                        DAIRA_ASSIGN_OR_RETURN(MaskOf<K> mask, ParseFields<K>(op, fields));
                        DAIRA_ASSIGN_OR_RETURN(Request r, Request::Parse(op, text));
                        return body(p, r, mask, ctx);
                      });
}

// The request key of K's primary key: K::kIdKey when the kind names one ("user_id" for profiles),
// else "id".
template <typename K>
constexpr std::string_view IdKey() {
  if constexpr (requires { K::kIdKey; }) {
    return K::kIdKey;
  } else {
    return "id";
  }
}

// {id*} → the record.
template <typename K>
absl::StatusOr<std::string> GetBody(Platform& p, Request& r, MaskOf<K> mask, const RequestContext& ctx) {
  const typename K::Id id(r.Id(IdKey<K>()));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(typename K::Model m, K::Repo(p).Get(ctx, id, mask));
  return RecordOf<K>(m, mask);
}

// [id, …] → {"items":[record, …] (order given, duplicates once), "missing":[id, …]}.
template <typename K>
daira_code GetManyCall(daira_platform_t* handle, std::string_view op, const char* ids_json, size_t ids_len,
                       const char* fields, char** out_json, daira_error_t** err) noexcept {
  return PlatformCall(handle, op, ids_json, ids_len, out_json, err,
                      [&](Platform& p, std::string_view text, const RequestContext& ctx) -> absl::StatusOr<std::string> {
                        DAIRA_ASSIGN_OR_RETURN(MaskOf<K> mask, ParseFields<K>(op, fields));
                        DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> raw, IdArray(op, text));
                        std::vector<typename K::Id> ids;
                        ids.reserve(raw.size());
                        for (int64_t id : raw) ids.emplace_back(id);
                        DAIRA_ASSIGN_OR_RETURN(typename K::Batch batch, K::Repo(p).GetMany(ctx, ids, mask));
                        JsonWriter w;
                        w.BeginObject().Key("items").BeginArray();
                        for (const typename K::Model& m : batch.*K::kItems) WriteRecord<K>(w, m, mask);
                        w.EndArray().Key("missing").BeginArray();
                        for (typename K::Id id : batch.missing) WriteId(w, id.value);
                        w.EndArray().EndObject();
                        return w.Take();
                      });
}

// {id*} → {"exists": bool}.
template <typename K>
absl::StatusOr<std::string> ExistsBody(Platform& p, Request& r, const RequestContext& ctx) {
  const typename K::Id id(r.Id(IdKey<K>()));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bool exists, K::Repo(p).Exists(ctx, id));
  JsonWriter w;
  w.BeginObject().Key("exists").Bool(exists).EndObject();
  return w.Take();
}

// {"count": n}.
inline std::string CountJson(int64_t n) {
  JsonWriter w;
  w.BeginObject().Key("count").Int(n).EndObject();
  return w.Take();
}

// {id*} → {}.
template <typename K>
absl::StatusOr<std::string> DeleteBody(Platform& p, Request& r, const RequestContext& ctx) {
  const typename K::Id id(r.Id("id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(K::Repo(p).Delete(ctx, id));
  return EmptyJson();
}

// {<fields…>} → (K::Repo(p).*method)(ctx, values…, mask) → the record or page of records with the
// mask's members: the finders and lists of a record kind as descriptions (service_call.h's readers).
template <typename K, typename Method, typename... Readers>
absl::StatusOr<std::string> InvokeRecord(Platform& p, Request& r, MaskOf<K> mask, const RequestContext& ctx,
                                         Method method, const Readers&... readers) {
  std::tuple<std::invoke_result_t<const Readers&, Request&>...> args{readers(r)...};
  DAIRA_CABI_CHECK(r);
  return std::apply(
      [&](auto&... values) -> absl::StatusOr<std::string> {
        auto result = (K::Repo(p).*method)(ctx, values..., mask);
        if (!result.ok()) return result.status();
        if constexpr (std::is_same_v<std::decay_t<decltype(*result)>, typename K::Model>) {
          return RecordOf<K>(*result, mask);
        } else {
          return PageOf<K>(*result, mask);
        }
      },
      args);
}

}  // namespace daira::cabi

namespace daira::cabi::fields {

// An enum field by its stored spelling (OptEnum): Enum<model::ReportStatus>("status", kReportStatusNames).
template <typename E, size_t N>
struct EnumReader {
  std::string_view name;
  const std::string_view (*names)[N];
  std::optional<E> operator()(Request& r) const { return OptEnum<E>(r, name, *names); }
};
template <typename E, size_t N>
EnumReader<E, N> Enum(std::string_view name, const std::string_view (&names)[N]) {
  return {name, &names};
}
// …and `fallback` when absent.
template <typename E, size_t N>
struct EnumOrReader {
  EnumReader<E, N> read;
  E fallback;
  E operator()(Request& r) const { return read(r).value_or(fallback); }
};
template <typename E, size_t N>
EnumOrReader<E, N> EnumOr(std::string_view name, const std::string_view (&names)[N], E fallback) {
  return {{name, &names}, fallback};
}

// Every field of a record, and a page of them (create calls and the services return whole records).
template <typename K>
std::string FullRecord(const typename K::Model& m) {
  return RecordOf<K>(m, K::Columns().All());
}
template <typename K>
std::string FullPage(const query::Page<typename K::Model>& page) {
  return ::daira::cabi::PageOf<K>(page, K::Columns().All());
}

}  // namespace daira::cabi::fields

// The exported signature of a record call.
#define DAIRA_CABI_RECORD_FN(name)                                                                       \
  extern "C" daira_code name(daira_platform_t* platform, const char* request_json, size_t request_len,     \
                             const char* fields, char** out_json, daira_error_t** err)

// <prefix>_get ({id*}), <prefix>_get_many ([id, …]) with field masks, and <prefix>_exists ({id*}).
#define DAIRA_CABI_RECORD_READS(prefix, K, name)                                                             \
  DAIRA_CABI_RECORD_FN(prefix##_get) {                                                                       \
    return ::daira::cabi::RecordCall<K>(platform, name ".get", request_json, request_len, fields, out_json, err, \
                                        ::daira::cabi::GetBody<K>);                                          \
  }                                                                                                          \
  DAIRA_CABI_RECORD_FN(prefix##_get_many) {                                                                  \
    return ::daira::cabi::GetManyCall<K>(platform, name ".get_many", request_json, request_len, fields,      \
                                         out_json, err);                                                     \
  }                                                                                                          \
  extern "C" daira_code prefix##_exists(daira_platform_t* platform, const char* request_json, size_t request_len, \
                                        char** out_json, daira_error_t** err) {                              \
    return ::daira::cabi::ServiceCall(platform, name ".exists", request_json, request_len, out_json, err,    \
                                      ::daira::cabi::ExistsBody<K>);                                         \
  }

// <prefix>_delete ({id*} → {}).
#define DAIRA_CABI_RECORD_DELETE(prefix, K, name)                                                             \
  extern "C" daira_code prefix##_delete(daira_platform_t* platform, const char* request_json, size_t request_len, \
                                        char** out_json, daira_error_t** err) {                              \
    return ::daira::cabi::ServiceCall(platform, name ".delete", request_json, request_len, out_json, err,    \
                                      ::daira::cabi::DeleteBody<K>);                                         \
  }

// A record call described by its repository method (K::Repo) and the readers of its arguments before
// the mask (InvokeRecord): finders return the masked record, lists the masked page.
#define DAIRA_CABI_RECORD_METHOD(name, op, K, method, ...)                       \
  DAIRA_CABI_RECORD_CALL(name, op, K) {                                          \
    return ::daira::cabi::InvokeRecord<K>(p, r, mask, ctx, method, __VA_ARGS__); \
  }

// A record call with its own body, which sees `p` (Platform&), `r` (Request&), `mask` and `ctx`.
#define DAIRA_CABI_RECORD_CALL(name, op, K)                                                                  \
  static absl::StatusOr<std::string> name##_body(::daira::Platform& p, ::daira::cabi::Request& r,             \
                                                 ::daira::cabi::MaskOf<K> mask,                               \
                                                 const ::daira::RequestContext& ctx);                         \
  DAIRA_CABI_RECORD_FN(name) {                                                                               \
    return ::daira::cabi::RecordCall<K>(platform, op, request_json, request_len, fields, out_json, err,       \
                                        name##_body);                                                        \
  }                                                                                                          \
  static absl::StatusOr<std::string> name##_body(::daira::Platform& p, ::daira::cabi::Request& r,             \
                                                 ::daira::cabi::MaskOf<K> mask, const ::daira::RequestContext& ctx)
