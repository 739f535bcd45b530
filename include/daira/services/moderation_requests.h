// Moderation requests (report content, review a report) and their validation rules.
//
//   daira::services::ReportRequest r{.reporter_id = 3, .content_type = "POST", .content_id = 42,
//                                    .reason = "SPAM", .evidence = R"({"screenshot":"https://x.io/s.png"})"};
//   r.Validate();                                     // OK
//   r.reason = "OTHER";
//   r.Validate();  // InvalidArgument "report: description is required when reason is OTHER"
//
// Enum spellings match the CHECK constraints in src/store/migrations (005_moderation, and 017 for
// content_reports.reason). Rule tables: docs/validation.md.
//
// Thread-safety: requests are plain values; Validate() is const and touches nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::services {

inline constexpr size_t kMaxReportDescriptionLength = 1000;
inline constexpr size_t kMaxEvidenceLength = 16384;
inline constexpr size_t kMaxReviewNotesLength = 1000;
inline constexpr size_t kMaxActionTakenLength = 200;

// content_reports.content_type
inline constexpr std::array<std::string_view, 4> kReportContentTypes = {"POST", "VIDEO", "COMMENT", "USER"};
// content_reports.reason (the seed's list; a CHECK on PostgreSQL, triggers on SQLite, migration 017)
inline constexpr std::array<std::string_view, 5> kReportReasons = {"SPAM", "HARASSMENT", "HATE_SPEECH", "VIOLENCE",
                                                                   "OTHER"};
// content_reports.severity
inline constexpr std::array<std::string_view, 4> kReportSeverities = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
// moderation_reviews.decision
inline constexpr std::array<std::string_view, 5> kReviewDecisions = {"APPROVED", "REJECTED", "WARN", "SUSPEND",
                                                                     "BAN"};

struct ReportRequest {
  int64_t reporter_id = 0;                 // > 0
  std::string content_type{};                // POST | VIDEO | COMMENT | USER
  int64_t content_id = 0;                  // > 0; for USER, not the reporter's own id
  std::string reason{};                      // one of kReportReasons
  std::optional<std::string> description{};  // 0–1000 characters; required (non-blank) when reason is OTHER
  std::string severity = "LOW";            // LOW | MEDIUM | HIGH | CRITICAL
  std::string evidence = "{}";             // a JSON object, at most 16384 characters
  absl::Status Validate() const;           // op "report"
};

struct ReviewReportRequest {
  int64_t report_id = 0;                    // > 0
  int64_t reviewer_id = 0;                 // > 0
  std::string decision{};                     // APPROVED | REJECTED | WARN | SUSPEND | BAN
  std::optional<std::string> action_taken{};  // 0–200 characters, single line
  std::optional<std::string> reason{};         // 0–1000 characters
  absl::Status Validate() const;            // op "review_report"
};

}  // namespace daira::inline v0::services
