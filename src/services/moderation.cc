#include "daira/services/moderation.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/services/audit_log.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "query/keyset_shapes.h"
#include "services/profile_cache.h"

namespace daira::inline v0::services {
namespace {

absl::Status NamingField(absl::Status s, std::string_view field) {
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

// The table holding a reportable piece of content ("" for USER / unknown).
std::string_view ContentTable(model::ReportContentType t) {
  switch (t) {
    case model::ReportContentType::kPost:
      return "posts";
    case model::ReportContentType::kVideo:
      return "videos";
    case model::ReportContentType::kComment:
      return "comments";
    default:
      return "";
  }
}
// Posts and comments are hidden through their status (ACTIVE <-> HIDDEN); videos through hidden_at
// (migration 020), because their status is the upload pipeline and must survive a restore.
bool Hideable(model::ReportContentType t) {
  return t == model::ReportContentType::kPost || t == model::ReportContentType::kComment ||
         t == model::ReportContentType::kVideo;
}
// How the audit row spells the visible state ("content_status":[visible, "HIDDEN"]).
std::string_view VisibleState(model::ReportContentType t) {
  return t == model::ReportContentType::kVideo ? "VISIBLE" : "ACTIVE";
}

// The user responsible for the target: the reported user, or the content's author. nullopt when the
// content is gone.
absl::StatusOr<std::optional<int64_t>> ResponsibleUser(store::Connection& c, model::ReportContentType type,
                                                       int64_t content_id) {
  if (type == model::ReportContentType::kUser) {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute("SELECT id FROM users WHERE id = ?", {content_id}));
    if (rs.empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(rs.front().Int64(0));
  }
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      c.Execute(absl::StrCat("SELECT author_id FROM ", ToAbsl(ContentTable(type)), " WHERE id = ?"),
                {content_id}));
  if (rs.empty() || rs.front().IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(rs.front().Int64(0));
}

// Hides (`hide`) or restores a post, comment or video; true when a row changed. Posts and comments
// move between ACTIVE and HIDDEN (a DELETED one is left alone); a video gets or loses hidden_at (a
// deleted one is left alone), whatever its pipeline status.
absl::StatusOr<bool> SetContentHidden(store::Connection& c, model::ReportContentType type, int64_t id,
                                      bool hide, int64_t now) {
  if (!Hideable(type)) return false;
  if (type == model::ReportContentType::kVideo) {
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        hide ? c.Execute("UPDATE videos SET hidden_at = ?, updated_at = ? "
                         "WHERE id = ? AND hidden_at IS NULL AND deleted_at IS NULL RETURNING id",
                         {now, now, id})
             : c.Execute("UPDATE videos SET hidden_at = NULL, updated_at = ? "
                         "WHERE id = ? AND hidden_at IS NOT NULL AND deleted_at IS NULL RETURNING id",
                         {now, id}));
    return !rs.empty();
  }
  const std::string from = hide ? "ACTIVE" : "HIDDEN";
  const std::string to = hide ? "HIDDEN" : "ACTIVE";
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      c.Execute(absl::StrCat("UPDATE ", ToAbsl(ContentTable(type)),
                             " SET status = ?, updated_at = ? WHERE id = ? AND status = ? RETURNING id"),
                {to, now, id, from}));
  return !rs.empty();
}

std::string_view SeverityRankSql() {
  return "CASE severity WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END";
}

}  // namespace

absl::Status ModerationOptions::Validate() const {
  if (auto_hide_threshold < 0) {
    return InvalidField("moderation options", "auto_hide_threshold",
                        absl::StrCat("must be >= 0 (got ", auto_hide_threshold, ")"));
  }
  return absl::OkStatus();
}

Moderation::Moderation(const ServiceDeps& deps, const ModerationOptions& options,
                       Notifications* notifications)
    : deps_(deps), options_(options), options_status_(options.Validate()), notifications_(notifications) {}

absl::StatusOr<model::ContentReport> Moderation::Report(const RequestContext& ctx,
                                                        const ReportRequest& request) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_ASSIGN_OR_RETURN(model::ReportContentType type, model::ParseReportContentType(request.content_type));
  DAIRA_ASSIGN_OR_RETURN(model::ReportSeverity severity, model::ParseReportSeverity(request.severity));
  ReportRepository reports(deps_);
  AuditLog audit(deps_);
  std::optional<model::ContentReport> out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet reporter,
                           c.Execute("SELECT 1 FROM users WHERE id = ?", {request.reporter_id}));
    if (reporter.empty()) {
      return NamingField(
          absl::NotFoundError(absl::StrCat("report: reporter_id ", request.reporter_id, " not found")),
          "reporter_id");
    }
    DAIRA_ASSIGN_OR_RETURN(std::optional<int64_t> owner, ResponsibleUser(c, type, request.content_id));
    if (!owner.has_value()) {
      return NamingField(absl::NotFoundError(absl::StrCat("report: content_id ", request.content_id, " (",
                                                          ToAbsl(request.content_type), ") not found")),
                         "content_id");
    }
    DAIRA_ASSIGN_OR_RETURN(out, reports.Create(ctx, {.reporter_id = UserId{request.reporter_id},
                                                     .content_type = type,
                                                     .content_id = request.content_id,
                                                     .reason = request.reason,
                                                     .description = request.description,
                                                     .severity = severity,
                                                     .evidence = request.evidence}));
    if (options_.auto_hide_threshold == 0 || !Hideable(type)) return absl::OkStatus();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet n,
                           c.Execute("SELECT count(DISTINCT reporter_id) FROM content_reports WHERE "
                                     "content_type = ? AND content_id = ? "
                                     "AND status IN ('PENDING', 'REVIEWING')",
                                     {std::string(model::ToString(type)), request.content_id}));
    if (n.front().Int64(0) < options_.auto_hide_threshold) return absl::OkStatus();
    DAIRA_ASSIGN_OR_RETURN(bool hidden,
                           SetContentHidden(c, type, request.content_id, /*hide=*/true, deps_.NowMicros()));
    if (!hidden) return absl::OkStatus();
    return audit
        .Append(ctx,
                {.action = "content.auto_hide",
                 .resource_type = std::string(model::ToString(type)),
                 .resource_id = request.content_id,
                 .changes = absl::StrCat(R"({"status":[")", ToAbsl(VisibleState(type)),
                                         R"(","HIDDEN"],"distinct_reporters":)", n.front().Int64(0), "}"),
                 .reason = absl::StrCat("reports from ", n.front().Int64(0),
                                        " distinct reporters reached the threshold ",
                                        options_.auto_hide_threshold)})
        .status();
  }));
  return *std::move(out);
}

absl::StatusOr<query::Page<model::ContentReport>> Moderation::Queue(const RequestContext& ctx,
                                                                    const query::PageRequest& page) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  query::KeysetQuery q{.scope = "moderation:queue", .select = {}, .keys = {}};
  static auto* shapes = new query::KeysetShapes();
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(0, 0, [] {
    return query::KeysetQuery{
        .scope = {},
        .select = absl::StrCat("SELECT id, ", ToAbsl(SeverityRankSql()), " AS severity_rank FROM content_reports"),
        .where = "status IN ('PENDING', 'REVIEWING')",
        .keys = {{.column = std::string(SeverityRankSql()), .result_column = "severity_rank"}, {.column = "id"}},
        .order = query::SortOrder::kAscending};
  }));
  const query::CursorCodec codec = deps_.cursor_codec();
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kRead,
      [&](store::Connection& c) -> absl::StatusOr<query::Page<model::ContentReport>> {
        DAIRA_ASSIGN_OR_RETURN(query::RowPage raw, query::FetchRowPage(c, q, page, {.codec = &codec}));
        std::vector<ReportId> ids;
        for (size_t i : raw.order) ids.push_back(ReportId{raw.rows.row(i).Int64("id")});
        ReportRepository reports(deps_);
        DAIRA_ASSIGN_OR_RETURN(ReportBatch batch, reports.GetMany(ctx, ids));
        query::Page<model::ContentReport> out;
        out.items = std::move(batch.reports);
        out.next_cursor = std::move(raw.next_cursor);
        out.prev_cursor = std::move(raw.prev_cursor);
        out.has_more = raw.has_more;
        return out;
      });
}

absl::StatusOr<ModerationDecisionResult> Moderation::Decide(const RequestContext& ctx,
                                                            const ReviewReportRequest& request) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  DAIRA_RETURN_IF_ERROR(request.Validate());
  DAIRA_ASSIGN_OR_RETURN(model::ModerationDecision decision,
                         model::ParseModerationDecision(request.decision));
  constexpr std::string_view kOp = "decide";
  ReportRepository reports(deps_);
  ModerationReviewRepository reviews(deps_);
  AuditLog audit(deps_);
  ModerationDecisionResult out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    out = ModerationDecisionResult{};
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet reviewer,
                           c.Execute("SELECT 1 FROM users WHERE id = ?", {request.reviewer_id}));
    if (reviewer.empty()) {
      return NamingField(
          absl::NotFoundError(absl::StrCat(ToAbsl(kOp), ": reviewer_id ", request.reviewer_id, " not found")),
          "reviewer_id");
    }
    absl::StatusOr<model::ContentReport> report = reports.Get(ctx, ReportId{request.report_id});
    if (!report.ok()) {
      return report.status().code() == absl::StatusCode::kNotFound ? NamingField(report.status(), "report_id")
                                                                   : report.status();
    }
    const model::ReportContentType type = *report->content_type;
    const int64_t target = *report->content_id;
    DAIRA_ASSIGN_OR_RETURN(std::optional<int64_t> responsible, ResponsibleUser(c, type, target));
    if (responsible == request.reviewer_id) {
      return absl::PermissionDeniedError(absl::StrCat(ToAbsl(kOp), ": reviewer_id ", request.reviewer_id,
                                                      " may not review report ", request.report_id,
                                                      ", which is about themselves"));
    }
    // Claim the report: only one decision ever succeeds (a concurrent second one waits for this row
    // lock, then finds the report decided).
    const model::ReportStatus final_status = decision == model::ModerationDecision::kRejected
                                                 ? model::ReportStatus::kDismissed
                                                 : model::ReportStatus::kResolved;
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet claimed,
        c.Execute("UPDATE content_reports SET status = ?, resolved_at = ?, updated_at = ? "
                  "WHERE id = ? AND status IN ('PENDING', 'REVIEWING') RETURNING id",
                  {std::string(model::ToString(final_status)), now, now, request.report_id}));
    if (claimed.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(ToAbsl(kOp), ": report ", request.report_id, " is already decided"));
    }
    // The effect.
    std::vector<std::string> actions;
    std::string changes = "{";
    auto add_change = [&](std::string_view json) {
      if (changes.size() > 1) changes += ",";
      changes += std::string(json);
    };
    if (decision == model::ModerationDecision::kRejected) {
      // Restore what the auto-hide threshold hid — unless other reports of it are still open.
      DAIRA_ASSIGN_OR_RETURN(
          store::ResultSet open,
          c.Execute("SELECT count(DISTINCT reporter_id) FROM content_reports WHERE content_type = ? "
                    "AND content_id = ? AND status IN ('PENDING', 'REVIEWING')",
                    {std::string(model::ToString(type)), target}));
      const bool others_over =
          options_.auto_hide_threshold > 0 && open.front().Int64(0) >= options_.auto_hide_threshold;
      if (!others_over) {
        DAIRA_ASSIGN_OR_RETURN(out.content_changed, SetContentHidden(c, type, target, /*hide=*/false, now));
        if (out.content_changed) {
          actions.push_back("content restored");
          add_change(absl::StrCat(R"("content_status":["HIDDEN",")", ToAbsl(VisibleState(type)), R"("])"));
        }
      }
    } else {
      DAIRA_ASSIGN_OR_RETURN(out.content_changed, SetContentHidden(c, type, target, /*hide=*/true, now));
      if (out.content_changed) {  // (already HIDDEN by the auto-hide threshold: it stays hidden)
        actions.push_back("content removed");
        add_change(absl::StrCat(R"("content_status":[")", ToAbsl(VisibleState(type)), R"(","HIDDEN"])"));
      }
    }
    if (decision == model::ModerationDecision::kWarn || decision == model::ModerationDecision::kSuspend ||
        decision == model::ModerationDecision::kBan) {
      if (!responsible.has_value()) {
        return absl::FailedPreconditionError(absl::StrCat(ToAbsl(kOp), ": report ", request.report_id,
                                                          " has no responsible user (the target is gone)"));
      }
      if (decision == model::ModerationDecision::kWarn) {
        actions.push_back(absl::StrCat("user ", *responsible, " warned"));
        add_change(absl::StrCat(R"("warned_user":)", *responsible));
      } else {
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet before,
                               c.Execute("SELECT status FROM users WHERE id = ?", {*responsible}));
        const std::string old_status = before.empty() ? std::string("?") : before.front().Text(0);
        // Never a step down: a SUSPEND leaves a BANNED account banned; a DELETED account stays deleted.
        std::string status = decision == model::ModerationDecision::kBan ? "BANNED" : "SUSPENDED";
        if (old_status == "DELETED" || (old_status == "BANNED" && status == "SUSPENDED")) status = old_status;
        DAIRA_RETURN_IF_ERROR(
            c.Execute("UPDATE users SET status = ?, updated_at = ? WHERE id = ?", {status, now, *responsible})
                .status());
        internal::InvalidateProfilesAfterCommit(deps_, ctx, {*responsible});
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet revoked,
                               c.Execute("UPDATE user_sessions SET revoked_at = ?, updated_at = ? WHERE "
                                         "user_id = ? AND revoked_at IS NULL "
                                         "RETURNING id",
                                         {now, now, *responsible}));
        std::vector<int64_t> session_ids;
        for (size_t i = 0; i < revoked.size(); ++i) session_ids.push_back(revoked.row(i).Int64(0));
        internal::InvalidateSessionsAfterCommit(deps_, ctx, session_ids);
        out.sessions_revoked = static_cast<int64_t>(session_ids.size());
        actions.push_back(absl::StrCat("user ", *responsible, " ",
                                       decision == model::ModerationDecision::kBan ? "banned" : "suspended",
                                       ", ", session_ids.size(), " sessions revoked"));
        add_change(absl::StrCat(R"("user":)", *responsible, R"(,"user_status":[")", old_status, R"(",")",
                                status, R"("],"sessions_revoked":)", session_ids.size()));
      }
    }
    // The user it is about hears of a WARN, SUSPEND or BAN: a MODERATION notification written in this
    // transaction (pushed on "user:{id}" after commit; a rollback sends nothing).
    if (notifications_ != nullptr && responsible.has_value() &&
        (decision == model::ModerationDecision::kWarn || decision == model::ModerationDecision::kSuspend ||
         decision == model::ModerationDecision::kBan)) {
      std::string payload = absl::StrCat(R"({"decision":")", ToAbsl(model::ToString(decision)),
                                         R"(","report_id":)", request.report_id, R"(,"report_reason":)");
      AppendJsonString(payload, report->reason.value_or(""));
      payload += R"(,"content_removed":)";
      payload += out.content_changed ? "true" : "false";
      if (request.reason.has_value()) {
        payload += R"(,"reason":)";
        AppendJsonString(payload, *request.reason);
      }
      payload += "}";
      DAIRA_ASSIGN_OR_RETURN(out.notification,
                             notifications_->Notify(ctx, {.user_id = *responsible,
                                                          .kind = "MODERATION",
                                                          .target_type = std::string(model::ToString(type)),
                                                          .target_id = target,
                                                          .payload = std::move(payload)}));
      add_change(absl::StrCat(R"("notified_user":)", *responsible));
    }
    add_change(absl::StrCat(R"("report_status":["OPEN",")", ToAbsl(model::ToString(final_status)), R"("])"));
    changes += "}";
    std::string action_taken = request.action_taken.value_or("");
    if (action_taken.empty()) action_taken = actions.empty() ? "none" : absl::StrJoin(actions, "; ");
    if (action_taken.size() > kMaxActionTakenLength) action_taken.resize(kMaxActionTakenLength);
    DAIRA_ASSIGN_OR_RETURN(out.review, reviews.Create(ctx, {.report_id = ReportId{request.report_id},
                                                            .reviewer_id = UserId{request.reviewer_id},
                                                            .decision = decision,
                                                            .action_taken = action_taken,
                                                            .reason = request.reason}));
    DAIRA_ASSIGN_OR_RETURN(
        out.audit,
        audit.Append(ctx, {.actor_id = UserId{request.reviewer_id},
                           .action = absl::StrCat("moderation.",
                                                  absl::AsciiStrToLower(ToAbsl(model::ToString(decision)))),
                           .resource_type = "content_report",
                           .resource_id = request.report_id,
                           .changes = changes,
                           .reason = request.reason}));
    DAIRA_ASSIGN_OR_RETURN(out.report, reports.Get(ctx, ReportId{request.report_id}));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace daira::inline v0::services
