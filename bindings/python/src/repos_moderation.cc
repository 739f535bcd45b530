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
  py::class_<ReportsApi> c(m, "Reports", "Content reports and the moderation queue.");
  BindReads<ReportsTraits>(c);
  c.def(
       "find_by_reporter_and_content",
       [](ReportsApi& a, int64_t reporter_id, std::string content_type, int64_t content_id, py::object fields,
          TxState* tx) {
         auto type = EnumArg<model::ReportContentType>("find report", "content_type", content_type);
         auto mask = ParseFields(services::ContentReportColumns(), fields);
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.reports().FindByReporterAndContent(ctx, UserId{reporter_id}, type, content_id, mask);
         });
       },
       py::arg("reporter_id"), py::arg("content_type"), py::arg("content_id"), py::kw_only(),
       py::arg("fields") = py::none(), py::arg("tx") = py::none(),
       "This reporter's report of the target (content_type POST | VIDEO | COMMENT | USER); NotFound otherwise.")
      .def(
          "count",
          [](ReportsApi& a, std::optional<std::string> status, std::optional<std::string> severity,
             std::optional<std::string> content_type, std::optional<int64_t> content_id, TxState* tx) {
            services::ReportFilter f{
                .status = OptEnumArg<model::ReportStatus>("count reports", "status", status),
                .severity = OptEnumArg<model::ReportSeverity>("count reports", "severity", severity),
                .content_type = OptEnumArg<model::ReportContentType>("count reports", "content_type", content_type),
                .content_id = content_id};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reports().Count(ctx, f);
            });
          },
          py::kw_only(), py::arg("status") = py::none(), py::arg("severity") = py::none(),
          py::arg("content_type") = py::none(), py::arg("content_id") = py::none(), py::arg("tx") = py::none(),
          "Number of reports matching every filter given.")
      .def(
          "list_by_status",
          [](ReportsApi& a, std::string status, std::optional<std::string> severity, int limit, std::string cursor,
             py::object fields, TxState* tx) {
            auto st = EnumArg<model::ReportStatus>("list reports", "status", status);
            auto sev = OptEnumArg<model::ReportSeverity>("list reports", "severity", severity);
            auto mask = ParseFields(services::ContentReportColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [st, sev, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.reports().ListByStatus(ctx, st, sev, r, mask);
                            });
          },
          py::arg("status"), py::kw_only(), py::arg("severity") = py::none(), py::arg("limit") = 20,
          py::arg("cursor") = "", py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "A Page of the reports with this status (and severity), oldest first: the moderation queue.")
      .def(
          "create",
          [](ReportsApi& a, int64_t reporter_id, std::string content_type, int64_t content_id, std::string reason,
             std::optional<std::string> description, std::string severity, py::object evidence, TxState* tx) {
            services::NewReport r{
                .reporter_id = UserId{reporter_id},
                .content_type = EnumArg<model::ReportContentType>("create report", "content_type", content_type),
                .content_id = content_id,
                .reason = std::move(reason),
                .description = std::move(description),
                .severity = EnumArg<model::ReportSeverity>("create report", "severity", severity),
                .evidence = JsonArg(evidence)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reports().Create(ctx, r);
            });
          },
          py::kw_only(), py::arg("reporter_id"), py::arg("content_type"), py::arg("content_id"), py::arg("reason"),
          py::arg("description") = py::none(), py::arg("severity") = "LOW", py::arg("evidence") = "{}",
          py::arg("tx") = py::none(),
          "Files a PENDING report → Report. AlreadyExists (field content_id) when this reporter already\n"
          "reported the target; FailedPrecondition when the reporter does not exist.")
      .def(
          "update",
          [](ReportsApi& a, int64_t id, std::optional<std::string> status, std::optional<std::string> severity,
             std::optional<std::string> description, py::object evidence, py::object resolved_at, TxState* tx) {
            services::ReportPatch patch{
                .status = OptEnumArg<model::ReportStatus>("update report", "status", status),
                .severity = OptEnumArg<model::ReportSeverity>("update report", "severity", severity),
                .description = std::move(description),
                .evidence = OptJsonArg(evidence),
                .resolved_at = OptTimeArg(resolved_at)};
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reports().Update(ctx, ReportId{id}, patch);
            });
          },
          py::arg("report_id"), py::kw_only(), py::arg("status") = py::none(), py::arg("severity") = py::none(),
          py::arg("description") = py::none(), py::arg("evidence") = py::none(), py::arg("resolved_at") = py::none(),
          py::arg("tx") = py::none(),
          "Writes only the fields given (description='' clears it). InvalidArgument (field 'patch') when\n"
          "none is; NotFound.")
      .def(
          "delete",
          [](ReportsApi& a, int64_t id, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reports().Delete(ctx, ReportId{id});
            });
          },
          py::arg("report_id"), py::kw_only(),
          py::arg("tx") = py::none(), "Deletes the report and its reviews; NotFound.")
      .def("__repr__", [](const ReportsApi&) { return std::string("<daira.Reports>"); });
}

void BindReviews(py::module_& m) {
  py::class_<ReviewsApi> c(m, "Reviews", "Moderators' reviews of reports.");
  BindReads<ReviewsTraits>(c);
  c.def(
       "count",
       [](ReviewsApi& a, std::optional<int64_t> report_id, std::optional<int64_t> reviewer_id,
          std::optional<std::string> decision, TxState* tx) {
         services::ReviewFilter f{
             .report_id = OptId<ReportId>(report_id),
             .reviewer_id = OptId<UserId>(reviewer_id),
             .decision = OptEnumArg<model::ModerationDecision>("count reviews", "decision", decision)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.reviews().Count(ctx, f);
         });
       },
       py::kw_only(), py::arg("report_id") = py::none(), py::arg("reviewer_id") = py::none(),
       py::arg("decision") = py::none(), py::arg("tx") = py::none(), "Number of reviews matching every filter given.")
      .def(
          "list_by_report",
          [](ReviewsApi& a, int64_t report_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::ModerationReviewColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [report_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.reviews().ListByReport(ctx, ReportId{report_id}, r, mask);
                            });
          },
          py::arg("report_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the report's reviews, oldest first.")
      .def(
          "create",
          [](ReviewsApi& a, int64_t report_id, int64_t reviewer_id, std::string decision,
             std::optional<std::string> action_taken, std::optional<std::string> reason, TxState* tx) {
            services::NewReview r{
                .report_id = ReportId{report_id},
                .reviewer_id = UserId{reviewer_id},
                .decision = EnumArg<model::ModerationDecision>("create review", "decision", decision),
                .action_taken = std::move(action_taken),
                .reason = std::move(reason)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reviews().Create(ctx, r);
            });
          },
          py::kw_only(), py::arg("report_id"), py::arg("reviewer_id"), py::arg("decision") = "APPROVED",
          py::arg("action_taken") = py::none(), py::arg("reason") = py::none(), py::arg("tx") = py::none(),
          "Records a review → Review (decision APPROVED | REJECTED | WARN | SUSPEND | BAN).\n"
          "FailedPrecondition when the report or moderator does not exist.")
      .def(
          "update",
          [](ReviewsApi& a, int64_t id, std::optional<std::string> decision, std::optional<std::string> action_taken,
             std::optional<std::string> reason, TxState* tx) {
            services::ReviewPatch patch{
                .decision = OptEnumArg<model::ModerationDecision>("update review", "decision", decision),
                .action_taken = std::move(action_taken),
                .reason = std::move(reason)};
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reviews().Update(ctx, ReviewId{id}, patch);
            });
          },
          py::arg("review_id"), py::kw_only(), py::arg("decision") = py::none(), py::arg("action_taken") = py::none(),
          py::arg("reason") = py::none(), py::arg("tx") = py::none(),
          "Writes only the fields given ('' clears action_taken / reason). InvalidArgument (field 'patch')\n"
          "when none is; NotFound.")
      .def(
          "delete",
          [](ReviewsApi& a, int64_t id, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.reviews().Delete(ctx, ReviewId{id});
            });
          },
          py::arg("review_id"), py::kw_only(), py::arg("tx") = py::none(), "Deletes the review; NotFound.")
      .def("__repr__", [](const ReviewsApi&) { return std::string("<daira.Reviews>"); });
}

void BindAuditLogs(py::module_& m) {
  py::class_<AuditLogsApi> c(m, "AuditLogs",
                             "The append-only audit log: entries are written once; update() and delete() raise\n"
                             "daira.Unimplemented (also a NotImplementedError).");
  BindReads<AuditLogsTraits>(c);
  c.def(
       "count",
       [](AuditLogsApi& a, std::optional<int64_t> actor_id, std::optional<std::string> action,
          std::optional<std::string> resource_type, std::optional<int64_t> resource_id, TxState* tx) {
         services::AuditLogFilter f{.actor_id = OptId<UserId>(actor_id),
                                    .action = std::move(action),
                                    .resource_type = std::move(resource_type),
                                    .resource_id = resource_id};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.audit_logs().Count(ctx, f);
         });
       },
       py::kw_only(), py::arg("actor_id") = py::none(), py::arg("action") = py::none(),
       py::arg("resource_type") = py::none(), py::arg("resource_id") = py::none(), py::arg("tx") = py::none(),
       "Number of entries matching every filter given.")
      .def(
          "list_by_entity",
          [](AuditLogsApi& a, std::string resource_type, int64_t resource_id, int limit, std::string cursor,
             py::object fields, TxState* tx) {
            auto mask = ParseFields(services::AuditLogColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [resource_type, resource_id, mask](Platform& p, const RequestContext& ctx,
                                                           const query::PageRequest& r) {
                              return p.audit_logs().ListByEntity(ctx, resource_type, resource_id, r, mask);
                            });
          },
          py::arg("resource_type"), py::arg("resource_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the entity's entries, newest first.")
      .def(
          "list_by_actor",
          [](AuditLogsApi& a, int64_t actor_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::AuditLogColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [actor_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.audit_logs().ListByActor(ctx, UserId{actor_id}, r, mask);
                            });
          },
          py::arg("actor_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the actor's entries, newest first.")
      .def(
          "create",
          [](AuditLogsApi& a, std::string action, std::string resource_type, std::optional<int64_t> actor_id,
             std::optional<int64_t> resource_id, py::object changes, std::optional<std::string> ip_address,
             std::optional<std::string> user_agent, std::optional<std::string> correlation_id,
             std::optional<std::string> reason, TxState* tx) {
            services::NewAuditLog e{.actor_id = OptId<UserId>(actor_id),
                                    .action = std::move(action),
                                    .resource_type = std::move(resource_type),
                                    .resource_id = resource_id,
                                    .changes = JsonArg(changes),
                                    .ip_address = std::move(ip_address),
                                    .user_agent = std::move(user_agent),
                                    .correlation_id = std::move(correlation_id),
                                    .reason = std::move(reason)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.audit_logs().Create(ctx, e);
            });
          },
          py::kw_only(), py::arg("action"), py::arg("resource_type"), py::arg("actor_id") = py::none(),
          py::arg("resource_id") = py::none(), py::arg("changes") = "{}", py::arg("ip_address") = py::none(),
          py::arg("user_agent") = py::none(), py::arg("correlation_id") = py::none(),
          py::arg("reason") = py::none(), py::arg("tx") = py::none(),
          "Appends an entry at the end of the hash chain → AuditLogEntry. changes: a JSON object (str or dict). FailedPrecondition when\n"
          "the actor does not exist; InvalidArgument naming the field.")
      .def(
          "update",
          [](AuditLogsApi& a, int64_t id, TxState* tx, const py::kwargs&) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.audit_logs().Update(ctx, AuditLogId{id});
            });
          },
          py::arg("entry_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Always raises daira.Unimplemented: the audit log is append-only.")
      .def(
          "delete",
          [](AuditLogsApi& a, int64_t id, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.audit_logs().Delete(ctx, AuditLogId{id});
            });
          },
          py::arg("entry_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Always raises daira.Unimplemented: the audit log is append-only.")
      .def("__repr__", [](const AuditLogsApi&) { return std::string("<daira.AuditLogs>"); });
}

}  // namespace

void RegisterModerationRepos(py::module_& m) {
  BindReports(m);
  BindReviews(m);
  BindAuditLogs(m);
}

}  // namespace daira::python
