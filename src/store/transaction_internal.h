// Private to the store: how a transaction ends on its connection, shared by Database::RunInTransaction
// and store::Transaction.
#pragma once

#include "absl/status/status.h"
#include "daira/store/connection.h"

namespace daira::inline v0::store::internal {

// COMMIT on `conn` when `outcome` is OK, else ROLLBACK; a failed COMMIT is rolled back too. A failed
// ROLLBACK is logged and never hides the first error. Returns the COMMIT's error, or `outcome`.
absl::Status EndTransaction(Connection& conn, absl::Status outcome);

}  // namespace daira::inline v0::store::internal
