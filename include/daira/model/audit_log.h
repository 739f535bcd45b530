// AuditLog: one entry of the append-only audit trail: who did what to which entity, with the changes
// as JSON and where the request came from.
//
//   DAIRA_ASSIGN_OR_RETURN(model::AuditLog e,
//                          audit.Create(ctx, {.actor_id = UserId{2}, .action = "user.ban",
//                                             .entity_type = "user", .entity_id = 7,
//                                             .changes = R"({"status":["ACTIVE","BANNED"]})"}));
//   e.created_at;                                     // when it was written
//
// Entries are never updated or deleted (services/audit_log_repository.h). An optional member is
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
  kEntityType,
  kEntityId,
  kChanges,
  kIpAddress,
  kUserAgent,
  kCorrelationId,
  kCreatedAt,
};

struct AuditLog {
  AuditLogId id;                              // always set
  std::optional<UserId> actor_id;             // nullopt for the system, or once the actor's account is gone
  std::optional<std::string> action;          // "user.ban", "wallet.payout", ...
  std::optional<std::string> entity_type;     // "user", "post", "wallet", ...
  std::optional<int64_t> entity_id;           // nullopt also when NULL
  std::optional<std::string> changes;         // a JSON object as text
  std::optional<std::string> ip_address;      // nullopt also when NULL
  std::optional<std::string> user_agent;      // nullopt also when NULL
  std::optional<std::string> correlation_id;  // the request's id (RequestContext); nullopt also when NULL
  std::optional<Clock::TimePoint> created_at;
};

}  // namespace daira::inline v0::model
