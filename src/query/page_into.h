// query::FetchPage with each item constructed in the page's own vector and filled from its row in
// place, for daira's hot lists (user search): no StatusOr<T> per row and no move of every item into
// the page (a short string's move copies its bytes), and the filler reads cells by (result, row)
// (store::internal::RowCells) rather than through a Row. The page, its cursors and its errors are
// FetchPage's.
//
//   auto fill = [&](const store::ResultSet& rs, size_t row, Hit& out) -> absl::Status { ... };
//   DAIRA_ASSIGN_OR_RETURN(query::Page<Hit> page, query::internal::FetchPageInto<Hit>(conn, q, request, fill));
//
// A query passed as an rvalue gives up its values: they are moved into the statement's parameters
// instead of copied (internal::FetchRows(conn, KeysetQuery&&)).
//
// Internal (src/query): FetchPage is a public template; this one changes no public header.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "daira/core/status.h"
#include "daira/query/keyset.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::query::internal {

// query::FetchRowPage's page without its `order` (left empty): its `count` rows in the list's order are
// rows.row(Index(0)), ..., rows.row(Index(count - 1)) — the result's first `count` rows, reversed on a
// backward page. No vector of row indexes per page.
struct OrderedRows {
  RowPage page;
  size_t count = 0;
  bool reversed = false;
  size_t Index(size_t i) const { return reversed ? count - 1 - i : i; }
};

// query::FetchRowPage as OrderedRows. The one for an rvalue `query` moves its values into the
// statement's parameters instead of copying them (`query` is left with moved-from values).
absl::StatusOr<OrderedRows> FetchRows(store::Connection& conn, const KeysetQuery& query, const PageRequest& request,
                                      const KeysetOptions& options = {});
absl::StatusOr<OrderedRows> FetchRows(store::Connection& conn, KeysetQuery&& query, const PageRequest& request,
                                      const KeysetOptions& options = {});

// FetchRows, then `fill(const store::ResultSet&, size_t row, T&) -> absl::Status` on a T constructed
// in place per row of the page, in the list's order; the first error is returned.
template <typename T, typename Query, typename Fill>
  requires std::is_same_v<std::remove_cvref_t<Query>, KeysetQuery>
absl::StatusOr<Page<T>> FetchPageInto(store::Connection& conn, Query&& query, const PageRequest& request,
                                      Fill&& fill, const KeysetOptions& options = {}) {
  DAIRA_ASSIGN_OR_RETURN(OrderedRows raw, FetchRows(conn, std::forward<Query>(query), request, options));
  Page<T> page;
  page.items.reserve(raw.count);
  for (size_t i = 0; i < raw.count; ++i) DAIRA_RETURN_IF_ERROR(fill(raw.page.rows, raw.Index(i), page.items.emplace_back()));
  page.next_cursor = std::move(raw.page.next_cursor);
  page.prev_cursor = std::move(raw.page.prev_cursor);
  page.has_more = raw.page.has_more;
  return page;
}

// The same on a read connection for `ctx` (its open transaction when it has one).
template <typename T, typename Query, typename Fill>
  requires std::is_same_v<std::remove_cvref_t<Query>, KeysetQuery>
absl::StatusOr<Page<T>> FetchPageInto(store::Database& db, const RequestContext& ctx, Query&& query,
                                      const PageRequest& request, Fill&& fill, const KeysetOptions& options = {}) {
  return store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c) {
    return FetchPageInto<T>(c, std::forward<Query>(query), request, fill, options);  // runs once
  });
}

}  // namespace daira::inline v0::query::internal
