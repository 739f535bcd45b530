// Cursor signing keys kept in the database, so every app instance on it signs and accepts the same
// cursors (query::CursorCodec), across restarts.
//
//   DAIRA_RETURN_IF_ERROR(store::CursorKeys::Ensure(db, ctx));           // the first key, once
//   DAIRA_ASSIGN_OR_RETURN(auto keys, store::CursorKeys::Load(db, ctx, now, std::chrono::days(7)));
//   // keys.front() signs; every element verifies.
//   DAIRA_ASSIGN_OR_RETURN(auto fresh, store::CursorKeys::Rotate(db, ctx));  // `daira keys rotate`
//
// The keys live in the `cursor_keys` table (migration 012): 32 random bytes each (libsodium). The row
// with the largest id is the current key; a rotation adds a row and stamps the previous current one
// with retired_at, from which its grace period runs. Key material never appears in a Status message.
//
// Thread-safety: the functions are safe from any thread; concurrent Ensure calls create one key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"

namespace daira::inline v0::store {

class Database;

struct CursorKey {
  int64_t id = 0;                              // increasing; the largest is the current key
  std::string secret;                          // 32 raw bytes
  Clock::TimePoint created_at{};
  std::optional<Clock::TimePoint> retired_at;  // set when a newer key became current
};

class CursorKeys {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Creates the first key (id 1) unless one exists. Idempotent and safe with concurrent callers.
  // FailedPrecondition when the cursor_keys table is missing (not migrated to 012).
  static absl::Status Ensure(Database& db, const RequestContext& ctx, const Clock* clock = nullptr);
  // The keys to use at `now`: the current key first, then the retired ones still within `grace`
  // (retired_at + grace > now), newest first. Empty when no key exists yet.
  static absl::StatusOr<std::vector<CursorKey>> Load(Database& db, const RequestContext& ctx, Clock::TimePoint now,
                                                     std::chrono::milliseconds grace);
  // Every key, newest first (for listings; secrets included: do not print them).
  static absl::StatusOr<std::vector<CursorKey>> List(Database& db, const RequestContext& ctx);
  // Makes a new random key current and retires the previous one at now. Returns the new key.
  // Aborted when another rotation committed concurrently (retry).
  static absl::StatusOr<CursorKey> Rotate(Database& db, const RequestContext& ctx, const Clock* clock = nullptr);
};

}  // namespace daira::inline v0::store
