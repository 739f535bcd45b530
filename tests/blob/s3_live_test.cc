// The s3: store against a real S3-compatible server (DAIRA_TEST_S3: scripts/test's moto_server, whose
// scripts/lib/moto_server.py verifies presigned URLs with botocore): a presigned URL fetched with
// libcurl gives the object's bytes, and a tampered, re-targeted, expired or wrongly signed one is
// refused; temporary credentials (session_token / AWS_SESSION_TOKEN, DAIRA_TEST_S3_STS_*: an STS
// AssumeRole of the server's test role) sign requests (x-amz-security-token) and presigned URLs
// (X-Amz-Security-Token), and a wrong or missing token is refused. Without DAIRA_TEST_S3 these cases
// are skipped loudly, and with CI=true they fail.
#include <curl/curl.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/s3/sigv4.h"
#include "daira/blob/store.h"
#include "daira/core/request_context.h"
#include "daira/core/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_blobs.h"

namespace daira::blob {
namespace {

using ::daira::testing::EnvOr;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

struct HttpResult {
  long status = 0;
  std::string body;
};

// One plain GET with libcurl (no signing: the URL carries its own authentication).
HttpResult HttpGet(const std::string& url) {
  HttpResult out;
  CURL* c = curl_easy_init();
  if (c == nullptr) return out;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t size, size_t n, void* user) -> size_t {
        static_cast<std::string*>(user)->append(p, size * n);
        return size * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  curl_easy_cleanup(c);
  return out;
}

// Fails under CI=true, skips (loudly) otherwise, when the live server or its STS credentials are absent.
#define DAIRA_REQUIRE_S3(need_sts)                                                                          \
  do {                                                                                                      \
    const bool missing =                                                                                    \
        EnvOr("DAIRA_TEST_S3").empty() || ((need_sts) && EnvOr("DAIRA_TEST_S3_STS_SESSION_TOKEN").empty()); \
    if (missing) {                                                                                          \
      if (::daira::testing::InCi()) {                                                                       \
        FAIL() << "DAIRA_TEST_S3 (and DAIRA_TEST_S3_STS_*) not set but CI=true requires live S3 coverage "  \
                  "(run ./scripts/test)";                                                                   \
      }                                                                                                     \
      GTEST_SKIP() << "*** DAIRA_TEST_S3 / DAIRA_TEST_S3_STS_* not set: live S3 is NOT covered ***";        \
    }                                                                                                       \
  } while (0)

class S3LiveTest : public ::testing::Test {
 protected:
  // A fresh bucket (made with the long-term test key) and a store on it.
  void OpenFresh() {
    ASSERT_OK_AND_ASSIGN(t_, ::daira::testing::TestBlobStore::Create("s3"));
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(t_.url));
  }
  // The same bucket with the temporary credentials; `token` replaces the session token when given.
  std::string StsUrl(std::string token) const {
    return absl::StrCat("s3://", t_.bucket, "?endpoint=", PercentEncode(t_.endpoint),
                        "&region=us-east-1&access_key=", PercentEncode(EnvOr("DAIRA_TEST_S3_STS_ACCESS_KEY")),
                        "&secret_key=", PercentEncode(EnvOr("DAIRA_TEST_S3_STS_SECRET_KEY")),
                        token.empty() ? "" : "&session_token=", PercentEncode(token));
  }
  std::string Host() const { return t_.endpoint.substr(t_.endpoint.find("://") + 3); }
  std::string Path(const std::string& key) const {
    return absl::StrCat("/", t_.bucket, "/", backends::s3::UriEncode(key, /*encode_slash=*/false));
  }

  RequestContext ctx_;
  ::daira::testing::TestBlobStore t_;
  std::unique_ptr<Store> store_;
};

const std::string kBytes = std::string("presigned \0 bytes \xff\x01", 21);

TEST_F(S3LiveTest, APresignedUrlIsFetchedForRealAndATamperedOrExpiredOneIsRefused) {
  DAIRA_REQUIRE_S3(false);
  OpenFresh();
  ASSERT_OK(store_->Put(ctx_, "u/a b.bin", kBytes).status());
  ASSERT_OK(store_->Put(ctx_, "u/other.bin", "other").status());
  ASSERT_OK_AND_ASSIGN(std::string url, store_->Url(ctx_, "u/a b.bin", std::chrono::minutes(10)));
  HttpResult got = HttpGet(url);
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, kBytes);

  // One signature digit changed.
  std::string tampered = url;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  got = HttpGet(tampered);
  EXPECT_EQ(got.status, 403);
  EXPECT_THAT(got.body, HasSubstr("SignatureDoesNotMatch"));
  // The same query on another key.
  std::string retargeted = url;
  retargeted.replace(retargeted.find("a%20b.bin"), 9, "other.bin");
  got = HttpGet(retargeted);
  EXPECT_EQ(got.status, 403);
  EXPECT_THAT(got.body, HasSubstr("SignatureDoesNotMatch"));
  // A longer expiry than was signed.
  std::string longer = url;
  longer.replace(longer.find("X-Amz-Expires=600"), 17, "X-Amz-Expires=6000");
  EXPECT_EQ(HttpGet(longer).status, 403);

  // Expired: signed an hour ago for one minute (the signature itself is right).
  const backends::s3::Credentials creds{EnvOr("DAIRA_TEST_S3_ACCESS_KEY"), EnvOr("DAIRA_TEST_S3_SECRET_KEY")};
  const std::string an_hour_ago =
      backends::s3::AmzDate(std::chrono::system_clock::now() - std::chrono::hours(1));
  const std::string path = Path("u/a b.bin");
  got = HttpGet(absl::StrCat(
      t_.endpoint, path, "?",
      backends::s3::PresignQuery(creds, an_hour_ago, "us-east-1", "s3", "GET", path, Host(), 60)));
  EXPECT_EQ(got.status, 403);
  EXPECT_THAT(got.body, HasSubstr("AccessDenied"));
  // The same signed now is accepted: only the time differs.
  got = HttpGet(
      absl::StrCat(t_.endpoint, path, "?",
                   backends::s3::PresignQuery(creds, backends::s3::AmzDate(std::chrono::system_clock::now()),
                                              "us-east-1", "s3", "GET", path, Host(), 60)));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, kBytes);

  // A URL presigned with a wrong secret is refused.
  std::string wrong_url = t_.url;
  const size_t at = wrong_url.find("&secret_key=");
  wrong_url.replace(at, wrong_url.find('&', at + 1) - at, "&secret_key=wrong-secret-value");
  wrong_url.replace(wrong_url.find("&create_bucket=1"), 16, "");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> wrong, Store::Open(wrong_url));
  ASSERT_OK_AND_ASSIGN(std::string wrong_signed, wrong->Url(ctx_, "u/a b.bin", std::chrono::minutes(1)));
  got = HttpGet(wrong_signed);
  EXPECT_EQ(got.status, 403);
  EXPECT_THAT(got.body, HasSubstr("SignatureDoesNotMatch"));
}

TEST_F(S3LiveTest, TemporaryCredentialsSignRequestsAndPresignedUrls) {
  DAIRA_REQUIRE_S3(true);
  OpenFresh();
  const std::string token = EnvOr("DAIRA_TEST_S3_STS_SESSION_TOKEN");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> sts, Store::Open(StsUrl(token)));
  // Signed requests carry x-amz-security-token: the server accepts the role's keys only with it.
  ASSERT_OK(sts->Put(ctx_, "t/one.bin", kBytes).status());
  ASSERT_OK_AND_ASSIGN(std::string back, sts->Get(ctx_, "t/one.bin"));
  EXPECT_EQ(back, kBytes);
  ASSERT_OK_AND_ASSIGN(std::string via_iam, store_->Get(ctx_, "t/one.bin"));  // the same bucket
  EXPECT_EQ(via_iam, kBytes);
  ASSERT_OK_AND_ASSIGN(auto page, sts->List(ctx_, "t/"));
  ASSERT_EQ(page.objects.size(), 1u);
  // Presigned: X-Amz-Security-Token is in the URL and signed.
  ASSERT_OK_AND_ASSIGN(std::string url, sts->Url(ctx_, "t/one.bin", std::chrono::minutes(5)));
  EXPECT_THAT(url, HasSubstr("X-Amz-Security-Token="));
  EXPECT_THAT(url, Not(HasSubstr(EnvOr("DAIRA_TEST_S3_STS_SECRET_KEY"))));
  HttpResult got = HttpGet(url);
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, kBytes);
  std::string other_token = url;
  other_token.replace(other_token.find("X-Amz-Security-Token=") + 21, 0, "x");
  EXPECT_NE(HttpGet(other_token).status, 200);

  // A wrong token, or none: refused with a clear error that never shows the token.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> wrong, Store::Open(StsUrl("not-the-session-token")));
  auto refused = wrong->Put(ctx_, "t/two.bin", "x");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("session_token")));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("not-the-session-token")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> none, Store::Open(StsUrl("")));
  EXPECT_THAT(none->Put(ctx_, "t/two.bin", "x"), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(bool written, store_->Exists(ctx_, "t/two.bin"));
  EXPECT_FALSE(written);
}

TEST_F(S3LiveTest, TemporaryCredentialsFromTheEnvironment) {
  DAIRA_REQUIRE_S3(true);
  OpenFresh();
  struct Saved {
    const char* name;
    std::string value;
    bool set;
  };
  Saved saved[] = {{"AWS_ACCESS_KEY_ID", "", false},
                   {"AWS_SECRET_ACCESS_KEY", "", false},
                   {"AWS_SESSION_TOKEN", "", false}};
  for (Saved& s : saved) {
    const char* v = std::getenv(s.name);
    s.set = v != nullptr;
    s.value = v ? v : "";
  }
  setenv("AWS_ACCESS_KEY_ID", EnvOr("DAIRA_TEST_S3_STS_ACCESS_KEY").c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", EnvOr("DAIRA_TEST_S3_STS_SECRET_KEY").c_str(), 1);
  setenv("AWS_SESSION_TOKEN", EnvOr("DAIRA_TEST_S3_STS_SESSION_TOKEN").c_str(), 1);
  auto from_env = Store::Open(
      absl::StrCat("s3://", t_.bucket, "?endpoint=", PercentEncode(t_.endpoint), "&region=us-east-1"));
  unsetenv("AWS_SESSION_TOKEN");  // read at open: the store keeps the token it was opened with
  auto without_token = Store::Open(
      absl::StrCat("s3://", t_.bucket, "?endpoint=", PercentEncode(t_.endpoint), "&region=us-east-1"));
  for (const Saved& s : saved) {
    if (s.set) {
      setenv(s.name, s.value.c_str(), 1);
    } else {
      unsetenv(s.name);
    }
  }
  ASSERT_OK(from_env.status());
  ASSERT_OK((*from_env)->Put(ctx_, "env.bin", kBytes).status());
  ASSERT_OK_AND_ASSIGN(std::string back, (*from_env)->Get(ctx_, "env.bin"));
  EXPECT_EQ(back, kBytes);
  ASSERT_OK(without_token.status());
  EXPECT_THAT((*without_token)->Get(ctx_, "env.bin"), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace daira::blob
