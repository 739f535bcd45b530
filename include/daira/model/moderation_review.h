// ModerationReview: a moderator's decision on a content report, and what was done about it.
//
//   DAIRA_ASSIGN_OR_RETURN(model::ModerationReview r,
//                          reviews.Create(ctx, {.report_id = ReportId{9}, .reviewer_id = UserId{2},
//                                               .decision = model::ModerationDecision::kWarn}));
//   model::ToString(r.decision.value());                                  // "WARN"
//   absl::StatusOr<model::ModerationDecision> d = model::ParseModerationDecision("BAN");
//
// A report may have several reviews (an appeal, a second opinion); reviews are deleted with their
// report. An optional member is std::nullopt when its column was not selected (and, for nullable
// columns, also when NULL); `id` is always present.
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

// moderation_reviews.decision (CHECK constraint in migration 005).
enum class ModerationDecision { kApproved, kRejected, kWarn, kSuspend, kBan };

inline constexpr std::string_view kModerationDecisionNames[] = {"APPROVED", "REJECTED", "WARN", "SUSPEND",
                                                                "BAN"};

// "APPROVED" | "REJECTED" | "WARN" | "SUSPEND" | "BAN" ("" for a value outside the enum).
inline std::string_view ToString(ModerationDecision v) {
  const auto i = static_cast<size_t>(v);
  return i < std::size(kModerationDecisionNames) ? kModerationDecisionNames[i] : std::string_view();
}
// The exact, upper-case spelling as stored; false (and `out` untouched) otherwise.
inline bool Parse(std::string_view text, ModerationDecision* out) {
  for (size_t i = 0; i < std::size(kModerationDecisionNames); ++i) {
    if (kModerationDecisionNames[i] == text) {
      *out = static_cast<ModerationDecision>(i);
      return true;
    }
  }
  return false;
}
// The same as StatusOr: InvalidArgument naming "decision" for an unknown spelling.
inline absl::StatusOr<ModerationDecision> ParseModerationDecision(std::string_view text) {
  ModerationDecision v;
  if (Parse(text, &v)) return v;
  return InvalidField("moderation decision", "decision",
                      "must be one of APPROVED, REJECTED, WARN, SUSPEND, BAN");
}

// The columns of `moderation_reviews`, for field masks.
enum class ModerationReviewField {
  kId,
  kReportId,
  kReviewerId,
  kDecision,
  kActionTaken,
  kReason,
  kCreatedAt,
};

struct ModerationReview {
  ReviewId id;  // always set
  std::optional<ReportId> report_id;
  std::optional<UserId> reviewer_id;  // nullopt also when the moderator's account is gone (NULL)
  std::optional<ModerationDecision> decision;
  std::optional<std::string> action_taken;  // nullopt also when NULL
  std::optional<std::string> reason;         // nullopt also when NULL
  std::optional<Clock::TimePoint> created_at;
};

}  // namespace daira::inline v0::model
