// SessionRepository: field-masked reads of `user_sessions` (login sessions) — get, batch get, exists,
// count, and the sessions of a user (newest first) or of one login's rotation family (oldest first).
//
//   services::SessionRepository sessions(deps);
//   DAIRA_ASSIGN_OR_RETURN(model::UserSessionRecord s, sessions.Get(ctx, SessionId{9}));
//   s.refresh_token_hash;   // std::nullopt: the token hashes are sensitive (not in AllSessionFields())
//   auto audit = services::SessionFieldMask{model::UserSessionField::kRefreshTokenHash};
//   DAIRA_ASSIGN_OR_RETURN(s, sessions.Get(ctx, SessionId{9}, audit));   // asked by name: selected
//   DAIRA_ASSIGN_OR_RETURN(auto page, sessions.ListByUser(ctx, UserId{7}, {.limit = 20}));
//   DAIRA_ASSIGN_OR_RETURN(int64_t live, sessions.Count(ctx, {.user_id = UserId{7}, .revoked = false}));
//
// Read-only on purpose: tokens are issued, hashed, rotated (with reuse detection revoking the whole
// family) and revoked by services::Accounts (services/accounts.h) — the only code that ever sees a raw
// token. There is deliberately no lookup by token or by token hash here: Accounts parses the session id
// out of a token and compares hashes in constant time; a hash lookup would invite callers to hash (or
// pass) raw tokens themselves. refresh_token_hash and access_token_hash are selected only when a mask
// names them.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica). Bad input is InvalidArgument naming the field; nothing runs.
//
// Thread-safety: SessionRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/account_records.h"
#include "daira/model/ids.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using SessionFieldMask = query::FieldMask<model::UserSessionField>;

// The column table of `user_sessions` (id is the primary key; the two token hashes are sensitive).
const query::FieldTable<model::UserSessionField>& SessionColumns();
// Every column of `user_sessions` except the token hashes.
SessionFieldMask AllSessionFields();

struct SessionBatch {
  std::vector<model::UserSessionRecord> sessions;  // found, in the caller's order (duplicates once)
  std::vector<SessionId> missing;                  // ids with no row
};

// Count filters (all given ones must match; ids must be > 0).
struct SessionFilter {
  std::optional<UserId> user_id{};
  std::optional<int64_t> family_id{};
  std::optional<bool> revoked{};  // true: revoked_at set (logged out or rotated); false: not revoked
};

class SessionRepository {
 public:
  explicit SessionRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The session with `id` (columns of `mask` plus id). NotFound "user_sessions: session 9 not found".
  absl::StatusOr<model::UserSessionRecord> Get(const RequestContext& ctx, SessionId id,
                                               SessionFieldMask mask = AllSessionFields()) const;
  // The sessions with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<SessionBatch> GetMany(const RequestContext& ctx, std::span<const SessionId> ids,
                                       SessionFieldMask mask = AllSessionFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, SessionId id) const;
  // Number of sessions matching `filter` (every session when empty). InvalidArgument naming user_id /
  // family_id (≤ 0).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const SessionFilter& filter = {}) const;
  // A page of `user`'s sessions of every state, newest first (keyset over id; one statement; index
  // user_sessions_user_idx). InvalidArgument naming user_id, "limit" or "cursor".
  absl::StatusOr<query::Page<model::UserSessionRecord>> ListByUser(
      const RequestContext& ctx, UserId user, const query::PageRequest& page = {},
      SessionFieldMask mask = AllSessionFields()) const;
  // A page of the sessions of one login (`family_id` = the first session's id), oldest first: the
  // rotation chain (keyset over id; one statement; index user_sessions_family_idx). InvalidArgument
  // naming family_id, "limit" or "cursor".
  absl::StatusOr<query::Page<model::UserSessionRecord>> ListByFamily(
      const RequestContext& ctx, int64_t family_id, const query::PageRequest& page = {},
      SessionFieldMask mask = AllSessionFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
