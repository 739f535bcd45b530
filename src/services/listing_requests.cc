#include "daira/services/listing_requests.h"

#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {


absl::Status SearchRequest::Validate() const {
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
