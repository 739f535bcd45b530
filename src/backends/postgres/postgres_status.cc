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

namespace {
using absl::StatusCode;

struct Entry {
  std::string_view sqlstate;  // a full code, or a two-character class
  PgErrorClass what;
};

// Exact codes are looked up before classes.
constexpr Entry kExact[] = {
    {"23505", {StatusCode::kAlreadyExists, false, false}},        // unique_violation
    {"23503", {StatusCode::kFailedPrecondition, false, false}},   // foreign_key_violation
    {"23514", {StatusCode::kInvalidArgument, false, false}},      // check_violation
    {"23001", {StatusCode::kFailedPrecondition, false, false}},   // restrict_violation (audit_logs is append-only)
    {"23502", {StatusCode::kInvalidArgument, false, false}},      // not_null_violation
    {"25P02", {StatusCode::kFailedPrecondition, false, false}},   // in_failed_sql_transaction
    {"25001", {StatusCode::kFailedPrecondition, false, false}},   // active_sql_transaction
    {"25006", {StatusCode::kUnavailable, true, false}},           // read_only_sql_transaction
    {"26000", {StatusCode::kAborted, false, true}},               // invalid_sql_statement_name
    {"40001", {StatusCode::kAborted, false, false}},              // serialization_failure
    {"40P01", {StatusCode::kAborted, false, false}},              // deadlock_detected
    {"53300", {StatusCode::kUnavailable, false, false}},          // too_many_connections
    {"55P03", {StatusCode::kAborted, false, false}},              // lock_not_available
    {"57014", {StatusCode::kDeadlineExceeded, false, false}},     // query_canceled
    {"57P01", {StatusCode::kUnavailable, true, false}},           // admin_shutdown
    {"57P02", {StatusCode::kUnavailable, true, false}},           // crash_shutdown
    {"57P03", {StatusCode::kUnavailable, true, false}},           // cannot_connect_now
    {"57P04", {StatusCode::kUnavailable, true, false}},           // database_dropped
    {"57P05", {StatusCode::kUnavailable, true, false}},           // idle_session_timeout
};
constexpr Entry kClasses[] = {
    {"08", {StatusCode::kUnavailable, true, false}},          // connection exception
    {"22", {StatusCode::kInvalidArgument, false, false}},     // data exception
    {"3B", {StatusCode::kFailedPrecondition, false, false}},  // savepoint exception
    {"40", {StatusCode::kAborted, false, false}},             // transaction rollback
    {"53", {StatusCode::kResourceExhausted, false, false}},   // insufficient resources
};
}  // namespace

PgErrorClass PgClassifySqlState(std::string_view s) {
  for (const Entry& e : kExact) {
    if (e.sqlstate == s) return e.what;
  }
  if (s.size() == 5) {
    for (const Entry& e : kClasses) {
      if (s.substr(0, 2) == e.sqlstate) return e.what;
    }
  }
  return PgErrorClass{};
}

bool PgSqlStateMeansLostConnection(std::string_view s) {
  return s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "57P04" ||
         s == "57P05";
}

absl::StatusCode PgCodeForSqlState(std::string_view s) { return PgClassifySqlState(s).code; }

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
