// moderation: the reports, reviews and audit_logs repositories (docs/services/moderation.md). The audit
// log is append-only on the C++ side: its update and delete are always UNIMPLEMENTED.
#include "daira/services/audit_log_repository.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "moderation_kinds.h"
#include "records.h"

namespace {
using daira::Platform;
using daira::cabi::MaskedWriter;
using daira::cabi::OptEnum;
using daira::cabi::OptIdOf;
using daira::cabi::RecordOf;
namespace model = daira::model;
namespace query = daira::query;
namespace services = daira::services;

using daira::cabi::moderation_kinds::AuditLogKind;
using daira::cabi::moderation_kinds::ReportKind;
using daira::cabi::moderation_kinds::ReviewKind;

}  // namespace

// ---- reports ----

DAIRA_CABI_RECORD_READS(daira_reports, ReportKind, "reports")
DAIRA_CABI_RECORD_DELETE(daira_reports, ReportKind, "reports")

DAIRA_CABI_CALL(daira_reports_count, "reports.count") {
  services::ReportFilter filter;
  filter.status = OptEnum<model::ReportStatus>(r, "status", model::kReportStatusNames);
  filter.severity = OptEnum<model::ReportSeverity>(r, "severity", model::kReportSeverityNames);
  filter.content_type = OptEnum<model::ReportContentType>(r, "content_type", model::kReportContentTypeNames);
  filter.content_id = r.OptId("content_id");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.reports().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_CALL(daira_reports_find_by_reporter_and_content, "reports.find_by_reporter_and_content",
                       ReportKind) {
  const daira::UserId reporter(r.Id("reporter_id"));
  const std::optional<model::ReportContentType> type =
      OptEnum<model::ReportContentType>(r, "content_type", model::kReportContentTypeNames);
  const int64_t content = r.Id("content_id");
  DAIRA_CABI_CHECK(r);
  if (!type) return daira::InvalidField(r.op(), "content_type", "is required");
  DAIRA_ASSIGN_OR_RETURN(model::ContentReport report,
                         p.reports().FindByReporterAndContent(ctx, reporter, *type, content, mask));
  return RecordOf<ReportKind>(report, mask);
}

DAIRA_CABI_RECORD_CALL(daira_reports_list_by_status, "reports.list_by_status", ReportKind) {
  const std::optional<model::ReportStatus> status =
      OptEnum<model::ReportStatus>(r, "status", model::kReportStatusNames);
  const std::optional<model::ReportSeverity> severity =
      OptEnum<model::ReportSeverity>(r, "severity", model::kReportSeverityNames);
  const query::PageRequest page = daira::cabi::PageOfRequest(r);
  DAIRA_CABI_CHECK(r);
  if (!status) return daira::InvalidField(r.op(), "status", "is required");
  DAIRA_ASSIGN_OR_RETURN(auto result, p.reports().ListByStatus(ctx, *status, severity, page, mask));
  return daira::cabi::PageOf<ReportKind>(result, mask);
}

DAIRA_CABI_CALL(daira_reports_create, "reports.create") {
  services::NewReport report;
  report.reporter_id = daira::UserId(r.Id("reporter_id"));
  report.content_type =
      OptEnum<model::ReportContentType>(r, "content_type", model::kReportContentTypeNames).value_or(report.content_type);
  report.content_id = r.Id("content_id");
  report.reason = r.String("reason");
  report.description = r.OptString("description");
  report.severity = OptEnum<model::ReportSeverity>(r, "severity", model::kReportSeverityNames).value_or(report.severity);
  report.evidence = r.OptObjectText("evidence").value_or("{}");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::ContentReport created, p.reports().Create(ctx, report));
  return RecordOf<ReportKind>(created, ReportKind::Columns().All());
}

DAIRA_CABI_CALL(daira_reports_update, "reports.update") {
  const daira::ReportId id(r.Id("id"));
  services::ReportPatch patch;
  patch.status = OptEnum<model::ReportStatus>(r, "status", model::kReportStatusNames);
  patch.severity = OptEnum<model::ReportSeverity>(r, "severity", model::kReportSeverityNames);
  patch.description = r.OptString("description");
  patch.evidence = r.OptObjectText("evidence");
  patch.resolved_at = r.OptTime("resolved_at");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.reports().Update(ctx, id, patch));
  return daira::cabi::EmptyJson();
}

// ---- reviews ----

DAIRA_CABI_RECORD_READS(daira_reviews, ReviewKind, "reviews")
DAIRA_CABI_RECORD_DELETE(daira_reviews, ReviewKind, "reviews")

DAIRA_CABI_CALL(daira_reviews_count, "reviews.count") {
  services::ReviewFilter filter;
  filter.report_id = OptIdOf<daira::ReportId>(r, "report_id");
  filter.reviewer_id = OptIdOf<daira::UserId>(r, "reviewer_id");
  filter.decision = OptEnum<model::ModerationDecision>(r, "decision", model::kModerationDecisionNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.reviews().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_CALL(daira_reviews_list_by_report, "reviews.list_by_report", ReviewKind) {
  return daira::cabi::ListBy<ReviewKind, daira::ReportId>(p, r, mask, ctx, "report_id", &services::ModerationReviewRepository::ListByReport);
}

DAIRA_CABI_CALL(daira_reviews_create, "reviews.create") {
  services::NewReview review;
  review.report_id = daira::ReportId(r.Id("report_id"));
  review.reviewer_id = daira::UserId(r.Id("reviewer_id"));
  review.decision =
      OptEnum<model::ModerationDecision>(r, "decision", model::kModerationDecisionNames).value_or(review.decision);
  review.action_taken = r.OptString("action_taken");
  review.reason = r.OptString("reason");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::ModerationReview created, p.reviews().Create(ctx, review));
  return RecordOf<ReviewKind>(created, ReviewKind::Columns().All());
}

DAIRA_CABI_CALL(daira_reviews_update, "reviews.update") {
  const daira::ReviewId id(r.Id("id"));
  services::ReviewPatch patch;
  patch.decision = OptEnum<model::ModerationDecision>(r, "decision", model::kModerationDecisionNames);
  patch.action_taken = r.OptString("action_taken");
  patch.reason = r.OptString("reason");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.reviews().Update(ctx, id, patch));
  return daira::cabi::EmptyJson();
}

// ---- audit_logs ----

DAIRA_CABI_RECORD_READS(daira_audit_logs, AuditLogKind, "audit_logs")
DAIRA_CABI_RECORD_DELETE(daira_audit_logs, AuditLogKind, "audit_logs")

DAIRA_CABI_CALL(daira_audit_logs_count, "audit_logs.count") {
  services::AuditLogFilter filter;
  filter.actor_id = OptIdOf<daira::UserId>(r, "actor_id");
  filter.action = r.OptString("action");
  filter.resource_type = r.OptString("resource_type");
  filter.resource_id = r.OptId("resource_id");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.audit_logs().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_CALL(daira_audit_logs_list_by_entity, "audit_logs.list_by_entity", AuditLogKind) {
  const std::string resource_type = r.String("resource_type");
  const int64_t resource_id = r.Id("resource_id");
  const query::PageRequest page = daira::cabi::PageOfRequest(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.audit_logs().ListByEntity(ctx, resource_type, resource_id, page, mask));
  return daira::cabi::PageOf<AuditLogKind>(result, mask);
}

DAIRA_CABI_RECORD_CALL(daira_audit_logs_list_by_actor, "audit_logs.list_by_actor", AuditLogKind) {
  return daira::cabi::ListBy<AuditLogKind, daira::UserId>(p, r, mask, ctx, "actor_id", &services::AuditLogRepository::ListByActor);
}

DAIRA_CABI_CALL(daira_audit_logs_create, "audit_logs.create") {
  services::NewAuditLog entry;
  entry.actor_id = OptIdOf<daira::UserId>(r, "actor_id");
  entry.action = r.String("action");
  entry.resource_type = r.String("resource_type");
  entry.resource_id = r.OptId("resource_id");
  entry.changes = r.OptObjectText("changes").value_or("{}");
  entry.ip_address = r.OptString("ip_address");
  entry.user_agent = r.OptString("user_agent");
  entry.correlation_id = r.OptString("correlation_id");
  entry.reason = r.OptString("reason");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::AuditLog created, p.audit_logs().Create(ctx, entry));
  return RecordOf<AuditLogKind>(created, AuditLogKind::Columns().All());
}

// {id*, …} → always UNIMPLEMENTED (the audit log is append-only); any other field is accepted and
// ignored so that the answer is the same whatever a host tries to change.
DAIRA_CABI_CALL(daira_audit_logs_update, "audit_logs.update") {
  const daira::AuditLogId id(r.Id("id"));
  DAIRA_RETURN_IF_ERROR(p.audit_logs().Update(ctx, id));
  return daira::cabi::EmptyJson();
}
