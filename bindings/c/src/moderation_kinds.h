// The record kinds of the moderation tables (reports, reviews, audit_logs): shared by the repository
// calls (moderation.cc) and the moderation service calls (moderation_service.cc).
#pragma once

#include "daira/services/audit_log_repository.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "records.h"

namespace daira::cabi::moderation_kinds {

using daira::Platform;
using daira::cabi::MaskedWriter;
namespace model = daira::model;
namespace query = daira::query;
namespace services = daira::services;

struct ReportKind {
  using Model = model::ContentReport;
  using Field = model::ContentReportField;
  using Id = daira::ReportId;
  using Batch = services::ReportBatch;
  static constexpr auto kItems = &Batch::reports;
  static services::ReportRepository& Repo(Platform& p) { return p.reports(); }
  static const query::FieldTable<Field>& Columns() { return services::ContentReportColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kReporterId, "reporter_id", m.reporter_id);
    w.Field(Field::kContentType, "content_type", m.content_type)
        .Field(Field::kContentId, "content_id", m.content_id);
    w.Field(Field::kReason, "reason", m.reason).Field(Field::kDescription, "description", m.description);
    w.Field(Field::kSeverity, "severity", m.severity).Field(Field::kStatus, "status", m.status);
    w.Object(Field::kEvidence, "evidence", m.evidence);
    w.Field(Field::kCreatedAt, "created_at", m.created_at)
        .Field(Field::kUpdatedAt, "updated_at", m.updated_at);
    w.Field(Field::kResolvedAt, "resolved_at", m.resolved_at);
  }
};

struct ReviewKind {
  using Model = model::ModerationReview;
  using Field = model::ModerationReviewField;
  using Id = daira::ReviewId;
  using Batch = services::ReviewBatch;
  static constexpr auto kItems = &Batch::reviews;
  static services::ModerationReviewRepository& Repo(Platform& p) { return p.reviews(); }
  static const query::FieldTable<Field>& Columns() { return services::ModerationReviewColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kReportId, "report_id", m.report_id);
    w.Field(Field::kReviewerId, "reviewer_id", m.reviewer_id).Field(Field::kDecision, "decision", m.decision);
    w.Field(Field::kActionTaken, "action_taken", m.action_taken).Field(Field::kReason, "reason", m.reason);
    w.Field(Field::kCreatedAt, "created_at", m.created_at);
  }
};

struct AuditLogKind {
  using Model = model::AuditLog;
  using Field = model::AuditLogField;
  using Id = daira::AuditLogId;
  using Batch = services::AuditLogBatch;
  static constexpr auto kItems = &Batch::entries;
  static services::AuditLogRepository& Repo(Platform& p) { return p.audit_logs(); }
  static const query::FieldTable<Field>& Columns() { return services::AuditLogColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kActorId, "actor_id", m.actor_id);
    w.Field(Field::kAction, "action", m.action).Field(Field::kResourceType, "resource_type", m.resource_type);
    w.Field(Field::kResourceId, "resource_id", m.resource_id).Object(Field::kChanges, "changes", m.changes);
    w.Field(Field::kIpAddress, "ip_address", m.ip_address)
        .Field(Field::kUserAgent, "user_agent", m.user_agent);
    w.Field(Field::kCorrelationId, "correlation_id", m.correlation_id);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kReason, "reason", m.reason);
    w.Field(Field::kSeq, "seq", m.seq).Field(Field::kPrevHash, "prev_hash", m.prev_hash);
    w.Field(Field::kHash, "hash", m.hash);
  }
};

}  // namespace daira::cabi::moderation_kinds
