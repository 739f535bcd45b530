#include "backends/sqlite/sqlite_driver.h"

#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "backends/sqlite/sqlite_connection.h"
#include "backends/sqlite/sqlite_status.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends {

namespace {

using sqlite::SqliteConnection;

constexpr std::string_view kMemoryPath = ":memory:";

absl::StatusOr<std::string> SynchronousPragma(std::string_view value) {
  std::string v = absl::AsciiStrToLower(ToAbsl(value));
  if (v == "off" || v == "normal" || v == "full" || v == "extra") return v;
  return absl::InvalidArgumentError(absl::StrCat(
      "database url: synchronous must be one of off, normal, full, extra (got \"", ToAbsl(value), "\")"));
}

class SqliteDriver final : public store::internal::Driver {
 public:
  store::Backend backend() const override { return store::Backend::kSqlite; }

  absl::StatusOr<std::unique_ptr<store::Connection>> Connect(const Url& url, const store::DatabaseOptions& options,
                                                             bool read_only,
                                                             store::internal::Deadline /*deadline*/) override {
    const std::string& path = url.path;
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("database url: sqlite path is empty (got \"", url.Redacted(), "\")"));
    }
    DAIRA_ASSIGN_OR_RETURN(std::string synchronous, SynchronousPragma(options.synchronous));
    if (options.busy_timeout.count() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("database url: busy_timeout_ms must not be negative (got ",
                                                     options.busy_timeout.count(), ")"));
    }
    const bool memory = path == kMemoryPath;
    // A read-only handle on an in-memory database would see a different, empty database anyway.
    const bool open_read_only = read_only && !memory;

    int flags = SQLITE_OPEN_NOMUTEX;  // a connection is used by one thread at a time
    flags |= open_read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      int ext = db != nullptr ? sqlite3_extended_errcode(db) : rc;
      std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      sqlite3_close_v2(db);
      absl::Status s = sqlite::SqliteErrorFromMessage(
          ext, absl::StrCat("database url: cannot open sqlite database \"", path, "\"", open_read_only ? " read-only" : ""),
          msg, "");
      // Whatever SQLite says, a database that cannot be opened is unavailable to the caller.
      absl::Status out(absl::StatusCode::kUnavailable, s.message());
      s.ForEachPayload([&](absl::string_view u, const absl::Cord& p) { out.SetPayload(u, p); });
      return out;
    }
    sqlite3_extended_result_codes(db, 1);

    sqlite::SqliteSettings settings;
    settings.statement_timeout = options.statement_timeout;
    settings.statement_cache_size = options.statement_cache_size;
    settings.busy_timeout = options.busy_timeout;
    auto conn = std::make_unique<SqliteConnection>(db, path, open_read_only, settings);
    // mmap_size: pages are read through a shared memory map of the file instead of a pread() into each
    // connection's own page cache. On a 1 GB file (100k users / 1M posts) the warm home feed spent 37% of
    // its time in the kernel copying pages for pread (perf) with a 256 MiB map, most of it for pages past
    // the map; with the map a page already in the OS cache costs no system call and no copy, for every
    // connection at once. Reads only: writes still go through the WAL. docs/store.md, "SQLite defaults".
    std::string setup = absl::StrCat("PRAGMA foreign_keys = ON; PRAGMA synchronous = ", synchronous,
                                     "; PRAGMA mmap_size = ", options.mmap_size, ";");
    if (options.cache_size > 0) {
      // Negative: KiB rather than pages.
      absl::StrAppend(&setup, " PRAGMA cache_size = -", std::max<int64_t>(1, options.cache_size / 1024), ";");
    }
    if (!memory && !open_read_only) {
      // The writer switches the file to WAL (persistent in the file), so readers never block it.
      setup = absl::StrCat("PRAGMA journal_mode = WAL; ", setup);
    }
    absl::Status st = conn->ExecuteScript(setup);
    if (!st.ok()) {
      return Annotate(st, absl::StrCat("database url: configuring sqlite database \"", path, "\""));
    }
    return std::unique_ptr<store::Connection>(std::move(conn));
  }
};

}  // namespace

std::unique_ptr<store::internal::Driver> MakeSqliteDriver() { return std::make_unique<SqliteDriver>(); }

}  // namespace daira::inline v0::backends
