// The home feed's cache: per-reader lists of candidate post ids, fan-out on write, certified reads.
#include "services/feed_cache.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/store/open_transaction.h"
#include "services/content_internal.h"

namespace daira::inline v0::services::internal {
namespace {

// Cache fills read the primary on Postgres: a lagging replica must not leave a committed post out of
// a list that fan-out will never revisit. SQLite has one file (and a read must not take the writer).
store::Access FillAccess(const ServiceDeps& deps) {
  return deps.db->backend() == store::Backend::kPostgres ? store::Access::kWrite : store::Access::kRead;
}

// The sentinel's first byte: sorts below every digit, so below every id member.
constexpr char kFloorMark = '#';
constexpr size_t kIdDigits = 19;  // INT64_MAX has 19 digits

// A 19-digit member as an id; nullopt otherwise.
std::optional<int64_t> ParseIdMember(std::string_view m) {
  if (m.size() != kIdDigits) return std::nullopt;
  uint64_t v = 0;  // 19 digits never overflow 64 unsigned bits: one range check at the end
  for (const char ch : m) {
    const unsigned digit = static_cast<unsigned char>(ch) - unsigned{'0'};
    if (digit > 9) return std::nullopt;
    v = v * 10 + digit;
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || v < 0) return std::nullopt;
  return v;
}

// Up to `depth` newest posts by the reader's ACTIVE followees and the reader, whatever their status,
// visibility, blocks or mutes (those are applied at read time, so a later unmute, unblock, restore or
// visibility change needs no rebuild). Postgres: one id per row (a LATERAL index walk per author).
// SQLite: one row per author with its newest ids as "id,id,..." from the covering posts_author_idx —
// never touching the posts rows (14x faster at 1M posts than joining posts by id: 0.38 vs 5.3 ms for
// 200 ids of 20 authors); the caller merges them.
std::string RebuildSql(store::Backend backend, int64_t depth) {
  const std::string authors =
      "WITH a (author_id) AS (SELECT f.followee_id FROM follows f WHERE f.follower_id = ? AND f.status = "
      "'ACTIVE' UNION ALL SELECT ?) ";
  const std::string walk =
      absl::StrCat("x.author_id = a.author_id ORDER BY x.author_id ASC, x.id DESC LIMIT ", depth);
  if (backend == store::Backend::kPostgres) {
    return absl::StrCat(authors, "SELECT p.id FROM a CROSS JOIN LATERAL (SELECT x.id FROM posts x WHERE ",
                        walk, ") p ORDER BY p.id DESC LIMIT ", depth);
  }
  return absl::StrCat(authors,
                      "SELECT (SELECT group_concat(id) FROM (SELECT x.id FROM posts x INDEXED BY "
                      "posts_author_idx WHERE ",
                      walk, ")) FROM a");
}

// The rebuild's rows as ids, newest first, at most `depth` (see RebuildSql for the two shapes).
absl::StatusOr<std::vector<int64_t>> RebuiltIds(const store::ResultSet& rs, store::Backend backend,
                                                int64_t depth) {
  std::vector<int64_t> ids;
  if (backend == store::Backend::kPostgres) {
    ids.reserve(rs.size());
    for (size_t i = 0; i < rs.size(); ++i) ids.push_back(rs.row(i).Int64(0));
    return ids;
  }
  for (size_t i = 0; i < rs.size(); ++i) {
    if (rs.row(i).IsNull(0)) continue;  // an author without posts
    const std::string joined = rs.row(i).Text(0);
    for (absl::string_view part : absl::StrSplit(joined, ',')) {
      std::optional<int64_t> id = ParseId(ToStd(part));
      if (!id) return absl::DataLossError(absl::StrCat("feed rebuild: not a post id: \"", part, "\""));
      ids.push_back(*id);
    }
  }
  std::sort(ids.begin(), ids.end(), std::greater<>());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (static_cast<int64_t>(ids.size()) > depth) ids.resize(static_cast<size_t>(depth));
  return ids;
}

// The candidate ids (padded to `slots` with 0, which is no post's id) that are visible on the viewer's
// home feed now, newest first. With `test_authors`, the statement itself keeps only the posts of
// HomeAuthorsCte's authors (parameters: HomeAuthorsCte's, the ids, bound, viewer); without, the caller
// tests each row's author against the cached set (parameters: the ids, bound, viewer) — building the
// followee set cost SQLite more than half of the statement (≈ 200k of 376k instructions in
// sqlite3_step at 20 followees: the followee rows, three probes each and an ephemeral index).
std::string ListedPageSql(store::Backend backend, size_t slots, int64_t fetch, bool test_authors) {
  std::string in;
  in.reserve(slots * 2);
  for (size_t i = 0; i < slots; ++i) absl::StrAppend(&in, i == 0 ? "?" : ",?");
  // SQLite: NOT INDEXED leaves only the rowid lookups of the listed ids. Without it the planner may
  // pick posts_status_idx (every ACTIVE post below the bound) to deliver the order; its cost grows with
  // the posts below the bound.
  const char* posts = backend == store::Backend::kSqlite ? "posts p NOT INDEXED" : "posts p";
  return absl::StrCat(
      test_authors ? HomeAuthorsCte() : "", "SELECT ", PostColumns("p"), " FROM ", posts, " WHERE p.id IN (",
      in, ") AND p.id < ?", test_authors ? " AND p.author_id IN (SELECT author_id FROM a)" : "",
      " AND p.status = 'ACTIVE' AND (p.visibility <> 'PRIVATE' OR p.author_id = ?) ORDER BY p.id "
      "DESC LIMIT ",
      fetch);
}

// The newest `depth` post ids of one author (any status or visibility), from posts_author_idx alone
// (the id is in the index: no posts row is read). Parameter: the author.
std::string AuthorRebuildSql(store::Backend backend, int64_t depth) {
  return absl::StrCat("SELECT x.id FROM posts x",
                      backend == store::Backend::kSqlite ? " INDEXED BY posts_author_idx" : "",
                      " WHERE x.author_id = ? ORDER BY x.author_id ASC, x.id DESC LIMIT ", depth);
}

// HomeAuthorsCte's authors as (id, 1 when it has at least `threshold` followers else 0), then one row
// (earliest expiry of the viewer's unexpired MUTE/HIDE_POSTS mutes or 0, 2). Parameters: threshold,
// viewer, viewer, viewer, viewer, now, viewer, viewer, threshold, viewer, now.
constexpr std::string_view kHomeAuthorsSql =
    "SELECT f.followee_id, CASE WHEN COALESCE(big.followers_count, 0) >= ? THEN 1 ELSE 0 END FROM follows f "
    "LEFT JOIN user_profiles big ON big.user_id = f.followee_id WHERE f.follower_id = ? AND f.status = "
    "'ACTIVE'"
    " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = f.followee_id)"
    " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = f.followee_id AND b.blocked_id = ?)"
    " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = ? AND m.muted_id = f.followee_id"
    " AND m.mute_type IN ('MUTE', 'HIDE_POSTS') AND (m.expires_at IS NULL OR m.expires_at > ?))"
    " UNION ALL SELECT CAST(? AS BIGINT), CASE WHEN COALESCE((SELECT p.followers_count FROM user_profiles p"
    " WHERE p.user_id = ?), 0) >= ? THEN 1 ELSE 0 END"
    " UNION ALL SELECT COALESCE((SELECT min(m.expires_at) FROM mutes m WHERE m.muter_id = ?"
    " AND m.mute_type IN ('MUTE', 'HIDE_POSTS') AND m.expires_at > ?), 0), 2";

// Stores `ids` (newest first) as the list `key` with its floor sentinel: floor 0 when fewer than
// `depth` ids exist (the list holds everything). nullopt when the cache refused it, or a fan-out or
// invalidation of the key ran since `generation` was read (the list may lack that post: dropped).
std::optional<FeedList> StoreList(cache::Cache& cache, const std::string& key, std::vector<int64_t> ids,
                                  int64_t depth, uint64_t generation) {
  FeedList list;
  list.ids = std::move(ids);
  list.floor = static_cast<int64_t>(list.ids.size()) < depth || list.ids.empty() ? 0 : list.ids.back();
  std::vector<std::string> members;
  members.reserve(list.ids.size() + 1);
  members.push_back(kFloorMark + IdMember(list.floor));
  for (const int64_t id : list.ids) members.push_back(IdMember(id));
  const std::string keys[] = {key};
  if (!cache.Delete(keys).ok() || !cache.OrderedSetAdd(key, members).ok()) return std::nullopt;
  if (cache.Generation(key) != generation) {
    cache.Delete(keys).IgnoreError();
    return std::nullopt;
  }
  return list;
}

// Statement shapes are bucketed (8, 16, 32, ...) so prepared statements are reused.
size_t Slots(size_t n) {
  size_t s = 8;
  while (s < n) s *= 2;
  return s;
}

void Invalidate(cache::Cache* cache, std::vector<std::string> keys) {
  if (keys.empty()) return;
  absl::Status st = cache->Invalidate(keys);
  if (!st.ok()) Log(LogLevel::kDebug, "feed", absl::StrCat("feed invalidation failed: ", st.message()));
}

// `author` and its ACTIVE followers — none when the author has at least `below` followers (one
// statement; a missing profile row counts as 0 followers).
absl::StatusOr<std::vector<int64_t>> Readers(store::Connection& c, int64_t author, int64_t below) {
  static constexpr std::string_view kSql =
      "SELECT u.id FROM users u WHERE u.id = ? AND COALESCE((SELECT p.followers_count FROM user_profiles p "
      "WHERE p.user_id = u.id), 0) < ? "
      "UNION ALL SELECT f.follower_id FROM follows f WHERE f.followee_id = ? AND f.status = 'ACTIVE' AND "
      "COALESCE((SELECT p.followers_count FROM user_profiles p WHERE p.user_id = f.followee_id), 0) < ?";
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(kSql, {author, below, author, below}));
  std::vector<int64_t> ids;
  ids.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) ids.push_back(rs.row(i).Int64(0));
  return ids;
}

// kHomeAuthorsSql's rows as DecodeHomeAuthors reads them.
std::string EncodeHomeAuthors(const store::ResultSet& rs) {
  std::vector<std::pair<int64_t, bool>> authors;
  int64_t valid_until = 0;
  authors.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) {
    const int64_t kind = rs.row(i).Int64(1);
    if (kind == 2) {
      valid_until = rs.row(i).Int64(0);
    } else {
      authors.emplace_back(rs.row(i).Int64(0), kind == 1);
    }
  }
  std::sort(authors.begin(), authors.end());
  authors.erase(std::unique(authors.begin(), authors.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                authors.end());
  std::string out = absl::StrCat("A", valid_until, "|");
  for (size_t i = 0; i < authors.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", authors[i].first, authors[i].second ? "*" : "");
  }
  return out;
}

std::atomic<int64_t> served_from_list{0};
std::atomic<int64_t> fell_back{0};

}  // namespace

FeedCacheCounts FeedCacheCounters() {
  return {.served_from_list = served_from_list.load(std::memory_order_relaxed),
          .fell_back = fell_back.load(std::memory_order_relaxed)};
}

void CountFeedPage(bool from_list) {
  (from_list ? served_from_list : fell_back).fetch_add(1, std::memory_order_relaxed);
}

std::string FeedKey(int64_t user_id) { return absl::StrCat("feed:", user_id); }

std::string AuthorPostsKey(int64_t author_id) { return absl::StrCat("feed:author:", author_id); }

std::string HomeAuthorsKey(int64_t viewer) { return absl::StrCat("feed:authors:", viewer); }

bool HomeAuthors::Shows(int64_t author) const {
  return std::binary_search(visible.begin(), visible.end(), author);
}

std::optional<HomeAuthors> DecodeHomeAuthors(std::string_view v) {
  if (v.empty() || v.front() != 'A') return std::nullopt;
  const size_t bar = v.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  HomeAuthors out;
  std::optional<int64_t> until = ParseId(v.substr(1, bar - 1));
  if (!until) return std::nullopt;
  out.valid_until = *until;
  v.remove_prefix(bar + 1);
  while (!v.empty()) {
    const size_t comma = v.find(',');
    std::string_view part = v.substr(0, comma);
    v.remove_prefix(comma == std::string_view::npos ? v.size() : comma + 1);
    const bool large = !part.empty() && part.back() == '*';
    if (large) part.remove_suffix(1);
    std::optional<int64_t> id = ParseId(part);
    if (!id || (!out.visible.empty() && *id <= out.visible.back())) return std::nullopt;
    out.visible.push_back(*id);
    if (large) out.large.push_back(*id);
  }
  return out;
}

bool FeedCacheOn(const ServiceDeps& deps) { return deps.cache != nullptr && deps.feed_cache.enabled; }

std::string IdMember(int64_t id) {
  std::string out(kIdDigits, '0');
  for (size_t i = kIdDigits; i > 0 && id > 0; id /= 10) out[--i] = static_cast<char>('0' + id % 10);
  return out;
}

std::optional<FeedList> ParseFeedList(const std::vector<std::string>& members, int64_t limit,
                                      int64_t down_to) {
  FeedList out;
  bool sentinel = false;
  out.ids.reserve(members.size());
  for (const std::string& m : members) {
    if (!m.empty() && m.front() == kFloorMark) {
      std::optional<int64_t> floor = ParseIdMember(std::string_view(m).substr(1));
      if (!floor) return std::nullopt;
      out.floor = *floor;
      sentinel = true;  // sorts below every id: the read reached the bottom of the set
      continue;
    }
    std::optional<int64_t> id = ParseIdMember(m);
    if (!id) return std::nullopt;
    out.ids.push_back(*id);  // greatest first: the set keeps them in id order
  }
  if (!sentinel) {
    // Cut by the limit, or ended at the first id below `down_to`: certified down to the last id read.
    // Exhausted without a sentinel (trimmed off by the cap): the set is whole down to its least id.
    out.truncated =
        static_cast<int64_t>(members.size()) >= limit || (!out.ids.empty() && out.ids.back() < down_to);
    out.floor = out.ids.empty() ? 0 : out.ids.back();
  }
  return out;
}

int64_t FirstReadLimit(int64_t fetch) {
  return static_cast<int64_t>(Slots(static_cast<size_t>(fetch) + static_cast<size_t>(fetch) / 2));
}

bool HomeLists::truncated() const {
  if (own.truncated) return true;
  for (const FeedList& l : large) {
    if (l.truncated) return true;
  }
  return false;
}

namespace {

// One list below `bound`: at most `limit` ids from the cache, ending at the first one below `down_to`
// (0: no such end); an absent list is rebuilt by `rebuild` (which stores it and returns its ids, or
// nullopt) on a first page when `may_rebuild`.
template <typename Rebuild>
absl::StatusOr<std::optional<FeedList>> ReadList(cache::Cache& cache, const std::string& key, int64_t bound,
                                                 int64_t limit, int64_t down_to, bool may_rebuild,
                                                 const Rebuild& rebuild) {
  const bool first_page = bound == std::numeric_limits<int64_t>::max();
  absl::StatusOr<std::vector<std::string>> cached =
      down_to > 0 ? cache.OrderedSetRangeDownTo(key, IdMember(bound), IdMember(down_to), limit)
                  : cache.OrderedSetRangeBelow(key, IdMember(bound), limit);
  if (absl::IsFailedPrecondition(cached.status())) {
    // Another type under the key (a list left by a version before ordered sets): replaced.
    Log(LogLevel::kWarning, "feed", absl::StrCat("feed list '", key, "' is not an ordered set; rebuilding it"));
    const std::string keys[] = {key};
    if (!cache.Delete(keys).ok()) return std::optional<FeedList>();
    cached = std::vector<std::string>();
  }
  if (!cached.ok()) return std::optional<FeedList>();  // the cache is down: the database answers
  if (!cached->empty()) {
    if (std::optional<FeedList> list = ParseFeedList(*cached, limit, down_to)) return list;
    Log(LogLevel::kWarning, "feed", absl::StrCat("feed list '", key, "' does not parse; rebuilding it"));
  } else if (!first_page) {
    // Absent, or a trimmed set with nothing below the bound (an existing set always returns its
    // sentinel otherwise): nothing is certified here, the database answers this page.
    return std::optional<FeedList>();
  }
  if (!may_rebuild) return std::optional<FeedList>();
  DAIRA_ASSIGN_OR_RETURN(std::optional<FeedList> list, rebuild());
  if (list.has_value() && !first_page) {  // a list that did not parse, rebuilt on a later page
    list->ids.erase(list->ids.begin(),
                    std::upper_bound(list->ids.begin(), list->ids.end(), bound, std::greater<>()));
  }
  return list;
}

}  // namespace

absl::StatusOr<std::optional<HomeLists>> LoadHomeLists(const ServiceDeps& deps, int64_t viewer, int64_t now,
                                                       int64_t bound, int64_t limit, bool may_rebuild,
                                                       const HomeLists* previous) {
  cache::Cache& cache = *deps.cache;
  const int64_t depth = std::clamp<int64_t>(deps.feed_cache.rebuild_depth, 1, 1000);
  HomeLists out;
  // The reader's list. A rebuild racing a fan-out or invalidation of this key bumps its generation:
  // then the list stored may lack that post, so it is dropped and this read goes to the database.
  const std::string key = FeedKey(viewer);
  auto rebuild_own = [&]() -> absl::StatusOr<std::optional<FeedList>> {
    const uint64_t generation = cache.Generation(key);
    RequestContext fresh;
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        store::WithConnection(*deps.db, fresh, FillAccess(deps), [&](store::Connection& c) {
          return c.Execute(RebuildSql(deps.db->backend(), depth), {viewer, viewer});
        }));
    DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> ids, RebuiltIds(rs, deps.db->backend(), depth));
    return StoreList(cache, key, std::move(ids), depth, generation);
  };
  DAIRA_ASSIGN_OR_RETURN(std::optional<FeedList> own,
                         ReadList(cache, key, bound, limit, /*down_to=*/0, may_rebuild, rebuild_own));
  if (!own.has_value()) return std::optional<HomeLists>();
  out.own = *std::move(own);

  // Whom the page shows and which of them are large accounts: one statement, cached per viewer
  // (`feed:authors:{viewer}`, the feed namespace's TTL) with single-flight, dropped with the viewer's
  // list whenever the viewer's followees change, when a followee crosses the threshold either way
  // (social.cc, after commit) and on the viewer's mutes and blocks; unusable once a timed mute in it
  // expires. Filled like a list: from the primary on Postgres (a lagging replica's answer would stay).
  if (previous != nullptr) {
    out.authors = previous->authors;
  } else {
    const int64_t threshold = deps.feed_cache.fanout_max_followers;
    auto load = [&]() -> absl::StatusOr<std::string> {
      RequestContext fresh;
      DAIRA_ASSIGN_OR_RETURN(
          store::ResultSet rs,
          store::WithConnection(*deps.db, fresh, FillAccess(deps), [&](store::Connection& c) {
            return c.Execute(kHomeAuthorsSql, {threshold, viewer, viewer, viewer, viewer, now, viewer, viewer,
                                               threshold, viewer, now});
          }));
      return EncodeHomeAuthors(rs);
    };
    auto fresh_at_now = [now](const std::optional<HomeAuthors>& a) {
      return a.has_value() && (a->valid_until == 0 || now < a->valid_until);
    };
    // `usable` keeps what it decoded: the bytes it accepts are the bytes returned.
    std::optional<HomeAuthors> decoded;
    DAIRA_ASSIGN_OR_RETURN(std::string encoded, cache.ReadThrough(HomeAuthorsKey(viewer), load,
                                                                  cache::kPolicyTtl, [&](std::string_view v) {
                                                                    decoded = DecodeHomeAuthors(v);
                                                                    if (!fresh_at_now(decoded))
                                                                      decoded.reset();
                                                                    return decoded.has_value();
                                                                  }));
    if (!decoded.has_value()) decoded = DecodeHomeAuthors(encoded);
    if (!fresh_at_now(decoded)) {  // another caller's load, judged at its own clock: load for this one
      DAIRA_ASSIGN_OR_RETURN(encoded, load());
      decoded = DecodeHomeAuthors(encoded);
    }
    if (!decoded.has_value()) return absl::InternalError("feed: the cached authors do not decode");
    out.authors = *std::move(decoded);
  }

  // The large accounts' lists. On a first read each is read only down to the first id below what can
  // still matter: the highest floor so far (nothing under it is certified) or the limit-th newest
  // candidate of the lists read so far (an id under it is not among the candidates a page tries
  // first). Every list still vouches for exactly what it returned, so the page is certified as before;
  // only the candidates of a deeper try are fewer (a page that needs them reads the lists whole).
  const bool bounded = previous == nullptr && limit != kWholeList;
  int64_t floor = out.own.floor;
  std::vector<int64_t> top, merged;  // the `limit` newest candidates so far, newest first
  if (bounded) top.assign(out.own.ids.begin(), out.own.ids.end());
  out.large.reserve(out.authors.large.size());
  for (const int64_t author : out.authors.large) {
    const std::string author_key = AuthorPostsKey(author);
    // Rebuilt like a reader's list (the generation detects a fan-out racing the rebuild).
    auto rebuild_author = [&]() -> absl::StatusOr<std::optional<FeedList>> {
      const uint64_t generation = cache.Generation(author_key);
      RequestContext fresh;
      DAIRA_ASSIGN_OR_RETURN(
          store::ResultSet rs,
          store::WithConnection(*deps.db, fresh, FillAccess(deps), [&](store::Connection& c) {
            return c.Execute(AuthorRebuildSql(deps.db->backend(), depth), {author});
          }));
      std::vector<int64_t> ids;
      ids.reserve(rs.size());
      for (size_t r = 0; r < rs.size(); ++r) ids.push_back(rs.row(r).Int64(0));
      return StoreList(cache, author_key, std::move(ids), depth, generation);
    };
    const int64_t down_to =
        !bounded ? 0 : std::max(floor, static_cast<int64_t>(top.size()) >= limit ? top.back() : int64_t{0});
    DAIRA_ASSIGN_OR_RETURN(std::optional<FeedList> list,
                           ReadList(cache, author_key, bound, limit, down_to, may_rebuild, rebuild_author));
    if (!list.has_value()) return std::optional<HomeLists>();
    if (bounded) {
      floor = std::max(floor, list->floor);
      merged.resize(top.size() + list->ids.size());
      merged.erase(std::merge(top.begin(), top.end(), list->ids.begin(), list->ids.end(), merged.begin(),
                              std::greater<>()),
                   merged.end());
      merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
      merged.erase(std::lower_bound(merged.begin(), merged.end(), floor, std::greater<>()), merged.end());
      if (static_cast<int64_t>(merged.size()) > limit) merged.resize(static_cast<size_t>(limit));
      top.swap(merged);
    }
    out.large.push_back(*std::move(list));
  }
  return std::optional<HomeLists>(std::move(out));
}

absl::StatusOr<std::optional<store::ResultSet>> ListedHomeRows(store::Connection& c, const ServiceDeps& deps,
                                                               const HomeLists& lists, int64_t viewer,
                                                               int64_t now, int64_t bound, int64_t fetch) {
  const FeedList& list = lists.own;
  const std::vector<FeedList>& large = lists.large;
  // The candidates below the page's bound, newest first: the reader's list merged in memory with the
  // large accounts' lists. Every post that may be on the home feed with an id at or above `floor` is
  // among them (each list vouches for its own floor).
  int64_t floor = list.floor;
  std::vector<int64_t> ids;
  auto below = [bound](const FeedList& l) {
    return std::upper_bound(l.ids.begin(), l.ids.end(), bound, std::greater<>());
  };
  if (large.empty()) {
    ids.assign(below(list), list.ids.end());
  } else {
    size_t total = static_cast<size_t>(list.ids.end() - below(list));
    for (const FeedList& l : large) total += static_cast<size_t>(l.ids.end() - below(l));
    ids.reserve(total);
    ids.assign(below(list), list.ids.end());
    for (const FeedList& l : large) {
      floor = std::max(floor, l.floor);
      ids.insert(ids.end(), below(l), l.ids.end());
    }
    // Nothing under the highest floor is vouched for by every list: leave it to the database path.
    ids.erase(std::remove_if(ids.begin(), ids.end(), [floor](int64_t id) { return id < floor; }), ids.end());
    std::sort(ids.begin(), ids.end(), std::greater<>());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  const size_t available = ids.size();
  if (available == 0 && floor != 0) return std::optional<store::ResultSet>();  // nothing certified here
  // Most candidates are visible: send a few more than a page first (one statement shape per bucket),
  // then four times that, then all of them.
  const size_t first_try =
      std::min(available, Slots(static_cast<size_t>(fetch) + static_cast<size_t>(fetch) / 2));
  const size_t tries[] = {first_try, std::min(available, first_try * 4), available};
  // The rows' authors are tested here against the cached set (lists.authors); a row by an author the
  // page does not show (a blocked, muted or unfollowed author's post in a list) sends this page to the
  // statement that tests authors itself.
  bool test_authors = false;
  for (size_t t = 0; t < std::size(tries);) {
    const size_t n = tries[t];
    // Every candidate post in [covered_low, bound) is among the n ids sent. So the first `fetch` rows
    // are the home feed's when they stay at or above it.
    const int64_t covered_low = n == available ? floor : std::max(floor, ids[n - 1]);
    const size_t slots = Slots(n);
    std::vector<store::Value> params;
    params.reserve(slots + 8);
    if (test_authors) params.insert(params.end(), {viewer, viewer, viewer, viewer, now, viewer});
    for (size_t i = 0; i < slots; ++i) params.emplace_back(i < n ? ids[i] : int64_t{0});
    params.insert(params.end(), {bound, viewer});
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                           c.Execute(ListedPageSql(deps.db->backend(), slots, fetch, test_authors), params));
    const size_t got = rs.size();
    if (!test_authors) {
      bool shown = true;
      for (size_t i = 0; i < got && shown; ++i) shown = lists.authors.Shows(rs.row(i).Int64(1));  // author_id
      if (!shown) {
        test_authors = true;
        continue;  // this try again
      }
    }
    if (got == static_cast<size_t>(fetch) && rs.row(got - 1).Int64("id") >= covered_low) return rs;
    if (got < static_cast<size_t>(fetch) && covered_low == 0) return rs;
    if (n == available) break;
    ++t;
  }
  return std::optional<store::ResultSet>();
}

void FanOutAfterCommit(const ServiceDeps& deps, const RequestContext& ctx, int64_t author_id,
                       int64_t post_id) {
  if (!FeedCacheOn(deps)) return;
  store::AfterCommit(ctx, [deps, author_id, post_id] {
    RequestContext fresh;
    // No keys for a large account: its readers merge its posts at read time.
    absl::StatusOr<std::vector<int64_t>> readers = store::WithConnection(
        *deps.db, fresh, FillAccess(deps),
        [&](store::Connection& c) { return Readers(c, author_id, deps.feed_cache.fanout_max_followers); });
    if (!readers.ok()) {
      Log(LogLevel::kWarning, "feed",
          absl::StrCat("fan-out of post ", post_id, " could not read the followers of ", author_id,
                       "; their cached feeds may lack it until they expire: ", readers.status().message()));
      // The author's own list needs no database read: drop it (rebuilt on its next use).
      Invalidate(deps.cache, {AuthorPostsKey(author_id)});
      return;
    }
    std::vector<std::string> keys;
    keys.reserve(readers->size() + 1);
    for (int64_t r : *readers) keys.push_back(FeedKey(r));
    // The author's own posts list (read when the author is a large account) takes every post.
    keys.push_back(AuthorPostsKey(author_id));
    deps.cache->BumpGeneration(keys);
    absl::StatusOr<int64_t> pushed = deps.cache->OrderedSetAddExisting(keys, IdMember(post_id));
    if (!pushed.ok()) Invalidate(deps.cache, std::move(keys));  // best effort: a missing list is rebuilt
  });
}

void InvalidateHomeAuthorsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                      std::vector<int64_t> viewers) {
  if (!FeedCacheOn(deps) || viewers.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(viewers.size());
  for (int64_t v : viewers) keys.push_back(HomeAuthorsKey(v));
  cache::Cache* cache = deps.cache;
  store::AfterCommit(ctx, [cache, keys = std::move(keys)]() mutable { Invalidate(cache, std::move(keys)); });
}

void InvalidateFeedsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                std::vector<int64_t> readers) {
  if (!FeedCacheOn(deps) || readers.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(readers.size() * 2);
  for (int64_t r : readers) {
    keys.push_back(FeedKey(r));
    keys.push_back(HomeAuthorsKey(r));
  }
  cache::Cache* cache = deps.cache;
  store::AfterCommit(ctx, [cache, keys = std::move(keys)]() mutable { Invalidate(cache, std::move(keys)); });
}

void InvalidateFollowerFeedsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                        std::vector<int64_t> fell_below, std::vector<int64_t> rose_above) {
  if (!FeedCacheOn(deps) || (fell_below.empty() && rose_above.empty())) return;
  store::AfterCommit(ctx, [deps, fell_below = std::move(fell_below), rose_above = std::move(rose_above)] {
    RequestContext fresh;
    absl::StatusOr<std::vector<std::string>> keys = store::WithConnection(
        *deps.db, fresh, FillAccess(deps),
        [&](store::Connection& c) -> absl::StatusOr<std::vector<std::string>> {
          std::vector<std::string> all;
          for (const bool below : {true, false}) {
            for (int64_t author : below ? fell_below : rose_above) {
              DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> readers,
                                     Readers(c, author, std::numeric_limits<int64_t>::max()));
              for (int64_t r : readers) {
                // Fell below: posts written above the threshold are in no list. Rose above: the
                // readers' cached authors do not mark it large (its new posts are not fanned out).
                if (below) all.push_back(FeedKey(r));
                all.push_back(HomeAuthorsKey(r));
              }
            }
          }
          return all;
        });
    if (!keys.ok()) {
      Log(LogLevel::kWarning, "feed",
          absl::StrCat("could not read the followers of authors that crossed the fan-out threshold to drop "
                       "their cached feeds (they expire with their TTL): ",
                       keys.status().message()));
      return;
    }
    Invalidate(deps.cache, *std::move(keys));
  });
}

}  // namespace daira::inline v0::services::internal

namespace daira::inline v0::services {

absl::Status FeedCacheOptions::Validate() const {
  if (fanout_max_followers <= 0) {
    return InvalidField("feed cache options", "fanout_max_followers",
                        absl::StrCat("must be > 0 (got ", fanout_max_followers, ")"));
  }
  if (rebuild_depth < 1 || rebuild_depth > 1000) {
    return InvalidField("feed cache options", "rebuild_depth",
                        absl::StrCat("must be in 1..1000 (got ", rebuild_depth, ")"));
  }
  return absl::OkStatus();
}

}  // namespace daira::inline v0::services
