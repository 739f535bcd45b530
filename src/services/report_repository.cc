#include "daira/services/report_repository.h"

#include <algorithm>
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

using model::ContentReport;
using model::ContentReportField;

namespace {

using Column = query::ColumnSpec<ContentReport, ContentReportField>;
using query::ReadColumn;

const query::Table<ContentReport, ContentReportField>& ReportTable() {
  static const auto* kTable = new query::Table<ContentReport, ContentReportField>(
      {.table = "content_reports",
       .entity = "report",
       .unique_keys =
           {{"content_reports_reporter_uidx",
             "content_reports.reporter_id, content_reports.content_type, content_reports.content_id",
             "content_id", "is already reported by this reporter"}}},
      std::array{
          Column{ContentReportField::kId, "id", &ReadColumn<&ContentReport::id>, query::kPrimaryKey},
          Column{ContentReportField::kReporterId, "reporter_id", &ReadColumn<&ContentReport::reporter_id>},
          Column{ContentReportField::kContentType, "content_type", &ReadColumn<&ContentReport::content_type>},
          Column{ContentReportField::kContentId, "content_id", &ReadColumn<&ContentReport::content_id>},
          Column{ContentReportField::kReason, "reason", &ReadColumn<&ContentReport::reason>},
          Column{ContentReportField::kDescription, "description", &ReadColumn<&ContentReport::description>},
          Column{ContentReportField::kSeverity, "severity", &ReadColumn<&ContentReport::severity>},
          Column{ContentReportField::kStatus, "status", &ReadColumn<&ContentReport::status>},
          Column{ContentReportField::kEvidence, "evidence", &ReadColumn<&ContentReport::evidence>},
          Column{ContentReportField::kCreatedAt, "created_at", &ReadColumn<&ContentReport::created_at>},
          Column{ContentReportField::kUpdatedAt, "updated_at", &ReadColumn<&ContentReport::updated_at>},
          Column{ContentReportField::kResolvedAt, "resolved_at", &ReadColumn<&ContentReport::resolved_at>},
      });
  return *kTable;
}

void EnumRule(Violations& v, std::string_view field, std::string_view spelled, std::string_view allowed) {
  v.Require(field, !spelled.empty(), absl::StrCat("must be one of ", ToAbsl(allowed)));
}

constexpr std::string_view kContentTypes = "POST, VIDEO, COMMENT, USER";
constexpr std::string_view kSeverities = "LOW, MEDIUM, HIGH, CRITICAL";
constexpr std::string_view kReasons = "SPAM, HARASSMENT, HATE_SPEECH, VIOLENCE, OTHER";
constexpr std::string_view kStatuses = "PENDING, REVIEWING, RESOLVED, DISMISSED";

void Evidence(Violations& v, const std::string& evidence) {
  if (v.Length("evidence", evidence, 0, kMaxEvidenceLength)) v.JsonObject("evidence", evidence);
}

}  // namespace

const query::FieldTable<ContentReportField>& ContentReportColumns() { return ReportTable().fields(); }

ContentReportFieldMask AllContentReportFields() { return ContentReportColumns().All(); }

absl::StatusOr<ContentReport> ReportRepository::Get(const RequestContext& ctx, ReportId id,
                                                    ContentReportFieldMask mask) const {
  return ReportTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<ReportBatch> ReportRepository::GetMany(const RequestContext& ctx,
                                                      std::span<const ReportId> ids,
                                                      ContentReportFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, ReportTable().GetMany(*deps_.db, ctx, raw, mask));
  return ReportBatch{std::move(found.items), query::TypedIds<ReportId>(found.missing)};
}

absl::StatusOr<ContentReport> ReportRepository::FindByReporterAndContent(
    const RequestContext& ctx, UserId reporter_id, model::ReportContentType content_type, int64_t content_id,
    ContentReportFieldMask mask) const {
  return ReportTable().FindOne(*deps_.db, ctx, "reporter_id = ? AND content_type = ? AND content_id = ?",
                               {reporter_id.value, model::ToString(content_type), content_id}, mask,
                               absl::StrCat("no report by reporter_id ", reporter_id.value, " of ",
                                            ToAbsl(model::ToString(content_type)), " ", content_id));
}

absl::StatusOr<bool> ReportRepository::Exists(const RequestContext& ctx, ReportId id) const {
  return ReportTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> ReportRepository::Count(const RequestContext& ctx, const ReportFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.status) {
    where.push_back("status = ?");
    params.emplace_back(model::ToString(*filter.status));
  }
  if (filter.severity) {
    where.push_back("severity = ?");
    params.emplace_back(model::ToString(*filter.severity));
  }
  if (filter.content_type) {
    where.push_back("content_type = ?");
    params.emplace_back(model::ToString(*filter.content_type));
  }
  if (filter.content_id) {
    where.push_back("content_id = ?");
    params.emplace_back(*filter.content_id);
  }
  return ReportTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<ContentReport>> ReportRepository::ListByStatus(
    const RequestContext& ctx, model::ReportStatus status, std::optional<model::ReportSeverity> severity,
    const query::PageRequest& page, ContentReportFieldMask mask) const {
  if (!severity.has_value()) {
    return ReportTable().List(*deps_.db, ctx, absl::StrCat("status:", ToAbsl(model::ToString(status))),
                              "status = ?", {model::ToString(status)}, query::SortOrder::kAscending, page,
                              mask, deps_.cursors);
  }
  return ReportTable().List(
      *deps_.db, ctx,
      absl::StrCat("status:", ToAbsl(model::ToString(status)), ":", ToAbsl(model::ToString(*severity))),
      "status = ? AND severity = ?", {model::ToString(status), model::ToString(*severity)},
      query::SortOrder::kAscending, page, mask, deps_.cursors);
}

absl::StatusOr<ContentReport> ReportRepository::Create(const RequestContext& ctx, const NewReport& r) const {
  constexpr std::string_view kOp = "create report";
  Violations v;
  v.Id("reporter_id", r.reporter_id.value);
  EnumRule(v, "content_type", model::ToString(r.content_type), kContentTypes);
  v.Id("content_id", r.content_id);
  v.Require("reason",
            std::find(kReportReasons.begin(), kReportReasons.end(), r.reason) != kReportReasons.end(),
            absl::StrCat("must be one of ", ToAbsl(kReasons), " (got \"", r.reason.substr(0, 64), "\")"));
  if (r.description) {
    internal::BodyText(v, "description", *r.description, kMaxReportDescriptionLength, /*multiline=*/true,
                       /*required=*/false);
  }
  EnumRule(v, "severity", model::ToString(r.severity), kSeverities);
  Evidence(v, r.evidence);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  const int64_t now = deps_.NowMicros();
  DAIRA_ASSIGN_OR_RETURN(const int64_t new_id, deps_.NextId());
  return ReportTable().Insert(*deps_.db, ctx, kOp,
                              {{"id", new_id},
                               {"reporter_id", r.reporter_id.value},
                               {"content_type", model::ToString(r.content_type)},
                               {"content_id", r.content_id},
                               {"reason", r.reason},
                               {"description", query::OptionalValue(r.description)},
                               {"severity", model::ToString(r.severity)},
                               {"status", model::ToString(model::ReportStatus::kPending)},
                               {"evidence", store::Value::Json(r.evidence)},
                               {"created_at", now},
                               {"updated_at", now}});
}

absl::Status ReportRepository::Update(const RequestContext& ctx, ReportId id,
                                      const ReportPatch& patch) const {
  constexpr std::string_view kOp = "update report";
  Violations v;
  if (patch.status) EnumRule(v, "status", model::ToString(*patch.status), kStatuses);
  if (patch.severity) EnumRule(v, "severity", model::ToString(*patch.severity), kSeverities);
  if (patch.description) {
    internal::BodyText(v, "description", *patch.description, kMaxReportDescriptionLength, /*multiline=*/true,
                       /*required=*/false);
  }
  if (patch.evidence) Evidence(v, *patch.evidence);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  std::vector<query::Assignment> sets;
  if (patch.status) sets.push_back({"status", model::ToString(*patch.status)});
  if (patch.severity) sets.push_back({"severity", model::ToString(*patch.severity)});
  if (patch.description) {
    sets.push_back(
        {"description", patch.description->empty() ? store::Value() : store::Value(*patch.description)});
  }
  if (patch.evidence) sets.push_back({"evidence", store::Value::Json(*patch.evidence)});
  if (patch.resolved_at) sets.push_back({"resolved_at", ToUnixMicros(*patch.resolved_at)});
  return ReportTable().Update(*deps_.db, ctx, kOp, id.value, std::move(sets), deps_.NowMicros());
}

absl::Status ReportRepository::Delete(const RequestContext& ctx, ReportId id) const {
  return ReportTable().Delete(*deps_.db, ctx, "delete report", id.value);
}

}  // namespace daira::inline v0::services
