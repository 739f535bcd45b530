// The request enum lists must match the CHECK constraints of the schema migrations, so a value that
// passes validation is never rejected by the database (and the reverse).
#include <fstream>
#include <sstream>
#include <string>

#include "daira/services/content_requests.h"
#include "daira/services/messaging_requests.h"
#include "daira/services/moderation_requests.h"
#include "daira/services/notifications.h"
#include "daira/services/social_requests.h"
#include "daira/services/wallet_requests.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

namespace daira::services {
namespace {

// This file lives at tests/services/; the migrations at src/store/migrations/<dialect>/.
std::string MigrationsDir() { return std::string(DAIRA_SOURCE_DIR) + "/src/store/migrations/"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "column IN ('A', 'B')" as written by the migrations.
template <typename List>
std::string CheckClause(std::string_view column, const List& values) {
  std::string out = std::string(column) + " IN (";
  bool first = true;
  for (std::string_view v : values) {
    if (!first) out += ", ";
    first = false;
    out += "'" + std::string(v) + "'";
  }
  return out + ")";
}

class SchemaEnumsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void ExpectCheck(const char* file, std::string_view column, const auto& values) {
    const std::string path = MigrationsDir() + GetParam() + "/" + file;
    const std::string sql = ReadFile(path);
    ASSERT_FALSE(sql.empty()) << "cannot read " << path;
    EXPECT_THAT(sql, ::testing::HasSubstr(CheckClause(column, values))) << path;
  }
};

// content_reports.reason is constrained by 017 (a CHECK on PostgreSQL, triggers on SQLite): the list
// the request layer accepts is the list the database enforces.
TEST_P(SchemaEnumsTest, ReportReasonsMatchMigration017) {
  const std::string path = MigrationsDir() + GetParam() + "/017_moderation.sql";
  const std::string sql = ReadFile(path);
  ASSERT_FALSE(sql.empty()) << "cannot read " << path;
  const std::string list = CheckClause("x", kReportReasons).substr(std::string("x IN ").size());
  EXPECT_THAT(sql, ::testing::HasSubstr("reason " + std::string(GetParam() == std::string("sqlite") ? "NOT IN " : "IN ") +
                                        list))
      << path;
}

TEST_P(SchemaEnumsTest, RequestEnumsMatchCheckConstraints) {
  ExpectCheck("002_content.sql", "visibility", kVisibilities);
  ExpectCheck("002_content.sql", "status", kVideoStatuses);
  ExpectCheck("003_social.sql", "reaction", kReactions);
  ExpectCheck("003_social.sql", "kind", kMuteKinds);
  ExpectCheck("004_payments.sql", "provider", kPaymentProviders);
  ExpectCheck("005_moderation.sql", "content_type", kReportContentTypes);
  ExpectCheck("005_moderation.sql", "severity", kReportSeverities);
  ExpectCheck("005_moderation.sql", "decision", kReviewDecisions);
  ExpectCheck("006_supporting.sql", "kind", kConversationKinds);
  // notifications.kind: 006's list, replaced by 020 (MODERATION added).
  ExpectCheck("020_moderation_effects.sql", "kind", kNotificationKinds);
}

INSTANTIATE_TEST_SUITE_P(Dialects, SchemaEnumsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace daira::services
