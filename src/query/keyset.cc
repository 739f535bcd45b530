#include "daira/query/keyset.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace daira::inline v0::query {
namespace {

constexpr std::string_view kPageMark = "{page}";

std::string_view ResultColumn(const SortKey& k) {
  if (!k.result_column.empty()) return k.result_column;
  std::string_view c = k.column;
  const size_t dot = c.rfind('.');
  return dot == std::string_view::npos ? c : c.substr(dot + 1);
}

store::Value ToValue(const CursorKey& k) {
  if (const int64_t* v = std::get_if<int64_t>(&k)) return store::Value(*v);
  return store::Value(std::get<std::string>(k));
}

absl::Status ValidateQuery(const KeysetQuery& q) {
  if (q.select.empty()) return InvalidField("keyset query", "select", "is empty (got \"\")");
  if (q.keys.empty() || q.keys.size() > CursorCodec::kMaxKeys) {
    return InvalidField("keyset query", "keys",
                        absl::StrCat("must have 1..", CursorCodec::kMaxKeys, " sort keys (got ", q.keys.size(), ")"));
  }
  for (const SortKey& k : q.keys) {
    if (k.column.empty()) return InvalidField("keyset query", "keys", "has a key with an empty column (got \"\")");
  }
  if (!q.hydrate.empty()) {
    const size_t at = q.hydrate.find(kPageMark);
    if (at == std::string::npos || q.hydrate.find(kPageMark, at + 1) != std::string::npos) {
      return InvalidField("keyset query", "hydrate", "must contain {page} exactly once");
    }
    if (q.hydrate.find('?') != std::string::npos) {
      return InvalidField("keyset query", "hydrate", "must not contain parameters (`?`)");
    }
  }
  return absl::OkStatus();
}

// The page statement `page` (rows in `dir` order) joined by `q.hydrate`, re-ordered the same way.
std::string Hydrated(const KeysetQuery& q, const std::string& page, const char* dir) {
  std::string joined = q.hydrate;
  joined.replace(joined.find(kPageMark), kPageMark.size(), absl::StrCat("(", page, ")"));
  std::vector<std::string> order_by;
  for (const SortKey& k : q.keys) order_by.push_back(absl::StrCat(ToAbsl(ResultColumn(k)), dir));
  return absl::StrCat("SELECT * FROM (", joined, ") hydrated ORDER BY ", absl::StrJoin(order_by, ", "));
}

}  // namespace

absl::StatusOr<KeysetStatement> BuildKeysetStatement(const KeysetQuery& query, const Cursor* after, int fetch,
                                                     bool row_values) {
  DAIRA_RETURN_IF_ERROR(ValidateQuery(query));
  const bool backward = after != nullptr && after->direction == Direction::kBackward;
  // The list's own order is DESC or ASC; a backward page scans the opposite way from the anchor.
  const bool scan_desc = (query.order == SortOrder::kDescending) != backward;
  const char* cmp = scan_desc ? " < " : " > ";
  const char* dir = scan_desc ? " DESC" : " ASC";

  KeysetStatement st;
  st.reversed = backward;
  st.params = query.params;
  std::vector<std::string> conds;
  if (!query.where.empty()) conds.push_back(absl::StrCat("(", query.where, ")"));
  if (after != nullptr) {
    if (after->keys.size() != query.keys.size()) {
      return InvalidField("keyset query", "cursor",
                          absl::StrCat("has the wrong number of keys (got ", after->keys.size(), ", want ",
                                       query.keys.size(), ")"));
    }
    const size_t n = query.keys.size();
    if (row_values) {
      std::vector<std::string> cols, marks;
      for (const SortKey& k : query.keys) {
        cols.push_back(k.column);
        marks.push_back("?");
      }
      conds.push_back(absl::StrCat("(", absl::StrJoin(cols, ", "), ")", cmp, "(", absl::StrJoin(marks, ", "), ")"));
      for (const CursorKey& k : after->keys) st.params.push_back(ToValue(k));
    } else {
      // k1 < ? OR (k1 = ? AND k2 < ?) OR (k1 = ? AND k2 = ? AND k3 < ?) ...
      std::vector<std::string> alts;
      for (size_t i = 0; i < n; ++i) {
        std::vector<std::string> parts;
        for (size_t j = 0; j < i; ++j) {
          parts.push_back(absl::StrCat(query.keys[j].column, " = ?"));
          st.params.push_back(ToValue(after->keys[j]));
        }
        parts.push_back(absl::StrCat(query.keys[i].column, cmp, "?"));
        st.params.push_back(ToValue(after->keys[i]));
        alts.push_back(parts.size() == 1 ? parts[0] : absl::StrCat("(", absl::StrJoin(parts, " AND "), ")"));
      }
      conds.push_back(absl::StrCat("(", absl::StrJoin(alts, " OR "), ")"));
    }
  }
  std::vector<std::string> order_by;
  for (const SortKey& k : query.keys) order_by.push_back(absl::StrCat(k.column, dir));
  st.sql = query.select;
  if (!conds.empty()) absl::StrAppend(&st.sql, " WHERE ", absl::StrJoin(conds, " AND "));
  absl::StrAppend(&st.sql, " ORDER BY ", absl::StrJoin(order_by, ", "), " LIMIT ?");
  st.params.emplace_back(static_cast<int64_t>(fetch));
  if (!query.hydrate.empty()) st.sql = Hydrated(query, st.sql, dir);
  return st;
}

absl::StatusOr<RowPage> FetchRowPage(store::Connection& conn, const KeysetQuery& query, const PageRequest& request,
                                     const KeysetOptions& options) {
  if (request.limit < 1 || request.limit > options.max_limit) {
    return InvalidField("page", "limit",
                        absl::StrCat("must be between 1 and ", options.max_limit, " (got ", request.limit, ")"));
  }
  DAIRA_RETURN_IF_ERROR(ValidateQuery(query));
  const CursorCodec codec = options.codec != nullptr ? *options.codec : CursorCodec::Default();
  std::vector<KeyType> types;
  for (const SortKey& k : query.keys) types.push_back(k.type);

  std::optional<Cursor> cursor;
  if (!request.cursor.empty()) {
    DAIRA_ASSIGN_OR_RETURN(cursor, codec.Decode(request.cursor, query.scope, types));
  }
  DAIRA_ASSIGN_OR_RETURN(KeysetStatement st, BuildKeysetStatement(query, cursor ? &*cursor : nullptr,
                                                                  request.limit + 1, options.row_values));
  RowPage page;
  DAIRA_ASSIGN_OR_RETURN(page.rows, conn.Execute(st.sql, st.params));

  std::vector<int> key_cols;
  for (const SortKey& k : query.keys) {
    std::optional<int> idx = page.rows.ColumnIndex(ResultColumn(k));
    if (!idx.has_value()) {
      if (page.rows.empty() && page.rows.columns().empty()) break;  // backends may omit names of empty results
      return InvalidField("keyset query", "keys",
                          absl::StrCat("names a column the select list does not return (got \"",
                                       ToAbsl(ResultColumn(k)), "\")"));
    }
    key_cols.push_back(*idx);
  }

  const size_t fetched = page.rows.size();
  const size_t n = std::min<size_t>(fetched, static_cast<size_t>(request.limit));
  page.has_more = fetched > n;
  page.order.resize(n);
  for (size_t i = 0; i < n; ++i) page.order[i] = st.reversed ? n - 1 - i : i;
  if (n == 0) return page;

  auto cursor_at = [&](size_t row, Direction d) {
    Cursor c{.scope = query.scope, .direction = d, .keys = {}};
    for (size_t j = 0; j < query.keys.size(); ++j) {
      const store::Row r = page.rows.row(row);
      if (query.keys[j].type == KeyType::kInt64) {
        c.keys.emplace_back(r.Int64(key_cols[j]));
      } else {
        c.keys.emplace_back(r.Text(key_cols[j]));
      }
    }
    return codec.Encode(c);
  };
  const size_t first = page.order.front();
  const size_t last = page.order.back();
  const bool backward = cursor.has_value() && cursor->direction == Direction::kBackward;
  if (backward) {
    // Rows exist after this page (at least the anchor); more before it only if we over-fetched.
    page.next_cursor = cursor_at(last, Direction::kForward);
    if (page.has_more) page.prev_cursor = cursor_at(first, Direction::kBackward);
  } else {
    if (page.has_more) page.next_cursor = cursor_at(last, Direction::kForward);
    if (cursor.has_value()) page.prev_cursor = cursor_at(first, Direction::kBackward);
  }
  return page;
}

}  // namespace daira::inline v0::query
