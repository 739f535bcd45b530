// Content service: reactions (likes table) with exact counters.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/services/content.h"
#include "services/content_internal.h"
#include "services/profile_cache.h"

namespace daira::inline v0::services {
namespace {

struct ReactionSql {
  std::string_view table;   // posts | videos | comments
  std::string_view column;  // likes.post_id | video_id | comment_id
  std::string_view alive;   // the target accepts reactions
};

ReactionSql SqlFor(model::ReactionTargetType t) {
  switch (t) {
    case model::ReactionTargetType::kPost:
      return {"posts", "post_id", "status <> 'DELETED'"};
    case model::ReactionTargetType::kVideo:
      return {"videos", "video_id", "deleted_at IS NULL"};
    case model::ReactionTargetType::kComment:
      return {"comments", "comment_id", "status <> 'DELETED'"};
  }
  return {"posts", "post_id", "status <> 'DELETED'"};
}

// `column` moved by one; a decrement stops at 0 (a counter that drifted low is repaired by recount,
// never turned into a CHECK failure of the user's Unreact), as Social does for follower counts.
std::string Moved(std::string_view column, int delta) {
  if (delta > 0) return absl::StrCat(ToAbsl(column), " + 1");
  return absl::StrCat("CASE WHEN ", ToAbsl(column), " > 0 THEN ", ToAbsl(column), " - 1 ELSE 0 END");
}

absl::Status MoveCounters(store::Connection& c, const ReactionSql& t, int64_t target_id, int64_t author_id,
                          int delta, int64_t now, const ServiceDeps& deps, const RequestContext& ctx) {
  DAIRA_RETURN_IF_ERROR(c.Execute(absl::StrCat("UPDATE ", ToAbsl(t.table), " SET likes_count = ",
                                               Moved("likes_count", delta), " WHERE id = ?"),
                                  {target_id})
                            .status());
  DAIRA_RETURN_IF_ERROR(
      c.Execute(absl::StrCat("UPDATE user_profiles SET likes_received_count = ", Moved("likes_received_count", delta),
                             ", updated_at = ? WHERE user_id = ?"),
                {now, author_id})
          .status());
  internal::InvalidateProfilesAfterCommit(deps, ctx, {author_id});  // the cached profile shows this counter
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<model::ReactOutcome> Content::React(const RequestContext& ctx, const ReactRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  model::ReactionTargetType type = model::ReactionTargetType::kPost;
  model::Parse(request.target_type, &type);
  model::ReactOutcome out;
  model::Parse(request.reaction, &out.reaction);
  const ReactionSql t = SqlFor(type);
  DAIRA_ASSIGN_OR_RETURN(const int64_t like_id, deps_.NextId());
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    out.created = out.changed = false;
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet target,
                           c.Execute(absl::StrCat("SELECT author_id FROM ", ToAbsl(t.table), " WHERE id = ? AND ",
                                                  ToAbsl(t.alive)),
                                     {request.target_id}));
    if (target.empty()) {
      return absl::NotFoundError(absl::StrCat("react: target_id not found (got ", ToAbsl(request.target_type), " ",
                                              request.target_id, ")"));
    }
    const int64_t author_id = target.front().Int64("author_id");
    // Insert-or-nothing: of concurrent first reactions by one user exactly one inserts (and counts).
    absl::StatusOr<store::ResultSet> ins = c.Execute(
        absl::StrCat("INSERT INTO likes (id, user_id, ", ToAbsl(t.column), ", reaction, created_at) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (user_id, ", ToAbsl(t.column), ") WHERE ", ToAbsl(t.column), " IS NOT NULL DO NOTHING"),
        {like_id, request.user_id, request.target_id, request.reaction, now});
    if (ins.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::NotFoundError(absl::StrCat("react: user_id not found (got ", request.user_id, ")"));
    }
    if (!ins.ok()) return ins.status();
    if (ins->rows_affected() == 1) {
      out.created = true;
      return MoveCounters(c, t, request.target_id, author_id, +1, now, deps_, ctx);
    }
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet upd,
                           c.Execute(absl::StrCat("UPDATE likes SET reaction = ? WHERE user_id = ? AND ",
                                                  ToAbsl(t.column), " = ? AND reaction <> ?"),
                                     {request.reaction, request.user_id, request.target_id, request.reaction}));
    out.changed = upd.rows_affected() == 1;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<bool> Content::Unreact(const RequestContext& ctx, UserId user, model::ReactionTarget target) {
  if (!user.valid()) return InvalidField("unreact", "user_id", absl::StrCat("must be > 0 (got ", user.value, ")"));
  if (target.id <= 0) return InvalidField("unreact", "target_id", absl::StrCat("must be > 0 (got ", target.id, ")"));
  const ReactionSql t = SqlFor(target.type);
  bool removed = false;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    removed = false;
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet del,
                           c.Execute(absl::StrCat("DELETE FROM likes WHERE user_id = ? AND ", ToAbsl(t.column),
                                                  " = ? RETURNING id"),
                                     {user.value, target.id}));
    if (del.empty()) return absl::OkStatus();
    removed = true;
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet owner,
                           c.Execute(absl::StrCat("SELECT author_id FROM ", ToAbsl(t.table), " WHERE id = ?"),
                                     {target.id}));
    if (owner.empty()) return absl::OkStatus();  // the like went with its target (cascade)
    return MoveCounters(c, t, target.id, owner.front().Int64("author_id"), -1, now, deps_, ctx);
  }));
  return removed;
}

absl::StatusOr<model::ReactionSummary> Content::ReactionsSummary(const RequestContext& ctx,
                                                                 model::ReactionTarget target) {
  const ReactionSql t = SqlFor(target.type);
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         deps_.db->Read(ctx,
                                        absl::StrCat("SELECT reaction, COUNT(*) AS n FROM likes WHERE ",
                                                     ToAbsl(t.column), " = ? GROUP BY reaction"),
                                        {target.id}));
  model::ReactionSummary out;
  out.target = target;
  for (const store::Row& row : rs) {
    model::Reaction r;
    if (!model::Parse(row.Text("reaction"), &r)) continue;
    out.counts[static_cast<size_t>(r)] = row.Int64("n");
    out.total += row.Int64("n");
  }
  return out;
}

}  // namespace daira::inline v0::services
