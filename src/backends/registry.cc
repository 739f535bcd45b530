#include "backends/registry.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "backends/postgres/postgres_driver.h"
#include "backends/sqlite/sqlite_driver.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends {

absl::StatusOr<std::unique_ptr<store::internal::Driver>> MakeSqlDriver(std::string_view scheme) {
  if (scheme == "sqlite") return MakeSqliteDriver();
  if (scheme == "postgres" || scheme == "postgresql") return MakePostgresDriver();
  return absl::InvalidArgumentError(
      absl::StrCat("database url: scheme \"", ToAbsl(scheme), "\" is not a SQL backend (known: sqlite, postgres)"));
}

}  // namespace daira::inline v0::backends
