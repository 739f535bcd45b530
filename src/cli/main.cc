// daira: migrate, seed, inspect and demo a daira database from the shell. See docs/cli.md.
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"

int main(int argc, char** argv) {
  namespace cli = daira::cli;
  cli::GlobalOptions globals;
  CLI::App app{"daira: migrate, seed and inspect a daira database (docs/cli.md)", "daira"};
  app.set_version_flag("--version", "daira 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // --database may also follow the subcommand: `daira health --database URL`
  CLI::Option* db_opt =
      app.add_option("--database", globals.database,
                     "database URL: sqlite:PATH, sqlite::memory:, postgres://user:pw@host:port/db?k=v "
                     "(docs/configuration.md)")
          ->envname("DAIRA_DATABASE")
          ->capture_default_str();

  std::vector<cli::Command> commands = {
      cli::AddMigrateCommand(app, globals), cli::AddSeedCommand(app, globals),
      cli::AddHealthCommand(app, globals),  cli::AddStatsCommand(app, globals),
      cli::AddDemoCommand(app, globals),    cli::AddRecountCommand(app, globals),
      cli::AddKeysCommand(app, globals),    cli::AddQueuesCommand(app, globals),
      cli::AddWorkerCommand(app, globals),
      cli::AddAuditCommand(app, globals),  // the audit log (audit_command.cc)
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string msg = e.what();
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && app.get_subcommands().empty()) {
      std::string unknown;  // the first word that is neither an option nor --database's value
      for (int i = 1; i < argc && unknown.empty(); ++i) {
        std::string arg = argv[i];
        if (arg == "--database") {
          ++i;
        } else if (!arg.empty() && arg[0] != '-') {
          unknown = arg;
        }
      }
      msg = unknown.empty() ? "a command is required: migrate, seed, health, stats, demo, recount, keys, "
                              "queues, worker or audit (see daira --help)"
                            : "unknown command \"" + unknown +
                                  "\" (expected migrate, seed, health, stats, demo, recount, keys, queues, "
                                  "worker or audit; see daira --help)";
    } else {
      msg += " (see daira --help)";
    }
    return cli::Fail(cli::kExitUsage, msg);
  }
  globals.database_given = db_opt->count() > 0 || std::getenv("DAIRA_DATABASE") != nullptr;

  for (const cli::Command& c : commands) {
    if (c.app->parsed()) {
      try {
        return c.run();
      } catch (const std::exception& e) {  // nothing should throw; never die with a stack of noise
        return cli::Fail(cli::kExitRuntime, std::string("internal error: ") + e.what());
      }
    }
  }
  return cli::Fail(cli::kExitUsage, "no command given (see daira --help)");
}
