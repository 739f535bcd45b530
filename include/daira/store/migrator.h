// Schema migrations: ordered, checksummed SQL scripts, each applied once in its own transaction.
//
//   DAIRA_ASSIGN_OR_RETURN(auto db, store::Database::Open("sqlite:./app.db"));
//   DAIRA_ASSIGN_OR_RETURN(auto migrator, store::Migrator::Create(*db));   // the embedded schema
//   RequestContext ctx;
//   DAIRA_RETURN_IF_ERROR(migrator->Migrate(ctx));          // applies what is missing; else a no-op
//   DAIRA_ASSIGN_OR_RETURN(auto rows, migrator->Status(ctx));
//   for (const auto& m : rows) std::printf("%s %s\n", m.name.c_str(), m.applied ? "applied" : "pending");
//
// Rules:
//  * Migrations apply in name order ("001_users" < "002_content" ...). Each runs in one transaction
//    together with its row in `schema_migrations` (name PRIMARY KEY, checksum, applied_at), so a
//    migration is either wholly applied and recorded or not at all.
//  * A migration's checksum is the SHA-256 (lower-case hex) of its text. If an applied migration's text
//    has changed since, Migrate refuses with FailedPrecondition before applying anything:
//      "migrate: 002_content was applied with checksum ab12cd34ef56… but the file now has 0f1e2d3c4b5a…"
//  * Concurrent migrators (threads or processes) are safe: on Postgres each migration transaction first
//    takes a transaction-level advisory lock keyed by the current schema; on SQLite BEGIN IMMEDIATE
//    serializes writers. The applied set is re-read inside the lock, so each migration runs once.
//  * The embedded migrations are those compiled into the library for the database's backend
//    (src/store/migrations/{sqlite,postgres}/); tests and tools may pass their own list instead.
//
// Thread-safety: a Migrator is safe to use from several threads (it holds no mutable state besides
// the database, which is thread-safe); the database serializes the migrations themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace daira::inline v0::store {

// One migration script.
struct Migration {
  std::string name;      // sorts in apply order, e.g. "001_users"
  std::string sql;       // ';'-separated statements, run with Connection::ExecuteScript
  std::string checksum;  // MigrationChecksum(sql); Migrator::Create fills it in when empty

  // A migration named `name` with the checksum of `sql` computed.
  static Migration FromText(std::string_view name, std::string_view sql);
};

// SHA-256 of `text` as 64 lower-case hex digits (the checksum recorded for a migration).
std::string MigrationChecksum(std::string_view text);

// The migrations compiled into the library for `backend`, sorted by name.
std::vector<Migration> EmbeddedMigrations(Backend backend);

// The state of one migration, known to this build or found applied in the database.
struct MigrationStatus {
  std::string name;
  std::string checksum;          // of the known text; "" when only the database knows this migration
  bool applied = false;          // a schema_migrations row exists
  std::string applied_checksum;  // recorded at apply time; "" when not applied
  int64_t applied_at = 0;        // microseconds since the Unix epoch; 0 when not applied
  bool changed = false;          // applied, and the text's checksum differs from the recorded one
  bool unknown = false;          // applied, but not among the migrations this build knows
};

struct MigratorOptions {
  // The migrations to apply. nullopt (default): EmbeddedMigrations(db.backend()).
  // Names must be unique and non-empty (else InvalidArgument from Create).
  std::optional<std::vector<Migration>> migrations;
  // Whether Migrate may proceed when the database has applied migrations this build does not know
  // (a newer build migrated it). Default false: FailedPrecondition naming the first unknown one.
  bool allow_unknown_applied = false;
  // Source of applied_at. Null: Clock::System(). Not owned; must outlive the Migrator.
  const Clock* clock = nullptr;
};

class Migrator {
 public:
  // A migrator for `db` (not owned; must outlive it). InvalidArgument for an empty or duplicate name.
  static absl::StatusOr<std::unique_ptr<Migrator>> Create(Database& db, const MigratorOptions& options = {});

  // Applies every pending migration in name order, each in its own transaction with its
  // schema_migrations row; a no-op when all are applied. Fails with FailedPrecondition (applying
  // nothing) when an applied migration's text changed or an unknown one was applied (unless allowed);
  // with the backend's error, prefixed "migrate: <name>: ", when a script fails (that migration and
  // the ones after it stay pending; earlier ones stay applied).
  absl::Status Migrate(const RequestContext& ctx);

  // Every known migration in name order, then any applied migration this build does not know.
  // Read-only: a database never migrated reports everything pending.
  absl::StatusOr<std::vector<MigrationStatus>> Status(const RequestContext& ctx);

  const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  Migrator(Database& db, std::vector<Migration> migrations, const MigratorOptions& options)
      : db_(db), migrations_(std::move(migrations)), options_(options) {}

  Database& db_;
  std::vector<Migration> migrations_;  // sorted by name, checksums filled in
  MigratorOptions options_;
};

}  // namespace daira::inline v0::store
