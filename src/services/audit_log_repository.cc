#include "daira/services/audit_log_repository.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "query/table_repository.h"
#include "services/audit_chain.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using model::AuditLog;
using model::AuditLogField;

namespace {

// pg_advisory_xact_lock key of the audit chain's tail ("daira:audit" as ASCII, truncated to 8 bytes).
constexpr int64_t kAuditChainLockKey = 0x6461697261617564;

using Column = query::ColumnSpec<AuditLog, AuditLogField>;
using query::ReadColumn;

const query::Table<AuditLog, AuditLogField>& AuditLogTable() {
  static const auto* kTable = new query::Table<AuditLog, AuditLogField>(
      {.table = "audit_logs", .entity = "audit log entry", .has_updated_at = false},
      std::array{
          Column{AuditLogField::kId, "id", &ReadColumn<&AuditLog::id>, query::kPrimaryKey},
          Column{AuditLogField::kActorId, "actor_id", &ReadColumn<&AuditLog::actor_id>},
          Column{AuditLogField::kAction, "action", &ReadColumn<&AuditLog::action>},
          Column{AuditLogField::kResourceType, "resource_type", &ReadColumn<&AuditLog::resource_type>},
          Column{AuditLogField::kResourceId, "resource_id", &ReadColumn<&AuditLog::resource_id>},
          Column{AuditLogField::kChanges, "changes", &ReadColumn<&AuditLog::changes>},
          Column{AuditLogField::kIpAddress, "ip_address", &ReadColumn<&AuditLog::ip_address>},
          Column{AuditLogField::kUserAgent, "user_agent", &ReadColumn<&AuditLog::user_agent>},
          Column{AuditLogField::kCorrelationId, "correlation_id", &ReadColumn<&AuditLog::correlation_id>},
          Column{AuditLogField::kCreatedAt, "created_at", &ReadColumn<&AuditLog::created_at>},
          Column{AuditLogField::kReason, "reason", &ReadColumn<&AuditLog::reason>},
          Column{AuditLogField::kSeq, "seq", &ReadColumn<&AuditLog::seq>},
          Column{AuditLogField::kPrevHash, "prev_hash", &ReadColumn<&AuditLog::prev_hash>},
          Column{AuditLogField::kHash, "hash", &ReadColumn<&AuditLog::hash>},
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
  if (filter.resource_type) {
    where.push_back("resource_type = ?");
    params.emplace_back(*filter.resource_type);
  }
  if (filter.resource_id) {
    where.push_back("resource_id = ?");
    params.emplace_back(*filter.resource_id);
  }
  return AuditLogTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<AuditLog>> AuditLogRepository::ListByEntity(const RequestContext& ctx,
                                                                       std::string_view resource_type,
                                                                       int64_t resource_id,
                                                                       const query::PageRequest& page,
                                                                       AuditLogFieldMask mask) const {
  // The scope carries the entity so a cursor of one entity's list is refused by another's; long or odd
  // type names are fine (the scope is authenticated, and bound values never reach the SQL text).
  return AuditLogTable().List(*deps_.db, ctx,
                              absl::StrCat("entity:", resource_id, ":", ToAbsl(resource_type)),
                              "resource_type = ? AND resource_id = ?", {resource_type, resource_id},
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
  internal::NonBlankText(v, "resource_type", e.resource_type, kMaxAuditResourceTypeLength,
                         /*multiline=*/false);
  if (e.resource_id) v.Id("resource_id", *e.resource_id);
  if (v.Length("changes", e.changes, 0, kMaxAuditChangesLength)) v.JsonObject("changes", e.changes);
  if (e.ip_address) internal::OpaqueAscii(v, "ip_address", *e.ip_address, 1, kMaxAuditIpAddressLength);
  if (e.user_agent) {
    internal::BodyText(v, "user_agent", *e.user_agent, kMaxAuditUserAgentLength, /*multiline=*/false,
                       /*required=*/false);
  }
  if (correlation_id) {
    internal::OpaqueAscii(v, "correlation_id", *correlation_id, 1, kMaxAuditCorrelationIdLength);
  }
  if (e.reason) {
    internal::BodyText(v, "reason", *e.reason, kMaxAuditReasonLength, /*multiline=*/true, /*required=*/false);
  }
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  store::Database& db = *deps_.db;
  std::optional<AuditLog> stored;
  DAIRA_RETURN_IF_ERROR(db.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    const bool postgres = db.backend() == store::Backend::kPostgres;
    // actor_id is no foreign key (an entry outlives its actor's account), but it must name a user now.
    if (e.actor_id) {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet actor,
                             c.Execute("SELECT 1 FROM users WHERE id = ?", {e.actor_id->value}));
      if (actor.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(ToAbsl(kOp), ": actor_id ", e.actor_id->value, " is not a user"));
      }
    }
    // Serialize appenders until commit: two may not both extend the same tail. SQLite's one writer
    // already does; the unique index on seq is the last line of defence on both.
    if (postgres)
      DAIRA_RETURN_IF_ERROR(c.Execute("SELECT pg_advisory_xact_lock(?)", {kAuditChainLockKey}).status());
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet tail,
        c.Execute("SELECT seq, hash FROM audit_logs WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1", {}));
    internal::AuditChainFields f;
    std::string prev_hash(internal::kAuditGenesisHash);
    f.seq = 1;
    if (!tail.empty()) {
      f.seq = tail.front().Int64(0) + 1;
      prev_hash = tail.front().Text(1);
    }
    // The hash covers `changes` as the database will spell it back (JSONB normalizes it).
    f.changes = e.changes;
    if (postgres) {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                             c.Execute("SELECT CAST(CAST(? AS JSONB) AS TEXT)", {e.changes}));
      f.changes = rs.front().Text(0);
    }
    DAIRA_ASSIGN_OR_RETURN(f.id, deps_.NextId());
    if (e.actor_id) f.actor_id = e.actor_id->value;
    f.action = e.action;
    f.resource_type = e.resource_type;
    f.resource_id = e.resource_id;
    f.reason = e.reason;
    f.ip_address = e.ip_address;
    f.user_agent = e.user_agent;
    f.correlation_id = correlation_id;
    f.created_at = deps_.NowMicros();
    const std::string hash = internal::AuditHash(prev_hash, f);
    DAIRA_ASSIGN_OR_RETURN(stored,
                           AuditLogTable().Insert(db, ctx, kOp,
                                                  {{"id", f.id},
                                                   {"actor_id", query::OptionalValue(e.actor_id)},
                                                   {"action", e.action},
                                                   {"resource_type", e.resource_type},
                                                   {"resource_id", query::OptionalValue(e.resource_id)},
                                                   {"changes", store::Value::Json(e.changes)},
                                                   {"ip_address", query::OptionalValue(e.ip_address)},
                                                   {"user_agent", query::OptionalValue(e.user_agent)},
                                                   {"correlation_id", query::OptionalValue(correlation_id)},
                                                   {"created_at", f.created_at},
                                                   {"reason", query::OptionalValue(e.reason)},
                                                   {"seq", f.seq},
                                                   {"prev_hash", prev_hash},
                                                   {"hash", hash}}));
    return absl::OkStatus();
  }));
  return *std::move(stored);
}

absl::Status AuditLogRepository::Update(const RequestContext&, AuditLogId id) const {
  return AppendOnly("update audit log", id, "changed");
}

absl::Status AuditLogRepository::Delete(const RequestContext&, AuditLogId id) const {
  return AppendOnly("delete audit log", id, "deleted");
}

}  // namespace daira::inline v0::services
