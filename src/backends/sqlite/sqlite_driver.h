// The SQLite backend's entry point for the registry.
#pragma once

#include <memory>

#include "store/driver.h"

namespace daira::inline v0::backends {

std::unique_ptr<store::internal::Driver> MakeSqliteDriver();

}  // namespace daira::inline v0::backends
