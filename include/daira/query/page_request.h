// A page request: how many items, and the cursor of the page to continue from. daira's one page
// type: keyset pages (query::FetchPage) and every service list take it (services::PageRequest is
// this type).
//
//   auto first = feed.Home(ctx, viewer, {.limit = 20});
//   if (first.ok() && first->has_more) {
//     auto second = feed.Home(ctx, viewer, {.limit = 20, .cursor = first->next_cursor});
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0 {
class Violations;  // daira/core/validation.h
}  // namespace daira::inline v0

namespace daira::inline v0::query {

inline constexpr int64_t kMaxPageLimit = 100;
inline constexpr int64_t kDefaultPageLimit = 20;
inline constexpr size_t kMaxCursorLength = 512;

struct PageRequest {
  // Items per page: 1–kMaxPageLimit for the services (FetchPage: 1..KeysetOptions::max_limit).
  int64_t limit = kDefaultPageLimit;
  // "" for the first page, else a next_cursor / prev_cursor: at most kMaxCursorLength printable ASCII
  // characters, no spaces.
  std::string cursor{};
  // OK, or InvalidArgument (op "page") naming `limit` and/or `cursor`.
  absl::Status Validate() const;
};

// Adds the limit and cursor rules above to `v`, for requests that embed a page (search, lists).
void AddPageViolations(Violations& v, int64_t limit, std::string_view cursor);

}  // namespace daira::inline v0::query
