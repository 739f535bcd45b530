// SQLite-only checks of the driver's connection setup (pragmas, read-only readers, statement cache,
// error mapping) that the backend-neutral conformance suite cannot see.
#include "backends/sqlite/sqlite_connection.h"

#include <unistd.h>

#include <filesystem>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/sqlite/sqlite_driver.h"
#include "daira/core/url.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "in_place_reads.h"
#include "status_matchers.h"

namespace daira::store {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SqliteConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    driver_ = backends::MakeSqliteDriver();
    auto dir = std::filesystem::temp_directory_path() / "daira-tests";
    std::filesystem::create_directories(dir);
    static int counter = 0;
    file_ = (dir / absl::StrCat("sqlite_conn_", getpid(), "_", ++counter, ".db")).string();
  }
  void TearDown() override {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file_ + suffix, ec);
  }

  absl::StatusOr<std::unique_ptr<Connection>> Open(bool read_only = false, DatabaseOptions options = {}) {
    auto url = ParseUrl("sqlite:" + file_);
    if (!url.ok()) return url.status();
    return driver_->Connect(*url, options, read_only);
  }

  static int64_t PragmaInt(Connection& c, const std::string& pragma) {
    auto rs = c.Execute("PRAGMA " + pragma);
    EXPECT_THAT(rs, IsOk());
    if (!rs.ok() || rs->empty()) return -1;
    return rs->front().Int64(0);
  }

  std::unique_ptr<internal::Driver> driver_;
  std::string file_;
};

// The writer's commits no longer run WAL checkpoints themselves (a background checkpointer does, past
// 1,000 WAL pages), yet the WAL stays bounded: under ~25,000 pages of back-to-back commits the writer
// checkpoints inline from 10,000 on (a commit that finds the background checkpoint running tries again
// at the next), so the WAL never holds them all.
TEST_F(SqliteConnectionTest, BackgroundCheckpointsKeepTheWalBounded) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> c, Open());
  ASSERT_THAT(c->ExecuteScript("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)"), IsOk());
  const int64_t page = PragmaInt(*c, "page_size");
  const std::string blob(static_cast<size_t>(page), 'x');  // about two pages per row
  int64_t largest = 0;
  for (int i = 0; i < 8000; ++i) {
    ASSERT_THAT(c->Execute("INSERT INTO t (b) VALUES (?)", {Value::Blob(blob)}).status(), IsOk());
    std::error_code ec;
    largest =
        std::max<int64_t>(largest, static_cast<int64_t>(std::filesystem::file_size(file_ + "-wal", ec)));
  }
  // Unchecked, the WAL would hold every page written (~25,000); checkpointed it is reused from its start.
  EXPECT_LT(largest / page, 16000) << "WAL pages at most: " << largest / page;
  ASSERT_OK_AND_ASSIGN(ResultSet rows, c->Execute("SELECT COUNT(*) FROM t"));
  EXPECT_EQ(rows.front().Int64(0), 8000);
}

// Results keep their cells in one flat copy per result (the SQLite ResultSource) and the typed
// accessors read them in place: every accessor must give exactly what it gives on the Values of the
// same cells, for every storage class, NULL, empty and large text, blobs with NUL bytes, JSON arrays.
TEST_F(SqliteConnectionTest, InPlaceReadsMatchTheValues) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> c, Open());
  ASSERT_THAT(
      c->ExecuteScript("CREATE TABLE w (id INTEGER PRIMARY KEY, i INTEGER, f REAL, t TEXT, b BLOB, a TEXT)"),
      IsOk());
  const std::string large(100000, 'z');
  const std::string insert = "INSERT INTO w VALUES (?, ?, ?, ?, ?, ?)";
  ASSERT_THAT(
      c->Execute(insert, {1, INT64_MIN, 0.1, "tëxt", Value::Blob(std::string("\0\x01\xff", 3)), "[1,2,3]"})
          .status(),
      IsOk());
  ASSERT_THAT(c->Execute(insert, {2, INT64_MAX, -2.5e300, "12", Value::Blob(""), R"(["a","b\"c","\u00e9"])"})
                  .status(),
              IsOk());
  ASSERT_THAT(c->Execute(insert, {3, 0, 7.0, "", Value::Blob("x"), "not an array"}).status(), IsOk());
  ASSERT_THAT(c->Execute(insert, {4, 5, std::numeric_limits<double>::quiet_NaN(), large, Value::Blob(large),
                                  R"([9223372036854775807])"})
                  .status(),
              IsOk());
  ASSERT_THAT(c->Execute("INSERT INTO w (id) VALUES (?)", {5}).status(), IsOk());
  ASSERT_OK_AND_ASSIGN(ResultSet rs,
                       c->Execute("SELECT *, i AS i2, CAST(i AS TEXT) AS i_text, 12.5 AS lit, 'x' || t AS xt "
                                  "FROM w ORDER BY id"));
  ASSERT_EQ(rs.size(), 5u);
  ASSERT_NO_FATAL_FAILURE(daira::testing::ExpectInPlaceReadsMatchTheValues(rs));
  // Spot checks of what the in-place reads decode, and of the Values (storage classes kept).
  EXPECT_EQ(rs.at(0, 1), Value(INT64_MIN));
  EXPECT_EQ(rs.at(0, 2), Value(0.1));
  EXPECT_EQ(rs.at(0, 3), Value("tëxt"));
  EXPECT_EQ(rs.at(0, 4), Value::Blob(std::string("\0\x01\xff", 3)));
  EXPECT_EQ(rs.at(1, 4), Value::Blob(""));
  EXPECT_TRUE(rs.at(4, 3).is_null());
  EXPECT_EQ(rs.row(0).Blob("b"), std::string("\0\x01\xff", 3));
  EXPECT_EQ(rs.row(3).Text("t"), large);
  EXPECT_EQ(rs.row(3).Blob("b"), large);
  EXPECT_EQ(rs.row(0).Int64Array("a"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(rs.row(1).TextArray("a"), (std::vector<std::string>{"a", "b\"c", "é"}));
  EXPECT_EQ(rs.row(3).Int64Array("a"), (std::vector<int64_t>{INT64_MAX}));
  EXPECT_TRUE(rs.row(2).Int64Array("a").empty());
  EXPECT_TRUE(rs.row(4).TextArray("a").empty());
  EXPECT_EQ(rs.row(1).Int64("t"), 12);
  EXPECT_EQ(rs.row(0).CheckedInt64("t").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(rs.row(0).Text("i_text"), absl::StrCat(INT64_MIN));
  EXPECT_EQ(rs.row(0).Double("lit"), 12.5);
  EXPECT_EQ(rs.row(2).Text("xt"), "x");
  // A copy shares the cells; appending to a result turns it into Values first; the statement's next
  // execution (its cells reused by SQLite) leaves earlier results untouched.
  ResultSet copy = rs;
  EXPECT_EQ(copy.source(), rs.source());
  ASSERT_OK_AND_ASSIGN(ResultSet again,
                       c->Execute("SELECT *, i AS i2, CAST(i AS TEXT) AS i_text, 12.5 AS lit, "
                                  "'x' || t AS xt FROM w WHERE id = ?",
                                  {2}));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again.front().Text("t"), "12");
  EXPECT_EQ(rs.row(0).Text("t"), "tëxt");
  copy.Reserve(6);
  EXPECT_EQ(copy.source(), nullptr);
  EXPECT_EQ(copy.size(), 5u);
  EXPECT_EQ(copy.row(3).Text("t"), large);
  EXPECT_EQ(rs.row(3).Text("t"), large);  // the original is untouched
  // Statements without rows build no source.
  ASSERT_OK_AND_ASSIGN(ResultSet none, c->Execute("SELECT * FROM w WHERE id = ?", {99}));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.source(), nullptr);
}

TEST_F(SqliteConnectionTest, WriterConfiguresWalForeignKeysBusyTimeoutAndSynchronous) {
  DatabaseOptions options;
  options.busy_timeout = std::chrono::milliseconds(1234);
  options.synchronous = "full";
  ASSERT_OK_AND_ASSIGN(auto conn, Open(false, options));
  EXPECT_EQ(conn->backend(), Backend::kSqlite);
  EXPECT_EQ(conn->dialect().name(), "sqlite");
  ASSERT_OK_AND_ASSIGN(ResultSet mode, conn->Execute("PRAGMA journal_mode"));
  EXPECT_EQ(mode.front().Text(0), "wal");
  EXPECT_EQ(PragmaInt(*conn, "foreign_keys"), 1);
  // daira's own busy handler (the busy_timeout schedule, cut at the statement's deadline) replaces
  // sqlite3_busy_timeout, so PRAGMA busy_timeout reads 0; the connection carries the setting.
  auto* sqlite_conn = dynamic_cast<backends::sqlite::SqliteConnection*>(conn.get());
  ASSERT_NE(sqlite_conn, nullptr);
  EXPECT_EQ(sqlite_conn->busy_timeout().count(), 1234);
  EXPECT_EQ(PragmaInt(*conn, "synchronous"), 2);  // FULL
}

TEST_F(SqliteConnectionTest, SynchronousIsValidated) {
  DatabaseOptions options;
  options.synchronous = "sometimes";
  EXPECT_THAT(Open(false, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "database url: synchronous must be one of off, normal, full, extra (got \"sometimes\")"));
  options.synchronous = "NORMAL";
  ASSERT_OK_AND_ASSIGN(auto conn, Open(false, options));
  EXPECT_EQ(PragmaInt(*conn, "synchronous"), 1);
}

TEST_F(SqliteConnectionTest, ReaderSeesWriterCommitsAndCannotWrite) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(false));
  ASSERT_OK(writer->ExecuteScript("CREATE TABLE t (a BIGINT); INSERT INTO t VALUES (1);"));
  ASSERT_OK_AND_ASSIGN(auto reader, Open(true));
  EXPECT_EQ(PragmaInt(*reader, "foreign_keys"), 1);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, reader->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 1);
  // WAL: a reader's open read transaction does not block the writer, and keeps its snapshot.
  ASSERT_OK(reader->Begin(IsolationLevel::kDefault, true));
  ASSERT_OK_AND_ASSIGN(rs, reader->Execute("SELECT count(*) FROM t"));
  ASSERT_OK(writer->Execute("INSERT INTO t VALUES (2)").status());
  ASSERT_OK_AND_ASSIGN(rs, reader->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 1);
  ASSERT_OK(reader->Commit());
  ASSERT_OK_AND_ASSIGN(rs, reader->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 2);
  EXPECT_THAT(reader->Execute("INSERT INTO t VALUES (3)"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SqliteConnectionTest, ReaderOpensAWalDatabaseAfterEveryWriterClosed) {
  {
    ASSERT_OK_AND_ASSIGN(auto writer, Open(false));
    ASSERT_OK(writer->ExecuteScript("CREATE TABLE t (a BIGINT); INSERT INTO t VALUES (7);"));
  }
  ASSERT_OK_AND_ASSIGN(auto reader, Open(true));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, reader->Execute("SELECT a FROM t"));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64(0), 7);
  ASSERT_OK_AND_ASSIGN(ResultSet mode, reader->Execute("PRAGMA journal_mode"));
  EXPECT_EQ(mode.front().Text(0), "wal");
}

TEST_F(SqliteConnectionTest, ScriptErrorsMapLikeStatementErrors) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  absl::Status st = conn->ExecuteScript("CREATE TABLE t (a BIGINT UNIQUE); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1);");
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("UNIQUE")));
  EXPECT_EQ(StatusSqlState(st), "sqlite:2067");  // SQLITE_CONSTRAINT_UNIQUE
  EXPECT_THAT(conn->ExecuteScript("CREATE TABLE (;"), StatusIs(absl::StatusCode::kInternal));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, conn->Execute("SELECT count(*) FROM t"));
  EXPECT_EQ(rs.front().Int64(0), 1);
}

TEST_F(SqliteConnectionTest, MissingDirectoryIsUnavailableNamingThePath) {
  auto url = ParseUrl("sqlite:/nonexistent-daira-dir/x/y.db");
  ASSERT_OK(url.status());
  EXPECT_THAT(driver_->Connect(*url, DatabaseOptions{}, false),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/nonexistent-daira-dir/x/y.db")));
  // A reader on a file that does not exist cannot create it.
  auto reader = Open(true);
  EXPECT_THAT(reader, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(file_)));
  EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(SqliteConnectionTest, NotADatabaseFails) {
  {
    FILE* f = std::fopen(file_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto conn = Open(false);
  EXPECT_THAT(conn, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(file_)));
  EXPECT_EQ(StatusSqlState(conn.status()), "sqlite:26");  // SQLITE_NOTADB
}

TEST_F(SqliteConnectionTest, InMemoryDatabaseWorks) {
  auto url = ParseUrl("sqlite::memory:");
  ASSERT_OK(url.status());
  ASSERT_OK_AND_ASSIGN(auto conn, driver_->Connect(*url, DatabaseOptions{}, false));
  ASSERT_OK(conn->Execute("CREATE TABLE t (a BIGINT)").status());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, conn->Execute("INSERT INTO t VALUES (1), (2)"));
  EXPECT_EQ(rs.rows_affected(), 2);
  ASSERT_OK_AND_ASSIGN(ResultSet mode, conn->Execute("PRAGMA journal_mode"));
  EXPECT_EQ(mode.front().Text(0), "memory");
}

TEST_F(SqliteConnectionTest, EmptyPathIsInvalidArgument) {
  Url url;
  url.scheme = "sqlite";
  EXPECT_THAT(driver_->Connect(url, DatabaseOptions{}, false), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SqliteConnectionTest, StatementCacheReturnsTheSameStatementForTheSameSql) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  ASSERT_OK(conn->Execute("CREATE TABLE t (a BIGINT, b TEXT)").status());
  ASSERT_OK_AND_ASSIGN(Statement * a, conn->Prepare("INSERT INTO t (a, b) VALUES (?, ?)"));
  ASSERT_OK_AND_ASSIGN(Statement * b, conn->Prepare("INSERT INTO t (a, b) VALUES (?, ?)"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->ParameterCount(), 2);
  EXPECT_EQ(a->sql(), "INSERT INTO t (a, b) VALUES (?, ?)");
  ASSERT_OK_AND_ASSIGN(Statement * other, conn->Prepare("SELECT a FROM t"));
  EXPECT_NE(a, other);
  const int64_t before = conn->statements_executed();
  for (int i = 0; i < 3; ++i) ASSERT_OK(a->Execute({i, "x"}).status());
  EXPECT_EQ(conn->statements_executed(), before + 3);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, other->Execute({}));
  EXPECT_EQ(rs.size(), 3u);
}

// A SqlText is found by its id and shares its statement with equal texts; past statement_cache_size
// the least recently used is evicted (finalized) and compiled again on its next use; a failed prepare
// caches nothing.
TEST_F(SqliteConnectionTest, StatementCacheFindsSqlTextsByIdentity) {
  const Value kOne[] = {Value(1)};
  DatabaseOptions options;
  options.statement_cache_size = 2;
  ASSERT_OK_AND_ASSIGN(auto conn, Open(false, options));
  auto& sqlite = static_cast<backends::sqlite::SqliteConnection&>(*conn);
  ASSERT_OK(conn->ExecuteScript("CREATE TABLE t (a BIGINT, b TEXT); INSERT INTO t VALUES (1, 'x');"));
  const SqlText a("SELECT b FROM t WHERE a = ?");
  const SqlText twin(std::string(a.view()));
  ASSERT_OK_AND_ASSIGN(Statement * first, conn->Prepare(a));
  ASSERT_OK_AND_ASSIGN(Statement * by_twin, conn->Prepare(twin));
  ASSERT_OK_AND_ASSIGN(Statement * by_text, conn->Prepare("SELECT b FROM t WHERE a = ?"));
  EXPECT_EQ(first, by_twin);
  EXPECT_EQ(first, by_text);
  ASSERT_OK_AND_ASSIGN(Statement * again, conn->Prepare(a));
  EXPECT_EQ(first, again);
  const SqlText b("SELECT b FROM t WHERE a = ? + 0"), c("SELECT b FROM t WHERE a = ? + 1 - 1");
  ASSERT_OK(conn->Execute(b, kOne).status());
  ASSERT_OK(conn->Execute(c, kOne).status());  // evicts a
  EXPECT_EQ(sqlite.cached_statements(), 2u);
  ASSERT_OK_AND_ASSIGN(ResultSet rs, conn->Execute(a, kOne));  // compiled again
  EXPECT_EQ(rs.front().Text(0), "x");
  EXPECT_EQ(sqlite.cached_statements(), 2u);
  const SqlText bad("SELECT nope FROM t");
  EXPECT_THAT(conn->Prepare(bad), StatusIs(absl::StatusCode::kInternal, HasSubstr("nope")));
  EXPECT_EQ(sqlite.cached_statements(), 2u);
  sqlite.TakeEvicted();
}

TEST_F(SqliteConnectionTest, CachedSelectStarFollowsSchemaChanges) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  ASSERT_OK(conn->ExecuteScript("CREATE TABLE t (a BIGINT); INSERT INTO t VALUES (1);"));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, conn->Execute("SELECT * FROM t"));
  EXPECT_EQ(rs.columns(), (std::vector<std::string>{"a"}));
  ASSERT_OK(conn->ExecuteScript("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'z';"));
  ASSERT_OK_AND_ASSIGN(rs, conn->Execute("SELECT * FROM t"));
  EXPECT_EQ(rs.columns(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rs.front().Text("b"), "z");
}

TEST_F(SqliteConnectionTest, MultipleStatementsInPrepareAreRefused) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  EXPECT_THAT(conn->Prepare("SELECT 1; SELECT 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than one statement")));
  // A trailing semicolon or comment is one statement.
  EXPECT_OK(conn->Prepare("SELECT 1; -- done").status());
  EXPECT_THAT(conn->Prepare("  -- nothing"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SqliteConnectionTest, ErrorsCarryExtendedCodeAndSql) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  ASSERT_OK(conn->ExecuteScript(
      "CREATE TABLE p (id BIGINT PRIMARY KEY);"
      "CREATE TABLE c (id BIGINT PRIMARY KEY, p BIGINT REFERENCES p(id), n TEXT NOT NULL, v BIGINT CHECK (v > 0));"));
  ASSERT_OK(conn->Execute("INSERT INTO p VALUES (1)").status());
  auto dup = conn->Execute("INSERT INTO p VALUES (?)", {1});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("INSERT INTO p VALUES (?)")));
  EXPECT_EQ(StatusSqlState(dup.status()), "sqlite:1555");  // SQLITE_CONSTRAINT_PRIMARYKEY
  auto fk = conn->Execute("INSERT INTO c (id, p, n, v) VALUES (1, 9, 'x', 1)");
  EXPECT_THAT(fk, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(StatusSqlState(fk.status()), "sqlite:787");  // SQLITE_CONSTRAINT_FOREIGNKEY
  auto check = conn->Execute("INSERT INTO c (id, p, n, v) VALUES (1, 1, 'x', 0)");
  EXPECT_EQ(StatusSqlState(check.status()), "sqlite:275");  // SQLITE_CONSTRAINT_CHECK
  auto notnull = conn->Execute("INSERT INTO c (id, p, n, v) VALUES (1, 1, NULL, 1)");
  EXPECT_EQ(StatusSqlState(notnull.status()), "sqlite:1299");  // SQLITE_CONSTRAINT_NOTNULL
  auto syntax = conn->Execute("SELEC 1");
  EXPECT_THAT(syntax, StatusIs(absl::StatusCode::kInternal, HasSubstr("syntax error")));
  EXPECT_EQ(StatusSqlState(syntax.status()), "sqlite:1");
  EXPECT_FALSE(conn->IsBroken());
  EXPECT_OK(conn->Ping());
}

TEST_F(SqliteConnectionTest, BusyWriterIsAborted) {
  DatabaseOptions options;
  options.busy_timeout = std::chrono::milliseconds(0);
  ASSERT_OK_AND_ASSIGN(auto first, Open(false, options));
  ASSERT_OK_AND_ASSIGN(auto second, Open(false, options));
  ASSERT_OK(first->Execute("CREATE TABLE t (a BIGINT)").status());
  ASSERT_OK(first->Begin(IsolationLevel::kDefault, /*immediate=*/true));
  EXPECT_TRUE(first->InTransaction());
  absl::Status busy = second->Begin(IsolationLevel::kDefault, /*immediate=*/true);
  EXPECT_THAT(busy, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(StatusSqlState(busy), StartsWith("sqlite:5"));  // SQLITE_BUSY
  EXPECT_FALSE(second->InTransaction());
  ASSERT_OK(first->Rollback());
  EXPECT_FALSE(first->InTransaction());
  EXPECT_OK(second->Begin(IsolationLevel::kDefault, true));
  EXPECT_THAT(second->Begin(IsolationLevel::kDefault, true), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(second->Commit());
  EXPECT_THAT(second->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SqliteConnectionTest, FailedStatementIsResetAndReusable) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  ASSERT_OK(conn->Execute("CREATE TABLE t (a BIGINT PRIMARY KEY)").status());
  ASSERT_OK_AND_ASSIGN(Statement * ins, conn->Prepare("INSERT INTO t (a) VALUES (?)"));
  ASSERT_OK(ins->Execute({1}).status());
  EXPECT_THAT(ins->Execute({1}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(ins->Execute({1, 2}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 2")));
  ASSERT_OK_AND_ASSIGN(ResultSet rs, ins->Execute({2}));
  EXPECT_EQ(rs.rows_affected(), 1);
  // DDL and queries report no affected rows, even right after DML.
  ASSERT_OK_AND_ASSIGN(rs, conn->Execute("CREATE TABLE u (a BIGINT)"));
  EXPECT_EQ(rs.rows_affected(), 0);
  ASSERT_OK_AND_ASSIGN(rs, conn->Execute("SELECT a FROM t"));
  EXPECT_EQ(rs.rows_affected(), 0);
  EXPECT_EQ(rs.size(), 2u);
}

TEST_F(SqliteConnectionTest, ArraysBindAsJsonText) {
  ASSERT_OK_AND_ASSIGN(auto conn, Open());
  ASSERT_OK_AND_ASSIGN(ResultSet rs, conn->Execute("SELECT ?, ?", {std::vector<int64_t>{1, -2},
                                                                    std::vector<std::string>{"a\"b", "c\\d\n", "é"}}));
  EXPECT_EQ(rs.front().Text(0), "[1,-2]");
  EXPECT_EQ(rs.front().Text(1), "[\"a\\\"b\",\"c\\\\d\\n\",\"é\"]");
  ASSERT_OK_AND_ASSIGN(rs, conn->Execute("SELECT value FROM json_each(?) ORDER BY key",
                                         {std::vector<std::string>{"a\"b", std::string("x\0y", 3)}}));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs.row(0).Text(0), "a\"b");
}

}  // namespace
}  // namespace daira::store
