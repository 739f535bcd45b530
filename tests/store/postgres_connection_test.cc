// The PostgreSQL backend against a real server (DAIRA_TEST_PG; replica tests also need
// DAIRA_TEST_PG_REPLICA). Connections come straight from the driver, so pipeline round trips and
// server-side prepares can be counted. Without DAIRA_TEST_PG (and CI unset) no case is registered and a
// banner says PostgreSQL is not covered; with CI=true a missing server fails every case.
#include "backends/postgres/postgres_connection.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/postgres/postgres_driver.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "in_place_reads.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::backends {
namespace {

using ::daira::testing::EnvOr;
using ::daira::testing::InCi;
using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using store::BatchStatement;
using store::ResultSet;
using store::Statement;
using store::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> PostgresOnly() {
  std::vector<std::string> out;
  for (const std::string& b : daira::testing::SqlBackends()) {
    if (b == "postgres") out.push_back(b);
  }
  return out;
}

std::vector<std::string> PostgresReplicaOnly() {
  static const std::vector<std::string> kBackends = [] {
    if (!EnvOr("DAIRA_TEST_PG_REPLICA").empty() || InCi()) return PostgresOnly();
    std::fprintf(stderr, "*** DAIRA_TEST_PG_REPLICA is not set: PostgreSQL replication is NOT covered ***\n");
    return std::vector<std::string>();
  }();
  return kBackends;
}

std::string WithParam(const std::string& url, const std::string& kv) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + kv;
}

absl::StatusOr<std::unique_ptr<store::Connection>> ConnectTo(const std::string& url_text) {
  DAIRA_ASSIGN_OR_RETURN(Url url, ParseUrl(url_text));
  store::DatabaseOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  return MakePostgresDriver()->Connect(url, options, /*read_only=*/false);
}

class PostgresConnectionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    admin_url_ = EnvOr("DAIRA_TEST_PG");
    ASSERT_FALSE(admin_url_.empty()) << "DAIRA_TEST_PG is not set but CI=true requires PostgreSQL coverage";
    std::random_device rd;
    schema_ = absl::StrCat("pgc_", rd() % 1000000000u, "_", rd() % 1000u);
    ASSERT_OK_AND_ASSIGN(admin_, ConnectTo(admin_url_));
    ASSERT_OK(admin_->ExecuteScript("CREATE SCHEMA " + schema_));
    url_ = WithParam(admin_url_, "options=" + PercentEncode("-csearch_path=" + schema_));
    ASSERT_OK_AND_ASSIGN(conn_, ConnectTo(url_));
  }
  void TearDown() override {
    conn_.reset();
    if (admin_ != nullptr && !schema_.empty()) {
      EXPECT_OK(admin_->ExecuteScript("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE"));
    }
  }
  store::Connection& c() { return *conn_; }
  PostgresConnection& pg() { return static_cast<PostgresConnection&>(*conn_); }

  std::string admin_url_, url_, schema_;
  std::unique_ptr<store::Connection> admin_;
  std::unique_ptr<store::Connection> conn_;
};

// TCP keepalives and tcp_user_timeout are on by default (a dead peer is noticed with no statement
// running), and the URL's libpq keywords override them.
TEST_P(PostgresConnectionTest, TcpKeepalivesAndUserTimeoutByDefault) {
  EXPECT_EQ(pg().ConnectionOption("keepalives"), "1");
  EXPECT_EQ(pg().ConnectionOption("keepalives_idle"), "30");
  EXPECT_EQ(pg().ConnectionOption("keepalives_interval"), "10");
  EXPECT_EQ(pg().ConnectionOption("keepalives_count"), "3");
  EXPECT_EQ(pg().ConnectionOption("tcp_user_timeout"), "30000");
  ASSERT_OK_AND_ASSIGN(auto tuned, ConnectTo(WithParam(url_, "keepalives_idle=5&tcp_user_timeout=9000")));
  auto& t = static_cast<PostgresConnection&>(*tuned);
  EXPECT_EQ(t.ConnectionOption("keepalives_idle"), "5");
  EXPECT_EQ(t.ConnectionOption("tcp_user_timeout"), "9000");
}

TEST_P(PostgresConnectionTest, StatementCacheReusesOneServerSidePrepare) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)"));
  const std::string sql = "INSERT INTO t (id, name) VALUES (?, ?)";
  ASSERT_OK_AND_ASSIGN(Statement * a, c().Prepare(sql));
  ASSERT_OK_AND_ASSIGN(Statement * b, c().Prepare(sql));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->ParameterCount(), 2);
  EXPECT_EQ(a->sql(), sql);
  const int64_t prepares = pg().statements_prepared();
  const int64_t trips = pg().round_trips();
  for (int i = 0; i < 10; ++i) ASSERT_OK(a->Execute({i, absl::StrCat("n", i)}).status());
  EXPECT_EQ(pg().statements_prepared() - prepares, 1);  // parsed once, then reused
  EXPECT_EQ(pg().round_trips() - trips, 10);           // the first run parses in the same round trip
  // NULLs fit the existing server-side statement; a differently typed value gets its own.
  ASSERT_OK(a->Execute({100, nullptr}).status());
  EXPECT_EQ(pg().statements_prepared() - prepares, 1);
  EXPECT_EQ(static_cast<PostgresStatement*>(a)->variant_count(), 1);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT count(*) AS n FROM t"));
  EXPECT_EQ(rs.front().Int64("n"), 11);
}

// A store::SqlText is found by its id; equal texts (two SqlTexts, or the plain text) share one
// statement and one server-side prepare; an evicted one is prepared again on its next use; another
// connection (e.g. after a reconnect) prepares it for itself.
TEST_P(PostgresConnectionTest, StatementCacheFindsSqlTextsByIdentity) {
  const Value kOne[] = {Value(1)};
  ASSERT_OK(
      c().ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a')"));
  const store::SqlText a("SELECT name FROM t WHERE id = ?");
  const store::SqlText same(std::string(a.view()));
  EXPECT_NE(a.id(), same.id());
  const int64_t prepares = pg().statements_prepared();
  ASSERT_OK_AND_ASSIGN(Statement * first, c().Prepare(a));
  ASSERT_OK_AND_ASSIGN(Statement * again, c().Prepare(a));
  ASSERT_OK_AND_ASSIGN(Statement * by_twin, c().Prepare(same));
  ASSERT_OK_AND_ASSIGN(Statement * by_text, c().Prepare(a.view()));
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, by_twin);
  EXPECT_EQ(first, by_text);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute(i % 2 == 0 ? a : same, kOne));
    EXPECT_EQ(rs.front().Text(0), "a");
  }
  EXPECT_EQ(pg().statements_prepared() - prepares, 1);
  EXPECT_EQ(pg().cached_statements(), 1);  // scripts are not prepared: only this one

  // A cache of two: a and then two others evict a; its next use prepares it again.
  Url url = *ParseUrl(url_);
  store::DatabaseOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.statement_cache_size = 2;
  ASSERT_OK_AND_ASSIGN(auto small, MakePostgresDriver()->Connect(url, options, /*read_only=*/false));
  auto& s = static_cast<PostgresConnection&>(*small);
  const store::SqlText b("SELECT name FROM t WHERE id = ? + 0"), d("SELECT name FROM t WHERE id = ? + 1 - 1");
  for (const store::SqlText* text : {&a, &b, &d}) ASSERT_OK(s.Execute(*text, kOne).status());
  EXPECT_EQ(s.cached_statements(), 2);
  EXPECT_EQ(s.statements_prepared(), 3);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, s.Execute(a, kOne));  // evicted: prepared again
  EXPECT_EQ(rs.front().Text(0), "a");
  EXPECT_EQ(s.statements_prepared(), 4);
  ASSERT_OK(s.Execute(a, kOne).status());
  EXPECT_EQ(s.statements_prepared(), 4);
  EXPECT_EQ(s.cached_statements(), 2);
  s.TakeEvicted();

  // A new connection (what a reconnect gives) prepares the same SqlText for itself, once.
  ASSERT_OK_AND_ASSIGN(auto other, ConnectTo(url_));
  auto& o = static_cast<PostgresConnection&>(*other);
  ASSERT_OK(o.Execute(a, kOne).status());
  ASSERT_OK(o.Execute(a, kOne).status());
  EXPECT_EQ(o.statements_prepared(), 1);
}

TEST_P(PostgresConnectionTest, EveryTypeRoundTripsThroughColumns) {
  ASSERT_OK(c().ExecuteScript(
      "CREATE TABLE v (id BIGINT PRIMARY KEY, i8 BIGINT, i4 INTEGER, i2 SMALLINT, f8 DOUBLE PRECISION,"
      " f4 REAL, num NUMERIC, b BOOLEAN, t TEXT, vc VARCHAR(50), by BYTEA, ia BIGINT[], ia4 INTEGER[],"
      " ta TEXT[], vca VARCHAR[], jb JSONB, js JSON)"));
  ASSERT_OK(c().Execute("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        {1, INT64_MIN, 2147483647, -32768, 0.1, 1.5, 12.25, true, "tëxt 'q' ?", "varchar",
                         Value::Blob(std::string("\0\x01\xff", 3)), std::vector<int64_t>{INT64_MAX, -1, 0},
                         std::vector<int64_t>{1, 2}, std::vector<std::string>{"a", "b,c"},
                         std::vector<std::string>{"x"}, Value::Json(R"({"k": [1, "two"]})"),
                         Value::Json(R"({"raw":  true})")})
                .status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT * FROM v WHERE id = ?", {1}));
  ASSERT_EQ(rs.size(), 1u);
  store::Row r = rs.front();
  EXPECT_EQ(r.Get("i8"), Value(INT64_MIN));
  EXPECT_EQ(r.Get("i4"), Value(2147483647));
  EXPECT_EQ(r.Get("i2"), Value(-32768));
  EXPECT_EQ(r.Get("f8"), Value(0.1));
  EXPECT_EQ(r.Get("f4"), Value(1.5));
  EXPECT_EQ(r.Get("num"), Value(12.25));
  EXPECT_EQ(r.Get("b"), Value(int64_t{1}));
  EXPECT_EQ(r.Get("t"), Value("tëxt 'q' ?"));
  EXPECT_EQ(r.Get("vc"), Value("varchar"));
  EXPECT_EQ(r.Get("by"), Value::Blob(std::string("\0\x01\xff", 3)));
  EXPECT_EQ(r.Get("ia"), Value(std::vector<int64_t>{INT64_MAX, -1, 0}));
  EXPECT_EQ(r.Get("ia4"), Value(std::vector<int64_t>{1, 2}));
  EXPECT_EQ(r.Get("ta"), Value(std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(r.Get("vca"), Value(std::vector<std::string>{"x"}));
  EXPECT_EQ(r.Get("jb"), Value::Json(R"({"k": [1, "two"]})"));  // jsonb's normal form
  EXPECT_EQ(r.Get("js"), Value::Json(R"({"raw":  true})"));     // json keeps the text
  // NULL in every column.
  ASSERT_OK(c().Execute("INSERT INTO v (id) VALUES (?)", {2}).status());
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT * FROM v WHERE id = ?", {2}));
  for (int col = 1; col < rs.column_count(); ++col) EXPECT_TRUE(rs.front().IsNull(col)) << rs.columns()[col];
  // Binding NULL into typed columns, and a boolean compared with an int parameter through inference.
  ASSERT_OK(c().Execute("INSERT INTO v (id, i8, b, by, ia, jb) VALUES (?, ?, ?, ?, ?, ?)",
                        {3, nullptr, nullptr, nullptr, nullptr, nullptr})
                .status());
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM v WHERE b = ?", {"1"}));
  EXPECT_EQ(rs.front().Int64(0), 1);
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM v WHERE b = ? AND i8 < ?", {true, 0}));
  EXPECT_EQ(rs.front().Int64(0), 1);
}

// Results keep their cells in the PGresult (store::ResultSource) and the typed accessors read them in
// place: every accessor must give exactly what it gives on the Values of the same cells.
TEST_P(PostgresConnectionTest, InPlaceReadsMatchTheValues) {
  ASSERT_OK(c().ExecuteScript(
      "CREATE TYPE mood AS ENUM ('HAPPY', 'SAD');"
      "CREATE TABLE w (id BIGINT PRIMARY KEY, i8 BIGINT, i4 INTEGER, i2 SMALLINT, f8 DOUBLE PRECISION,"
      " num NUMERIC, b BOOLEAN, t TEXT, vc VARCHAR(50), e mood, by BYTEA, ia BIGINT[], ia4 INTEGER[],"
      " ta TEXT[], vca VARCHAR[], jb JSONB, js JSON)"));
  const std::string insert = "INSERT INTO w VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  ASSERT_OK(c().Execute(insert, {1, INT64_MIN, 2147483647, -32768, 0.1, 12.25, true, "tëxt 'q' ?", "-17", "HAPPY",
                                 Value::Blob(std::string("\0\x01\xff", 3)), std::vector<int64_t>{INT64_MAX, -1, 0},
                                 std::vector<int64_t>{1, 2},
                                 std::vector<std::string>{"a", "b,c", "NULL", "", " sp ", "q\"uo\\te", "{x}"},
                                 std::vector<std::string>{"x"}, Value::Json(R"({"k": [1, "two"]})"),
                                 Value::Json(R"(["j", 2])")})
                .status());
  ASSERT_OK(c().Execute(insert, {2, 0, -5, 7, -2.5e300, -0.5, false, "12abc", "9223372036854775807", "SAD",
                                 Value::Blob(""), std::vector<int64_t>{}, std::vector<int64_t>{-3},
                                 std::vector<std::string>{}, std::vector<std::string>{"y z", "w"},
                                 Value::Json("[]"), Value::Json(R"([1,2])")})
                .status());
  ASSERT_OK(c().Execute("INSERT INTO w (id) VALUES (?)", {3}).status());
  ASSERT_OK(c().ExecuteScript("UPDATE w SET ia = '{1,NULL,3}', ta = '{NULL,\"NULL\",b}' WHERE id = 3"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT *, t AS t2, i8::text AS i8_text FROM w ORDER BY id"));
  ASSERT_EQ(rs.size(), 3u);
  ASSERT_NO_FATAL_FAILURE(daira::testing::ExpectInPlaceReadsMatchTheValues(rs));
  // Spot checks of what the in-place reads decode.
  EXPECT_EQ(rs.row(0).TextArray("ta"), (std::vector<std::string>{"a", "b,c", "NULL", "", " sp ", "q\"uo\\te", "{x}"}));
  EXPECT_EQ(rs.row(2).Int64Array("ia"), (std::vector<int64_t>{1, 0, 3}));
  EXPECT_EQ(rs.row(2).TextArray("ta"), (std::vector<std::string>{"", "NULL", "b"}));
  EXPECT_EQ(rs.row(0).Int64("b"), 1);
  EXPECT_EQ(rs.row(0).Text("e"), "HAPPY");
  EXPECT_EQ(rs.row(0).Int64("vc"), -17);
  EXPECT_EQ(rs.row(1).CheckedInt64("t").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*rs.row(1).CheckedInt64("vc"), INT64_MAX);
  EXPECT_EQ(rs.row(0).Text("i8_text"), absl::StrCat(INT64_MIN));
  // A copy shares the cells; appending to a result turns it into Values first.
  ResultSet copy = rs;
  EXPECT_EQ(copy.source(), rs.source());
  EXPECT_EQ(copy.row(1).Text("t"), "12abc");
  copy.Reserve(4);
  EXPECT_EQ(copy.source(), nullptr);
  EXPECT_EQ(copy.size(), 3u);
  EXPECT_EQ(copy.row(1).Text("t"), "12abc");
  EXPECT_EQ(copy.at(0, 0), Value(int64_t{1}));
  EXPECT_EQ(rs.row(1).Text("t"), "12abc");  // the original is untouched
}

TEST_P(PostgresConnectionTest, UntypedParametersKeepTheirValueType) {
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? - 1 AS f",
                                                 {int64_t{5000000000}, 2.5, "s", Value::Blob("\x01"),
                                                  std::vector<int64_t>{1}, int64_t{5000000001}}));
  EXPECT_EQ(rs.front().Get("a"), Value(int64_t{5000000000}));
  EXPECT_EQ(rs.front().Get("b"), Value(2.5));
  EXPECT_EQ(rs.front().Get("c"), Value("s"));
  EXPECT_EQ(rs.front().Get("d"), Value::Blob("\x01"));
  EXPECT_EQ(rs.front().Get("e"), Value(std::vector<int64_t>{1}));
  EXPECT_EQ(rs.front().Get("f"), Value(int64_t{5000000000}));
  // The same SQL with another value type gets a second server-side statement and stays correct.
  ASSERT_OK_AND_ASSIGN(Statement * st, c().Prepare("SELECT ? AS x"));
  ASSERT_OK_AND_ASSIGN(rs, st->Execute({7}));
  EXPECT_EQ(rs.front().Get("x"), Value(7));
  ASSERT_OK_AND_ASSIGN(rs, st->Execute({"seven"}));
  EXPECT_EQ(rs.front().Get("x"), Value("seven"));
  ASSERT_OK_AND_ASSIGN(rs, st->Execute({7}));
  EXPECT_EQ(rs.front().Get("x"), Value(7));
  EXPECT_EQ(static_cast<PostgresStatement*>(st)->variant_count(), 2);
  // Special doubles.
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT ? AS inf, ? AS small", {1.0 / 0.0, 5e-324}));
  EXPECT_EQ(rs.front().Double("inf"), 1.0 / 0.0);
  EXPECT_EQ(rs.front().Double("small"), 5e-324);
}

TEST_P(PostgresConnectionTest, TextArraysWithQuotesCommasBackslashesAndNullLookingStrings) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE a (id BIGINT PRIMARY KEY, ta TEXT[])"));
  const std::vector<std::string> tricky = {"",   "NULL", "null",  " spaced ", "a,b", "{x}", "q\"uote",
                                           "b\\s", "\\\"", "ünï ✓", "\t\n",     "'",   "?"};
  ASSERT_OK(c().Execute("INSERT INTO a (id, ta) VALUES (?, ?)", {1, tricky}).status());
  ASSERT_OK(c().Execute("INSERT INTO a (id, ta) VALUES (?, ?)", {2, std::vector<std::string>{}}).status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT ta FROM a ORDER BY id"));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs.row(0).TextArray(0), tricky);
  EXPECT_TRUE(rs.row(1).TextArray(0).empty());
  // Elements are matched exactly by = ANY(?).
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM unnest(?::text[]) u WHERE " +
                                           c().dialect().InArray("u"),
                                       {tricky, std::vector<std::string>{"NULL", "a,b", "b\\s"}}));
  EXPECT_EQ(rs.front().Int64(0), 3);
  // A real NULL element comes back as "".
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT ARRAY['x', NULL, 'NULL']::text[]"));
  EXPECT_THAT(rs.front().TextArray(0), ElementsAre("x", "", "NULL"));
}

TEST_P(PostgresConnectionTest, Int64ArrayBindsToAnyOnBigintAndIntegerColumns) {
  ASSERT_OK(c().ExecuteScript(
      "CREATE TABLE u (id BIGINT PRIMARY KEY, small INTEGER);"
      "INSERT INTO u SELECT g, g FROM generate_series(1, 20) g;"));
  const std::vector<int64_t> ids = {3, 5, 19, 4000000000};
  ASSERT_OK_AND_ASSIGN(ResultSet rs,
                       c().Execute("SELECT id FROM u WHERE " + c().dialect().InArray("id") + " ORDER BY id", {ids}));
  std::vector<int64_t> got;
  for (store::Row r : rs) got.push_back(r.Int64(0));
  EXPECT_THAT(got, ElementsAre(3, 5, 19));
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM u WHERE " + c().dialect().InArray("small"), {ids}));
  EXPECT_EQ(rs.front().Int64(0), 3);
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM u WHERE " + c().dialect().InArray("id"),
                                       {std::vector<int64_t>{}}));
  EXPECT_EQ(rs.front().Int64(0), 0);
}

TEST_P(PostgresConnectionTest, JsonbIsStoredAndQueryable) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE j (id BIGINT PRIMARY KEY, doc JSONB, note TEXT)"));
  ASSERT_OK(c().Execute("INSERT INTO j VALUES (?, ?, ?)",
                        {1, Value::Json(R"({"name":"ann","tags":["a","b"],"n":3})"), Value::Json("[1]")})
                .status());
  // Plain text also fills a JSONB column (the server infers the type).
  ASSERT_OK(c().Execute("INSERT INTO j VALUES (?, ?, ?)", {2, R"({"name":"bob"})", "plain"}).status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT id, doc->>'name' AS name, doc, note FROM j "
                                                 "WHERE doc @> ?::jsonb ORDER BY id",
                                                 {Value::Json(R"({"name":"ann"})")}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Text("name"), "ann");
  EXPECT_EQ(rs.front().Get("doc").type(), store::ValueType::kJson);
  EXPECT_EQ(rs.front().Json("doc"), R"({"n": 3, "name": "ann", "tags": ["a", "b"]})");
  EXPECT_EQ(rs.front().Text("note"), "[1]");
}

TEST_P(PostgresConnectionTest, FiveMebibyteByteaWithEveryByteValue) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE blobs (id BIGINT PRIMARY KEY, b BYTEA)"));
  std::string big(5 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
  ASSERT_OK(c().Execute("INSERT INTO blobs VALUES (?, ?)", {1, Value::Blob(big)}).status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT b, length(b) AS n FROM blobs WHERE id = ?", {1}));
  EXPECT_EQ(rs.front().Int64("n"), 5 << 20);
  const std::string back = rs.front().Blob("b");
  ASSERT_EQ(back.size(), big.size());
  EXPECT_TRUE(back == big);
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(DISTINCT get_byte(b, g)) FROM blobs, generate_series(0, 4095) g"));
  EXPECT_EQ(rs.front().Int64(0), 256);
}

TEST_P(PostgresConnectionTest, PipelineBatchOfHundredStatementsIsOneRoundTrip) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE p (id BIGINT PRIMARY KEY, v TEXT)"));
  std::vector<BatchStatement> batch;
  for (int i = 0; i < 99; ++i) {
    // Several distinct statements, all new to this connection: prepared inside the same pipeline.
    batch.push_back({i % 3 == 0 ? "INSERT INTO p (id, v) VALUES (?, ?)"
                     : i % 3 == 1 ? "INSERT INTO p (v, id) VALUES (?, ?)"
                                  : "INSERT INTO p (id, v) VALUES (?, ?) RETURNING id",
                     i % 3 == 1 ? std::vector<Value>{absl::StrCat("v", i), i} : std::vector<Value>{i, absl::StrCat("v", i)}});
  }
  batch.push_back({"SELECT count(*) AS n FROM p", {}});
  const int64_t trips = pg().round_trips();
  const int64_t executed = c().statements_executed();
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results, c().ExecuteBatch(batch));
  EXPECT_EQ(pg().round_trips() - trips, 1);
  EXPECT_EQ(c().statements_executed() - executed, 100);
  ASSERT_EQ(results.size(), 100u);
  EXPECT_EQ(results[0].rows_affected(), 1);
  EXPECT_EQ(results[2].front().Int64("id"), 2);
  EXPECT_EQ(results[99].front().Int64("n"), 99);
  EXPECT_FALSE(c().InTransaction());
  // Statements prepared by the batch are reused by later single executions.
  const int64_t prepares = pg().statements_prepared();
  ASSERT_OK(c().Execute("INSERT INTO p (id, v) VALUES (?, ?)", {1000, "x"}).status());
  EXPECT_EQ(pg().statements_prepared(), prepares);
}

TEST_P(PostgresConnectionTest, ErrorMidBatchReturnsItsStatusAndTheConnectionStaysUsable) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE p (id BIGINT PRIMARY KEY, n BIGINT CHECK (n >= 0))"));
  std::vector<BatchStatement> batch = {
      {"INSERT INTO p (id, n) VALUES (?, ?)", {1, 1}},
      {"INSERT INTO p (id, n) VALUES (?, ?)", {2, 2}},
      {"INSERT INTO p (id, n) VALUES (?, ?)", {3, -1}},  // CHECK violation
      {"INSERT INTO p (id, n) VALUES (?, ?)", {4, 4}},
  };
  auto result = c().ExecuteBatch(batch);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SQLSTATE 23514")));
  EXPECT_EQ(store::StatusSqlState(result.status()), "23514");
  EXPECT_FALSE(c().IsBroken());
  EXPECT_FALSE(c().InTransaction());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT id FROM p ORDER BY id"));
  std::vector<int64_t> ids;
  for (store::Row r : rs) ids.push_back(r.Int64(0));
  EXPECT_THAT(ids, ElementsAre(1, 2));  // before the failure: run; after it: not
  // A statement that fails to parse inside a pipeline.
  std::vector<BatchStatement> bad_sql = {{"SELECT 1", {}}, {"SELEC nonsense ?", {1}}, {"SELECT 2", {}}};
  EXPECT_THAT(c().ExecuteBatch(bad_sql), StatusIs(absl::StatusCode::kInternal, HasSubstr("42601")));
  // Inside a transaction the batch failure leaves the transaction aborted until rolled back.
  ASSERT_OK(c().Begin(store::IsolationLevel::kDefault, true));
  std::vector<BatchStatement> dup = {{"INSERT INTO p (id, n) VALUES (?, ?)", {10, 1}},
                                     {"INSERT INTO p (id, n) VALUES (?, ?)", {1, 1}}};
  EXPECT_THAT(c().ExecuteBatch(dup), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(c().InTransaction());
  ASSERT_OK(c().Rollback());
  EXPECT_OK(c().Ping());
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM p"));
  EXPECT_EQ(rs.front().Int64(0), 2);
}

TEST_P(PostgresConnectionTest, SqlStatesMapToCodes) {
  ASSERT_OK(c().ExecuteScript(
      "CREATE TABLE par (id BIGINT PRIMARY KEY);"
      "CREATE TABLE ch (id BIGINT PRIMARY KEY, par_id BIGINT NOT NULL REFERENCES par (id), n INT CHECK (n > 0));"
      "INSERT INTO par VALUES (1);"));
  struct Case {
    std::string sql;
    std::vector<Value> params;
    absl::StatusCode code;
    std::string sqlstate;
  };
  const std::vector<Case> cases = {
      {"INSERT INTO par (id) VALUES (?)", {1}, absl::StatusCode::kAlreadyExists, "23505"},
      {"INSERT INTO ch (id, par_id, n) VALUES (?, ?, ?)", {1, 99, 1}, absl::StatusCode::kFailedPrecondition, "23503"},
      {"INSERT INTO ch (id, par_id, n) VALUES (?, ?, ?)", {1, 1, 0}, absl::StatusCode::kInvalidArgument, "23514"},
      {"INSERT INTO ch (id, par_id, n) VALUES (?, ?, ?)", {1, nullptr, 1}, absl::StatusCode::kInvalidArgument, "23502"},
      {"SELECT 1 / ?", {0}, absl::StatusCode::kInvalidArgument, "22012"},
      {"SELECT ?::int", {"nope"}, absl::StatusCode::kInvalidArgument, "22P02"},
      {"SELEC 1", {}, absl::StatusCode::kInternal, "42601"},
      {"SELECT * FROM no_such_table", {}, absl::StatusCode::kInternal, "42P01"},
  };
  for (const Case& k : cases) {
    auto r = c().Execute(k.sql, k.params);
    EXPECT_THAT(r, StatusIs(k.code, HasSubstr("(SQLSTATE " + k.sqlstate + ") in: " + k.sql.substr(0, 10))))
        << k.sql;
    EXPECT_EQ(store::StatusSqlState(r.status()), k.sqlstate) << k.sql;
  }
  // Codes the server raises under load, raised on purpose.
  for (const auto& [state, code] : std::vector<std::pair<std::string, absl::StatusCode>>{
           {"40001", absl::StatusCode::kAborted},
           {"40P01", absl::StatusCode::kAborted},
           {"57014", absl::StatusCode::kDeadlineExceeded},
           {"XX000", absl::StatusCode::kInternal}}) {
    absl::Status s = c().ExecuteScript("DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '" + state + "'; END $$");
    EXPECT_THAT(s, StatusIs(code, HasSubstr("raised (SQLSTATE " + state + ")"))) << state;
    EXPECT_EQ(store::StatusSqlState(s), state);
  }
  // A real statement timeout.
  ASSERT_OK(c().ExecuteScript("SET statement_timeout = '20ms'"));
  EXPECT_THAT(c().Execute("SELECT pg_sleep(30)"), StatusIs(absl::StatusCode::kDeadlineExceeded));
  ASSERT_OK(c().ExecuteScript("RESET statement_timeout"));
  // Text with a NUL byte is refused, not truncated.
  EXPECT_THAT(c().Execute("SELECT ?", {std::string("a\0b", 3)}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(c().IsBroken());
  EXPECT_OK(c().Ping());
}

TEST_P(PostgresConnectionTest, KilledBackendIsUnavailableAndBroken) {
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT pg_backend_pid()"));
  const int64_t pid = rs.front().Int64(0);
  EXPECT_EQ(pid, pg().backend_pid());
  // Waits (up to 10 s) until the backend has exited.
  ASSERT_OK_AND_ASSIGN(rs, admin_->Execute("SELECT pg_terminate_backend(?::int, 10000)", {pid}));
  ASSERT_EQ(rs.front().Int64(0), 1);
  EXPECT_FALSE(c().IsBroken());  // nothing has noticed yet
  EXPECT_THAT(c().Execute("SELECT 1"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(c().IsBroken());
  EXPECT_THAT(c().Ping(), StatusIs(absl::StatusCode::kUnavailable));
  std::vector<BatchStatement> batch = {{"SELECT 1", {}}};
  EXPECT_THAT(c().ExecuteBatch(batch), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_P(PostgresConnectionTest, KilledBackendDuringPipelineIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT pg_backend_pid()"));
  ASSERT_OK(admin_->Execute("SELECT pg_terminate_backend(?::int, 10000)", {rs.front().Int64(0)}).status());
  std::vector<BatchStatement> batch = {{"SELECT 1", {}}, {"SELECT 2", {}}};
  EXPECT_THAT(c().ExecuteBatch(batch), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(c().IsBroken());
}

TEST_P(PostgresConnectionTest, TransactionsAndIsolationLevels) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  for (const auto& [level, name] : std::vector<std::pair<store::IsolationLevel, std::string>>{
           {store::IsolationLevel::kDefault, "read committed"},
           {store::IsolationLevel::kReadCommitted, "read committed"},
           {store::IsolationLevel::kRepeatableRead, "repeatable read"},
           {store::IsolationLevel::kSerializable, "serializable"}}) {
    ASSERT_OK(c().Begin(level, true));
    EXPECT_TRUE(c().InTransaction());
    ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SHOW transaction_isolation"));
    EXPECT_EQ(rs.front().Text(0), name);
    ASSERT_OK(c().Rollback());
    EXPECT_FALSE(c().InTransaction());
  }
  // COMMIT of a transaction whose statement failed does not report success.
  ASSERT_OK(c().Begin(store::IsolationLevel::kDefault, true));
  ASSERT_OK(c().Execute("INSERT INTO t VALUES (?)", {1}).status());
  EXPECT_THAT(c().Execute("INSERT INTO t VALUES (?)", {1}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(c().InTransaction());
  EXPECT_THAT(c().Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(c().InTransaction());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  ASSERT_OK(c().Begin(store::IsolationLevel::kDefault, true));
  ASSERT_OK(c().Execute("INSERT INTO t VALUES (?)", {1}).status());
  ASSERT_OK(c().Commit());
  ASSERT_OK_AND_ASSIGN(rs, admin_->Execute("SELECT count(*) FROM " + schema_ + ".t"));
  EXPECT_EQ(rs.front().Int64(0), 1);
}

TEST_P(PostgresConnectionTest, RowsAffectedScriptsAndCounters) {
  ASSERT_OK(c().ExecuteScript(
      "CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT); INSERT INTO t SELECT g, 0 FROM generate_series(1, 5) g;"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("UPDATE t SET n = n + ? WHERE id > ?", {1, 2}));
  EXPECT_EQ(rs.rows_affected(), 3);
  EXPECT_TRUE(rs.empty());
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("DELETE FROM t WHERE id = ? RETURNING id, n", {5}));
  EXPECT_EQ(rs.rows_affected(), 1);
  EXPECT_THAT(rs.columns(), ElementsAre("id", "n"));
  const int64_t before = c().statements_executed();
  ASSERT_OK(c().Ping());
  ASSERT_OK(c().Execute("SELECT 1").status());
  EXPECT_EQ(c().statements_executed() - before, 2);
  // '?' inside literals, identifiers and comments is not a placeholder.
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT '?' AS \"q?\", ? AS p -- trailing ?", {3}));
  EXPECT_EQ(rs.front().Text("q?"), "?");
  EXPECT_EQ(rs.front().Int64("p"), 3);
}

TEST_P(PostgresConnectionTest, ConnectFailureIsUnavailableWithoutThePassword) {
  auto r = ConnectTo("postgres://someone:s3cret-pw@127.0.0.1:1/db?connect_timeout_ms=1000&application_name=x");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1")));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("s3cret-pw")));
  // libpq parameters pass through; daira's own are not sent to libpq.
  ASSERT_OK_AND_ASSIGN(auto conn,
                       ConnectTo(WithParam(url_, "application_name=daira_pg_test&pool_max=3&sslmode=disable")));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, conn->Execute("SELECT current_setting('application_name'), current_schema()"));
  EXPECT_EQ(rs.front().Text(0), "daira_pg_test");
  EXPECT_EQ(rs.front().Text(1), schema_);
  // plan_cache_mode can be set per session through libpq's `options`.
  ASSERT_OK_AND_ASSIGN(conn, ConnectTo(WithParam(admin_url_, "options=" + PercentEncode("-cplan_cache_mode=force_custom_plan"))));
  ASSERT_OK_AND_ASSIGN(rs, conn->Execute("SHOW plan_cache_mode"));
  EXPECT_EQ(rs.front().Text(0), "force_custom_plan");
}

TEST_P(PostgresConnectionTest, CachedStatementSurvivesSchemaChanges) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY); INSERT INTO t VALUES (1);"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c().Execute("SELECT * FROM t WHERE id = ?", {1}));
  EXPECT_EQ(rs.column_count(), 1);
  // The cached plan's result type changes: the statement is prepared again, not failed.
  ASSERT_OK(c().ExecuteScript("ALTER TABLE t ADD COLUMN name TEXT DEFAULT 'x'"));
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT * FROM t WHERE id = ?", {1}));
  EXPECT_THAT(rs.columns(), ElementsAre("id", "name"));
  EXPECT_EQ(rs.front().Text("name"), "x");
  ASSERT_OK(c().ExecuteScript("DROP TABLE t; CREATE TABLE t (id BIGINT PRIMARY KEY, a TEXT, b TEXT);"
                              "INSERT INTO t VALUES (1, 'a', 'b');"));
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT * FROM t WHERE id = ?", {1}));
  EXPECT_THAT(rs.columns(), ElementsAre("id", "a", "b"));
  // The same inside a pipeline.
  ASSERT_OK(c().ExecuteScript("ALTER TABLE t ADD COLUMN c TEXT"));
  std::vector<BatchStatement> batch = {{"INSERT INTO t (id) VALUES (?)", {2}}, {"SELECT * FROM t WHERE id = ?", {1}}};
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results, c().ExecuteBatch(batch));
  EXPECT_THAT(results[1].columns(), ElementsAre("id", "a", "b", "c"));
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 2);
  ASSERT_OK(c().ExecuteScript("ALTER TABLE t DROP COLUMN c"));
  // Inside a transaction the error is returned (the transaction is already aborted by it).
  ASSERT_OK(c().ExecuteScript("ALTER TABLE t DROP COLUMN b"));
  ASSERT_OK(c().Begin(store::IsolationLevel::kDefault, true));
  auto in_tx = c().Execute("SELECT * FROM t WHERE id = ?", {1});
  ASSERT_OK(c().Rollback());
  if (!in_tx.ok()) {
    EXPECT_EQ(store::StatusSqlState(in_tx.status()), "0A000");
  }
  ASSERT_OK_AND_ASSIGN(rs, c().Execute("SELECT * FROM t WHERE id = ?", {1}));
  EXPECT_THAT(rs.columns(), ElementsAre("id", "a"));
}

TEST_P(PostgresConnectionTest, PrimaryReportsNoLagAndHasReplayedEverything) {
  ASSERT_OK_AND_ASSIGN(std::string pos, c().WritePosition());
  EXPECT_THAT(pos, HasSubstr("/"));
  ASSERT_OK_AND_ASSIGN(bool replayed, c().HasReplayed(pos));
  EXPECT_TRUE(replayed);
  ASSERT_OK_AND_ASSIGN(replayed, c().HasReplayed("FFFFFFFF/FFFFFFFF"));  // not in recovery
  EXPECT_TRUE(replayed);
  ASSERT_OK_AND_ASSIGN(bool empty_replayed, c().HasReplayed(""));
  EXPECT_TRUE(empty_replayed);
  ASSERT_OK_AND_ASSIGN(int64_t lag, c().ReplicaLagMillis());
  EXPECT_EQ(lag, 0);
  EXPECT_THAT(c().HasReplayed("not-an-lsn"), StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Sql, PostgresConnectionTest, ::testing::ValuesIn(PostgresOnly()),
                         ::daira::testing::BackendName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresConnectionTest);

// Against the streaming replica of DAIRA_TEST_PG (DAIRA_TEST_PG_REPLICA).
class PostgresReplicaTest : public PostgresConnectionTest {
 protected:
  void SetUp() override {
    PostgresConnectionTest::SetUp();
    if (HasFatalFailure()) return;
    std::string replica = EnvOr("DAIRA_TEST_PG_REPLICA");
    ASSERT_FALSE(replica.empty()) << "DAIRA_TEST_PG_REPLICA is not set but CI=true requires replica coverage";
    ASSERT_OK_AND_ASSIGN(replica_, ConnectTo(WithParam(replica, "options=" + PercentEncode("-csearch_path=" + schema_))));
  }
  void TearDown() override {
    replica_.reset();
    PostgresConnectionTest::TearDown();
  }
  std::unique_ptr<store::Connection> replica_;
};

TEST_P(PostgresReplicaTest, ReplicaReplaysThePrimarysWritePosition) {
  ASSERT_OK(c().ExecuteScript("CREATE TABLE r (id BIGINT PRIMARY KEY); INSERT INTO r VALUES (1), (2);"));
  ASSERT_OK_AND_ASSIGN(std::string pos, c().WritePosition());
  ASSERT_FALSE(pos.empty());
  // Poll the condition under test (streaming is asynchronous), bounded by a generous deadline.
  bool replayed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!replayed && std::chrono::steady_clock::now() < deadline) {
    ASSERT_OK_AND_ASSIGN(replayed, replica_->HasReplayed(pos));
    if (!replayed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(replayed) << "replica did not replay " << pos;
  ASSERT_OK_AND_ASSIGN(ResultSet rs, replica_->Execute("SELECT count(*) FROM r"));
  EXPECT_EQ(rs.front().Int64(0), 2);
  // A position far beyond anything written has not been replayed.
  ASSERT_OK_AND_ASSIGN(bool future, replica_->HasReplayed("FFFFFFFF/FFFFFFFF"));
  EXPECT_FALSE(future);
  ASSERT_OK_AND_ASSIGN(int64_t lag, replica_->ReplicaLagMillis());
  EXPECT_GE(lag, 0);
  // The replica has no write position of its own, and refuses writes: 25006 (read-only) is Unavailable
  // and marks the connection for discard, as for the old primary after a failover.
  EXPECT_THAT(replica_->WritePosition(), Not(IsOk()));
  EXPECT_FALSE(replica_->IsBroken());
  EXPECT_THAT(replica_->Execute("INSERT INTO r VALUES (3)"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(replica_->IsBroken());
}

TEST_P(PostgresReplicaTest, CaughtUpReplicaReportsZeroLag) {
  ASSERT_OK_AND_ASSIGN(std::string pos, c().WritePosition());
  bool replayed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!replayed && std::chrono::steady_clock::now() < deadline) {
    ASSERT_OK_AND_ASSIGN(replayed, replica_->HasReplayed(pos));
    if (!replayed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(replayed);
  // Nothing else writes to this cluster in the test, so received == replayed and the lag is 0 —
  // unless another test's write is in flight, in which case it is a small positive number.
  ASSERT_OK_AND_ASSIGN(int64_t lag, replica_->ReplicaLagMillis());
  EXPECT_GE(lag, 0);
  EXPECT_LT(lag, 60000);
}

INSTANTIATE_TEST_SUITE_P(Sql, PostgresReplicaTest, ::testing::ValuesIn(PostgresReplicaOnly()),
                         ::daira::testing::BackendName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresReplicaTest);

}  // namespace
}  // namespace daira::backends
