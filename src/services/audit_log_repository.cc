#include "daira/services/audit_log_repository.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "query/table_repository.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using model::AuditLog;
using model::AuditLogField;

namespace {

using Column = query::ColumnSpec<AuditLog, AuditLogField>;
using query::ReadColumn;

const query::Table<AuditLog, AuditLogField>& AuditLogTable() {
  static const auto* kTable = new query::Table<AuditLog, AuditLogField>(
      {.table = "audit_logs", .entity = "audit log entry", .has_updated_at = false},
      std::array{
          Column{AuditLogField::kId, "id", &ReadColumn<&AuditLog::id>, query::kPrimaryKey},
          Column{AuditLogField::kActorId, "actor_id", &ReadColumn<&AuditLog::actor_id>},
          Column{AuditLogField::kAction, "action", &ReadColumn<&AuditLog::action>},
          Column{AuditLogField::kEntityType, "entity_type", &ReadColumn<&AuditLog::entity_type>},
          Column{AuditLogField::kEntityId, "entity_id", &ReadColumn<&AuditLog::entity_id>},
          Column{AuditLogField::kChanges, "changes", &ReadColumn<&AuditLog::changes>},
          Column{AuditLogField::kIpAddress, "ip_address", &ReadColumn<&AuditLog::ip_address>},
          Column{AuditLogField::kUserAgent, "user_agent", &ReadColumn<&AuditLog::user_agent>},
          Column{AuditLogField::kCorrelationId, "correlation_id", &ReadColumn<&AuditLog::correlation_id>},
          Column{AuditLogField::kCreatedAt, "created_at", &ReadColumn<&AuditLog::created_at>},
      });
  return *kTable;
}

absl::Status AppendOnly(std::string_view op, AuditLogId id, std::string_view verb) {
  return absl::UnimplementedError(absl::StrCat(ToAbsl(op), ": the audit log is append-only; entry ", id.value,
                                               " is never ", ToAbsl(verb)));
}

}  // namespace

const query::FieldTable<AuditLogField>& AuditLogColumns() { return AuditLogTable().fields(); }

AuditLogFieldMask AllAuditLogFields() { return AuditLogColumns().All(); }

absl::StatusOr<AuditLog> AuditLogRepository::Get(const RequestContext& ctx, AuditLogId id,
                                                 AuditLogFieldMask mask) const {
  return AuditLogTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<AuditLogBatch> AuditLogRepository::GetMany(const RequestContext& ctx,
                                                          std::span<const AuditLogId> ids,
                                                          AuditLogFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, AuditLogTable().GetMany(*deps_.db, ctx, raw, mask));
  return AuditLogBatch{std::move(found.items), query::TypedIds<AuditLogId>(found.missing)};
}

absl::StatusOr<bool> AuditLogRepository::Exists(const RequestContext& ctx, AuditLogId id) const {
  return AuditLogTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> AuditLogRepository::Count(const RequestContext& ctx,
                                                  const AuditLogFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.actor_id) {
    where.push_back("actor_id = ?");
    params.emplace_back(filter.actor_id->value);
  }
  if (filter.action) {
    where.push_back("action = ?");
    params.emplace_back(*filter.action);
  }
  if (filter.entity_type) {
    where.push_back("entity_type = ?");
    params.emplace_back(*filter.entity_type);
  }
  if (filter.entity_id) {
    where.push_back("entity_id = ?");
    params.emplace_back(*filter.entity_id);
  }
  return AuditLogTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<AuditLog>> AuditLogRepository::ListByEntity(const RequestContext& ctx,
                                                                       std::string_view entity_type,
                                                                       int64_t entity_id,
                                                                       const query::PageRequest& page,
                                                                       AuditLogFieldMask mask) const {
  // The scope carries the entity so a cursor of one entity's list is refused by another's; long or odd
  // type names are fine (the scope is authenticated, and bound values never reach the SQL text).
  return AuditLogTable().List(*deps_.db, ctx, absl::StrCat("entity:", entity_id, ":", ToAbsl(entity_type)),
                              "entity_type = ? AND entity_id = ?", {entity_type, entity_id},
                              query::SortOrder::kDescending, page, mask, deps_.cursors);
}

absl::StatusOr<query::Page<AuditLog>> AuditLogRepository::ListByActor(const RequestContext& ctx,
                                                                      UserId actor_id,
                                                                      const query::PageRequest& page,
                                                                      AuditLogFieldMask mask) const {
  return AuditLogTable().List(*deps_.db, ctx, absl::StrCat("actor:", actor_id.value), "actor_id = ?",
                              {actor_id.value}, query::SortOrder::kDescending, page, mask, deps_.cursors);
}

absl::StatusOr<AuditLog> AuditLogRepository::Create(const RequestContext& ctx, const NewAuditLog& e) const {
  constexpr std::string_view kOp = "create audit log";
  const std::optional<std::string> correlation_id =
      e.correlation_id
          ? e.correlation_id
          : (ctx.correlation_id().empty() ? std::nullopt : std::optional<std::string>(ctx.correlation_id()));
  Violations v;
  if (e.actor_id) v.Id("actor_id", e.actor_id->value);
  internal::NonBlankText(v, "action", e.action, kMaxAuditActionLength, /*multiline=*/false);
  internal::NonBlankText(v, "entity_type", e.entity_type, kMaxAuditEntityTypeLength, /*multiline=*/false);
  if (e.entity_id) v.Id("entity_id", *e.entity_id);
  if (v.Length("changes", e.changes, 0, kMaxAuditChangesLength)) v.JsonObject("changes", e.changes);
  if (e.ip_address) internal::OpaqueAscii(v, "ip_address", *e.ip_address, 1, kMaxAuditIpAddressLength);
  if (e.user_agent) {
    internal::BodyText(v, "user_agent", *e.user_agent, kMaxAuditUserAgentLength, /*multiline=*/false,
                       /*required=*/false);
  }
  if (correlation_id) {
    internal::OpaqueAscii(v, "correlation_id", *correlation_id, 1, kMaxAuditCorrelationIdLength);
  }
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  DAIRA_ASSIGN_OR_RETURN(const int64_t new_id, deps_.NextId());
  return AuditLogTable().Insert(*deps_.db, ctx, kOp,
                                {{"id", new_id},
                                 {"actor_id", query::OptionalValue(e.actor_id)},
                                 {"action", e.action},
                                 {"entity_type", e.entity_type},
                                 {"entity_id", query::OptionalValue(e.entity_id)},
                                 {"changes", store::Value::Json(e.changes)},
                                 {"ip_address", query::OptionalValue(e.ip_address)},
                                 {"user_agent", query::OptionalValue(e.user_agent)},
                                 {"correlation_id", query::OptionalValue(correlation_id)},
                                 {"created_at", deps_.NowMicros()}});
}

absl::Status AuditLogRepository::Update(const RequestContext&, AuditLogId id) const {
  return AppendOnly("update audit log", id, "changed");
}

absl::Status AuditLogRepository::Delete(const RequestContext&, AuditLogId id) const {
  return AppendOnly("delete audit log", id, "deleted");
}

}  // namespace daira::inline v0::services
