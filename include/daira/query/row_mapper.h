// Row mappers: how the query helpers turn a store::Row into a caller's type.
//
// Every helper in daira/query that returns typed items (FetchPage, LoadMany) takes a mapper: any
// callable taking `const store::Row&` and returning either `T` or `absl::StatusOr<T>`.
//
//   auto to_user = [](const store::Row& r) { return User{r.Int64("id"), r.Text("username")}; };
//   auto checked = [](const store::Row& r) -> absl::StatusOr<User> {
//     if (r.IsNull("username")) return absl::DataLossError("user without username");
//     return User{r.Int64("id"), r.Text("username")};
//   };
//   static_assert(std::is_same_v<query::MappedType<decltype(to_user)>, User>);
//   static_assert(std::is_same_v<query::MappedType<decltype(checked)>, User>);
//
// Thread-safety: stateless helpers; a mapper is called on the caller's thread only.
#pragma once

#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::query {

namespace internal {
template <typename R>
struct UnwrapStatusOr {
  using type = R;
  static constexpr bool kIsStatusOr = false;
};
template <typename T>
struct UnwrapStatusOr<absl::StatusOr<T>> {
  using type = T;
  static constexpr bool kIsStatusOr = true;
};
}  // namespace internal

// The item type a mapper `F` produces (T for both `T(const Row&)` and `StatusOr<T>(const Row&)`).
template <typename F>
using MappedType =
    typename internal::UnwrapStatusOr<std::decay_t<std::invoke_result_t<F&, const store::Row&>>>::type;

// Calls `map(row)` and wraps a plain result in StatusOr.
template <typename F>
absl::StatusOr<MappedType<F>> ApplyMapper(F& map, const store::Row& row) {
  if constexpr (internal::UnwrapStatusOr<std::decay_t<std::invoke_result_t<F&, const store::Row&>>>::kIsStatusOr) {
    return map(row);
  } else {
    return absl::StatusOr<MappedType<F>>(map(row));
  }
}

}  // namespace daira::inline v0::query
