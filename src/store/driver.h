// The private seam between the store layer and a SQL backend: opening one connection.
// Pools, routing, instrumentation and transactions live above it in src/store/.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "daira/core/url.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"

namespace daira::inline v0::store::internal {

class Driver {
 public:
  virtual ~Driver() = default;
  virtual Backend backend() const = 0;
  // Opens one connection to `url` (the primary's or a replica's), configured from `options`
  // (SQLite: WAL, busy timeout, foreign keys, synchronous; Postgres: connect timeout).
  // `read_only` asks for a reader connection where the backend distinguishes (SQLite).
  // Unavailable when the server/file cannot be reached; InvalidArgument for a malformed URL.
  virtual absl::StatusOr<std::unique_ptr<Connection>> Connect(const Url& url, const DatabaseOptions& options,
                                                              bool read_only) = 0;
};

}  // namespace daira::inline v0::store::internal
