#include "daira/services/moderation_review_repository.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/services/moderation_requests.h"
#include "query/table_repository.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using model::ModerationReview;
using model::ModerationReviewField;

namespace {

using Column = query::ColumnSpec<ModerationReview, ModerationReviewField>;
using query::ReadColumn;

const query::Table<ModerationReview, ModerationReviewField>& ReviewTable() {
  static const auto* kTable = new query::Table<ModerationReview, ModerationReviewField>(
      {.table = "moderation_reviews", .entity = "review", .has_updated_at = false},
      std::array{
          Column{ModerationReviewField::kId, "id", &ReadColumn<&ModerationReview::id>, query::kPrimaryKey},
          Column{ModerationReviewField::kReportId, "report_id", &ReadColumn<&ModerationReview::report_id>},
          Column{ModerationReviewField::kReviewerId, "reviewer_id",
                 &ReadColumn<&ModerationReview::reviewer_id>},
          Column{ModerationReviewField::kDecision, "decision", &ReadColumn<&ModerationReview::decision>},
          Column{ModerationReviewField::kActionTaken, "action_taken",
                 &ReadColumn<&ModerationReview::action_taken>},
          Column{ModerationReviewField::kReason, "reason", &ReadColumn<&ModerationReview::reason>},
          Column{ModerationReviewField::kCreatedAt, "created_at", &ReadColumn<&ModerationReview::created_at>},
      });
  return *kTable;
}

constexpr std::string_view kDecisions = "APPROVED, REJECTED, WARN, SUSPEND, BAN";

void DecisionRule(Violations& v, model::ModerationDecision d) {
  v.Require("decision", !model::ToString(d).empty(), absl::StrCat("must be one of ", ToAbsl(kDecisions)));
}
void ActionTaken(Violations& v, const std::string& s) {
  internal::BodyText(v, "action_taken", s, kMaxActionTakenLength, /*multiline=*/false, /*required=*/false);
}
void Notes(Violations& v, const std::string& s) {
  internal::BodyText(v, "reason", s, kMaxReviewNotesLength, /*multiline=*/true, /*required=*/false);
}
store::Value TextOrNull(const std::string& s) { return s.empty() ? store::Value() : store::Value(s); }

}  // namespace

const query::FieldTable<ModerationReviewField>& ModerationReviewColumns() { return ReviewTable().fields(); }

ModerationReviewFieldMask AllModerationReviewFields() { return ModerationReviewColumns().All(); }

absl::StatusOr<ModerationReview> ModerationReviewRepository::Get(const RequestContext& ctx, ReviewId id,
                                                                 ModerationReviewFieldMask mask) const {
  return ReviewTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<ReviewBatch> ModerationReviewRepository::GetMany(const RequestContext& ctx,
                                                                std::span<const ReviewId> ids,
                                                                ModerationReviewFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, ReviewTable().GetMany(*deps_.db, ctx, raw, mask));
  return ReviewBatch{std::move(found.items), query::TypedIds<ReviewId>(found.missing)};
}

absl::StatusOr<bool> ModerationReviewRepository::Exists(const RequestContext& ctx, ReviewId id) const {
  return ReviewTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> ModerationReviewRepository::Count(const RequestContext& ctx,
                                                          const ReviewFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.report_id) {
    where.push_back("report_id = ?");
    params.emplace_back(filter.report_id->value);
  }
  if (filter.reviewer_id) {
    where.push_back("reviewer_id = ?");
    params.emplace_back(filter.reviewer_id->value);
  }
  if (filter.decision) {
    where.push_back("decision = ?");
    params.emplace_back(model::ToString(*filter.decision));
  }
  return ReviewTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<ModerationReview>> ModerationReviewRepository::ListByReport(
    const RequestContext& ctx, ReportId report_id, const query::PageRequest& page,
    ModerationReviewFieldMask mask) const {
  return ReviewTable().List(*deps_.db, ctx, absl::StrCat("report:", report_id.value), "report_id = ?",
                            {report_id.value}, query::SortOrder::kAscending, page, mask, deps_.cursors);
}

absl::StatusOr<ModerationReview> ModerationReviewRepository::Create(const RequestContext& ctx,
                                                                    const NewReview& r) const {
  constexpr std::string_view kOp = "create review";
  Violations v;
  v.Id("report_id", r.report_id.value);
  v.Id("reviewer_id", r.reviewer_id.value);
  DecisionRule(v, r.decision);
  if (r.action_taken) ActionTaken(v, *r.action_taken);
  if (r.reason) Notes(v, *r.reason);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  DAIRA_ASSIGN_OR_RETURN(const int64_t new_id, deps_.NextId());
  return ReviewTable().Insert(*deps_.db, ctx, kOp,
                              {{"id", new_id},
                               {"report_id", r.report_id.value},
                               {"reviewer_id", r.reviewer_id.value},
                               {"decision", model::ToString(r.decision)},
                               {"action_taken", query::OptionalValue(r.action_taken)},
                               {"reason", query::OptionalValue(r.reason)},
                               {"created_at", deps_.NowMicros()}});
}

absl::Status ModerationReviewRepository::Update(const RequestContext& ctx, ReviewId id,
                                                const ReviewPatch& patch) const {
  constexpr std::string_view kOp = "update review";
  Violations v;
  if (patch.decision) DecisionRule(v, *patch.decision);
  if (patch.action_taken) ActionTaken(v, *patch.action_taken);
  if (patch.reason) Notes(v, *patch.reason);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  std::vector<query::Assignment> sets;
  if (patch.decision) sets.push_back({"decision", model::ToString(*patch.decision)});
  if (patch.action_taken) sets.push_back({"action_taken", TextOrNull(*patch.action_taken)});
  if (patch.reason) sets.push_back({"reason", TextOrNull(*patch.reason)});
  return ReviewTable().Update(*deps_.db, ctx, kOp, id.value, std::move(sets), deps_.NowMicros());
}

absl::Status ModerationReviewRepository::Delete(const RequestContext& ctx, ReviewId id) const {
  return ReviewTable().Delete(*deps_.db, ctx, "delete review", id.value);
}

}  // namespace daira::inline v0::services
