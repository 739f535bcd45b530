#include "daira/store/migrator.h"

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

// FIPS 180-4 SHA-256; small and dependency-free (migration texts are a few kilobytes).
class Sha256 {
 public:
  void Update(std::string_view data) {
    for (unsigned char c : data) {
      block_[block_len_++] = c;
      if (block_len_ == 64) {
        Compress();
        block_len_ = 0;
      }
    }
    total_bits_ += static_cast<uint64_t>(data.size()) * 8;
  }
  std::string HexDigest() {
    uint64_t bits = total_bits_;
    block_[block_len_++] = 0x80;
    if (block_len_ > 56) {
      while (block_len_ < 64) block_[block_len_++] = 0;
      Compress();
      block_len_ = 0;
    }
    while (block_len_ < 56) block_[block_len_++] = 0;
    for (int i = 7; i >= 0; --i) block_[block_len_++] = static_cast<unsigned char>(bits >> (i * 8));
    Compress();
    static const char* kHex = "0123456789abcdef";
    std::string out;
    out.reserve(64);
    for (uint32_t word : h_) {
      for (int i = 28; i >= 0; i -= 4) out.push_back(kHex[(word >> i) & 0xf]);
    }
    return out;
  }

 private:
  static uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  void Compress() {
    static constexpr uint32_t kK[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (uint32_t{block_[i * 4]} << 24) | (uint32_t{block_[i * 4 + 1]} << 16) |
             (uint32_t{block_[i * 4 + 2]} << 8) | uint32_t{block_[i * 4 + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = h + s1 + ch + kK[i] + w[i];
      uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = s0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a; h_[1] += b; h_[2] += c; h_[3] += d;
    h_[4] += e; h_[5] += f; h_[6] += g; h_[7] += h;
  }

  std::array<uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char block_[64] = {};
  size_t block_len_ = 0;
  uint64_t total_bits_ = 0;
};

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
  Sha256 sha;
  sha.Update(text);
  return sha.HexDigest();
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
