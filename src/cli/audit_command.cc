// `daira audit verify [--json]`: walks the audit log's hash chain (services::AuditLog::Verify) and
// reports the first entry that does not match. Exit 0 when the chain holds, 1 when an entry was
// changed or removed (the row id and seq are printed) and on database errors.
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/services/audit_log.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct AuditArgs {
  bool json = false;
};

int RunVerify(const GlobalOptions& globals, const AuditArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  RequestContext ctx({.correlation_id = "", .caller = "cli:audit", .timeout = std::chrono::milliseconds(0)});
  Stopwatch watch;
  services::AuditLog audit(services::ServiceDeps{.db = db->get()});
  absl::StatusOr<services::AuditVerification> v = audit.Verify(ctx);
  if (!v.ok()) return FailStatus("audit verify", v.status());
  if (args.json) {
    JsonWriter w;
    w.BeginObject().Key("ok").Bool(v->ok()).Key("checked").Int(v->checked).Key("unchained").Int(v->unchained);
    if (!v->ok()) {
      w.Key("first_bad_id").Int(v->first_bad_id ? v->first_bad_id->value : 0);
      w.Key("first_bad_seq").Int(v->first_bad_seq.value_or(0)).Key("problem").String(v->problem);
    }
    w.EndObject();
    fmt::print("{}\n", w.Take());
  } else {
    fmt::print("{} audit entries checked, {} unchained (written before migration 017)  ({})\n",
               FormatCount(v->checked), FormatCount(v->unchained), FormatDuration(watch.Elapsed()));
  }
  if (!v->ok()) {
    return Fail(kExitRuntime, fmt::format("audit verify: row {} (seq {}) does not match: {}",
                                          v->first_bad_id ? v->first_bad_id->value : 0,
                                          v->first_bad_seq.value_or(0), v->problem));
  }
  return kExitOk;
}

}  // namespace

Command AddAuditCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* app = root.add_subcommand("audit", "the tamper-evident audit log");
  app->require_subcommand(1);
  CLI::App* verify =
      app->add_subcommand("verify", "recompute the hash chain; exit 1 at the first row that does not match");
  verify->add_flag("--json", args->json, "print one JSON object");
  return {app, [&globals, args] { return RunVerify(globals, *args); }};
}

}  // namespace daira::inline v0::cli
