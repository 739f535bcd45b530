#include "daira/core/json.h"
#include "core/json_internal.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "../support/status_matchers.h"
#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using namespace std::string_literals;

// Serialize(Parse(x)) is a fixed point after one round.
void ExpectStable(const std::string& text) {
  auto v = ParseJson(text);
  ASSERT_TRUE(v.ok()) << text << ": " << v.status();
  std::string once = v->Serialize();
  auto v2 = ParseJson(once);
  ASSERT_TRUE(v2.ok()) << once << ": " << v2.status();
  EXPECT_EQ(v2->Serialize(), once) << "from " << text;
}

TEST(JsonTest, WriterExampleFromHeader) {
  JsonWriter w;
  w.BeginObject().Key("name").String("Zoë \"z\"").Key("n").Int(3).EndObject();
  std::string text = w.Take();
  EXPECT_EQ(text, R"({"name":"Zoë \"z\"","n":3})");
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(text));
  ASSERT_NE(v.Get("name"), nullptr);
  EXPECT_EQ(v.Get("name")->AsString(), "Zoë \"z\"");
  EXPECT_EQ(v.Get("n")->AsInt(), 3);
  EXPECT_EQ(v.Get("missing"), nullptr);
}

TEST(JsonTest, WriterNestedContainersAndSeparators) {
  JsonWriter w;
  w.BeginObject()
      .Key("a")
      .BeginArray()
      .Int(1)
      .BeginObject()
      .EndObject()
      .BeginArray()
      .EndArray()
      .Null()
      .Bool(true)
      .Bool(false)
      .EndArray()
      .Key("b")
      .BeginObject()
      .Key("c")
      .Double(0.5)
      .Key("raw")
      .Raw(R"({"x":[1,2]})")
      .EndObject()
      .Key("d")
      .String("")
      .EndObject();
  EXPECT_EQ(w.str(), R"({"a":[1,{},[],null,true,false],"b":{"c":0.5,"raw":{"x":[1,2]}},"d":""})");
  ExpectStable(w.str());
  JsonWriter top;
  top.BeginArray().String("x").Int(-5).EndArray();
  EXPECT_EQ(top.Take(), R"(["x",-5])");
  JsonWriter scalar;
  scalar.Int(42);
  EXPECT_EQ(scalar.str(), "42");
}

TEST(JsonTest, StringEscapes) {
  std::string out;
  AppendJsonString(out, "q\" b\\ s/ \b\f\n\r\t \x01\x1f\x7f nul:\0."s);
  EXPECT_EQ(out, R"("q\" b\\ s/ \b\f\n\r\t \u0001\u001f)" "\x7f" R"( nul:\u0000.")");
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(out));
  EXPECT_EQ(v.AsString(), "q\" b\\ s/ \b\f\n\r\t \x01\x1f\x7f nul:\0."s);
  std::string appended = "prefix:";
  AppendJsonString(appended, "x");
  EXPECT_EQ(appended, "prefix:\"x\"");
}

TEST(JsonTest, UnicodeIsKeptAsUtf8) {
  const std::string text = "emoji 😀🎉, CJK 中文字, arabic مرحبا, zoë";
  std::string out;
  AppendJsonString(out, text);
  EXPECT_EQ(out, "\"" + text + "\"");  // UTF-8 bytes pass through unescaped
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(out));
  EXPECT_EQ(v.AsString(), text);
}

TEST(JsonTest, UnicodeEscapesDecode) {
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"(["\u00e9", "\u4e2d\u6587", "\ud83d\ude00", "\u0041\u0000B", "\/"])"));
  const auto& a = v.AsArray();
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].AsString(), "é");
  EXPECT_EQ(a[1].AsString(), "中文");
  EXPECT_EQ(a[2].AsString(), "😀");  // surrogate pair → one 4-byte UTF-8 sequence
  EXPECT_EQ(a[3].AsString(), std::string("A\0B", 3));
  EXPECT_EQ(a[4].AsString(), "/");
  EXPECT_EQ(v.Serialize(), "[\"é\",\"中文\",\"😀\",\"A\\u0000B\",\"/\"]");
}

TEST(JsonTest, ScalarsAndTypes) {
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"({"n":null,"t":true,"f":false,"i":-12,"d":1.5,"s":"x","a":[],"o":{}})"));
  EXPECT_EQ(v.type(), JsonValue::Type::kObject);
  EXPECT_TRUE(v.Get("n")->is_null());
  EXPECT_EQ(v.Get("t")->type(), JsonValue::Type::kBool);
  EXPECT_TRUE(v.Get("t")->AsBool());
  EXPECT_FALSE(v.Get("f")->AsBool());
  EXPECT_EQ(v.Get("i")->type(), JsonValue::Type::kInt);
  EXPECT_EQ(v.Get("i")->AsInt(), -12);
  EXPECT_EQ(v.Get("i")->AsDouble(), -12.0);
  EXPECT_EQ(v.Get("d")->type(), JsonValue::Type::kDouble);
  EXPECT_EQ(v.Get("d")->AsDouble(), 1.5);
  EXPECT_EQ(v.Get("d")->AsInt(), 1);
  EXPECT_EQ(v.Get("s")->type(), JsonValue::Type::kString);
  EXPECT_EQ(v.Get("a")->type(), JsonValue::Type::kArray);
  EXPECT_EQ(v.Get("o")->type(), JsonValue::Type::kObject);
  // Wrong-type accessors return neutral values.
  EXPECT_EQ(v.Get("s")->AsInt(), 0);
  EXPECT_EQ(v.Get("s")->AsDouble(), 0.0);
  EXPECT_FALSE(v.Get("s")->AsBool());
  EXPECT_EQ(v.Get("i")->AsString(), "");
  EXPECT_TRUE(v.Get("i")->AsArray().empty());
  EXPECT_TRUE(v.Get("i")->AsObject().empty());
  EXPECT_EQ(v.Get("i")->Get("x"), nullptr);
  EXPECT_TRUE(JsonValue().is_null());
  EXPECT_EQ(JsonValue().Serialize(), "null");
}

TEST(JsonTest, ObjectKeyOrderAndDuplicates) {
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"({"z":1,"a":2,"m":3,"a":4})"));
  const auto& o = v.AsObject();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[0].first, "z");
  EXPECT_EQ(o[1].first, "a");
  EXPECT_EQ(o[2].first, "m");
  EXPECT_EQ(v.Get("a")->AsInt(), 4);  // last duplicate wins, as in JSON.parse
  EXPECT_EQ(v.Serialize(), R"({"z":1,"a":2,"m":3,"a":4})");
}

TEST(JsonTest, BigIntegers) {
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson("[9223372036854775807,-9223372036854775808,18446744073709551615,0,-0]"));
  const auto& a = v.AsArray();
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].type(), JsonValue::Type::kInt);
  EXPECT_EQ(a[0].AsInt(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(a[1].AsInt(), std::numeric_limits<int64_t>::min());
  // Beyond int64: the nearest double.
  EXPECT_EQ(a[2].type(), JsonValue::Type::kDouble);
  EXPECT_EQ(a[2].AsDouble(), 18446744073709551615.0);
  EXPECT_EQ(a[2].AsInt(), std::numeric_limits<int64_t>::max());  // saturates
  EXPECT_EQ(a[3].AsInt(), 0);
  // Integers beyond 64 bits are rejected by simdjson rather than silently rounded.
  EXPECT_THAT(ParseJson("123456789012345678901234567890"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("number")));
  EXPECT_EQ(v.Serialize().substr(0, 41), "[9223372036854775807,-9223372036854775808");
  ExpectStable(v.Serialize());
  // Ids are int64 and must survive a round trip exactly.
  const int64_t id = 7263544108062216193;
  JsonWriter w;
  w.BeginObject().Key("id").Int(id).EndObject();
  ASSERT_OK_AND_ASSIGN(JsonValue back, ParseJson(w.str()));
  EXPECT_EQ(back.Get("id")->AsInt(), id);
}

TEST(JsonTest, DoublesShortestRoundTrip) {
  struct Case {
    double d;
    const char* text;
  } cases[] = {{0.1, "0.1"}, {1.5, "1.5"}, {3.0, "3.0"}, {-0.0, "-0.0"}, {1e300, "1e+300"},
               {5e-324, "5e-324"}, {123456.789, "123456.789"}, {1.0 / 3.0, "0.3333333333333333"}};
  for (const auto& c : cases) {
    JsonWriter w;
    w.Double(c.d);
    EXPECT_EQ(w.str(), c.text);
    ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(w.str()));
    EXPECT_EQ(v.type(), JsonValue::Type::kDouble) << c.text;
    EXPECT_EQ(v.AsDouble(), c.d) << c.text;
    EXPECT_EQ(JsonValue::Double(c.d).Serialize(), c.text);
  }
  JsonWriter w;
  w.BeginArray()
      .Double(std::nan(""))
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(w.str(), "[null,null,null]");
}

TEST(JsonTest, BuiltTreesSerialize) {
  JsonValue tree = JsonValue::MakeObject({
      {"user", JsonValue::MakeObject({{"id", JsonValue::Int(42)}, {"name", JsonValue::String("李\n")}})},
      {"tags", JsonValue::MakeArray({JsonValue::String("a"), JsonValue(), JsonValue::Bool(true)})},
      {"score", JsonValue::Double(2.25)},
  });
  EXPECT_EQ(tree.Serialize(), R"({"user":{"id":42,"name":"李\n"},"tags":["a",null,true],"score":2.25})");
  ASSERT_OK_AND_ASSIGN(JsonValue back, ParseJson(tree.Serialize()));
  EXPECT_EQ(back.Serialize(), tree.Serialize());
  EXPECT_EQ(back.Get("user")->Get("name")->AsString(), "李\n");
  // Copies share nothing observable: a copy stays valid after the original is gone.
  JsonValue copy;
  {
    JsonValue original = back;
    copy = original;
  }
  EXPECT_EQ(copy.Get("tags")->AsArray().size(), 3u);
}

TEST(JsonTest, DeepNestingAndStability) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[{\"k\":";
  deep += "1";
  for (int i = 0; i < 200; ++i) deep += "}]";
  ExpectStable(deep);
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(deep));
  EXPECT_EQ(v.Serialize(), deep);
  for (const char* text : {"  {\"a\" : [ 1 , 2.50 , \"x\" ] , \"b\":{ }}  ", "1E2", "-1.25e-3", "\"\\u00e9\\ud83d\\ude00\"",
                           "true", "null", "[]", "{}"}) {
    ExpectStable(text);
  }
  ASSERT_OK_AND_ASSIGN(JsonValue spaced, ParseJson("  {\"a\" : [ 1 , 2.50 , \"x\" ] }  "));
  EXPECT_EQ(spaced.Serialize(), R"({"a":[1,2.5,"x"]})");
}

TEST(JsonTest, InvalidJsonIsInvalidArgument) {
  for (const char* text : {"", "{", "[1,2", "{\"a\"}", "{\"a\":}", "[1,]", "tru", "nul", "\"unterminated",
                           "{'a':1}", "[01]", "1 2", "\"bad \\x escape\"", "[NaN]", "\"\x01\""}) {
    auto v = ParseJson(text);
    EXPECT_THAT(v, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not valid JSON"))) << text;
    EXPECT_EQ(StatusField(v.status()), "json") << text;
  }
  // Numbers outside double's range are rejected rather than turned into infinity.
  EXPECT_THAT(ParseJson("[1e400]"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("number")));
  // Invalid UTF-8 is rejected too.
  EXPECT_THAT(ParseJson("\"\xff\xfe\""), StatusIs(absl::StatusCode::kInvalidArgument));
  // A lone surrogate has no UTF-8 form.
  EXPECT_THAT(ParseJson(R"("\ud800")"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ValidateJson's scalar fast path accepts only texts simdjson accepts too (a subset), and does
// accept the plain payloads it exists for; everything else is decided by simdjson.
TEST(JsonTest, PlainFastPathIsASubsetOfTheParser) {
  for (const char* text : {R"({"user":42,"kind":"view"})", "{}", "[]", " [1, -2, true, false, null] ",
                           R"({"a":{"b":[{"c":"d e"}]}})", "0", "-0", "\"x\"", "123456789012345678"}) {
    EXPECT_TRUE(internal::PlainJsonAccepts(text)) << text;
    EXPECT_TRUE(ParseJson(text).ok()) << text;
    EXPECT_TRUE(internal::ValidateJson(text).ok()) << text;
  }
  // Valid JSON outside the subset is left to simdjson (and still valid through ValidateJson).
  for (const char* text : {"1.5", "1e3", "1234567890123456789", R"("a\nb")", "\"\xc3\xa9\""}) {
    EXPECT_FALSE(internal::PlainJsonAccepts(text)) << text;
    EXPECT_TRUE(internal::ValidateJson(text).ok()) << text;
  }
  // Random texts over JSON's punctuation: whatever the fast path accepts, simdjson accepts.
  const std::string alphabet = "{}[]\",: 0123456789-+.eEtruefalsn\\x\t";
  uint64_t seed = 0x9e3779b97f4a7c15u;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int accepted = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string text;
    const int len = static_cast<int>(next() % 24);
    for (int i = 0; i < len; ++i) text += alphabet[next() % alphabet.size()];
    if (!internal::PlainJsonAccepts(text)) continue;
    ++accepted;
    EXPECT_TRUE(ParseJson(text).ok()) << text;
  }
  EXPECT_GT(accepted, 100);  // the random texts did reach the fast path
  // Invalid texts are refused with simdjson's message, as before.
  EXPECT_THAT(internal::ValidateJson("{\"a\":01}"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(internal::ValidateJson("[1,]"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// The fast path's containers: objects and arrays mixed and nested up to 32 deep (deeper is left to
// simdjson), each closed by its own bracket; separators and whitespace where JSON allows them only.
TEST(JsonTest, PlainFastPathNestsAndSeparatesLikeJson) {
  std::string deep;
  for (int i = 0; i < 32; ++i) deep += i % 2 == 0 ? "[" : "{\"k\":";
  deep += "1";
  for (int i = 31; i >= 0; --i) deep += i % 2 == 0 ? "]" : "}";
  EXPECT_TRUE(internal::PlainJsonAccepts(deep));
  const std::string deeper = "[" + deep + "]";
  EXPECT_FALSE(internal::PlainJsonAccepts(deeper));
  EXPECT_TRUE(internal::ValidateJson(deeper).ok());
  for (const char* text : {R"({"a":[1,{"b":[]}],"c":{}})", " { \"k\" :\t\"v\" ,\r\n\"n\":null} ", "[[],[[]],{}]",
                           R"([true,false,null,-12,0,"~ !"])"}) {
    EXPECT_TRUE(internal::PlainJsonAccepts(text)) << text;
    EXPECT_TRUE(ParseJson(text).ok()) << text;
  }
  for (const char* text : {R"({"a":1,})", R"({"a" 1})", "[1 2]", R"({"a":[1}])", "[1]]", "{}}", "[", "]", ",1",
                           R"({"a":})", R"({1:2})", R"(["a\tb"])", "[-]", "[01]", "[1.0]", "[1e2]", "[tru]",
                           "[nulll]", "\"\n\"", "1 2", ""}) {
    EXPECT_FALSE(internal::PlainJsonAccepts(text)) << text;
  }
}

TEST(JsonTest, ParsesConcurrently) {
  // The per-thread parser must not leak state between threads or calls.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 2000; ++i) {
        JsonWriter w;
        w.BeginObject().Key("t").Int(t).Key("i").Int(i).Key("s").String(std::string(i % 50, 'x')).EndObject();
        auto v = ParseJson(w.str());
        if (!v.ok() || v->Get("t")->AsInt() != t || v->Get("i")->AsInt() != i ||
            v->Get("s")->AsString().size() != static_cast<size_t>(i % 50)) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Issue 9: a large document does not leave the thread's parser holding its buffers.
TEST(JsonTest, ParserCapacityShrinksAfterALargeDocument) {
  ASSERT_OK(ParseJson(R"({"small":1})").status());
  const size_t small = internal::ThreadJsonParserCapacity();
  EXPECT_LE(small, internal::kJsonParserKeepCapacity);
  std::string big = "{\"k\":\"" + std::string(4 << 20, 'x') + "\"}";
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(big));
  EXPECT_EQ(v.Get("k")->AsString().size(), size_t{4} << 20);
  EXPECT_LE(internal::ThreadJsonParserCapacity(), internal::kJsonParserKeepCapacity);
  // Errors on a large document release it too.
  big.pop_back();
  EXPECT_FALSE(ParseJson(big).ok());
  EXPECT_LE(internal::ThreadJsonParserCapacity(), internal::kJsonParserKeepCapacity);
  // Small documents keep reusing the parser.
  ASSERT_OK(ParseJson(R"([1,2,3])").status());
  EXPECT_GT(internal::ThreadJsonParserCapacity(), 0u);
}

}  // namespace
}  // namespace daira
