// The moderation part of `daira demo`: a report on a seeded post, a SUSPEND decision taking effect in
// one transaction (post hidden, author suspended, sessions revoked, review and audit row written), and
// the audit log's hash chain verified.
#include <string>

#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/services/audit_log.h"
#include "daira/services/moderation.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {

absl::Status DemoModeration(store::Database& db) {
  RequestContext ctx(
      {.correlation_id = "demo-moderation", .caller = "cli:demo", .timeout = std::chrono::milliseconds(0)});
  const services::ServiceDeps deps{.db = &db};
  services::Moderation moderation(deps);
  services::AuditLog audit(deps);
  fmt::print(
      "\nmoderation  (daira::services::Moderation, one transaction per decision; docs/moderation.md)\n");
  // A post, its author, and two other users: a reporter and a reviewer.
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet picks,
      db.Read(
          ctx,
          "SELECT p.id, p.author_id, u.username, "
          "(SELECT x.id FROM users x WHERE x.id <> p.author_id ORDER BY x.id LIMIT 1), "
          "(SELECT x.id FROM users x WHERE x.id <> p.author_id ORDER BY x.id DESC LIMIT 1) "
          "FROM posts p JOIN users u ON u.id = p.author_id WHERE p.status = 'ACTIVE' ORDER BY p.id LIMIT 1"));
  if (picks.empty() || picks.front().IsNull(3) || picks.front().Int64(3) == picks.front().Int64(4)) {
    fmt::print("  (needs a post and two other users: nothing to show)\n");
    return absl::OkStatus();
  }
  const int64_t post = picks.front().Int64(0);
  const int64_t author = picks.front().Int64(1);
  const std::string author_name = picks.front().Text(2);
  const int64_t reporter = picks.front().Int64(3);
  const int64_t reviewer = picks.front().Int64(4);
  Stopwatch sw;
  DAIRA_ASSIGN_OR_RETURN(model::ContentReport report, moderation.Report(ctx, {.reporter_id = reporter,
                                                                              .content_type = "POST",
                                                                              .content_id = post,
                                                                              .reason = "SPAM",
                                                                              .severity = "HIGH"}));
  fmt::print("  report {} of post {} by @{}: SPAM, HIGH, PENDING  ({})\n", report.id.value, post, author_name,
             FormatDuration(sw.Elapsed()));
  sw.Restart();
  DAIRA_ASSIGN_OR_RETURN(services::ModerationDecisionResult d,
                         moderation.Decide(ctx, {.report_id = report.id.value,
                                                 .reviewer_id = reviewer,
                                                 .decision = "SUSPEND",
                                                 .reason = "spam campaign"}));
  fmt::print("  decide SUSPEND  ({})\n", FormatDuration(sw.Elapsed()));
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet after,
      db.Read(ctx, "SELECT (SELECT status FROM posts WHERE id = ?), (SELECT status FROM users WHERE id = ?)",
              {post, author}));
  fmt::print("      post {} is {} · @{} is {} ({} sessions revoked; login is refused) · report {}\n", post,
             after.front().Text(0), author_name, after.front().Text(1), d.sessions_revoked,
             model::ToString(*d.report.status));
  fmt::print("      review: {} \"{}\" · audit row {} ({}), seq {}, hash {}…\n",
             model::ToString(*d.review.decision), d.review.action_taken.value_or(""), d.audit.id.value,
             d.audit.action.value_or(""), d.audit.seq.value_or(0), d.audit.hash.value_or("").substr(0, 16));
  sw.Restart();
  DAIRA_ASSIGN_OR_RETURN(services::AuditVerification v, audit.Verify(ctx));
  if (!v.ok())
    return absl::DataLossError(fmt::format("demo: the audit chain does not verify: {}", v.problem));
  fmt::print("  audit chain: {} entries verified  ({}; `daira audit verify` does the same)\n",
             FormatCount(v.checked), FormatDuration(sw.Elapsed()));
  return absl::OkStatus();
}

}  // namespace daira::inline v0::cli
