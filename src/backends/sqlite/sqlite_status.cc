#include "backends/sqlite/sqlite_status.h"

#include <sqlite3.h>

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/connection.h"

namespace daira::inline v0::backends::sqlite {

namespace {
constexpr size_t kMaxSqlInMessage = 200;

std::string TruncatedSql(std::string_view sql) {
  // Collapse whitespace runs so multi-line statements read on one line.
  std::string out;
  out.reserve(std::min(sql.size(), kMaxSqlInMessage + 3));
  bool space = false;
  for (char c : sql) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    if (out.size() >= kMaxSqlInMessage) {
      out += "...";
      break;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

absl::StatusCode SqliteCodeToStatusCode(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_DATATYPE:
      return absl::StatusCode::kInvalidArgument;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_OK:
      return absl::StatusCode::kOk;
    case SQLITE_CONSTRAINT:
    case SQLITE_READONLY:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return absl::StatusCode::kInvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_ABORT:
      return absl::StatusCode::kAborted;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_INTERRUPT:  // daira interrupts a statement only at its deadline (progress handler)
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kInternal;
  }
}

bool SqliteCodeBreaksConnection(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
      return true;
    default:
      return false;
  }
}

absl::Status SqliteErrorFromMessage(int extended_code, std::string_view op, std::string_view message,
                                    std::string_view sql) {
  absl::StatusCode code = SqliteCodeToStatusCode(extended_code);
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;  // an error was reported after all
  std::string text = absl::StrCat(ToAbsl(op), ": ", ToAbsl(message), " (sqlite ", extended_code, ": ",
                                  sqlite3_errstr(extended_code), ")");
  if (!sql.empty()) absl::StrAppend(&text, " in \"", TruncatedSql(sql), "\"");
  absl::Status status(code, text);
  status.SetPayload(ToAbsl(store::kSqlStatePayloadUrl), absl::Cord(absl::StrCat("sqlite:", extended_code)));
  return status;
}

absl::Status SqliteError(sqlite3* db, std::string_view op, std::string_view sql, int extended_code) {
  if (extended_code < 0) extended_code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(extended_code);
  return SqliteErrorFromMessage(extended_code, op, msg != nullptr ? msg : "", sql);
}

}  // namespace daira::inline v0::backends::sqlite
