// Maps SQLite result codes onto daira's absl::Status conventions (see daira/store/connection.h).
#pragma once

#include <string_view>

#include "absl/status/status.h"

struct sqlite3;

namespace daira::inline v0::backends::sqlite {

// The absl code for an (extended) SQLite result code:
//   CONSTRAINT_UNIQUE / _PRIMARYKEY / _ROWID → AlreadyExists; _FOREIGNKEY → FailedPrecondition;
//   _CHECK / _NOTNULL / _DATATYPE, MISMATCH, TOOBIG, RANGE → InvalidArgument; BUSY / LOCKED / ABORT → Aborted;
//   CANTOPEN / IOERR → Unavailable; CORRUPT / NOTADB → DataLoss; FULL / NOMEM → ResourceExhausted;
//   READONLY, other constraints → FailedPrecondition; INTERRUPT → DeadlineExceeded; ERROR (syntax, no such table) and
//   everything else → Internal.
absl::StatusCode SqliteCodeToStatusCode(int extended_code);

// True for result codes after which the connection must not be reused (CORRUPT, NOTADB, IOERR).
bool SqliteCodeBreaksConnection(int extended_code);

// A status for a failure of `op` on `db`: "<op>: <sqlite3_errmsg> (sqlite <code>: <errstr>) in \"<sql>\""
// with the SQL truncated, and the payload kSqlStatePayloadUrl = "sqlite:<extended code>".
// `extended_code` is taken from the database handle when it is -1.
absl::Status SqliteError(sqlite3* db, std::string_view op, std::string_view sql, int extended_code = -1);

// The same from a message already in hand (sqlite3_exec's error string, open failures).
absl::Status SqliteErrorFromMessage(int extended_code, std::string_view op, std::string_view message,
                                    std::string_view sql);

}  // namespace daira::inline v0::backends::sqlite
