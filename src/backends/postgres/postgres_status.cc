#include "backends/postgres/postgres_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/connection.h"

namespace daira::inline v0::backends {

namespace {
constexpr size_t kMaxSqlInMessage = 200;

std::string_view TrimMessage(std::string_view m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.remove_suffix(1);
  return m;
}
}  // namespace

bool PgSqlStateMeansLostConnection(std::string_view s) {
  return s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03";
}

absl::StatusCode PgCodeForSqlState(std::string_view s) {
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (s == "23503") return absl::StatusCode::kFailedPrecondition;
  if (s == "23514" || s == "23502" || s.substr(0, 2) == "22") return absl::StatusCode::kInvalidArgument;
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (s == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (PgSqlStateMeansLostConnection(s)) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kInternal;  // 42xxx (bad SQL) and everything else
}

absl::Status PgError(std::string_view sqlstate, std::string_view message, std::string_view sql,
                     absl::StatusCode code) {
  if (code == absl::StatusCode::kOk) code = PgCodeForSqlState(sqlstate);
  message = TrimMessage(message);
  if (message.empty()) message = "postgres error";
  std::string text(message);
  if (!sqlstate.empty()) absl::StrAppend(&text, " (SQLSTATE ", ToAbsl(sqlstate), ")");
  if (!sql.empty()) {
    absl::StrAppend(&text, " in: ", ToAbsl(sql.substr(0, kMaxSqlInMessage)));
    if (sql.size() > kMaxSqlInMessage) absl::StrAppend(&text, "...");
  }
  absl::Status status(code, text);
  if (!sqlstate.empty()) status.SetPayload(ToAbsl(store::kSqlStatePayloadUrl), absl::Cord(ToAbsl(sqlstate)));
  return status;
}

}  // namespace daira::inline v0::backends
