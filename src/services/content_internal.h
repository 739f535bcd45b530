// Shared pieces of the content and feed services (private to daira_services): column lists, row
// mappers, author hydration, and small SQL helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/comment.h"
#include "daira/model/post.h"
#include "daira/model/video.h"
#include "daira/store/column_indexes.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/result_set.h"
#include "store/row_cells.h"

namespace daira::inline v0::services::internal {

// Columns of posts read into model::Post, unqualified and with a table alias ("p.id, p.author_id, ...").
inline constexpr char kPostColumns[] =
    "id, author_id, content, media_urls, hashtags, mentions, likes_count, comments_count, status, visibility, "
    "created_at, updated_at, deleted_at";
std::string PostColumns(std::string_view alias);

// Row readers for the content models: each reads rows holding its k*Columns (in any order, other columns
// allowed) with the column indexes resolved once per result shape (store::ColumnIndexes), numbers checked
// (DataLoss naming the column) and an unknown enum spelling a DataLoss naming table and column — never a
// silent zero or default. A reader is a row mapper (query::FetchPage / LoadMany take it); one per call.
class PostReader {
 public:
  PostReader();
  absl::StatusOr<model::Post> operator()(const store::Row& row);
  // Row `row` of `rs` read into `out` in place (a post constructed in its page: no StatusOr<Post> and
  // no move), its cells read straight from the result (store::internal::RowCells). `out` should be
  // default-constructed; the same checks and errors as the Row overload.
  absl::Status operator()(const store::ResultSet& rs, size_t row, model::Post& out);

 private:
  absl::Status Read(const store::internal::RowCells& cells, model::Post& out);
  store::ColumnIndexes cols_;
};
// One row (a reader used once).
absl::StatusOr<model::Post> PostFromRow(const store::Row& row);

inline constexpr char kVideoColumns[] =
    "id, author_id, title, description, hashtags, thumbnail_url, hls_url, duration_ms, resolution, views_count, "
    "likes_count, comments_count, status, visibility, error, created_at, updated_at, published_at, hidden_at";
// kVideoColumns qualified with `alias` ("p.id, p.author_id, ...").
std::string VideoColumns(std::string_view alias);
class VideoReader {
 public:
  VideoReader();
  absl::StatusOr<model::Video> operator()(const store::Row& row);

 private:
  store::ColumnIndexes cols_;
};
absl::StatusOr<model::Video> VideoFromRow(const store::Row& row);

inline constexpr char kCommentColumns[] =
    "id, post_id, video_id, parent_id, author_id, content, mentions, likes_count, replies_count, status, "
    "created_at, updated_at, deleted_at";
class CommentReader {
 public:
  CommentReader();
  absl::StatusOr<model::Comment> operator()(const store::Row& row);

 private:
  store::ColumnIndexes cols_;
};
absl::StatusOr<model::Comment> CommentFromRow(const store::Row& row);

// Sets *authors[i] to the public face of user author_ids[i] (the two spans are parallel), from ONE
// statement on `conn` over the distinct ids (none when they are empty): its rows are read straight into
// the summaries, the first item of each author filled from the row and the others copied from it. An
// author whose user row is gone leaves its *authors[i] as it was.
absl::Status FillAuthors(store::Connection& conn, std::span<const int64_t> author_ids,
                         std::span<std::optional<model::AuthorSummary>* const> authors);

// Fills `item.author` for every item (Post or Comment) from one batched statement on `conn` (none when
// `items` is empty). Items whose author row is gone keep author empty.
template <typename T>
absl::Status HydrateAuthors(store::Connection& conn, std::vector<T>& items) {
  if (items.empty()) return absl::OkStatus();
  std::vector<int64_t> ids;
  std::vector<std::optional<model::AuthorSummary>*> slots;
  ids.reserve(items.size());
  slots.reserve(items.size());
  for (T& item : items) {
    ids.push_back(item.author_id.value);
    slots.push_back(&item.author);
  }
  return FillAuthors(conn, ids, slots);
}

// The same on a read connection of `db`.
template <typename T>
absl::Status HydrateAuthors(store::Database& db, const RequestContext& ctx, std::vector<T>& items) {
  if (items.empty()) return absl::OkStatus();
  return store::WithConnection(db, ctx, store::Access::kRead,
                               [&](store::Connection& c) { return HydrateAuthors(c, items); });
}

// Resolves lower-case usernames to ids of existing users, in the order given (unknown ones dropped):
// one statement, none for an empty list.
absl::StatusOr<std::vector<UserId>> ResolveMentions(store::Connection& conn, const std::vector<std::string>& names);

std::vector<int64_t> RawIds(const std::vector<UserId>& ids);

// " FOR UPDATE" on Postgres (row lock inside a read-committed transaction), "" on SQLite (whose
// writers are serialized by BEGIN IMMEDIATE).
std::string_view ForUpdate(const store::Connection& conn);

// The predicate a viewer applies to a post row aliased `p`: visibility (PUBLIC; FOLLOWERS with an
// ACTIVE follow; PRIVATE only the author), no author blocked either way, no author muted (MUTE or
// HIDE_POSTS, unexpired at `now` micros). UserId{} (anonymous) sees PUBLIC posts only. Its parameters
// are appended to `params` in order. Shared by the feeds and post search.
std::string ViewerFilter(UserId viewer, int64_t now, std::vector<store::Value>& params);

// The home feed's statement fetching `fetch` rows (exposed for EXPLAIN in tests), built once per shape
// and valid for the process. Parameters, in order: viewer x4, now (micros, for mute expiry), viewer,
// viewer, the cursor id bound.
const std::string& HomeFeedSql(store::Backend backend, bool backward, int64_t fetch);
// Its pieces, shared with the cached home feed (feed_cache.cc): the CTE `a (author_id)` of the
// viewer's visible followees plus the viewer (parameters: viewer x4, now, viewer), and the walk of at
// most `fetch` posts per author of `authors` (a FROM item with an author_id column; parameters: viewer,
// the cursor id bound) selecting PostColumns("p").
std::string HomeAuthorsCte();
std::string HomeAuthorWalk(store::Backend backend, std::string_view authors, bool backward, int64_t fetch);

}  // namespace daira::inline v0::services::internal
