#include "daira/store/migrator.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "store/embedded_migrations.h"

namespace daira::inline v0::store {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// Postgres: one advisory lock per schema, so migrators of different schemas do not wait on each
// other. The first key is "dair" in ASCII.
constexpr std::string_view kPgLock =
    "SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(1684105586, "
    "hashtext(coalesce(current_schema(), '')))) AS l";

std::string Short(const std::string& checksum) {
  return checksum.size() > 12 ? checksum.substr(0, 12) + "\xE2\x80\xA6" : checksum;  // "…"
}

struct Applied {
  std::string checksum;
  int64_t applied_at = 0;
};

absl::StatusOr<std::map<std::string, Applied>> ReadApplied(Connection& conn) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         conn.Execute("SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name"));
  std::map<std::string, Applied> out;
  for (const Row& row : rs) out[row.Text(0)] = Applied{row.Text(1), row.Int64(2)};
  return out;
}

absl::StatusOr<bool> TableExists(Connection& conn) {
  absl::StatusOr<ResultSet> rs =
      conn.backend() == Backend::kSqlite
          ? conn.Execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
          : conn.Execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = 'schema_migrations'");
  if (!rs.ok()) return rs.status();
  return !rs->empty();
}

}  // namespace

std::string MigrationChecksum(std::string_view text) {
  // libsodium's SHA-256 (the hand-written one it replaces produced the same lower-case hex digest,
  // which databases store: migrator_test pins both the test vectors and the stored checksums).
  static const int init = sodium_init();  // SHA-256 itself needs no init; this picks CPU features once
  (void)init;
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

Migration Migration::FromText(std::string_view name, std::string_view sql) {
  return Migration{std::string(name), std::string(sql), MigrationChecksum(sql)};
}

std::vector<Migration> EmbeddedMigrations(Backend backend) {
  std::string_view dialect = Dialect(backend).name();
  std::vector<Migration> out;
  for (const internal::EmbeddedMigration& m : internal::EmbeddedMigrations()) {
    if (m.dialect == dialect) out.push_back(Migration::FromText(m.name, m.sql));
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<std::unique_ptr<Migrator>> Migrator::Create(Database& db, const MigratorOptions& options) {
  std::vector<Migration> list = options.migrations ? *options.migrations : EmbeddedMigrations(db.backend());
  std::set<std::string> names;
  for (Migration& m : list) {
    if (m.name.empty()) return InvalidField("migrator", "migrations.name", "must not be empty");
    if (!names.insert(m.name).second) {
      return InvalidField("migrator", "migrations.name", absl::StrCat("is duplicated (got ", m.name, ")"));
    }
    if (m.checksum.empty()) m.checksum = MigrationChecksum(m.sql);
  }
  std::sort(list.begin(), list.end(), [](const Migration& a, const Migration& b) { return a.name < b.name; });
  return std::unique_ptr<Migrator>(new Migrator(db, std::move(list), options));
}

absl::Status Migrator::Migrate(const RequestContext& ctx) {
  const Clock* clock = options_.clock != nullptr ? options_.clock : Clock::System();
  // One transaction per migration. Each takes the lock, (re)reads what is applied, verifies it, and
  // applies the first pending migration; the loop ends when a transaction finds nothing pending.
  for (;;) {
    bool done = false;
    DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](Connection& conn) -> absl::Status {
      done = false;
      if (conn.backend() == Backend::kPostgres) {
        DAIRA_RETURN_IF_ERROR(Annotate(conn.Execute(kPgLock).status(), "migrate: lock"));
      }
      DAIRA_ASSIGN_OR_RETURN(bool exists, TableExists(conn));
      if (!exists) {
        DAIRA_RETURN_IF_ERROR(Annotate(conn.Execute(kCreateTable).status(), "migrate: schema_migrations"));
      }
      DAIRA_ASSIGN_OR_RETURN(auto applied, ReadApplied(conn));
      std::set<std::string> known;
      for (const Migration& m : migrations_) {
        known.insert(m.name);
        auto it = applied.find(m.name);
        if (it != applied.end() && it->second.checksum != m.checksum) {
          return absl::FailedPreconditionError(absl::StrCat("migrate: ", m.name, " was applied with checksum ",
                                                            Short(it->second.checksum), " but the file now has ",
                                                            Short(m.checksum)));
        }
      }
      if (!options_.allow_unknown_applied) {
        for (const auto& [name, row] : applied) {
          if (known.count(name) == 0) {
            return absl::FailedPreconditionError(absl::StrCat(
                "migrate: ", name, " is applied in the database but unknown to this build (a newer build migrated it?)"));
          }
        }
      }
      const Migration* next = nullptr;
      for (const Migration& m : migrations_) {
        if (applied.count(m.name) == 0) {
          next = &m;
          break;
        }
      }
      if (next == nullptr) {
        done = true;
        return absl::OkStatus();
      }
      DAIRA_RETURN_IF_ERROR(Annotate(conn.ExecuteScript(next->sql), absl::StrCat("migrate: ", next->name)));
      return Annotate(conn.Execute("INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)",
                                   {next->name, next->checksum, ToUnixMicros(clock->Now())})
                          .status(),
                      absl::StrCat("migrate: ", next->name, ": record"));
    }));
    if (done) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<MigrationStatus>> Migrator::Status(const RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(ConnectionLease lease, db_.Acquire(ctx, Access::kWrite));
  DAIRA_ASSIGN_OR_RETURN(bool exists, TableExists(*lease));
  std::map<std::string, Applied> applied;
  if (exists) {
    DAIRA_ASSIGN_OR_RETURN(applied, ReadApplied(*lease));
  }
  std::vector<MigrationStatus> out;
  for (const Migration& m : migrations_) {
    MigrationStatus s;
    s.name = m.name;
    s.checksum = m.checksum;
    auto it = applied.find(m.name);
    if (it != applied.end()) {
      s.applied = true;
      s.applied_checksum = it->second.checksum;
      s.applied_at = it->second.applied_at;
      s.changed = it->second.checksum != m.checksum;
      applied.erase(it);
    }
    out.push_back(std::move(s));
  }
  for (const auto& [name, row] : applied) {
    MigrationStatus s;
    s.name = name;
    s.applied = true;
    s.applied_checksum = row.checksum;
    s.applied_at = row.applied_at;
    s.unknown = true;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace daira::inline v0::store
