// Status propagation helpers for daira's absl::Status / absl::StatusOr<T> error model.
//
// Debian's Abseil (20220623) has no propagation macros, so daira defines its own:
//
//   absl::StatusOr<User> LoadUser(Connection& c, int64_t id) {
//     DAIRA_ASSIGN_OR_RETURN(store::ResultSet rows, c.Execute("SELECT ...", {id}));
//     DAIRA_RETURN_IF_ERROR(Validate(rows));
//     return ToUser(rows);
//   }
//
// Also: conversions between std::string_view and Debian's absl::string_view (a different type), and
// helpers that build the conventional "<operation>: <field> <what is wrong> (got <value>)" messages
// with the field name carried as a payload, so bindings need not parse text.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#define DAIRA_STATUS_CONCAT_INNER_(a, b) a##b
#define DAIRA_STATUS_CONCAT_(a, b) DAIRA_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function with the status of `expr` if it is not OK.
#define DAIRA_RETURN_IF_ERROR(expr)                      \
  do {                                                   \
    ::absl::Status daira_status_ = (expr);               \
    if (!daira_status_.ok()) return daira_status_;       \
  } while (false)

// Evaluates `rexpr` (a StatusOr<T>); on error returns its status, else moves its value into `lhs`
// (which may be a declaration, e.g. `auto x`).
#define DAIRA_ASSIGN_OR_RETURN(lhs, rexpr) \
  DAIRA_ASSIGN_OR_RETURN_IMPL_(DAIRA_STATUS_CONCAT_(daira_statusor_, __LINE__), lhs, rexpr)

#define DAIRA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

namespace daira::inline v0 {

// The one place std::string_view meets Debian's absl::string_view.
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// Payload type URL under which a Status carries the name of the field at fault.
inline constexpr std::string_view kFieldPayloadUrl = "daira.dev/field";

// InvalidArgument naming `field`: "<op>: <field> <problem>"; the field also rides as a payload.
absl::Status InvalidField(std::string_view op, std::string_view field, std::string_view problem);

// The field name a status carries (set by InvalidField), or "" when it has none.
std::string StatusField(const absl::Status& status);

// Prefixes a status's message with `op + ": "`, keeping code and payloads.
absl::Status Annotate(const absl::Status& status, std::string_view op);

}  // namespace daira::inline v0
