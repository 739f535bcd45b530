// Private helpers shared by the instance-coordination tables of migration 012 (node leases, cursor keys).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace daira::inline v0::store::internal {

// Whether `table` exists in the database's current schema (sqlite_master / information_schema).
absl::StatusOr<bool> TableExists(Database& db, const RequestContext& ctx, std::string_view table);

// FailedPrecondition "<op>: table <table> is missing: the database is not migrated to 012_instances …"
absl::Status MissingTable(std::string_view op, std::string_view table);

// `n` random bytes (libsodium randombytes).
std::string RandomBytes(size_t n);

}  // namespace daira::inline v0::store::internal
