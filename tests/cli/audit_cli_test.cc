// `daira audit verify` end to end on a temporary SQLite database: exit 0 and the count when the
// chain holds; exit 1 naming the row id when a row was edited behind the triggers' back.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "daira/services/audit_log.h"
#include "daira/store/database.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

#ifndef DAIRA_CLI_BINARY
#error "DAIRA_CLI_BINARY must name the daira executable"
#endif

namespace daira {
namespace {

using ::testing::HasSubstr;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("daira-audit-cli-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "a.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RunResult Run(const std::string& args) {
    const auto out = dir_ / "stdout";
    const auto err = dir_ / "stderr";
    std::string cmd = "env -u DAIRA_DATABASE '" + std::string(DAIRA_CLI_BINARY) + "' --database '" + url_ +
                      "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
    int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
  }
  std::filesystem::path dir_;
  std::string url_;
};

TEST_F(AuditCliTest, VerifyExitsZeroOnAnIntactChainAndOneNamingTheEditedRow) {
  RequestContext ctx;
  std::vector<model::AuditLog> rows;
  {
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url_));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(*db));
    ASSERT_OK(migrator->Migrate(ctx));
    services::AuditLog audit(services::ServiceDeps{.db = db.get()});
    for (int i = 0; i < 3; ++i) {
      ASSERT_OK_AND_ASSIGN(
          auto e, audit.Append(ctx, {.action = "cli.test", .resource_type = "post", .resource_id = i + 1}));
      rows.push_back(e);
    }
  }
  RunResult ok = Run("audit verify");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("3 audit entries checked"));
  RunResult json = Run("audit verify --json");
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"ok\":true"));
  {
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url_));
    ASSERT_OK(db->Execute(ctx, "DROP TRIGGER audit_logs_no_update").status());
    ASSERT_OK(db->Execute(ctx, "UPDATE audit_logs SET action = 'cli.forged' WHERE id = ?", {rows[1].id.value})
                  .status());
  }
  RunResult bad = Run("audit verify");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("row " + std::to_string(rows[1].id.value) + " (seq 2) does not match"));
  RunResult bad_json = Run("audit verify --json");
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_THAT(bad_json.out, HasSubstr("\"first_bad_id\":" + std::to_string(rows[1].id.value)));
  EXPECT_EQ(Run("audit").exit_code, 2);  // a subcommand is required
}

}  // namespace
}  // namespace daira
