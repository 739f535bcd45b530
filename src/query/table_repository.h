// Private engine behind the typed repositories (services/*_repository.h): one table described once —
// its columns, each with its field-mask bit and how its value lands in the model — and the SQL every
// repository needs generated from that description: masked SELECT lists, Get, GetMany (one statement
// through query::LoadMany: chunked, deduplicated, caller's order, missing ids), FindOne by a unique
// key, Exists, Count, keyset List, Insert ... RETURNING, partial Update and Delete with optional
// guards, and unique-index violations turned into AlreadyExists naming the field.
//
//   using Column = query::ColumnSpec<Wallet, WalletField>;
//   const query::Table<Wallet, WalletField>& WalletTable() {
//     static const auto* t = new query::Table<Wallet, WalletField>(
//         {.table = "wallets", .entity = "wallet",
//          .unique_keys = {{"wallets_user_uidx", "wallets.user_id", "user_id", "already has a wallet"}}},
//         std::array{Column{WalletField::kId, "id", &query::ReadColumn<&Wallet::id>, query::kPrimaryKey},
//                    Column{WalletField::kBalance, "balance", &query::ReadColumn<&Wallet::balance>}});
//     return *t;
//   }
//   DAIRA_ASSIGN_OR_RETURN(Wallet w, WalletTable().Get(db, ctx, id.value, mask));
//
// Every statement runs inside the request's open transaction when `ctx` has one (store::WithConnection),
// else on a leased connection (reads: Access::kRead). Values are always bound, never spliced: the only
// SQL text a caller passes in is its own constant predicates (`where`) with `?` placeholders.
//
// Thread-safety: a Table is immutable after construction and safe to share between threads; its
// methods are reentrant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/model/ids.h"
#include "daira/query/batch_loader.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/result_set.h"
#include "daira/store/value.h"

namespace daira::inline v0::query {

// How one selected column lands in the model: reads `column` of `row` into `model`.
template <typename M>
using ColumnReader = absl::Status (*)(const store::Row& row, std::string_view column, M& model);

// One column: its field (mask bit), SQL name, reader, and FieldTable flags (kPrimaryKey, kSensitive).
template <typename M, typename F>
struct ColumnSpec {
  F field;
  std::string_view column;
  ColumnReader<M> read;
  unsigned flags = kNoFlags;
};

// A unique index, recognized in a backend's error: by its name (PostgreSQL names the index; SQLite
// does for partial/expression indexes) or by SQLite's "table.col[, table.col]" column list.
struct UniqueKey {
  std::string_view index;           // "wallets_user_uidx"
  std::string_view sqlite_columns;  // "wallets.user_id"
  std::string_view field;           // named in AlreadyExists (and its field payload)
  std::string_view problem;         // "already has a wallet" → "<op>: user_id already has a wallet"
};

struct TableOptions {
  std::string_view table;                // "wallets"
  std::string_view entity;               // "wallet": "wallets: wallet 7 not found"
  std::vector<UniqueKey> unique_keys{};  // mapped to AlreadyExists on insert/update
  bool has_updated_at = true;            // Update sets updated_at = now
  std::string_view key = "id";           // the int64 primary-key column (user_profiles: "user_id")
};

// A condition an UPDATE/DELETE also requires of the row: when the row exists but fails it, the call
// fails with FailedPrecondition "<op>: <field> <problem>" (field payload set) and writes nothing.
struct RowGuard {
  std::string predicate;               // SQL with `?` placeholders, e.g. "status <> 'COMPLETED'"
  std::vector<store::Value> params{};  // values for `predicate`
  std::string field;                   // named in the error
  std::string problem;                 // "must not be COMPLETED (journal rows are kept)"
};

// One column = value of an INSERT or UPDATE.
struct Assignment {
  std::string_view column;
  store::Value value;
};

// The result of GetMany: the rows found (caller's order, duplicates once) and the ids with no row.
template <typename M>
struct Found {
  std::vector<M> items;
  std::vector<int64_t> missing;
};

// "<op>: <field> <problem>" with `code`, the field riding as the kFieldPayloadUrl payload.
absl::Status FieldError(absl::StatusCode code, std::string_view op, std::string_view field,
                        std::string_view problem);

// AlreadyExists naming the field of the first `keys` entry the error mentions; `status` (annotated
// with `op`) when it is not a unique violation or none matches. Foreign-key violations
// (FailedPrecondition) are annotated with `op` as well.
absl::Status MapWriteError(const absl::Status& status, std::string_view op, std::span<const UniqueKey> keys);

// ---- readers --------------------------------------------------------------------------------------

namespace internal {
template <typename T>
struct MemberTraits;
template <typename C, typename T>
struct MemberTraits<T C::*> {
  using Class = C;
  using Type = T;
};
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {
  using Inner = T;
};
template <typename T>
struct IsStrongId : std::false_type {};
template <typename Tag>
struct IsStrongId<StrongId<Tag>> : std::true_type {};
template <typename T>
struct IsStrongIdVector : std::false_type {};
template <typename Tag>
struct IsStrongIdVector<std::vector<StrongId<Tag>>> : std::true_type {};
template <typename T>
inline constexpr bool kAlwaysFalse = false;

absl::Status UnknownEnumValue(std::string_view column, std::string_view text);

template <typename V>
absl::Status ReadScalar(const store::Row& row, std::string_view column, V* out) {
  // Numbers through the checked accessors: a missing column is Internal, text that is not a number
  // or a NaN/out-of-range double is DataLoss naming the column (FromRow adds the table).
  if constexpr (std::is_same_v<V, int64_t>) {
    DAIRA_ASSIGN_OR_RETURN(*out, row.CheckedInt64(column));
  } else if constexpr (std::is_same_v<V, bool>) {
    DAIRA_ASSIGN_OR_RETURN(int64_t v, row.CheckedInt64(column));
    *out = v != 0;
  } else if constexpr (std::is_same_v<V, double>) {
    DAIRA_ASSIGN_OR_RETURN(*out, row.CheckedDouble(column));
  } else if constexpr (std::is_same_v<V, std::string>) {
    *out = row.Text(column);
  } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
    *out = row.TextArray(column);
  } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
    *out = row.Int64Array(column);
  } else if constexpr (IsStrongIdVector<V>::value) {
    out->clear();
    for (int64_t v : row.Int64Array(column)) out->push_back(typename V::value_type{v});
  } else if constexpr (std::is_same_v<V, Clock::TimePoint>) {
    DAIRA_ASSIGN_OR_RETURN(int64_t micros, row.CheckedInt64(column));
    *out = FromUnixMicros(micros);
  } else if constexpr (IsStrongId<V>::value) {
    DAIRA_ASSIGN_OR_RETURN(int64_t id, row.CheckedInt64(column));
    *out = V{id};
  } else if constexpr (std::is_enum_v<V>) {
    const std::string text = row.Text(column);
    if (!Parse(text, out)) return UnknownEnumValue(column, text);  // model::Parse, found by ADL
  } else {
    static_assert(kAlwaysFalse<V>, "no reader for this member type");
  }
  return absl::OkStatus();
}
}  // namespace internal

// The reader of a model member (`&Wallet::balance`): int64, bool, double, string (TEXT or JSON), text
// and int64 arrays (native on PostgreSQL, JSON text on SQLite; also of strong ids), time point (int64
// microseconds), strong ids, and enums with a model::Parse(text, E*) overload; std::optional
// members read NULL as nullopt. An enum spelling the model does not know → DataLoss naming the column.
template <auto Member>
absl::Status ReadColumn(const store::Row& row, std::string_view column,
                        typename internal::MemberTraits<decltype(Member)>::Class& model) {
  using T = typename internal::MemberTraits<decltype(Member)>::Type;
  if constexpr (internal::IsOptional<T>::value) {
    if (row.IsNull(column)) {
      (model.*Member).reset();
      return absl::OkStatus();
    }
    typename internal::IsOptional<T>::Inner value{};
    DAIRA_RETURN_IF_ERROR(internal::ReadScalar(row, column, &value));
    model.*Member = std::move(value);
    return absl::OkStatus();
  } else {
    return internal::ReadScalar(row, column, &(model.*Member));
  }
}

// An optional member as a bound value: NULL when empty.
template <typename T>
store::Value OptionalValue(const std::optional<T>& v) {
  if (!v.has_value()) return store::Value();
  if constexpr (internal::IsStrongId<T>::value) {
    return store::Value(v->value);
  } else {
    return store::Value(*v);
  }
}

// Strong ids to the raw int64 values the engine binds, and back.
template <typename Id>
std::vector<int64_t> RawIds(std::span<const Id> ids) {
  std::vector<int64_t> raw;
  raw.reserve(ids.size());
  for (Id id : ids) raw.push_back(id.value);
  return raw;
}
template <typename Id>
std::vector<Id> TypedIds(const std::vector<int64_t>& raw) {
  std::vector<Id> ids;
  ids.reserve(raw.size());
  for (int64_t v : raw) ids.push_back(Id{v});
  return ids;
}

// ---- the table ------------------------------------------------------------------------------------

template <typename M, typename F>
class Table {
 public:
  template <size_t N>
  Table(TableOptions options, const std::array<ColumnSpec<M, F>, N>& columns)
      : options_(std::move(options)),
        columns_(columns.begin(), columns.end()),
        fields_(MakeFieldTable(columns, std::make_index_sequence<N>{})) {}
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const FieldTable<F>& fields() const { return fields_; }
  std::string_view table() const { return options_.table; }
  std::string_view entity() const { return options_.entity; }

  // "SELECT <columns of mask + id> FROM <table>".
  std::string Select(FieldMask<F> mask) const {
    return absl::StrCat("SELECT ", fields_.SelectList(mask), " FROM ", ToAbsl(options_.table));
  }

  // The model from a row holding (at least) the columns of `mask` (+ id); unselected members stay nullopt.
  absl::StatusOr<M> FromRow(const store::Row& row, FieldMask<F> mask) const {
    const FieldMask<F> m = mask | fields_.PrimaryKey();
    M model{};
    for (const auto& c : columns_) {
      if (!m.Has(c.field)) continue;
      absl::Status s = c.read(row, c.column, model);
      if (!s.ok()) return Annotate(s, options_.table);
    }
    return model;
  }

  // NotFound "<table>: <entity> <id> not found".
  absl::Status NotFound(int64_t id) const {
    return absl::NotFoundError(
        absl::StrCat(ToAbsl(options_.table), ": ", ToAbsl(options_.entity), " ", id, " not found"));
  }

  absl::StatusOr<M> Get(store::Database& db, const RequestContext& ctx, int64_t id, FieldMask<F> mask) const {
    const std::string sql = absl::StrCat(Select(mask), " WHERE ", ToAbsl(options_.key), " = ?");
    return store::WithConnection(db, ctx, store::Access::kRead,
                                 [&](store::Connection& c) -> absl::StatusOr<M> {
                                   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, {id}));
                                   if (rs.empty()) return NotFound(id);
                                   return FromRow(rs.front(), mask);
                                 });
  }

  // One statement per LoadManyOptions::max_ids_per_statement distinct ids (none for no ids); matched
  // on the table's key (options.id_column is ignored).
  absl::StatusOr<Found<M>> GetMany(store::Database& db, const RequestContext& ctx,
                                   std::span<const int64_t> ids, FieldMask<F> mask,
                                   const LoadManyOptions& options = {}) const {
    Found<M> out;
    if (ids.empty()) return out;
    const std::string prefix = absl::StrCat(Select(mask), " WHERE");
    auto map = [this, mask](const store::Row& r) { return FromRow(r, mask); };
    LoadManyOptions keyed = options;
    keyed.id_column = std::string(options_.key);
    return store::WithConnection(
        db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<Found<M>> {
          DAIRA_ASSIGN_OR_RETURN(auto loaded, LoadMany(c, prefix, ids, map, keyed));
          out.items = std::move(loaded.items);
          out.missing = std::move(loaded.missing);
          return std::move(out);
        });
  }

  // The one row matching `where` (a unique key); NotFound `not_found` when none.
  absl::StatusOr<M> FindOne(store::Database& db, const RequestContext& ctx, std::string_view where,
                            std::vector<store::Value> params, FieldMask<F> mask,
                            std::string_view not_found) const {
    const std::string sql = absl::StrCat(Select(mask), " WHERE ", ToAbsl(where));
    return store::WithConnection(
        db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<M> {
          DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, params));
          if (rs.empty())
            return absl::NotFoundError(absl::StrCat(ToAbsl(options_.table), ": ", ToAbsl(not_found)));
          return FromRow(rs.front(), mask);
        });
  }

  absl::StatusOr<bool> Exists(store::Database& db, const RequestContext& ctx, int64_t id) const {
    const std::string sql =
        absl::StrCat("SELECT 1 FROM ", ToAbsl(options_.table), " WHERE ", ToAbsl(options_.key), " = ?");
    return store::WithConnection(db, ctx, store::Access::kRead,
                                 [&](store::Connection& c) -> absl::StatusOr<bool> {
                                   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, {id}));
                                   return !rs.empty();
                                 });
  }

  // count(*) of the rows matching `where` ("" = all rows).
  absl::StatusOr<int64_t> Count(store::Database& db, const RequestContext& ctx, std::string_view where = {},
                                std::vector<store::Value> params = {}) const {
    std::string sql = absl::StrCat("SELECT count(*) FROM ", ToAbsl(options_.table));
    if (!where.empty()) absl::StrAppend(&sql, " WHERE ", ToAbsl(where));
    return store::WithConnection(db, ctx, store::Access::kRead,
                                 [&](store::Connection& c) -> absl::StatusOr<int64_t> {
                                   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, params));
                                   return rs.front().Int64(0);
                                 });
  }

  // A keyset page over `where` ordered by the key (newest first for kDescending: ids are time-ordered).
  // `scope` names the list for its cursors ("wallet:7"); `codec` signs them (null: CursorCodec::Default()).
  // InvalidArgument naming "limit" / "cursor".
  absl::StatusOr<Page<M>> List(store::Database& db, const RequestContext& ctx, std::string scope,
                               std::string_view where, std::vector<store::Value> params, SortOrder order,
                               const PageRequest& request, FieldMask<F> mask,
                               const CursorCodec* codec = nullptr) const {
    KeysetQuery q{.scope = absl::StrCat(ToAbsl(options_.table), ":", scope),
                  .select = Select(mask),
                  .where = std::string(where),
                  .params = std::move(params),
                  .keys = {{std::string(options_.key)}},
                  .order = order};
    auto map = [this, mask](const store::Row& r) { return FromRow(r, mask); };
    return store::WithConnection(
        db, ctx, store::Access::kRead,
        [&](store::Connection& c) -> absl::StatusOr<Page<M>> {
          return FetchPage(c, q, request, map, KeysetOptions{.codec = codec});
        });
  }

  // INSERT of `values` (which must include id) RETURNING every non-sensitive column: the stored row.
  absl::StatusOr<M> Insert(store::Database& db, const RequestContext& ctx, std::string_view op,
                           const std::vector<Assignment>& values) const {
    std::vector<std::string> cols;
    std::vector<store::Value> params;
    cols.reserve(values.size());
    params.reserve(values.size());
    for (const Assignment& a : values) {
      cols.emplace_back(a.column);
      params.push_back(a.value);
    }
    const std::string sql =
        absl::StrCat("INSERT INTO ", ToAbsl(options_.table), " (", absl::StrJoin(cols, ", "), ") VALUES (",
                     absl::StrJoin(std::vector<std::string>(cols.size(), "?"), ", "), ") RETURNING ",
                     fields_.SelectList(fields_.All()));
    return store::WithConnection(
        db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::StatusOr<M> {
          absl::StatusOr<store::ResultSet> rs = c.Execute(sql, params);
          if (!rs.ok()) return MapWriteError(rs.status(), op, options_.unique_keys);
          if (rs->empty()) return absl::InternalError(absl::StrCat(ToAbsl(op), ": INSERT returned no row"));
          return FromRow(rs->front(), fields_.All());
        });
  }

  // UPDATE of exactly `sets` (plus updated_at = `now_micros` when the table has it) on row `id`.
  // No sets → InvalidArgument naming "patch"; no such row → NotFound; a row failing `guard` →
  // FailedPrecondition naming guard->field; a unique key taken → AlreadyExists naming the field.
  absl::Status Update(store::Database& db, const RequestContext& ctx, std::string_view op, int64_t id,
                      std::vector<Assignment> sets, int64_t now_micros,
                      const RowGuard* guard = nullptr) const {
    if (sets.empty()) {
      return FieldError(absl::StatusCode::kInvalidArgument, op, "patch", "names no field to change");
    }
    if (options_.has_updated_at) sets.push_back({"updated_at", now_micros});
    std::vector<std::string> parts;
    std::vector<store::Value> params;
    for (const Assignment& a : sets) {
      parts.push_back(absl::StrCat(ToAbsl(a.column), " = ?"));
      params.push_back(a.value);
    }
    std::string sql = absl::StrCat("UPDATE ", ToAbsl(options_.table), " SET ", absl::StrJoin(parts, ", "),
                                   " WHERE ", ToAbsl(options_.key), " = ?");
    params.emplace_back(id);
    AppendGuard(guard, &sql, &params);
    return store::WithConnection(db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
      absl::StatusOr<store::ResultSet> rs = c.Execute(sql, params);
      if (!rs.ok()) return MapWriteError(rs.status(), op, options_.unique_keys);
      if (rs->rows_affected() == 0) return WhyUnchanged(c, op, id, guard);
      return absl::OkStatus();
    });
  }

  // DELETE of row `id`; NotFound / FailedPrecondition (guard) as for Update. A row other rows still
  // reference (ON DELETE RESTRICT) → FailedPrecondition from the backend, annotated with `op`.
  absl::Status Delete(store::Database& db, const RequestContext& ctx, std::string_view op, int64_t id,
                      const RowGuard* guard = nullptr) const {
    std::string sql =
        absl::StrCat("DELETE FROM ", ToAbsl(options_.table), " WHERE ", ToAbsl(options_.key), " = ?");
    std::vector<store::Value> params = {id};
    AppendGuard(guard, &sql, &params);
    return store::WithConnection(db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
      absl::StatusOr<store::ResultSet> rs = c.Execute(sql, params);
      if (!rs.ok()) return MapWriteError(rs.status(), op, options_.unique_keys);
      if (rs->rows_affected() == 0) return WhyUnchanged(c, op, id, guard);
      return absl::OkStatus();
    });
  }

 private:
  template <size_t N, size_t... I>
  static FieldTable<F> MakeFieldTable(const std::array<ColumnSpec<M, F>, N>& c, std::index_sequence<I...>) {
    return FieldTable<F>({FieldColumn<F>{c[I].field, std::string(c[I].column), c[I].flags}...});
  }

  static void AppendGuard(const RowGuard* guard, std::string* sql, std::vector<store::Value>* params) {
    if (guard == nullptr) return;
    absl::StrAppend(sql, " AND (", guard->predicate, ")");
    params->insert(params->end(), guard->params.begin(), guard->params.end());
  }

  // After an UPDATE/DELETE changed nothing: NotFound, or the guard's FailedPrecondition.
  absl::Status WhyUnchanged(store::Connection& c, std::string_view op, int64_t id,
                            const RowGuard* guard) const {
    if (guard != nullptr) {
      const std::string sql =
          absl::StrCat("SELECT 1 FROM ", ToAbsl(options_.table), " WHERE ", ToAbsl(options_.key), " = ?");
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, {id}));
      if (!rs.empty())
        return FieldError(absl::StatusCode::kFailedPrecondition, op, guard->field, guard->problem);
    }
    return NotFound(id);
  }

  TableOptions options_;
  std::vector<ColumnSpec<M, F>> columns_;
  FieldTable<F> fields_;
};

}  // namespace daira::inline v0::query
