// The home feed's cache (internal to services; docs/cache.md, "Feed cache"): each reader's `feed:{id}`
// list of candidate post ids, filled from the database on first read, pushed to by fan-out on write
// after a post commits, and read back through ONE statement that applies today's visibility rules to
// the listed ids and merges the recent posts of large accounts (never fanned out).
//
// The list's contract: every post by a followee (or the reader) that is not a large account, with an
// id at or above the list's floor, is in it. Entries are ids (newest first) and one sentinel "f<floor>"
// at the tail (floor 0: the list holds everything). A page whose rows cannot be certified from the
// list (it reaches below the floor) is read from the database, so the cached answer always equals the
// database path's.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/services/service_deps.h"
#include "daira/store/connection.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::services::internal {

// "feed:<id>".
std::string FeedKey(int64_t user_id);
// Whether the home feed uses the cache (a cache is wired and FeedCacheOptions::enabled).
bool FeedCacheOn(const ServiceDeps& deps);

struct FeedList {
  std::vector<int64_t> ids;  // newest first, unique, below the page's bound
  int64_t floor = 0;         // every post of the list's contract in [floor, bound) is in `ids`
  bool truncated = false;    // the read stopped at its limit: a deeper read certifies further down
};
// The cached form of a list: an ordered set (cache::Cache::OrderedSetAdd) of post ids as 19-digit
// zero-padded decimals (byte order = id order) and one sentinel "#<floor, 19 digits>" that sorts
// below every id. The set's newest max_list_length (1,000) members are kept: a set whose sentinel was
// trimmed off is whole down to its least id.
std::string IdMember(int64_t id);
// Parses members read greatest first by a range that asked for `limit` and ended at the first member
// below `down_to` (0: no such end; Cache::OrderedSetRangeDownTo); nullopt when one is neither an id nor
// a sentinel.
std::optional<FeedList> ParseFeedList(const std::vector<std::string>& members, int64_t limit,
                                      int64_t down_to = 0);

// "feed:author:<id>": the newest post ids of one author (the large accounts' side of the hybrid).
std::string AuthorPostsKey(int64_t author_id);
// "feed:authors:<viewer>": the authors the viewer's home feed shows (the viewer and its ACTIVE
// followees, less those blocked either way or under an unexpired MUTE/HIDE_POSTS mute — HomeAuthorsCte's
// set), each marked when it is a large account (at or above fanout_max_followers), cached so that a warm
// read runs no statement to find them and the page's statement needs no author test. Dropped with the
// viewer's list (InvalidateFeedsAfterCommit), when a followee crosses the threshold, on the viewer's
// mute, unmute, block or unblock (InvalidateHomeAuthorsAfterCommit), and unusable once the earliest
// expiry of the viewer's timed mutes has passed.
std::string HomeAuthorsKey(int64_t viewer);
struct HomeAuthors {
  std::vector<int64_t> visible;  // ascending
  std::vector<int64_t> large;    // the large accounts among them, ascending
  int64_t valid_until = 0;       // unix µs after which the set is stale (a mute expires); 0: none
  bool Shows(int64_t author) const;
};
// "A<valid_until>|<id>[*],..." ('*': large); nullopt when it does not decode.
std::optional<HomeAuthors> DecodeHomeAuthors(std::string_view v);

// What a home page below `bound` is read from: the reader's list and the lists (AuthorPostsKey) of
// the viewer's visible large accounts, the authors (visible, large) read through HomeAuthorsKey.
struct HomeLists {
  FeedList own;
  std::vector<FeedList> large;
  HomeAuthors authors;  // `large` holds the lists of authors.large, in order
  bool truncated() const;
};
// Reads at most `limit` ids below `bound` from each list. A list that is absent is rebuilt from the
// database (primary on Postgres) when `may_rebuild` and this is a first page (bound = INT64_MAX): the
// newest rebuild_depth ids, whatever their status, visibility, blocks or mutes. nullopt when the cache
// cannot serve the page now (unreachable, a write raced a rebuild, or a later page finds a list absent
// or with nothing below `bound`): the caller reads the database. With `previous` (a deeper read of the
// same page) its large accounts are reused, so no statement runs.
// The ids a first read takes from each list for a page of `fetch` rows (a page and a half, rounded
// up to a statement bucket), and a read of everything.
int64_t FirstReadLimit(int64_t fetch);
inline constexpr int64_t kWholeList = std::numeric_limits<int64_t>::max();
// `now` (unix µs) decides which mutes are in force. A first read (previous == nullptr) reads each
// large account's list only down to the first id that can no longer reach the `limit` newest
// candidates of the lists read before it (Cache::OrderedSetRangeDownTo).
absl::StatusOr<std::optional<HomeLists>> LoadHomeLists(const ServiceDeps& deps, int64_t viewer, int64_t now,
                                                       int64_t bound, int64_t limit, bool may_rebuild,
                                                       const HomeLists* previous = nullptr);

// The rows (PostColumns, newest first, at most `fetch`) of the home page below `bound` served from
// `lists` (merged in memory), or nullopt when they cannot be certified from them (the caller reads
// deeper lists, then runs HomeFeedSql). The statement tests each post's status and visibility; the
// rows' authors are tested against lists.authors, and a row by an author not shown there sends the
// page to the statement form that tests authors itself (HomeAuthorsCte).
absl::StatusOr<std::optional<store::ResultSet>> ListedHomeRows(store::Connection& c, const ServiceDeps& deps,
                                                               const HomeLists& lists, int64_t viewer,
                                                               int64_t now, int64_t bound, int64_t fetch);

// Home pages served from a list, and pages that fell back to the database (the list could not certify
// them, or the cache could not serve a list), since the process started.
struct FeedCacheCounts {
  int64_t served_from_list = 0;
  int64_t fell_back = 0;
};
FeedCacheCounts FeedCacheCounters();
void CountFeedPage(bool served_from_list);

// After the request's transaction commits (at once without one; never after a rollback):
// pushes `post_id` onto the author's own posts list (AuthorPostsKey) and onto the cached lists of
// `author`'s ACTIVE followers and the author's own, unless the author has at least
// fanout_max_followers followers. Only lists that exist take it. A no-op without the feed cache.
void FanOutAfterCommit(const ServiceDeps& deps, const RequestContext& ctx, int64_t author_id,
                       int64_t post_id);
// Drops these viewers' cached authors (HomeAuthorsKey) after commit: a mute, unmute, block or unblock
// changed whom their home feed shows.
void InvalidateHomeAuthorsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                      std::vector<int64_t> viewers);
// Drops these readers' lists after commit (their followees changed: a new followee's older posts are
// in no list).
void InvalidateFeedsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                std::vector<int64_t> readers);
// After commit, for every ACTIVE follower of these authors and the authors themselves: authors that
// fell below fanout_max_followers drop the readers' lists (posts they wrote above it are in no list)
// and cached authors; authors that rose to it drop the readers' cached authors (HomeAuthorsKey:
// from now on their posts are merged at read time, not fanned out).
void InvalidateFollowerFeedsAfterCommit(const ServiceDeps& deps, const RequestContext& ctx,
                                        std::vector<int64_t> fell_below, std::vector<int64_t> rose_above);

}  // namespace daira::inline v0::services::internal
