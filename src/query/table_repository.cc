#include "query/table_repository.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "daira/core/validation.h"

namespace daira::inline v0::query {

absl::Status FieldError(absl::StatusCode code, std::string_view op, std::string_view field,
                        std::string_view problem) {
  absl::Status s(code, absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " ", ToAbsl(problem)));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

absl::Status MapWriteError(const absl::Status& status, std::string_view op, std::span<const UniqueKey> keys) {
  if (status.ok()) return status;
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    for (const UniqueKey& k : keys) {
      const bool by_index = !k.index.empty() && absl::StrContains(status.message(), ToAbsl(k.index));
      const bool by_columns =
          !k.sqlite_columns.empty() && absl::StrContains(status.message(), ToAbsl(k.sqlite_columns));
      if (by_index || by_columns) return FieldError(absl::StatusCode::kAlreadyExists, op, k.field, k.problem);
    }
  }
  return Annotate(status, op);
}

namespace internal {

absl::Status UnknownEnumValue(std::string_view column, std::string_view text) {
  return absl::DataLossError(absl::StrCat(
      "column ", ToAbsl(column), " holds a value the model does not know (got ", QuoteForMessage(text), ")"));
}

}  // namespace internal

}  // namespace daira::inline v0::query
