// Content service: shared helpers, posts and videos. Comments: content_comments.cc; reactions:
// content_reactions.cc.
#include "daira/services/content.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/query/batch_loader.h"
#include "daira/ratelimit/enforce.h"
#include "daira/store/column_indexes.h"
#include "daira/store/sql_text.h"
#include "services/content_internal.h"
#include "services/feed_cache.h"
#include "services/profile_cache.h"
#include "services/row_helpers.h"
#include "services/text_entities.h"

namespace daira::inline v0::services {
namespace internal {

namespace {

// "a, b" with `alias` → "x.a, x.b".
std::string Qualified(std::string_view cols, std::string_view alias) {
  std::string out;
  while (!cols.empty()) {
    const size_t comma = cols.find(", ");
    std::string_view col = cols.substr(0, comma);
    if (!out.empty()) out += ", ";
    absl::StrAppend(&out, ToAbsl(alias), ".", ToAbsl(col));
    if (comma == std::string_view::npos) break;
    cols.remove_prefix(comma + 2);
  }
  return out;
}

}  // namespace

std::string PostColumns(std::string_view alias) { return Qualified(kPostColumns, alias); }

std::string VideoColumns(std::string_view alias) { return Qualified(kVideoColumns, alias); }

namespace {
std::vector<UserId> UserIds(const std::vector<int64_t>& raw) {
  std::vector<UserId> out;
  out.reserve(raw.size());
  for (int64_t v : raw) out.emplace_back(v);
  return out;
}
}  // namespace

namespace {

// Index-based readers shared by the three content readers, over a row's cells (store::internal::RowCells:
// in place for the readers given a result and a row index, through the Row otherwise).
using store::internal::RowCells;
absl::StatusOr<Clock::TimePoint> TimeAt(const RowCells& cells, int col) {
  DAIRA_ASSIGN_OR_RETURN(int64_t micros, cells.CheckedInt64(col));
  return FromUnixMicros(micros);
}
absl::StatusOr<std::optional<Clock::TimePoint>> OptionalTimeAt(const RowCells& cells, int col) {
  if (cells.IsNull(col)) return std::optional<Clock::TimePoint>();
  DAIRA_ASSIGN_OR_RETURN(Clock::TimePoint t, TimeAt(cells, col));
  return std::optional<Clock::TimePoint>(t);
}
std::optional<std::string> OptionalTextAt(const store::Row& row, int col) {
  if (row.IsNull(col)) return std::nullopt;
  return row.Text(col);
}
// The model enum spelled in `col` (compared in place, no copy of the text); DataLoss naming
// `table`.`column` and the row's id otherwise.
template <typename E>
absl::Status EnumAt(const RowCells& cells, int col, std::string_view table, int64_t id, E* out) {
  std::string scratch;
  const std::string_view text = cells.TextView(col, &scratch);
  if (model::Parse(text, out)) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(ToAbsl(table), ".", cells.row().result().columns()[col],
                                          ": unknown value \"", ToAbsl(text.substr(0, 64)), "\" (", ToAbsl(table),
                                          " id ", id, ")"));
}

constexpr std::string_view kPostNames[] = {"id",          "author_id",      "content",    "media_urls", "hashtags",
                                           "mentions",    "likes_count",    "comments_count", "status", "visibility",
                                           "created_at",  "updated_at",     "deleted_at"};
constexpr std::string_view kVideoNames[] = {
    "id",          "author_id",   "title",          "description", "hashtags",   "thumbnail_url",
    "hls_url",     "duration_ms", "resolution",     "views_count", "likes_count", "comments_count",
    "status",      "visibility",  "error",          "created_at",  "updated_at",  "published_at", "hidden_at"};
constexpr std::string_view kCommentNames[] = {"id",         "post_id",    "video_id",    "parent_id",     "author_id",
                                              "content",    "mentions",   "likes_count", "replies_count", "status",
                                              "created_at", "updated_at", "deleted_at"};

}  // namespace

PostReader::PostReader() : cols_(kPostNames) {}

absl::StatusOr<model::Post> PostReader::operator()(const store::Row& row) {
  model::Post p;
  DAIRA_RETURN_IF_ERROR(Read(RowCells(row), p));
  return p;
}

absl::Status PostReader::operator()(const store::ResultSet& rs, size_t row, model::Post& out) {
  return Read(RowCells(rs, row), out);
}

absl::Status PostReader::Read(const RowCells& cells, model::Post& p) {
  const store::Row& row = cells.row();
  DAIRA_RETURN_IF_ERROR(cols_.Bind(row));
  DAIRA_ASSIGN_OR_RETURN(int64_t id, cells.CheckedInt64(cols_[0]));
  p.id = PostId(id);
  DAIRA_ASSIGN_OR_RETURN(int64_t author, cells.CheckedInt64(cols_[1]));
  p.author_id = UserId(author);
  cells.TextInto(cols_[2], &p.content);
  p.media_urls = row.TextArray(cols_[3]);
  p.hashtags = row.TextArray(cols_[4]);
  p.mentions = UserIds(row.Int64Array(cols_[5]));
  DAIRA_ASSIGN_OR_RETURN(p.likes_count, cells.CheckedInt64(cols_[6]));
  DAIRA_ASSIGN_OR_RETURN(p.comments_count, cells.CheckedInt64(cols_[7]));
  DAIRA_RETURN_IF_ERROR(EnumAt(cells, cols_[8], "posts", id, &p.status));
  DAIRA_RETURN_IF_ERROR(EnumAt(cells, cols_[9], "posts", id, &p.visibility));
  DAIRA_ASSIGN_OR_RETURN(p.created_at, TimeAt(cells, cols_[10]));
  DAIRA_ASSIGN_OR_RETURN(p.updated_at, TimeAt(cells, cols_[11]));
  DAIRA_ASSIGN_OR_RETURN(p.deleted_at, OptionalTimeAt(cells, cols_[12]));
  return absl::OkStatus();
}

absl::StatusOr<model::Post> PostFromRow(const store::Row& row) { return PostReader()(row); }

VideoReader::VideoReader() : cols_(kVideoNames) {}

absl::StatusOr<model::Video> VideoReader::operator()(const store::Row& row) {
  DAIRA_RETURN_IF_ERROR(cols_.Bind(row));
  const RowCells cells(row);
  model::Video v;
  DAIRA_ASSIGN_OR_RETURN(int64_t id, row.CheckedInt64(cols_[0]));
  v.id = VideoId(id);
  DAIRA_ASSIGN_OR_RETURN(int64_t author, row.CheckedInt64(cols_[1]));
  v.author_id = UserId(author);
  v.title = row.Text(cols_[2]);
  v.description = row.Text(cols_[3]);
  v.hashtags = row.TextArray(cols_[4]);
  v.thumbnail_url = OptionalTextAt(row, cols_[5]);
  v.hls_url = OptionalTextAt(row, cols_[6]);
  DAIRA_ASSIGN_OR_RETURN(v.duration_ms, row.CheckedInt64(cols_[7]));
  v.resolution = row.Text(cols_[8]);
  DAIRA_ASSIGN_OR_RETURN(v.views_count, row.CheckedInt64(cols_[9]));
  DAIRA_ASSIGN_OR_RETURN(v.likes_count, row.CheckedInt64(cols_[10]));
  DAIRA_ASSIGN_OR_RETURN(v.comments_count, row.CheckedInt64(cols_[11]));
  DAIRA_RETURN_IF_ERROR(EnumAt(cells, cols_[12], "videos", id, &v.status));
  DAIRA_RETURN_IF_ERROR(EnumAt(cells, cols_[13], "videos", id, &v.visibility));
  v.error = OptionalTextAt(row, cols_[14]);
  DAIRA_ASSIGN_OR_RETURN(v.created_at, TimeAt(cells, cols_[15]));
  DAIRA_ASSIGN_OR_RETURN(v.updated_at, TimeAt(cells, cols_[16]));
  DAIRA_ASSIGN_OR_RETURN(v.published_at, OptionalTimeAt(cells, cols_[17]));
  DAIRA_ASSIGN_OR_RETURN(v.hidden_at, OptionalTimeAt(cells, cols_[18]));
  return v;
}

absl::StatusOr<model::Video> VideoFromRow(const store::Row& row) { return VideoReader()(row); }

CommentReader::CommentReader() : cols_(kCommentNames) {}

absl::StatusOr<model::Comment> CommentReader::operator()(const store::Row& row) {
  DAIRA_RETURN_IF_ERROR(cols_.Bind(row));
  const RowCells cells(row);
  model::Comment c;
  DAIRA_ASSIGN_OR_RETURN(int64_t id, row.CheckedInt64(cols_[0]));
  c.id = CommentId(id);
  if (!row.IsNull(cols_[1])) {
    DAIRA_ASSIGN_OR_RETURN(int64_t post, row.CheckedInt64(cols_[1]));
    c.target = {model::CommentTargetType::kPost, post};
  } else {
    DAIRA_ASSIGN_OR_RETURN(int64_t video, row.CheckedInt64(cols_[2]));
    c.target = {model::CommentTargetType::kVideo, video};
  }
  if (!row.IsNull(cols_[3])) {
    DAIRA_ASSIGN_OR_RETURN(int64_t parent, row.CheckedInt64(cols_[3]));
    c.parent_id = CommentId(parent);
  }
  DAIRA_ASSIGN_OR_RETURN(int64_t author, row.CheckedInt64(cols_[4]));
  c.author_id = UserId(author);
  c.content = row.Text(cols_[5]);
  c.mentions = UserIds(row.Int64Array(cols_[6]));
  DAIRA_ASSIGN_OR_RETURN(c.likes_count, row.CheckedInt64(cols_[7]));
  DAIRA_ASSIGN_OR_RETURN(c.replies_count, row.CheckedInt64(cols_[8]));
  DAIRA_RETURN_IF_ERROR(EnumAt(cells, cols_[9], "comments", id, &c.status));
  DAIRA_ASSIGN_OR_RETURN(c.created_at, TimeAt(cells, cols_[10]));
  DAIRA_ASSIGN_OR_RETURN(c.updated_at, TimeAt(cells, cols_[11]));
  DAIRA_ASSIGN_OR_RETURN(c.deleted_at, OptionalTimeAt(cells, cols_[12]));
  return c;
}

absl::StatusOr<model::Comment> CommentFromRow(const store::Row& row) { return CommentReader()(row); }

namespace {

// The authors' statement per backend (its InArray differs), made once: found by identity in the
// connection's statement cache (store::SqlText), not built and hashed per call.
const store::SqlText& AuthorsStatement(const store::Connection& conn) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* texts = new absl::flat_hash_map<int, std::unique_ptr<const store::SqlText>>();
  const int key = static_cast<int>(conn.dialect().backend());
  {
    absl::ReaderMutexLock lock(&mu);
    if (auto it = texts->find(key); it != texts->end()) return *it->second;
  }
  auto text = std::make_unique<const store::SqlText>(absl::StrCat(
      "SELECT u.id, u.username, u.avatar_url, u.is_verified, pr.display_name "
      "FROM users u LEFT JOIN user_profiles pr ON pr.user_id = u.id WHERE ",
      conn.dialect().InArray("u.id")));
  absl::MutexLock lock(&mu);
  return *texts->try_emplace(key, std::move(text)).first->second;
}

// Most ids bound in one authors statement (query::LoadManyOptions' default).
constexpr size_t kMaxAuthorIds = 10000;

}  // namespace

absl::Status FillAuthors(store::Connection& conn, std::span<const int64_t> author_ids,
                         std::span<std::optional<model::AuthorSummary>* const> authors) {
  // The distinct ids, in first-use order (a page holds at most a few dozen authors).
  std::vector<int64_t> distinct;
  distinct.reserve(author_ids.size());
  for (int64_t id : author_ids) {
    if (std::find(distinct.begin(), distinct.end(), id) == distinct.end()) distinct.push_back(id);
  }
  static constexpr std::string_view kNames[] = {"id", "username", "display_name", "avatar_url", "is_verified"};
  store::ColumnIndexes cols(kNames);
  std::vector<bool> filled(author_ids.size(), false);
  for (size_t begin = 0; begin < distinct.size(); begin += kMaxAuthorIds) {
    const size_t end = std::min(distinct.size(), begin + kMaxAuthorIds);
    const store::Value ids(std::vector<int64_t>(distinct.begin() + begin, distinct.begin() + end));
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, conn.Execute(AuthorsStatement(conn), store::Params(&ids, 1)));
    for (size_t r = 0; r < rs.size(); ++r) {
      DAIRA_RETURN_IF_ERROR(cols.Bind(rs.row(r)));
      const RowCells cells(rs, r);
      const int64_t id = cells.Int64(cols[0]);
      const model::AuthorSummary* first = nullptr;  // this author's summary, once filled from the row
      for (size_t i = 0; i < author_ids.size(); ++i) {
        if (author_ids[i] != id || filled[i]) continue;  // first row wins (joins may repeat an id)
        filled[i] = true;
        if (first != nullptr) {
          *authors[i] = *first;
          continue;
        }
        model::AuthorSummary& a = authors[i]->emplace();
        a.id = UserId(id);
        cells.TextInto(cols[1], &a.username);
        cells.TextInto(cols[2], &a.display_name);
        cells.TextInto(cols[3], &a.avatar_url);
        a.is_verified = cells.Int64(cols[4]) != 0;
        first = &a;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<UserId>> ResolveMentions(store::Connection& conn, const std::vector<std::string>& names) {
  std::vector<UserId> out;
  if (names.empty()) return out;
  const std::string sql = "SELECT id, username FROM users WHERE " + conn.dialect().InArray("username");
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, conn.Execute(sql, {store::Value(names)}));
  // Keep the order of first mention.
  for (const std::string& name : names) {
    for (const store::Row& row : rs) {
      if (row.Text("username") == name) {
        out.emplace_back(row.Int64("id"));
        break;
      }
    }
  }
  return out;
}

std::vector<int64_t> RawIds(const std::vector<UserId>& ids) {
  std::vector<int64_t> out;
  out.reserve(ids.size());
  for (UserId id : ids) out.push_back(id.value);
  return out;
}

std::string_view ForUpdate(const store::Connection& conn) {
  return conn.backend() == store::Backend::kPostgres ? " FOR UPDATE" : "";
}

}  // namespace internal

namespace {

using internal::ForUpdate;
using internal::kPostColumns;
using internal::kVideoColumns;
using internal::PostFromRow;
using internal::RawIds;
using internal::ResolveMentions;
using internal::VideoFromRow;

// Sorted copy: hashtag rows are always locked in the same order, so concurrent posts sharing tags
// cannot deadlock on Postgres.
std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> Minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const std::string& s : a) {
    if (std::find(b.begin(), b.end(), s) == b.end()) out.push_back(s);
  }
  return out;
}

// hashtags: +1 posts_count per tag (inserting missing tags), then links post_hashtags. 2 statements.
absl::Status LinkHashtags(store::Connection& c, IdGenerator& ids, int64_t post_id,
                          const std::vector<std::string>& tags, int64_t now) {
  if (tags.empty()) return absl::OkStatus();
  const std::vector<std::string> sorted = Sorted(tags);
  std::string sql = "INSERT INTO hashtags (id, tag, posts_count, last_used_at, created_at, updated_at) VALUES ";
  std::vector<store::Value> params;
  for (size_t i = 0; i < sorted.size(); ++i) {
    absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?, ?, 1, ?, ?, ?)");
    DAIRA_ASSIGN_OR_RETURN(const int64_t hashtag_id, ids.TryNext());
    params.insert(params.end(), {hashtag_id, sorted[i], now, now, now});
  }
  sql +=
      " ON CONFLICT (tag) DO UPDATE SET posts_count = hashtags.posts_count + 1, "
      "last_used_at = excluded.last_used_at, updated_at = excluded.updated_at";
  DAIRA_RETURN_IF_ERROR(c.Execute(sql, params).status());
  const std::string link = "INSERT INTO post_hashtags (post_id, hashtag_id, created_at) SELECT ?, id, ? FROM hashtags WHERE " +
                           c.dialect().InArray("tag");
  return c.Execute(link, {post_id, now, store::Value(sorted)}).status();
}

// The reverse of LinkHashtags for `tags` the post was linked to. 2 statements.
absl::Status UnlinkHashtags(store::Connection& c, int64_t post_id, const std::vector<std::string>& tags, int64_t now) {
  if (tags.empty()) return absl::OkStatus();
  const std::vector<std::string> sorted = Sorted(tags);
  const std::string unlink =
      "DELETE FROM post_hashtags WHERE post_id = ? AND hashtag_id IN (SELECT id FROM hashtags WHERE " +
      c.dialect().InArray("tag") + ")";
  DAIRA_RETURN_IF_ERROR(c.Execute(unlink, {post_id, store::Value(sorted)}).status());
  const std::string dec = "UPDATE hashtags SET posts_count = posts_count - 1, updated_at = ? WHERE " +
                          c.dialect().InArray("tag") + " AND posts_count > 0";
  return c.Execute(dec, {now, store::Value(sorted)}).status();
}

absl::Status BumpProfile(store::Connection& c, std::string_view column, int64_t delta, int64_t user, int64_t now,
                         const ServiceDeps& deps, const RequestContext& ctx) {
  // A decrement stops at 0 (a drifted counter is repaired by recount, not turned into a CHECK failure).
  const std::string col(column);
  const std::string moved =
      delta >= 0 ? absl::StrCat(col, " + ", delta)
                 : absl::StrCat("CASE WHEN ", col, " > ", -delta, " THEN ", col, " - ", -delta, " ELSE 0 END");
  const std::string sql = absl::StrCat("UPDATE user_profiles SET ", col, " = ", moved,
                                       ", updated_at = ? WHERE user_id = ?");
  DAIRA_RETURN_IF_ERROR(c.Execute(sql, {now, user}).status());
  internal::InvalidateProfilesAfterCommit(deps, ctx, {user});  // the cached profile shows this counter
  return absl::OkStatus();
}

absl::Status AuthorNotFound(std::string_view op, int64_t author) {
  return absl::NotFoundError(absl::StrCat(ToAbsl(op), ": author_id not found (got ", author, ")"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------- posts

absl::StatusOr<model::Post> Content::CreatePost(const RequestContext& ctx, const CreatePostRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_RETURN_IF_ERROR(
      ratelimit::Enforce(deps_.rate_limiter, "post.create", absl::StrCat(request.author_id)));
  const internal::TextEntities entities = internal::ExtractEntities(request.content);
  DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
  model::Post post;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(std::vector<UserId> mentions, ResolveMentions(c, entities.mentions));
    const std::string sql = absl::StrCat(
        "INSERT INTO posts (id, author_id, content, media_urls, hashtags, mentions, visibility, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
        kPostColumns);
    absl::StatusOr<store::ResultSet> rs =
        c.Execute(sql, {id, request.author_id, request.content, store::Value(request.media_urls),
                        store::Value(entities.hashtags), store::Value(RawIds(mentions)), request.visibility, now, now});
    if (rs.status().code() == absl::StatusCode::kFailedPrecondition) return AuthorNotFound("create_post", request.author_id);
    if (!rs.ok()) return rs.status();
    DAIRA_ASSIGN_OR_RETURN(post, PostFromRow(rs->front()));
    DAIRA_RETURN_IF_ERROR(LinkHashtags(c, deps_.ids_or_default(), id, entities.hashtags, now));
    internal::FanOutAfterCommit(deps_, ctx, request.author_id, id);  // the followers' cached feeds
    return BumpProfile(c, "posts_count", +1, request.author_id, now, deps_, ctx);
  }));
  return post;
}

absl::StatusOr<model::Post> Content::EditPost(const RequestContext& ctx, const EditPostRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  std::optional<internal::TextEntities> entities;
  if (request.content.has_value()) entities = internal::ExtractEntities(*request.content);
  model::Post post;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    const std::string lock = absl::StrCat("SELECT author_id, status, hashtags FROM posts WHERE id = ?", ToAbsl(ForUpdate(c)));
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet cur, c.Execute(lock, {request.post_id}));
    if (cur.empty() || cur.front().Text("status") == "DELETED") {
      return absl::NotFoundError(absl::StrCat("edit_post: post_id not found (got ", request.post_id, ")"));
    }
    if (cur.front().Int64("author_id") != request.editor_id) {
      return absl::PermissionDeniedError(absl::StrCat("edit_post: editor_id is not the author of post ",
                                                      request.post_id, " (got ", request.editor_id, ")"));
    }
    std::string sets = "updated_at = ?";
    std::vector<store::Value> params = {now};
    if (entities.has_value()) {
      DAIRA_ASSIGN_OR_RETURN(std::vector<UserId> mentions, ResolveMentions(c, entities->mentions));
      const std::vector<std::string> old_tags = cur.front().TextArray("hashtags");
      DAIRA_RETURN_IF_ERROR(UnlinkHashtags(c, request.post_id, Minus(old_tags, entities->hashtags), now));
      DAIRA_RETURN_IF_ERROR(
          LinkHashtags(c, deps_.ids_or_default(), request.post_id, Minus(entities->hashtags, old_tags), now));
      sets += ", content = ?, hashtags = ?, mentions = ?";
      params.insert(params.end(),
                    {*request.content, store::Value(entities->hashtags), store::Value(RawIds(mentions))});
    }
    if (request.media_urls.has_value()) {
      sets += ", media_urls = ?";
      params.emplace_back(*request.media_urls);
    }
    if (request.visibility.has_value()) {
      sets += ", visibility = ?";
      params.emplace_back(*request.visibility);
    }
    params.emplace_back(request.post_id);
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                           c.Execute(absl::StrCat("UPDATE posts SET ", sets, " WHERE id = ? RETURNING ", kPostColumns),
                                     params));
    DAIRA_ASSIGN_OR_RETURN(post, PostFromRow(rs.front()));
    return absl::OkStatus();
  }));
  return post;
}

absl::Status Content::DeletePost(const RequestContext& ctx, UserId actor, PostId post) {
  if (!actor.valid()) return InvalidField("delete_post", "actor", absl::StrCat("must be > 0 (got ", actor.value, ")"));
  if (!post.valid()) return InvalidField("delete_post", "post_id", absl::StrCat("must be > 0 (got ", post.value, ")"));
  return deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    // Compare-and-set on status: of two concurrent deletes exactly one sees a row come back.
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        c.Execute("UPDATE posts SET status = 'DELETED', deleted_at = ?, updated_at = ? "
                  "WHERE id = ? AND author_id = ? AND status <> 'DELETED' RETURNING hashtags",
                  {now, now, post.value, actor.value}));
    if (rs.empty()) {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet cur, c.Execute("SELECT author_id, status FROM posts WHERE id = ?", {post.value}));
      if (cur.empty()) return absl::NotFoundError(absl::StrCat("delete_post: post_id not found (got ", post.value, ")"));
      if (cur.front().Int64("author_id") != actor.value) {
        return absl::PermissionDeniedError(absl::StrCat("delete_post: actor is not the author of post ", post.value,
                                                        " (got ", actor.value, ")"));
      }
      return absl::OkStatus();  // already deleted
    }
    DAIRA_RETURN_IF_ERROR(UnlinkHashtags(c, post.value, rs.front().TextArray("hashtags"), now));
    return BumpProfile(c, "posts_count", -1, actor.value, now, deps_, ctx);
  });
}

absl::StatusOr<model::Post> Content::GetPost(const RequestContext& ctx, PostId post) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         deps_.db->Read(ctx, absl::StrCat("SELECT ", kPostColumns, " FROM posts WHERE id = ?"), {post.value}));
  if (rs.empty()) return absl::NotFoundError(absl::StrCat("get_post: post_id not found (got ", post.value, ")"));
  return PostFromRow(rs.front());
}

// --------------------------------------------------------------------------------------------- videos

absl::StatusOr<model::Video> Content::CreateVideo(const RequestContext& ctx, const CreateVideoRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
  return InsertVideo(ctx, request, id);
}

absl::StatusOr<model::Video> Content::InsertVideo(const RequestContext& ctx,
                                                  const CreateVideoRequest& request, int64_t id) {
  const std::vector<std::string> tags =
      internal::ExtractEntities(absl::StrCat(ToAbsl(request.title), "\n", ToAbsl(request.description)))
          .hashtags;
  const int64_t now = deps_.NowMicros();
  store::Value thumbnail = request.thumbnail_url.has_value() ? store::Value(*request.thumbnail_url) : store::Value();
  absl::StatusOr<store::ResultSet> rs = deps_.db->Execute(
      ctx,
      absl::StrCat("INSERT INTO videos (id, author_id, title, description, hashtags, thumbnail_url, duration_ms, "
                   "resolution, status, visibility, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'UPLOADING', ?, ?, ?) RETURNING ",
                   kVideoColumns),
      {id, request.author_id, request.title, request.description, store::Value(tags), thumbnail, request.duration_ms,
       request.resolution, request.visibility, now, now});
  if (rs.status().code() == absl::StatusCode::kFailedPrecondition) return AuthorNotFound("create_video", request.author_id);
  if (!rs.ok()) return rs.status();
  return VideoFromRow(rs->front());
}

absl::StatusOr<model::Video> Content::TransitionVideo(const RequestContext& ctx, VideoId video, model::VideoStatus to) {
  return TransitionVideo(ctx, UpdateVideoStatusRequest{.video_id = video.value, .status = std::string(model::ToString(to))});
}

absl::StatusOr<model::Video> Content::TransitionVideo(const RequestContext& ctx,
                                                      const UpdateVideoStatusRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  model::VideoStatus to = model::VideoStatus::kUploading;
  model::Parse(request.status, &to);
  model::Video out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet cur,
                           c.Execute(absl::StrCat("SELECT status FROM videos WHERE id = ?", ToAbsl(ForUpdate(c))),
                                     {request.video_id}));
    if (cur.empty()) {
      return absl::NotFoundError(absl::StrCat("update_video_status: video_id not found (got ", request.video_id, ")"));
    }
    const std::string from_text = cur.front().Text("status");
    model::VideoStatus from = model::VideoStatus::kUploading;
    model::Parse(from_text, &from);
    if (!model::CanTransition(from, to)) {
      return absl::FailedPreconditionError(
          absl::StrCat("video: cannot go from ", from_text, " to ", ToAbsl(request.status)));
    }
    std::string sets = "status = ?, updated_at = ?";
    std::vector<store::Value> params = {request.status, now};
    if (request.hls_url.has_value()) {
      sets += ", hls_url = ?";
      params.emplace_back(*request.hls_url);
    }
    if (to == model::VideoStatus::kFailed) {
      sets += ", error = ?";
      params.push_back(request.error.has_value() ? store::Value(*request.error) : store::Value());
    }
    if (to == model::VideoStatus::kPublished) {
      sets += ", published_at = ?";
      params.emplace_back(now);
    }
    params.insert(params.end(), {request.video_id, from_text});
    // The status guard makes the move a compare-and-set even without a row lock (SQLite).
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        c.Execute(absl::StrCat("UPDATE videos SET ", sets, " WHERE id = ? AND status = ? RETURNING ", kVideoColumns),
                  params));
    if (rs.empty()) return absl::AbortedError("update_video_status: status changed concurrently; retry");
    DAIRA_ASSIGN_OR_RETURN(out, VideoFromRow(rs.front()));
    if (to == model::VideoStatus::kPublished) {
      DAIRA_RETURN_IF_ERROR(BumpProfile(c, "videos_count", +1, out.author_id.value, now, deps_, ctx));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<model::Video> Content::GetVideo(const RequestContext& ctx, VideoId video) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, deps_.db->Read(ctx, absl::StrCat("SELECT ", kVideoColumns,
                                                                               " FROM videos WHERE id = ?"),
                                                            {video.value}));
  if (rs.empty()) return absl::NotFoundError(absl::StrCat("get_video: video_id not found (got ", video.value, ")"));
  return VideoFromRow(rs.front());
}

}  // namespace daira::inline v0::services
