// Conformance of store::Connection across SQL backends: binding and reading every Value type, result
// access, rows_affected, prepared statements, error mapping, transactions and batches. Only the
// backend-neutral API is used; the few DDL differences are chosen from db().dialect().backend().
#include <cstdint>
#include <limits>
#include <stdexcept>
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
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ConnectionConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tdb_ = std::move(*t);
  }

  Database& db() { return tdb_->db(); }
  bool is_sqlite() { return db().dialect().backend() == Backend::kSqlite; }
  std::string BlobType() { return is_sqlite() ? "BLOB" : "BYTEA"; }
  // A column holding a JSON document: JSONB on Postgres, JSON text on SQLite.
  std::string JsonType() { return is_sqlite() ? "TEXT" : "JSONB"; }
  // Columns holding arrays: native arrays on Postgres, JSON array text on SQLite.
  std::string Int64ArrayType() { return is_sqlite() ? "TEXT" : "BIGINT[]"; }
  std::string TextArrayType() { return is_sqlite() ? "TEXT" : "TEXT[]"; }

  // Rows in `table` as seen from another connection (a reader on SQLite, another pooled one on Postgres).
  int64_t CountFromOtherConnection(const std::string& table) {
    auto rs = db().Read(ctx_, "SELECT count(*) AS n FROM " + table);
    EXPECT_THAT(rs, IsOk());
    return rs.ok() && !rs->empty() ? rs->front().Int64("n") : -1;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

// ---------------------------------------------------------------------------------------------------
// Values

TEST_P(ConnectionConformanceTest, NullsRoundTripInEveryColumnType) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(absl::StrCat("CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, ",
                                          "t TEXT, b ", BlobType(), ", j ", JsonType(), ", ia ", Int64ArrayType(),
                                          ", ta ", TextArrayType(), ")")));
  ASSERT_OK_AND_ASSIGN(ResultSet ins, c->Execute("INSERT INTO vals (id, i, d, t, b, j, ia, ta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                                 {1, nullptr, Value(), nullptr, nullptr, nullptr, nullptr, nullptr}));
  EXPECT_EQ(ins.rows_affected(), 1);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT i, d, t, b, j, ia, ta FROM vals WHERE id = ?", {1}));
  ASSERT_EQ(rs.size(), 1u);
  ASSERT_EQ(rs.column_count(), 7);
  for (int col = 0; col < rs.column_count(); ++col) {
    EXPECT_TRUE(rs.front().IsNull(col)) << rs.columns()[col] << " = " << rs.front()[col].DebugString();
  }
  // NULL reads as the zero value through the lenient accessors.
  EXPECT_EQ(rs.front().Int64("i"), 0);
  EXPECT_EQ(rs.front().Text("t"), "");
  EXPECT_THAT(rs.front().Int64Array("ia"), IsEmpty());
  // IS NULL on a bound NULL.
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT count(*) AS n FROM vals WHERE t IS NULL AND id = ?", {1}));
  EXPECT_EQ(rs.front().Int64("n"), 1);
}

TEST_P(ConnectionConformanceTest, IntegersAndDoublesRoundTripExactly) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE nums (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION)"));
  const std::vector<int64_t> ints = {0, 1, -1, 42, std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min(), int64_t{1} << 53, -(int64_t{1} << 53) - 1};
  const std::vector<double> doubles = {0.0, 0.1, -2.5e300, 3.141592653589793, 1.0 / 3.0, 1e-300,
                                       std::numeric_limits<double>::max(), -0.5};
  ASSERT_EQ(ints.size(), doubles.size());
  ASSERT_OK_AND_ASSIGN(Statement * ins, c->Prepare("INSERT INTO nums (id, i, d) VALUES (?, ?, ?)"));
  for (size_t k = 0; k < ints.size(); ++k) {
    ASSERT_OK(ins->Execute({static_cast<int64_t>(k), ints[k], doubles[k]}).status());
  }
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT id, i, d FROM nums ORDER BY id"));
  ASSERT_EQ(rs.size(), ints.size());
  for (size_t k = 0; k < ints.size(); ++k) {
    Row r = rs.row(k);
    EXPECT_EQ(r[1].type(), ValueType::kInt64) << r[1].DebugString();
    EXPECT_EQ(r[2].type(), ValueType::kDouble) << r[2].DebugString();
    EXPECT_EQ(r.Int64("i"), ints[k]);
    EXPECT_EQ(r.Double("d"), doubles[k]) << "row " << k;  // exact: no decimal round-off
  }
  // Bound integers compare as integers (booleans are 0/1).
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id FROM nums WHERE i = ?", {std::numeric_limits<int64_t>::min()}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64(0), 5);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id FROM nums WHERE i = ?", {true}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64(0), 1);
}

TEST_P(ConnectionConformanceTest, RepeatedExecutionsReadTheSameCells) {
  // Postgres asks for binary results once a prepared statement's columns are all integers, booleans
  // or text (from its second execution on): every execution must read what the first one read.
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE widths (id BIGINT PRIMARY KEY, s SMALLINT, i INTEGER, b BIGINT, "
                             "f BOOLEAN, t TEXT, v VARCHAR(20))"));
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  ASSERT_OK(c->Execute("INSERT INTO widths (id, s, i, b, t, v) VALUES (?, ?, ?, ?, ?, ?)",
                       {1, -32768, int64_t{-2147483648LL}, kMin, "", "x"})
                .status());
  ASSERT_OK(c->Execute("INSERT INTO widths (id, s, i, b, t, v) VALUES (?, ?, ?, ?, ?, ?)",
                       {2, 32767, int64_t{2147483647}, kMax, "h\xC3\xA9llo", ""})
                .status());
  ASSERT_OK(c->Execute("INSERT INTO widths (id, s, i, b, t, v) VALUES (?, ?, ?, ?, ?, ?)",
                       {3, -1, -1, -1, nullptr, nullptr})
                .status());
  ASSERT_OK(c->Execute("INSERT INTO widths (id, s, i, b, t, v) VALUES (?, ?, ?, ?, ?, ?)",
                       {4, nullptr, nullptr, nullptr, "a", "bc"})
                .status());
  ASSERT_OK(c->ExecuteScript("UPDATE widths SET f = TRUE WHERE id IN (1, 4); UPDATE widths SET f = FALSE WHERE id = 2"));

  ASSERT_OK_AND_ASSIGN(Statement * st, c->Prepare("SELECT id, s, i, b, f, t, v FROM widths WHERE id >= ? ORDER BY id"));
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE(absl::StrCat("execution ", run + 1));
    ASSERT_OK_AND_ASSIGN(ResultSet rs, st->Execute({1}));
    ASSERT_EQ(rs.size(), 4u);
    const Row r1 = rs.row(0), r2 = rs.row(1), r3 = rs.row(2), r4 = rs.row(3);
    EXPECT_EQ(r1.Int64("s"), -32768);
    EXPECT_EQ(r1.Int64("i"), -2147483648LL);
    EXPECT_EQ(r1.Int64("b"), kMin);
    EXPECT_EQ(r1.Int64("f"), 1);
    EXPECT_EQ(r1[5].type(), ValueType::kText) << r1[5].DebugString();  // t: empty, not NULL
    EXPECT_EQ(r1.Text("t"), "");
    EXPECT_EQ(r1.Text("v"), "x");
    EXPECT_EQ(r2.Int64("s"), 32767);
    EXPECT_EQ(r2.Int64("i"), 2147483647);
    EXPECT_EQ(r2.Int64("b"), kMax);
    EXPECT_EQ(r2.Int64("f"), 0);
    EXPECT_EQ(r2.Text("t"), "h\xC3\xA9llo");
    EXPECT_FALSE(r2.IsNull("v"));
    EXPECT_EQ(r2.Text("v"), "");
    EXPECT_EQ(r3.Int64("s"), -1);
    EXPECT_EQ(r3.Int64("i"), -1);
    EXPECT_EQ(r3.Int64("b"), -1);
    EXPECT_TRUE(r3.IsNull("f"));
    EXPECT_TRUE(r3.IsNull("t"));
    EXPECT_TRUE(r3.IsNull("v"));
    for (int col : {1, 2, 3}) {  // s, i, b
      EXPECT_TRUE(r4.IsNull(col)) << col;
      EXPECT_EQ(r4[col].type(), ValueType::kNull) << col;
      EXPECT_EQ(r3[col].type(), ValueType::kInt64) << col;
    }
    EXPECT_EQ(r4.Int64("id"), 4);
    EXPECT_EQ(r4.Text("v"), "bc");
  }
}

TEST_P(ConnectionConformanceTest, TextRoundTripsUnicodeAndSqlMetacharacters) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE texts (id BIGINT PRIMARY KEY, t TEXT)"));
  const std::vector<std::string> texts = {
      "",
      "plain",
      "zoë — naïve café",
      "emoji 😀👩‍👩‍👧 and 中文 and العربية",
      "'; DROP TABLE texts; --",
      "quote ' double \" backslash \\ percent % underscore _",
      "placeholders ? ?? $1 :name @p",
      "tab\tnewline\ncarriage\r",
      "{\"looks\": [\"like\", \"json\"]}",
      "{a,b} NULL \"null\"",
      std::string(100000, 'x') + "end",
  };
  ASSERT_OK_AND_ASSIGN(Statement * ins, c->Prepare("INSERT INTO texts (id, t) VALUES (?, ?)"));
  for (size_t k = 0; k < texts.size(); ++k) ASSERT_OK(ins->Execute({static_cast<int64_t>(k), texts[k]}).status());
  // The injection attempt was data, not SQL: the table is still there with every row.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT id, t FROM texts ORDER BY id"));
  ASSERT_EQ(rs.size(), texts.size());
  for (size_t k = 0; k < texts.size(); ++k) {
    EXPECT_EQ(rs.row(k)[1].type(), ValueType::kText);
    EXPECT_EQ(rs.row(k).Text("t"), texts[k]) << "row " << k;
  }
  // Empty text is not NULL.
  EXPECT_FALSE(rs.row(0).IsNull("t"));
  // Equality on bound text finds exactly the row.
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id FROM texts WHERE t = ?", {texts[3]}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64("id"), 3);
  // '?' inside a string literal is not a placeholder.
  ASSERT_OK_AND_ASSIGN(Statement * lit, c->Prepare("SELECT '?' AS q, t FROM texts WHERE id = ?"));
  EXPECT_EQ(lit->ParameterCount(), 1);
  ASSERT_OK_AND_ASSIGN(rs, lit->Execute({1}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Text("q"), "?");
  EXPECT_EQ(rs.front().Text("t"), "plain");
}

TEST_P(ConnectionConformanceTest, TextWithNulIsNeverSilentlyTruncated) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE texts (id BIGINT PRIMARY KEY, t TEXT)"));
  const std::string with_nul("before\0after", 12);
  absl::StatusOr<ResultSet> ins = c->Execute("INSERT INTO texts (id, t) VALUES (?, ?)", {1, with_nul});
  if (is_sqlite()) {
    // SQLite text carries an explicit length.
    ASSERT_OK(ins.status());
  } else {
    // Postgres text cannot hold NUL (binary data belongs in a blob): refusing is fine, truncating is not.
    if (!ins.ok()) {
      EXPECT_THAT(ins, StatusIs(absl::StatusCode::kInvalidArgument));
      return;
    }
  }
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT t FROM texts WHERE id = ?", {1}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Text(0), with_nul);
}

TEST_P(ConnectionConformanceTest, BlobsRoundTripEveryByteValueUpToFiveMebibytes) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(absl::StrCat("CREATE TABLE blobs (id BIGINT PRIMARY KEY, b ", BlobType(), ")")));
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  std::string large(5 * 1024 * 1024, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
  const std::vector<std::string> blobs = {std::string(), std::string("\0", 1), every_byte, large};
  ASSERT_OK_AND_ASSIGN(Statement * ins, c->Prepare("INSERT INTO blobs (id, b) VALUES (?, ?)"));
  for (size_t k = 0; k < blobs.size(); ++k) {
    ASSERT_OK(ins->Execute({static_cast<int64_t>(k), Value::Blob(blobs[k])}).status()) << "blob " << k;
  }
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT id, b FROM blobs ORDER BY id"));
  ASSERT_EQ(rs.size(), blobs.size());
  for (size_t k = 0; k < blobs.size(); ++k) {
    const Value& v = rs.row(k)[1];
    EXPECT_EQ(v.type(), ValueType::kBlob) << v.DebugString();
    std::string got = rs.row(k).Blob("b");
    EXPECT_EQ(got.size(), blobs[k].size()) << "blob " << k;
    EXPECT_TRUE(got == blobs[k]) << "blob " << k << " differs";  // no 5 MiB dump on failure
  }
  EXPECT_FALSE(rs.row(0).IsNull("b"));  // an empty blob is not NULL
  // A bound blob compares byte for byte.
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id FROM blobs WHERE b = ?", {Value::Blob(every_byte)}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64(0), 2);
}

TEST_P(ConnectionConformanceTest, Int64ArraysBindForInArrayAndRoundTripInAColumn) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(absl::StrCat("CREATE TABLE arr (id BIGINT PRIMARY KEY, ia ", Int64ArrayType(), ")")));
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  ASSERT_OK_AND_ASSIGN(Statement * ins, c->Prepare("INSERT INTO arr (id, ia) VALUES (?, ?)"));
  ASSERT_OK(ins->Execute({1, std::vector<int64_t>{1, 2, 3}}).status());
  ASSERT_OK(ins->Execute({2, std::vector<int64_t>{}}).status());
  ASSERT_OK(ins->Execute({kMax, std::vector<int64_t>{kMin, -1, 0, kMax}}).status());
  ASSERT_OK(ins->Execute({kMin, std::vector<int64_t>{7}}).status());

  const std::string in_sql = "SELECT id FROM arr WHERE " + db().dialect().InArray("id") + " ORDER BY id";
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute(in_sql, {std::vector<int64_t>{kMax, 2, 99, kMin, 2}}));
  std::vector<int64_t> ids;
  for (Row r : rs) ids.push_back(r.Int64("id"));
  EXPECT_THAT(ids, ElementsAre(kMin, 2, kMax));
  ASSERT_OK_AND_ASSIGN(rs, c->Execute(in_sql, {std::vector<int64_t>{}}));
  EXPECT_TRUE(rs.empty());

  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id, ia FROM arr ORDER BY id"));
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_THAT(rs.row(0).Int64Array("ia"), ElementsAre(7));
  EXPECT_THAT(rs.row(1).Int64Array("ia"), ElementsAre(1, 2, 3));
  EXPECT_THAT(rs.row(2).Int64Array("ia"), IsEmpty());
  EXPECT_FALSE(rs.row(2).IsNull("ia"));
  EXPECT_THAT(rs.row(3).Int64Array(1), ElementsAre(kMin, -1, 0, kMax));
}

TEST_P(ConnectionConformanceTest, TextArraysBindForInArrayAndRoundTripInAColumn) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(
      absl::StrCat("CREATE TABLE tags (id BIGINT PRIMARY KEY, name TEXT, ta ", TextArrayType(), ")")));
  // Strings that break naive array literal or JSON encoding.
  const std::vector<std::string> names = {"plain",  "with space", "comma,inside", "{braces}", "quote\"d",
                                          "back\\slash", "NULL",   "",           "zoë 😀",   "new\nline",
                                          "'; DROP TABLE tags; --"};
  ASSERT_OK_AND_ASSIGN(Statement * ins, c->Prepare("INSERT INTO tags (id, name, ta) VALUES (?, ?, ?)"));
  for (size_t k = 0; k < names.size(); ++k) {
    ASSERT_OK(ins->Execute({static_cast<int64_t>(k), names[k], std::vector<std::string>{names[k], "x"}}).status());
  }
  ASSERT_OK(ins->Execute({100, "all", names}).status());
  ASSERT_OK(ins->Execute({101, "none", std::vector<std::string>{}}).status());

  const std::string in_sql = "SELECT id FROM tags WHERE " + db().dialect().InArray("name") + " ORDER BY id";
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute(in_sql, {names}));
  EXPECT_EQ(rs.size(), names.size());  // every tricky name matched itself, "NULL" included
  ASSERT_OK_AND_ASSIGN(rs, c->Execute(in_sql, {std::vector<std::string>{"comma,inside", "NULL", "missing"}}));
  std::vector<int64_t> ids;
  for (Row r : rs) ids.push_back(r.Int64(0));
  EXPECT_THAT(ids, ElementsAre(2, 6));

  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT ta FROM tags WHERE id = ?", {100}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().TextArray("ta"), names);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT ta FROM tags WHERE id = ?", {101}));
  EXPECT_THAT(rs.front().TextArray(0), IsEmpty());
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id, ta FROM tags WHERE id < 100 ORDER BY id"));
  ASSERT_EQ(rs.size(), names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(rs.row(k).TextArray("ta"), (std::vector<std::string>{names[k], "x"})) << "row " << k;
  }
}

TEST_P(ConnectionConformanceTest, JsonRoundTripsAndIsQueryable) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(absl::StrCat("CREATE TABLE docs (id BIGINT PRIMARY KEY, j ", JsonType(), ")")));
  // Written in the canonical form JSONB prints (sorted keys, ", " and ": "), so text compares exactly.
  const std::string doc = R"({"a": 1, "k": [1, 2], "s": "zoë \"q\""})";
  ASSERT_OK(c->Execute("INSERT INTO docs (id, j) VALUES (?, ?)", {1, Value::Json(doc)}).status());
  ASSERT_OK(c->Execute("INSERT INTO docs (id, j) VALUES (?, ?)", {2, Value::Json("[]")}).status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT j FROM docs WHERE id = ?", {1}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Json("j"), doc);
  // `->>` with a key label works on both backends.
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT j->>'s' AS s FROM docs WHERE id = ?", {1}));
  EXPECT_EQ(rs.front().Text("s"), "zoë \"q\"");
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT j FROM docs WHERE id = ?", {2}));
  EXPECT_EQ(rs.front().Json(0), "[]");
}

// ---------------------------------------------------------------------------------------------------
// Results and statements

TEST_P(ConnectionConformanceTest, RowsReadByIndexAndByName) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE users (id BIGINT PRIMARY KEY, username TEXT NOT NULL, score DOUBLE PRECISION)"));
  ASSERT_OK(c->Execute("INSERT INTO users (id, username, score) VALUES (?, ?, ?), (?, ?, ?)",
                       {1, "alice", 1.5, 2, "bob", 2.5})
                .status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT id, username AS name, score FROM users ORDER BY id"));
  EXPECT_THAT(rs.columns(), ElementsAre("id", "name", "score"));
  EXPECT_EQ(rs.ColumnIndex("name"), 1);
  EXPECT_EQ(rs.ColumnIndex("username"), std::nullopt);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs.row(1).Int64(0), 2);
  EXPECT_EQ(rs.row(1).Int64("id"), 2);
  EXPECT_EQ(rs.row(1).Text(1), "bob");
  EXPECT_EQ(rs.row(1).Text("name"), "bob");
  EXPECT_EQ(rs.row(0).Double("score"), 1.5);
  EXPECT_EQ(rs.at(0, 1), Value("alice"));
  std::vector<std::string> names;
  for (Row r : rs) names.push_back(r.Text("name"));
  EXPECT_THAT(names, ElementsAre("alice", "bob"));
  // A query matching nothing keeps its columns.
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id, username FROM users WHERE id = ?", {99}));
  EXPECT_TRUE(rs.empty());
  EXPECT_EQ(rs.column_count(), 2);
  // RETURNING.
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("INSERT INTO users (id, username) VALUES (?, ?) RETURNING id, username",
                                      {3, "carol"}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64("id"), 3);
  EXPECT_EQ(rs.front().Text("username"), "carol");
  EXPECT_EQ(rs.rows_affected(), 1);
}

TEST_P(ConnectionConformanceTest, RowsAffectedCountsChangedRows) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT)"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("INSERT INTO t (id, v) VALUES (1, 10), (2, 20), (3, 30)"));
  EXPECT_EQ(rs.rows_affected(), 3);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("UPDATE t SET v = v + 1 WHERE v >= ?", {20}));
  EXPECT_EQ(rs.rows_affected(), 2);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("UPDATE t SET v = 0 WHERE id = ?", {99}));
  EXPECT_EQ(rs.rows_affected(), 0);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT id FROM t"));
  EXPECT_EQ(rs.rows_affected(), 0);
  EXPECT_EQ(rs.size(), 3u);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("DELETE FROM t WHERE id <> ?", {2}));
  EXPECT_EQ(rs.rows_affected(), 2);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("INSERT INTO t (id, v) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", {2, 5}));
  EXPECT_EQ(rs.rows_affected(), 0);
}

TEST_P(ConnectionConformanceTest, PreparedStatementIsCachedAndReusable) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)"));
  const std::string sql = "INSERT INTO t (id, name) VALUES (?, ?)";
  ASSERT_OK_AND_ASSIGN(Statement * a, c->Prepare(sql));
  ASSERT_OK_AND_ASSIGN(Statement * b, c->Prepare(sql));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->ParameterCount(), 2);
  EXPECT_EQ(a->sql(), sql);
  const int64_t before = c->statements_executed();
  for (int i = 0; i < 20; ++i) ASSERT_OK(a->Execute({i, absl::StrCat("n", i)}).status());
  EXPECT_GE(c->statements_executed(), before + 20);
  // The statement still works after a failure and after other statements ran in between.
  EXPECT_THAT(a->Execute({0, "dup"}), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(Statement * q, c->Prepare("SELECT name FROM t WHERE id = ?"));
  EXPECT_NE(q, a);
  ASSERT_OK(a->Execute({20, "n20"}).status());
  for (int i : {0, 7, 20}) {
    ASSERT_OK_AND_ASSIGN(ResultSet rs, q->Execute({i}));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs.front().Text(0), absl::StrCat("n", i));
  }
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 21);
}

TEST_P(ConnectionConformanceTest, WrongParameterCountIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (a BIGINT, b BIGINT)"));
  EXPECT_THAT(c->Execute("INSERT INTO t (a, b) VALUES (?, ?)", {1}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(c->Execute("INSERT INTO t (a, b) VALUES (?, ?)", {1, 2, 3}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(c->Execute("SELECT a FROM t", {1}), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Statement * st, c->Prepare("SELECT a FROM t WHERE a = ?"));
  EXPECT_THAT(st->Execute({}), StatusIs(absl::StatusCode::kInvalidArgument));
  // Nothing was written, and the statement still runs with the right count.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  EXPECT_OK(st->Execute({1}).status());
}

// ---------------------------------------------------------------------------------------------------
// Errors

TEST_P(ConnectionConformanceTest, ConstraintViolationsMapToCodesWithSqlState) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(
      "CREATE TABLE parents (id BIGINT PRIMARY KEY, email TEXT UNIQUE);"
      "CREATE TABLE children (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parents (id),"
      " age BIGINT CHECK (age >= 0));"));
  ASSERT_OK(c->Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "a@x.io"}).status());

  auto unique = c->Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {2, "a@x.io"});
  EXPECT_THAT(unique, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(StatusSqlState(unique.status()), Not(IsEmpty()));
  auto pk = c->Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "b@x.io"});
  EXPECT_THAT(pk, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(StatusSqlState(pk.status()), Not(IsEmpty()));
  auto fk = c->Execute("INSERT INTO children (id, parent_id, age) VALUES (?, ?, ?)", {1, 42, 3});
  EXPECT_THAT(fk, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(StatusSqlState(fk.status()), Not(IsEmpty()));
  auto check = c->Execute("INSERT INTO children (id, parent_id, age) VALUES (?, ?, ?)", {1, 1, -1});
  EXPECT_THAT(check, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StatusSqlState(check.status()), Not(IsEmpty()));
  auto not_null = c->Execute("INSERT INTO children (id, parent_id, age) VALUES (?, ?, ?)", {1, nullptr, 1});
  EXPECT_THAT(not_null, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StatusSqlState(not_null.status()), Not(IsEmpty()));
  // Deleting a referenced parent is also a foreign key violation.
  ASSERT_OK(c->Execute("INSERT INTO children (id, parent_id, age) VALUES (?, ?, ?)", {1, 1, 5}).status());
  auto restrict = c->Execute("DELETE FROM parents WHERE id = ?", {1});
  EXPECT_THAT(restrict, StatusIs(absl::StatusCode::kFailedPrecondition));
  // The failed statements wrote nothing.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM parents"));
  EXPECT_EQ(rs.front().Int64(0), 1);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT count(*) FROM children"));
  EXPECT_EQ(rs.front().Int64(0), 1);
  // A successful statement carries no SQL state.
  EXPECT_EQ(StatusSqlState(absl::OkStatus()), "");
}

TEST_P(ConnectionConformanceTest, SyntaxErrorFailsAndLeavesTheConnectionUsable) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  auto bad = c->Execute("SELEC 1");
  EXPECT_THAT(bad, Not(IsOk()));
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(StatusSqlState(bad.status()), Not(IsEmpty()));
  EXPECT_THAT(c->Execute("SELECT * FROM no_such_table"), Not(IsOk()));
  EXPECT_THAT(c->ExecuteScript("CREATE TABLE ok (a BIGINT); CREATE TABLE (;"), Not(IsOk()));
  EXPECT_FALSE(c->IsBroken());
  EXPECT_FALSE(c->InTransaction());
  EXPECT_OK(c->Ping());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT 1 AS one"));
  EXPECT_EQ(rs.front().Int64("one"), 1);
}

TEST_P(ConnectionConformanceTest, ExecuteScriptRunsEveryStatement) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript(R"sql(
    -- a migration-like script
    CREATE TABLE a (id BIGINT PRIMARY KEY);
    CREATE TABLE b (id BIGINT PRIMARY KEY, a_id BIGINT REFERENCES a (id));
    CREATE INDEX b_by_a ON b (a_id);
    INSERT INTO a (id) VALUES (1), (2);
    INSERT INTO b (id, a_id) VALUES (10, 1);
  )sql"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM a"));
  EXPECT_EQ(rs.front().Int64(0), 2);
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT a_id FROM b WHERE id = ?", {10}));
  EXPECT_EQ(rs.front().Int64(0), 1);
}

// ---------------------------------------------------------------------------------------------------
// Transactions

TEST_P(ConnectionConformanceTest, CommittedTransactionIsVisibleToOtherConnections) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*c));
  EXPECT_TRUE(tx.active());
  EXPECT_TRUE(c->InTransaction());
  ASSERT_OK(c->Execute("INSERT INTO t (id) VALUES (?), (?)", {1, 2}).status());
  // Uncommitted rows are visible inside the transaction only.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 2);
  EXPECT_EQ(CountFromOtherConnection("t"), 0);
  ASSERT_OK(tx.Commit());
  EXPECT_FALSE(tx.active());
  EXPECT_FALSE(c->InTransaction());
  EXPECT_EQ(CountFromOtherConnection("t"), 2);
  EXPECT_THAT(tx.Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tx.Rollback(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(ConnectionConformanceTest, TransactionRollsBackOnEarlyReturn) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  auto work = [&]() -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*c));
    DAIRA_RETURN_IF_ERROR(c->Execute("INSERT INTO t (id) VALUES (?)", {1}).status());
    DAIRA_RETURN_IF_ERROR(c->Execute("INSERT INTO t (id) VALUES (?)", {1}).status());  // fails: duplicate
    return tx.Commit();
  };
  EXPECT_THAT(work(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_FALSE(c->InTransaction());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  EXPECT_EQ(CountFromOtherConnection("t"), 0);
  // The connection takes a new transaction afterwards.
  ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*c));
  ASSERT_OK(c->Execute("INSERT INTO t (id) VALUES (?)", {1}).status());
  ASSERT_OK(tx.Commit());
  EXPECT_EQ(CountFromOtherConnection("t"), 1);
}

TEST_P(ConnectionConformanceTest, TransactionRollsBackWhenAnExceptionLeavesItsScope) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  bool caught = false;
  try {
    auto tx = Transaction::Begin(*c);
    ASSERT_OK(tx.status());
    ASSERT_OK(c->Execute("INSERT INTO t (id) VALUES (?)", {1}).status());
    throw std::runtime_error("boom");
  } catch (const std::runtime_error& e) {
    caught = true;
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_TRUE(caught);
  EXPECT_FALSE(c->InTransaction());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 0);
}

TEST_P(ConnectionConformanceTest, ExplicitRollbackAndNestedBegin) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*c, IsolationLevel::kSerializable));
    ASSERT_OK(c->Execute("INSERT INTO t (id) VALUES (?)", {1}).status());
    // One transaction per connection.
    EXPECT_THAT(Transaction::Begin(*c), StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_TRUE(c->InTransaction());
    ASSERT_OK(tx.Rollback());
    EXPECT_FALSE(tx.active());
  }
  EXPECT_FALSE(c->InTransaction());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  // Raw Begin/Commit on the connection.
  ASSERT_OK(c->Begin(IsolationLevel::kDefault, /*immediate=*/true));
  EXPECT_TRUE(c->InTransaction());
  ASSERT_OK(c->Execute("INSERT INTO t (id) VALUES (?)", {2}).status());
  ASSERT_OK(c->Commit());
  EXPECT_FALSE(c->InTransaction());
  EXPECT_EQ(CountFromOtherConnection("t"), 1);
}

// ---------------------------------------------------------------------------------------------------
// Batches

TEST_P(ConnectionConformanceTest, BatchReturnsResultsInOrder) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)"));
  std::vector<BatchStatement> batch = {
      {"INSERT INTO t (id, name) VALUES (?, ?)", {1, "a"}},
      {"INSERT INTO t (id, name) VALUES (?, ?) RETURNING id", {2, "b"}},
      {"UPDATE t SET name = ? WHERE id >= ?", {"z", 1}},
      {"SELECT id, name FROM t ORDER BY id", {}},
      {"SELECT count(*) AS n FROM t WHERE name = ?", {"z"}},
  };
  ASSERT_OK_AND_ASSIGN(std::vector<ResultSet> results, c->ExecuteBatch(batch));
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_EQ(results[0].rows_affected(), 1);
  EXPECT_TRUE(results[0].empty());
  ASSERT_EQ(results[1].size(), 1u);
  EXPECT_EQ(results[1].front().Int64("id"), 2);
  EXPECT_EQ(results[2].rows_affected(), 2);
  ASSERT_EQ(results[3].size(), 2u);
  EXPECT_EQ(results[3].row(0).Int64("id"), 1);
  EXPECT_EQ(results[3].row(1).Text("name"), "z");
  EXPECT_EQ(results[4].front().Int64("n"), 2);
  // An empty batch is fine.
  ASSERT_OK_AND_ASSIGN(results, c->ExecuteBatch({}));
  EXPECT_TRUE(results.empty());
}

TEST_P(ConnectionConformanceTest, BatchStopsAtFirstFailure) {
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db().Acquire(ctx_));
  ASSERT_OK(c->ExecuteScript("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
  std::vector<BatchStatement> batch = {
      {"INSERT INTO t (id) VALUES (?)", {1}},
      {"INSERT INTO t (id) VALUES (?)", {1}},  // duplicate
      {"INSERT INTO t (id) VALUES (?)", {3}},
  };
  EXPECT_THAT(c->ExecuteBatch(batch), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_FALSE(c->InTransaction());
  // Statements before the failure have run; statements after it have not.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, c->Execute("SELECT id FROM t ORDER BY id"));
  std::vector<int64_t> ids;
  for (Row r : rs) ids.push_back(r.Int64(0));
  EXPECT_THAT(ids, ElementsAre(1));

  // Inside a transaction the batch is all-or-nothing.
  {
    ASSERT_OK_AND_ASSIGN(Transaction tx, Transaction::Begin(*c));
    std::vector<BatchStatement> second = {
        {"INSERT INTO t (id) VALUES (?)", {10}},
        {"INSERT INTO t (id) VALUES (?)", {1}},  // duplicate
    };
    EXPECT_THAT(c->ExecuteBatch(second), StatusIs(absl::StatusCode::kAlreadyExists));
  }
  EXPECT_FALSE(c->InTransaction());
  ASSERT_OK_AND_ASSIGN(rs, c->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 1);
  // Wrong parameter counts fail the batch the same way.
  std::vector<BatchStatement> bad = {{"INSERT INTO t (id) VALUES (?)", {}}};
  EXPECT_THAT(c->ExecuteBatch(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(c->Ping());
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ConnectionConformanceTest);

}  // namespace
}  // namespace daira::store
