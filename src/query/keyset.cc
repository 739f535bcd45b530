#include "daira/query/keyset.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

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

// Where a statement parameter's value comes from. The text of a keyset statement and the order of its
// parameters depend only on the query's shape (select, where, keys, hydrate, direction, whether there
// is an anchor, the number of `params`), never on the values: a plan is built once per shape and
// cached (building it scans and copies the whole select text, ~60k instructions for the 2 kB user
// search; a cached plan costs a hash of the shape).
enum class ParamFrom : uint8_t { kQuery, kCursor, kFetch };
struct ParamRef {
  ParamFrom from;
  uint32_t index;
};
struct StatementPlan {
  std::string sql;
  std::vector<ParamRef> params;
};

// The keyset bound "rows after the anchor" over the keys: its SQL and the cursor keys it binds.
struct Bound {
  std::string sql;
  std::vector<ParamRef> params;
};

Bound BoundAfter(const KeysetQuery& query, const char* cmp, bool row_values) {
  Bound b;
  const size_t n = query.keys.size();
  if (row_values) {
    std::vector<std::string> cols, marks;
    for (uint32_t i = 0; i < n; ++i) {
      cols.push_back(query.keys[i].column);
      marks.push_back("?");
      b.params.push_back({ParamFrom::kCursor, i});
    }
    b.sql = absl::StrCat("(", absl::StrJoin(cols, ", "), ")", cmp, "(", absl::StrJoin(marks, ", "), ")");
    return b;
  }
  // k1 < ? OR (k1 = ? AND k2 < ?) OR (k1 = ? AND k2 = ? AND k3 < ?) ...
  std::vector<std::string> alts;
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<std::string> parts;
    for (uint32_t j = 0; j < i; ++j) {
      parts.push_back(absl::StrCat(query.keys[j].column, " = ?"));
      b.params.push_back({ParamFrom::kCursor, j});
    }
    parts.push_back(absl::StrCat(query.keys[i].column, cmp, "?"));
    b.params.push_back({ParamFrom::kCursor, i});
    alts.push_back(parts.size() == 1 ? parts[0] : absl::StrCat("(", absl::StrJoin(parts, " AND "), ")"));
  }
  b.sql = absl::StrCat("(", absl::StrJoin(alts, " OR "), ")");
  return b;
}

// `select` with its marks filled in (KeysetQuery::select): {after} → the bound (its values spliced
// into `params` where the mark stands among the `?`s), {fetch} → `fetch`, {forward} → 1 or 0.
void FillMarks(std::string& select, std::vector<ParamRef>& params, const Bound* bound, int fetch,
               bool forward) {
  if (select.find('{') == std::string::npos) return;
  std::string out;
  std::vector<ParamRef> spliced;
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

StatementPlan BuildPlan(const KeysetQuery& query, bool anchored, bool backward, int fetch, bool row_values) {
  // The list's own order is DESC or ASC; a backward page scans the opposite way from the anchor.
  const bool scan_desc = (query.order == SortOrder::kDescending) != backward;
  const char* cmp = scan_desc ? " < " : " > ";
  const char* dir = scan_desc ? " DESC" : " ASC";

  std::optional<Bound> bound;
  if (anchored) bound = BoundAfter(query, cmp, row_values);
  StatementPlan plan;
  for (uint32_t i = 0; i < query.params.size(); ++i) plan.params.push_back({ParamFrom::kQuery, i});
  plan.sql = query.select;
  FillMarks(plan.sql, plan.params, bound ? &*bound : nullptr, fetch, !backward);
  std::vector<std::string> conds;
  if (!query.where.empty()) conds.push_back(absl::StrCat("(", query.where, ")"));
  if (bound) {
    conds.push_back(bound->sql);
    plan.params.insert(plan.params.end(), bound->params.begin(), bound->params.end());
  }
  std::vector<std::string> order_by;
  for (const SortKey& k : query.keys) order_by.push_back(absl::StrCat(k.column, dir));
  if (!conds.empty()) absl::StrAppend(&plan.sql, " WHERE ", absl::StrJoin(conds, " AND "));
  absl::StrAppend(&plan.sql, " ORDER BY ", absl::StrJoin(order_by, ", "), " LIMIT ?");
  plan.params.push_back({ParamFrom::kFetch, 0});
  if (!query.hydrate.empty()) plan.sql = Hydrated(query, plan.sql, dir);
  return plan;
}

// Everything BuildPlan reads, as one string (the cache key).
std::string ShapeKey(const KeysetQuery& query, bool anchored, bool backward, int fetch, bool row_values) {
  std::string key =
      absl::StrCat(query.select, "\x1f", query.where, "\x1f", query.hydrate, "\x1f",
                   query.order == SortOrder::kDescending ? "d" : "a", anchored ? "1" : "0",
                   backward ? "1" : "0", row_values ? "1" : "0", "\x1f", fetch, "\x1f", query.params.size());
  for (const SortKey& k : query.keys) absl::StrAppend(&key, "\x1f", k.column, "\x1e", k.result_column);
  return key;
}

// Plans by shape. An application has a few dozen shapes; the cap only guards against a caller that
// builds its select text from values (then every call is a new shape and the cache starts over).
constexpr size_t kMaxCachedPlans = 1024;

// A recently used plan with the shape it was built for, compared field by field: the direct-mapped
// table in front of the plans map finds a shape's plan without building and hashing its key (the
// user search's 2.3 kB key cost ~4k instructions per call to build and hash; a hit here costs its
// lengths' hash and one comparison of the texts).
struct RecentPlan {
  std::string select, where, hydrate;
  std::vector<std::pair<std::string, std::string>> keys;  // column, result_column
  SortOrder order;
  size_t params;
  int fetch;
  bool anchored, backward, row_values;
  std::shared_ptr<const StatementPlan> plan;

  bool Matches(const KeysetQuery& q, bool a, bool b, int f, bool rv) const {
    if (a != anchored || b != backward || rv != row_values || f != fetch || q.order != order ||
        q.params.size() != params || q.keys.size() != keys.size() || q.select != select || q.where != where ||
        q.hydrate != hydrate) {
      return false;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (q.keys[i].column != keys[i].first || q.keys[i].result_column != keys[i].second) return false;
    }
    return true;
  }
};
constexpr size_t kRecentPlans = 256;

// The recent-plan slot of a shape: its lengths and flags only (no text is read), so different shapes
// may share a slot; Matches decides.
size_t RecentSlot(const KeysetQuery& q, bool anchored, bool backward, int fetch, bool row_values) {
  return absl::HashOf(q.select.size(), q.where.size(), q.hydrate.size(), q.keys.size(), q.params.size(),
                      static_cast<int>(q.order), anchored, backward, fetch, row_values) %
         kRecentPlans;
}

std::shared_ptr<const StatementPlan> CachedPlan(const KeysetQuery& query, bool anchored, bool backward,
                                                int fetch, bool row_values) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* plans = new absl::flat_hash_map<std::string, std::shared_ptr<const StatementPlan>>();
  static auto* recent = new std::array<std::shared_ptr<const RecentPlan>, kRecentPlans>();
  const size_t slot = RecentSlot(query, anchored, backward, fetch, row_values);
  {
    absl::ReaderMutexLock lock(&mu);
    const std::shared_ptr<const RecentPlan>& r = (*recent)[slot];
    if (r != nullptr && r->Matches(query, anchored, backward, fetch, row_values)) return r->plan;
  }
  std::string key = ShapeKey(query, anchored, backward, fetch, row_values);
  std::shared_ptr<const StatementPlan> plan;
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = plans->find(key);
    if (it != plans->end()) plan = it->second;
  }
  if (plan == nullptr)
    plan = std::make_shared<const StatementPlan>(BuildPlan(query, anchored, backward, fetch, row_values));
  auto entry = std::make_shared<RecentPlan>();
  entry->select = query.select;
  entry->where = query.where;
  entry->hydrate = query.hydrate;
  for (const SortKey& k : query.keys) entry->keys.emplace_back(k.column, k.result_column);
  entry->order = query.order;
  entry->params = query.params.size();
  entry->fetch = fetch;
  entry->anchored = anchored;
  entry->backward = backward;
  entry->row_values = row_values;
  entry->plan = plan;
  absl::MutexLock lock(&mu);
  if (plans->size() >= kMaxCachedPlans) plans->clear();
  plans->try_emplace(std::move(key), plan);
  (*recent)[slot] = std::move(entry);
  return plan;
}

}  // namespace

namespace {

// A keyset statement whose text stays in the cached plan (FetchRowPage runs it without copying it).
struct PlannedStatement {
  std::shared_ptr<const StatementPlan> plan;
  std::vector<store::Value> params;
  bool reversed = false;
};

absl::StatusOr<PlannedStatement> PlanStatement(const KeysetQuery& query, const Cursor* after, int fetch,
                                               bool row_values) {
  DAIRA_RETURN_IF_ERROR(ValidateQuery(query));
  if (after != nullptr && after->keys.size() != query.keys.size()) {
    return InvalidField("keyset query", "cursor",
                        absl::StrCat("has the wrong number of keys (got ", after->keys.size(), ", want ",
                                     query.keys.size(), ")"));
  }
  const bool backward = after != nullptr && after->direction == Direction::kBackward;
  PlannedStatement st;
  st.plan = CachedPlan(query, after != nullptr, backward, fetch, row_values);
  st.reversed = backward;
  st.params.reserve(st.plan->params.size());
  for (const ParamRef& p : st.plan->params) {
    switch (p.from) {
      case ParamFrom::kQuery:
        st.params.push_back(query.params[p.index]);
        break;
      case ParamFrom::kCursor:
        st.params.push_back(ToValue(after->keys[p.index]));
        break;
      case ParamFrom::kFetch:
        st.params.emplace_back(static_cast<int64_t>(fetch));
        break;
    }
  }
  return st;
}

}  // namespace

absl::StatusOr<KeysetStatement> BuildKeysetStatement(const KeysetQuery& query, const Cursor* after, int fetch,
                                                     bool row_values) {
  DAIRA_ASSIGN_OR_RETURN(PlannedStatement planned, PlanStatement(query, after, fetch, row_values));
  return KeysetStatement{.sql = planned.plan->sql, .params = std::move(planned.params), .reversed = planned.reversed};
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
  DAIRA_ASSIGN_OR_RETURN(PlannedStatement st, PlanStatement(query, cursor ? &*cursor : nullptr, request.limit + 1,
                                                            options.row_values));
  RowPage page;
  DAIRA_ASSIGN_OR_RETURN(page.rows, conn.Execute(st.plan->sql, st.params));

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
