// Platform::Open wires the blobs concern (file:DIR, s3://…) and hands it out as blobs().
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/config.h"
#include "daira/platform/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform_test_options.h"
#include "status_matchers.h"
#include "test_blobs.h"

namespace daira {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class PlatformBlobsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PlatformBlobsTest, BlobsUrlIsWiredAndUsable) {
  ASSERT_OK_AND_ASSIGN(auto t, daira::testing::TestBlobStore::Create(GetParam()));
  ASSERT_OK_AND_ASSIGN(Config config, Config::FromUrls({"database=sqlite::memory:", "blobs=" + t.url}));
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(config, TestOptions()));
  EXPECT_EQ(platform->blobs().Name(), GetParam());
  RequestContext ctx;
  ASSERT_THAT(platform->blobs().Put(ctx, "videos/1/original.mp4", "bytes", {.content_type = "video/mp4"}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::string back, platform->blobs().Get(ctx, "videos/1/original.mp4"));
  EXPECT_EQ(back, "bytes");
  // Media storage does not depend on the database: it outlives Close().
  ASSERT_THAT(platform->Close(), IsOk());
  EXPECT_THAT(platform->blobs().Exists(ctx, "videos/1/original.mp4"),
              ::testing::Property(&absl::StatusOr<bool>::ok, true));
}

INSTANTIATE_TEST_SUITE_P(Blob, PlatformBlobsTest, ::testing::ValuesIn(daira::testing::BlobBackends()),
                         daira::testing::BackendName());

TEST(PlatformBlobsOpenTest, TheDefaultIsAFileStoreThatLeavesNoTraceUntilUsed) {
  const std::filesystem::path cwd_blobs = std::filesystem::absolute("./daira-blobs");
  const bool existed = std::filesystem::exists(cwd_blobs);
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open("sqlite::memory:", TestOptions()));
  EXPECT_EQ(platform->blobs().Name(), "file");
  EXPECT_EQ(std::filesystem::exists(cwd_blobs), existed);
}

TEST(PlatformBlobsOpenTest, ABadBlobsUrlFailsAtOpenNamingTheOptionNotTheSecret) {
  ASSERT_OK_AND_ASSIGN(Config config,
                       Config::FromUrls({"database=sqlite::memory:",
                                         "blobs=s3://media?access_key=AK&secret_key=S3CR3T&part_size=1"}));
  auto opened = Platform::Open(config, TestOptions());
  EXPECT_THAT(opened.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("part_size")));
  EXPECT_THAT(opened.status().message(), HasSubstr("blobs"));
  EXPECT_THAT(opened.status().message(), Not(HasSubstr("S3CR3T")));
}

}  // namespace
}  // namespace daira
