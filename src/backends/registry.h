// The one explicit registry of SQL backends, by URL scheme (no self-registering globals).
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/driver.h"

namespace daira::inline v0::backends {

// The driver for `scheme` ("sqlite", "postgres"/"postgresql"); InvalidArgument listing the known
// schemes otherwise.
absl::StatusOr<std::unique_ptr<store::internal::Driver>> MakeSqlDriver(std::string_view scheme);

}  // namespace daira::inline v0::backends
