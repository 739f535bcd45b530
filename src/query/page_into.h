// query::FetchPage with each item constructed in the page's own vector and filled from its row in
// place, for daira's hot lists (user search): no StatusOr<T> per row and no move of every item into
// the page (a short string's move copies its bytes), and the filler reads cells by (result, row)
// (store::internal::RowCells) rather than through a Row. The page, its cursors and its errors are
// FetchPage's.
//
//   auto fill = [&](const store::ResultSet& rs, size_t row, Hit& out) -> absl::Status { ... };
//   DAIRA_ASSIGN_OR_RETURN(query::Page<Hit> page, query::internal::FetchPageInto<Hit>(conn, q, request, fill));
//
// Internal (src/query): FetchPage is a public template; this one changes no public header.
#pragma once

#include <cstddef>
#include <utility>

#include "absl/status/statusor.h"
#include "daira/core/status.h"
#include "daira/query/keyset.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::query::internal {

// FetchRowPage, then `fill(const store::ResultSet&, size_t row, T&) -> absl::Status` on a T
// constructed in place per row of the page, in the list's order; the first error is returned.
template <typename T, typename Fill>
absl::StatusOr<Page<T>> FetchPageInto(store::Connection& conn, const KeysetQuery& query, const PageRequest& request,
                                      Fill&& fill, const KeysetOptions& options = {}) {
  DAIRA_ASSIGN_OR_RETURN(RowPage raw, FetchRowPage(conn, query, request, options));
  Page<T> page;
  page.items.reserve(raw.order.size());
  for (size_t i : raw.order) DAIRA_RETURN_IF_ERROR(fill(raw.rows, i, page.items.emplace_back()));
  page.next_cursor = std::move(raw.next_cursor);
  page.prev_cursor = std::move(raw.prev_cursor);
  page.has_more = raw.has_more;
  return page;
}

// The same on a read connection for `ctx` (its open transaction when it has one).
template <typename T, typename Fill>
absl::StatusOr<Page<T>> FetchPageInto(store::Database& db, const RequestContext& ctx, const KeysetQuery& query,
                                      const PageRequest& request, Fill&& fill, const KeysetOptions& options = {}) {
  return store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c) {
    return FetchPageInto<T>(c, query, request, fill, options);
  });
}

}  // namespace daira::inline v0::query::internal
