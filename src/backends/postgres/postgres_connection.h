// store::Connection over one libpq connection: a per-connection cache of server-side prepared
// statements, batches in pipeline mode (one round trip), transactions and replication probes.
//
// Parameter types: int64 binds as int8, double as float8, blobs as binary bytea, int arrays as int8[],
// text arrays as text[]; text, JSON and NULL leave the type to the server (so a text value can fill a
// varchar/jsonb/enum column). If the server rejects the explicit types (e.g. an int bound to a BOOLEAN
// column: SQLSTATE 42804/42883/42725) and no transaction is open, the statement is prepared again with
// every number/array type left to the server; inside a transaction the error is returned. A cached SQL text
// may hold several server-side statements ("d<N>"), one per distinct parameter-type signature it was executed
// with (NULL matches any).
//
// The first execution of a statement sends Parse + Bind/Execute in one pipeline (one round trip);
// later ones reuse the prepared statement. SQL errors therefore surface at Execute, not Prepare.
// When DDL changes a cached statement's result columns (SQLSTATE 0A000, "cached plan must not change
// result type"), the statement is prepared again and rerun — outside a transaction only, since the
// error aborts an open one.
//
// Generic plans: PostgreSQL switches a named statement to a generic plan after five executions,
// which can lose badly on skewed data. Set the session's plan_cache_mode through the URL's libpq
// `options` parameter where that matters, e.g.
//   postgres://app@host/db?options=-c%20plan_cache_mode%3Dforce_custom_plan
//
// Bounded in time: statements are sent non-blocking and the socket is polled until the bound request's
// deadline or statement_timeout (whichever is first); then the statement is cancelled (PQcancel, on a
// helper thread since libpq 15's cancel blocks), its results are drained within kCancelGrace, and
// DeadlineExceeded names the operation. A server that does not answer within the grace (frozen,
// unreachable) leaves the connection broken (the pool discards it). A COMMIT whose answer is lost
// returns Unavailable with the store::kCommitUnknownPayloadUrl payload.
//
// Statement cache: at most statement_cache_size SQL texts (LRU, store/statement_cache.h), found by
// text or, for a store::SqlText, by its id; an evicted one's server-side statements are DEALLOCATEd
// when the session is idle (outside a transaction), and the object itself is freed when the lease
// ends (TakeEvicted), so a pointer the caller still holds stays valid.
//
// Notices (RAISE NOTICE, warnings, FATAL messages of a dying session) go to daira's logger with their
// level, component "postgres", never to stderr.
//
// Thread-safety: one thread at a time (the pool guarantees it).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "store/driver.h"
#include "store/statement_cache.h"

struct pg_conn;  // libpq's PGconn, kept out of this header
struct pg_result;

namespace daira::inline v0::backends {

class PostgresConnection;

// How a column's text output decodes, by its type OID (postgres_connection.cc: KindOf).
enum class PgKind : uint8_t { kBool, kInt, kDouble, kBytea, kIntArray, kTextArray, kJson, kText };

class PostgresStatement final : public store::Statement {
 public:
  PostgresStatement(PostgresConnection* conn, std::string sql, std::string pg_sql, int param_count)
      : conn_(conn), sql_(std::move(sql)), pg_sql_(std::move(pg_sql)), param_count_(param_count) {}
  absl::StatusOr<store::ResultSet> Execute(store::Params params) override;
  int ParameterCount() const override { return param_count_; }
  std::string_view sql() const override { return sql_; }
  // Server-side statements prepared for this SQL text (one per parameter-type signature).
  int variant_count() const { return static_cast<int>(variants_.size()); }

 private:
  friend class PostgresConnection;
  struct Variant {
    std::vector<unsigned int> types;          // parameter type OIDs of the values it serves (0: inferred)
    std::vector<unsigned int> prepare_types;  // OIDs sent with Parse: `types`, or 0s after a type-mismatch retry
    bool inferred = false;                    // retried with server-inferred types
    std::string name;                         // server-side statement name
    bool prepared = false;            // the server holds it
    // Column names of its first result, shared by every ResultSet it produces, and how each column
    // decodes (shared by the results' PgResultSources). Fixed while the server holds the statement
    // (a changed row type is refused with 0A000); reset when it is forgotten or invalidated.
    std::shared_ptr<const std::vector<std::string>> columns;
    std::shared_ptr<const std::vector<PgKind>> column_kinds;
    // Every column of its first result is an integer (int2/int4/int8), bool or text type (text,
    // varchar, bpchar, name), so later executions ask for binary results (PgResultSource reads a
    // binary integer without strlen or parsing). Reset with `columns`.
    bool binary_results = false;
  };
  PostgresConnection* conn_;
  std::string sql_;     // as given, `?` placeholders
  std::string pg_sql_;  // $1..$n
  int param_count_;
  std::deque<Variant> variants_;  // deque: pointers stay valid as variants are added
};

struct PostgresSettings {
  std::chrono::milliseconds statement_timeout{30000};  // 0: none
  int statement_cache_size = 256;                      // SQL texts kept prepared
};

// libpq notice receiver: logs a notice/warning/FATAL message with its level. `arg` is the
// PostgresConnection (null while connecting).
void PgNoticeReceiver(void* arg, const pg_result* result);

class PostgresConnection final : public store::Connection,
                                 public store::internal::ConnectionControl,
                                 public store::internal::NotificationSource {
 public:
  // How long a cancelled statement's results (or a frozen server) are waited for after the deadline.
  static constexpr std::chrono::milliseconds kCancelGrace{1000};

  // Takes ownership of an open connection (switched to non-blocking mode here).
  explicit PostgresConnection(pg_conn* conn, PostgresSettings settings = {});
  ~PostgresConnection() override;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  store::Backend backend() const override { return store::Backend::kPostgres; }
  absl::StatusOr<store::Statement*> Prepare(std::string_view sql) override;
  absl::StatusOr<store::Statement*> Prepare(const store::SqlText& sql) override;
  absl::StatusOr<std::vector<store::ResultSet>> ExecuteBatch(std::span<const store::BatchStatement> batch) override;
  absl::Status ExecuteScript(std::string_view sql) override;
  absl::Status Begin(store::IsolationLevel isolation, bool immediate) override;
  absl::Status Commit() override;
  absl::Status Rollback() override;
  bool InTransaction() const override;
  absl::Status Ping() override;
  bool IsBroken() const override;
  absl::StatusOr<std::string> WritePosition() override;
  absl::StatusOr<bool> HasReplayed(std::string_view position) override;
  absl::StatusOr<int64_t> ReplicaLagMillis() override;
  int64_t statements_executed() const override { return statements_executed_; }

  // ConnectionControl.
  void BindRequest(const RequestContext* ctx) override { ctx_ = ctx; }
  std::vector<std::unique_ptr<store::Statement>> TakeEvicted() override;
  const RequestContext* request() const { return ctx_; }

  // NotificationSource (LISTEN/NOTIFY; run `LISTEN channel` first with ExecuteScript).
  absl::StatusOr<std::vector<std::string>> WaitForNotifications(std::chrono::milliseconds timeout,
                                                                int wake_fd) override;

  // Instrumentation for tests and benchmarks.
  int64_t round_trips() const { return round_trips_; }          // request/response exchanges with the server
  int64_t statements_prepared() const { return prepares_; }     // Parse messages sent (server-side prepares)
  int backend_pid() const;
  int cached_statements() const { return static_cast<int>(cache_.size()); }
  // The value libpq uses for a connection keyword (e.g. "keepalives_idle"), "" when unset.
  std::string ConnectionOption(std::string_view keyword) const;

 private:
  friend class PostgresStatement;
  struct Bound;  // parameter arrays for one execution
  absl::StatusOr<store::ResultSet> ExecuteStatement(PostgresStatement* st, store::Params params);
  // Sends every statement (Parse first for new ones) and one Sync; reads all results. `retry` allows
  // one transparent rerun (type fallback, re-prepare after a schema change) outside transactions.
  absl::StatusOr<std::vector<store::ResultSet>> RunPipeline(std::span<PostgresStatement* const> statements,
                                                           std::span<const store::Params> params,
                                                           bool retry = true);
  // Forgets the server-side statements of `st` (after "cached plan must not change result type").
  void Invalidate(PostgresStatement* st);
  // Marks the server-side statements of `st` as gone without telling the server (it forgot them: 26000).
  void Forget(PostgresStatement* st);
  // Finds or adds the variant of `st` for `types`/`params`.
  PostgresStatement::Variant* VariantFor(PostgresStatement* st, std::span<const unsigned int> types,
                                         store::Params params);
  absl::Status ExecSimple(std::string_view sql, pg_result** out = nullptr, bool request_deadline = true);

  // Time bounds. Begin() fixes the bound of one operation: the request's deadline or now +
  // statement_timeout, whichever is first.
  // Cleanup (ROLLBACK, DEALLOCATE) passes false: it must run even after the request's deadline, bounded
  // by statement_timeout only.
  void StartOperation(bool request_deadline = true);
  // Sends what libpq buffered, waiting for the socket until the bound. On timeout the connection is
  // broken (a message may be half sent) and DeadlineExceeded returned.
  absl::Status Flush(std::string_view op, std::string_view sql);
  // Waits until a result can be read without blocking; at the bound, Interrupt()s.
  absl::Status AwaitResult(std::string_view op, std::string_view sql);
  // Reads every result of a simple (non-pipeline) command until libpq's null; the first error result
  // wins, else the last. Null result when none arrived.
  absl::StatusOr<pg_result*> CollectResults(std::string_view op, std::string_view sql);
  // Cancels the running command, drains its results within kCancelGrace (marking the connection broken
  // when it cannot), and returns DeadlineExceeded naming `op`. `*completed_ok` (if given) is set when
  // every drained result was a success (the command finished before the cancel took effect).
  absl::Status Interrupt(std::string_view op, std::string_view sql, bool* completed_ok = nullptr);
  absl::Status DeadlineError(std::string_view op, std::string_view sql) const;
  // Sends DEALLOCATE for statements evicted from the cache, when no transaction is open.
  void FlushDeallocations();
  // Adds a statement for `sql` to the cache (remembered for `id`, 0: none), evicting past the cap.
  PostgresStatement* Add(std::string_view sql, uint64_t id);
  // Converts a failed result (or a failed send when `result` is null) into a Status; marks broken.
  absl::Status ErrorFrom(const pg_result* result, std::string_view sql);
  // Takes ownership of `result`: a result with rows keeps it as the ResultSet's cells (read in place,
  // see store/result_source.h). `variant` (may be null) caches the column names and types.
  absl::StatusOr<store::ResultSet> ToResultSet(pg_result* result, std::string_view sql,
                                               PostgresStatement::Variant* variant = nullptr);

  pg_conn* conn_;
  PostgresSettings settings_;
  bool broken_ = false;
  const RequestContext* ctx_ = nullptr;                 // bound request (BindRequest)
  std::chrono::steady_clock::time_point bound_{};       // the current operation's time bound
  bool bound_by_request_ = false;                       // the bound is the request's deadline
  bool interrupted_ok_ = false;                         // last Interrupt drained only successes
  store::internal::StatementCache<PostgresStatement> cache_;
  std::vector<std::unique_ptr<store::Statement>> evicted_;
  std::vector<std::string> pending_deallocate_;         // server-side names to DEALLOCATE
  int64_t next_statement_id_ = 0;
  int64_t statements_executed_ = 0;
  int64_t round_trips_ = 0;
  int64_t prepares_ = 0;
};

}  // namespace daira::inline v0::backends
