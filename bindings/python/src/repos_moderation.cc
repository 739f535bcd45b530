// p.reports, p.reviews and p.audit_logs: the moderation repositories with field masks, batch reads,
// keyset lists and writes, each call optionally inside a transaction (tx=). The audit log is
// append-only: its update() and delete() always raise daira.Unimplemented (docs/services/moderation.md).
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/services/audit_log_repository.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "module.h"
#include "repository.h"
#include "service_call.h"

namespace daira::python {
namespace {

struct ReportsTraits {
  using Api = ReportsApi;
  using Id = ReportId;
  static constexpr const char* kIdArg = "report_id";
  static services::ReportRepository& Repo(Platform& p) { return p.reports(); }
  static const auto& Columns() { return services::ContentReportColumns(); }
  static auto& Items(services::ReportBatch& b) { return b.reports; }
};
struct ReviewsTraits {
  using Api = ReviewsApi;
  using Id = ReviewId;
  static constexpr const char* kIdArg = "review_id";
  static services::ModerationReviewRepository& Repo(Platform& p) { return p.reviews(); }
  static const auto& Columns() { return services::ModerationReviewColumns(); }
  static auto& Items(services::ReviewBatch& b) { return b.reviews; }
};
struct AuditLogsTraits {
  using Api = AuditLogsApi;
  using Id = AuditLogId;
  static constexpr const char* kIdArg = "entry_id";
  static services::AuditLogRepository& Repo(Platform& p) { return p.audit_logs(); }
  static const auto& Columns() { return services::AuditLogColumns(); }
  static auto& Items(services::AuditLogBatch& b) { return b.entries; }
};

void BindReports(py::module_& m) {
  using Repo = services::ReportRepository;
  using F = services::ReportFilter;
  using Row = services::NewReport;
  using Patch = services::ReportPatch;
  py::class_<ReportsApi> c(m, "Reports", "Content reports and the moderation queue.");
  BindReads<ReportsTraits>(c);
  DefRepoCall<ReportsTraits, &Repo::FindByReporterAndContent>(
      c, Named{"find_by_reporter_and_content", "find report"}, py::arg("reporter_id"),
      py::arg("content_type"), py::arg("content_id"), py::kw_only(), py::arg("fields") = py::none(), TxArg(),
      "This reporter's report of the target (content_type POST | VIDEO | COMMENT | USER); NotFound "
      "otherwise.");
  DefRepoRequest<ReportsTraits, &Repo::Count,
                 Fields<&F::status, &F::severity, &F::content_type, &F::content_id>>(
      c, Named{"count", "count reports"}, py::kw_only(), py::arg("status") = py::none(),
      py::arg("severity") = py::none(), py::arg("content_type") = py::none(),
      py::arg("content_id") = py::none(), TxArg(), "Number of reports matching every filter given.");
  DefList<ReportsTraits, &Repo::ListByStatus>(
      c, Named{"list_by_status", "list reports"}, py::arg("status"), py::kw_only(),
      py::arg("severity") = py::none(), py::arg("limit") = 20, py::arg("cursor") = "",
      py::arg("fields") = py::none(), TxArg(),
      "A Page of the reports with this status (and severity), oldest first: the moderation queue.");
  DefRepoRequest<ReportsTraits, &Repo::Create,
                 Fields<&Row::reporter_id, &Row::content_type, &Row::content_id, &Row::reason,
                        &Row::description, &Row::severity, Json(&Row::evidence)>>(
      c, Named{"create", "create report"}, py::kw_only(), py::arg("reporter_id"), py::arg("content_type"),
      py::arg("content_id"), py::arg("reason"), py::arg("description") = py::none(),
      py::arg("severity") = "LOW", py::arg("evidence") = "{}", TxArg(),
      "Files a PENDING report → Report. AlreadyExists (field content_id) when this reporter already\n"
      "reported the target; FailedPrecondition when the reporter does not exist.");
  DefRepoRequest<ReportsTraits, &Repo::Update,
                 Fields<&Patch::status, &Patch::severity, &Patch::description, Json(&Patch::evidence),
                        &Patch::resolved_at>>(
      c, Named{"update", "update report"}, py::arg("report_id"), py::kw_only(),
      py::arg("status") = py::none(), py::arg("severity") = py::none(), py::arg("description") = py::none(),
      py::arg("evidence") = py::none(), py::arg("resolved_at") = py::none(), TxArg(),
      "Writes only the fields given (description='' clears it). InvalidArgument (field 'patch') when\n"
      "none is; NotFound.");
  DefRepoCall<ReportsTraits, &Repo::Delete>(c, "delete", py::arg("report_id"), py::kw_only(), TxArg(),
                                            "Deletes the report and its reviews; NotFound.");
  c.def("__repr__", [](const ReportsApi&) { return std::string("<daira.Reports>"); });
}

void BindReviews(py::module_& m) {
  using Repo = services::ModerationReviewRepository;
  using F = services::ReviewFilter;
  using Row = services::NewReview;
  using Patch = services::ReviewPatch;
  py::class_<ReviewsApi> c(m, "Reviews", "Moderators' reviews of reports.");
  BindReads<ReviewsTraits>(c);
  DefRepoRequest<ReviewsTraits, &Repo::Count, Fields<&F::report_id, &F::reviewer_id, &F::decision>>(
      c, Named{"count", "count reviews"}, py::kw_only(), py::arg("report_id") = py::none(),
      py::arg("reviewer_id") = py::none(), py::arg("decision") = py::none(), TxArg(),
      "Number of reviews matching every filter given.");
  DefList<ReviewsTraits, &Repo::ListByReport>(c, "list_by_report", py::arg("report_id"), DAIRA_PY_LIST_ARGS,
                                              "A Page of the report's reviews, oldest first.");
  DefRepoRequest<
      ReviewsTraits, &Repo::Create,
      Fields<&Row::report_id, &Row::reviewer_id, &Row::decision, &Row::action_taken, &Row::reason>>(
      c, Named{"create", "create review"}, py::kw_only(), py::arg("report_id"), py::arg("reviewer_id"),
      py::arg("decision") = "APPROVED", py::arg("action_taken") = py::none(), py::arg("reason") = py::none(),
      TxArg(),
      "Records a review → Review (decision APPROVED | REJECTED | WARN | SUSPEND | BAN).\n"
      "FailedPrecondition when the report or moderator does not exist.");
  DefRepoRequest<ReviewsTraits, &Repo::Update,
                 Fields<&Patch::decision, &Patch::action_taken, &Patch::reason>>(
      c, Named{"update", "update review"}, py::arg("review_id"), py::kw_only(),
      py::arg("decision") = py::none(), py::arg("action_taken") = py::none(), py::arg("reason") = py::none(),
      TxArg(),
      "Writes only the fields given ('' clears action_taken / reason). InvalidArgument (field 'patch')\n"
      "when none is; NotFound.");
  DefRepoCall<ReviewsTraits, &Repo::Delete>(c, "delete", py::arg("review_id"), py::kw_only(), TxArg(),
                                            "Deletes the review; NotFound.");
  c.def("__repr__", [](const ReviewsApi&) { return std::string("<daira.Reviews>"); });
}

void BindAuditLogs(py::module_& m) {
  using Repo = services::AuditLogRepository;
  using F = services::AuditLogFilter;
  using Row = services::NewAuditLog;
  py::class_<AuditLogsApi> c(m, "AuditLogs",
                             "The append-only audit log: entries are written once; update() and delete() raise\n"
                             "daira.Unimplemented (also a NotImplementedError).");
  BindReads<AuditLogsTraits>(c);
  DefRepoRequest<AuditLogsTraits, &Repo::Count,
                 Fields<&F::actor_id, &F::action, &F::resource_type, &F::resource_id>>(
      c, "count", py::kw_only(), py::arg("actor_id") = py::none(), py::arg("action") = py::none(),
      py::arg("resource_type") = py::none(), py::arg("resource_id") = py::none(), TxArg(),
      "Number of entries matching every filter given.");
  DefList<AuditLogsTraits, &Repo::ListByEntity>(c, "list_by_entity", py::arg("resource_type"),
                                                py::arg("resource_id"), DAIRA_PY_LIST_ARGS,
                                                "A Page of the entity's entries, newest first.");
  DefList<AuditLogsTraits, &Repo::ListByActor>(c, "list_by_actor", py::arg("actor_id"), DAIRA_PY_LIST_ARGS,
                                               "A Page of the actor's entries, newest first.");
  DefRepoRequest<
      AuditLogsTraits, &Repo::Create,
      Fields<&Row::action, &Row::resource_type, &Row::actor_id, &Row::resource_id, Json(&Row::changes),
             &Row::ip_address, &Row::user_agent, &Row::correlation_id, &Row::reason>>(
      c, "create", py::kw_only(), py::arg("action"), py::arg("resource_type"),
      py::arg("actor_id") = py::none(), py::arg("resource_id") = py::none(), py::arg("changes") = "{}",
      py::arg("ip_address") = py::none(), py::arg("user_agent") = py::none(),
      py::arg("correlation_id") = py::none(), py::arg("reason") = py::none(), TxArg(),
      "Appends an entry at the end of the hash chain → AuditLogEntry. changes: a JSON object (str or dict). "
      "FailedPrecondition when\n"
      "the actor does not exist; InvalidArgument naming the field.");
  c.def(
      "update",
      [](AuditLogsApi& a, int64_t id, TxState* tx, const py::kwargs&) {
        CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
          return p.audit_logs().Update(ctx, AuditLogId{id});
        });
      },
      py::arg("entry_id"), py::kw_only(), TxArg(),
      "Always raises daira.Unimplemented: the audit log is append-only.");
  DefRepoCall<AuditLogsTraits, &Repo::Delete>(
      c, "delete", py::arg("entry_id"), py::kw_only(), TxArg(),
      "Always raises daira.Unimplemented: the audit log is append-only.");
  c.def("__repr__", [](const AuditLogsApi&) { return std::string("<daira.AuditLogs>"); });
}

}  // namespace

void RegisterModerationRepos(py::module_& m) {
  BindReports(m);
  BindReviews(m);
  BindAuditLogs(m);
}

}  // namespace daira::python
