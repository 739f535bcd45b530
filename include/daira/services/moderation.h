// Moderation: reports, the review queue, and decisions that take effect — in one transaction each,
// with an audit row (services/audit_log.h).
//
//   services::Moderation moderation(deps, {.auto_hide_threshold = 3});
//   DAIRA_ASSIGN_OR_RETURN(model::ContentReport r, moderation.Report(ctx, {
//       .reporter_id = bob, .content_type = "POST", .content_id = post, .reason = "SPAM", .severity =
//       "HIGH"}));
//   DAIRA_ASSIGN_OR_RETURN(auto queue, moderation.Queue(ctx, {.limit = 20}));   // most severe, then oldest
//   DAIRA_ASSIGN_OR_RETURN(services::ModerationDecisionResult d, moderation.Decide(ctx, {
//       .report_id = r.id.value, .reviewer_id = mod, .decision = "SUSPEND", .reason = "repeated spam"}));
//
// Decisions (docs/moderation.md): APPROVED upholds the report and removes the reported post, comment
// or video (posts and comments: status HIDDEN; videos: hidden_at set, status kept); REJECTED dismisses
// it and restores content hidden by the auto-hide threshold; WARN, SUSPEND and BAN uphold it and act on
// the responsible user (the reported user, or the content's author): WARN records the warning, SUSPEND
// and BAN set users.status (so Accounts refuses their login and tokens) and revoke every live session;
// all three also remove reported content and send that user a MODERATION notification (when the
// Moderation has a Notifications). Each decision writes its review (one per report), resolves the
// report (RESOLVED, or DISMISSED for REJECTED), writes the notification and appends an audit row, all
// in one transaction: if any step fails nothing is written (and nothing is pushed).
//
// Thread-safety: Moderation is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/audit_log.h"
#include "daira/model/content_report.h"
#include "daira/model/moderation_review.h"
#include "daira/query/keyset.h"
#include "daira/services/moderation_requests.h"
#include "daira/services/notifications.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

struct ModerationOptions {
  // Open reports (PENDING or REVIEWING) from this many distinct reporters hide a post, comment or video
  // automatically (posts/comments status HIDDEN, videos hidden_at; audit action "content.auto_hide")
  // until a reviewer decides. 0 = never. Default 3. Set through PlatformOptions::moderation, or the
  // Config entry moderation_auto_hide_threshold=N (docs/configuration.md).
  int auto_hide_threshold = 3;
  absl::Status Validate() const;  // InvalidArgument naming auto_hide_threshold when < 0
};

struct ModerationDecisionResult {
  model::ContentReport report;     // as resolved
  model::ModerationReview review;  // the one review of the report
  model::AuditLog audit;           // the audit row of the decision
  bool content_changed = false;    // a post, comment or video was hidden or restored
  int64_t sessions_revoked = 0;    // SUSPEND / BAN
  // WARN / SUSPEND / BAN with a Notifications: the MODERATION notification sent to the responsible
  // user (target_type / target_id: the reported content or user; payload {"decision", "report_id",
  // "report_reason", "content_removed", "reason" when the reviewer gave one}; no actor).
  std::optional<Notification> notification;
};

class Moderation {
 public:
  // `notifications` (not owned, may be null: no notification is sent) must outlive this object.
  explicit Moderation(const ServiceDeps& deps, const ModerationOptions& options = {},
                      Notifications* notifications = nullptr);

  // Files a report (PENDING) after ReportRequest::Validate; the target must exist (NotFound naming
  // content_id) and so must the reporter (NotFound naming reporter_id). One report per reporter and
  // target: AlreadyExists naming content_id. May hide the target (auto_hide_threshold), in the same
  // transaction.
  absl::StatusOr<model::ContentReport> Report(const RequestContext& ctx, const ReportRequest& request) const;

  // The open reports (PENDING, REVIEWING), most severe first (CRITICAL, HIGH, MEDIUM, LOW), then oldest
  // first; keyset-paged (InvalidArgument naming limit or cursor).
  absl::StatusOr<query::Page<model::ContentReport>> Queue(const RequestContext& ctx,
                                                          const query::PageRequest& page = {}) const;

  // Decides `request.report_id` (ReviewReportRequest::Validate first). NotFound (report_id,
  // reviewer_id); PermissionDenied when the report is about the reviewer (the reported user, or the
  // author of the reported content); FailedPrecondition when the report was already decided; the
  // responsible user missing → FailedPrecondition. Everything or nothing is written.
  absl::StatusOr<ModerationDecisionResult> Decide(const RequestContext& ctx,
                                                  const ReviewReportRequest& request) const;

  const ModerationOptions& options() const { return options_; }

 private:
  ServiceDeps deps_;
  ModerationOptions options_;
  absl::Status options_status_;
  Notifications* notifications_;
};

}  // namespace daira::inline v0::services
