#include "daira/query/keyset.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "query/page_into.h"

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
  StatementPlan(std::string text, std::vector<ParamRef> refs) : sql(std::move(text)), params(std::move(refs)) {
    // Whether the parameters are the query's values in their order, then the fetch count (a first
    // page whose select has no {after} mark), so a query given up hands over its vector whole.
    query_then_fetch = !params.empty() && params.back().from == ParamFrom::kFetch;
    for (size_t i = 0; i + 1 < params.size(); ++i) {
      if (params[i].from != ParamFrom::kQuery || params[i].index != i) query_then_fetch = false;
    }
  }
  store::SqlText sql;  // found by identity in the connection's statement cache
  std::vector<ParamRef> params;
  bool query_then_fetch = false;
  uint64_t kind = 0;  // the kind of page it serves (PlanOf's key)
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

std::unique_ptr<StatementPlan> BuildPlan(const KeysetQuery& query, bool anchored, bool backward,
                                               int fetch, bool row_values) {
  // The list's own order is DESC or ASC; a backward page scans the opposite way from the anchor.
  const bool scan_desc = (query.order == SortOrder::kDescending) != backward;
  const char* cmp = scan_desc ? " < " : " > ";
  const char* dir = scan_desc ? " DESC" : " ASC";

  std::optional<Bound> bound;
  if (anchored) bound = BoundAfter(query, cmp, row_values);
  std::string sql = query.select;
  std::vector<ParamRef> params;
  for (uint32_t i = 0; i < query.params.size(); ++i) params.push_back({ParamFrom::kQuery, i});
  FillMarks(sql, params, bound ? &*bound : nullptr, fetch, !backward);
  std::vector<std::string> conds;
  if (!query.where.empty()) conds.push_back(absl::StrCat("(", query.where, ")"));
  if (bound) {
    conds.push_back(bound->sql);
    params.insert(params.end(), bound->params.begin(), bound->params.end());
  }
  std::vector<std::string> order_by;
  for (const SortKey& k : query.keys) order_by.push_back(absl::StrCat(k.column, dir));
  if (!conds.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(conds, " AND "));
  absl::StrAppend(&sql, " ORDER BY ", absl::StrJoin(order_by, ", "), " LIMIT ?");
  params.push_back({ParamFrom::kFetch, 0});
  if (!query.hydrate.empty()) sql = Hydrated(query, sql, dir);
  return std::make_unique<StatementPlan>(std::move(sql), std::move(params));
}

}  // namespace

// A shape's plans, built on first use per kind of page: anchored or not, backward or not, row values
// or not, and the rows fetched when the select has a {fetch} mark (else the LIMIT is a parameter and
// one plan serves every limit). Keyed by those packed into one integer.
struct KeysetShape::Plans {
  bool uses_fetch = false;  // the select has a {fetch} mark
  absl::Mutex mu;
  absl::flat_hash_map<uint64_t, std::unique_ptr<StatementPlan>> by_kind ABSL_GUARDED_BY(mu);
  // The plan last found per anchored / backward / row-values combination, read without the lock (a
  // list's pages nearly always ask for the same kinds). Plans live as long as the shape: by_kind never
  // drops one.
  std::array<std::atomic<const StatementPlan*>, 8> recent{};
};

KeysetShape::KeysetShape(KeysetQuery query, size_t param_count)
    : query_(std::move(query)), param_count_(param_count), plans_(std::make_unique<Plans>()) {
  plans_->uses_fetch = query_.select.find(kFetchMark) != std::string::npos;
}

KeysetShape::~KeysetShape() = default;

absl::StatusOr<std::shared_ptr<const KeysetShape>> KeysetShape::Create(const KeysetQuery& query) {
  DAIRA_RETURN_IF_ERROR(ValidateQuery(query));
  KeysetQuery shape{.scope = "",
                    .select = query.select,
                    .where = query.where,
                    .params = {},
                    .keys = query.keys,
                    .order = query.order,
                    .hydrate = query.hydrate};
  return std::shared_ptr<const KeysetShape>(new KeysetShape(std::move(shape), query.params.size()));
}

namespace {

// The plan of `shape` for one kind of page, built on its first use.
const StatementPlan& PlanOf(const KeysetShape& shape, bool anchored, bool backward, int fetch,
                            bool row_values) {
  KeysetShape::Plans& plans = shape.plans();
  const uint64_t flags = (anchored ? 4u : 0u) | (backward ? 2u : 0u) | (row_values ? 1u : 0u);
  const uint64_t kind = (static_cast<uint64_t>(plans.uses_fetch ? fetch : 0) << 3) | flags;
  std::atomic<const StatementPlan*>& recent = plans.recent[flags];
  if (const StatementPlan* p = recent.load(std::memory_order_acquire); p != nullptr && p->kind == kind) return *p;
  const StatementPlan* found = nullptr;
  {
    absl::ReaderMutexLock lock(&plans.mu);
    auto it = plans.by_kind.find(kind);
    if (it != plans.by_kind.end()) found = it->second.get();
  }
  if (found == nullptr) {
    KeysetQuery q = shape.query();
    q.params.resize(shape.param_count());  // BuildPlan reads their number only
    std::unique_ptr<StatementPlan> plan = BuildPlan(q, anchored, backward, fetch, row_values);
    plan->kind = kind;
    absl::MutexLock lock(&plans.mu);
    found = plans.by_kind.try_emplace(kind, std::move(plan)).first->second.get();
  }
  recent.store(found, std::memory_order_release);
  return *found;
}

// Everything a shape is, as one string: the key of the shapes of ad-hoc queries.
std::string ShapeKey(const KeysetQuery& query) {
  std::string key =
      absl::StrCat(query.select, "\x1f", query.where, "\x1f", query.hydrate, "\x1f",
                   query.order == SortOrder::kDescending ? "d" : "a", "\x1f", query.params.size());
  for (const SortKey& k : query.keys) {
    absl::StrAppend(&key, "\x1f", k.column, "\x1e", k.result_column, "\x1e", static_cast<int>(k.type));
  }
  return key;
}

// Shapes of queries that come without one, by their text. An application has a few dozen; the cap
// only guards against a caller that builds its select text from values (then every call is a new
// shape and the cache starts over).
constexpr size_t kMaxAdHocShapes = 1024;

// The shape `query` is paged with: its own (whose text fields must be empty and whose number of
// params must match), else the cached shape of its text (made and validated on first use).
absl::StatusOr<std::shared_ptr<const KeysetShape>> ShapeFor(const KeysetQuery& query) {
  if (query.shape != nullptr) {
    if (!query.select.empty() || !query.where.empty() || !query.hydrate.empty() || !query.keys.empty()) {
      return InvalidField(
          "keyset query", "shape",
          "is set, so select, where, keys and hydrate must be left empty (they are the shape's)");
    }
    if (query.params.size() != query.shape->param_count()) {
      return InvalidField("keyset query", "params",
                          absl::StrCat("must hold as many values as the shape was made with (got ",
                                       query.params.size(), ", want ", query.shape->param_count(), ")"));
    }
    return query.shape;
  }
  DAIRA_RETURN_IF_ERROR(ValidateQuery(query));
  static absl::Mutex mu(absl::kConstInit);
  static auto* shapes = new absl::flat_hash_map<std::string, std::shared_ptr<const KeysetShape>>();
  std::string key = ShapeKey(query);
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = shapes->find(key);
    if (it != shapes->end()) return it->second;
  }
  DAIRA_ASSIGN_OR_RETURN(std::shared_ptr<const KeysetShape> shape, KeysetShape::Create(query));
  absl::MutexLock lock(&mu);
  if (shapes->size() >= kMaxAdHocShapes) shapes->clear();
  return shapes->try_emplace(std::move(key), std::move(shape)).first->second;
}

// A keyset statement: its plan (whose text, an SqlText, is run without being copied or hashed) and
// its values.
struct PlannedStatement {
  std::shared_ptr<const KeysetShape> shape;  // keeps `plan` alive
  const StatementPlan* plan = nullptr;
  std::vector<store::Value> params;
  bool reversed = false;
};

// `take`: the query's own values, moved into the statement's instead of copied (each is bound once:
// BuildPlan refers to every query value exactly once), or null to copy them.
absl::StatusOr<PlannedStatement> PlanStatement(std::shared_ptr<const KeysetShape> shape,
                                               const KeysetQuery& query, const Cursor* after, int fetch,
                                               bool row_values, std::vector<store::Value>* take = nullptr) {
  const std::vector<SortKey>& keys = shape->query().keys;
  if (after != nullptr && after->keys.size() != keys.size()) {
    return InvalidField(
        "keyset query", "cursor",
        absl::StrCat("has the wrong number of keys (got ", after->keys.size(), ", want ", keys.size(), ")"));
  }
  const bool backward = after != nullptr && after->direction == Direction::kBackward;
  PlannedStatement st;
  st.plan = &PlanOf(*shape, after != nullptr, backward, fetch, row_values);
  st.shape = std::move(shape);
  st.reversed = backward;
  if (take != nullptr && st.plan->query_then_fetch) {
    st.params = std::move(*take);
    st.params.emplace_back(static_cast<int64_t>(fetch));
    return st;
  }
  st.params.reserve(st.plan->params.size());
  for (const ParamRef& p : st.plan->params) {
    switch (p.from) {
      case ParamFrom::kQuery:
        if (take != nullptr) {
          st.params.push_back(std::move((*take)[p.index]));
        } else {
          st.params.push_back(query.params[p.index]);
        }
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
  DAIRA_ASSIGN_OR_RETURN(std::shared_ptr<const KeysetShape> shape, ShapeFor(query));
  DAIRA_ASSIGN_OR_RETURN(PlannedStatement planned,
                         PlanStatement(std::move(shape), query, after, fetch, row_values));
  return KeysetStatement{
      .sql = planned.plan->sql.str(), .params = std::move(planned.params), .reversed = planned.reversed};
}

namespace {

// FetchRowPage without the page's `order` (internal::OrderedRows). `given`: null, or `query` itself
// when the caller gives it up — its values are moved into the statement's.
absl::StatusOr<internal::OrderedRows> FetchRowPageImpl(store::Connection& conn, const KeysetQuery& query,
                                                       const PageRequest& request, const KeysetOptions& options,
                                                       KeysetQuery* given) {
  if (request.limit < 1 || request.limit > options.max_limit) {
    return InvalidField("page", "limit",
                        absl::StrCat("must be between 1 and ", options.max_limit, " (got ", request.limit, ")"));
  }
  DAIRA_ASSIGN_OR_RETURN(std::shared_ptr<const KeysetShape> shape, ShapeFor(query));
  const std::vector<SortKey>& keys = shape->query().keys;
  // Copies of CursorCodec::Default() share its key ring (each sees every SetDefaultKey): one kept for
  // the process, not a shared_ptr copy per page.
  static const CursorCodec* const process_default = new CursorCodec(CursorCodec::Default());
  const CursorCodec& codec = options.codec != nullptr ? *options.codec : *process_default;
  std::array<KeyType, CursorCodec::kMaxKeys> key_types;  // ValidateQuery: 1..kMaxKeys keys
  for (size_t j = 0; j < keys.size(); ++j) key_types[j] = keys[j].type;
  const std::span<const KeyType> types(key_types.data(), keys.size());

  std::optional<Cursor> cursor;
  if (!request.cursor.empty()) {
    DAIRA_ASSIGN_OR_RETURN(cursor, codec.Decode(request.cursor, query.scope, types));
  }
  DAIRA_ASSIGN_OR_RETURN(PlannedStatement st,
                         PlanStatement(std::move(shape), query, cursor ? &*cursor : nullptr,
                                       request.limit + 1, options.row_values,
                                       given != nullptr ? &given->params : nullptr));
  internal::OrderedRows out;
  RowPage& page = out.page;
  DAIRA_ASSIGN_OR_RETURN(page.rows, conn.Execute(st.plan->sql, st.params));

  std::array<int, CursorCodec::kMaxKeys> key_cols{};
  size_t resolved = 0;
  for (const SortKey& k : keys) {
    std::optional<int> idx = page.rows.ColumnIndex(ResultColumn(k));
    if (!idx.has_value()) {
      if (page.rows.empty() && page.rows.columns().empty()) break;  // backends may omit names of empty results
      return InvalidField("keyset query", "keys",
                          absl::StrCat("names a column the select list does not return (got \"",
                                       ToAbsl(ResultColumn(k)), "\")"));
    }
    key_cols[resolved++] = *idx;
  }

  const size_t fetched = page.rows.size();
  const size_t n = std::min<size_t>(fetched, static_cast<size_t>(request.limit));
  page.has_more = fetched > n;
  out.count = n;
  out.reversed = st.reversed;
  if (n == 0) return out;

  // A cursor's fields are written into one per-thread Cursor (its scope's and keys' capacity reused:
  // no allocation per cursor; Encode does not call back here).
  auto cursor_at = [&](size_t row, Direction d) {
    thread_local Cursor c;
    c.scope.assign(query.scope);
    c.direction = d;
    c.keys.clear();
    const store::Row r = page.rows.row(row);
    for (size_t j = 0; j < keys.size(); ++j) {
      if (keys[j].type == KeyType::kInt64) {
        c.keys.emplace_back(r.Int64(key_cols[j]));
      } else {
        c.keys.emplace_back(r.Text(key_cols[j]));
      }
    }
    return codec.Encode(c);
  };
  const size_t first = st.reversed ? n - 1 : 0;  // rows in the list's order: reversed on a backward page
  const size_t last = st.reversed ? 0 : n - 1;
  const bool backward = cursor.has_value() && cursor->direction == Direction::kBackward;
  if (backward) {
    // Rows exist after this page (at least the anchor); more before it only if we over-fetched.
    page.next_cursor = cursor_at(last, Direction::kForward);
    if (page.has_more) page.prev_cursor = cursor_at(first, Direction::kBackward);
  } else {
    if (page.has_more) page.next_cursor = cursor_at(last, Direction::kForward);
    if (cursor.has_value()) page.prev_cursor = cursor_at(first, Direction::kBackward);
  }
  return out;
}

}  // namespace

absl::StatusOr<RowPage> FetchRowPage(store::Connection& conn, const KeysetQuery& query, const PageRequest& request,
                                     const KeysetOptions& options) {
  DAIRA_ASSIGN_OR_RETURN(internal::OrderedRows rows, FetchRowPageImpl(conn, query, request, options, /*given=*/nullptr));
  RowPage page = std::move(rows.page);
  page.order.resize(rows.count);
  for (size_t i = 0; i < rows.count; ++i) page.order[i] = rows.Index(i);
  return page;
}

namespace internal {

absl::StatusOr<OrderedRows> FetchRows(store::Connection& conn, const KeysetQuery& query, const PageRequest& request,
                                      const KeysetOptions& options) {
  return FetchRowPageImpl(conn, query, request, options, /*given=*/nullptr);
}

absl::StatusOr<OrderedRows> FetchRows(store::Connection& conn, KeysetQuery&& query, const PageRequest& request,
                                      const KeysetOptions& options) {
  return FetchRowPageImpl(conn, query, request, options, /*given=*/&query);
}

}  // namespace internal

}  // namespace daira::inline v0::query
