// Search service: users (FTS5 / GIN tsvector + username prefix range), posts (posts_fts / GIN tsvector,
// or one hashtag through post_hashtags) and hashtags (prefix range), each a keyset over integer keys
// computed in SQL from the row and the query.
#include "daira/services/search.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "daira/core/status.h"
#include "daira/core/utf8.h"
#include "daira/store/column_indexes.h"
#include "daira/store/dialect.h"
#include "query/keyset_shapes.h"
#include "query/page_into.h"
#include "services/content_internal.h"
#include "services/search_internal.h"
#include "services/text_entities.h"
#include "store/row_cells.h"

namespace daira::inline v0::services {
namespace {

// At most 8 words, held inline (no allocation for the list; a word past 15 bytes allocates its string).
using WordList = absl::InlinedVector<std::string, 8>;

// Words of `q` for full-text matching: maximal runs of ASCII letters/digits or non-ASCII bytes
// (UTF-8 sequences), ASCII lower-cased. Everything else (quotes, '*', '-', operators' punctuation)
// separates words, so it can never act as FTS5 / tsquery syntax.
WordList Words(std::string_view q) {
  WordList out;
  std::string cur;
  for (unsigned char c : q) {
    if (c >= 0x80 || absl::ascii_isalnum(c)) {
      cur.push_back(static_cast<char>(absl::ascii_tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  if (out.size() > 8) out.resize(8);
  return out;
}

// FTS5: a word as a quoted string (double quotes doubled), with a prefix '*' when `prefix`.
std::string Fts5Word(const std::string& w, bool prefix) {
  std::string quoted = "\"";
  for (char c : w) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  if (prefix) quoted.push_back('*');
  return quoted;
}

// FTS5: every word as a prefix string, implicitly ANDed.
std::string Fts5Query(const WordList& words) {
  std::vector<std::string> parts;
  for (const std::string& w : words) parts.push_back(Fts5Word(w, /*prefix=*/true));
  return absl::StrJoin(parts, " ");
}

// tsquery: a word as a quoted lexeme (single quotes doubled, backslashes escaped), with :* when
// `prefix`, appended to `out`.
void AppendTsWord(std::string& out, const std::string& w, bool prefix) {
  out.push_back('\'');
  for (char c : w) {
    if (c == '\'' || c == '\\') out.push_back(c == '\'' ? '\'' : '\\');
    out.push_back(c);
  }
  out.push_back('\'');
  if (prefix) out += ":*";
}

std::string TsWord(const std::string& w, bool prefix) {
  std::string quoted;
  quoted.reserve(w.size() + 4);
  AppendTsWord(quoted, w, prefix);
  return quoted;
}

// tsquery: every word as a prefix lexeme, ANDed.
std::string TsQuery(const WordList& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += " & ";
    AppendTsWord(out, words[i], /*prefix=*/true);
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Cursor scopes hold at most CursorCodec::kMaxScopeBytes (256): a query of up to 100 characters can
// take 400 bytes, so a long one is represented by a prefix and its FNV-1a hash.
std::string Scope(std::string_view kind, std::string_view q) {
  if (q.size() <= 200) {
    std::string scope;
    scope.reserve(8 + kind.size() + q.size());
    scope.append("search:").append(kind).push_back(':');
    scope.append(q);
    return scope;
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : q) h = (h ^ ch) * 1099511628211ULL;
  return absl::StrCat("search:", ToAbsl(kind), ":", ToAbsl(q.substr(0, 100)), ":", absl::Hex(h));
}

// The prefix-range predicate on `column` for strings starting with a prefix. SQLite: BINARY collation,
// [prefix, prefix || 0xFF) (0xFF never occurs in UTF-8), served by the column's ordinary index.
// PostgreSQL: the same range in the "C" collation (an index declared COLLATE "C" serves it, also under
// a generic plan, unlike `LIKE $1`); the upper bound is the next code point string, since Postgres
// rejects invalid UTF-8 — `has_upper` is false when there is none (PrefixRangeParams says).
std::string PrefixRangeSql(store::Backend backend, std::string_view column, bool has_upper) {
  if (backend != store::Backend::kPostgres) return absl::StrCat(ToAbsl(column), " >= ? AND ", ToAbsl(column), " < ?");
  std::string sql = absl::StrCat(ToAbsl(column), " COLLATE \"C\" >= ?");
  if (has_upper) absl::StrAppend(&sql, " AND ", ToAbsl(column), " COLLATE \"C\" < ?");
  return sql;
}

// PrefixRangeSql's values for `prefix`, appended to `params`; whether the range has an upper bound.
bool PrefixRangeParams(store::Backend backend, const std::string& prefix, std::vector<store::Value>& params) {
  if (backend != store::Backend::kPostgres) {
    params.insert(params.end(), {prefix, prefix + "\xFF"});
    return true;
  }
  params.emplace_back(prefix);
  std::optional<std::string> upper = internal::PrefixUpperBound(prefix);
  if (upper.has_value()) params.emplace_back(*std::move(upper));
  return upper.has_value();
}

// Columns of the post's author, read in the same statement as the post (aliases au / ap).
constexpr char kAuthorColumns[] =
    "au.username AS author_username, au.avatar_url AS author_avatar_url, au.is_verified AS author_is_verified, "
    "ap.display_name AS author_display_name";
constexpr char kAuthorJoins[] =
    " LEFT JOIN users au ON au.id = p.author_id LEFT JOIN user_profiles ap ON ap.user_id = p.author_id";

// A user hit, filled in place in the page (query::internal::FetchPageInto) with the column indexes
// resolved once per statement (store::ColumnIndexes, kept per thread from one call to the next: it
// re-resolves when the result's shape is not the one it holds, e.g. after the statement was evicted
// and prepared again): each text is written straight into its member from the
// result's cell (store::internal::RowCells), with no temporary string, no StatusOr<UserHit> and no move
// of the hit into the page.
class UserHitReader {
 public:
  absl::Status operator()(const store::ResultSet& rs, size_t row, UserHit& h) {
    DAIRA_RETURN_IF_ERROR(cols_.Bind(rs.row(row)));
    const store::internal::RowCells cells(rs, row);
    h.id = cells.Int64(cols_[2]);
    cells.TextInto(cols_[3], &h.username);
    cells.TextInto(cols_[4], &h.display_name);  // NULL reads as ""
    if (!cells.IsNull(cols_[5])) cells.TextInto(cols_[5], &h.avatar_url.emplace());
    h.is_verified = cells.Int64(cols_[6]) != 0;
    h.rank_bucket = static_cast<int>(cells.Int64(cols_[0]));
    h.rank_tier = cells.Int64(cols_[1]);
    return absl::OkStatus();
  }

 private:
  static constexpr std::string_view kNames[] = {"bucket",       "tier",       "id",         "username",
                                                "display_name", "avatar_url", "is_verified"};
  static store::ColumnIndexes& ThreadColumns() {
    thread_local store::ColumnIndexes cols{kNames};
    return cols;
  }
  store::ColumnIndexes& cols_ = ThreadColumns();
};

// A post hit: the post through a PostReader (indexes resolved once per page), then its author columns.
struct PostHitReader {
  absl::StatusOr<PostHit> operator()(const store::Row& r);
  internal::PostReader read_post;
};

absl::StatusOr<PostHit> PostHitReader::operator()(const store::Row& r) {
  PostHit h;
  DAIRA_ASSIGN_OR_RETURN(h.post, read_post(r));
  h.relevance = r.Int64("relevance");
  if (!r.IsNull("author_username")) {
    h.post.author = model::AuthorSummary{
        .id = h.post.author_id,
        .username = r.Text("author_username"),
        .display_name = r.IsNull("author_display_name") ? "" : r.Text("author_display_name"),
        .avatar_url = r.IsNull("author_avatar_url") ? "" : r.Text("author_avatar_url"),
        .is_verified = r.Int64("author_is_verified") != 0};
  }
  return h;
}

struct VideoHitReader {
  absl::StatusOr<VideoHit> operator()(const store::Row& r) {
    DAIRA_ASSIGN_OR_RETURN(model::Video video, read_video(r));
    return VideoHit{.video = std::move(video), .relevance = r.Int64("relevance")};
  }
  internal::VideoReader read_video;
};

HashtagHit HashtagHitFromRow(const store::Row& r) {
  return HashtagHit{.id = r.Int64("id"),
                    .tag = r.Text("tag"),
                    .posts_count = r.Int64("posts_count"),
                    .videos_count = r.Int64("videos_count")};
}

absl::Status CheckScope(std::string_view op, const SearchRequest& request, std::string_view own) {
  if (request.scope == "ALL" || request.scope == own) return absl::OkStatus();
  return InvalidField(op, "scope",
                      absl::StrCat("must be ALL or ", ToAbsl(own), " for this search (got ", request.scope, ")"));
}

query::PageRequest KeysetPage(const SearchRequest& request) {
  return query::PageRequest{.limit = static_cast<int>(request.limit), .cursor = request.cursor};
}

// The hashtag a caller's prefix stands for, folded as extraction folds tags ("#Cai" -> "cai"), or ""
// when no tag can start with it. A digits-only prefix ("20") is a valid start although not a tag.
std::string HashtagPrefix(std::string_view q) {
  if (!q.empty() && q.front() == '#') q.remove_prefix(1);
  if (q.empty()) return "";
  std::string folded = internal::NormalizeHashtag(q);
  if (!folded.empty()) return folded;
  folded = internal::NormalizeHashtag(absl::StrCat(ToAbsl(q), "x"));
  if (folded.empty()) return "";
  folded.pop_back();
  return folded;
}

}  // namespace

namespace internal {

std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  // An ASCII prefix whose last character is below DEL (nearly every query): the same answer as the
  // code point walk below, without decoding into a vector — the last byte plus one.
  if (!prefix.empty() && static_cast<unsigned char>(prefix.back()) < 0x7F &&
      std::all_of(prefix.begin(), prefix.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    std::string out(prefix);
    ++out.back();
    return out;
  }
  std::vector<char32_t> cps;
  for (size_t pos = 0; pos < prefix.size();) cps.push_back(Utf8Decode(prefix, &pos));
  while (!cps.empty()) {
    char32_t last = cps.back();
    cps.pop_back();
    if (last == kUtf8Invalid || last >= 0x10FFFF) continue;
    ++last;
    if (last == 0xD800) last = 0xE000;  // surrogates are not characters
    std::string out;
    for (char32_t c : cps) AppendUtf8(out, c);
    AppendUtf8(out, last);
    return out;
  }
  return std::nullopt;
}

namespace {

// The user search's select text for one shape: a query or none, its number of words, and (Postgres)
// whether its prefix range has an upper bound. Its parameters are UserSearchParams'.
std::string UserSearchSelect(store::Backend backend, bool has_q, size_t words, bool has_upper) {
  const bool postgres = backend == store::Backend::kPostgres;

  // Every candidate is ranked from index columns alone — (bucket, tier, id) — and only the page's
  // rows are joined to users and profiles (KeysetQuery::hydrate). Arms are a UNION ALL of disjoint
  // sets, each served by an index (an OR across them would defeat the indexes).
  std::vector<std::string> arms;
  std::string prefix_arm;
  if (has_q) {
    // Buckets 0 and 1 from the username alone: users_active_username_idx (partial, ACTIVE) covers
    // username and id, so no users row is read. SQLite has no statistics to prefer it over
    // users_status_idx (every ACTIVE user): it is told with INDEXED BY.
    prefix_arm = absl::StrCat(
        "SELECT CAST(CASE WHEN username = ? THEN 0 ELSE 1 END AS BIGINT) AS bucket, "
        "CAST(CASE WHEN username = ? THEN 0 ELSE length(username) END AS BIGINT) AS tier, id FROM users",
        postgres ? "" : " INDEXED BY users_active_username_idx", " WHERE status = 'ACTIVE' AND ",
        PrefixRangeSql(backend, "username", has_upper));
    arms.push_back(prefix_arm);
  }
  if (words > 0) {
    // Bucket 2: full-text hits whose username does not start with q (those are in bucket 1 or not
    // ACTIVE). tier = the number of words that match only as a prefix: one whole-word index lookup
    // per word, evaluated once as a set.
    std::vector<std::string> whole;
    for (size_t w = 0; w < words; ++w) {
      if (postgres) {
        whole.push_back(
            "CASE WHEN f.id IN (SELECT id FROM users WHERE to_tsvector('simple', username) @@ to_tsquery('simple', ?) "
            "UNION ALL SELECT user_id FROM user_profiles WHERE to_tsvector('simple', coalesce(display_name, '')) @@ "
            "to_tsquery('simple', ?)) THEN 1 ELSE 0 END");
      } else {
        whole.push_back("CASE WHEN f.id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?) THEN 1 ELSE 0 END");
      }
    }
    // Bucket 2 sorts after buckets 0 and 1: when the prefix arm alone has a page's worth of rows after
    // the cursor (a common prefix), the page cannot reach bucket 2, and the gate — one constant
    // subquery reading at most {fetch} index entries — skips the full-text match. A backward page
    // (which walks toward bucket 0) always computes it. PostgreSQL runs a constant WHERE term once, as
    // a One-Time Filter before the scans; SQLite evaluates it per row, so there the gate is a
    // one-row table joined first (CROSS JOIN fixes the loop order) and the match never starts.
    std::string gate = "1 = 1";
    if (has_q) {
      gate = absl::StrCat("({forward} = 0 OR (SELECT count(*) FROM (SELECT 1 FROM (", prefix_arm,
                          ") g WHERE {after} LIMIT {fetch}) n) < {fetch})");
    }
    std::string from;
    if (postgres) {
      // The expressions are exactly those of users_search_idx and user_profiles_search_idx (GIN).
      from =
          "(SELECT id FROM users WHERE to_tsvector('simple', username) @@ to_tsquery('simple', ?) UNION "
          "SELECT user_id FROM user_profiles WHERE to_tsvector('simple', coalesce(display_name, '')) @@ "
          "to_tsquery('simple', ?)) f WHERE " + gate + " AND ";
    } else {
      from = "(SELECT " + gate + " AS open LIMIT 1) gate CROSS JOIN (SELECT rowid AS id FROM users_fts WHERE "
             "users_fts MATCH ?) f WHERE gate.open AND ";
    }
    std::string arm = absl::StrCat("SELECT CAST(2 AS BIGINT) AS bucket, CAST(", words, " - (",
                                   absl::StrJoin(whole, " + "), ") AS BIGINT) AS tier, f.id FROM ", from);
    if (has_q) {
      absl::StrAppend(&arm, "f.id NOT IN (SELECT id FROM users WHERE ",
                      PrefixRangeSql(backend, "username", has_upper), ") AND ");
    }
    // The ACTIVE check probes users_status_idx (status, id), not the wide users row.
    absl::StrAppend(&arm, "EXISTS (SELECT 1 FROM users a", postgres ? "" : " INDEXED BY users_status_idx",
                    " WHERE a.status = 'ACTIVE' AND a.id = f.id)");
    arms.push_back(std::move(arm));
  }
  if (arms.empty()) {
    arms.push_back("SELECT CAST(0 AS BIGINT) AS bucket, CAST(0 AS BIGINT) AS tier, id FROM users WHERE 1 = 0");
  }
  return absl::StrCat("SELECT bucket, tier, id FROM (", absl::StrJoin(arms, " UNION ALL "), ") c");
}

// UserSearchSelect's values for `q`, in the order of its `?`s (and {after}, which FetchPage splices).
// Sets *has_upper (the shape's last component).
std::vector<store::Value> UserSearchParams(store::Backend backend, const std::string& q,
                                           const WordList& words, bool* has_upper) {
  const bool postgres = backend == store::Backend::kPostgres;
  // The prefix range's upper bound (PrefixRangeParams), built once and appended where it is used.
  std::string upper;
  *has_upper = false;
  if (!q.empty()) {
    if (!postgres) {
      upper = q + "\xFF";
      *has_upper = true;
    } else if (std::optional<std::string> u = internal::PrefixUpperBound(q); u.has_value()) {
      upper = *std::move(u);
      *has_upper = true;
    }
  }
  std::vector<store::Value> params;
  params.reserve(8 + 2 * words.size() + 4 + 1);  // + 1: the keyset statement appends its LIMIT
  auto range = [&] {  // the prefix range's values (none without q)
    if (q.empty()) return;
    params.emplace_back(q);
    if (*has_upper) params.emplace_back(upper);
  };
  auto prefix_arm = [&] {  // q twice, then the range
    if (q.empty()) return;
    params.emplace_back(q);
    params.emplace_back(q);
    range();
  };
  prefix_arm();
  if (words.empty()) return params;
  for (const std::string& w : words) {  // the whole-word tests
    if (postgres) {
      std::string tw = TsWord(w, /*prefix=*/false);
      params.emplace_back(tw);
      params.emplace_back(std::move(tw));
    } else {
      params.emplace_back(Fts5Word(w, /*prefix=*/false));
    }
  }
  if (postgres) {  // the full-text sets, then the gate (its copy of the prefix arm)
    std::string tsq = TsQuery(words);
    params.emplace_back(tsq);
    params.emplace_back(std::move(tsq));
    prefix_arm();
  } else {  // the gate, then the match
    prefix_arm();
    params.emplace_back(Fts5Query(words));
  }
  range();  // NOT IN the prefix range
  return params;
}

}  // namespace

query::KeysetQuery UserSearchQuery(store::Backend backend, const std::string& q) {
  const WordList words = Words(q);
  bool has_upper = false;
  std::vector<store::Value> params = UserSearchParams(backend, q, words, &has_upper);
  // The query's shape (select, keys, hydrate) depends on the backend, whether there is a query, its
  // number of words and whether its prefix range has an upper bound only: made once per shape (at most
  // 2 x 2 x 9 x 2) and kept for the process, so a search copies no SQL text and plans nothing. Each is
  // published in its own slot, read without a lock; the mutex only orders the making.
  static constexpr size_t kMaxWords = 8;  // Words keeps at most 8
  static absl::Mutex mu(absl::kConstInit);
  static std::array<std::atomic<const std::shared_ptr<const query::KeysetShape>*>, 2 * 2 * (kMaxWords + 1) * 2> slots{};
  const size_t slot_index =
      ((static_cast<size_t>(backend == store::Backend::kPostgres) * 2 + (q.empty() ? 0 : 1)) * (kMaxWords + 1) +
       std::min(words.size(), kMaxWords)) * 2 + (has_upper ? 1 : 0);
  std::atomic<const std::shared_ptr<const query::KeysetShape>*>& slot = slots[slot_index];
  const std::shared_ptr<const query::KeysetShape>* published = slot.load(std::memory_order_acquire);
  if (published == nullptr) {
    query::KeysetQuery full{
        .scope = Scope("users", q),
        .select = UserSearchSelect(backend, !q.empty(), words.size(), has_upper),
        .params = params,
        .keys = {{"bucket"}, {"tier"}, {"id"}},
        .order = query::SortOrder::kAscending,
        .hydrate =
            "SELECT k.bucket, k.tier, k.id, u.username, p.display_name, u.avatar_url, u.is_verified "
            "FROM {page} k JOIN users u ON u.id = k.id LEFT JOIN user_profiles p ON p.user_id = k.id"};
    absl::StatusOr<std::shared_ptr<const query::KeysetShape>> made = query::KeysetShape::Create(full);
    if (!made.ok()) return full;  // fixed text, so a bug: FetchPage reports the same error
    absl::MutexLock lock(&mu);
    published = slot.load(std::memory_order_relaxed);
    if (published == nullptr) {
      published = new std::shared_ptr<const query::KeysetShape>(*std::move(made));  // kept for the process
      slot.store(published, std::memory_order_release);
    }
  }
  std::shared_ptr<const query::KeysetShape> shape = *published;
  return query::KeysetQuery{
      .scope = Scope("users", q), .select = {}, .params = std::move(params), .keys = {}, .shape = std::move(shape)};
}

namespace {

// One full-text-searchable table: posts or videos.
struct TextTable {
  std::string_view scope;     // cursor scope kind
  std::string_view table;     // "posts"
  std::string_view fts;       // SQLite FTS5 table (external content, visible rows only)
  std::string_view document;  // Postgres: the text its GIN expression indexes, unqualified ("content")
  std::string_view visible;   // the predicate of the visible rows, unqualified (= the GIN index's predicate)
  std::string_view row_document;  // `document` over alias p
  std::string_view row_visible;   // `visible` over alias p
  std::string columns;        // select list over alias p, with the author's columns when joined
  std::string_view joins;     // joins after "FROM <table> p"
};

// Candidates: the newest `candidates` visible rows matching every word as a prefix, found through the
// full-text index only. Postgres: a MATERIALIZED CTE, so that the "newest first, LIMIT" can never
// turn into a walk of a status index or the primary key testing each row's text (a full scan for a
// rare word); the match is exactly the GIN index's expression and predicate. SQLite: FTS5 yields
// rowids newest first and stops at the LIMIT. relevance: one whole-word test per word on the
// candidates; Postgres computes the row's tsvector once (the OFFSET 0 keeps the LATERAL subquery from
// being inlined into every test).
query::KeysetQuery TextSearchFull(store::Backend backend, const TextTable& t, const WordList& words,
                                  UserId viewer, int64_t now, int64_t candidates) {
  const bool postgres = backend == store::Backend::kPostgres;
  std::vector<store::Value> params;
  std::string with;
  std::string candidate_ids;
  if (postgres) {
    with = absl::StrCat("WITH m AS MATERIALIZED (SELECT id FROM ", ToAbsl(t.table), " WHERE to_tsvector('simple', ",
                        ToAbsl(t.document), ") @@ to_tsquery('simple', ?) AND ", ToAbsl(t.visible), ") ");
    params.emplace_back(TsQuery(words));
    candidate_ids = absl::StrCat("SELECT id FROM m ORDER BY id DESC LIMIT ", candidates);
  } else {
    candidate_ids = absl::StrCat("SELECT rowid FROM ", ToAbsl(t.fts), " WHERE ", ToAbsl(t.fts),
                                 " MATCH ? ORDER BY rowid DESC LIMIT ", candidates);
  }
  std::vector<std::string> whole;
  for (const std::string& w : words) {
    if (postgres) {
      whole.push_back("CASE WHEN v.tsv @@ to_tsquery('simple', ?) THEN 1 ELSE 0 END");
      params.emplace_back(TsWord(w, /*prefix=*/false));
    } else {
      whole.push_back(absl::StrCat("CASE WHEN p.id IN (SELECT rowid FROM ", ToAbsl(t.fts), " WHERE ", ToAbsl(t.fts),
                                   " MATCH ?) THEN 1 ELSE 0 END"));
      params.emplace_back(Fts5Word(w, /*prefix=*/false));
    }
  }
  std::string sql = absl::StrCat("SELECT ", t.columns, ", CAST(", absl::StrJoin(whole, " + "),
                                 " AS BIGINT) AS relevance FROM ", ToAbsl(t.table), " p", ToAbsl(t.joins));
  if (postgres) {
    absl::StrAppend(&sql, " CROSS JOIN LATERAL (SELECT to_tsvector('simple', ", ToAbsl(t.row_document),
                    ") AS tsv OFFSET 0) v");
  } else {
    params.emplace_back(Fts5Query(words));
  }
  absl::StrAppend(&sql, " WHERE p.id IN (", candidate_ids, ") AND ", ToAbsl(t.row_visible), " AND ",
                  ViewerFilter(viewer, now, params));
  return query::KeysetQuery{.scope = Scope(t.scope, absl::StrJoin(words, " ")),
                            .select = absl::StrCat(with, "SELECT * FROM (", sql, ") s"),
                            .params = std::move(params),
                            .keys = {{"relevance"}, {"id"}},
                            .order = query::SortOrder::kDescending};
}

// TextSearchFull's parameter values alone, in the order of its `?`s.
std::vector<store::Value> TextSearchParams(store::Backend backend, const WordList& words,
                                           UserId viewer, int64_t now) {
  const bool postgres = backend == store::Backend::kPostgres;
  std::vector<store::Value> params;
  params.reserve(words.size() + 8);
  if (postgres) params.emplace_back(TsQuery(words));  // the candidates' CTE
  for (const std::string& w : words) {                // the whole-word tests
    params.emplace_back(postgres ? TsWord(w, /*prefix=*/false) : Fts5Word(w, /*prefix=*/false));
  }
  if (!postgres) params.emplace_back(Fts5Query(words));  // the candidates' MATCH
  ViewerFilter(viewer, now, params);
  return params;
}

// TextSearchFull through the table's shapes (one per backend, number of words, viewer or none and
// candidate window): the select text is built on a variant's first call only.
query::KeysetQuery TextSearchQuery(query::KeysetShapes& shapes, store::Backend backend, const TextTable& t,
                                   const WordList& words, UserId viewer, int64_t now,
                                   int64_t candidates) {
  query::KeysetQuery q{.scope = Scope(t.scope, absl::StrJoin(words, " ")),
                       .select = {},
                       .params = TextSearchParams(backend, words, viewer, now),
                       .keys = {}};
  const uint64_t variant = (static_cast<uint64_t>(candidates) << 8) | (words.size() << 2) |
                           (viewer.valid() ? 2u : 0u) | (backend == store::Backend::kPostgres ? 1u : 0u);
  absl::StatusOr<std::shared_ptr<const query::KeysetShape>> shape = shapes.Get(
      variant, q.params.size(), [&] { return TextSearchFull(backend, t, words, viewer, now, candidates); });
  // A malformed shape is a bug in the fixed text: FetchPage reports the full query's error.
  if (!shape.ok()) return TextSearchFull(backend, t, words, viewer, now, candidates);
  q.shape = *std::move(shape);
  return q;
}

}  // namespace

query::KeysetQuery PostSearchQuery(store::Backend backend, std::string_view query, UserId viewer, int64_t now,
                                   int64_t candidates) {
  static const TextTable* kPosts = new TextTable{.scope = "posts",
                                                 .table = "posts",
                                                 .fts = "posts_fts",
                                                 .document = "content",
                                                 .visible = "status = 'ACTIVE'",
                                                 .row_document = "p.content",
                                                 .row_visible = "p.status = 'ACTIVE'",
                                                 .columns = absl::StrCat(PostColumns("p"), ", ", kAuthorColumns),
                                                 .joins = kAuthorJoins};
  static auto* shapes = new query::KeysetShapes();
  return TextSearchQuery(*shapes, backend, *kPosts, Words(query), viewer, now, candidates);
}

query::KeysetQuery VideoSearchQuery(store::Backend backend, std::string_view query, UserId viewer, int64_t now,
                                    int64_t candidates) {
  // The document is "title description": the expression of videos_text_search_idx (migration 011).
  static const TextTable* kVideos = new TextTable{.scope = "videos",
                                                  .table = "videos",
                                                  .fts = "videos_fts",
                                                  .document = "title || ' ' || description",
                                                  // hidden_at: not hidden by moderation (migration 020)
                                                  .visible = "status = 'PUBLISHED' AND hidden_at IS NULL",
                                                  .row_document = "p.title || ' ' || p.description",
                                                  .row_visible = "p.status = 'PUBLISHED' AND p.hidden_at IS NULL",
                                                  .columns = VideoColumns("p"),
                                                  .joins = ""};
  static auto* shapes = new query::KeysetShapes();
  return TextSearchQuery(*shapes, backend, *kVideos, Words(query), viewer, now, candidates);
}

query::KeysetQuery PostHashtagQuery(store::Backend backend, const std::string& tag, UserId viewer, int64_t now) {
  // As Feed::HashtagFeed (a walk of post_hashtags_hashtag_idx (hashtag_id, post_id DESC)), with the
  // author joined so that a page is one statement.
  const bool sqlite = backend == store::Backend::kSqlite;
  query::KeysetQuery q{.scope = Scope("posts", "#" + tag), .select = {}, .params = {tag}, .keys = {}};
  const std::string filter = ViewerFilter(viewer, now, q.params);
  auto full = [&] {
    return query::KeysetQuery{
        .scope = q.scope,
        .select = absl::StrCat("SELECT ", PostColumns("p"), ", ", kAuthorColumns,
                               ", CAST(0 AS BIGINT) AS relevance FROM post_hashtags ph",
                               sqlite ? " INDEXED BY post_hashtags_hashtag_idx" : "",
                               " JOIN posts p ON p.id = ph.post_id", kAuthorJoins),
        .where = "ph.hashtag_id = (SELECT id FROM hashtags WHERE tag = ?) AND p.status = 'ACTIVE' AND " + filter,
        .params = q.params,
        .keys = {{.column = "ph.post_id", .type = query::KeyType::kInt64, .result_column = "id"}},
        .order = query::SortOrder::kDescending};
  };
  static auto* shapes = new query::KeysetShapes();
  absl::StatusOr<std::shared_ptr<const query::KeysetShape>> shape =
      shapes->Get((sqlite ? 1u : 0u) | (viewer.valid() ? 2u : 0u), q.params.size(), full);
  if (!shape.ok()) return full();  // a bug in the fixed text: FetchPage reports it
  q.shape = *std::move(shape);
  return q;
}

query::KeysetQuery HashtagSearchQuery(store::Backend backend, const std::string& prefix) {
  // Postgres: hashtags_tag_prefix_idx (tag COLLATE "C"); SQLite: hashtags_tag_uidx.
  query::KeysetQuery q{.scope = Scope("tags", prefix), .select = {}, .params = {prefix}, .keys = {}};
  const bool has_upper = PrefixRangeParams(backend, prefix, q.params);
  auto full = [&] {
    return query::KeysetQuery{
        .scope = q.scope,
        .select = absl::StrCat(
            "SELECT * FROM (SELECT CAST(CASE WHEN tag = ? THEN 1 ELSE 0 END AS BIGINT) AS exact, "
            "CAST(posts_count + videos_count AS BIGINT) AS uses, id, tag, posts_count, videos_count FROM hashtags "
            "WHERE ",
            PrefixRangeSql(backend, "tag", has_upper), " AND posts_count + videos_count > 0) s"),
        .params = q.params,
        .keys = {{"exact"}, {"uses"}, {"id"}},
        .order = query::SortOrder::kDescending};
  };
  static auto* shapes = new query::KeysetShapes();
  const uint64_t variant = (backend == store::Backend::kPostgres ? 1u : 0u) | (has_upper ? 2u : 0u);
  absl::StatusOr<std::shared_ptr<const query::KeysetShape>> shape = shapes->Get(variant, q.params.size(), full);
  if (!shape.ok()) return full();  // a bug in the fixed text: FetchPage reports it
  q.shape = *std::move(shape);
  return q;
}

}  // namespace internal

absl::StatusOr<query::Page<UserHit>> Search::Users(const RequestContext& ctx, const SearchRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_RETURN_IF_ERROR(CheckScope("search", request, "USERS"));
  std::string q = std::string(absl::StripAsciiWhitespace(request.query));
  if (!q.empty() && q.front() == '@') q.erase(0, 1);
  // Usernames are stored lower-cased (ASCII); non-ASCII bytes are left as they are.
  absl::AsciiStrToLower(&q);
  query::KeysetQuery kq = internal::UserSearchQuery(deps_.db->backend(), q);
  return query::internal::FetchPageInto<UserHit>(*deps_.db, ctx, std::move(kq), KeysetPage(request), UserHitReader(),
                                                 {.codec = deps_.cursors});
}

absl::StatusOr<query::Page<PostHit>> Search::Posts(const RequestContext& ctx, UserId viewer,
                                                   const SearchRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_RETURN_IF_ERROR(CheckScope("search", request, "POSTS"));
  if (viewer.value < 0) {
    return InvalidField("search", "viewer", absl::StrCat("must be >= 0 (got ", viewer.value, ")"));
  }
  const std::string_view q = TrimWhitespace(request.query);
  const store::Backend backend = deps_.db->backend();
  query::KeysetQuery kq;
  if (!q.empty() && q.front() == '#' && !internal::NormalizeHashtag(q).empty()) {
    kq = internal::PostHashtagQuery(backend, internal::NormalizeHashtag(q), viewer, deps_.NowMicros());
  } else if (!Words(q).empty()) {
    kq = internal::PostSearchQuery(backend, q, viewer, deps_.NowMicros());
  } else {
    return query::Page<PostHit>{};  // nothing searchable ("!!!"): no statement
  }
  return query::FetchPage(*deps_.db, ctx, kq, KeysetPage(request), PostHitReader(), {.codec = deps_.cursors});
}

absl::StatusOr<query::Page<VideoHit>> Search::Videos(const RequestContext& ctx, UserId viewer,
                                                     const SearchRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_RETURN_IF_ERROR(CheckScope("search", request, "VIDEOS"));
  if (viewer.value < 0) {
    return InvalidField("search", "viewer", absl::StrCat("must be >= 0 (got ", viewer.value, ")"));
  }
  const std::string_view q = TrimWhitespace(request.query);
  if (Words(q).empty()) return query::Page<VideoHit>{};  // nothing searchable ("!!!"): no statement
  const query::KeysetQuery kq = internal::VideoSearchQuery(deps_.db->backend(), q, viewer, deps_.NowMicros());
  return query::FetchPage(*deps_.db, ctx, kq, KeysetPage(request), VideoHitReader(), {.codec = deps_.cursors});
}

absl::StatusOr<query::Page<HashtagHit>> Search::Hashtags(const RequestContext& ctx, const SearchRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_RETURN_IF_ERROR(CheckScope("search", request, "HASHTAGS"));
  const std::string prefix = HashtagPrefix(TrimWhitespace(request.query));
  if (prefix.empty()) return query::Page<HashtagHit>{};  // no tag starts like this: no statement
  const query::KeysetQuery kq = internal::HashtagSearchQuery(deps_.db->backend(), prefix);
  return query::FetchPage(*deps_.db, ctx, kq, KeysetPage(request), HashtagHitFromRow, {.codec = deps_.cursors});
}

}  // namespace daira::inline v0::services
