// AuditLog: the tamper-evident audit trail — append an entry in the caller's transaction, and verify
// the hash chain.
//
//   services::AuditLog audit(deps);
//   DAIRA_RETURN_IF_ERROR(deps.db->RunInTransaction(ctx, [&](store::Connection&) -> absl::Status {
//     ...the audited change...
//     return audit.Append(ctx, {.actor_id = admin, .action = "wallet.refund", .resource_type = "transaction",
//                               .resource_id = tx_id, .reason = "duplicate charge"}).status();
//   }));
//   DAIRA_ASSIGN_OR_RETURN(services::AuditVerification v, audit.Verify(ctx));
//   if (!v.ok()) std::cerr << "audit row " << v.first_bad_id->value << ": " << v.problem;
//
// Every entry carries seq (its position, 1, 2, ...), prev_hash (the previous entry's hash; 64 '0's for
// the first) and hash = SHA-256(prev_hash || canonical row content) (docs/moderation.md). Append runs
// inside the request's transaction when `ctx` has one, so the audited change and its entry commit or
// roll back together; appenders are serialized (PostgreSQL: a transaction-scoped advisory lock; SQLite:
// its single writer) so the chain never forks. The database refuses UPDATE and DELETE on audit_logs
// (triggers, migration 017); Verify finds a row changed behind those triggers' back.
//
// Thread-safety: AuditLog is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/audit_log.h"
#include "daira/model/ids.h"
#include "daira/services/audit_log_repository.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

// What Verify found.
struct AuditVerification {
  int64_t checked = 0;                     // chained entries whose hash was recomputed and matched
  int64_t unchained = 0;                   // entries written before migration 017 (no seq/hash)
  std::optional<AuditLogId> first_bad_id;  // the first entry (in chain order) that does not match
  std::optional<int64_t> first_bad_seq;    // its seq (or the seq expected there)
  std::string problem;                     // why ("hash does not match its content", "seq 7 missing", ...)
  bool ok() const { return !first_bad_id.has_value() && problem.empty(); }
};

class AuditLog {
 public:
  explicit AuditLog(const ServiceDeps& deps) : deps_(deps), repo_(deps) {}

  // Appends `entry` at the end of the chain (AuditLogRepository::Create) and returns it as stored.
  // InvalidArgument naming the field; FailedPrecondition when actor_id names no user.
  absl::StatusOr<model::AuditLog> Append(const RequestContext& ctx, const NewAuditLog& entry) const;

  // Walks the chain in seq order (pages of `batch` rows, on the primary) and recomputes every hash.
  // OK with a result saying whether the chain holds and, if not, the first entry that does not match
  // (changed content, a broken link to the previous hash, or a gap in seq — a deleted entry). Errors
  // only for database failures. Deleting the newest entries cannot be seen from the chain alone.
  absl::StatusOr<AuditVerification> Verify(const RequestContext& ctx, int batch = 1000) const;

  const AuditLogRepository& repository() const { return repo_; }

 private:
  ServiceDeps deps_;
  AuditLogRepository repo_;
};

}  // namespace daira::inline v0::services
