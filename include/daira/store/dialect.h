// The differences between SQL backends, in one place, so statements are written once.
//
// Statements use `?` placeholders everywhere; the Postgres backend rewrites them to $1..$n once,
// when it prepares the statement. Both backends support RETURNING and ON CONFLICT, so those are
// written plainly. What does differ lives here:
//
//   const store::Dialect& d = db->dialect();
//   std::string sql = "SELECT id, username FROM users WHERE " + d.InArray("id");   // bind a vector<int64_t>
//   std::string up  = d.Upsert("hashtags", {"tag", "posts_count"}, {"tag"}, {"posts_count"});
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daira::inline v0::store {

enum class Backend { kSqlite, kPostgres };

class Dialect {
 public:
  explicit constexpr Dialect(Backend backend) : backend_(backend) {}
  Backend backend() const { return backend_; }
  std::string_view name() const { return backend_ == Backend::kSqlite ? "sqlite" : "postgres"; }

  // Rewrites `?` placeholders into the backend's form ($1, $2, ... on Postgres; unchanged on SQLite).
  // `?` inside quoted strings, quoted identifiers and comments is left alone.
  std::string RewritePlaceholders(std::string_view sql) const;
  // Number of `?` placeholders outside quotes and comments.
  static int CountPlaceholders(std::string_view sql);

  // A predicate true when `column` is one of the elements of an array bound at this `?`:
  //   postgres: column = ANY(?)      sqlite: column IN (SELECT value FROM json_each(?))
  std::string InArray(std::string_view column) const;
  // INSERT INTO table (cols) VALUES (?, ...) ON CONFLICT (conflict) DO UPDATE SET u = excluded.u, ...
  // (DO NOTHING when `update` is empty).
  std::string Upsert(std::string_view table, const std::vector<std::string>& columns,
                     const std::vector<std::string>& conflict, const std::vector<std::string>& update) const;
  // An expression for "now" in microseconds since the epoch.
  std::string NowMicros() const;

 private:
  Backend backend_;
};

// The process-wide dialect object for `backend` (never null, never destroyed).
const Dialect& DialectFor(Backend backend);

}  // namespace daira::inline v0::store
