// Conformance of blob::Store across backends (/file, /s3): put/get/stat/exists/delete, listing by
// prefix with pages, range reads, key validation and path escape, large objects (a 20 MB streamed put:
// multipart on s3), missing objects, wrong credentials, URLs. Only the blob::Store API is used.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/blob/store.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "test_blobs.h"

namespace daira::blob {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestBlobStore;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

MATCHER_P(HoldsValue, expected, "is OK and holds " + ::testing::PrintToString(expected)) {
  if (!arg.ok()) {
    *result_listener << "status " << arg.status();
    return false;
  }
  return *arg == expected;
}

std::vector<std::string> Keys(const ListPage& page) {
  std::vector<std::string> out;
  for (const auto& o : page.objects) out.push_back(o.key);
  return out;
}

// Deterministic bytes: every byte value, in a pattern that differs at every offset modulo 251.
std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

class BlobConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto t = TestBlobStore::Create(GetParam(), s3_extra());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    t_ = std::make_unique<TestBlobStore>(std::move(*t));
    auto store = Store::Open(t_->url);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    for (const std::string& f : temp_files_) std::remove(f.c_str());
  }

  // Small parts on s3 so that the 20 MB object takes several (S3's minimum part is 5 MiB).
  static std::string s3_extra() { return "part_size=5242880&multipart_threshold=8388608"; }
  bool is_s3() const { return GetParam() == "s3"; }
  Store& store() { return *store_; }

  std::string TempFile(const std::string& contents) {
    std::string path = (std::filesystem::temp_directory_path() /
                        absl::StrCat("daira-blob-src-", getpid(), "-", temp_files_.size(), "-",
                                     daira::testing::RandomBlobSuffix()))
                           .string();
    std::ofstream(path, std::ios::binary)
        .write(contents.data(), static_cast<std::streamsize>(contents.size()));
    temp_files_.push_back(path);
    return path;
  }

  RequestContext ctx_;
  std::unique_ptr<TestBlobStore> t_;
  std::unique_ptr<Store> store_;
  std::vector<std::string> temp_files_;
};

TEST_P(BlobConformanceTest, NameIsTheScheme) { EXPECT_EQ(store().Name(), GetParam()); }

TEST_P(BlobConformanceTest, PutGetStatExistsDelete) {
  ASSERT_OK_AND_ASSIGN(ObjectInfo put, store().Put(ctx_, "a/b/c.txt", "hello"));
  EXPECT_EQ(put.key, "a/b/c.txt");
  EXPECT_EQ(put.size, 5);
  EXPECT_THAT(put.etag, Not(IsEmpty()));
  EXPECT_THAT(store().Get(ctx_, "a/b/c.txt"), HoldsValue("hello"));
  EXPECT_THAT(store().Exists(ctx_, "a/b/c.txt"), HoldsValue(true));
  ASSERT_OK_AND_ASSIGN(ObjectInfo st, store().Stat(ctx_, "a/b/c.txt"));
  EXPECT_EQ(st.size, 5);
  EXPECT_EQ(st.key, "a/b/c.txt");
  EXPECT_THAT(st.etag, Not(IsEmpty()));
  EXPECT_GT(st.modified.time_since_epoch().count(), 0);

  // Replacing changes the content (and the etag).
  ASSERT_OK_AND_ASSIGN(ObjectInfo put2, store().Put(ctx_, "a/b/c.txt", "goodbye!"));
  EXPECT_THAT(store().Get(ctx_, "a/b/c.txt"), HoldsValue("goodbye!"));
  EXPECT_NE(put2.etag, put.etag);

  ASSERT_THAT(store().Delete(ctx_, "a/b/c.txt"), IsOk());
  EXPECT_THAT(store().Exists(ctx_, "a/b/c.txt"), HoldsValue(false));
  EXPECT_THAT(store().Delete(ctx_, "a/b/c.txt"), IsOk());  // idempotent
}

TEST_P(BlobConformanceTest, EmptyAndBinaryObjectsRoundTrip) {
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  ASSERT_THAT(store().Put(ctx_, "empty", ""), IsOk());
  ASSERT_THAT(store().Put(ctx_, "bytes.bin", every_byte), IsOk());
  EXPECT_THAT(store().Get(ctx_, "empty"), HoldsValue(""));
  EXPECT_THAT(store().Get(ctx_, "bytes.bin"), HoldsValue(every_byte));
  ASSERT_OK_AND_ASSIGN(ObjectInfo st, store().Stat(ctx_, "empty"));
  EXPECT_EQ(st.size, 0);
}

TEST_P(BlobConformanceTest, KeysWithSpacesAndUnicode) {
  const std::string key = "media/My Photo (1) \xc3\xb1+&=.png";
  ASSERT_THAT(store().Put(ctx_, key, "x"), IsOk());
  EXPECT_THAT(store().Get(ctx_, key), HoldsValue("x"));
  ASSERT_OK_AND_ASSIGN(ListPage page, store().List(ctx_, "media/"));
  EXPECT_THAT(Keys(page), ElementsAre(key));
}

TEST_P(BlobConformanceTest, ContentType) {
  ASSERT_THAT(store().Put(ctx_, "img/x.png", "\x89PNG", {.content_type = "image/png"}), IsOk());
  ASSERT_OK_AND_ASSIGN(ObjectInfo st, store().Stat(ctx_, "img/x.png"));
  EXPECT_EQ(st.content_type, "image/png");
}

TEST_P(BlobConformanceTest, RangeReads) {
  const std::string data = Pattern(1000);
  ASSERT_THAT(store().Put(ctx_, "r.bin", data), IsOk());
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", 0, 10), HoldsValue(data.substr(0, 10)));
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", 500, 1), HoldsValue(data.substr(500, 1)));
  // A range past the end is cut at the end.
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", 990, 100), HoldsValue(data.substr(990)));
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", 0, 1000), HoldsValue(data));
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", 1000, 1), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", -1, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset")));
  EXPECT_THAT(store().GetRange(ctx_, "r.bin", 0, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("length")));
  EXPECT_THAT(store().GetRange(ctx_, "missing.bin", 0, 1),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.bin")));
}

TEST_P(BlobConformanceTest, ListByPrefixInPages) {
  for (const char* k : {"p/b", "p/a", "p/c/d", "q/x", "pz"}) ASSERT_THAT(store().Put(ctx_, k, k), IsOk());
  ASSERT_OK_AND_ASSIGN(ListPage all, store().List(ctx_, ""));
  EXPECT_THAT(Keys(all), ElementsAre("p/a", "p/b", "p/c/d", "pz", "q/x"));
  EXPECT_THAT(all.next_token, IsEmpty());
  EXPECT_EQ(all.objects[0].size, 3);

  ASSERT_OK_AND_ASSIGN(ListPage under_p, store().List(ctx_, "p/"));
  EXPECT_THAT(Keys(under_p), ElementsAre("p/a", "p/b", "p/c/d"));
  ASSERT_OK_AND_ASSIGN(ListPage starts_p, store().List(ctx_, "p"));
  EXPECT_THAT(Keys(starts_p), ElementsAre("p/a", "p/b", "p/c/d", "pz"));

  ASSERT_OK_AND_ASSIGN(ListPage first, store().List(ctx_, "p/", {.limit = 2}));
  EXPECT_THAT(Keys(first), ElementsAre("p/a", "p/b"));
  ASSERT_THAT(first.next_token, Not(IsEmpty()));
  ASSERT_OK_AND_ASSIGN(ListPage second,
                       store().List(ctx_, "p/", {.page_token = first.next_token, .limit = 2}));
  EXPECT_THAT(Keys(second), ElementsAre("p/c/d"));
  EXPECT_THAT(second.next_token, IsEmpty());

  ASSERT_OK_AND_ASSIGN(ListPage none, store().List(ctx_, "nothing/here/"));
  EXPECT_THAT(none.objects, IsEmpty());
  EXPECT_THAT(store().List(ctx_, "", {.limit = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(store().List(ctx_, "", {.limit = 1001}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BlobConformanceTest, BadKeysAreRefusedNamingTheKey) {
  const std::vector<std::string> bad = {"",
                                        "../escape",
                                        "a/../../escape",
                                        "/etc/passwd",
                                        "a//b",
                                        "a/./b",
                                        "trailing/",
                                        "back\\slash",
                                        std::string("nul\0x", 5),
                                        std::string(kMaxKeyBytes + 1, 'k')};
  for (const std::string& key : bad) {
    SCOPED_TRACE(key);
    EXPECT_THAT(store().Put(ctx_, key, "x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key")));
    EXPECT_THAT(store().Get(ctx_, key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().GetRange(ctx_, key, 0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Stat(ctx_, key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Exists(ctx_, key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Delete(ctx_, key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Url(ctx_, key, std::chrono::minutes(5)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(
      store().Put(ctx_, "../escape", "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key \"../escape\" has a '..' segment")));
  if (!t_->dir.empty()) {  // file: nothing was written beside the root
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(t_->dir).parent_path() / "escape"));
  }
  ASSERT_OK_AND_ASSIGN(ListPage all, store().List(ctx_, ""));
  EXPECT_THAT(all.objects, IsEmpty());
}

TEST_P(BlobConformanceTest, MissingObjectIsNotFoundNamingTheKey) {
  EXPECT_THAT(store().Get(ctx_, "no/such/key"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no/such/key")));
  EXPECT_THAT(store().Stat(ctx_, "no/such/key"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no/such/key")));
  EXPECT_THAT(store().Exists(ctx_, "no/such/key"), HoldsValue(false));
  if (is_s3()) {
    EXPECT_THAT(store().Get(ctx_, "no/such/key"),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr(t_->bucket)));
  }
  // A prefix of stored keys is not itself an object.
  ASSERT_THAT(store().Put(ctx_, "dir/file", "x"), IsOk());
  EXPECT_THAT(store().Get(ctx_, "dir"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Exists(ctx_, "dir"), HoldsValue(false));
}

TEST_P(BlobConformanceTest, LargeStreamedPutFile) {
  // 20 MB: on s3 (5 MiB parts above 8 MiB) a 4-part multipart upload; on file: a streamed copy.
  const std::string data = Pattern(20 * 1000 * 1000);
  const std::string path = TempFile(data);
  ASSERT_OK_AND_ASSIGN(ObjectInfo put,
                       store().PutFile(ctx_, "videos/1/original.mp4", path, {.content_type = "video/mp4"}));
  EXPECT_EQ(put.size, static_cast<int64_t>(data.size()));
  ASSERT_OK_AND_ASSIGN(ObjectInfo st, store().Stat(ctx_, "videos/1/original.mp4"));
  EXPECT_EQ(st.size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(st.content_type, "video/mp4");
  ASSERT_OK_AND_ASSIGN(std::string back, store().Get(ctx_, "videos/1/original.mp4"));
  EXPECT_TRUE(back == data) << "20 MB object differs after the round trip (size " << back.size() << ")";
  // A range across the first part boundary (5 MiB).
  const int64_t boundary = 5 << 20;
  EXPECT_THAT(store().GetRange(ctx_, "videos/1/original.mp4", boundary - 10, 20),
              HoldsValue(data.substr(boundary - 10, 20)));
}

TEST_P(BlobConformanceTest, LargePutFromBytes) {
  const std::string data = Pattern(9 * 1000 * 1000);  // above the 8 MiB threshold on s3: two parts
  ASSERT_THAT(store().Put(ctx_, "big.bin", data), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string back, store().Get(ctx_, "big.bin"));
  EXPECT_TRUE(back == data);
}

TEST_P(BlobConformanceTest, PutFileOfAMissingPathLeavesTheObjectUnchanged) {
  ASSERT_THAT(store().Put(ctx_, "keep", "old"), IsOk());
  EXPECT_THAT(store().PutFile(ctx_, "keep", "/nonexistent/daira/source.bin"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/daira/source.bin")));
  EXPECT_THAT(store().Get(ctx_, "keep"), HoldsValue("old"));
}

TEST_P(BlobConformanceTest, WrongSecretIsAClearError) {
  if (!is_s3()) {
    // file: has no credentials: the store refuses credential options rather than ignoring them.
    EXPECT_THAT(Store::Open(t_->url + "?secret_key=wrong"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("secret_key")));
    return;
  }
  ASSERT_THAT(store().Put(ctx_, "k", "v"), IsOk());
  std::string url = t_->url;
  const size_t at = url.find("&secret_key=");
  const size_t end = url.find('&', at + 1);
  url.replace(at, end - at, "&secret_key=wrong-secret-value");
  url.replace(url.find("&create_bucket=1"), 16, "");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> wrong, Store::Open(url));
  const auto put = wrong->Put(ctx_, "k2", "v");
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("SignatureDoesNotMatch")));
  EXPECT_THAT(put.status().message(), HasSubstr("\"k2\""));
  EXPECT_THAT(put.status().message(), HasSubstr(t_->bucket));
  EXPECT_THAT(put.status().message(), Not(HasSubstr("wrong-secret-value")));
  EXPECT_THAT(wrong->Get(ctx_, "k"), StatusIs(absl::StatusCode::kUnauthenticated));
  // Nothing was written with the wrong secret.
  EXPECT_THAT(store().Exists(ctx_, "k2"), HoldsValue(false));
}

TEST_P(BlobConformanceTest, UnreachableStoreIsUnavailable) {
  if (!is_s3()) {
    // file: cannot be unreachable; a root that is a regular file is refused at open.
    const std::string file = TempFile("not a directory");
    EXPECT_THAT(Store::Open("file:" + file),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(file)));
    return;
  }
  // Port 1 on loopback: connection refused at once.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> down,
                       Store::Open(absl::StrCat("s3://", t_->bucket,
                                                "?endpoint=http://127.0.0.1:1&access_key=a&"
                                                "secret_key=b&connect_timeout_ms=2000")));
  EXPECT_THAT(down->Get(ctx_, "k"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1:1")));
}

TEST_P(BlobConformanceTest, UrlForAnObject) {
  ASSERT_THAT(store().Put(ctx_, "u/a b.txt", "content"), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string url, store().Url(ctx_, "u/a b.txt", std::chrono::minutes(10)));
  if (is_s3()) {
    EXPECT_THAT(url, ::testing::StartsWith(absl::StrCat(t_->endpoint, "/", t_->bucket, "/u/a%20b.txt?")));
    EXPECT_THAT(url, HasSubstr("X-Amz-Expires=600"));
    EXPECT_THAT(url, HasSubstr("X-Amz-Signature="));
    EXPECT_THAT(url, Not(HasSubstr(::daira::testing::EnvOr("DAIRA_TEST_S3_SECRET_KEY"))));
    // Fetched for real (and tampered with) in tests/blob/s3_live_test.cc; the signature is also proven
    // by tests/blob/sigv4_test.cc (SigV4Test.PresignedUrlExample, AWS's published presigned-URL example).
    EXPECT_THAT(store().Url(ctx_, "u/a b.txt", std::chrono::seconds(0)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expiry")));
    EXPECT_THAT(store().Url(ctx_, "u/a b.txt", std::chrono::hours(24 * 8)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expiry")));
  } else {
    EXPECT_EQ(url, absl::StrCat("file://", std::filesystem::canonical(t_->dir).string(), "/u/a%20b.txt"));
  }
}

// file:DIR/media and s3://bucket/media: a store rooted below another sees only its own keys.
TEST_P(BlobConformanceTest, AStoreWithAPrefixSeesOnlyItsKeys) {
  std::string sub_url = t_->url;
  if (is_s3()) {
    sub_url.insert(sub_url.find('?'), "/media");
  } else {
    sub_url += "/media";
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> sub, Store::Open(sub_url));
  ASSERT_THAT(store().Put(ctx_, "outside", "o"), IsOk());
  ASSERT_THAT(sub->Put(ctx_, "v/a.mp4", "a"), IsOk());
  EXPECT_THAT(store().Get(ctx_, "media/v/a.mp4"), HoldsValue("a"));
  ASSERT_OK_AND_ASSIGN(ListPage mine, sub->List(ctx_, ""));
  EXPECT_THAT(Keys(mine), ElementsAre("v/a.mp4"));
  ASSERT_OK_AND_ASSIGN(ListPage all, store().List(ctx_, ""));
  EXPECT_THAT(Keys(all), ElementsAre("media/v/a.mp4", "outside"));
  EXPECT_THAT(sub->Exists(ctx_, "outside"), HoldsValue(false));
}

TEST_P(BlobConformanceTest, UnknownOptionIsRefusedNamingIt) {
  const std::string url = t_->url + (is_s3() ? "&colour=blue" : "?colour=blue");
  EXPECT_THAT(Store::Open(url), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
}

INSTANTIATE_TEST_SUITE_P(Blob, BlobConformanceTest, ::testing::ValuesIn(::daira::testing::BlobBackends()),
                         ::daira::testing::BackendName());

}  // namespace
}  // namespace daira::blob
