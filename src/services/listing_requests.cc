#include "daira/services/listing_requests.h"

#include <algorithm>

#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {


namespace {

// The common valid request — a query of printable ASCII (1 to kMaxSearchQueryLength bytes, not all
// spaces), a known scope, a limit in range and no cursor — which the rules below accept, recognized
// without building a Violations. Anything else goes through the rules (which name the fault).
bool PlainValidSearch(const SearchRequest& r) {
  if (!r.cursor.empty() || r.limit < 1 || r.limit > query::kMaxPageLimit) return false;
  if (r.query.empty() || r.query.size() > kMaxSearchQueryLength) return false;
  bool blank = true;
  for (const unsigned char c : r.query) {
    if (c < 0x20 || c > 0x7E) return false;  // control characters, DEL, non-ASCII: the full rules
    blank = blank && c == ' ';
  }
  return !blank && std::find(kSearchScopes.begin(), kSearchScopes.end(), r.scope) != kSearchScopes.end();
}

}  // namespace

absl::Status SearchRequest::Validate() const {
  if (PlainValidSearch(*this)) return absl::OkStatus();
  Violations v;
  internal::NonBlankText(v, "query", query, kMaxSearchQueryLength, /*multiline=*/false);
  v.OneOf("scope", scope, kSearchScopes);
  internal::PageRules(v, limit, cursor);
  return v.ToStatus("search");
}

absl::Status MarkNotificationsReadRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  if (all) {
    v.Require("notification_ids", notification_ids.empty(), "must be empty when all is true");
  } else {
    v.Count("notification_ids", notification_ids.size(), 1, kMaxNotificationIds);
    internal::DistinctIds(v, "notification_ids", notification_ids);
  }
  return v.ToStatus("mark_notifications_read");
}

}  // namespace daira::inline v0::services
