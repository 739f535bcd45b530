// ContentReport: a user's report of a post, video, comment or user, waiting for (or closed by) a
// moderator.
//
//   // services/report_repository.h fills it:
//   DAIRA_ASSIGN_OR_RETURN(model::ContentReport r, reports.Get(ctx, ReportId{9}));
//   if (r.status == model::ReportStatus::kPending && r.severity == model::ReportSeverity::kCritical) { ... }
//   model::ToString(model::ReportContentType::kComment);                  // "COMMENT"
//   absl::StatusOr<model::ReportSeverity> s = model::ParseReportSeverity("HIGH");
//
// `reason` is free text in the schema (the request layer restricts it to kReportReasons, see
// services/moderation_requests.h). An optional member is std::nullopt when its column was not selected
// (and, for nullable columns, also when NULL); `id` is always present. evidence is a JSON object as
// text (PostgreSQL normalizes its spelling).
//
// Thread-safety: plain values; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

// content_reports.content_type (CHECK constraint in migration 005).
enum class ReportContentType { kPost, kVideo, kComment, kUser };
// content_reports.severity (CHECK constraint in migration 005).
enum class ReportSeverity { kLow, kMedium, kHigh, kCritical };
// content_reports.status (CHECK constraint in migration 005).
enum class ReportStatus { kPending, kReviewing, kResolved, kDismissed };

inline constexpr std::string_view kReportContentTypeNames[] = {"POST", "VIDEO", "COMMENT", "USER"};
inline constexpr std::string_view kReportSeverityNames[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
inline constexpr std::string_view kReportStatusNames[] = {"PENDING", "REVIEWING", "RESOLVED", "DISMISSED"};

// "POST" | "VIDEO" | "COMMENT" | "USER" ("" for a value outside the enum).
inline std::string_view ToString(ReportContentType v) {
  const auto i = static_cast<size_t>(v);
  return i < std::size(kReportContentTypeNames) ? kReportContentTypeNames[i] : std::string_view();
}
// The exact, upper-case spelling as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, ReportContentType* out) {
  for (size_t i = 0; i < std::size(kReportContentTypeNames); ++i) {
    if (kReportContentTypeNames[i] == text) {
      *out = static_cast<ReportContentType>(i);
      return true;
    }
  }
  return false;
}
// The same as StatusOr: InvalidArgument naming "content_type" for an unknown spelling.
inline absl::StatusOr<ReportContentType> ParseReportContentType(std::string_view text) {
  ReportContentType v;
  if (Parse(text, &v)) return v;
  return InvalidField("report content type", "content_type", "must be one of POST, VIDEO, COMMENT, USER");
}
// "LOW" | "MEDIUM" | "HIGH" | "CRITICAL" ("" for a value outside the enum).
inline std::string_view ToString(ReportSeverity v) {
  const auto i = static_cast<size_t>(v);
  return i < std::size(kReportSeverityNames) ? kReportSeverityNames[i] : std::string_view();
}
// The exact, upper-case spelling as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, ReportSeverity* out) {
  for (size_t i = 0; i < std::size(kReportSeverityNames); ++i) {
    if (kReportSeverityNames[i] == text) {
      *out = static_cast<ReportSeverity>(i);
      return true;
    }
  }
  return false;
}
// The same as StatusOr: InvalidArgument naming "severity" for an unknown spelling.
inline absl::StatusOr<ReportSeverity> ParseReportSeverity(std::string_view text) {
  ReportSeverity v;
  if (Parse(text, &v)) return v;
  return InvalidField("report severity", "severity", "must be one of LOW, MEDIUM, HIGH, CRITICAL");
}
// "PENDING" | "REVIEWING" | "RESOLVED" | "DISMISSED" ("" for a value outside the enum).
inline std::string_view ToString(ReportStatus v) {
  const auto i = static_cast<size_t>(v);
  return i < std::size(kReportStatusNames) ? kReportStatusNames[i] : std::string_view();
}
// The exact, upper-case spelling as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, ReportStatus* out) {
  for (size_t i = 0; i < std::size(kReportStatusNames); ++i) {
    if (kReportStatusNames[i] == text) {
      *out = static_cast<ReportStatus>(i);
      return true;
    }
  }
  return false;
}
// The same as StatusOr: InvalidArgument naming "status" for an unknown spelling.
inline absl::StatusOr<ReportStatus> ParseReportStatus(std::string_view text) {
  ReportStatus v;
  if (Parse(text, &v)) return v;
  return InvalidField("report status", "status", "must be one of PENDING, REVIEWING, RESOLVED, DISMISSED");
}

// The columns of `content_reports`, for field masks.
enum class ContentReportField {
  kId,
  kReporterId,
  kContentType,
  kContentId,
  kReason,
  kDescription,
  kSeverity,
  kStatus,
  kEvidence,
  kCreatedAt,
  kUpdatedAt,
  kResolvedAt,
};

struct ContentReport {
  ReportId id;                        // always set
  std::optional<UserId> reporter_id;  // nullopt also when the reporter's account is gone (NULL)
  std::optional<ReportContentType> content_type;
  std::optional<int64_t> content_id;  // a PostId, VideoId, CommentId or UserId by content_type
  std::optional<std::string> reason;
  std::optional<std::string> description;  // nullopt also when NULL
  std::optional<ReportSeverity> severity;
  std::optional<ReportStatus> status;
  std::optional<std::string> evidence;  // a JSON object as text
  std::optional<Clock::TimePoint> created_at;
  std::optional<Clock::TimePoint> updated_at;
  std::optional<Clock::TimePoint> resolved_at;  // nullopt also while open
};

}  // namespace daira::inline v0::model
