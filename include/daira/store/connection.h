// One SQL connection: prepared statements (cached per connection), batches, transactions.
//
// Callers rarely hold a Connection directly: they lease one from a Database (see database.h), which
// instruments it (statement counts, slow-statement log) and returns it to the pool.
//
//   DAIRA_ASSIGN_OR_RETURN(auto lease, db->Acquire(ctx));
//   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
//                          lease->Execute("SELECT username FROM users WHERE id = ?", {id}));
//   DAIRA_ASSIGN_OR_RETURN(store::Statement* st, lease->Prepare("INSERT INTO t (a) VALUES (?)"));
//   for (int i = 0; i < 3; ++i) DAIRA_RETURN_IF_ERROR(st->Execute({i}).status());
//
// Errors (both backends): unique violation → AlreadyExists; foreign key → FailedPrecondition;
// CHECK / NOT NULL / bad value → InvalidArgument; serialization failure, deadlock, SQLITE_BUSY/LOCKED
// → Aborted; lost connection → Unavailable (and IsBroken() turns true); syntax errors → Internal;
// a statement still running at the request's deadline (or the statement_timeout_ms option) is stopped
// → DeadlineExceeded; a COMMIT whose outcome is unknown → Unavailable with kCommitUnknownPayloadUrl.
// The SQLSTATE (Postgres) or extended result code (SQLite) rides as a payload (kSqlStatePayloadUrl).
//
// Thread-safety: a Connection is used by one thread at a time (the pool guarantees it).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/store/dialect.h"
#include "daira/store/result_set.h"
#include "daira/store/sql_text.h"
#include "daira/store/value.h"

namespace daira::inline v0::store {

inline constexpr std::string_view kSqlStatePayloadUrl = "daira.dev/sqlstate";

// The backend error code a status carries (SQLSTATE like "23505", or "sqlite:2067"), or "".
std::string StatusSqlState(const absl::Status& status);

// Payload of a COMMIT whose outcome is unknown: the connection was lost (or the server stopped
// answering) after COMMIT was sent, so the transaction may or may not have committed. Such a status
// is Unavailable, but it does NOT mean "retry the call": a blind retry may apply the work twice. The
// caller must check whether the work landed (e.g. by an idempotency key) before doing it again.
inline constexpr std::string_view kCommitUnknownPayloadUrl = "daira.dev/commit-unknown";

// True when `status` carries kCommitUnknownPayloadUrl (see above).
bool IsCommitOutcomeUnknown(const absl::Status& status);
// `cause` turned into Unavailable "commit: outcome unknown ..." with kCommitUnknownPayloadUrl (and
// cause's payloads kept). For backends.
absl::Status CommitOutcomeUnknown(const absl::Status& cause);

enum class IsolationLevel { kDefault, kReadCommitted, kRepeatableRead, kSerializable };

using Params = std::span<const Value>;

// A statement prepared on one connection and owned by that connection's cache; valid until the
// connection closes. Reusing it skips parsing and planning.
class Statement {
 public:
  virtual ~Statement() = default;
  // Binds `params` (exactly ParameterCount() of them, else InvalidArgument) and runs the statement.
  virtual absl::StatusOr<ResultSet> Execute(Params params) = 0;
  absl::StatusOr<ResultSet> Execute(std::initializer_list<Value> params) {
    return Execute(Params(params.begin(), params.size()));
  }
  virtual int ParameterCount() const = 0;
  virtual std::string_view sql() const = 0;
};

// One statement of a batch.
struct BatchStatement {
  std::string sql;
  std::vector<Value> params;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  const Dialect& dialect() const;

  // Prepares `sql` (`?` placeholders) or returns the cached statement for the same text.
  virtual absl::StatusOr<Statement*> Prepare(std::string_view sql) = 0;
  // The same for a text with a stable identity (sql_text.h): the cached statement is found by its id,
  // without hashing the text. Same statement, same errors as Prepare(sql.view()), which is what a
  // backend without an id-keyed cache does.
  virtual absl::StatusOr<Statement*> Prepare(const SqlText& sql) { return Prepare(sql.view()); }
  // Prepare + Execute.
  absl::StatusOr<ResultSet> Execute(std::string_view sql, Params params = {});
  absl::StatusOr<ResultSet> Execute(const SqlText& sql, Params params = {});
  absl::StatusOr<ResultSet> Execute(const SqlText& sql, std::initializer_list<Value> params) {
    return Execute(sql, Params(params.begin(), params.size()));
  }
  absl::StatusOr<ResultSet> Execute(std::string_view sql, std::initializer_list<Value> params) {
    return Execute(sql, Params(params.begin(), params.size()));
  }
  // Runs every statement and returns their results in order, in as few round trips as the backend
  // allows (one, in Postgres pipeline mode). Stops at the first failure and returns it; statements
  // before it have run (wrap the batch in a transaction for all-or-nothing).
  virtual absl::StatusOr<std::vector<ResultSet>> ExecuteBatch(std::span<const BatchStatement> batch) = 0;
  // Runs a script of ';'-separated statements without parameters (migrations, DDL).
  virtual absl::Status ExecuteScript(std::string_view sql) = 0;

  // Transactions. Prefer store::Transaction (RAII) over calling these directly.
  // `immediate` (SQLite) takes the write lock at BEGIN (BEGIN IMMEDIATE) so a writer never fails later
  // with SQLITE_BUSY on upgrade; Postgres ignores it.
  virtual absl::Status Begin(IsolationLevel isolation = IsolationLevel::kDefault, bool immediate = true) = 0;
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;
  virtual bool InTransaction() const = 0;

  // A cheap round trip proving the connection works (SELECT 1).
  virtual absl::Status Ping() = 0;
  // True once the connection is known unusable (lost socket); the pool then discards it.
  virtual bool IsBroken() const = 0;

  // Replication (Postgres; SQLite returns "" / true). The primary's current write position (LSN).
  virtual absl::StatusOr<std::string> WritePosition() { return std::string(); }
  // On a replica: has it replayed up to `position`?
  virtual absl::StatusOr<bool> HasReplayed(std::string_view /*position*/) { return true; }
  // On a replica: replay lag in milliseconds (0 when caught up or not a replica).
  virtual absl::StatusOr<int64_t> ReplicaLagMillis() { return int64_t{0}; }

  // Statements executed on this connection since it opened.
  virtual int64_t statements_executed() const = 0;
};

}  // namespace daira::inline v0::store
