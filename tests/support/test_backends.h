// Backends under test, from the environment, and fresh isolated databases on each.
//
//   class MyTest : public ::testing::TestWithParam<std::string> {};
//   TEST_P(MyTest, Works) {
//     ASSERT_OK_AND_ASSIGN(auto tdb, daira::testing::TestDatabase::Create(GetParam()));
//     tdb->db().Execute(ctx, "CREATE TABLE t (a BIGINT)");
//   }
//   DAIRA_INSTANTIATE_SQL_BACKENDS(MyTest);    // → MyTest/sqlite, MyTest/postgres
//
// SQLite is always tested (a temp file). Postgres is tested when DAIRA_TEST_PG holds a URL (scripts/test
// starts a server and sets it). Without it, a banner says Postgres is NOT covered; with CI=true a missing
// DAIRA_TEST_PG makes every Postgres case fail instead (never a silent skip).
// Each Postgres TestDatabase is a fresh schema (search_path set through the URL), dropped afterwards.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/store/database.h"
#include "gtest/gtest.h"

namespace daira::testing {

// "sqlite", plus "postgres" when DAIRA_TEST_PG is set or CI=true.
std::vector<std::string> SqlBackends();
// Environment lookups ("" when unset).
std::string EnvOr(const char* name, std::string fallback = "");
bool InCi();

class TestDatabase {
 public:
  // A fresh empty database on `backend`. Fields of `base` other than url/replicas are kept.
  // With `with_replica` (Postgres only) the URL also names DAIRA_TEST_PG_REPLICA as a replica.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(std::string_view backend,
                                                              const store::DatabaseOptions& base = {},
                                                              bool with_replica = false);
  ~TestDatabase();

  store::Database& db() { return *db_; }
  // A URL that opens this same isolated database (for a second Database or process).
  const std::string& url() const { return url_; }
  const std::string& backend() const { return backend_; }
  // Reopens db() from url() with `options` (url/replicas kept).
  absl::Status Reopen(const store::DatabaseOptions& options);

 private:
  TestDatabase() = default;
  std::string backend_;
  std::string url_;
  std::string schema_;   // postgres
  std::string file_;     // sqlite
  std::string admin_url_;
  store::DatabaseOptions options_;
  std::unique_ptr<store::Database> db_;
};

// A readable instantiation name: the backend itself.
struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const { return info.param; }
};

}  // namespace daira::testing

#define DAIRA_INSTANTIATE_SQL_BACKENDS(suite)                                                      \
  INSTANTIATE_TEST_SUITE_P(Sql, suite, ::testing::ValuesIn(::daira::testing::SqlBackends()), \
                           ::daira::testing::BackendName())
