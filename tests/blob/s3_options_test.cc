// s3: URL options, checked at open without a server: every option refused by name, the secret never
// echoed, credentials from the environment when the URL has none.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"

#include "daira/blob/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::blob {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBase[] =
    "s3://media-bucket?endpoint=http://127.0.0.1:9&access_key=AK&secret_key=S3CR3T-VALUE";

TEST(S3OptionsTest, ValidUrlOpensWithoutTouchingTheNetwork) {
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(kBase));
  EXPECT_EQ(store->Name(), "s3");
  EXPECT_THAT(
      Store::Open(std::string(kBase) + "&region=auto&timeout_ms=1000&connect_timeout_ms=500"
                                       "&part_size=5242880&multipart_threshold=6000000&create_bucket=0"),
      IsOk());
  EXPECT_THAT(Store::Open("s3://media-bucket/some/prefix?endpoint=https://acct.r2.cloudflarestorage.com"
                          "&region=auto&access_key=AK&secret_key=SK"),
              IsOk());
}

TEST(S3OptionsTest, BadOptionsAreNamedAndTheSecretNeverShown) {
  struct Case {
    std::string extra;
    std::string field;
  };
  for (const Case& c : {Case{"&part_size=1024", "part_size"}, Case{"&part_size=x", "part_size"},
                        Case{"&multipart_threshold=1", "multipart_threshold"},
                        Case{"&timeout_ms=0", "timeout_ms"}, Case{"&create_bucket=yes", "create_bucket"},
                        Case{"&region=", "region"}, Case{"&colour=red", "colour"}}) {
    SCOPED_TRACE(c.extra);
    auto s = Store::Open(std::string(kBase) + c.extra);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)));
    EXPECT_THAT(s.status().message(), Not(HasSubstr("S3CR3T-VALUE")));
  }
  EXPECT_THAT(Store::Open("s3://Bad_Bucket?access_key=a&secret_key=b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bucket")));
  EXPECT_THAT(Store::Open("s3://ok-bucket?endpoint=ftp://x&access_key=a&secret_key=b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint")));
  EXPECT_THAT(Store::Open("s3://ok-bucket?endpoint=http://h:1/path&access_key=a&secret_key=b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint")));
  EXPECT_THAT(Store::Open("s3://ok-bucket?access_key=a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("secret_key")));
  auto userinfo = Store::Open("s3://AK:S3CR3T-VALUE@ok-bucket");
  EXPECT_THAT(userinfo, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("userinfo")));
  EXPECT_THAT(userinfo.status().message(), Not(HasSubstr("S3CR3T-VALUE")));
}

TEST(S3OptionsTest, CredentialsFromTheEnvironment) {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const std::string saved_id = id ? id : "", saved_secret = secret ? secret : "";
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_THAT(Store::Open("s3://ok-bucket"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("AWS_ACCESS_KEY_ID")));
  setenv("AWS_ACCESS_KEY_ID", "AK", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
  EXPECT_THAT(Store::Open("s3://ok-bucket?endpoint=http://127.0.0.1:9"), IsOk());
  if (id)
    setenv("AWS_ACCESS_KEY_ID", saved_id.c_str(), 1);
  else
    unsetenv("AWS_ACCESS_KEY_ID");
  if (secret)
    setenv("AWS_SECRET_ACCESS_KEY", saved_secret.c_str(), 1);
  else
    unsetenv("AWS_SECRET_ACCESS_KEY");
}

// Temporary credentials: session_token in the URL (with the keys) or AWS_SESSION_TOKEN (with keys from
// the environment) goes into presigned URLs as X-Amz-Security-Token; a token without keys is refused.
// (Signed requests carrying it are proven against the live server: s3_live_test.cc.)
TEST(S3OptionsTest, SessionTokenFromTheUrlOrTheEnvironment) {
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto with_token, Store::Open(std::string(kBase) + "&session_token=T0KEN%2Bx%2F%3D"));
  ASSERT_OK_AND_ASSIGN(std::string url, with_token->Url(ctx, "k", std::chrono::minutes(1)));
  EXPECT_THAT(url, HasSubstr("&X-Amz-Security-Token=T0KEN%2Bx%2F%3D&"));
  ASSERT_OK_AND_ASSIGN(auto without, Store::Open(kBase));
  ASSERT_OK_AND_ASSIGN(url, without->Url(ctx, "k", std::chrono::minutes(1)));
  EXPECT_THAT(url, Not(HasSubstr("X-Amz-Security-Token")));
  auto alone = Store::Open("s3://ok-bucket?endpoint=http://127.0.0.1:9&session_token=S3SSION-VALUE");
  EXPECT_THAT(alone,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("session_token needs access_key")));
  EXPECT_THAT(alone.status().message(), Not(HasSubstr("S3SSION-VALUE")));
  EXPECT_THAT(Store::Open(std::string(kBase) + "&session_token="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("session_token is empty")));

  const char* names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
  std::string saved[3];
  bool was_set[3];
  for (int i = 0; i < 3; ++i) {
    const char* v = std::getenv(names[i]);
    was_set[i] = v != nullptr;
    saved[i] = v ? v : "";
  }
  setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
  setenv("AWS_SESSION_TOKEN", "ENV-TOKEN", 1);
  auto env_store = Store::Open("s3://ok-bucket?endpoint=http://127.0.0.1:9");
  // Keys in the URL: the environment's token is not theirs and is not used.
  auto url_keys = Store::Open(kBase);
  for (int i = 0; i < 3; ++i) {
    if (was_set[i]) {
      setenv(names[i], saved[i].c_str(), 1);
    } else {
      unsetenv(names[i]);
    }
  }
  ASSERT_OK(env_store.status());
  ASSERT_OK_AND_ASSIGN(url, (*env_store)->Url(ctx, "k", std::chrono::minutes(1)));
  EXPECT_THAT(url, HasSubstr("X-Amz-Credential=ASIAEXAMPLE%2F"));
  EXPECT_THAT(url, HasSubstr("&X-Amz-Security-Token=ENV-TOKEN&"));
  ASSERT_OK(url_keys.status());
  ASSERT_OK_AND_ASSIGN(url, (*url_keys)->Url(ctx, "k", std::chrono::minutes(1)));
  EXPECT_THAT(url, Not(HasSubstr("X-Amz-Security-Token")));
}

// A loopback listener that never accepts: the kernel completes the TCP handshake, then no answer
// ever comes, so only a time limit can end a request to it.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(S3TimeoutTest, AStoreThatNeverAnswersIsDeadlineExceeded) {
  SilentServer server;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(absl::StrCat("s3://quiet-bucket?endpoint=http://127.0.0.1:",
                                                            server.port(), "&access_key=a&secret_key=b&timeout_ms=200")));
  RequestContext ctx;
  EXPECT_THAT(store->Get(ctx, "k"),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("within 200 ms")));
}

TEST(S3TimeoutTest, TheRequestDeadlineCutsTheStoreTimeout) {
  SilentServer server;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(absl::StrCat("s3://quiet-bucket?endpoint=http://127.0.0.1:",
                                                            server.port(), "&access_key=a&secret_key=b")));
  RequestContext ctx({.timeout = std::chrono::milliseconds(150)});  // the store's own limit is 30 s
  EXPECT_THAT(store->Put(ctx, "k", "v"), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("\"k\"")));
}

}  // namespace
}  // namespace daira::blob
