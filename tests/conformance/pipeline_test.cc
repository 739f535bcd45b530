// Conformance of Connection::ExecuteBatch (one pipeline on Postgres, a loop on SQLite) across SQL
// backends: ordering, read-after-write inside a batch, every value type, repeated statements with
// differently typed parameters, failure at every position, and transactions around batches.
// connection_test.cc covers the basics; this suite pushes on what a pipeline can get wrong.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::store {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

class PipelineConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tdb_ = std::move(*t);
  }
  Database& db() { return tdb_->db(); }
  bool is_sqlite() { return db().dialect().backend() == Backend::kSqlite; }

  std::vector<int64_t> Ids(Connection& c, const std::string& table) {
    std::vector<int64_t> ids;
    auto rs = c.Execute("SELECT id FROM " + table + " ORDER BY id");
    EXPECT_THAT(rs, IsOk());
    if (rs.ok()) {
      for (Row r : *rs) ids.push_back(r.Int64(0));
    }
    return ids;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(PipelineConformanceTest, HundredStatementsReturnInOrderAndSeeEarlierWrites) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"));
  std::vector<BatchStatement> batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back({"INSERT INTO t (id, n) VALUES (?, ?)", {i, i * 10}});
    // Each read sees every write before it in the same batch.
    batch.push_back({"SELECT count(*) AS c, sum(n) AS s FROM t WHERE id <= ?", {i}});
  }
  const int64_t before = c->statements_executed();
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results, c->ExecuteBatch(batch));
  EXPECT_GE(c->statements_executed() - before, 100);
  ASSERT_EQ(results.size(), 100u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(results[2 * i].rows_affected(), 1) << i;
    ASSERT_EQ(results[2 * i + 1].size(), 1u) << i;
    EXPECT_EQ(results[2 * i + 1].front().Int64("c"), i + 1) << i;
    EXPECT_EQ(results[2 * i + 1].front().Int64("s"), 10 * i * (i + 1) / 2) << i;
  }
  EXPECT_FALSE(c->InTransaction());
}

TEST_P(PipelineConformanceTest, EveryValueTypeBindsInsideABatch) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  const std::string blob = is_sqlite() ? "BLOB" : "BYTEA";
  const std::string json = is_sqlite() ? "TEXT" : "JSONB";
  const std::string ia = is_sqlite() ? "TEXT" : "BIGINT[]";
  const std::string ta = is_sqlite() ? "TEXT" : "TEXT[]";
  ASSERT_OK(c->ExecuteScript(absl::StrCat("CREATE TABLE v (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, b ",
                                          blob, ", j ", json, ", ia ", ia, ", ta ", ta, ")")));
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  const std::vector<std::string> texts = {"a,b", "NULL", "q\"uote", "b\\s", ""};
  const std::string insert = "INSERT INTO v (id, i, d, t, b, j, ia, ta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  std::vector<BatchStatement> batch = {
      {insert,
       {1, int64_t{-9007199254740993}, 0.25, "tëxt ?", Value::Blob(bytes), Value::Json(R"({"k":[1,2]})"),
        std::vector<int64_t>{3, -4}, texts}},
      // The same statement with NULLs where the first had values.
      {insert, {2, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr}},
      {"SELECT i, d, t, b, j, ia, ta FROM v WHERE id = ?", {1}},
      {"SELECT count(*) FROM v WHERE " + db().dialect().InArray("id"), {std::vector<int64_t>{1, 2, 3}}},
      {"SELECT i, t FROM v WHERE id = ?", {2}},
  };
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results, c->ExecuteBatch(batch));
  ASSERT_EQ(results.size(), 5u);
  ASSERT_EQ(results[2].size(), 1u);
  Row r = results[2].front();
  EXPECT_EQ(r.Int64("i"), -9007199254740993);
  EXPECT_EQ(r.Double("d"), 0.25);
  EXPECT_EQ(r.Text("t"), "tëxt ?");
  EXPECT_EQ(r.Blob("b"), bytes);
  EXPECT_THAT(r.Json("j"), ::testing::AnyOf(R"({"k":[1,2]})", R"({"k": [1, 2]})"));
  EXPECT_THAT(r.Int64Array("ia"), ElementsAre(3, -4));
  EXPECT_THAT(r.TextArray("ta"), ElementsAreArray(texts));
  EXPECT_EQ(results[3].front().Int64(0), 2);
  EXPECT_TRUE(results[4].front().IsNull("i"));
  EXPECT_TRUE(results[4].front().IsNull("t"));
}

TEST_P(PipelineConformanceTest, FailureAtEachPositionKeepsExactlyTheStatementsBeforeIt) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  ASSERT_OK(c->Execute("INSERT INTO t (id) VALUES (?)", {0}).status());
  for (int fail_at = 0; fail_at < 4; ++fail_at) {
    SCOPED_TRACE(fail_at);
    ASSERT_OK(c->Execute("DELETE FROM t WHERE id <> ?", {0}).status());
    std::vector<BatchStatement> batch;
    for (int i = 0; i < 4; ++i) batch.push_back({"INSERT INTO t (id) VALUES (?)", {i == fail_at ? 0 : i + 1}});
    EXPECT_THAT(c->ExecuteBatch(batch), StatusIs(absl::StatusCode::kAlreadyExists));
    EXPECT_FALSE(c->InTransaction());
    EXPECT_FALSE(c->IsBroken());
    std::vector<int64_t> want = {0};
    for (int i = 0; i < fail_at; ++i) want.push_back(i + 1);
    EXPECT_EQ(Ids(*c, "t"), want);
  }
}

TEST_P(PipelineConformanceTest, SyntaxErrorInsideABatchFailsItAndTheConnectionRecovers) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  std::vector<BatchStatement> batch = {
      {"INSERT INTO t (id) VALUES (?)", {1}},
      {"INSERT INTO nowhere VALUES (?)", {2}},
      {"INSERT INTO t (id) VALUES (?)", {3}},
  };
  auto result = c->ExecuteBatch(batch);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInternal));
  EXPECT_FALSE(StatusSqlState(result.status()).empty());
  EXPECT_THAT(Ids(*c, "t"), ElementsAre(1));
  // The statements of the failed batch work afterwards, alone and in a batch.
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results,
                       c->ExecuteBatch(std::vector<BatchStatement>{{"INSERT INTO t (id) VALUES (?)", {3}},
                                                                   {"SELECT count(*) FROM t", {}}}));
  EXPECT_EQ(results[1].front().Int64(0), 2);
  EXPECT_OK(c->Ping());
}

TEST_P(PipelineConformanceTest, BatchInsideRunInTransactionIsAllOrNothing) {
  ASSERT_OK(db().Execute(ctx_, "CREATE TABLE t (id BIGINT PRIMARY KEY)").status());
  auto failing = [](Connection& conn) -> absl::Status {
    std::vector<BatchStatement> batch = {{"INSERT INTO t (id) VALUES (?)", {1}},
                                         {"INSERT INTO t (id) VALUES (?)", {2}},
                                         {"INSERT INTO t (id) VALUES (?)", {1}}};
    return conn.ExecuteBatch(batch).status();
  };
  EXPECT_THAT(db().RunInTransaction(ctx_, failing), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db().Read(ctx_, "SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  auto working = [](Connection& conn) -> absl::Status {
    std::vector<BatchStatement> batch = {{"INSERT INTO t (id) VALUES (?)", {1}},
                                         {"INSERT INTO t (id) VALUES (?)", {2}},
                                         {"UPDATE t SET id = id + ? WHERE id = ?", {10, 2}}};
    DAIRA_ASSIGN_OR_RETURN(std::vector<ResultSet> results, conn.ExecuteBatch(batch));
    if (results.size() != 3 || results[2].rows_affected() != 1) return absl::InternalError("unexpected results");
    // Still inside the transaction after the batch.
    if (!conn.InTransaction()) return absl::InternalError("batch ended the transaction");
    return absl::OkStatus();
  };
  ASSERT_OK(db().RunInTransaction(ctx_, working));
  ASSERT_OK_AND_ASSIGN(rs, db().Read(ctx_, "SELECT id FROM t ORDER BY id"));
  std::vector<int64_t> ids;
  for (Row r : rs) ids.push_back(r.Int64(0));
  EXPECT_THAT(ids, ElementsAre(1, 12));
}

TEST_P(PipelineConformanceTest, PreparedStatementsAndBatchesShareTheCache) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)"));
  const std::string sql = "INSERT INTO t (id, name) VALUES (?, ?)";
  ASSERT_OK_AND_ASSIGN(Statement * st, c->Prepare(sql));
  ASSERT_OK(st->Execute({1, "one"}).status());
  std::vector<BatchStatement> batch = {{sql, {2, "two"}}, {sql, {3, nullptr}}, {sql, {4, "four"}}};
  ASSERT_OK(c->ExecuteBatch(batch).status());
  ASSERT_OK_AND_ASSIGN(Statement * again, c->Prepare(sql));
  EXPECT_EQ(again, st);
  ASSERT_OK(st->Execute({5, "five"}).status());
  EXPECT_THAT(Ids(*c, "t"), ElementsAre(1, 2, 3, 4, 5));
  // A batch of only reads of a large result.
  ASSERT_OK(c->ExecuteScript("CREATE TABLE big (id BIGINT PRIMARY KEY)"));
  std::vector<BatchStatement> inserts;
  for (int i = 0; i < 1000; ++i) inserts.push_back({"INSERT INTO big (id) VALUES (?)", {i}});
  ASSERT_OK(c->ExecuteBatch(inserts).status());
  std::vector<BatchStatement> reads(3, BatchStatement{"SELECT id FROM big ORDER BY id", {}});
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results, c->ExecuteBatch(reads));
  ASSERT_EQ(results.size(), 3u);
  for (const ResultSet& rs : results) {
    ASSERT_EQ(rs.size(), 1000u);
    EXPECT_EQ(rs.row(999).Int64(0), 999);
  }
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PipelineConformanceTest);

}  // namespace
}  // namespace daira::store
