// The `daira` executable end to end: exit codes and the one-line messages for bad input, and the
// commands on a temporary SQLite database. DAIRA_CLI_BINARY is the built binary's path (CMake).
#include <sys/wait.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

#ifndef DAIRA_CLI_BINARY
#error "DAIRA_CLI_BINARY must name the daira executable"
#endif

namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q.push_back(c);
    }
  }
  return q + "'";
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("daira-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs the binary with `args` (already shell-quoted where needed) in dir_, DAIRA_DATABASE unset.
  RunResult Run(const std::string& args) {
    const auto out = dir_ / "stdout";
    const auto err = dir_ / "stderr";
    std::string cmd = "cd " + ShellQuote(dir_.string()) + " && env -u DAIRA_DATABASE " +
                      ShellQuote(DAIRA_CLI_BINARY) + " " + args + " >" + ShellQuote(out.string()) + " 2>" +
                      ShellQuote(err.string());
    int status = std::system(cmd.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  std::string SqliteUrl(const std::string& file) { return "sqlite:" + (dir_ / file).string(); }

  // Exactly one line, "daira: ...\n".
  static void ExpectOneLineError(const RunResult& r) {
    EXPECT_THAT(r.err, StartsWith("daira: "));
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.back(), '\n');
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }

  std::filesystem::path dir_;
};

TEST_F(CliTest, HelpExitsZeroAndListsCommands) {
  RunResult r = Run("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"migrate", "seed", "health", "stats", "demo", "--database"}) {
    EXPECT_THAT(r.out, HasSubstr(cmd));
  }
  for (const char* cmd : {"migrate", "seed", "health", "stats", "demo"}) {
    RunResult sub = Run(std::string(cmd) + " --help");
    EXPECT_EQ(sub.exit_code, 0) << cmd;
    EXPECT_THAT(sub.out, HasSubstr("Usage")) << cmd;
  }
}

TEST_F(CliTest, NoCommandIsUsageError) {
  RunResult r = Run("");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneLineError(r);
  EXPECT_THAT(r.err, HasSubstr("a command is required"));
}

TEST_F(CliTest, UnknownFlagIsUsageError) {
  RunResult r = Run("health --bogus");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneLineError(r);
  EXPECT_THAT(r.err, HasSubstr("--bogus"));
}

TEST_F(CliTest, UnknownCommandIsUsageError) {
  RunResult r = Run("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneLineError(r);
  EXPECT_THAT(r.err, HasSubstr("frobnicate"));
}

TEST_F(CliTest, BadUrlNamesTheField) {
  RunResult r = Run("--database 'postgres://u@127.0.0.1:x/db' health");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "daira: --database: url: port is not a number (got \"x\")\n");
}

TEST_F(CliTest, UnknownUrlParameterIsUsageError) {
  RunResult r = Run("--database " + ShellQuote(SqliteUrl("a.db") + "?pool_maks=3") + " stats");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneLineError(r);
  EXPECT_THAT(r.err, HasSubstr("--database: "));
  EXPECT_THAT(r.err, HasSubstr("pool_maks"));
}

TEST_F(CliTest, DatabaseFromEnvironment) {
  std::string cmd_env = "DAIRA_DATABASE=" + ShellQuote("postgres://u@127.0.0.1:y/db");
  const auto err = dir_ / "stderr";
  std::string cmd = "cd " + ShellQuote(dir_.string()) + " && " + cmd_env + " " + ShellQuote(DAIRA_CLI_BINARY) +
                    " health >/dev/null 2>" + ShellQuote(err.string());
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(ReadFile(err), "daira: --database: url: port is not a number (got \"y\")\n");
}

TEST_F(CliTest, NegativeCountsAreUsageErrors) {
  for (const char* args : {"seed --users -5 --posts 10", "seed --users 5 --posts=-1", "demo --users -1"}) {
    RunResult r = Run("--database " + ShellQuote(SqliteUrl("n.db")) + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args;
    ExpectOneLineError(r);
  }
  // Nothing was created by a rejected command.
  EXPECT_FALSE(std::filesystem::exists(dir_ / "n.db"));
}

TEST_F(CliTest, UnreachablePostgresIsRuntimeError) {
  // Port 1 on loopback: nothing listens there.
  RunResult r = Run("--database 'postgres://nobody@127.0.0.1:1/x?connect_timeout_ms=2000' migrate");
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneLineError(r);
}

TEST_F(CliTest, HealthOnUnreachablePostgresIsUnhealthy) {
  RunResult r = Run("--database 'postgres://nobody@127.0.0.1:1/x?connect_timeout_ms=2000' health --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, StartsWith(R"({"ok":false,"components":[{"component":"primary","ok":false,)"));
}

TEST_F(CliTest, MigrateThenHealthThenStats) {
  const std::string db = "--database " + ShellQuote(SqliteUrl("m.db"));
  RunResult before = Run(db + " health");
  EXPECT_EQ(before.exit_code, 1);
  EXPECT_THAT(before.out, HasSubstr("pending"));
  EXPECT_THAT(before.out, HasSubstr("UNHEALTHY"));

  RunResult status = Run(db + " migrate --status");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_THAT(status.out, HasSubstr("001_users"));
  EXPECT_THAT(status.out, HasSubstr("pending"));

  RunResult migrate = Run(db + " migrate");
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_THAT(migrate.out, HasSubstr("applied 001_users"));
  RunResult again = Run(db + " migrate");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("nothing to apply"));

  RunResult health = Run(db + " health --json");
  EXPECT_EQ(health.exit_code, 0) << health.out;
  EXPECT_THAT(health.out, StartsWith(R"({"ok":true,)"));

  RunResult stats = Run(db + " stats");
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("users"));
  EXPECT_THAT(stats.out, HasSubstr("schema_migrations"));
}

TEST_F(CliTest, KeysRotateMakesANewCurrentKeyAndListNeverPrintsKeyBytes) {
  const std::string db = "--database " + ShellQuote(SqliteUrl("k.db"));
  RunResult unmigrated = Run(db + " keys list");
  EXPECT_EQ(unmigrated.exit_code, 1);
  ExpectOneLineError(unmigrated);
  EXPECT_THAT(unmigrated.err, HasSubstr("daira migrate"));
  ASSERT_EQ(Run(db + " migrate").exit_code, 0);  // creates the first key
  RunResult list = Run(db + " keys list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, ContainsRegex("key 1 +created .* UTC  current\n"));
  RunResult rotate = Run(db + " keys rotate");
  EXPECT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_THAT(rotate.out, HasSubstr("cursor key 2 is now current"));
  list = Run(db + " keys list");
  EXPECT_THAT(list.out, ContainsRegex("key 2 +created .* UTC  current\n"));
  EXPECT_THAT(list.out, ContainsRegex("key 1 +created .* UTC  retired .* UTC\n"));
  RunResult bare = Run(db + " keys");
  EXPECT_EQ(bare.exit_code, 2);
  ExpectOneLineError(bare);
}

TEST_F(CliTest, SeedPrintsCounts) {
  const std::string db = "--database " + ShellQuote(SqliteUrl("s.db"));
  RunResult r = Run(db + " seed --users 50 --posts 200 --seed 7");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("users"));
  EXPECT_THAT(r.out, HasSubstr("posts"));
  EXPECT_THAT(r.out, HasSubstr("rows/s"));
  RunResult stats = Run(db + " stats --json");
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr(R"("users":50)"));
  EXPECT_THAT(stats.out, HasSubstr(R"("posts":200)"));
}

TEST_F(CliTest, DemoOnTempPathPrintsSections) {
  const auto path = dir_ / "demo.db";
  { std::ofstream(path) << "not a database"; }  // the demo replaces whatever is there
  RunResult r = Run("demo --database " + ShellQuote("sqlite:" + path.string()) + " --users 300 --posts 1500");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* section : {"migrate", "seed", "queries", "user by id", "100 users", "followers"}) {
    EXPECT_THAT(r.out, HasSubstr(section));
  }
  // The services section: a hydrated feed page (posts with their authors), a search, a user's stats.
  for (const char* section : {"services", "home feed (20, hydrated)", "→ 20 posts by", "search users \"",
                              "user stats", "followers · ", "likes received"}) {
    EXPECT_THAT(r.out, HasSubstr(section));
  }
  EXPECT_THAT(r.out, ContainsRegex("\n      @[a-z]+[0-9]+ +[^ ]"));  // a post or hit line: @author then text
  // The chat section (demo_chat.cc): presence, typing, a message, a read receipt, a grouped notification.
  for (const char* section : {"\nchat  (", "sees: online", "sees: typing", "gets the message", "sees: read",
                              "gets a notification", "and 1 other liked your post", "history (newest first)"}) {
    EXPECT_THAT(r.out, HasSubstr(section));
  }
  // The cache section (demo_cache.cc): the cached home feed cold and warm, and the hit rates.
  EXPECT_THAT(r.out, HasSubstr("\ncache  (cache=memory:"));
  EXPECT_THAT(r.out, ContainsRegex("home feed \\(20, hydrated\\) +cold .* warm .*\\(database path "));
  EXPECT_THAT(r.out, ContainsRegex("feed +hit rate +[0-9.]+%"));
  EXPECT_THAT(r.out, ContainsRegex("profile +hit rate +[0-9.]+%"));
  // The money section (demo_money.cc): an earning, a tip with its fee, the retry moving nothing, the ledger.
  for (const char* section : {"\nmoney  (", "earning", "5.00 USD (platform fee 0.25 USD)",
                              "retried with its key: the same movement, no money moved",
                              "ledger: 0 wallet differences, 0 unbalanced movements"}) {
    EXPECT_THAT(r.out, HasSubstr(section));
  }
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(CliTest, DemoRejectsNonSqliteDatabase) {
  RunResult r = Run("demo --database 'postgres://u@127.0.0.1:5432/db'");
  EXPECT_EQ(r.exit_code, 2);
  ExpectOneLineError(r);
  EXPECT_THAT(r.err, HasSubstr("sqlite"));
}

// Issue 9: a bad seed request is refused before the database is opened or migrated; --seed -1 does
// not wrap to 2^64-1.
TEST_F(CliTest, SeedShowsProgressOnATerminalOnly) {
  // Not a terminal (files): the report only, no progress line.
  RunResult piped = Run("--database " + ShellQuote(SqliteUrl("p.db")) + " seed --users 300 --posts 3000");
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_THAT(piped.err + piped.out, Not(HasSubstr("seeding ")));
  // A terminal: script(1) gives the command a pseudo-terminal and copies what it draws to a file.
  const auto typescript = dir_ / "typescript";
  const std::string inner = "env -u DAIRA_DATABASE " + ShellQuote(DAIRA_CLI_BINARY) + " --database " +
                            ShellQuote(SqliteUrl("t.db")) + " seed --users 300 --posts 3000";
  const std::string cmd = "cd " + ShellQuote(dir_.string()) + " && script -qefc " + ShellQuote(inner) + " " +
                          ShellQuote(typescript.string()) + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(typescript);
  const std::string tty = ReadFile(typescript);
  // rows written, of the total, rows/s and time left; then the line is cleared for the report.
  EXPECT_THAT(
      tty, ContainsRegex("seeding [a-z_]+: [0-9.,kM]+ / [0-9.,kM]+ rows \\([0-9]+%\\), .* rows/s, .* left"));
  EXPECT_THAT(tty, HasSubstr("100%"));
  EXPECT_THAT(tty, HasSubstr("seeded "));
}

TEST_F(CliTest, SeedValidatesBeforeMigrating) {
  for (const char* args : {"seed --users 0", "seed --seed -1 --users 2 --posts 1", "seed --users 2 --posts 0 --comments 5"}) {
    RunResult r = Run("--database " + ShellQuote(SqliteUrl("v.db")) + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    ExpectOneLineError(r);
    EXPECT_THAT(r.out, Not(HasSubstr("applied"))) << args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "v.db"));
}

// Issue 9: a second seed after `--users 0` names the table in the way and commits nothing.
TEST_F(CliTest, SecondSeedNamesTheTableInTheWay) {
  const std::string db = "--database " + ShellQuote(SqliteUrl("twice.db"));
  RunResult first = Run(db + " seed --users 0 --posts 0");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  RunResult second = Run(db + " seed --users 5 --posts 0");
  EXPECT_EQ(second.exit_code, 1);
  ExpectOneLineError(second);
  EXPECT_THAT(second.err, HasSubstr("table hashtags is not empty"));
  RunResult stats = Run(db + " stats --json");
  EXPECT_THAT(stats.out, HasSubstr(R"("users":0)"));
}

// Issue 9: a password given in userinfo, as ?password= / ?sslpassword=, or inside an encoded replica=
// URL never reaches stdout or stderr (reports, endpoints, warning logs, errors) of any command.
std::string Encoded(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

const char* const kSecrets[] = {"UiSecret1", "PwSecret2", "SslSecret3", "RepUiSecret4", "RepPwSecret5"};

void ExpectNoSecret(const std::string& what, const std::string& text) {
  for (const char* secret : kSecrets) EXPECT_THAT(text, Not(HasSubstr(secret))) << what << ":\n" << text;
}

TEST_F(CliTest, SecretsNeverPrinted) {
  const std::string replica =
      "&replica=" + Encoded("postgres://rep:RepUiSecret4@127.0.0.1:1/x?password=RepPwSecret5&connect_timeout_ms=2000");
  std::vector<std::string> urls = {
      // Unreachable primary: the connect error and the unhealthy report.
      "postgres://u:UiSecret1@127.0.0.1:1/x?password=PwSecret2&sslpassword=SslSecret3&connect_timeout_ms=2000" + replica,
      // A URL rejected before connecting (unknown parameter whose value is a secret).
      SqliteUrl("a.db") + "?password=PwSecret2&sslpassword=SslSecret3",
      SqliteUrl("a.db") + "?pool_max=x&note=u:UiSecret1@h",
  };
  const char* pg = std::getenv("DAIRA_TEST_PG");
  if (pg != nullptr && *pg != '\0') {
    // Reachable primary with secret options (trust auth ignores them) and an unreachable replica:
    // the replica's warning log and its health line show its endpoint.
    const std::string base(pg);
    urls.push_back(base + (base.find('?') == std::string::npos ? "?" : "&") +
                   "password=PwSecret2&sslpassword=SslSecret3" + replica);
  } else {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") ADD_FAILURE() << "DAIRA_TEST_PG is not set but CI=true";
  }
  for (const std::string& url : urls) {
    for (const char* cmd : {"health", "health --json", "stats", "stats --json", "migrate --status", "seed --users 1"}) {
      if (url.rfind("postgres", 0) == 0 && url.find(":1/x") == std::string::npos &&
          std::string(cmd).rfind("seed", 0) == 0) {
        continue;  // never seed the shared server
      }
      RunResult r = Run("--database " + ShellQuote(url) + " " + cmd);
      ExpectNoSecret(std::string(cmd) + " stdout", r.out);
      ExpectNoSecret(std::string(cmd) + " stderr", r.err);
      EXPECT_NE(r.exit_code, -1);
    }
  }
}

}  // namespace
