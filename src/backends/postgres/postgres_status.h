// PostgreSQL errors → daira Status codes (SQLSTATE classes), kept free of libpq so tests can use it.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::backends {

// The daira code for a SQLSTATE (see store/connection.h for the mapping rules):
// 23505 → AlreadyExists; 23503 → FailedPrecondition; 23514/23502/22xxx → InvalidArgument;
// 40001/40P01 → Aborted; 57014 → DeadlineExceeded; 08xxx and 57P01..57P03 (server shut the session)
// → Unavailable; everything else (42xxx bad SQL included) → Internal.
absl::StatusCode PgCodeForSqlState(std::string_view sqlstate);

// True when the SQLSTATE means the session is gone (08xxx, 57P01..57P03).
bool PgSqlStateMeansLostConnection(std::string_view sqlstate);

// "<message> (SQLSTATE xxxxx) in: <sql, truncated>" with the SQLSTATE as the kSqlStatePayloadUrl payload.
// `sqlstate` may be empty (client-side errors); `code` overrides the SQLSTATE mapping when not kOk.
absl::Status PgError(std::string_view sqlstate, std::string_view message, std::string_view sql,
                     absl::StatusCode code = absl::StatusCode::kOk);

}  // namespace daira::inline v0::backends
