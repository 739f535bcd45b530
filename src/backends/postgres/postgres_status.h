// PostgreSQL errors → daira Status codes (SQLSTATE classes), kept free of libpq so tests can use it.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::backends {

// What a SQLSTATE means to daira: the status code, and what the connection must do about it.
struct PgErrorClass {
  absl::StatusCode code = absl::StatusCode::kInternal;
  // The session is gone or must not be reused (lost connection, server shutdown, or a read-only
  // server: the old primary after a failover): the pool discards the connection.
  bool discard_connection = false;
  // The server forgot a prepared statement (26000): prepare it again and rerun.
  bool reprepare = false;
};

// The one table of SQLSTATEs (exact codes first, then classes; see docs/reliability.md):
//   23505 → AlreadyExists; 23503 → FailedPrecondition; 23514/23502/22xxx → InvalidArgument;
//   25P02 (in failed transaction), 25001, 3Bxxx → FailedPrecondition;
//   25006 (read-only transaction: the old primary after a failover) → Unavailable, discard;
//   26000 (prepared statement does not exist) → Aborted, re-prepare;
//   40001/40P01 and class 40 → Aborted; 55P03 (lock not available) → Aborted;
//   53300 (too many connections) → Unavailable; other 53xxx (disk full, out of memory) → ResourceExhausted;
//   57014 (query cancelled) → DeadlineExceeded;
//   08xxx, 57P01..57P05 (server shut the session) → Unavailable, discard;
//   everything else (42xxx bad SQL included) → Internal.
PgErrorClass PgClassifySqlState(std::string_view sqlstate);

// PgClassifySqlState(sqlstate).code.
absl::StatusCode PgCodeForSqlState(std::string_view sqlstate);

// True when the SQLSTATE means the session is gone (08xxx, 57P01..57P05).
bool PgSqlStateMeansLostConnection(std::string_view sqlstate);

// "<message> (SQLSTATE xxxxx) in: <sql, truncated>" with the SQLSTATE as the kSqlStatePayloadUrl payload.
// `sqlstate` may be empty (client-side errors); `code` overrides the SQLSTATE mapping when not kOk.
absl::Status PgError(std::string_view sqlstate, std::string_view message, std::string_view sql,
                     absl::StatusCode code = absl::StatusCode::kOk);

}  // namespace daira::inline v0::backends
