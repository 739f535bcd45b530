// ReportRepository: typed access to `content_reports` — get, batch get, find by (reporter, content),
// exists, count, create, partial update, delete, and the moderation queue by status — with field masks.
//
//   services::ReportRepository reports(deps);
//   DAIRA_ASSIGN_OR_RETURN(model::ContentReport r, reports.Create(ctx, {
//       .reporter_id = UserId{3}, .content_type = model::ReportContentType::kPost, .content_id = 42,
//       .reason = "SPAM", .severity = model::ReportSeverity::kHigh}));
//   DAIRA_ASSIGN_OR_RETURN(auto queue, reports.ListByStatus(ctx, model::ReportStatus::kPending, {},
//                                                          {.limit = 50}));             // oldest first
//   DAIRA_RETURN_IF_ERROR(reports.Update(ctx, r.id, {.status = model::ReportStatus::kResolved,
//                                                    .resolved_at = clock.Now()}));
//
// One report per reporter and target: a second report of the same content by the same user is
// AlreadyExists naming "content_id" (a report whose reporter's account is gone no longer counts).
// `reason` is one of kReportReasons (the database refuses anything else too, migration 017). Deleting a report
// deletes its reviews (ON DELETE CASCADE).
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a connection of
// its own (reads on a read connection, which may be a replica). Inputs are validated first:
// InvalidArgument naming the field, and nothing is written.
//
// Thread-safety: ReportRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/model/content_report.h"
#include "daira/model/ids.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/moderation_requests.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using ContentReportFieldMask = query::FieldMask<model::ContentReportField>;

// Longest `reason`, in characters (the column is free text; daira's reasons are short codes).
inline constexpr size_t kMaxReportReasonLength = 64;

// The column table of `content_reports` (id is the primary key).
const query::FieldTable<model::ContentReportField>& ContentReportColumns();
// Every column of `content_reports`.
ContentReportFieldMask AllContentReportFields();

struct ReportBatch {
  std::vector<model::ContentReport> reports;  // found, in the caller's order (duplicates once)
  std::vector<ReportId> missing;              // ids with no row
};

struct NewReport {
  UserId reporter_id;  // > 0
  model::ReportContentType content_type = model::ReportContentType::kPost;
  int64_t content_id = 0;                    // > 0
  std::string reason;                        // SPAM | HARASSMENT | HATE_SPEECH | VIOLENCE | OTHER
  std::optional<std::string> description{};  // 0–1000 characters (line breaks allowed)
  model::ReportSeverity severity = model::ReportSeverity::kLow;
  std::string evidence = "{}";  // a JSON object, at most 16384 characters
};

// Only the given fields are written (and updated_at).
struct ReportPatch {
  std::optional<model::ReportStatus> status{};
  std::optional<model::ReportSeverity> severity{};
  std::optional<std::string> description{};  // 0–1000 characters; "" clears it
  std::optional<std::string> evidence{};     // a JSON object, at most 16384 characters
  std::optional<Clock::TimePoint> resolved_at{};
};

// Count filters (all given ones must match).
struct ReportFilter {
  std::optional<model::ReportStatus> status{};
  std::optional<model::ReportSeverity> severity{};
  std::optional<model::ReportContentType> content_type{};
  std::optional<int64_t> content_id{};  // with content_type: the reports of one target
};

class ReportRepository {
 public:
  explicit ReportRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The report with `id` (columns of `mask` plus id). NotFound "content_reports: report 9 not found".
  absl::StatusOr<model::ContentReport> Get(const RequestContext& ctx, ReportId id,
                                           ContentReportFieldMask mask = AllContentReportFields()) const;
  // The reports with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<ReportBatch> GetMany(const RequestContext& ctx, std::span<const ReportId> ids,
                                      ContentReportFieldMask mask = AllContentReportFields()) const;
  // `reporter_id`'s report of the target (the unique key). NotFound naming it.
  absl::StatusOr<model::ContentReport> FindByReporterAndContent(
      const RequestContext& ctx, UserId reporter_id, model::ReportContentType content_type,
      int64_t content_id, ContentReportFieldMask mask = AllContentReportFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, ReportId id) const;
  // Number of reports matching `filter` (every report when empty).
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const ReportFilter& filter = {}) const;
  // A page of the reports with `status` (and `severity` when given), oldest first — the moderation
  // queue (keyset over id; one statement; an index range walk when severity is given).
  absl::StatusOr<query::Page<model::ContentReport>> ListByStatus(
      const RequestContext& ctx, model::ReportStatus status,
      std::optional<model::ReportSeverity> severity = {}, const query::PageRequest& page = {},
      ContentReportFieldMask mask = AllContentReportFields()) const;
  // Inserts the report as PENDING (id from ServiceDeps::ids, created_at = updated_at = now) and returns
  // it as stored. InvalidArgument naming the field; AlreadyExists naming "content_id" when the reporter
  // already reported the target; FailedPrecondition when the reporter does not exist.
  absl::StatusOr<model::ContentReport> Create(const RequestContext& ctx, const NewReport& report) const;
  // Writes the given fields and bumps updated_at. InvalidArgument naming "patch" when empty (or the
  // field at fault); NotFound.
  absl::Status Update(const RequestContext& ctx, ReportId id, const ReportPatch& patch) const;
  // Deletes the report and its reviews. NotFound when no such report.
  absl::Status Delete(const RequestContext& ctx, ReportId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
