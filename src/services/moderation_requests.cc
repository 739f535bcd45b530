#include "daira/services/moderation_requests.h"

#include "daira/core/utf8.h"
#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using internal::BodyText;

absl::Status ReportRequest::Validate() const {
  Violations v;
  v.Id("reporter_id", reporter_id);
  v.OneOf("content_type", content_type, kReportContentTypes);
  if (v.Id("content_id", content_id) && content_type == "USER" && content_id == reporter_id) {
    v.Add("content_id", "must not be the reporter's own user id");
  }
  v.OneOf("reason", reason, kReportReasons);
  if (description.has_value()) {
    BodyText(v, "description", *description, kMaxReportDescriptionLength, /*multiline=*/true,
             /*required=*/reason == "OTHER");
  } else if (reason == "OTHER") {
    v.Add("description", "is required when reason is OTHER");
  }
  v.OneOf("severity", severity, kReportSeverities);
  if (v.Length("evidence", evidence, 0, kMaxEvidenceLength)) v.JsonObject("evidence", evidence);
  return v.ToStatus("report");
}

absl::Status ReviewReportRequest::Validate() const {
  Violations v;
  v.Id("report_id", report_id);
  v.Id("reviewer_id", reviewer_id);
  v.OneOf("decision", decision, kReviewDecisions);
  if (action_taken.has_value()) {
    BodyText(v, "action_taken", *action_taken, kMaxActionTakenLength, /*multiline=*/false, /*required=*/false);
  }
  if (reason.has_value()) BodyText(v, "reason", *reason, kMaxReviewNotesLength, /*multiline=*/true, /*required=*/false);
  return v.ToStatus("review_report");
}

}  // namespace daira::inline v0::services
