// file:-only behaviour the conformance suite cannot express: symlinks never lead outside the root,
// temp files are invisible and their name prefix reserved, options, and ValidateKey itself.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/blob/store.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_blobs.h"

namespace daira::blob {
namespace {

namespace fs = std::filesystem;
using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / "daira-tests" /
            absl::StrCat("filestore_", daira::testing::RandomBlobSuffix());
    root_ = base_ / "root";
    outside_ = base_ / "outside";
    fs::create_directories(outside_);
    std::ofstream(outside_ / "secret.txt") << "top secret";
    auto s = Store::Open("file:" + root_.string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_, root_, outside_;
  std::unique_ptr<Store> store_;
  RequestContext ctx_;
};

TEST_F(FileStoreTest, TheRootIsCreatedByTheFirstPut) {
  EXPECT_FALSE(fs::exists(root_));  // opening leaves no trace
  EXPECT_THAT(store_->Get(ctx_, "a"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"a\"")));
  EXPECT_THAT(store_->Exists(ctx_, "a"), ::testing::Property(&absl::StatusOr<bool>::value, false));
  ASSERT_OK_AND_ASSIGN(ListPage empty, store_->List(ctx_, ""));
  EXPECT_TRUE(empty.objects.empty());
  EXPECT_THAT(store_->Delete(ctx_, "a"), IsOk());
  ASSERT_THAT(store_->Put(ctx_, "a", "1"), IsOk());
  EXPECT_TRUE(fs::is_directory(root_));
}

TEST_F(FileStoreTest, ADirectorySymlinkIsRefused) {
  fs::create_directories(root_);
  fs::create_directory_symlink(outside_, root_ / "link");
  EXPECT_THAT(store_->Get(ctx_, "link/secret.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("symbolic link \"link\"")));
  EXPECT_THAT(store_->Put(ctx_, "link/planted.txt", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Stat(ctx_, "link/secret.txt"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Delete(ctx_, "link/secret.txt"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(fs::exists(outside_ / "planted.txt"));
  EXPECT_TRUE(fs::exists(outside_ / "secret.txt"));
  // Listing does not follow it either.
  ASSERT_OK_AND_ASSIGN(ListPage page, store_->List(ctx_, ""));
  EXPECT_TRUE(page.objects.empty());
}

TEST_F(FileStoreTest, AFileSymlinkIsRefused) {
  fs::create_directories(root_);
  fs::create_symlink(outside_ / "secret.txt", root_ / "s.txt");
  EXPECT_THAT(store_->Get(ctx_, "s.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("symbolic link")));
  EXPECT_THAT(store_->GetRange(ctx_, "s.txt", 0, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  // A Put replaces the link itself (rename never follows it): the outside file is untouched.
  ASSERT_THAT(store_->Put(ctx_, "s.txt", "mine"), IsOk());
  EXPECT_FALSE(fs::is_symlink(root_ / "s.txt"));
  std::ifstream in(outside_ / "secret.txt");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "top secret");
}

TEST_F(FileStoreTest, TempFilesAreInvisibleAndTheirPrefixReserved) {
  ASSERT_THAT(store_->Put(ctx_, "a/x", "1"), IsOk());
  std::ofstream(root_ / "a" / ".daira-tmp-leftover") << "partial";  // as a crash mid-write leaves it
  ASSERT_OK_AND_ASSIGN(ListPage page, store_->List(ctx_, ""));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "a/x");
  EXPECT_THAT(store_->Put(ctx_, "a/.daira-tmp-x", "1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved")));
}

TEST_F(FileStoreTest, AKeyCannotBeBothObjectAndPrefix) {
  ASSERT_THAT(store_->Put(ctx_, "a/b", "1"), IsOk());
  EXPECT_THAT(store_->Put(ctx_, "a", "2"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("prefix")));
  EXPECT_THAT(store_->Put(ctx_, "a/b/c", "3"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Get(ctx_, "a/b"), ::testing::Property(&absl::StatusOr<std::string>::ok, true));
}

TEST_F(FileStoreTest, ContentTypeComesFromTheExtension) {
  ASSERT_OK_AND_ASSIGN(ObjectInfo mp4,
                       store_->Put(ctx_, "v/Original.MP4", "x", {.content_type = "ignored/type"}));
  EXPECT_EQ(mp4.content_type, "video/mp4");
  ASSERT_OK_AND_ASSIGN(ObjectInfo other, store_->Put(ctx_, "v/blob", "x"));
  EXPECT_EQ(other.content_type, "application/octet-stream");
}

TEST_F(FileStoreTest, Options) {
  EXPECT_THAT(Store::Open("file:" + (base_ / "r2").string() + "?fsync=0"), IsOk());
  EXPECT_THAT(Store::Open("file:" + (base_ / "r3").string() + "?fsync=maybe"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fsync")));
  ASSERT_OK_AND_ASSIGN(auto r4, Store::Open("file:///" + (base_ / "r4").string().substr(1)));
  ASSERT_THAT(r4->Put(ctx_, "k", "v"), IsOk());
  EXPECT_TRUE(fs::exists(base_ / "r4" / "k"));
  EXPECT_THAT(Store::Open("ftp://host/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("file, s3")));
}

TEST(ValidateKeyTest, AcceptsOrdinaryKeys) {
  for (const char* key :
       {"a", "a/b/c.mp4", "videos/42/hls/seg-001.ts", ".hidden", "a..b", "...", "x y/\xc3\xb1"}) {
    EXPECT_THAT(ValidateKey("op", key), IsOk()) << key;
  }
  EXPECT_THAT(ValidateKey("op", std::string(kMaxKeyBytes, 'k')), IsOk());
}

TEST(ValidateKeyTest, RefusesNamingTheKeyAndTheField) {
  const absl::Status s = ValidateKey("blob: put", "a/../b");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blob: put: key \"a/../b\"")));
  EXPECT_EQ(StatusField(s), "key");
  EXPECT_THAT(ValidateKey("op", std::string("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a\\x00b")));
  EXPECT_THAT(ValidateKey("op", std::string(kMaxKeyBytes + 1, 'k')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 1024")));
}

}  // namespace
}  // namespace daira::blob
