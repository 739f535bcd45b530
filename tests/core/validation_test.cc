#include "daira/core/validation.h"

#include <string>
#include <vector>

#include "../support/status_matchers.h"
#include "absl/strings/cord.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

// The single violation `v` holds; fails the test when there is not exactly one.
Violation Only(const Violations& v) {
  EXPECT_EQ(v.size(), 1u);
  return v.empty() ? Violation{} : v.list().front();
}

TEST(ValidationTest, EmptyCollectorIsOk) {
  Violations v;
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(v.ToStatus("register").ok());
  EXPECT_THAT(StatusViolations(v.ToStatus("register")), IsEmpty());
}

TEST(ValidationTest, RequireAndAdd) {
  Violations v;
  EXPECT_TRUE(v.Require("a", true, "never"));
  EXPECT_FALSE(v.Require("b", false, "must be set"));
  v.Add("c", "is wrong");
  EXPECT_THAT(v.list(), ElementsAre(Violation{"b", "must be set"}, Violation{"c", "is wrong"}));
}

TEST(ValidationTest, LengthCountsCharacters) {
  Violations v;
  EXPECT_TRUE(v.Length("name", Repeat("\xF0\x9F\x98\x80", 50), 1, 50));  // 50 emoji = 200 bytes
  EXPECT_FALSE(v.Length("name", Repeat("\xF0\x9F\x98\x80", 51), 1, 50));
  EXPECT_EQ(Only(v), (Violation{"name", "must be 1 to 50 characters (got 51)"}));
}

TEST(ValidationTest, LengthMessages) {
  Violations v;
  v.Length("a", "", 1, 10);
  v.Length("b", "xyz", 0, 2);
  v.Length("c", "ab", 3, 30);
  v.Length("d", "ab", 3, 3);
  EXPECT_THAT(v.list(), ElementsAre(Violation{"a", "must not be empty"},
                                    Violation{"b", "must be at most 2 characters (got 3)"},
                                    Violation{"c", "must be 3 to 30 characters (got 2)"},
                                    Violation{"d", "must be exactly 3 characters (got 2)"}));
}

TEST(ValidationTest, InvalidUtf8IsRejectedBeforeLength) {
  Violations v;
  EXPECT_FALSE(v.Length("bio", "ok\xC0\x80", 0, 300));
  EXPECT_EQ(Only(v), (Violation{"bio", "must be valid UTF-8 (bad byte at offset 2)"}));
  Violations w;
  EXPECT_FALSE(w.Utf8("x", "\xED\xA0\x80"));
  EXPECT_EQ(Only(w).field, "x");
}

TEST(ValidationTest, ControlCharacters) {
  Violations v;
  EXPECT_TRUE(v.NoControlCharacters("bio", "two\nlines", /*allow_line_breaks=*/true));
  EXPECT_FALSE(v.NoControlCharacters("name", "two\nlines", /*allow_line_breaks=*/false));
  EXPECT_FALSE(v.Text("title", "ding\x07", 1, 10, /*multiline=*/true));
  EXPECT_THAT(v.list(),
              ElementsAre(Violation{"name", "must not contain control characters (U+000A at character 4)"},
                          Violation{"title", "must not contain control characters (U+0007 at character 5)"}));
}

TEST(ValidationTest, Email) {
  for (const char* ok : {"a@x.io", "first.last+tag@mail.example.com", "o'brien@example.org", "x@xn--p1ai.xn--p1ai",
                         "UPPER@EXAMPLE.COM", "user_1@sub-domain.example.co.uk"}) {
    EXPECT_TRUE(IsValidEmail(ok)) << ok;
  }
  for (const char* bad : {"", "plain", "@x.io", "a@", "a@x", "a@x.c", "a@@x.io", "a b@x.io", "a@x .io", ".a@x.io",
                          "a.@x.io", "a..b@x.io", "a@-x.io", "a@x-.io", "a@x..io", "a@x.io.", "a@x.i0", "a@[1.2.3.4]",
                          "\"q\"@x.io", "z\xC3\xB6@x.io", "a@x.io\n"}) {
    EXPECT_FALSE(IsValidEmail(bad)) << bad;
  }
  EXPECT_FALSE(IsValidEmail(Repeat("a", 65) + "@x.io"));               // local part > 64
  EXPECT_FALSE(IsValidEmail("a@" + Repeat("b", 64) + ".io"));          // label > 63
  EXPECT_FALSE(IsValidEmail("a@" + Repeat("abcdefghi.", 26) + "io"));  // > 254 in all
  Violations v;
  EXPECT_FALSE(v.Email("email", "nope"));
  EXPECT_EQ(Only(v), (Violation{"email", "must be a valid email address (got \"nope\")"}));
}

TEST(ValidationTest, Phone) {
  EXPECT_TRUE(IsValidPhone("+14155552671"));
  EXPECT_TRUE(IsValidPhone("+12345678"));         // 8 digits
  EXPECT_TRUE(IsValidPhone("+123456789012345"));  // 15 digits
  for (const char* bad : {"", "14155552671", "+1234567", "+1234567890123456", "+0123456789", "+1 415 555 2671",
                          "+1-415-555-2671", "+", "++14155552671"}) {
    EXPECT_FALSE(IsValidPhone(bad)) << bad;
  }
  Violations v;
  v.Phone("phone", "555");
  EXPECT_EQ(Only(v).field, "phone");
  EXPECT_THAT(v.list().front().message, HasSubstr("E.164"));
}

TEST(ValidationTest, UsernameAndNormalization) {
  EXPECT_TRUE(IsValidUsername("alice"));
  EXPECT_TRUE(IsValidUsername("a_b_9"));
  EXPECT_TRUE(IsValidUsername(Repeat("a", 30)));
  for (const char* bad : {"ab", "1alice", "_alice", "Alice", "al-ice", "al ice", "al.ice", "\xC3\xA5lice"}) {
    EXPECT_FALSE(IsValidUsername(bad)) << bad;
  }
  EXPECT_FALSE(IsValidUsername(Repeat("a", 31)));
  EXPECT_EQ(NormalizeUsername("  Alice_01 "), "alice_01");
  EXPECT_TRUE(IsValidUsername(NormalizeUsername("Alice")));
  Violations v;
  v.Username("username", "ab");
  v.Username("other", "9lives");
  EXPECT_THAT(v.list(), ElementsAre(Violation{"username", "must be 3 to 30 characters (got 2)"},
                                    Violation{"other", "must start with a letter and contain only a-z, 0-9 and _ "
                                                       "(got \"9lives\")"}));
}

TEST(ValidationTest, Url) {
  for (const char* ok : {"https://example.com", "http://example.com/a/b?c=d#e", "HTTPS://Example.COM:8443/x",
                         "https://user:pw@cdn.example.com/p.png", "http://localhost:8080", "https://[::1]:443/",
                         "https://a.b/%E4%B8%AD"}) {
    EXPECT_TRUE(IsValidUrl(ok)) << ok;
  }
  for (const char* bad : {"", "example.com", "ftp://example.com", "javascript:alert(1)", "https://", "https:///path",
                          "https://exa mple.com", "https://example.com:0", "https://example.com:99999",
                          "https://example.com:port", "https://-bad-.com", "https://\xE4\xB8\xAD.com",
                          "https://[zz]/", "data:text/plain,hi"}) {
    EXPECT_FALSE(IsValidUrl(bad)) << bad;
  }
  EXPECT_TRUE(IsValidUrl("https://x.io/" + Repeat("a", 2048 - 13)));
  EXPECT_FALSE(IsValidUrl("https://x.io/" + Repeat("a", 2048 - 12)));
  Violations v;
  v.Url("avatar_url", "ftp://x");
  EXPECT_EQ(Only(v), (Violation{"avatar_url", "must be an http or https URL with a host (got \"ftp://x\")"}));
}

TEST(ValidationTest, OneOfListsTheAllowedValues) {
  Violations v;
  EXPECT_TRUE(v.OneOf("reaction", "LOVE", {"LIKE", "LOVE", "LAUGH", "SAD", "ANGRY"}));
  EXPECT_FALSE(v.OneOf("reaction", "x", {"LIKE", "LOVE", "LAUGH", "SAD", "ANGRY"}));
  EXPECT_FALSE(v.OneOf("reaction", "like", std::vector<std::string_view>{"LIKE"}));  // case-sensitive
  EXPECT_THAT(v.list(), ElementsAre(Violation{"reaction", "must be one of LIKE, LOVE, LAUGH, SAD, ANGRY (got \"x\")"},
                                    Violation{"reaction", "must be one of LIKE (got \"like\")"}));
}

TEST(ValidationTest, NumbersIdsAndCounts) {
  Violations v;
  EXPECT_TRUE(v.Range("limit", 1, 1, 100));
  EXPECT_TRUE(v.Range("limit", 100, 1, 100));
  EXPECT_FALSE(v.Range("limit", 0, 1, 100));
  EXPECT_TRUE(v.Amount("amount", 100, 100));
  EXPECT_FALSE(v.Amount("amount", 0, 100));
  EXPECT_FALSE(v.Amount("amount", 101, 100));
  EXPECT_TRUE(v.Id("post_id", 1));
  EXPECT_FALSE(v.Id("post_id", -3));
  EXPECT_TRUE(v.Count("media_urls", 10, 0, 10));
  EXPECT_FALSE(v.Count("media_urls", 11, 0, 10));
  EXPECT_FALSE(v.Count("member_ids", 0, 1, 256));
  EXPECT_THAT(v.list(), ElementsAre(Violation{"limit", "must be between 1 and 100 (got 0)"},
                                    Violation{"amount", "must be greater than 0 (got 0)"},
                                    Violation{"amount", "must be at most 100 (got 101)"},
                                    Violation{"post_id", "must be a positive id (got -3)"},
                                    Violation{"media_urls", "must have at most 10 items (got 11)"},
                                    Violation{"member_ids", "must have 1 to 256 items (got 0)"}));
}

TEST(ValidationTest, CurrencyTokenAndJson) {
  Violations v;
  EXPECT_TRUE(v.Currency("currency", "USD"));
  EXPECT_FALSE(v.Currency("currency", "usd"));
  EXPECT_FALSE(v.Currency("currency", "US"));
  EXPECT_TRUE(v.Token("idempotency_key", "tip-2024_ABC", 8, 128));
  EXPECT_FALSE(v.Token("idempotency_key", "has space!", 8, 128));
  EXPECT_FALSE(v.Token("idempotency_key", "short", 8, 128));
  EXPECT_TRUE(v.JsonObject("evidence", R"({"urls":["https://x.io/a.png"]})"));
  EXPECT_FALSE(v.JsonObject("evidence", "[1,2]"));
  EXPECT_FALSE(v.JsonObject("evidence", "{nope"));
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v.list()[0].field, "currency");
  EXPECT_EQ(v.list()[1].field, "currency");
  EXPECT_EQ(v.list()[2], (Violation{"idempotency_key", "must contain only A-Z, a-z, 0-9, _ and - "
                                                         "(got \"has space!\")"}));
  EXPECT_EQ(v.list()[3], (Violation{"idempotency_key", "must be 8 to 128 characters (got 5)"}));
  EXPECT_EQ(v.list()[4], (Violation{"evidence", "must be a JSON object (got \"[1,2]\")"}));
  EXPECT_EQ(v.list()[5].field, "evidence");
  EXPECT_THAT(v.list()[5].message, HasSubstr("must be a JSON object ("));
}

TEST(ValidationTest, ToStatusListsEveryViolation) {
  Violations v;
  v.Email("email", "x");
  v.Username("username", "ab");
  absl::Status s = v.ToStatus("register");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "register: email must be a valid email address (got \"x\"); "
                          "username must be 3 to 30 characters (got 2)"));
  EXPECT_EQ(StatusField(s), "email");
  auto payload = s.GetPayload(ToAbsl(kViolationsPayloadUrl));
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload),
            R"j([{"field":"email","message":"must be a valid email address (got \"x\")"},)j"
            R"j({"field":"username","message":"must be 3 to 30 characters (got 2)"}])j");
}

TEST(ValidationTest, StatusViolationsRoundTrip) {
  Violations v;
  v.Add("content", "must not be empty");
  v.Add("media_urls[2]", "must be an http or https URL with a host (got \"\\u00e9\xE4\xB8\xAD\")");
  v.Add("note", "has \"quotes\" and\nnewline");
  absl::Status s = v.ToStatus("create_post");
  EXPECT_EQ(StatusViolations(s), v.list());
  // Survives Annotate (payloads are kept).
  EXPECT_EQ(StatusViolations(Annotate(s, "api")), v.list());
}

TEST(ValidationTest, StatusViolationsFromInvalidFieldAndOthers) {
  EXPECT_THAT(StatusViolations(InvalidField("login", "password", "is wrong")),
              ElementsAre(Violation{"password", "is wrong"}));
  EXPECT_THAT(StatusViolations(absl::InvalidArgumentError("no payload")), IsEmpty());
  EXPECT_THAT(StatusViolations(absl::NotFoundError("x")), IsEmpty());
}

TEST(ValidationTest, QuoteForMessageEscapesAndTruncates) {
  EXPECT_EQ(QuoteForMessage("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(QuoteForMessage("bad\xFF"), R"("bad\xFF")");
  EXPECT_EQ(QuoteForMessage("\x07"), R"("\u0007")");
  EXPECT_EQ(QuoteForMessage("\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97", 2), "\"\xE4\xB8\xAD\xE6\x96\x87\xE2\x80\xA6\"");
  EXPECT_EQ(QuoteForMessage(Repeat("x", 64)), "\"" + Repeat("x", 64) + "\"");
}

}  // namespace
}  // namespace daira
