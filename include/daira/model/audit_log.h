// AuditLog: one entry of the append-only audit trail: who did what to which entity, with the changes
// as JSON and where the request came from.
//
//   DAIRA_ASSIGN_OR_RETURN(model::AuditLog e,
//                          audit.Create(ctx, {.actor_id = UserId{2}, .action = "user.ban",
//                                             .resource_type = "user", .resource_id = 7,
//                                             .changes = R"({"status":["ACTIVE","BANNED"]})"}));
//   e.created_at;                                     // when it was written
//
// Entries are never updated or deleted (services/audit_log_repository.h; the database refuses it too)
// and each is hash-chained to the one before (services/audit_log.h verifies the chain). An optional member is
// std::nullopt when its column was not selected (and, for nullable columns, also when NULL); `id` is
// always present. changes is a JSON object as text (PostgreSQL normalizes its spelling).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daira/core/clock.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

// The columns of `audit_logs`, for field masks.
enum class AuditLogField {
  kId,
  kActorId,
  kAction,
  kResourceType,
  kResourceId,
  kChanges,
  kIpAddress,
  kUserAgent,
  kCorrelationId,
  kCreatedAt,
  kReason,
  kSeq,
  kPrevHash,
  kHash,
};

struct AuditLog {
  AuditLogId id;                              // always set
  std::optional<UserId> actor_id;             // nullopt for the system, or once the actor's account is gone
  std::optional<std::string> action;          // "user.ban", "wallet.payout", ...
  std::optional<std::string> resource_type;     // "user", "post", "wallet", ...
  std::optional<int64_t> resource_id;           // nullopt also when NULL
  std::optional<std::string> changes;         // a JSON object as text
  std::optional<std::string> ip_address;      // nullopt also when NULL
  std::optional<std::string> user_agent;      // nullopt also when NULL
  std::optional<std::string> correlation_id;  // the request's id (RequestContext); nullopt also when NULL
  std::optional<Clock::TimePoint> created_at;
  std::optional<std::string> reason;          // why (a moderator's reason, a refund's cause); nullopt also when NULL
  // The hash chain (docs/moderation.md): the entry's position (1, 2, ...), the previous entry's hash
  // (64 '0's for the first) and this entry's hash, lower-case hex SHA-256. nullopt for entries written
  // before migration 017 (unchained).
  std::optional<int64_t> seq;
  std::optional<std::string> prev_hash;
  std::optional<std::string> hash;
};

}  // namespace daira::inline v0::model
