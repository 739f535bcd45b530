#include "daira/query/keyset.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace daira::inline v0::query {
namespace {

constexpr std::string_view kPageMark = "{page}";
constexpr std::string_view kAfterMark = "{after}";
constexpr std::string_view kFetchMark = "{fetch}";
constexpr std::string_view kForwardMark = "{forward}";

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

namespace {

// The keyset bound "rows after the anchor" over the keys: its SQL and values.
struct Bound {
  std::string sql;
  std::vector<store::Value> params;
};

absl::StatusOr<Bound> BoundAfter(const KeysetQuery& query, const Cursor& after, const char* cmp, bool row_values) {
  if (after.keys.size() != query.keys.size()) {
    return InvalidField("keyset query", "cursor",
                        absl::StrCat("has the wrong number of keys (got ", after.keys.size(), ", want ",
                                     query.keys.size(), ")"));
  }
  Bound b;
  const size_t n = query.keys.size();
  if (row_values) {
    std::vector<std::string> cols, marks;
    for (const SortKey& k : query.keys) {
      cols.push_back(k.column);
      marks.push_back("?");
    }
    b.sql = absl::StrCat("(", absl::StrJoin(cols, ", "), ")", cmp, "(", absl::StrJoin(marks, ", "), ")");
    for (const CursorKey& k : after.keys) b.params.push_back(ToValue(k));
    return b;
  }
  // k1 < ? OR (k1 = ? AND k2 < ?) OR (k1 = ? AND k2 = ? AND k3 < ?) ...
  std::vector<std::string> alts;
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> parts;
    for (size_t j = 0; j < i; ++j) {
      parts.push_back(absl::StrCat(query.keys[j].column, " = ?"));
      b.params.push_back(ToValue(after.keys[j]));
    }
    parts.push_back(absl::StrCat(query.keys[i].column, cmp, "?"));
    b.params.push_back(ToValue(after.keys[i]));
    alts.push_back(parts.size() == 1 ? parts[0] : absl::StrCat("(", absl::StrJoin(parts, " AND "), ")"));
  }
  b.sql = absl::StrCat("(", absl::StrJoin(alts, " OR "), ")");
  return b;
}

// `select` with its marks filled in (KeysetQuery::select): {after} → the bound (its values spliced
// into `params` where the mark stands among the `?`s), {fetch} → `fetch`, {forward} → 1 or 0.
void FillMarks(std::string& select, std::vector<store::Value>& params, const Bound* bound, int fetch, bool forward) {
  if (select.find('{') == std::string::npos) return;
  std::string out;
  std::vector<store::Value> spliced;
  size_t next_param = 0;
  for (size_t i = 0; i < select.size();) {
    const std::string_view rest = std::string_view(select).substr(i);
    if (rest.starts_with(kAfterMark)) {
      if (bound == nullptr) {
        out += "1 = 1";
      } else {
        out += bound->sql;
        spliced.insert(spliced.end(), bound->params.begin(), bound->params.end());
      }
      i += kAfterMark.size();
    } else if (rest.starts_with(kFetchMark)) {
      absl::StrAppend(&out, fetch);
      i += kFetchMark.size();
    } else if (rest.starts_with(kForwardMark)) {
      out += forward ? "1" : "0";
      i += kForwardMark.size();
    } else {
      if (select[i] == '?' && next_param < params.size()) spliced.push_back(params[next_param++]);
      out.push_back(select[i++]);
    }
  }
  while (next_param < params.size()) spliced.push_back(params[next_param++]);
  select = std::move(out);
  params = std::move(spliced);
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

  std::optional<Bound> bound;
  if (after != nullptr) {
    DAIRA_ASSIGN_OR_RETURN(bound, BoundAfter(query, *after, cmp, row_values));
  }
  KeysetStatement st;
  st.reversed = backward;
  st.params = query.params;
  st.sql = query.select;
  FillMarks(st.sql, st.params, bound ? &*bound : nullptr, fetch, !backward);
  std::vector<std::string> conds;
  if (!query.where.empty()) conds.push_back(absl::StrCat("(", query.where, ")"));
  if (bound) {
    conds.push_back(bound->sql);
    st.params.insert(st.params.end(), bound->params.begin(), bound->params.end());
  }
  std::vector<std::string> order_by;
  for (const SortKey& k : query.keys) order_by.push_back(absl::StrCat(k.column, dir));
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
