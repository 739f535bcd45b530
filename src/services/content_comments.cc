// Content service: threaded comments.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/services/content.h"
#include "query/keyset_shapes.h"
#include "services/content_internal.h"
#include "services/text_entities.h"

namespace daira::inline v0::services {
namespace {

using internal::CommentFromRow;
using internal::kCommentColumns;

struct TargetSql {
  std::string_view table;   // posts | videos
  std::string_view column;  // comments.post_id | comments.video_id
  std::string_view alive;   // predicate on the target row: comments allowed
  std::string_view field;   // request field naming it
};

TargetSql SqlFor(model::CommentTargetType t) {
  if (t == model::CommentTargetType::kPost) return {"posts", "post_id", "status = 'ACTIVE'", "post_id"};
  // A video hidden by moderation takes no comments, as a HIDDEN post takes none.
  return {"videos", "video_id", "deleted_at IS NULL AND hidden_at IS NULL", "video_id"};
}

}  // namespace

absl::StatusOr<model::Comment> Content::CreateComment(const RequestContext& ctx, const CreateCommentRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const model::CommentTarget target = request.post_id.has_value()
                                          ? model::CommentTarget{model::CommentTargetType::kPost, *request.post_id}
                                          : model::CommentTarget{model::CommentTargetType::kVideo, *request.video_id};
  const TargetSql t = SqlFor(target.type);
  const std::vector<std::string> names = internal::ExtractEntities(request.content).mentions;
  DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
  model::Comment out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    // Target first (then the parent): the same lock order as every other comment write.
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet bumped,
        c.Execute(absl::StrCat("UPDATE ", ToAbsl(t.table), " SET comments_count = comments_count + 1 WHERE id = ? AND ",
                               ToAbsl(t.alive)),
                  {target.id}));
    if (bumped.rows_affected() == 0) {
      return absl::NotFoundError(absl::StrCat("create_comment: ", ToAbsl(t.field), " not found (got ", target.id, ")"));
    }
    if (request.parent_id.has_value()) {
      DAIRA_ASSIGN_OR_RETURN(
          store::ResultSet parent,
          c.Execute(absl::StrCat("UPDATE comments SET replies_count = replies_count + 1, updated_at = ? "
                                 "WHERE id = ? AND status = 'ACTIVE' AND ",
                                 ToAbsl(t.column), " = ?"),
                    {now, *request.parent_id, target.id}));
      if (parent.rows_affected() == 0) {
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet cur, c.Execute("SELECT status FROM comments WHERE id = ?",
                                                               {*request.parent_id}));
        if (cur.empty() || cur.front().Text("status") != "ACTIVE") {
          return absl::NotFoundError(absl::StrCat("create_comment: parent_id not found (got ", *request.parent_id, ")"));
        }
        return InvalidField("create_comment", "parent_id",
                            absl::StrCat("belongs to another post or video (got ", *request.parent_id, ")"));
      }
    }
    DAIRA_ASSIGN_OR_RETURN(std::vector<UserId> mentions, internal::ResolveMentions(c, names));
    store::Value parent_value = request.parent_id.has_value() ? store::Value(*request.parent_id) : store::Value();
    absl::StatusOr<store::ResultSet> rs = c.Execute(
        absl::StrCat("INSERT INTO comments (id, ", ToAbsl(t.column),
                     ", parent_id, author_id, content, mentions, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                     kCommentColumns),
        {id, target.id, parent_value, request.author_id, request.content, store::Value(internal::RawIds(mentions)), now,
         now});
    if (rs.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::NotFoundError(absl::StrCat("create_comment: author_id not found (got ", request.author_id, ")"));
    }
    if (!rs.ok()) return rs.status();
    DAIRA_ASSIGN_OR_RETURN(out, CommentFromRow(rs->front()));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<query::Page<model::Comment>> Content::ListThread(const RequestContext& ctx, model::CommentTarget target,
                                                                std::optional<CommentId> parent,
                                                                const PageRequest& page) {
  DAIRA_RETURN_IF_ERROR(page.Validate());
  const TargetSql t = SqlFor(target.type);
  query::KeysetQuery q{
      .scope = absl::StrCat("thread:", ToAbsl(model::ToString(target.type)), ":", target.id, ":",
                            parent.has_value() ? absl::StrCat(parent->value) : std::string("root")),
      .select = {},
      .keys = {}};
  if (parent.has_value()) {
    q.params = {parent->value, target.id};
  } else {
    q.params = {target.id};
  }
  // One shape per target column and with or without a parent.
  static auto* shapes = new query::KeysetShapes();
  const uint64_t variant = static_cast<uint64_t>(target.type) * 2 + (parent.has_value() ? 1 : 0);
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(variant, q.params.size(), [&] {
    return query::KeysetQuery{
        .scope = {},
        .select = absl::StrCat("SELECT ", kCommentColumns, " FROM comments"),
        .where = parent.has_value()
                     ? absl::StrCat("parent_id = ? AND ", ToAbsl(t.column), " = ? AND status = 'ACTIVE'")
                     : absl::StrCat(ToAbsl(t.column), " = ? AND parent_id IS NULL AND status = 'ACTIVE'"),
        .keys = {{"id"}},
        .order = query::SortOrder::kAscending};
  }));
  DAIRA_ASSIGN_OR_RETURN(query::Page<model::Comment> out,
                         query::FetchPage(*deps_.db, ctx, q,
                                          query::PageRequest{.limit = static_cast<int>(page.limit), .cursor = page.cursor},
                                          internal::CommentReader(), {.codec = deps_.cursors}));
  DAIRA_RETURN_IF_ERROR(internal::HydrateAuthors(*deps_.db, ctx, out.items));
  return out;
}

absl::Status Content::DeleteComment(const RequestContext& ctx, UserId actor, CommentId comment) {
  if (!actor.valid()) return InvalidField("delete_comment", "actor", absl::StrCat("must be > 0 (got ", actor.value, ")"));
  if (!comment.valid()) {
    return InvalidField("delete_comment", "comment_id", absl::StrCat("must be > 0 (got ", comment.value, ")"));
  }
  return deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                           c.Execute("UPDATE comments SET status = 'DELETED', deleted_at = ?, updated_at = ? "
                                     "WHERE id = ? AND author_id = ? AND status <> 'DELETED' "
                                     "RETURNING post_id, video_id, parent_id",
                                     {now, now, comment.value, actor.value}));
    if (rs.empty()) {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet cur,
                             c.Execute("SELECT author_id FROM comments WHERE id = ?", {comment.value}));
      if (cur.empty()) {
        return absl::NotFoundError(absl::StrCat("delete_comment: comment_id not found (got ", comment.value, ")"));
      }
      if (cur.front().Int64("author_id") != actor.value) {
        return absl::PermissionDeniedError(absl::StrCat("delete_comment: actor is not the author of comment ",
                                                        comment.value, " (got ", actor.value, ")"));
      }
      return absl::OkStatus();  // already deleted
    }
    const store::Row row = rs.front();
    const bool on_post = !row.IsNull("post_id");
    const std::string dec = absl::StrCat("UPDATE ", on_post ? "posts" : "videos",
                                         " SET comments_count = comments_count - 1 WHERE id = ? AND comments_count > 0");
    DAIRA_RETURN_IF_ERROR(c.Execute(dec, {on_post ? row.Int64("post_id") : row.Int64("video_id")}).status());
    if (!row.IsNull("parent_id")) {
      DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE comments SET replies_count = replies_count - 1, updated_at = ? "
                                      "WHERE id = ? AND replies_count > 0",
                                      {now, row.Int64("parent_id")})
                                .status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<model::Comment> Content::GetComment(const RequestContext& ctx, CommentId comment) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         deps_.db->Read(ctx, absl::StrCat("SELECT ", kCommentColumns, " FROM comments WHERE id = ?"),
                                        {comment.value}));
  if (rs.empty()) return absl::NotFoundError(absl::StrCat("get_comment: comment_id not found (got ", comment.value, ")"));
  return CommentFromRow(rs.front());
}

}  // namespace daira::inline v0::services
