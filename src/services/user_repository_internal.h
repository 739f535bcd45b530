// Private helpers shared by the accounts, profiles and user repository implementations.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/services/service_deps.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::services::internal {

// Runs `fn(Connection&)` on the request's open transaction when there is one (so reads see its
// uncommitted writes and SQLite's single writer is not asked for twice), else on a leased connection.
template <typename F>
auto WithConnection(const ServiceDeps& deps, const RequestContext& ctx, store::Access access, F&& fn)
    -> decltype(fn(std::declval<store::Connection&>())) {
  if (ctx.open_transaction() != nullptr) return fn(*static_cast<store::Connection*>(ctx.open_transaction()));
  auto lease = deps.db->Acquire(ctx, access);
  if (!lease.ok()) return lease.status();
  return fn(**lease);
}

inline std::optional<std::string> OptionalText(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Text(column);
}
inline std::optional<Clock::TimePoint> OptionalTime(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return FromUnixMicros(row.Int64(column));
}

// AlreadyExists from a unique index of `users` (or anything else unchanged): "<op>: <field> is already
// taken", the field riding as the kFieldPayloadUrl payload. The index is recognized by its Postgres
// name (users_email_uidx) or SQLite's "users.email" in the message.
absl::Status MapUserUniqueViolation(const absl::Status& status, std::string_view op);

// AlreadyExists naming `field` (payload too).
absl::Status FieldAlreadyExists(std::string_view op, std::string_view field, std::string_view what);

}  // namespace daira::inline v0::services::internal
