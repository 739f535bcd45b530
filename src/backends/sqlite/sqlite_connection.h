// One SQLite database handle behind daira's store::Connection interface, with a per-connection cache
// of prepared statements keyed by SQL text.
//
// Bounded in time: waiting for the write lock (busy_timeout) ends at the bound too, and a progress
// handler stops a statement at the bound request's deadline or after
// statement_timeout, whichever is first (SQLITE_INTERRUPT → DeadlineExceeded naming the statement).
// Statement cache: at most statement_cache_size SQL texts (LRU, store/statement_cache.h), found by text
// or, for a store::SqlText, by its id; an evicted statement is finalized at
// once, and its object freed when the lease ends (TakeEvicted) — executed again meanwhile, it prepares
// itself again.
//
// Thread-safety: like every store::Connection, used by one thread at a time (the handle is opened
// with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "store/driver.h"
#include "store/statement_cache.h"

struct sqlite3;
struct sqlite3_stmt;

namespace daira::inline v0::backends::sqlite {

class SqliteConnection;

class SqliteStatement final : public store::Statement {
 public:
  SqliteStatement(SqliteConnection* conn, sqlite3_stmt* stmt, std::string sql);
  ~SqliteStatement() override;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  absl::StatusOr<store::ResultSet> Execute(store::Params params) override;
  using store::Statement::Execute;
  int ParameterCount() const override { return parameter_count_; }
  std::string_view sql() const override { return sql_; }

 private:
  friend class SqliteConnection;
  absl::Status Bind(store::Params params);
  const std::shared_ptr<const std::vector<std::string>>& ColumnNames(int columns);

  SqliteConnection* conn_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  int parameter_count_;
  std::shared_ptr<const std::vector<std::string>> columns_;  // cached result column names
  size_t last_rows_ = 0;  // rows of the previous execution: the next result reserves that many
  size_t last_arena_bytes_ = 0;  // text and blob bytes of the previous execution's result
  int reprepared_ = 0;           // SQLITE_STMTSTATUS_REPREPARE when cached
};

struct SqliteSettings {
  std::chrono::milliseconds statement_timeout{30000};  // 0: none
  std::chrono::milliseconds busy_timeout{5000};        // wait for the write lock (capped by the bound)
  int statement_cache_size = 256;
};

// WAL checkpoints off the commit path: a writer on a file hands them to this thread, which runs
// PASSIVE checkpoints (never waiting for readers or writers) on a connection of its own. With SQLite's
// default auto-checkpoint the COMMIT that crossed 1,000 WAL pages ran the checkpoint itself, two
// fdatasyncs included (synchronous=NORMAL), so about one write transaction in a few dozen paid
// milliseconds for it: the idle bus's enqueue → start p99. Thread-safe.
class WalCheckpointer {
 public:
  explicit WalCheckpointer(std::string path);
  ~WalCheckpointer();  // stops the thread and closes its connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  // Asks for a checkpoint; returns at once (requests made while one runs are folded into the next).
  void Request();
  // A PASSIVE checkpoint of `db` (the writer's own connection) now, after any background checkpoint
  // that is running has finished: the two never overlap, so this one is not turned away as BUSY by it.
  void CheckpointInline(sqlite3* db, const char* name);

 private:
  void Loop();
  const std::string path_;
  std::mutex run_mu_;  // held while a checkpoint runs (background or inline)
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;  // guarded by mu_
  bool stop_ = false;     // guarded by mu_
  std::thread thread_;
};

class SqliteConnection final : public store::Connection, public store::internal::ConnectionControl {
 public:
  // Takes ownership of `db` (closed in the destructor). `label` names the database in messages.
  SqliteConnection(sqlite3* db, std::string label, bool read_only, SqliteSettings settings = {});
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  store::Backend backend() const override { return store::Backend::kSqlite; }
  absl::StatusOr<store::Statement*> Prepare(std::string_view sql) override;
  absl::StatusOr<store::Statement*> Prepare(const store::SqlText& sql) override;
  absl::StatusOr<std::vector<store::ResultSet>> ExecuteBatch(std::span<const store::BatchStatement> batch) override;
  absl::Status ExecuteScript(std::string_view sql) override;
  absl::Status Begin(store::IsolationLevel isolation, bool immediate) override;
  absl::Status Commit() override;
  absl::Status Rollback() override;
  bool InTransaction() const override;
  absl::Status Ping() override;
  bool IsBroken() const override { return broken_; }
  int64_t statements_executed() const override { return statements_executed_; }

  // ConnectionControl.
  void BindRequest(const RequestContext* ctx) override { ctx_ = ctx; }
  std::vector<std::unique_ptr<store::Statement>> TakeEvicted() override;

  sqlite3* handle() const { return db_; }
  bool read_only() const { return read_only_; }
  const std::string& label() const { return label_; }
  size_t cached_statements() const { return cache_.size(); }
  // How long a statement waits for a lock (daira's busy handler; `PRAGMA busy_timeout` reads 0).
  std::chrono::milliseconds busy_timeout() const { return settings_.busy_timeout; }

  // For SqliteStatement: builds the status for a failed step/bind and notes fatal codes.
  absl::Status Fail(std::string_view op, std::string_view sql, int extended_code = -1);
  void CountStatement() { ++statements_executed_; }
  // Arms the progress handler for one statement: the request's deadline or now + statement_timeout.
  void StartStatement();
  void EndStatement() { bound_ = std::chrono::steady_clock::time_point::max(); }
  // The DeadlineExceeded status when the last step was interrupted by the bound, else null.
  bool TimedOut() const { return timed_out_; }
  absl::Status DeadlineError(std::string_view sql) const;

 private:
  // Compiles `sql` and caches it (remembered for `id`, 0: none), evicting past the cap.
  absl::StatusOr<store::Statement*> Compile(std::string_view sql, uint64_t id);
  absl::Status RunSimple(std::string_view sql, std::string_view op);
  static int OnProgress(void* self);
  // WAL hook (replaces SQLite's auto-checkpoint): past kCheckpointPages WAL pages the checkpoint is
  // requested from the background checkpointer; past kInlineCheckpointPages (the background one fell
  // behind) it runs here, on the committing connection, as SQLite's auto-checkpoint would.
  static int OnWal(void* self, sqlite3* db, const char* name, int pages);
  // Busy handler: waits for a lock like sqlite3_busy_timeout, but never past the statement's bound.
  static int OnBusy(void* self, int count);

  sqlite3* db_;
  std::string label_;
  bool read_only_;
  bool broken_ = false;
  int64_t statements_executed_ = 0;
  SqliteSettings settings_;
  const RequestContext* ctx_ = nullptr;
  std::chrono::steady_clock::time_point bound_ = std::chrono::steady_clock::time_point::max();
  bool bound_by_request_ = false;
  bool timed_out_ = false;
  bool cleanup_ = false;  // running ROLLBACK: not bounded by the request's deadline
  std::unique_ptr<WalCheckpointer> checkpointer_;  // writers on a file only
  store::internal::StatementCache<SqliteStatement> cache_;
  std::vector<std::unique_ptr<store::Statement>> evicted_;
};

}  // namespace daira::inline v0::backends::sqlite
