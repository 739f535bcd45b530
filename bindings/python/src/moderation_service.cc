// p.moderation (report, queue, decide) and p.audit (append, verify): services::Moderation and
// services::AuditLog (docs/moderation.md). Results are the record classes of repos_moderation.cc
// (Report, Review, AuditLogEntry) plus ModerationDecision and AuditVerification below.
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/services/audit_log.h"
#include "daira/services/moderation.h"
#include "module.h"
#include "service_call.h"

namespace daira::python {

void RegisterModerationService(py::module_& m) {
  py::class_<services::ModerationDecisionResult>(m, "ModerationDecision",
                                                 "What Moderation.decide did, all in one transaction.")
      .def_readonly("report", &services::ModerationDecisionResult::report, "The report as resolved.")
      .def_readonly("review", &services::ModerationDecisionResult::review, "The report's one review.")
      .def_readonly("audit", &services::ModerationDecisionResult::audit, "The decision's audit entry.")
      .def_readonly("content_changed", &services::ModerationDecisionResult::content_changed,
                    "True when a post or comment was hidden or restored.")
      .def_readonly("sessions_revoked", &services::ModerationDecisionResult::sessions_revoked,
                    "Sessions revoked by SUSPEND / BAN.")
      .def_readonly("notification", &services::ModerationDecisionResult::notification,
                    "The MODERATION notification a WARN / SUSPEND / BAN sent the user it is about, else None.");

  py::class_<services::AuditVerification>(m, "AuditVerification", "What AuditLog.verify found.")
      .def_property_readonly("ok", &services::AuditVerification::ok)
      .def_readonly("checked", &services::AuditVerification::checked)
      .def_readonly("unchained", &services::AuditVerification::unchained)
      .def_property_readonly("first_bad_id",
                             [](const services::AuditVerification& v) -> std::optional<int64_t> {
                               if (!v.first_bad_id) return std::nullopt;
                               return v.first_bad_id->value;
                             })
      .def_readonly("first_bad_seq", &services::AuditVerification::first_bad_seq)
      .def_readonly("problem", &services::AuditVerification::problem)
      .def("__bool__", &services::AuditVerification::ok)
      .def("__repr__", [](const services::AuditVerification& v) {
        return v.ok() ? "AuditVerification(ok, checked=" + std::to_string(v.checked) + ")"
                      : "AuditVerification(bad row " + std::to_string(v.first_bad_id ? v.first_bad_id->value : 0) +
                            ": " + v.problem + ")";
      });

  py::class_<ModerationServiceApi> mod(m, "Moderation",
                                       "Reports, the review queue and decisions that take effect.");
  using services::Moderation;
  constexpr auto kModeration = &Platform::moderation;
  using Report = services::ReportRequest;
  DefRequest<kModeration, &Moderation::Report,
             Fields<&Report::reporter_id, &Report::content_type, &Report::content_id, &Report::reason,
                    &Report::description, &Report::severity, Json(&Report::evidence)>>(
      mod, "report", py::kw_only(), py::arg("reporter_id"), py::arg("content_type"), py::arg("content_id"),
      py::arg("reason"), py::arg("description") = py::none(), py::arg("severity") = "LOW",
      py::arg("evidence") = "{}", TxArg(),
      "Files a PENDING report → Report (reason SPAM | HARASSMENT | HATE_SPEECH | VIOLENCE | OTHER). "
      "NotFound\n"
      "(content_id, reporter_id); AlreadyExists (content_id) for a second report of the same target. May\n"
      "hide the target (the auto-hide threshold), in the same transaction.");
  DefPage<kModeration, &Moderation::Queue, int>(
      mod, NoTx{"queue"}, py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
      "A Page of the open reports, most severe first, then oldest.");
  using Review = services::ReviewReportRequest;
  DefRequest<kModeration, &Moderation::Decide,
             Fields<&Review::report_id, &Review::reviewer_id, &Review::decision, &Review::reason,
                    &Review::action_taken>>(
      mod, "decide", py::arg("report_id"), py::kw_only(), py::arg("reviewer_id"), py::arg("decision"),
      py::arg("reason") = py::none(), py::arg("action_taken") = py::none(), TxArg(),
      "Decides the report (APPROVED | REJECTED | WARN | SUSPEND | BAN) → ModerationDecision; the effect,\n"
      "review, resolved report and audit entry in one transaction. PermissionDenied when the report is\n"
      "about the reviewer; FailedPrecondition when already decided.");

  py::class_<AuditApi> audit(m, "AuditLog", "The tamper-evident audit log: append, verify the hash chain.");
  using services::AuditLog;
  constexpr auto kAudit = &Platform::audit;
  using Entry = services::NewAuditLog;
  DefRequest<kAudit, &AuditLog::Append,
             Fields<&Entry::action, &Entry::resource_type, &Entry::actor_id, &Entry::resource_id,
                    Json(&Entry::changes), &Entry::reason>>(
      audit, "append", py::kw_only(), py::arg("action"), py::arg("resource_type"),
      py::arg("actor_id") = py::none(), py::arg("resource_id") = py::none(), py::arg("changes") = "{}",
      py::arg("reason") = py::none(), TxArg(),
      "Appends an entry at the end of the hash chain → AuditLogEntry.");
  DefCall<kAudit, &AuditLog::Verify>(
      audit, NoTx{"verify"}, py::kw_only(), py::arg("batch") = 1000,
      "Recomputes the hash chain → AuditVerification (falsy at the first row that does not match).");
}

}  // namespace daira::python
