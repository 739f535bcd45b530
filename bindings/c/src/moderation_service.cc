// moderation (the service) and the audit log's verify: daira_moderation_report / _queue / _decide,
// daira_audit_append / daira_audit_verify (docs/moderation.md). Records are written as the repository
// calls write them (moderation_kinds.h).
#include "daira/services/audit_log.h"
#include "daira/services/moderation.h"
#include "moderation_kinds.h"
#include "records.h"
#include "service_call.h"

namespace {
using daira::cabi::RecordOf;
using daira::cabi::moderation_kinds::AuditLogKind;
using daira::cabi::moderation_kinds::ReportKind;
using daira::cabi::moderation_kinds::ReviewKind;
namespace services = daira::services;
using namespace daira::cabi::fields;  // NOLINT: the readers of the descriptions below
}  // namespace

DAIRA_CABI_SERVICE_CALL(
    daira_moderation_report, "moderation.report", &daira::Platform::moderation, &services::Moderation::Report,
    FullRecord<ReportKind>,
    Struct<services::ReportRequest>(Set{&services::ReportRequest::reporter_id, Id{"reporter_id"}},
                                    Set{&services::ReportRequest::content_type, Str{"content_type"}},
                                    Set{&services::ReportRequest::content_id, Id{"content_id"}},
                                    Set{&services::ReportRequest::reason, Str{"reason"}},
                                    Set{&services::ReportRequest::description, OptStr{"description"}},
                                    Set{&services::ReportRequest::severity, Str{"severity", "LOW"}},
                                    Set{&services::ReportRequest::evidence, ObjectTextOr{"evidence"}}))

DAIRA_CABI_SERVICE_CALL(daira_moderation_queue, "moderation.queue", &daira::Platform::moderation,
                        &services::Moderation::Queue, FullPage<ReportKind>, daira::cabi::PageOfRequest)

DAIRA_CABI_CALL(daira_moderation_decide, "moderation.decide") {
  services::ReviewReportRequest req;
  req.report_id = r.Id("report_id");
  req.reviewer_id = r.Id("reviewer_id");
  req.decision = r.String("decision");
  req.action_taken = r.OptString("action_taken");
  req.reason = r.OptString("reason");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::ModerationDecisionResult d, p.moderation().Decide(ctx, req));
  daira::JsonWriter w;
  w.BeginObject();
  w.Key("report").Raw(RecordOf<ReportKind>(d.report, ReportKind::Columns().All()));
  w.Key("review").Raw(RecordOf<ReviewKind>(d.review, ReviewKind::Columns().All()));
  w.Key("audit").Raw(RecordOf<AuditLogKind>(d.audit, AuditLogKind::Columns().All()));
  w.Key("content_changed").Bool(d.content_changed).Key("sessions_revoked").Int(d.sessions_revoked);
  w.Key("notification_id");  // the MODERATION notification sent by WARN / SUSPEND / BAN, else null
  if (d.notification.has_value()) {
    daira::cabi::WriteId(w, d.notification->id.value);
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_SERVICE_CALL(
    daira_audit_append, "audit.append", &daira::Platform::audit, &services::AuditLog::Append,
    FullRecord<AuditLogKind>,
    Struct<services::NewAuditLog>(Set{&services::NewAuditLog::actor_id, OptIdAs<daira::UserId>{"actor_id"}},
                                  Set{&services::NewAuditLog::action, Str{"action"}},
                                  Set{&services::NewAuditLog::resource_type, Str{"resource_type"}},
                                  Set{&services::NewAuditLog::resource_id, OptId{"resource_id"}},
                                  Set{&services::NewAuditLog::changes, ObjectTextOr{"changes"}},
                                  Set{&services::NewAuditLog::reason, OptStr{"reason"}}))

DAIRA_CABI_CALL(daira_audit_verify, "audit.verify") {
  const int64_t batch = r.Int("batch", 1000);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::AuditVerification v,
                         p.audit().Verify(ctx, static_cast<int>(batch < 1 || batch > 100000 ? 1000 : batch)));
  daira::JsonWriter w;
  w.BeginObject().Key("ok").Bool(v.ok()).Key("checked").Int(v.checked).Key("unchained").Int(v.unchained);
  if (!v.ok()) {
    w.Key("first_bad_id");
    daira::cabi::WriteId(w, v.first_bad_id ? v.first_bad_id->value : 0);
    w.Key("first_bad_seq").Int(v.first_bad_seq.value_or(0)).Key("problem").String(v.problem);
  }
  w.EndObject();
  return w.Take();
}
