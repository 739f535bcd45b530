#include "daira/services/audit_log.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "services/audit_chain.h"

namespace daira::inline v0::services {

absl::StatusOr<model::AuditLog> AuditLog::Append(const RequestContext& ctx, const NewAuditLog& entry) const {
  return repo_.Create(ctx, entry);
}

absl::StatusOr<AuditVerification> AuditLog::Verify(const RequestContext& ctx, int batch) const {
  if (batch < 1) batch = 1000;
  AuditVerification out;
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet unchained,
                         deps_.db->Execute(ctx, "SELECT count(*) FROM audit_logs WHERE seq IS NULL", {}));
  out.unchained = unchained.front().Int64(0);
  std::string prev(internal::kAuditGenesisHash);
  int64_t expected_seq = 1;
  for (;;) {
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        deps_.db->Execute(
            ctx,
            "SELECT seq, id, actor_id, action, resource_type, resource_id, changes, reason, ip_address, "
            "user_agent, correlation_id, created_at, prev_hash, hash FROM audit_logs "
            "WHERE seq >= ? ORDER BY seq LIMIT ?",
            {expected_seq, static_cast<int64_t>(batch)}));
    for (size_t i = 0; i < rs.size(); ++i) {
      const store::Row row = rs.row(i);
      internal::AuditChainFields f;
      f.seq = row.Int64(0);
      f.id = row.Int64(1);
      if (!row.IsNull(2)) f.actor_id = row.Int64(2);
      f.action = row.Text(3);
      f.resource_type = row.Text(4);
      if (!row.IsNull(5)) f.resource_id = row.Int64(5);
      f.changes = row.Json(6);
      if (!row.IsNull(7)) f.reason = row.Text(7);
      if (!row.IsNull(8)) f.ip_address = row.Text(8);
      if (!row.IsNull(9)) f.user_agent = row.Text(9);
      if (!row.IsNull(10)) f.correlation_id = row.Text(10);
      f.created_at = row.Int64(11);
      const std::string stored_prev = row.IsNull(12) ? std::string() : row.Text(12);
      const std::string stored_hash = row.IsNull(13) ? std::string() : row.Text(13);
      auto bad = [&](std::string problem) {
        out.first_bad_id = AuditLogId{f.id};
        out.first_bad_seq = f.seq;
        out.problem = std::move(problem);
        return out;
      };
      if (f.seq != expected_seq) {
        return bad(absl::StrCat("seq ", expected_seq, " is missing (next entry has seq ", f.seq, ")"));
      }
      if (stored_prev != prev) return bad("prev_hash does not match the previous entry's hash");
      if (internal::AuditHash(prev, f) != stored_hash) return bad("hash does not match the entry's content");
      prev = stored_hash;
      ++expected_seq;
      ++out.checked;
    }
    if (rs.size() < static_cast<size_t>(batch)) break;
  }
  return out;
}

}  // namespace daira::inline v0::services
