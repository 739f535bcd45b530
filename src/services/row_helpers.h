// Nullable-column readers shared by the services' row mappers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daira/core/clock.h"
#include "daira/store/result_set.h"

namespace daira::inline v0::services::internal {

inline std::optional<std::string> OptionalText(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Text(column);
}

inline std::optional<Clock::TimePoint> OptionalTime(const store::Row& row, std::string_view column) {
  if (row.IsNull(column)) return std::nullopt;
  return FromUnixMicros(row.Int64(column));
}

}  // namespace daira::inline v0::services::internal
