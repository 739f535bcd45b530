// Platform options shared by the platform tests.
#pragma once

#include "daira/platform/platform.h"
#include "daira/services/accounts.h"

namespace daira {

// The defaults, with the accounts service's fast test hashing (AccountsOptions::ForTesting()).
inline PlatformOptions TestOptions() {
  return PlatformOptions{.accounts = services::AccountsOptions::ForTesting()};
}

}  // namespace daira
