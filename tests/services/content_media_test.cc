// Content::UploadVideo / UploadImage over each SQL backend with a file: blob store (the s3: store's
// behaviour is the blob conformance suite's business): the original is stored, the rows point at it,
// and a failed write leaves neither a row nor a stored file.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/blob/store.h"
#include "daira/services/content.h"
#include "daira/services/media_requests.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_blobs.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

class ContentMediaTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(blob_dir_, daira::testing::TestBlobStore::Create("file"));
    ASSERT_OK_AND_ASSIGN(blobs_, blob::Store::Open(blob_dir_.url));
    deps_.blobs = blobs_.get();
    content_ = std::make_unique<Content>(deps_);
    ASSERT_OK(tdb_->db().Execute(
        ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (7, 'alice', 0, 0)"));
    ASSERT_OK(tdb_->db().Execute(ctx_,
                                 "INSERT INTO user_profiles (user_id, display_name, created_at, updated_at) "
                                 "VALUES (7, 'Alice', 0, 0)"));
    source_ = (std::filesystem::path(blob_dir_.dir).parent_path() /
               absl::StrCat("src-", daira::testing::RandomBlobSuffix(), ".mp4"))
                  .string();
    std::ofstream(source_, std::ios::binary) << std::string(100000, 'v');
  }
  void TearDown() override { std::filesystem::remove(source_); }

  int64_t Count(const std::string& sql) {
    auto rs = tdb_->db().Read(ctx_, sql);
    EXPECT_THAT(rs, IsOk());
    return rs.ok() && !rs->empty() ? rs->front().Int64(0) : -1;
  }

  UploadVideoRequest Video(int64_t author = 7) {
    return UploadVideoRequest{.video = {.author_id = author, .title = "Sunset #nile", .duration_ms = 42000},
                              .source_path = source_,
                              .content_type = "video/mp4"};
  }

  daira::testing::TestBlobStore blob_dir_;
  std::unique_ptr<blob::Store> blobs_;
  std::unique_ptr<Content> content_;
  std::string source_;
};

TEST_P(ContentMediaTest, UploadVideoStoresTheOriginalThenTheRows) {
  ASSERT_OK_AND_ASSIGN(UploadedVideo up, content_->UploadVideo(ctx_, Video()));
  EXPECT_EQ(up.video.status, model::VideoStatus::kUploading);
  EXPECT_EQ(up.original.storage_key, absl::StrCat("videos/", up.video.id.value, "/original.mp4"));
  EXPECT_EQ(up.original.bytes, 100000);
  ASSERT_OK_AND_ASSIGN(blob::ObjectInfo info, blobs_->Stat(ctx_, up.original.storage_key));
  EXPECT_EQ(info.size, 100000);
  EXPECT_EQ(info.content_type, "video/mp4");
  ASSERT_OK_AND_ASSIGN(model::Video v, content_->GetVideo(ctx_, up.video.id));
  EXPECT_EQ(v.title, "Sunset #nile");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM media_assets WHERE id = ", up.original.asset_id,
                               " AND owner_id = 7 AND kind = 'VIDEO' AND status = 'READY' AND bytes = 100000"
                               " AND storage_key = '",
                               up.original.storage_key, "'")),
            1);
}

TEST_P(ContentMediaTest, AFailedInsertLeavesNoRowAndNoStoredFile) {
  // Author 99 does not exist: the video's foreign key fails inside the transaction.
  EXPECT_THAT(content_->UploadVideo(ctx_, Video(99)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("author_id")));
  EXPECT_EQ(Count("SELECT count(*) FROM videos"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM media_assets"), 0);
  ASSERT_OK_AND_ASSIGN(blob::ListPage stored, blobs_->List(ctx_, "videos/"));
  EXPECT_TRUE(stored.objects.empty());
}

TEST_P(ContentMediaTest, UploadVideoValidatesFirstAndWritesNothing) {
  UploadVideoRequest bad = Video();
  bad.content_type = "application/pdf";
  EXPECT_THAT(content_->UploadVideo(ctx_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("content_type")));
  bad = Video();
  bad.video.title = "";
  EXPECT_THAT(content_->UploadVideo(ctx_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  bad = Video();
  bad.source_path = source_ + ".missing";
  EXPECT_THAT(content_->UploadVideo(ctx_, bad),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("upload_video")));
  EXPECT_EQ(Count("SELECT count(*) FROM videos"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM media_assets"), 0);
}

TEST_P(ContentMediaTest, UploadImageFromBytesOrFile) {
  ASSERT_OK_AND_ASSIGN(
      MediaUpload img,
      content_->UploadImage(ctx_, {.owner_id = 7, .bytes = "\x89PNG...", .content_type = "image/png"}));
  EXPECT_EQ(img.storage_key, absl::StrCat("images/7/", img.asset_id, ".png"));
  EXPECT_THAT(blobs_->Get(ctx_, img.storage_key),
              ::testing::Property(&absl::StatusOr<std::string>::ok, true));
  EXPECT_EQ(Count("SELECT count(*) FROM media_assets WHERE kind = 'IMAGE' AND content_type = 'image/png'"),
            1);
  EXPECT_THAT(content_->UploadImage(ctx_, {.owner_id = 7, .source_path = source_, .bytes = "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one")));
  EXPECT_THAT(content_->UploadImage(ctx_, {.owner_id = 99, .bytes = "x"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("owner_id")));
  ASSERT_OK_AND_ASSIGN(blob::ListPage stored, blobs_->List(ctx_, "images/99/"));
  EXPECT_TRUE(stored.objects.empty());
}

TEST_P(ContentMediaTest, WithoutABlobStoreUploadsAreRefused) {
  ServiceDeps no_blobs = deps_;
  no_blobs.blobs = nullptr;
  Content content(no_blobs);
  EXPECT_THAT(content.UploadVideo(ctx_, Video()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("blob store")));
  EXPECT_THAT(content.UploadImage(ctx_, {.owner_id = 7, .bytes = "x"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ContentMediaTest);

}  // namespace
}  // namespace daira::services
