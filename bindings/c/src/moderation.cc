// moderation: the reports, reviews and audit_logs repositories (docs/services/moderation.md). The audit
// log is append-only on the C++ side: its update and delete are always UNIMPLEMENTED.
#include "daira/services/audit_log_repository.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "moderation_kinds.h"
#include "records.h"

namespace {
using daira::Platform;
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables
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

using services::ReportFilter;
DAIRA_CABI_SERVICE_CALL(
    daira_reports_count, "reports.count", &ReportKind::Repo, &services::ReportRepository::Count,
    Count{"count"},
    Struct<ReportFilter>(
        Set{&ReportFilter::status, Enum<model::ReportStatus>("status", model::kReportStatusNames)},
        Set{&ReportFilter::severity, Enum<model::ReportSeverity>("severity", model::kReportSeverityNames)},
        Set{&ReportFilter::content_type,
            Enum<model::ReportContentType>("content_type", model::kReportContentTypeNames)},
        Set{&ReportFilter::content_id, OptId{"content_id"}}))

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

using services::NewReport;
DAIRA_CABI_SERVICE_CALL(
    daira_reports_create, "reports.create", &ReportKind::Repo, &services::ReportRepository::Create,
    FullRecord<ReportKind>,
    Struct<NewReport>(Set{&NewReport::reporter_id, IdAs<daira::UserId>{"reporter_id"}},
                      Set{&NewReport::content_type, EnumOr("content_type", model::kReportContentTypeNames,
                                                           model::ReportContentType::kPost)},
                      Set{&NewReport::content_id, Id{"content_id"}}, Set{&NewReport::reason, Str{"reason"}},
                      Set{&NewReport::description, OptStr{"description"}},
                      Set{&NewReport::severity,
                          EnumOr("severity", model::kReportSeverityNames, model::ReportSeverity::kLow)},
                      Set{&NewReport::evidence, ObjectTextOr{"evidence"}}))

using services::ReportPatch;
DAIRA_CABI_SERVICE_CALL(
    daira_reports_update, "reports.update", &ReportKind::Repo, &services::ReportRepository::Update, Empty{},
    IdAs<daira::ReportId>{"id"},
    Struct<ReportPatch>(
        Set{&ReportPatch::status, Enum<model::ReportStatus>("status", model::kReportStatusNames)},
        Set{&ReportPatch::severity, Enum<model::ReportSeverity>("severity", model::kReportSeverityNames)},
        Set{&ReportPatch::description, OptStr{"description"}},
        Set{&ReportPatch::evidence, OptObjectText{"evidence"}},
        Set{&ReportPatch::resolved_at, OptTime{"resolved_at"}}))

// ---- reviews ----

DAIRA_CABI_RECORD_READS(daira_reviews, ReviewKind, "reviews")
DAIRA_CABI_RECORD_DELETE(daira_reviews, ReviewKind, "reviews")

using services::ModerationReviewRepository;
using services::ReviewFilter;
DAIRA_CABI_SERVICE_CALL(
    daira_reviews_count, "reviews.count", &ReviewKind::Repo, &ModerationReviewRepository::Count,
    Count{"count"},
    Struct<ReviewFilter>(Set{&ReviewFilter::report_id, OptIdAs<daira::ReportId>{"report_id"}},
                         Set{&ReviewFilter::reviewer_id, OptIdAs<daira::UserId>{"reviewer_id"}},
                         Set{&ReviewFilter::decision,
                             Enum<model::ModerationDecision>("decision", model::kModerationDecisionNames)}))

DAIRA_CABI_RECORD_METHOD(daira_reviews_list_by_report, "reviews.list_by_report", ReviewKind,
                         &ModerationReviewRepository::ListByReport, IdAs<daira::ReportId>{"report_id"},
                         Page{})

using services::NewReview;
DAIRA_CABI_SERVICE_CALL(daira_reviews_create, "reviews.create", &ReviewKind::Repo,
                        &ModerationReviewRepository::Create, FullRecord<ReviewKind>,
                        Struct<NewReview>(Set{&NewReview::report_id, IdAs<daira::ReportId>{"report_id"}},
                                          Set{&NewReview::reviewer_id, IdAs<daira::UserId>{"reviewer_id"}},
                                          Set{&NewReview::decision,
                                              EnumOr("decision", model::kModerationDecisionNames,
                                                     model::ModerationDecision::kApproved)},
                                          Set{&NewReview::action_taken, OptStr{"action_taken"}},
                                          Set{&NewReview::reason, OptStr{"reason"}}))

using services::ReviewPatch;
DAIRA_CABI_SERVICE_CALL(
    daira_reviews_update, "reviews.update", &ReviewKind::Repo, &ModerationReviewRepository::Update, Empty{},
    IdAs<daira::ReviewId>{"id"},
    Struct<ReviewPatch>(Set{&ReviewPatch::decision,
                            Enum<model::ModerationDecision>("decision", model::kModerationDecisionNames)},
                        Set{&ReviewPatch::action_taken, OptStr{"action_taken"}},
                        Set{&ReviewPatch::reason, OptStr{"reason"}}))

// ---- audit_logs ----

DAIRA_CABI_RECORD_READS(daira_audit_logs, AuditLogKind, "audit_logs")
DAIRA_CABI_RECORD_DELETE(daira_audit_logs, AuditLogKind, "audit_logs")

using services::AuditLogFilter;
using services::AuditLogRepository;
DAIRA_CABI_SERVICE_CALL(daira_audit_logs_count, "audit_logs.count", &AuditLogKind::Repo,
                        &AuditLogRepository::Count, Count{"count"},
                        Struct<AuditLogFilter>(Set{&AuditLogFilter::actor_id,
                                                   OptIdAs<daira::UserId>{"actor_id"}},
                                               Set{&AuditLogFilter::action, OptStr{"action"}},
                                               Set{&AuditLogFilter::resource_type, OptStr{"resource_type"}},
                                               Set{&AuditLogFilter::resource_id, OptId{"resource_id"}}))

DAIRA_CABI_RECORD_METHOD(daira_audit_logs_list_by_entity, "audit_logs.list_by_entity", AuditLogKind,
                         &AuditLogRepository::ListByEntity, Str{"resource_type"}, Id{"resource_id"}, Page{})
DAIRA_CABI_RECORD_METHOD(daira_audit_logs_list_by_actor, "audit_logs.list_by_actor", AuditLogKind,
                         &AuditLogRepository::ListByActor, IdAs<daira::UserId>{"actor_id"}, Page{})

using services::NewAuditLog;
DAIRA_CABI_SERVICE_CALL(daira_audit_logs_create, "audit_logs.create", &AuditLogKind::Repo,
                        &AuditLogRepository::Create, FullRecord<AuditLogKind>,
                        Struct<NewAuditLog>(Set{&NewAuditLog::actor_id, OptIdAs<daira::UserId>{"actor_id"}},
                                            Set{&NewAuditLog::action, Str{"action"}},
                                            Set{&NewAuditLog::resource_type, Str{"resource_type"}},
                                            Set{&NewAuditLog::resource_id, OptId{"resource_id"}},
                                            Set{&NewAuditLog::changes, ObjectTextOr{"changes"}},
                                            Set{&NewAuditLog::ip_address, OptStr{"ip_address"}},
                                            Set{&NewAuditLog::user_agent, OptStr{"user_agent"}},
                                            Set{&NewAuditLog::correlation_id, OptStr{"correlation_id"}},
                                            Set{&NewAuditLog::reason, OptStr{"reason"}}))

// {id*, …} → always UNIMPLEMENTED (the audit log is append-only); any other field is accepted and
// ignored so that the answer is the same whatever a host tries to change.
DAIRA_CABI_CALL(daira_audit_logs_update, "audit_logs.update") {
  const daira::AuditLogId id(r.Id("id"));
  DAIRA_RETURN_IF_ERROR(p.audit_logs().Update(ctx, id));
  return daira::cabi::EmptyJson();
}
