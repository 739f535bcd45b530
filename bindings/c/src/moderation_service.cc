// moderation (the service) and the audit log's verify: daira_moderation_report / _queue / _decide,
// daira_audit_append / daira_audit_verify (docs/moderation.md). Records are written as the repository
// calls write them (moderation_kinds.h).
#include "daira/services/audit_log.h"
#include "daira/services/moderation.h"
#include "moderation_kinds.h"
#include "records.h"

namespace {
using daira::cabi::OptIdOf;
using daira::cabi::RecordOf;
using daira::cabi::moderation_kinds::AuditLogKind;
using daira::cabi::moderation_kinds::ReportKind;
using daira::cabi::moderation_kinds::ReviewKind;
namespace services = daira::services;
}  // namespace

DAIRA_CABI_CALL(daira_moderation_report, "moderation.report") {
  services::ReportRequest req;
  req.reporter_id = r.Id("reporter_id");
  req.content_type = r.String("content_type");
  req.content_id = r.Id("content_id");
  req.reason = r.String("reason");
  req.description = r.OptString("description");
  req.severity = r.String("severity", "LOW");
  req.evidence = r.OptObjectText("evidence").value_or("{}");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::ContentReport report, p.moderation().Report(ctx, req));
  return RecordOf<ReportKind>(report, ReportKind::Columns().All());
}

DAIRA_CABI_CALL(daira_moderation_queue, "moderation.queue") {
  const daira::query::PageRequest page = daira::cabi::PageOfRequest(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.moderation().Queue(ctx, page));
  return daira::cabi::PageOf<ReportKind>(result, ReportKind::Columns().All());
}

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

DAIRA_CABI_CALL(daira_audit_append, "audit.append") {
  services::NewAuditLog entry;
  entry.actor_id = OptIdOf<daira::UserId>(r, "actor_id");
  entry.action = r.String("action");
  entry.resource_type = r.String("resource_type");
  entry.resource_id = r.OptId("resource_id");
  entry.changes = r.OptObjectText("changes").value_or("{}");
  entry.reason = r.OptString("reason");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::AuditLog created, p.audit().Append(ctx, entry));
  return RecordOf<AuditLogKind>(created, AuditLogKind::Columns().All());
}

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
