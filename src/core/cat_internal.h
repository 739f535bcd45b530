// Private: absl::StrCat that also takes std::string_view (Debian's absl::string_view is a different
// type, so std::string_view arguments go through ToAbsl). For message building in any layer.
//
//   std::string m = Cat("blob ", key_view, ": not found (", size, " bytes)");
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0 {
namespace cat_internal {
template <typename T>
decltype(auto) Av(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return ToAbsl(v);
  } else {
    return (v);
  }
}
}  // namespace cat_internal

template <typename... T>
std::string Cat(const T&... v) {
  return absl::StrCat(cat_internal::Av(v)...);
}

}  // namespace daira::inline v0
