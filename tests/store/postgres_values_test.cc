// The PostgreSQL backend's text encodings and SQLSTATE mapping (no server needed).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "backends/postgres/postgres_status.h"
#include "backends/postgres/postgres_values.h"
#include "daira/core/status.h"
#include "daira/store/connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira::backends {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(PostgresValuesTest, Int64ArrayLiteral) {
  EXPECT_EQ(PgInt64ArrayLiteral({}), "{}");
  EXPECT_EQ(PgInt64ArrayLiteral({1, -2, INT64_MAX, INT64_MIN}),
            "{1,-2,9223372036854775807,-9223372036854775808}");
}

TEST(PostgresValuesTest, TextArrayLiteralQuotesEveryElement) {
  EXPECT_EQ(PgTextArrayLiteral({}), "{}");
  EXPECT_EQ(PgTextArrayLiteral({"a", "", "NULL", "x,y", "{b}", "q\"q", "b\\s"}),
            R"({"a","","NULL","x,y","{b}","q\"q","b\\s"})");
}

TEST(PostgresValuesTest, ParseArrayLiteralHandlesQuotesEscapesAndNull) {
  std::vector<std::optional<std::string>> out;
  ASSERT_TRUE(PgParseArrayLiteral(R"({a,"b c","x\"y","back\\slash",NULL,"NULL",""})", &out));
  EXPECT_THAT(out, ElementsAre("a", "b c", "x\"y", "back\\slash", std::nullopt, "NULL", ""));
  ASSERT_TRUE(PgParseArrayLiteral("{}", &out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(PgParseArrayLiteral("[0:1]={7,8}", &out));
  EXPECT_THAT(out, ElementsAre("7", "8"));
  ASSERT_TRUE(PgParseArrayLiteral("{{1,2},{3,4}}", &out));
  EXPECT_THAT(out, ElementsAre("1", "2", "3", "4"));
  EXPECT_FALSE(PgParseArrayLiteral("{a,b", &out));
  EXPECT_FALSE(PgParseArrayLiteral(R"({"unterminated})", &out));
  EXPECT_FALSE(PgParseArrayLiteral("not an array", &out));
  EXPECT_FALSE(PgParseArrayLiteral("{a}trailing", &out));
}

TEST(PostgresValuesTest, RoundTripThroughLiteral) {
  std::vector<std::string> in = {"", "NULL", "null", " spaced ", "a,b", "{}", "\"", "\\", "\\\"", "ünï", "\t\n"};
  std::vector<std::optional<std::string>> out;
  ASSERT_TRUE(PgParseArrayLiteral(PgTextArrayLiteral(in), &out));
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], in[i]) << i;
}

TEST(PostgresValuesTest, DecodeHexBytea) {
  std::string out;
  ASSERT_TRUE(PgDecodeHexBytea("\\x00ff7fA0", &out));
  EXPECT_EQ(out, std::string("\x00\xff\x7f\xa0", 4));
  ASSERT_TRUE(PgDecodeHexBytea("\\x", &out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(PgDecodeHexBytea("abc", &out));
  EXPECT_FALSE(PgDecodeHexBytea("\\x0", &out));
  EXPECT_FALSE(PgDecodeHexBytea("\\xzz", &out));
}

TEST(PostgresValuesTest, DoubleText) {
  EXPECT_EQ(PgDoubleText(0.1), "0.1");
  EXPECT_EQ(PgDoubleText(-2.5e300), "-2.5e+300");
  EXPECT_EQ(PgDoubleText(1.0 / 0.0), "Infinity");
  EXPECT_EQ(PgDoubleText(-1.0 / 0.0), "-Infinity");
  EXPECT_EQ(PgDoubleText(0.0 / 0.0), "NaN");
}

TEST(PostgresStatusTest, SqlStateMapping) {
  using absl::StatusCode;
  EXPECT_EQ(PgCodeForSqlState("23505"), StatusCode::kAlreadyExists);
  EXPECT_EQ(PgCodeForSqlState("23503"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(PgCodeForSqlState("23514"), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgCodeForSqlState("23502"), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgCodeForSqlState("22012"), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgCodeForSqlState("22P02"), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgCodeForSqlState("40001"), StatusCode::kAborted);
  EXPECT_EQ(PgCodeForSqlState("40P01"), StatusCode::kAborted);
  EXPECT_EQ(PgCodeForSqlState("57014"), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(PgCodeForSqlState("08006"), StatusCode::kUnavailable);
  EXPECT_EQ(PgCodeForSqlState("57P01"), StatusCode::kUnavailable);
  EXPECT_EQ(PgCodeForSqlState("42601"), StatusCode::kInternal);
  EXPECT_EQ(PgCodeForSqlState("42P01"), StatusCode::kInternal);
  EXPECT_EQ(PgCodeForSqlState("XX000"), StatusCode::kInternal);
  EXPECT_EQ(PgCodeForSqlState(""), StatusCode::kInternal);
}

TEST(PostgresStatusTest, ErrorCarriesMessageSqlStateAndTruncatedSql) {
  std::string sql = "INSERT INTO t (a) VALUES (?) " + std::string(500, 'x');
  absl::Status s = PgError("23505", "duplicate key value violates unique constraint \"t_pkey\"\n", sql);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  std::string msg(s.message());
  EXPECT_THAT(msg, HasSubstr("duplicate key value violates unique constraint \"t_pkey\" (SQLSTATE 23505) in: INSERT"));
  EXPECT_LT(msg.size(), 350u);
  EXPECT_EQ(store::StatusSqlState(s), "23505");
  absl::Status forced = PgError("", "server closed the connection", "", absl::StatusCode::kUnavailable);
  EXPECT_EQ(forced.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(forced.message()), Not(HasSubstr("SQLSTATE")));
  EXPECT_EQ(store::StatusSqlState(forced), "");
}

}  // namespace
}  // namespace daira::backends
