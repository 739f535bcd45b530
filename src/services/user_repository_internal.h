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
#include "services/row_helpers.h"

namespace daira::inline v0::services::internal {

// AlreadyExists from a unique index of `users` (or anything else unchanged): "<op>: <field> is already
// taken", the field riding as the kFieldPayloadUrl payload. The index is recognized by its Postgres
// name (users_email_uidx) or SQLite's "users.email" in the message.
absl::Status MapUserUniqueViolation(const absl::Status& status, std::string_view op);

// AlreadyExists naming `field` (payload too).
absl::Status FieldAlreadyExists(std::string_view op, std::string_view field, std::string_view what);

}  // namespace daira::inline v0::services::internal
