// What a Database connects to and how: the URL, pool, replicas, timeouts, SQLite and Postgres knobs.
//
//   DAIRA_ASSIGN_OR_RETURN(store::DatabaseOptions o,
//                          store::DatabaseOptions::FromUrl("sqlite:./app.db?readers=8&busy_timeout_ms=2000"));
//   o.statement_timeout = std::chrono::seconds(5);
//   DAIRA_ASSIGN_OR_RETURN(auto db, store::Database::Open(o));
//
// Every field is also a URL parameter of the same name (docs/configuration.md); Database::Open
// validates the values (InvalidArgument naming the field).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/store/pool_options.h"

namespace daira::inline v0::store {

struct DatabaseOptions {
  std::string url = "sqlite:./daira.db";
  PoolOptions pool;
  // Read replicas (Postgres URLs). Also taken from repeated `replica=` URL parameters.
  std::vector<std::string> replicas;
  std::chrono::milliseconds max_replica_lag{1000};  // replicas lagging more are skipped
  // SQLite only.
  int readers = 4;                                  // reader connections besides the one writer
  std::chrono::milliseconds busy_timeout{5000};     // wait for the write lock before SQLITE_BUSY
  std::string synchronous = "normal";               // off | normal | full | extra
  // Bytes of the file each connection reads through a shared memory map (PRAGMA mmap_size; 0 = none,
  // every page read with pread into the connection's own cache). Default: SQLite's ceiling on Debian
  // (SQLITE_MAX_MMAP_SIZE, 2 GiB - 64 KiB; larger values are clamped to it). docs/store.md, "SQLite
  // defaults".
  int64_t mmap_size = int64_t{0x7fff0000};
  // Bytes of page cache per connection (PRAGMA cache_size = -KiB). 0 = SQLite's default (2,000 KiB).
  int64_t cache_size = 0;
  // Postgres only: connect_timeout for each new connection.
  std::chrono::milliseconds connect_timeout{5000};
  // Both backends: a statement still running after this stops with DeadlineExceeded (Postgres cancels
  // it; SQLite interrupts it), as it does at the request's deadline, whichever comes first. 0: only the
  // deadline bounds it. Default 30 s: longer is a hung server or a runaway query, not a request.
  std::chrono::milliseconds statement_timeout{30000};
  // Both backends: prepared statements kept per connection (least recently used evicted:
  // sqlite3_finalize / DEALLOCATE). Default 256.
  int statement_cache_size = 256;
  const Clock* clock = nullptr;                      // null: Clock::System(); not owned

  // Options from a URL: the URL itself plus any parameters named like the fields above
  // (pool_min, pool_max, acquire_timeout_ms, idle_timeout_ms, validate_after_ms, slow_statement_ms,
  // replica, max_replica_lag_ms, readers, busy_timeout_ms, synchronous, mmap_size, cache_size,
  // connect_timeout_ms, max_lifetime_ms, statement_timeout_ms, statement_cache_size). InvalidArgument naming
  // the parameter when one is malformed or unknown.
  static absl::StatusOr<DatabaseOptions> FromUrl(std::string_view url);
};

}  // namespace daira::inline v0::store
