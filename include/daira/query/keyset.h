// Keyset pagination: stable pages over an ordered list, with tamper-proof cursors.
//
// A page is "the next `limit` rows after this sort key", never "skip N rows": it costs one index range
// scan however deep the client walks, and rows inserted at the head while a client pages never shift
// or duplicate what it sees. The list is described once by a KeysetQuery; each call fetches limit+1
// rows (to know whether there is more) and returns Page<T>{items, next_cursor, prev_cursor, has_more}.
//
//   query::KeysetQuery q{.scope = absl::StrCat("posts:", author),
//                        .select = "SELECT id, created_at, content FROM posts",
//                        .where = "author_id = ?", .params = {author},
//                        .keys = {{"created_at"}, {"id"}},               // (created_at DESC, id DESC)
//                        .order = query::SortOrder::kDescending};
//   auto to_post = [](const store::Row& r) { return Post{r.Int64("id"), r.Text("content")}; };
//   DAIRA_ASSIGN_OR_RETURN(auto page, query::FetchPage(db, ctx, q, {.limit = 20}, to_post));
//   // page.items; page.next_cursor → {.limit = 20, .cursor = page.next_cursor} for the next page;
//   // page.prev_cursor walks back toward the head.
//
// The WHERE clause uses a row-value comparison, `(created_at, id) < (?, ?)`, which SQLite (≥ 3.15)
// and PostgreSQL both evaluate (and PostgreSQL turns into one btree range scan on an index over the
// same columns). KeysetOptions::row_values = false expands it to the equivalent
// `created_at < ? OR (created_at = ? AND id < ?)`. Backward pages (prev_cursor) are fetched in the
// opposite order and flipped, so items always come in the list's order.
//
// Every sort key must be selected (it is read back from the row to build the cursors), the last key
// must be unique (usually the primary key), and for an efficient scan an index should cover
// (where-columns, keys...). All keys share one direction.
//
// A caller paging the same list shape call after call (a service) makes its shape once with
// KeysetShape::Create and passes it in KeysetQuery::shape: the statements are then planned once per
// shape and found without reading the select text, and their prepared statements by identity
// (store::SqlText). Without a shape, FetchPage finds the plan by the query's text (a hash of the
// whole select per call), which suits ad-hoc queries.
//
// Thread-safety: the functions are reentrant; KeysetQuery/PageRequest are plain values; a KeysetShape
// is immutable to its users and safe to share between threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/cursor.h"
#include "daira/query/page_request.h"
#include "daira/query/row_mapper.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/value.h"

namespace daira::inline v0::query {

enum class SortOrder { kDescending, kAscending };

// One component of the list's sort key.
struct SortKey {
  std::string column;                 // SQL expression used in WHERE / ORDER BY ("p.created_at")
  KeyType type = KeyType::kInt64;     // how its value is carried in the cursor
  std::string result_column{};        // its name in the result set; "" = `column` after the last '.'
};

class KeysetShape;

// The list being paged. Plain data; build one per request (scope usually includes the owner's id).
struct KeysetQuery {
  std::string scope;                  // cursor scope tag: a cursor from another list is rejected
  // "SELECT ... FROM ... [JOIN ...]" without WHERE / ORDER BY / LIMIT. It may hold marks, for a
  // select that must know the page it serves (e.g. to skip work the page cannot reach): {after} →
  // the keyset bound "rows after the anchor" over the keys (`1 = 1` on the first page), its values
  // spliced into `params` where the mark stands among the `?`s (so no `?` may hide in a string
  // literal before a mark); {fetch} → the number of rows fetched (limit + 1); {forward} → 1 when the
  // page is scanned in the list's order, 0 for a backward page.
  std::string select;
  std::string where{};                // optional predicate with `?` placeholders, ANDed with the keyset bound
  std::vector<store::Value> params{}; // values for the `?` in `where`, in order
  std::vector<SortKey> keys;          // 1..CursorCodec::kMaxKeys; the last must be unique
  SortOrder order = SortOrder::kDescending;
  // Optional late hydration, for lists ranked over narrow (index-only) rows whose items need wide
  // ones: "SELECT k.bucket, k.id, u.username FROM {page} k JOIN users u ON u.id = k.id". When set,
  // the keyset statement over `select` (bound, ORDER BY, LIMIT) becomes the derived table `{page}`
  // and only its limit+1 rows are joined, instead of every candidate; the joined rows come back in
  // the page's order again. It must contain `{page}` exactly once and no `?`, and must return every
  // key's result column.
  std::string hydrate{};
  // Optional: this list's shape made once (KeysetShape::Create), for a caller running it call after
  // call. When set, select, where, keys, order and hydrate come from the shape and must be left
  // empty / default here; scope and params (as many as the shape was made with) still come from here.
  std::shared_ptr<const KeysetShape> shape{};
};

// What a KeysetQuery is apart from its values (select, where, keys, order, hydrate and the number of
// params), with the statements it runs planned once per kind of page (first / forward / backward, row
// values or not, rows fetched) and kept as store::SqlText, so that a connection finds their prepared
// statements by identity.
class KeysetShape {
 public:
  // The shape of `query` (its scope, param values and shape field are not part of it).
  // InvalidArgument, naming the field, for a malformed query (empty select, 0 or too many keys, a key
  // without a column, a bad hydrate).
  static absl::StatusOr<std::shared_ptr<const KeysetShape>> Create(const KeysetQuery& query);
  ~KeysetShape();
  KeysetShape(const KeysetShape&) = delete;
  KeysetShape& operator=(const KeysetShape&) = delete;

  // The query the shape was made from (scope and params cleared but for the params' count).
  const KeysetQuery& query() const { return query_; }
  size_t param_count() const { return param_count_; }

  struct Plans;  // the planned statements (private to keyset.cc)
  Plans& plans() const { return *plans_; }

 private:
  KeysetShape(KeysetQuery query, size_t param_count);
  KeysetQuery query_;
  size_t param_count_;
  std::unique_ptr<Plans> plans_;
};

struct KeysetOptions {
  int max_limit = 100;                // largest accepted PageRequest::limit
  bool row_values = true;             // (a, b) < (?, ?); false: the expanded OR form
  const CursorCodec* codec = nullptr; // null: CursorCodec::Default(); not owned
};

template <typename T>
struct Page {
  std::vector<T> items;               // in the list's order, at most `limit`
  std::string next_cursor;            // continues after the last item; "" when nothing follows (as far as known)
  std::string prev_cursor;            // walks back before the first item; "" on the first page
  bool has_more = false;              // more rows exist in the direction this page was fetched
};

// The statement FetchPage runs, exposed for tests and EXPLAIN.
struct KeysetStatement {
  std::string sql;
  std::vector<store::Value> params;
  bool reversed = false;              // rows come in reverse list order (a backward page)
};

// Builds the statement fetching `fetch` rows after (`after` forward) or before (backward) the
// anchor `after` (null: from the head of the list). InvalidArgument for a malformed query.
absl::StatusOr<KeysetStatement> BuildKeysetStatement(const KeysetQuery& query, const Cursor* after, int fetch,
                                                     bool row_values = true);

// A page of raw rows: `rows` holds up to limit+1 rows in fetch order; `order` lists the indices of
// the page's rows in list order.
struct RowPage {
  store::ResultSet rows;
  std::vector<size_t> order;
  std::string next_cursor;
  std::string prev_cursor;
  bool has_more = false;
};

// Validates the request (limit → InvalidArgument naming "limit"; cursor → InvalidArgument naming
// "cursor"), runs one statement on `conn`, and computes the cursors. Statement errors pass through.
absl::StatusOr<RowPage> FetchRowPage(store::Connection& conn, const KeysetQuery& query, const PageRequest& request,
                                     const KeysetOptions& options = {});

// FetchRowPage, then maps every row with `map` (`T(const Row&)` or `StatusOr<T>(const Row&)`; the
// first mapper error is returned).
template <typename F>
absl::StatusOr<Page<MappedType<F>>> FetchPage(store::Connection& conn, const KeysetQuery& query,
                                              const PageRequest& request, F&& map,
                                              const KeysetOptions& options = {}) {
  DAIRA_ASSIGN_OR_RETURN(RowPage raw, FetchRowPage(conn, query, request, options));
  Page<MappedType<F>> page;
  page.items.reserve(raw.order.size());
  for (size_t i : raw.order) {
    absl::StatusOr<MappedType<F>> item = ApplyMapper(map, raw.rows.row(i));
    if (!item.ok()) return item.status();
    page.items.push_back(*std::move(item));
  }
  page.next_cursor = std::move(raw.next_cursor);
  page.prev_cursor = std::move(raw.prev_cursor);
  page.has_more = raw.has_more;
  return page;
}

// The same for `ctx`: inside its open transaction when it has one, else on a read connection leased
// from `db` (may be a replica; see Database::Acquire).
template <typename F>
absl::StatusOr<Page<MappedType<F>>> FetchPage(store::Database& db, const RequestContext& ctx,
                                              const KeysetQuery& query, const PageRequest& request, F&& map,
                                              const KeysetOptions& options = {}) {
  return store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c) {
    return FetchPage(c, query, request, std::forward<F>(map), options);
  });
}

}  // namespace daira::inline v0::query
