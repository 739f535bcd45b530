#include "daira/core/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace daira::inline v0 {

absl::Status InvalidField(std::string_view op, std::string_view field, std::string_view problem) {
  absl::Status s = absl::InvalidArgumentError(absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " ", ToAbsl(problem)));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

std::string StatusField(const absl::Status& status) {
  auto p = status.GetPayload(ToAbsl(kFieldPayloadUrl));
  return p.has_value() ? std::string(*p) : std::string();
}

absl::Status Annotate(const absl::Status& status, std::string_view op) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(ToAbsl(op), ": ", status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace daira::inline v0
