#include "daira/core/url.h"

#include <string>

#include "../support/status_matchers.h"
#include "absl/strings/ascii.h"
#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

TEST(UrlTest, SqliteRelativePath) {
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("sqlite:./a.db"));
  EXPECT_EQ(u.scheme, "sqlite");
  EXPECT_EQ(u.path, "./a.db");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.port, 0);
  EXPECT_FALSE(u.has_password);
  EXPECT_TRUE(u.params.empty());
}

TEST(UrlTest, SqliteAbsolutePathMemoryAndEmpty) {
  ASSERT_OK_AND_ASSIGN(Url abs, ParseUrl("sqlite:/abs/path.db"));
  EXPECT_EQ(abs.path, "/abs/path.db");
  ASSERT_OK_AND_ASSIGN(Url mem, ParseUrl("sqlite::memory:"));
  EXPECT_EQ(mem.scheme, "sqlite");
  EXPECT_EQ(mem.path, ":memory:");
  ASSERT_OK_AND_ASSIGN(Url empty, ParseUrl("sqlite:"));
  EXPECT_EQ(empty.scheme, "sqlite");
  EXPECT_EQ(empty.path, "");
  ASSERT_OK_AND_ASSIGN(Url memory, ParseUrl("memory:"));
  EXPECT_EQ(memory.scheme, "memory");
  EXPECT_EQ(memory.path, "");
  ASSERT_OK_AND_ASSIGN(Url withq, ParseUrl("sqlite:./a%20b.db?busy_timeout_ms=500&wal=1"));
  EXPECT_EQ(withq.path, "./a b.db");
  EXPECT_EQ(withq.Param("busy_timeout_ms"), "500");
  EXPECT_EQ(withq.Param("wal"), "1");
  ASSERT_OK_AND_ASSIGN(Url file, ParseUrl("file:./daira-blobs"));
  EXPECT_EQ(file.scheme, "file");
  EXPECT_EQ(file.path, "./daira-blobs");
}

TEST(UrlTest, PostgresWithEncodedPasswordAndReplicas) {
  ASSERT_OK_AND_ASSIGN(
      Url u, ParseUrl("postgres://user:pa%40ss%3A%2F@127.0.0.1:5433/db?replica=postgres%3A%2F%2Fr%3Apw%40127.0.0.1%3A5434%2Fdb"
                      "&replica=postgres://r2:x@127.0.0.1:5435/db&pool_max=20"));
  EXPECT_EQ(u.scheme, "postgres");
  EXPECT_EQ(u.user, "user");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "pa@ss:/");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 5433);
  EXPECT_EQ(u.path, "db");
  EXPECT_EQ(u.Param("pool_max"), "20");
  EXPECT_THAT(u.Params("replica"), ElementsAre("postgres://r:pw@127.0.0.1:5434/db",
                                               "postgres://r2:x@127.0.0.1:5435/db"));
  EXPECT_EQ(u.Param("replica"), "postgres://r2:x@127.0.0.1:5435/db");  // the last one
  EXPECT_EQ(u.Param("missing"), std::nullopt);
  EXPECT_TRUE(u.Params("missing").empty());
  // The nested replica URL parses on its own.
  ASSERT_OK_AND_ASSIGN(Url r, ParseUrl(u.Params("replica")[0]));
  EXPECT_EQ(r.password, "pw");
  EXPECT_EQ(r.port, 5434);
}

TEST(UrlTest, RawSpecialCharactersInPassword) {
  // Userinfo ends at the LAST '@' before the path; user:password splits at the FIRST ':'.
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("postgres://app:p@ss:w/rd@db.example:5432/app"));
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "p@ss:w/rd");
  EXPECT_EQ(u.host, "db.example");
  EXPECT_EQ(u.port, 5432);
  EXPECT_EQ(u.path, "app");

  ASSERT_OK_AND_ASSIGN(Url at_in_query, ParseUrl("postgres://a:b@h:1/db?replica=postgres://c:d@e:2/db"));
  EXPECT_EQ(at_in_query.password, "b");
  EXPECT_EQ(at_in_query.host, "h");
  EXPECT_EQ(at_in_query.Param("replica"), "postgres://c:d@e:2/db");

  ASSERT_OK_AND_ASSIGN(Url no_user, ParseUrl("redis://h:6380/0?name=a@b"));
  EXPECT_EQ(no_user.user, "");
  EXPECT_FALSE(no_user.has_password);
  EXPECT_EQ(no_user.host, "h");
  EXPECT_EQ(no_user.Param("name"), "a@b");
}

TEST(UrlTest, UnicodePasswordsRawAndEncoded) {
  ASSERT_OK_AND_ASSIGN(Url raw, ParseUrl("postgres://zoë:pässwörd🔑@127.0.0.1/db"));
  EXPECT_EQ(raw.user, "zoë");
  EXPECT_EQ(raw.password, "pässwörd🔑");
  ASSERT_OK_AND_ASSIGN(Url enc, ParseUrl("postgres://zo%C3%AB:p%C3%A4ssw%C3%B6rd%F0%9F%94%91@127.0.0.1/db"));
  EXPECT_EQ(enc.user, "zoë");
  EXPECT_EQ(enc.password, "pässwörd🔑");
  ASSERT_OK_AND_ASSIGN(Url cjk, ParseUrl("postgres://u:密码@127.0.0.1:5432/数据库"));
  EXPECT_EQ(cjk.password, "密码");
  EXPECT_EQ(cjk.path, "数据库");
}

TEST(UrlTest, UserWithoutPasswordAndEmptyPassword) {
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("postgres://app@127.0.0.1:5433/app"));
  EXPECT_EQ(u.user, "app");
  EXPECT_FALSE(u.has_password);
  ASSERT_OK_AND_ASSIGN(Url e, ParseUrl("postgres://app:@127.0.0.1/app"));
  EXPECT_TRUE(e.has_password);
  EXPECT_EQ(e.password, "");
}

TEST(UrlTest, RedisAndIpv6) {
  ASSERT_OK_AND_ASSIGN(Url r, ParseUrl("redis://127.0.0.1:6380/0"));
  EXPECT_EQ(r.scheme, "redis");
  EXPECT_EQ(r.host, "127.0.0.1");
  EXPECT_EQ(r.port, 6380);
  EXPECT_EQ(r.path, "0");
  ASSERT_OK_AND_ASSIGN(Url v6, ParseUrl("redis://[::1]:6380/2"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 6380);
  EXPECT_EQ(v6.path, "2");
  ASSERT_OK_AND_ASSIGN(Url v6np, ParseUrl("postgres://u:p@[fe80::1:2]/db"));
  EXPECT_EQ(v6np.host, "fe80::1:2");
  EXPECT_EQ(v6np.port, 0);
  EXPECT_EQ(v6np.password, "p");
  ASSERT_OK_AND_ASSIGN(Url bare, ParseUrl("redis://localhost"));
  EXPECT_EQ(bare.host, "localhost");
  EXPECT_EQ(bare.path, "");
  ASSERT_OK_AND_ASSIGN(Url q, ParseUrl("redis://localhost?db=3"));
  EXPECT_EQ(q.host, "localhost");
  EXPECT_EQ(q.Param("db"), "3");
  ASSERT_OK_AND_ASSIGN(Url sock, ParseUrl("postgres://%2Fvar%2Frun%2Fpostgresql/app"));
  EXPECT_EQ(sock.host, "/var/run/postgresql");
  EXPECT_EQ(sock.path, "app");
}

TEST(UrlTest, SchemeIsCaseInsensitiveAndLowerCased) {
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("PostgreSQL://h/db"));
  EXPECT_EQ(u.scheme, "postgresql");
  ASSERT_OK_AND_ASSIGN(Url s, ParseUrl("SQLITE::memory:"));
  EXPECT_EQ(s.scheme, "sqlite");
}

TEST(UrlTest, QueryParameters) {
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("redis://h/0?a=1&&b=&c&a=2&sp%20ace=x%2By+z"));
  EXPECT_THAT(u.params, ElementsAre(Pair("a", "1"), Pair("b", ""), Pair("c", ""), Pair("a", "2"),
                                    Pair("sp ace", "x+y+z")));
  EXPECT_EQ(u.Param("a"), "2");
  EXPECT_THAT(u.Params("a"), ElementsAre("1", "2"));
}

TEST(UrlTest, BadUrls) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ParseUrl(""), StatusIs(kInvalid, HasSubstr("url: url is empty")));
  EXPECT_THAT(ParseUrl("./a.db"), StatusIs(kInvalid, HasSubstr("scheme is missing")));
  EXPECT_THAT(ParseUrl(":memory:"), StatusIs(kInvalid, HasSubstr("scheme is missing")));
  EXPECT_THAT(ParseUrl("1abc:x"), StatusIs(kInvalid, HasSubstr("scheme must start with a letter")));
  EXPECT_THAT(ParseUrl("my_db:x"), StatusIs(kInvalid, HasSubstr("scheme has an invalid character")));
  EXPECT_THAT(ParseUrl("redis://h:abc/0"),
              StatusIs(kInvalid, HasSubstr("url: port is not a number (got \"abc\")")));
  EXPECT_THAT(ParseUrl("redis://h:70000/0"),
              StatusIs(kInvalid, HasSubstr("port is out of range 1-65535 (got 70000)")));
  EXPECT_THAT(ParseUrl("redis://h:0/0"), StatusIs(kInvalid, HasSubstr("(got 0)")));
  EXPECT_THAT(ParseUrl("redis://h:99999999999/0"), StatusIs(kInvalid, HasSubstr("out of range")));
  EXPECT_THAT(ParseUrl("redis://[::1/0"), StatusIs(kInvalid, HasSubstr("unterminated IPv6")));
  EXPECT_THAT(ParseUrl("redis://[]:1/0"), StatusIs(kInvalid, HasSubstr("empty IPv6")));
  EXPECT_THAT(ParseUrl("redis://[::1]x/0"), StatusIs(kInvalid, HasSubstr("after the IPv6 literal")));
  EXPECT_THAT(ParseUrl("redis://[zz::1]/0"), StatusIs(kInvalid, HasSubstr("not a valid IPv6")));
  EXPECT_THAT(ParseUrl("redis://::1:6379/0"), StatusIs(kInvalid, HasSubstr("must be in brackets")));
  EXPECT_THAT(ParseUrl("sqlite:./a%zz.db"),
              StatusIs(kInvalid, HasSubstr("url: path percent-decode: escape is not two hex digits (got \"%zz\")")));
  EXPECT_THAT(ParseUrl("sqlite:./a.db%4"), StatusIs(kInvalid, HasSubstr("truncated")));
  EXPECT_THAT(ParseUrl("redis://h/0?=x"), StatusIs(kInvalid, HasSubstr("empty name")));
  EXPECT_THAT(ParseUrl("redis://h/0\n"), StatusIs(kInvalid, HasSubstr("control character at offset 11")));
  EXPECT_EQ(StatusField(ParseUrl("redis://h:abc/0").status()), "port");
}

TEST(UrlTest, ErrorsNeverEchoThePassword) {
  const std::string kSecret = "S3cr%zzT";
  auto bad_escape = ParseUrl("postgres://app:" + kSecret + "@h/db");
  EXPECT_THAT(bad_escape, StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr("password has a bad percent-escape"), Not(HasSubstr("S3cr")),
                                         Not(HasSubstr("%zz")))));
  // A raw '?' in the password cuts the authority short; the would-be "port" is part of the password.
  auto raw_q = ParseUrl("postgres://app:S3cr?t@h:5432/db");
  EXPECT_THAT(raw_q, StatusIs(absl::StatusCode::kInvalidArgument,
                              AllOf(HasSubstr("%3F"), Not(HasSubstr("S3cr")))));
  auto bad_port = ParseUrl("postgres://app:S3cret@h:54x2/db");
  EXPECT_THAT(bad_port, StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("S3cret"))));
  auto bad_query = ParseUrl("postgres://h/db?replica=postgres://u:S3cr%zz@h/db");
  EXPECT_THAT(bad_query, StatusIs(absl::StatusCode::kInvalidArgument,
                                  AllOf(HasSubstr("query parameter replica"), Not(HasSubstr("S3cr")))));
}

TEST(UrlTest, RedactedHidesPasswords) {
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("postgres://user:pa%40ss%3A%2F@127.0.0.1:5433/db?replica="
                                       "postgres%3A%2F%2Fr%3AtopSecret%40127.0.0.1%3A5434%2Fdb&pool_max=20"));
  std::string red = u.Redacted();
  EXPECT_THAT(red, Not(HasSubstr("pa@ss")));
  EXPECT_THAT(red, Not(HasSubstr("pa%40ss")));
  EXPECT_THAT(red, Not(HasSubstr("topSecret")));
  EXPECT_THAT(red, HasSubstr("postgres://user:***@127.0.0.1:5433/db?"));
  EXPECT_THAT(red, HasSubstr("pool_max=20"));
  // The redacted form parses back to the same shape.
  ASSERT_OK_AND_ASSIGN(Url back, ParseUrl(red));
  EXPECT_EQ(back.user, "user");
  EXPECT_EQ(back.password, "***");
  EXPECT_EQ(back.host, "127.0.0.1");
  EXPECT_EQ(back.port, 5433);
  EXPECT_EQ(back.path, "db");
  EXPECT_EQ(back.Param("pool_max"), "20");
  EXPECT_EQ(back.Param("replica"), "postgres://r:***@127.0.0.1:5434/db");

  ASSERT_OK_AND_ASSIGN(Url v6, ParseUrl("redis://:pw@[::1]:6380/0"));
  EXPECT_EQ(v6.Redacted(), "redis://:***@[::1]:6380/0");
  ASSERT_OK_AND_ASSIGN(Url nopw, ParseUrl("redis://127.0.0.1:6380/0"));
  EXPECT_EQ(nopw.Redacted(), "redis://127.0.0.1:6380/0");
  ASSERT_OK_AND_ASSIGN(Url mem, ParseUrl("sqlite::memory:"));
  EXPECT_EQ(mem.Redacted(), "sqlite::memory:");
  ASSERT_OK_AND_ASSIGN(Url rel, ParseUrl("sqlite:./data/a.db?wal=1"));
  EXPECT_EQ(rel.Redacted(), "sqlite:./data/a.db?wal=1");
}

TEST(UrlTest, PercentEncodeDecodeRoundTrip) {
  const std::string samples[] = {"", "plain", "p@ss:/w?rd#&=+ %", "zoë 🔑 密码", std::string("nul\0byte", 8)};
  for (const std::string& s : samples) {
    std::string enc = PercentEncode(s);
    for (char c : enc) {
      EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~%").find(c) != std::string_view::npos)
          << "unexpected '" << c << "' in " << enc;
    }
    ASSERT_OK_AND_ASSIGN(std::string dec, PercentDecode(enc));
    EXPECT_EQ(dec, s);
  }
  EXPECT_EQ(PercentEncode("a b@c"), "a%20b%40c");
  EXPECT_EQ(PercentEncode("-._~AZaz09"), "-._~AZaz09");
  ASSERT_OK_AND_ASSIGN(std::string plus, PercentDecode("a+b%2Bc%2bd"));
  EXPECT_EQ(plus, "a+b+c+d");
  EXPECT_THAT(PercentDecode("%"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(PercentDecode("ab%4"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(PercentDecode("%g1"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not two hex")));
}


// Issue 9: every secret-bearing option is redacted, not only the userinfo password.
TEST(UrlTest, RedactedHidesEverySecretBearingOption) {
  const std::string nested_pw = PercentEncode("postgres://r@127.0.0.1:5434/db?password=NestedQ1");
  const std::string nested_ui = PercentEncode("postgres://r:NestedU2@127.0.0.1:5434/db");
  const std::string raw_nested = "postgres://r@h/db?sslpassword=RawNest3";
  ASSERT_OK_AND_ASSIGN(
      Url u, ParseUrl("postgres://user:Userinfo0@127.0.0.1:5433/db?password=Param4&sslpassword=Ssl5"
                      "&replica=" + nested_pw + "&replica=" + nested_ui + "&PASSWORD=Upper6&api_token=Tok7"
                      "&replica=" + PercentEncode(raw_nested) + "&replica=" + PercentEncode("postgres://bad:Bad8@h:x/db") +
                      "&note=u:Cred9@host&pool_max=20&sslmode=require"));
  std::string red = u.Redacted();
  for (std::string secret : {"Userinfo0", "NestedQ1", "NestedU2", "RawNest3", "Param4", "Ssl5", "Upper6", "Tok7",
                             "Bad8", "Cred9"}) {
    EXPECT_THAT(red, Not(HasSubstr(secret))) << red;
  }
  EXPECT_THAT(red, HasSubstr("password=***"));
  EXPECT_THAT(red, HasSubstr("sslpassword=***"));
  EXPECT_THAT(red, HasSubstr("pool_max=20"));
  EXPECT_THAT(red, HasSubstr("sslmode=require"));
  // A nested replica keeps its shape, only the secret hidden.
  ASSERT_OK_AND_ASSIGN(Url back, ParseUrl(red));
  std::vector<std::string> replicas = back.Params("replica");
  ASSERT_EQ(replicas.size(), 4u);
  EXPECT_EQ(replicas[0], "postgres://r@127.0.0.1:5434/db?password=***");
  EXPECT_EQ(replicas[1], "postgres://r:***@127.0.0.1:5434/db");
  EXPECT_EQ(replicas[3], "***");  // does not parse: hidden whole

  EXPECT_TRUE(IsSecretParam("password"));
  EXPECT_TRUE(IsSecretParam("sslpassword"));
  EXPECT_TRUE(IsSecretParam("Client_Secret"));
  EXPECT_FALSE(IsSecretParam("sslmode"));
  EXPECT_FALSE(IsSecretParam("passfile"));  // a path, not a secret
}

TEST(UrlTest, RedactedBoundsNestingDepth) {
  std::string text = "postgres://h/db";
  for (int i = 0; i < 2000; ++i) text += "?k=s://h/x";  // each '?' nests one URL deeper
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl(text));
  EXPECT_FALSE(u.Redacted().empty());
}

}  // namespace
}  // namespace daira

namespace daira {
namespace {

// libpq's multi-host authority: the hosts become a host list and the ports a port list, as libpq's own
// keywords take them (empty = that host's default port).
TEST(UrlMultiHostTest, AuthorityHostListBecomesHostAndPortLists) {
  auto url = ParseUrl("postgres://app:s3cret@10.0.0.1:5432,10.0.0.2,10.0.0.3:6543/app?target_session_attrs=read-write");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "10.0.0.1,10.0.0.2,10.0.0.3");
  EXPECT_EQ(url->port, 0);
  EXPECT_EQ(url->Param("port"), "5432,,6543");
  EXPECT_EQ(url->path, "app");
  EXPECT_EQ(url->Param("target_session_attrs"), "read-write");
  EXPECT_EQ(url->Redacted().find("s3cret"), std::string::npos);
  EXPECT_NE(url->Redacted().find("10.0.0.1,10.0.0.2,10.0.0.3"), std::string::npos);
  auto no_ports = ParseUrl("postgres://a,b/app");
  ASSERT_TRUE(no_ports.ok());
  EXPECT_FALSE(no_ports->Param("port").has_value());
}

TEST(UrlMultiHostTest, RefusesAnEmptyEntryAndAPortGivenTwice) {
  EXPECT_EQ(ParseUrl("postgres://a:1,,b:2/app").status().code(), absl::StatusCode::kInvalidArgument);
  auto twice = ParseUrl("postgres://a:1,b:2/app?port=3,4");
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(twice.status().message()).find("port"), std::string::npos);
  EXPECT_EQ(ParseUrl("postgres://a:1,b:x/app").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace daira
