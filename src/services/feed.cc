// Feed service: home (pull model over posts(author_id, id DESC)), timeline and hashtag feeds.
#include "daira/services/feed.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daira/core/status.h"
#include "daira/query/cursor.h"
#include "daira/store/open_transaction.h"
#include "daira/store/sql_text.h"
#include "query/keyset_shapes.h"
#include "query/page_into.h"
#include "services/content_internal.h"
#include "services/feed_cache.h"
#include "services/text_entities.h"

namespace daira::inline v0::services {
namespace {

using internal::PostColumns;
using internal::ViewerFilter;

absl::StatusOr<query::Page<model::Post>> FetchHydrated(store::Database& db, const RequestContext& ctx,
                                                       const query::KeysetQuery& q, const PageRequest& page,
                                                       const query::CursorCodec* codec) {
  return store::WithConnection(
      db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<query::Page<model::Post>> {
        DAIRA_ASSIGN_OR_RETURN(
            query::Page<model::Post> out,
            query::internal::FetchPageInto<model::Post>(
                c, q, query::PageRequest{.limit = static_cast<int>(page.limit), .cursor = page.cursor},
                internal::PostReader(), {.codec = codec}));
        DAIRA_RETURN_IF_ERROR(internal::HydrateAuthors(c, out.items));
        return out;
      });
}

// Cursor scopes hold at most CursorCodec::kMaxScopeBytes: a long (multi-byte) tag is represented by a
// prefix and its FNV-1a hash.
std::string HashtagScope(const std::string& tag) {
  if (tag.size() <= 200) return "hashtag:" + tag;
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : tag) h = (h ^ ch) * 1099511628211ULL;
  return absl::StrCat("hashtag:", tag.substr(0, 100), ":", absl::Hex(h));
}

// The key of a list variant made of two yes/no facts (query::KeysetShapes).
uint64_t ShapeVariant(bool a, bool b) { return (a ? 1u : 0u) | (b ? 2u : 0u); }

}  // namespace

namespace internal {

std::string ViewerFilter(UserId viewer, int64_t now, std::vector<store::Value>& params) {
  if (!viewer.valid()) return "p.visibility = 'PUBLIC'";
  const int64_t v = viewer.value;
  params.insert(params.end(), {v, v, v, v, v, now});
  return "(p.visibility = 'PUBLIC' OR p.author_id = ? OR (p.visibility = 'FOLLOWERS' AND EXISTS ("
         "SELECT 1 FROM follows f WHERE f.follower_id = ? AND f.followee_id = p.author_id AND f.status = 'ACTIVE')))"
         " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = p.author_id)"
         " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p.author_id AND b.blocked_id = ?)"
         " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = ? AND m.muted_id = p.author_id"
         " AND m.mute_type IN ('MUTE', 'HIDE_POSTS') AND (m.expires_at IS NULL OR m.expires_at > ?))";
}

std::string HomeAuthorsCte() {
  return "WITH a (author_id) AS ("
         "SELECT f.followee_id FROM follows f WHERE f.follower_id = ? AND f.status = 'ACTIVE'"
         " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = f.followee_id)"
         " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = f.followee_id AND b.blocked_id = ?)"
         " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = ? AND m.muted_id = f.followee_id"
         " AND m.mute_type IN ('MUTE', 'HIDE_POSTS') AND (m.expires_at IS NULL OR m.expires_at > ?))"
         " UNION ALL SELECT ?) ";
}

std::string HomeAuthorWalk(store::Backend backend, std::string_view authors, bool backward, int64_t fetch) {
  const char* cmp = backward ? ">" : "<";
  // FOLLOWERS posts are visible (the viewer follows the author); PRIVATE ones only to their author.
  // The per-author walk must use posts_author_idx (author_id, id DESC), never posts_status_idx (which
  // walks every ACTIVE post of everyone): ordering by (author_id, id) — author_id is fixed, so the
  // order is unchanged — is something only posts_author_idx delivers without a sort, and SQLite, which
  // has no statistics to go by, is told so with INDEXED BY. The LIMITs are literals (a validated
  // integer, at most 101 distinct statements): with `LIMIT $n` Postgres's generic plan (used after five
  // executions of a prepared statement) guesses a tiny limit and walks posts_pkey backward filtering
  // by author -- the skewed-data trap; with the literal it keeps the author index (tested).
  const std::string per_author = absl::StrCat(
      "x.author_id = a.author_id AND x.status = 'ACTIVE' AND (x.visibility <> 'PRIVATE' OR x.author_id = ?) "
      "AND x.id ",
      cmp, " ? ORDER BY ", backward ? "x.author_id DESC, x.id ASC" : "x.author_id ASC, x.id DESC", " LIMIT ",
      fetch);
  if (backend == store::Backend::kPostgres) {
    return absl::StrCat("SELECT ", PostColumns("p"), " FROM ", ToAbsl(authors),
                        " CROSS JOIN LATERAL (SELECT ", PostColumns("x"), " FROM posts x WHERE ", per_author,
                        ") p");
  }
  return absl::StrCat("SELECT ", PostColumns("p"), " FROM ", ToAbsl(authors),
                      " JOIN posts p ON p.id IN (SELECT x.id FROM posts x INDEXED BY posts_author_idx WHERE ",
                      per_author, ")");
}

namespace {
// HomeFeedSql's text as an SqlText: a connection finds its statement by id, not by hashing 2 kB of text
// per page (~2k instructions).
const store::SqlText& HomeFeedStatement(store::Backend backend, bool backward, int64_t fetch) {
  // Built once per (backend, direction, fetch): at most 2 x 2 x 101 texts (fetch is a validated page
  // limit + 1), kept for the process. Building the 2 kB text cost ~19k instructions per home page.
  static absl::Mutex mu(absl::kConstInit);
  static auto* texts = new absl::flat_hash_map<std::tuple<int, bool, int64_t>, std::unique_ptr<const store::SqlText>>();
  const auto key = std::make_tuple(static_cast<int>(backend), backward, fetch);
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = texts->find(key);
    if (it != texts->end()) return *it->second;
  }
  auto text = std::make_unique<const store::SqlText>(absl::StrCat(HomeAuthorsCte(),
                                                                  HomeAuthorWalk(backend, "a", backward, fetch),
                                                                  " ORDER BY p.id ", backward ? "ASC" : "DESC",
                                                                  " LIMIT ", fetch));
  absl::MutexLock lock(&mu);
  return *texts->try_emplace(key, std::move(text)).first->second;
}
}  // namespace

const std::string& HomeFeedSql(store::Backend backend, bool backward, int64_t fetch) {
  return HomeFeedStatement(backend, backward, fetch).str();
}

}  // namespace internal

// The home feed's statement. Authors = ACTIVE followees that are neither blocked (either way) nor
// muted, plus the viewer. For each author at most `fetch` rows are read from posts(author_id, id DESC)
// past the cursor; the union of those is sorted and cut to `fetch`. Postgres runs the per-author walk
// as a LATERAL subquery; SQLite as a correlated `p.id IN (SELECT ... LIMIT ?)` probe.
absl::StatusOr<query::Page<model::Post>> Feed::Home(const RequestContext& ctx, UserId viewer,
                                                    const PageRequest& page) {
  if (!viewer.valid()) return InvalidField("home_feed", "viewer", absl::StrCat("must be > 0 (got ", viewer.value, ")"));
  DAIRA_RETURN_IF_ERROR(page.Validate());
  const std::string scope = absl::StrCat("home:", viewer.value);
  const query::CursorCodec codec = deps_.cursor_codec();
  std::optional<query::Cursor> cursor;
  if (!page.cursor.empty()) {
    DAIRA_ASSIGN_OR_RETURN(query::Cursor c, codec.Decode(page.cursor, scope, {query::KeyType::kInt64}));
    cursor = std::move(c);
  }
  const bool backward = cursor.has_value() && cursor->direction == query::Direction::kBackward;
  const int64_t bound = cursor.has_value() ? std::get<int64_t>(cursor->keys[0])
                                           : std::numeric_limits<int64_t>::max();
  const int64_t fetch = page.limit + 1;
  const int64_t v = viewer.value;
  const int64_t now = deps_.NowMicros();

  // The cached lists of candidate ids (docs/cache.md, "Feed cache"): outside a transaction (whose own
  // view is the truth), for pages walking older. A first read takes a page and a half of ids below the
  // bound from each list; only when that cannot certify the page are the lists read whole.
  // nullopt: the database path answers.
  std::optional<internal::HomeLists> lists;
  bool cache_consulted = false;
  if (!backward && internal::FeedCacheOn(deps_)) {
    absl::StatusOr<store::Connection*> bound_tx = store::BoundConnection(ctx, "home_feed");
    if (bound_tx.ok() && *bound_tx == nullptr) {
      DAIRA_ASSIGN_OR_RETURN(lists,
                             internal::LoadHomeLists(deps_, v, now, bound, internal::FirstReadLimit(fetch),
                                                     /*may_rebuild=*/true));
      cache_consulted = true;
    }
  }

  // One connection for the page and its authors: the request's transaction when it has one.
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kRead,
      [&](store::Connection& c) -> absl::StatusOr<query::Page<model::Post>> {
        std::optional<store::ResultSet> listed;
        if (lists.has_value()) {
          DAIRA_ASSIGN_OR_RETURN(listed, internal::ListedHomeRows(c, deps_, *lists, v, now, bound, fetch));
          if (!listed.has_value() && lists->truncated()) {
            // Hidden, filtered or out-of-reach ids ate into the first read: the whole lists (no
            // rebuild and no statement here: this connection is held), then the database.
            DAIRA_ASSIGN_OR_RETURN(lists, internal::LoadHomeLists(deps_, v, now, bound, internal::kWholeList,
                                                                  /*may_rebuild=*/false, &*lists));
            if (lists.has_value()) {
              DAIRA_ASSIGN_OR_RETURN(listed,
                                     internal::ListedHomeRows(c, deps_, *lists, v, now, bound, fetch));
            }
          }
        }
        if (cache_consulted) internal::CountFeedPage(listed.has_value());
        if (!listed.has_value()) {
          const store::SqlText& sql = internal::HomeFeedStatement(deps_.db->backend(), backward, fetch);
          DAIRA_ASSIGN_OR_RETURN(listed, c.Execute(sql, {v, v, v, v, now, v, v, bound}));
        }
        const store::ResultSet& rs = *listed;

        query::Page<model::Post> out;
        const size_t n = std::min<size_t>(rs.size(), static_cast<size_t>(page.limit));
        out.has_more = rs.size() > n;
        out.items.reserve(n);
        internal::PostReader read_post;  // each post built in place in the page
        for (size_t i = 0; i < n; ++i) DAIRA_RETURN_IF_ERROR(read_post(rs, i, out.items.emplace_back()));
        if (backward) std::reverse(out.items.begin(), out.items.end());
        auto cursor_at = [&](const model::Post& p, query::Direction d) {
          return codec.Encode(query::Cursor{.scope = scope, .direction = d, .keys = {p.id.value}});
        };
        if (!out.items.empty()) {
          if (backward) {
            out.next_cursor = cursor_at(out.items.back(), query::Direction::kForward);
            if (out.has_more) out.prev_cursor = cursor_at(out.items.front(), query::Direction::kBackward);
          } else {
            if (out.has_more) out.next_cursor = cursor_at(out.items.back(), query::Direction::kForward);
            if (cursor.has_value())
              out.prev_cursor = cursor_at(out.items.front(), query::Direction::kBackward);
          }
        }
        DAIRA_RETURN_IF_ERROR(internal::HydrateAuthors(c, out.items));
        return out;
      });
}

absl::StatusOr<query::Page<model::Post>> Feed::Timeline(const RequestContext& ctx, UserId viewer, UserId author,
                                                        const PageRequest& page) {
  if (!author.valid()) return InvalidField("timeline", "author", absl::StrCat("must be > 0 (got ", author.value, ")"));
  DAIRA_RETURN_IF_ERROR(page.Validate());
  // SQLite has no statistics: name the index that makes this an (author_id, id DESC) range walk.
  const bool sqlite = deps_.db->backend() == store::Backend::kSqlite;
  query::KeysetQuery q{
      .scope = absl::StrCat("timeline:", author.value), .select = {}, .params = {author.value}, .keys = {}};
  const std::string filter = ViewerFilter(viewer, deps_.NowMicros(), q.params);
  // The list's shape depends on the backend and on whether a viewer is filtered for only.
  static auto* shapes = new query::KeysetShapes();
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(ShapeVariant(sqlite, viewer.valid()), q.params.size(), [&] {
    return query::KeysetQuery{.scope = {},
                              .select = absl::StrCat("SELECT ", PostColumns("p"), " FROM posts p",
                                                     sqlite ? " INDEXED BY posts_author_idx" : ""),
                              .where = "p.author_id = ? AND p.status = 'ACTIVE' AND " + filter,
                              .keys = {{"p.id"}},
                              .order = query::SortOrder::kDescending};
  }));
  return FetchHydrated(*deps_.db, ctx, q, page, deps_.cursors);
}

absl::StatusOr<query::Page<model::Post>> Feed::HashtagFeed(const RequestContext& ctx, UserId viewer,
                                                           std::string_view tag, const PageRequest& page) {
  const std::string folded = internal::NormalizeHashtag(tag);
  if (folded.empty()) {
    return InvalidField("hashtag_feed", "tag",
                        absl::StrCat("is not a hashtag (got \"", ToAbsl(tag.substr(0, 120)), "\")"));
  }
  DAIRA_RETURN_IF_ERROR(page.Validate());
  const bool sqlite = deps_.db->backend() == store::Backend::kSqlite;
  query::KeysetQuery q{.scope = HashtagScope(folded), .select = {}, .params = {folded}, .keys = {}};
  const std::string filter = ViewerFilter(viewer, deps_.NowMicros(), q.params);
  static auto* shapes = new query::KeysetShapes();
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(ShapeVariant(sqlite, viewer.valid()), q.params.size(), [&] {
    return query::KeysetQuery{
        .scope = {},
        .select = absl::StrCat("SELECT ", PostColumns("p"), " FROM post_hashtags ph",
                               sqlite ? " INDEXED BY post_hashtags_hashtag_idx" : "",
                               " JOIN posts p ON p.id = ph.post_id"),
        .where = "ph.hashtag_id = (SELECT id FROM hashtags WHERE tag = ?) AND p.status = 'ACTIVE' AND " + filter,
        .keys = {{.column = "ph.post_id", .type = query::KeyType::kInt64, .result_column = "id"}},
        .order = query::SortOrder::kDescending};
  }));
  return FetchHydrated(*deps_.db, ctx, q, page, deps_.cursors);
}

}  // namespace daira::inline v0::services
