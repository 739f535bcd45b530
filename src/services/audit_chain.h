// The audit log's hash chain (private): the canonical content of an entry and its hash.
//
//   hash = hex(SHA-256(prev_hash || Canonical(entry)))
//
// Canonical(entry) lists, in this order, seq, id, actor_id, action, resource_type, resource_id,
// changes, reason, ip_address, user_agent, correlation_id, created_at; each field is "N" when NULL,
// else "<byte length>:<bytes>" (integers in decimal), so no two different rows share a spelling.
// `changes` is hashed as the database spells it back (PostgreSQL normalizes JSONB).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace daira::inline v0::services::internal {

// prev_hash of the first chained entry.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditChainFields {
  int64_t seq = 0;
  int64_t id = 0;
  std::optional<int64_t> actor_id;
  std::string action;
  std::string resource_type;
  std::optional<int64_t> resource_id;
  std::string changes;
  std::optional<std::string> reason;
  std::optional<std::string> ip_address;
  std::optional<std::string> user_agent;
  std::optional<std::string> correlation_id;
  int64_t created_at = 0;
};

std::string AuditCanonical(const AuditChainFields& f);
// Lower-case hex SHA-256 of prev_hash || AuditCanonical(f).
std::string AuditHash(std::string_view prev_hash, const AuditChainFields& f);

}  // namespace daira::inline v0::services::internal
