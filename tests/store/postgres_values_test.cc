// The PostgreSQL backend's text encodings and SQLSTATE mapping (no server needed).
#include <charconv>
#include <optional>
#include <random>
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

// The char-by-char parser the bulk one replaced, kept as the reference: both must agree on every
// input, malformed ones included.
bool ReferenceParse(std::string_view text, std::vector<std::optional<std::string>>* out) {
  out->clear();
  size_t i = 0;
  if (!text.empty() && text[0] == '[') {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) return false;
    i = eq + 1;
  }
  if (i >= text.size() || text[i] != '{') return false;
  int depth = 0;
  const size_t n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == '{') {
      ++depth;
      ++i;
      continue;
    }
    if (c == '}') {
      --depth;
      ++i;
      if (depth == 0) return i == n;
      continue;
    }
    if (c == ',' || c == ' ') {
      ++i;
      continue;
    }
    if (depth == 0) return false;
    if (c == '"') {
      std::string s;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = text[i++];
        if (d == '\\') {
          if (i >= n) return false;
          s.push_back(text[i++]);
        } else if (d == '"') {
          closed = true;
          break;
        } else {
          s.push_back(d);
        }
      }
      if (!closed) return false;
      out->push_back(std::move(s));
      continue;
    }
    std::string s;
    while (i < n && text[i] != ',' && text[i] != '}') {
      if (text[i] == '\\' && i + 1 < n) ++i;
      s.push_back(text[i++]);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s == "NULL") {
      out->push_back(std::nullopt);
    } else {
      out->push_back(std::move(s));
    }
  }
  return false;
}

TEST(PostgresValuesTest, BulkParsersAgreeWithTheReference) {
  const std::vector<std::string> inputs = {
      "{}", "{a}", R"({a,"b c","x\"y","back\\slash",NULL,"NULL",""})", "[0:1]={7,8}", "{{1,2},{3,4}}",
      "{a,b", R"({"unterminated})", "not an array", "{a}trailing", "{1,-2,NULL,9223372036854775807,x7,7x}",
      R"({ab\,c,d\}e,f\\g,h\})", "{trailing   ,  lead}", R"({"esc\"aped" ,plain})", R"({"a\)", R"({a\)",
      R"({"x"y,z})", "{NULL ,NULL}", R"({"\\\\","\"\""})", "[1:2]", "", "{", "}", "{,}", "{ }", "{{}}",
      R"({"ünï","tab	x",ü})", R"({"a"})", "{\"\"}", R"({\N,ULL})", "{a b c,d}", "{12 ,34}"};
  for (const std::string& in : inputs) {
    SCOPED_TRACE(in);
    std::vector<std::optional<std::string>> want, got;
    const bool ok = ReferenceParse(in, &want);
    ASSERT_EQ(PgParseArrayLiteral(in, &got), ok);
    if (!ok) continue;
    EXPECT_EQ(got, want);
    std::vector<std::string> texts;
    ASSERT_TRUE(PgParseTextArray(in, &texts));
    std::vector<int64_t> ints;
    ASSERT_TRUE(PgParseInt64Array(in, &ints));
    ASSERT_EQ(texts.size(), want.size());
    ASSERT_EQ(ints.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(texts[i], want[i].value_or(""));
      int64_t v = 0;
      if (want[i].has_value()) std::from_chars(want[i]->data(), want[i]->data() + want[i]->size(), v);
      EXPECT_EQ(ints[i], v);
    }
  }
  std::vector<int64_t> ints;
  EXPECT_FALSE(PgParseInt64Array("{1,2", &ints));
  std::vector<std::string> texts;
  EXPECT_FALSE(PgParseTextArray(R"({"open)", &texts));
}

// PgParseInt64 is std::from_chars's int64 (the fast paths change nothing), overflow and junk included.
TEST(PostgresValuesTest, ParseInt64IsFromChars) {
  std::vector<std::string> inputs = {"0", "-0", "7", "-7", "12abc", "+5", "-", "", "abc", "1.5", " 1",
                                     "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                     "-9223372036854775809", "18446744073709551615", "18446744073709551616",
                                     "99999999999999999999", "00000000000000000000123", "-00000000000000000000123",
                                     "1234567812345678", "12345678x", "123456789012345678", "1700000000123456",
                                     "0000000000000000000", "9999999999999999999", "-9999999999999999999"};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = static_cast<int64_t>(rng()) >> (rng() % 64);
    inputs.push_back(std::to_string(v));
    inputs.push_back(std::to_string(v) + "," + std::to_string(i));
  }
  for (const std::string& in : inputs) {
    int64_t want = 0;
    std::from_chars(in.data(), in.data() + in.size(), want);
    EXPECT_EQ(PgParseInt64(in.data(), in.data() + in.size()), want) << in;
  }
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
