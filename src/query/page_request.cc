// PageRequest: the limit and cursor rules every page shares.

#include "daira/query/page_request.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"

namespace daira::inline v0::query {

void AddPageViolations(Violations& v, int64_t limit, std::string_view cursor) {
  v.Range("limit", limit, 1, kMaxPageLimit);
  if (!cursor.empty()) v.OpaqueAscii("cursor", cursor, 1, kMaxCursorLength);
}

absl::Status PageRequest::Validate() const {
  Violations v;
  AddPageViolations(v, limit, cursor);
  return v.ToStatus("page");
}

}  // namespace daira::inline v0::query
