// The fast JSON array reader SQLite's array columns go through: for every input it either gives up
// (nullopt) or returns exactly what the JSON parser returns, and it reads the common shapes itself.
#include "store/json_array.h"

#include <string>
#include <vector>

#include "daira/core/json.h"
#include "daira/store/result_set.h"
#include "gtest/gtest.h"

namespace daira::store::internal {
namespace {

std::vector<int64_t> ParsedInts(std::string_view text) {
  std::vector<int64_t> out;
  auto parsed = ParseJson(text);
  if (parsed.ok()) {
    for (const JsonValue& e : parsed->AsArray()) out.push_back(e.AsInt());
  }
  return out;
}

std::vector<std::string> ParsedTexts(std::string_view text) {
  std::vector<std::string> out;
  auto parsed = ParseJson(text);
  if (parsed.ok()) {
    for (const JsonValue& e : parsed->AsArray()) out.push_back(e.AsString());
  }
  return out;
}

TEST(JsonArrayTest, ReadsTheCommonShapesItself) {
  EXPECT_EQ(ReadSimpleInt64Array("[]"), std::vector<int64_t>{});
  EXPECT_EQ(ReadSimpleInt64Array("[1,2,3]"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(ReadSimpleInt64Array(" [ -9223372036854775808 , 0 ,9223372036854775807 ] "),
            (std::vector<int64_t>{INT64_MIN, 0, INT64_MAX}));
  EXPECT_EQ(ReadSimpleTextArray("[]"), std::vector<std::string>{});
  EXPECT_EQ(ReadSimpleTextArray(R"(["a", "b c",""])"), (std::vector<std::string>{"a", "b c", ""}));
}

TEST(JsonArrayTest, GivesUpOnEverythingElse) {
  for (const char* text : {"", "[", "]", "[1,]", "[,1]", "[1 2]", "[01]", "[+1]", "[1.5]", "[1e3]", "[-]",
                           "[9223372036854775808]", "[[1]]", "{}", "[1]x", "null", "[\"a\"]"}) {
    EXPECT_EQ(ReadSimpleInt64Array(text), std::nullopt) << text;
  }
  for (const char* text : {"", "[", "[\"a\"", "[\"a\",]", "[\"a\\\"b\"]", "[\"zoë\"]", "[\"a\nb\"]", "[1]",
                           "[\"a\" \"b\"]", "[null]", "[\"a\"]x"}) {
    EXPECT_EQ(ReadSimpleTextArray(text), std::nullopt) << text;
  }
}

// Whatever it returns equals the parser's answer; where it gives up, Row's accessors still answer
// as the parser does (escapes, UTF-8, malformed text reads as empty).
TEST(JsonArrayTest, AgreesWithTheJsonParser) {
  const std::vector<std::string> ints = {"[]", "[1,2,3]", " [ 4 , -5 ] ", "[0]", "[-0]", "[1.5]", "[1,]", "x"};
  for (const std::string& t : ints) {
    if (auto fast = ReadSimpleInt64Array(t)) {
      EXPECT_EQ(*fast, ParsedInts(t)) << t;
    }
    ResultSet rs({"a"});
    rs.AppendValue(t);
    EXPECT_EQ(rs.front().Int64Array(0), ParsedInts(t)) << t;
  }
  const std::vector<std::string> texts = {"[]", R"(["a","b"])", R"([ "x" ])", R"(["a\"q"])", R"(["zoë"])",
                                          R"(["\u00e9"])", R"(["a",])", R"([1])", "nope"};
  for (const std::string& t : texts) {
    if (auto fast = ReadSimpleTextArray(t)) {
      EXPECT_EQ(*fast, ParsedTexts(t)) << t;
    }
    ResultSet rs({"a"});
    rs.AppendValue(t);
    EXPECT_EQ(rs.front().TextArray(0), ParsedTexts(t)) << t;
  }
}

}  // namespace
}  // namespace daira::store::internal
