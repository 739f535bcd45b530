// Private: the typed layer the services::*Repository classes share. A TypedTable is a query::Table
// whose key is a strong id type: Get / GetMany (straight into the repository's batch struct) / Exists /
// FindOne / Count / List take typed ids and a Conditions filter and the service dependencies, so a
// repository's .cc holds its column table and only the methods particular to it.
//
//   using PostTable = TypedTable<PostRecord, PostField, PostId>;
//   const PostTable& Posts() {
//     static const auto* kTable = new PostTable({.table = "posts", .entity = "post"}, std::array{...});
//     return *kTable;
//   }
//   absl::StatusOr<PostBatch> PostRepository::GetMany(ctx, ids, mask) const {
//     return Posts().GetMany<PostBatch>(deps_, ctx, ids, mask);   // ONE statement, caller's order
//   }
//   Conditions c;
//   c.IfSet("author_id = ?", filter.author_id).IfSet("status = ?", filter.status);
//   return Posts().Count(deps_, ctx, c);   // SELECT count(*) FROM posts WHERE author_id = ? AND status = ?
//
// A batch struct is any aggregate whose first member is std::vector<M> (the rows found, caller's
// order, duplicates once) and whose second is std::vector<Id> (the ids with no row).
//
// Thread-safety: a TypedTable is immutable after construction (share it); Conditions is a value.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"
#include "daira/store/value.h"
#include "query/table_repository.h"

namespace daira::inline v0::services::internal {

// A model value as a bound parameter: strong ids as their int64, enums by their model::ToString
// spelling (the schema's CHECK spellings), time points as int64 microseconds, the rest as they are.
template <typename T>
store::Value Bind(const T& v) {
  if constexpr (query::internal::IsStrongId<T>::value) {
    return store::Value(v.value);
  } else if constexpr (std::is_enum_v<T>) {
    return store::Value(std::string(ToString(v)));  // model::ToString, found by ADL
  } else if constexpr (std::is_same_v<T, Clock::TimePoint>) {
    return store::Value(ToUnixMicros(v));
  } else {
    return store::Value(v);
  }
}

// An AND of constant predicates with `?` placeholders and their values (a typed filter's WHERE).
class Conditions {
 public:
  // Adds `predicate` with one `?` bound to `value`.
  template <typename T>
  Conditions& Add(std::string_view predicate, const T& value) {
    predicates_.emplace_back(predicate);
    params_.push_back(Bind(value));
    return *this;
  }
  // Adds `predicate` (no placeholder).
  Conditions& Add(std::string_view predicate) {
    predicates_.emplace_back(predicate);
    return *this;
  }
  // Adds `predicate` bound to *value when `value` is set; nothing otherwise.
  template <typename T>
  Conditions& IfSet(std::string_view predicate, const std::optional<T>& value) {
    if (value.has_value()) Add(predicate, *value);
    return *this;
  }

  // "a = ? AND b = ?" ("" when empty: every row).
  std::string Where() const { return absl::StrJoin(predicates_, " AND "); }
  const std::vector<store::Value>& params() const { return params_; }

 private:
  std::vector<std::string> predicates_;
  std::vector<store::Value> params_;
};

template <typename M, typename F, typename Id>
class TypedTable : public query::Table<M, F> {
  using Base = query::Table<M, F>;

 public:
  using Mask = query::FieldMask<F>;
  using Base::Base;

  // The row with key `id` (columns of `mask` plus the key). NotFound "<table>: <entity> <id> not found".
  absl::StatusOr<M> Get(const ServiceDeps& deps, const RequestContext& ctx, Id id, Mask mask) const {
    return Base::Get(*deps.db, ctx, id.value, mask);
  }

  // The rows with `ids` in one statement per 10,000 distinct ids (none for no ids), as a `Batch`.
  template <typename Batch>
  absl::StatusOr<Batch> GetMany(const ServiceDeps& deps, const RequestContext& ctx, std::span<const Id> ids,
                                Mask mask) const {
    const std::vector<int64_t> raw = query::RawIds(ids);
    DAIRA_ASSIGN_OR_RETURN(auto found, Base::GetMany(*deps.db, ctx, raw, mask));
    return Batch{std::move(found.items), query::TypedIds<Id>(found.missing)};
  }

  absl::StatusOr<bool> Exists(const ServiceDeps& deps, const RequestContext& ctx, Id id) const {
    return Base::Exists(*deps.db, ctx, id.value);
  }

  // The one row matching `where` (a unique key); NotFound "<table>: <not_found>" when none.
  absl::StatusOr<M> FindOne(const ServiceDeps& deps, const RequestContext& ctx, const Conditions& where,
                            Mask mask, std::string_view not_found) const {
    return Base::FindOne(*deps.db, ctx, where.Where(), where.params(), mask, not_found);
  }

  // count(*) of the rows matching `where` (every row when empty).
  absl::StatusOr<int64_t> Count(const ServiceDeps& deps, const RequestContext& ctx,
                                const Conditions& where = {}) const {
    return Base::Count(*deps.db, ctx, where.Where(), where.params());
  }

  // A keyset page over the rows matching `where`, ordered by the key; `scope` names the list in its
  // cursors. InvalidArgument naming "limit" / "cursor".
  absl::StatusOr<query::Page<M>> List(const ServiceDeps& deps, const RequestContext& ctx, std::string scope,
                                      const Conditions& where, query::SortOrder order,
                                      const query::PageRequest& page, Mask mask) const {
    return Base::List(*deps.db, ctx, std::move(scope), where.Where(), where.params(), order, page, mask,
                      deps.cursors);
  }
};

}  // namespace daira::inline v0::services::internal
