#include "daira/store/dialect.h"

#include "gtest/gtest.h"

namespace daira::store {
namespace {

TEST(DialectTest, PostgresNumbersPlaceholdersOutsideQuotesAndComments) {
  const Dialect& pg = DialectFor(Backend::kPostgres);
  EXPECT_EQ(pg.RewritePlaceholders("SELECT a FROM t WHERE a = ? AND b = ?"),
            "SELECT a FROM t WHERE a = $1 AND b = $2");
  EXPECT_EQ(pg.RewritePlaceholders("SELECT '?', \"q?\", ? -- ?\n, /* ? */ ?"),
            "SELECT '?', \"q?\", $1 -- ?\n, /* ? */ $2");
  EXPECT_EQ(pg.RewritePlaceholders("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  EXPECT_EQ(pg.RewritePlaceholders("SELECT $$ ? $$, ?::bigint"), "SELECT $$ ? $$, $1::bigint");
  EXPECT_EQ(pg.RewritePlaceholders("SELECT $tag$ ? $tag$, ?"), "SELECT $tag$ ? $tag$, $1");
}

TEST(DialectTest, SqliteKeepsQuestionMarks) {
  const Dialect& lite = DialectFor(Backend::kSqlite);
  EXPECT_EQ(lite.RewritePlaceholders("SELECT ? , '?'"), "SELECT ? , '?'");
}

TEST(DialectTest, CountsPlaceholders) {
  EXPECT_EQ(Dialect::CountPlaceholders("INSERT INTO t VALUES (?, ?, '?')"), 2);
  EXPECT_EQ(Dialect::CountPlaceholders("SELECT 1"), 0);
  EXPECT_EQ(Dialect::CountPlaceholders("SELECT 'unterminated ?"), 0);
}

TEST(DialectTest, InArrayPerBackend) {
  EXPECT_EQ(DialectFor(Backend::kPostgres).InArray("id"), "id = ANY(?)");
  EXPECT_EQ(DialectFor(Backend::kSqlite).InArray("id"), "id IN (SELECT value FROM json_each(?))");
}

TEST(DialectTest, Upsert) {
  const Dialect& d = DialectFor(Backend::kSqlite);
  EXPECT_EQ(d.Upsert("hashtags", {"tag", "n"}, {"tag"}, {"n"}),
            "INSERT INTO hashtags (tag, n) VALUES (?, ?) ON CONFLICT (tag) DO UPDATE SET n = excluded.n");
  EXPECT_EQ(d.Upsert("h", {"tag"}, {"tag"}, {}), "INSERT INTO h (tag) VALUES (?) ON CONFLICT (tag) DO NOTHING");
}

}  // namespace
}  // namespace daira::store
