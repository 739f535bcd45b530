#include "backends/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "backends/sqlite/sqlite_status.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "store/result_source.h"

namespace daira::inline v0::backends::sqlite {

namespace {

// Arrays bind as JSON array text so `json_each(?)` (Dialect::InArray) and JSON columns work.
std::string Int64ArrayJson(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, values[i]);
  }
  out.push_back(']');
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

std::string TextArrayJson(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(&out, values[i]);
  }
  out.push_back(']');
  return out;
}

// Resets a statement and clears its bindings on every path out of Execute.
class ResetGuard {
 public:
  explicit ResetGuard(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetGuard() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// One cell of a SqliteResultSource: an integer or a double in `word`, text and blobs as `size` bytes at
// offset `word` of the source's arena.
struct SqliteCell {
  int64_t word;
  uint32_t size;  // text / blob bytes (SQLite's limit on a value is below 2^31)
  uint8_t type;   // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL
};

// A SQLite result read in place (store::ResultSource). SQLite hands out a row's cells only until the
// next step, so the step loop copies each row once into flat storage: one 16-byte cell per column and
// the text and blob bytes in one arena per result. No cell becomes a Value (a string allocated per text
// cell, freed with the result) unless someone asks for the Value (ResultSet::at); the typed Row
// accessors read the cells as they are.
class SqliteResultSource final : public store::ResultSource {
 public:
  SqliteResultSource(std::vector<SqliteCell> cells, std::string arena, int columns)
      : cells_(std::move(cells)), arena_(std::move(arena)), columns_(static_cast<size_t>(columns)) {}

  bool IsNullAt(size_t row, int col) const override { return At(row, col).type == SQLITE_NULL; }

  Cell CellAt(size_t row, int col) const override {
    const SqliteCell& c = At(row, col);
    switch (c.type) {
      case SQLITE_INTEGER:
        return Cell::Int64(c.word);
      case SQLITE_TEXT:
        return Cell::Text(Bytes(c));
      case SQLITE_NULL:
        return Cell::Null();
      default:
        return Cell::Other();
    }
  }

  // What a result held before cells stayed in place: integers, doubles, text, blobs as SQLite typed them.
  store::Value ValueAt(size_t row, int col) const override {
    const SqliteCell& c = At(row, col);
    switch (c.type) {
      case SQLITE_INTEGER:
        return store::Value(c.word);
      case SQLITE_FLOAT:
        return store::Value(std::bit_cast<double>(c.word));
      case SQLITE_TEXT:
        return store::Value(std::string(Bytes(c)));
      case SQLITE_BLOB:
        return store::Value::Blob(std::string(Bytes(c)));
      default:
        return store::Value();
    }
  }

 private:
  const SqliteCell& At(size_t row, int col) const {
    return cells_[row * columns_ + static_cast<size_t>(col)];
  }
  std::string_view Bytes(const SqliteCell& c) const {
    return std::string_view(arena_.data() + c.word, c.size);
  }

  std::vector<SqliteCell> cells_;  // row-major
  std::string arena_;
  size_t columns_;
};

// Appends the current row of `stmt` (`columns` cells) to `cells` and `arena`. The row's values come
// from sqlite3_column_value: one checked call per cell where sqlite3_column_type/_text/_bytes are three
// (each takes the connection's mutex and checks for an allocation failure). The returned value is
// "unprotected", which matters only for a connection shared by threads at once; a daira connection is
// used by one thread at a time.
void AppendRow(sqlite3_stmt* stmt, int columns, std::vector<SqliteCell>* cells, std::string* arena) {
  for (int c = 0; c < columns; ++c) {
    sqlite3_value* v = sqlite3_column_value(stmt, c);
    SqliteCell& cell = cells->emplace_back();
    cell.type = static_cast<uint8_t>(sqlite3_value_type(v));
    cell.size = 0;
    switch (cell.type) {
      case SQLITE_INTEGER:
        cell.word = sqlite3_value_int64(v);
        break;
      case SQLITE_FLOAT:
        cell.word = std::bit_cast<int64_t>(sqlite3_value_double(v));
        break;
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const void* p = cell.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_value_text(v))
                                                 : sqlite3_value_blob(v);
        const int n = sqlite3_value_bytes(v);
        cell.word = static_cast<int64_t>(arena->size());
        if (p != nullptr && n > 0) {
          cell.size = static_cast<uint32_t>(n);
          arena->append(static_cast<const char*>(p), static_cast<size_t>(n));
        }
        break;
      }
      default:
        cell.type = SQLITE_NULL;
        cell.word = 0;
        break;
    }
  }
}

bool OnlyWhitespace(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// SqliteStatement

SqliteStatement::SqliteStatement(SqliteConnection* conn, sqlite3_stmt* stmt, std::string sql)
    : conn_(conn), stmt_(stmt), sql_(std::move(sql)), parameter_count_(sqlite3_bind_parameter_count(stmt)) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }  // null after eviction: a no-op

const std::shared_ptr<const std::vector<std::string>>& SqliteStatement::ColumnNames(int columns) {
  // The names are cached; SQLite re-prepares a statement after a schema change (SELECT * may then
  // yield other columns), which SQLITE_STMTSTATUS_REPREPARE counts.
  const int reprepared = sqlite3_stmt_status(stmt_, SQLITE_STMTSTATUS_REPREPARE, 0);
  if (columns_ == nullptr || reprepared != reprepared_ || static_cast<int>(columns_->size()) != columns) {
    std::vector<std::string> names;
    names.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      const char* name = sqlite3_column_name(stmt_, c);
      names.emplace_back(name != nullptr ? name : "");
    }
    columns_ = std::make_shared<const std::vector<std::string>>(std::move(names));
    reprepared_ = reprepared;
  }
  return columns_;
}

absl::Status SqliteStatement::Bind(store::Params params) {
  if (static_cast<int>(params.size()) != parameter_count_) {
    return absl::InvalidArgumentError(absl::StrCat("sqlite execute: params count does not match the ",
                                                   parameter_count_, " placeholders of \"", sql_.substr(0, 200),
                                                   "\" (got ", params.size(), ")"));
  }
  for (int i = 0; i < parameter_count_; ++i) {
    const store::Value& v = params[i];
    const int idx = i + 1;
    int rc = SQLITE_OK;
    switch (v.type()) {
      case store::ValueType::kNull:
        rc = sqlite3_bind_null(stmt_, idx);
        break;
      case store::ValueType::kInt64:
        rc = sqlite3_bind_int64(stmt_, idx, v.int64());
        break;
      case store::ValueType::kDouble:
        rc = sqlite3_bind_double(stmt_, idx, v.dbl());
        break;
      case store::ValueType::kText:
        // The caller's params outlive the step loop: no copy.
        rc = sqlite3_bind_text64(stmt_, idx, v.text().data(), v.text().size(), SQLITE_STATIC, SQLITE_UTF8);
        break;
      case store::ValueType::kBlob:
        // A null data pointer would bind NULL, so an empty blob is a zero-length zeroblob.
        rc = v.blob().empty() ? sqlite3_bind_zeroblob(stmt_, idx, 0)
                              : sqlite3_bind_blob64(stmt_, idx, v.blob().data(), v.blob().size(), SQLITE_STATIC);
        break;
      case store::ValueType::kJson:
        rc = sqlite3_bind_text64(stmt_, idx, v.json().data(), v.json().size(), SQLITE_STATIC, SQLITE_UTF8);
        break;
      case store::ValueType::kInt64Array: {
        std::string json = Int64ArrayJson(v.int64_array());
        rc = sqlite3_bind_text64(stmt_, idx, json.data(), json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
      }
      case store::ValueType::kTextArray: {
        std::string json = TextArrayJson(v.text_array());
        rc = sqlite3_bind_text64(stmt_, idx, json.data(), json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
      }
    }
    if (rc != SQLITE_OK) {
      return conn_->Fail(absl::StrCat("sqlite bind parameter ", idx), sql_, rc);
    }
  }
  return absl::OkStatus();
}

// GCC 12 reports a false -Wmaybe-uninitialized when a freshly built Value (a std::variant) is moved into
// the result set; the alternatives are always initialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
absl::StatusOr<store::ResultSet> SqliteStatement::Execute(store::Params params) {
  if (stmt_ == nullptr) {
    // Evicted from the cache while the caller still held it: prepare it again (finalized when freed).
    int rc = sqlite3_prepare_v3(conn_->handle(), sql_.data(), static_cast<int>(sql_.size()), 0, &stmt_, nullptr);
    if (rc != SQLITE_OK || stmt_ == nullptr) {
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      return conn_->Fail("sqlite prepare", sql_);
    }
    columns_.reset();
  }
  ResetGuard guard(stmt_);
  DAIRA_RETURN_IF_ERROR(Bind(params));
  conn_->CountStatement();
  conn_->StartStatement();
  struct EndGuard {
    SqliteConnection* c;
    ~EndGuard() { c->EndStatement(); }
  } end_guard{conn_};

  sqlite3* db = conn_->handle();
  const int64_t total_before = sqlite3_total_changes64(db);
  int rc = sqlite3_step(stmt_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    if (conn_->TimedOut()) return conn_->DeadlineError(sql_);
    return conn_->Fail("sqlite execute", sql_);
  }
  // Columns are read after the first step: a schema change re-prepares the statement there, and
  // `SELECT *` may then have other columns than at Prepare.
  const int columns = sqlite3_column_count(stmt_);
  // SQLite cannot tell how many rows will come; a prepared statement usually returns about as many
  // (and as many bytes of text) as last time, so reserve that and skip the regrowth.
  std::vector<SqliteCell> cells;
  std::string arena;
  if (rc == SQLITE_ROW && columns > 0) {
    cells.reserve(std::max<size_t>(last_rows_, 1) * static_cast<size_t>(columns));
    arena.reserve(last_arena_bytes_);
  }
  size_t rows = 0;
  for (; rc != SQLITE_DONE; rc = sqlite3_step(stmt_)) {
    if (rc != SQLITE_ROW) {
      if (conn_->TimedOut()) return conn_->DeadlineError(sql_);
      return conn_->Fail("sqlite execute", sql_);
    }
    AppendRow(stmt_, columns, &cells, &arena);
    ++rows;
  }
  last_rows_ = rows;
  last_arena_bytes_ = arena.size();
  store::ResultSet rs = rows == 0 ? store::ResultSet(ColumnNames(columns))
                                  : store::ResultSet(ColumnNames(columns),
                                                     std::make_shared<const SqliteResultSource>(
                                                         std::move(cells), std::move(arena), columns),
                                                     rows);
  // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, so it is only this statement's
  // when the statement changed something.
  if (sqlite3_total_changes64(db) != total_before) rs.set_rows_affected(sqlite3_changes64(db));
  return rs;
}
#pragma GCC diagnostic pop

// ---------------------------------------------------------------------------------------------------
// SqliteConnection

// How many SQLite VM instructions run between two looks at the clock (a few microseconds of work).
constexpr int kProgressInstructions = 1000;

// SQLite's default auto-checkpoint threshold, and the WAL size at which the writer checkpoints inline.
// A PASSIVE checkpoint beside a writer that keeps committing copies the frames but the WAL restarts from
// its beginning only when a write finds every frame copied: under a steady stream of commits that takes
// an inline checkpoint (one in ~10,000 pages instead of one in 1,000; the WAL grows to about 40 MiB of
// 4 KiB pages then), while a writer that pauses (an idle bus) finds the WAL copied and restarts it.
constexpr int kCheckpointPages = 1000;
constexpr int kInlineCheckpointPages = 10000;

WalCheckpointer::WalCheckpointer(std::string path) : path_(std::move(path)) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::Request() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_) return;
    pending_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });  // at the first request
  }
  cv_.notify_all();
}

void WalCheckpointer::Loop() {
  sqlite3* db = nullptr;  // opened at the first request (the writer has switched the file to WAL by then)
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || pending_; });
    if (stop_) break;
    pending_ = false;
    lock.unlock();
    // (A read first: a connection learns that the file is in WAL mode only once it has read it; before,
    // a checkpoint on it does nothing.)
    if (db == nullptr &&
        (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
             SQLITE_OK ||
         sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK)) {
      Log(LogLevel::kWarning, "store",
          absl::StrCat("sqlite: background checkpoint: cannot open \"", path_, "\": ", sqlite3_errmsg(db)));
      sqlite3_close_v2(db);
      db = nullptr;
    }
    if (db != nullptr) {
      // PASSIVE: copies what it can without waiting for anyone; a frame a reader still needs stays for
      // the next request (and past kInlineCheckpointPages the writer checkpoints itself).
      int rc;
      {
        std::lock_guard<std::mutex> run(run_mu_);
        rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
      if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
        Log(LogLevel::kWarning, "store",
            absl::StrCat("sqlite: background checkpoint of \"", path_, "\": ", sqlite3_errmsg(db)));
      }
    }
    lock.lock();
  }
  lock.unlock();
  if (db != nullptr) sqlite3_close_v2(db);
}

void WalCheckpointer::CheckpointInline(sqlite3* db, const char* name) {
  std::lock_guard<std::mutex> run(run_mu_);
  sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

SqliteConnection::SqliteConnection(sqlite3* db, std::string label, bool read_only, SqliteSettings settings)
    : db_(db),
      label_(std::move(label)),
      read_only_(read_only),
      settings_(settings),
      cache_(settings.statement_cache_size) {
  sqlite3_progress_handler(db_, kProgressInstructions, &SqliteConnection::OnProgress, this);
  sqlite3_busy_handler(db_, &SqliteConnection::OnBusy, this);
  const char* file = sqlite3_db_filename(db_, "main");
  if (!read_only_ && file != nullptr && *file != '\0') {
    checkpointer_ = std::make_unique<WalCheckpointer>(file);
    sqlite3_wal_hook(db_, &SqliteConnection::OnWal, this);  // replaces the auto-checkpoint
  }
}

int SqliteConnection::OnWal(void* self, sqlite3* db, const char* name, int pages) {
  auto* c = static_cast<SqliteConnection*>(self);
  if (pages < kCheckpointPages) return SQLITE_OK;
  if (pages < kInlineCheckpointPages) {
    c->checkpointer_->Request();
    return SQLITE_OK;
  }
  // The background checkpointer fell behind (or readers held it back): bound the WAL here. Waiting for a
  // background checkpoint that is still running (slow storage: its sync) instead of being turned away
  // by it — a PASSIVE checkpoint returns BUSY at once while another runs — is what bounds the WAL: under
  // an fsync-heavy neighbour the WAL grew to every page written (~25,000 of them in
  // SqliteConnectionTest.BackgroundCheckpointsKeepTheWalBounded) while the writer's attempts bounced.
  c->checkpointer_->CheckpointInline(db, name);
  return SQLITE_OK;
}

int SqliteConnection::OnBusy(void* self, int count) {
  // First 20 short sleeps of 100 µs (2 ms): the writer holding the lock is most often another
  // connection of this process in a short transaction (a WAL commit takes well under a millisecond), so
  // looking again every 100 µs takes the lock over almost at once — SQLite's own schedule would sleep
  // 1, 2, 5 ms first (an idle bus's claim right behind an ack commit waited up to 8 ms). Then SQLite's
  // sqlite3_busy_timeout schedule (ms), repeated at its last step.
  static constexpr int kFastSteps = 20;
  static constexpr int64_t kFastUs = 100;
  static constexpr int kDelays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  static constexpr int kSteps = sizeof(kDelays) / sizeof(kDelays[0]);
  auto step_us = [](int i) -> int64_t {
    return i < kFastSteps ? kFastUs : int64_t{1000} * kDelays[std::min(i - kFastSteps, kSteps - 1)];
  };
  auto* c = static_cast<SqliteConnection*>(self);
  int64_t waited_us = 0;
  for (int i = 0; i < count; ++i) waited_us += step_us(i);
  int64_t delay_us = step_us(count);
  const int64_t budget_us = c->settings_.busy_timeout.count() * 1000;
  if (waited_us >= budget_us) return 0;  // SQLITE_BUSY → Aborted
  delay_us = std::min(delay_us, budget_us - waited_us);
  const auto now = std::chrono::steady_clock::now();
  if (c->bound_ != std::chrono::steady_clock::time_point::max()) {
    if (now >= c->bound_) {
      c->timed_out_ = true;  // the statement's bound, not the lock, ends the wait
      return 0;
    }
    delay_us =
        std::min<int64_t>(delay_us, std::chrono::ceil<std::chrono::microseconds>(c->bound_ - now).count());
  }
  std::this_thread::sleep_for(std::chrono::microseconds(std::max<int64_t>(1, delay_us)));
  return 1;
}

int SqliteConnection::OnProgress(void* self) {
  auto* c = static_cast<SqliteConnection*>(self);
  if (c->bound_ == std::chrono::steady_clock::time_point::max()) return 0;
  if (std::chrono::steady_clock::now() < c->bound_) return 0;
  c->timed_out_ = true;
  return 1;  // SQLITE_INTERRUPT
}

void SqliteConnection::StartStatement() {
  timed_out_ = false;
  bound_ = std::chrono::steady_clock::time_point::max();
  bound_by_request_ = false;
  if (settings_.statement_timeout.count() > 0) bound_ = std::chrono::steady_clock::now() + settings_.statement_timeout;
  if (!cleanup_ && ctx_ != nullptr && ctx_->deadline().has_value() && *ctx_->deadline() <= bound_) {
    bound_ = *ctx_->deadline();
    bound_by_request_ = true;
  }
}

absl::Status SqliteConnection::DeadlineError(std::string_view sql) const {
  std::string why = bound_by_request_
                        ? absl::StrCat("request deadline reached (correlation id ", ctx_->correlation_id(), ")")
                        : absl::StrCat("statement_timeout_ms (", settings_.statement_timeout.count(), " ms) reached");
  absl::Status s = absl::DeadlineExceededError(absl::StrCat("sqlite execute: ", why, "; statement interrupted in \"",
                                                            ToAbsl(sql.substr(0, 200)), "\""));
  s.SetPayload(ToAbsl(store::kSqlStatePayloadUrl), absl::Cord(absl::StrCat("sqlite:", SQLITE_INTERRUPT)));
  return s;
}

std::vector<std::unique_ptr<store::Statement>> SqliteConnection::TakeEvicted() { return std::move(evicted_); }

SqliteConnection::~SqliteConnection() {
  cache_.Clear();  // finalize every statement before closing the handle
  evicted_.clear();
  // The checkpointer's connection first: the writer, closing last, checkpoints the WAL and removes it.
  checkpointer_.reset();
  sqlite3_close_v2(db_);
}

absl::Status SqliteConnection::Fail(std::string_view op, std::string_view sql, int extended_code) {
  if (extended_code < 0) extended_code = sqlite3_extended_errcode(db_);
  if (SqliteCodeBreaksConnection(extended_code)) broken_ = true;
  return SqliteError(db_, op, sql, extended_code);
}

absl::StatusOr<store::Statement*> SqliteConnection::Prepare(std::string_view sql) {
  if (SqliteStatement* st = cache_.Find(sql)) return st;
  return Compile(sql, 0);
}

absl::StatusOr<store::Statement*> SqliteConnection::Prepare(const store::SqlText& sql) {
  if (SqliteStatement* st = cache_.Find(sql)) return st;
  return Compile(sql.view(), sql.id());
}

absl::StatusOr<store::Statement*> SqliteConnection::Compile(std::string_view sql, uint64_t id) {
  if (sql.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat("sqlite prepare: sql too long (got ", sql.size(), " bytes)"));
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Fail("sqlite prepare", sql);
  }
  if (stmt == nullptr) {
    return absl::InvalidArgumentError("sqlite prepare: sql holds no statement (got only whitespace or comments)");
  }
  // A second statement in the text would be silently ignored: refuse it (ExecuteScript runs scripts).
  std::string_view rest(tail, sql.data() + sql.size() - tail);
  if (!OnlyWhitespace(rest)) {
    sqlite3_stmt* extra = nullptr;
    int rc2 = sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &extra, nullptr);
    const bool has_extra = extra != nullptr || rc2 != SQLITE_OK;
    sqlite3_finalize(extra);
    if (has_extra) {
      sqlite3_finalize(stmt);
      return absl::InvalidArgumentError(absl::StrCat(
          "sqlite prepare: sql holds more than one statement; use ExecuteScript (got \"",
          ToAbsl(sql.substr(0, 200)), "\")"));
    }
  }
  SqliteStatement* raw = cache_.Insert(std::make_unique<SqliteStatement>(this, stmt, std::string(sql)), id);
  cache_.EvictOverCapacity([this](std::unique_ptr<SqliteStatement> victim) {
    sqlite3_finalize(victim->stmt_);
    victim->stmt_ = nullptr;
    evicted_.push_back(std::move(victim));
  });
  return raw;
}

absl::StatusOr<std::vector<store::ResultSet>> SqliteConnection::ExecuteBatch(
    std::span<const store::BatchStatement> batch) {
  std::vector<store::ResultSet> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const store::BatchStatement& b = batch[i];
    absl::StatusOr<store::ResultSet> rs = store::Connection::Execute(b.sql, store::Params(b.params));
    if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("batch statement ", i));
    out.push_back(*std::move(rs));
  }
  return out;
}

absl::Status SqliteConnection::ExecuteScript(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
  char* err = nullptr;
  ++statements_executed_;
  StartStatement();
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  EndStatement();
  if (rc != SQLITE_OK && timed_out_) {
    sqlite3_free(err);
    return DeadlineError(sql);
  }
  if (rc != SQLITE_OK) {
    int ext = sqlite3_extended_errcode(db_);
    if (SqliteCodeBreaksConnection(ext)) broken_ = true;
    absl::Status s = SqliteErrorFromMessage(ext, "sqlite script", err != nullptr ? err : sqlite3_errmsg(db_), sql);
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::Status SqliteConnection::RunSimple(std::string_view sql, std::string_view op) {
  absl::StatusOr<store::Statement*> st = Prepare(sql);
  if (!st.ok()) return Annotate(st.status(), op);
  absl::StatusOr<store::ResultSet> rs = (*st)->Execute(store::Params());
  if (!rs.ok()) return Annotate(rs.status(), op);
  return absl::OkStatus();
}

absl::Status SqliteConnection::Begin(store::IsolationLevel /*isolation*/, bool immediate) {
  // SQLite transactions are always serializable, so every isolation level maps to the same BEGIN.
  if (InTransaction()) return absl::FailedPreconditionError("begin: a transaction is already open");
  return RunSimple(immediate && !read_only_ ? "BEGIN IMMEDIATE" : "BEGIN", "begin");
}

absl::Status SqliteConnection::Commit() {
  if (!InTransaction()) return absl::FailedPreconditionError("commit: no transaction is open");
  return RunSimple("COMMIT", "commit");
}

absl::Status SqliteConnection::Rollback() {
  if (!InTransaction()) return absl::FailedPreconditionError("rollback: no transaction is open");
  // Cleanup runs even after the request's deadline.
  cleanup_ = true;
  absl::Status st = RunSimple("ROLLBACK", "rollback");
  cleanup_ = false;
  return st;
}

bool SqliteConnection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

absl::Status SqliteConnection::Ping() { return RunSimple("SELECT 1", "ping"); }

}  // namespace daira::inline v0::backends::sqlite
