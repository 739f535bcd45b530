// Conformance of store::Dialect against real SQL backends: the SQL it writes runs and means the same
// thing on every backend (placeholders, InArray, Upsert, NowMicros).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "daira/core/request_context.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/dialect.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;

class SqlDialectConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tdb_ = std::move(*t);
  }
  Database& db() { return tdb_->db(); }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(SqlDialectConformanceTest, DialectMatchesTheBackend) {
  EXPECT_EQ(db().dialect().name(), GetParam());
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  EXPECT_EQ(c->backend(), db().backend());
  EXPECT_EQ(&c->dialect(), &db().dialect());
}

TEST_P(SqlDialectConformanceTest, PlaceholdersSkipQuotesAndComments) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  const std::string sql =
      "SELECT 'it''s ?' AS a, ? AS b /* ? */, ? AS c -- ?\n";
  EXPECT_EQ(Dialect::CountPlaceholders(sql), 2);
  ASSERT_OK_AND_ASSIGN(Statement * st, c->Prepare(sql));
  EXPECT_EQ(st->ParameterCount(), 2);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, st->Execute({"x", "y"}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Text("a"), "it's ?");
  EXPECT_EQ(rs.front().Text("b"), "x");
  EXPECT_EQ(rs.front().Text("c"), "y");
}

TEST_P(SqlDialectConformanceTest, UpsertInsertsThenUpdatesOrDoesNothing) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE hashtags (tag TEXT PRIMARY KEY, posts_count BIGINT NOT NULL, note TEXT)"));
  const Dialect& d = db().dialect();
  const std::string upsert = d.Upsert("hashtags", {"tag", "posts_count", "note"}, {"tag"}, {"posts_count"});
  const std::string insert_only = d.Upsert("hashtags", {"tag", "posts_count", "note"}, {"tag"}, {});
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute(upsert, {"cats", 1, "first"}));
  EXPECT_EQ(rs.rows_affected(), 1);
  ASSERT_OK(c->Execute(upsert, {"dogs", 2, "first"}).status());
  ASSERT_OK_AND_ASSIGN(rs, c->Execute(upsert, {"cats", 5, "second"}));
  EXPECT_EQ(rs.rows_affected(), 1);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute(insert_only, {"dogs", 9, "ignored"}));
  EXPECT_EQ(rs.rows_affected(), 0);
  ASSERT_OK(c->Execute(insert_only, {"birds", 3, "first"}).status());

  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT tag, posts_count, note FROM hashtags ORDER BY tag"));
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs.row(0).Text("tag"), "birds");
  EXPECT_EQ(rs.row(1).Text("tag"), "cats");
  EXPECT_EQ(rs.row(1).Int64("posts_count"), 5);
  EXPECT_EQ(rs.row(1).Text("note"), "first");  // only the listed columns are updated
  EXPECT_EQ(rs.row(2).Int64("posts_count"), 2);
  EXPECT_EQ(rs.row(2).Text("note"), "first");
}

TEST_P(SqlDialectConformanceTest, NowMicrosIsMicrosecondsSinceTheEpoch) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  const int64_t before = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT " + db().dialect().NowMicros() + " AS now"));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front()[0].type(), ValueType::kInt64) << rs.front()[0].DebugString();
  // Same unit and epoch as the system clock (a generous window: this checks scale, not timing).
  const int64_t kHour = int64_t{3600} * 1000 * 1000;
  EXPECT_GT(rs.front().Int64("now"), before - kHour);
  EXPECT_LT(rs.front().Int64("now"), before + kHour);
  // Usable as a bound-free default in DML.
  ASSERT_OK(c->ExecuteScript("CREATE TABLE ev (id BIGINT PRIMARY KEY, at BIGINT NOT NULL)"));
  ASSERT_OK(c->Execute("INSERT INTO ev (id, at) VALUES (?, " + db().dialect().NowMicros() + ")", {1}).status());
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT at FROM ev WHERE id = ?", {1}));
  EXPECT_GT(rs.front().Int64(0), before - kHour);
}

TEST_P(SqlDialectConformanceTest, InArrayWorksInJoinsAndWithOtherParameters) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(
      "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL);"
      "CREATE TABLE posts (id BIGINT PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES users (id), likes BIGINT);"
      "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bo'), (3, 'cy');"
      "INSERT INTO posts (id, author_id, likes) VALUES (10, 1, 5), (11, 2, 50), (12, 3, 500), (13, 1, 7);"));
  const Dialect& d = db().dialect();
  const std::string sql = "SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id WHERE " +
                          d.InArray("u.name") + " AND p.likes >= ? ORDER BY p.id";
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute(sql, {std::vector<std::string>{"ann", "cy"}, 6}));
  std::vector<int64_t> ids;
  for (Row r : rs) ids.push_back(r.Int64(0));
  EXPECT_THAT(ids, ElementsAre(12, 13));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(SqlDialectConformanceTest);

}  // namespace
}  // namespace daira::store
