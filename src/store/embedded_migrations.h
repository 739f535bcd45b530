// The SQL migrations compiled into the library (generated from src/store/migrations/ at build time).
#pragma once

#include <string_view>
#include <vector>

namespace daira::inline v0::store::internal {

struct EmbeddedMigration {
  std::string_view dialect;  // "sqlite" or "postgres"
  std::string_view name;     // file name without .sql, e.g. "001_users"; sorts in apply order
  std::string_view sql;      // the whole file
};

// Every embedded migration, grouped by dialect, each group sorted by name.
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

}  // namespace daira::inline v0::store::internal
