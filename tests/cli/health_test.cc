// store::CheckHealth on every SQL backend: a migrated database is healthy; an unmigrated one reports
// its migrations as pending; the JSON form parses and carries the same facts.
#include "daira/store/health.h"

#include <string>

#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

const store::ComponentHealth* Find(const store::HealthReport& r, std::string_view name) {
  for (const auto& c : r.components) {
    if (c.component == name) return &c;
  }
  return nullptr;
}

class HealthTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HealthTest, MigratedDatabaseIsHealthy) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb->db()));
  ASSERT_THAT(migrator->Migrate(ctx), IsOk());

  ASSERT_OK_AND_ASSIGN(store::HealthReport report, store::CheckHealth(tdb->db(), ctx));
  EXPECT_TRUE(report.ok) << report.ToJson();
  ASSERT_GE(report.components.size(), 2u);
  EXPECT_EQ(report.components.front().component, "primary");
  EXPECT_TRUE(report.components.front().ok);
  EXPECT_EQ(report.components.back().component, "migrations");
  const store::ComponentHealth* m = Find(report, "migrations");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->ok);
  EXPECT_THAT(m->detail, HasSubstr("current"));
  for (const auto& c : report.components) EXPECT_TRUE(c.ok) << c.component << ": " << c.detail;
}

TEST_P(HealthTest, UnmigratedDatabaseReportsPendingMigrations) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(store::HealthReport report, store::CheckHealth(tdb->db(), ctx));
  EXPECT_FALSE(report.ok);
  const store::ComponentHealth* primary = Find(report, "primary");
  ASSERT_NE(primary, nullptr);
  EXPECT_TRUE(primary->ok) << primary->detail;  // reachable; only the schema is behind
  const store::ComponentHealth* m = Find(report, "migrations");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->ok);
  EXPECT_THAT(m->detail, HasSubstr("pending"));
  EXPECT_THAT(m->detail, HasSubstr("0 applied"));
}

TEST_P(HealthTest, PartiallyMigratedDatabaseNamesFirstPending) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  RequestContext ctx;
  std::vector<store::Migration> all = store::EmbeddedMigrations(tdb->db().backend());
  ASSERT_GE(all.size(), 2u);
  store::MigratorOptions first_only;
  first_only.migrations = std::vector<store::Migration>{all.front()};
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb->db(), first_only));
  ASSERT_THAT(migrator->Migrate(ctx), IsOk());

  ASSERT_OK_AND_ASSIGN(store::HealthReport report, store::CheckHealth(tdb->db(), ctx));
  EXPECT_FALSE(report.ok);
  const store::ComponentHealth* m = Find(report, "migrations");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->ok);
  EXPECT_THAT(m->detail, HasSubstr("1 applied"));
  EXPECT_THAT(m->detail, HasSubstr(all[1].name));
}

TEST_P(HealthTest, JsonCarriesEveryComponent) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(store::HealthReport report, store::CheckHealth(tdb->db(), ctx));
  ASSERT_OK_AND_ASSIGN(JsonValue json, ParseJson(report.ToJson()));
  ASSERT_NE(json.Get("ok"), nullptr);
  EXPECT_EQ(json.Get("ok")->AsBool(), report.ok);
  ASSERT_NE(json.Get("components"), nullptr);
  const auto& arr = json.Get("components")->AsArray();
  ASSERT_EQ(arr.size(), report.components.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    EXPECT_EQ(arr[i].Get("component")->AsString(), report.components[i].component);
    EXPECT_EQ(arr[i].Get("ok")->AsBool(), report.components[i].ok);
    EXPECT_EQ(arr[i].Get("detail")->AsString(), report.components[i].detail);
    EXPECT_EQ(arr[i].Get("latency_us")->AsInt(), report.components[i].latency.count());
  }
}

TEST_P(HealthTest, ExpiredDeadlineIsAnError) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  // A deadline of 1 ms from construction; wait on the steady clock until it has certainly passed.
  RequestContext ctx({.correlation_id = "", .caller = "", .timeout = std::chrono::milliseconds(1)});
  while (ctx.CheckDeadline("test").ok()) {
  }
  EXPECT_THAT(store::CheckHealth(tdb->db(), ctx), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(HealthTest);

TEST(HealthReportTest, ToJsonEscapesAndOrders) {
  store::HealthReport r;
  r.ok = false;
  r.components.push_back({.component = "primary", .ok = false, .detail = "said \"no\"\n",
                          .latency = std::chrono::microseconds(12)});
  EXPECT_EQ(r.ToJson(),
            R"({"ok":false,"components":[{"component":"primary","ok":false,"detail":"said \"no\"\n","latency_us":12}]})");
}

}  // namespace
}  // namespace daira
