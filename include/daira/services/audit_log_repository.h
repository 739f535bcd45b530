// AuditLogRepository: typed access to the append-only audit trail (`audit_logs`) — get, batch get,
// exists, count, append, and an entity's or an actor's entries newest first — with field masks.
//
//   services::AuditLogRepository audit(deps);
//   DAIRA_ASSIGN_OR_RETURN(model::AuditLog e, audit.Create(ctx, {
//       .actor_id = UserId{2}, .action = "user.ban", .resource_type = "user", .resource_id = 7,
//       .changes = R"({"status":["ACTIVE","BANNED"]})", .ip_address = "203.0.113.9"}));
//   DAIRA_ASSIGN_OR_RETURN(auto page, audit.ListByEntity(ctx, "user", 7, {.limit = 20}));   // newest first
//   audit.Delete(ctx, e.id);   // Unimplemented: the audit log is append-only
//
// Append-only: an entry is written once and never changed or removed. Update and Delete exist so the
// surface matches the other repositories, and always fail with Unimplemented ("the audit log is
// append-only") without touching the database; the database itself refuses UPDATE and DELETE on
// audit_logs (triggers, migration 017). Each entry is hash-chained to the previous one
// (services/audit_log.h verifies the chain). Create takes the correlation id from the request context
// when the entry names none.
//
// Every method runs inside the request's open transaction when `ctx` has one — so an audited change and
// its entry commit together — else on a connection of its own (reads on a read connection, which may be
// a replica). Inputs are validated first: InvalidArgument naming the field, and nothing is written.
//
// Thread-safety: AuditLogRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/audit_log.h"
#include "daira/model/ids.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using AuditLogFieldMask = query::FieldMask<model::AuditLogField>;

// Limits of the audit columns, in characters.
inline constexpr size_t kMaxAuditActionLength = 100;
inline constexpr size_t kMaxAuditResourceTypeLength = 64;
inline constexpr size_t kMaxAuditIpAddressLength = 45;  // an IPv6 address in text form
inline constexpr size_t kMaxAuditUserAgentLength = 512;
inline constexpr size_t kMaxAuditCorrelationIdLength = 128;
inline constexpr size_t kMaxAuditChangesLength = 65536;
inline constexpr size_t kMaxAuditReasonLength = 1000;

// The column table of `audit_logs` (id is the primary key).
const query::FieldTable<model::AuditLogField>& AuditLogColumns();
// Every column of `audit_logs`.
AuditLogFieldMask AllAuditLogFields();

struct AuditLogBatch {
  std::vector<model::AuditLog> entries;  // found, in the caller's order (duplicates once)
  std::vector<AuditLogId> missing;       // ids with no row
};

struct NewAuditLog {
  std::optional<UserId> actor_id{};             // > 0; none for the system
  std::string action;                           // 1–100 characters, single line ("user.ban")
  std::string resource_type;                      // 1–64 characters, single line ("user")
  std::optional<int64_t> resource_id{};           // > 0
  std::string changes = "{}";                   // a JSON object, at most 65536 characters
  std::optional<std::string> ip_address{};      // 1–45 printable ASCII characters, no spaces
  std::optional<std::string> user_agent{};      // 0–512 characters, single line
  std::optional<std::string> correlation_id{};  // 1–128 printable ASCII; none: the request context's
  std::optional<std::string> reason{};          // 0–1000 characters (line breaks allowed)
};

// Count filters (all given ones must match).
struct AuditLogFilter {
  std::optional<UserId> actor_id{};
  std::optional<std::string> action{};
  std::optional<std::string> resource_type{};
  std::optional<int64_t> resource_id{};
};

class AuditLogRepository {
 public:
  explicit AuditLogRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The entry with `id` (columns of `mask` plus id). NotFound "audit_logs: audit log entry 9 not found".
  absl::StatusOr<model::AuditLog> Get(const RequestContext& ctx, AuditLogId id,
                                      AuditLogFieldMask mask = AllAuditLogFields()) const;
  // The entries with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<AuditLogBatch> GetMany(const RequestContext& ctx, std::span<const AuditLogId> ids,
                                        AuditLogFieldMask mask = AllAuditLogFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, AuditLogId id) const;
  // Number of entries matching `filter` (every entry when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const AuditLogFilter& filter = {}) const;
  // A page of the entries about one entity, newest first (keyset over id; one statement).
  absl::StatusOr<query::Page<model::AuditLog>> ListByEntity(
      const RequestContext& ctx, std::string_view resource_type, int64_t resource_id,
      const query::PageRequest& page = {}, AuditLogFieldMask mask = AllAuditLogFields()) const;
  // A page of one actor's entries, newest first (keyset over id; one statement).
  absl::StatusOr<query::Page<model::AuditLog>> ListByActor(
      const RequestContext& ctx, UserId actor_id, const query::PageRequest& page = {},
      AuditLogFieldMask mask = AllAuditLogFields()) const;
  // Appends the entry (id from ServiceDeps::ids, created_at = now) at the end of the hash chain and
  // returns it as stored (with seq, prev_hash and hash): inside the request's transaction when `ctx`
  // has one, else in a transaction of its own. Appenders are serialized (PostgreSQL: a transaction-scoped
  // advisory lock; SQLite: its single writer), so the chain never forks. InvalidArgument naming the field;
  // FailedPrecondition when actor_id names no user.
  // (actor_id is not a foreign key: an entry keeps its actor's id after the account is deleted.)
  absl::StatusOr<model::AuditLog> Create(const RequestContext& ctx, const NewAuditLog& entry) const;
  // Always Unimplemented "update audit log: the audit log is append-only; entry 9 is never changed".
  absl::Status Update(const RequestContext& ctx, AuditLogId id) const;
  // Always Unimplemented "delete audit log: the audit log is append-only; entry 9 is never deleted".
  absl::Status Delete(const RequestContext& ctx, AuditLogId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
