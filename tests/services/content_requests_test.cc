#include "daira/services/content_requests.h"

#include "../support/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "request_test_util.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Fields;
using testing::MessageFor;
using testing::Repeat;

TEST(CreatePostRequestTest, ValidRequestsPass) {
  EXPECT_THAT((CreatePostRequest{.author_id = 1, .content = "hello \xF0\x9F\x8C\x8D"}.Validate()), IsOk());
  // Media without text is a valid post.
  EXPECT_THAT((CreatePostRequest{.author_id = 1, .media_urls = {"https://cdn.x.io/a.jpg"}}.Validate()), IsOk());
  EXPECT_THAT((CreatePostRequest{.author_id = 1, .content = Repeat(testing::kCjk, 5000), .visibility = "FOLLOWERS"}
                   .Validate()),
              IsOk());
}

TEST(CreatePostRequestTest, EveryViolationNamed) {
  std::vector<std::string> media(11, "https://cdn.x.io/a.jpg");
  media[3] = "not a url";
  CreatePostRequest r{.author_id = 0, .content = Repeat("x", 5001), .media_urls = media, .visibility = "PUBLIK"};
  absl::Status s = r.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("author_id", "content", "media_urls", "media_urls[3]", "visibility"));
  EXPECT_EQ(MessageFor(s, "media_urls"), "must have at most 10 items (got 11)");
  EXPECT_EQ(MessageFor(s, "visibility"), "must be one of PUBLIC, FOLLOWERS, PRIVATE (got \"PUBLIK\")");
}

TEST(CreatePostRequestTest, ContentRequiredWithoutMedia) {
  EXPECT_THAT(CreatePostRequest{.author_id = 1}.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "create_post: content must not be empty"));
  EXPECT_EQ(MessageFor((CreatePostRequest{.author_id = 1, .content = " \n "}.Validate()), "content"),
            "must not be blank");
  EXPECT_THAT(Fields((CreatePostRequest{.author_id = 1, .content = "a\x01"}.Validate())), ElementsAre("content"));
}

TEST(EditPostRequestTest, Rules) {
  EXPECT_THAT((EditPostRequest{.post_id = 1, .editor_id = 2, .content = "edited"}.Validate()), IsOk());
  EXPECT_THAT((EditPostRequest{.post_id = 1, .editor_id = 2}.Validate()), IsOk());
  EditPostRequest r{.post_id = 0, .editor_id = 0, .content = "", .media_urls = std::vector<std::string>{},
                    .visibility = "SECRET"};
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("post_id", "editor_id", "content", "visibility"));
  EditPostRequest urls{.post_id = 1, .editor_id = 1, .media_urls = std::vector<std::string>{"http://ok.io", "ftp://no"}};
  EXPECT_THAT(Fields(urls.Validate()), ElementsAre("media_urls[1]"));
}

TEST(CreateVideoRequestTest, Rules) {
  CreateVideoRequest good{.author_id = 1, .title = "My trip", .description = "", .duration_ms = 90'000};
  EXPECT_THAT(good.Validate(), IsOk());
  good.duration_ms = kMaxVideoDurationMs;
  EXPECT_THAT(good.Validate(), IsOk());
  CreateVideoRequest bad{.author_id = -1,
                         .title = Repeat("t", 151),
                         .description = Repeat("d", 5001),
                         .duration_ms = kMaxVideoDurationMs + 1,
                         .resolution = "4k",
                         .visibility = "everyone",
                         .thumbnail_url = "thumb.png"};
  absl::Status s = bad.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("author_id", "title", "description", "duration_ms", "resolution", "visibility",
                                     "thumbnail_url"));
  EXPECT_EQ(MessageFor(s, "duration_ms"), "must be between 1 and 14400000 (got 14400001)");
  EXPECT_EQ(MessageFor(s, "resolution"),
            "must be one of 240p, 360p, 480p, 720p, 1080p, 1440p, 2160p (got \"4k\")");
  CreateVideoRequest zero{.author_id = 1, .title = "", .duration_ms = 0};
  EXPECT_THAT(Fields(zero.Validate()), ElementsAre("title", "duration_ms"));
  CreateVideoRequest newline{.author_id = 1, .title = "a\nb", .duration_ms = 1};
  EXPECT_THAT(Fields(newline.Validate()), ElementsAre("title"));
}

TEST(UpdateVideoStatusRequestTest, Rules) {
  EXPECT_THAT((UpdateVideoStatusRequest{.video_id = 1, .status = "PUBLISHED", .hls_url = "https://cdn.x.io/v.m3u8"}
                   .Validate()),
              IsOk());
  EXPECT_THAT((UpdateVideoStatusRequest{.video_id = 1, .status = "FAILED", .error = "ffmpeg exited 1"}.Validate()),
              IsOk());
  absl::Status s =
      UpdateVideoStatusRequest{.video_id = 0, .status = "DONE", .hls_url = "v.m3u8", .error = "x"}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("video_id", "status", "hls_url", "error"));
  EXPECT_EQ(MessageFor(s, "status"), "must be one of UPLOADING, PROCESSING, PUBLISHED, FAILED (got \"DONE\")");
  EXPECT_THAT(Fields((UpdateVideoStatusRequest{.video_id = 1, .status = "FAILED", .error = Repeat("e", 2001)}
                          .Validate())),
              ElementsAre("error"));
}

TEST(CreateCommentRequestTest, ExactlyOneTarget) {
  EXPECT_THAT((CreateCommentRequest{.author_id = 1, .post_id = 5, .content = "nice"}.Validate()), IsOk());
  EXPECT_THAT((CreateCommentRequest{.author_id = 1, .video_id = 5, .parent_id = 9, .content = "nice"}.Validate()),
              IsOk());
  EXPECT_THAT((CreateCommentRequest{.author_id = 1, .content = "nice"}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument, "create_comment: post_id or video_id is required"));
  EXPECT_THAT((CreateCommentRequest{.author_id = 1, .post_id = 1, .video_id = 2, .content = "x"}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "create_comment: video_id must not be given together with post_id"));
}

TEST(CreateCommentRequestTest, EveryViolationNamed) {
  CreateCommentRequest r{.author_id = 0, .post_id = -1, .parent_id = 0, .content = Repeat(testing::kEmoji, 2001)};
  absl::Status s = r.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("author_id", "post_id", "parent_id", "content"));
  EXPECT_EQ(MessageFor(s, "content"), "must be 1 to 2000 characters (got 2001)");
  EXPECT_THAT(s.message(), HasSubstr("parent_id must be a positive id (got 0)"));
  EXPECT_THAT(Fields((CreateCommentRequest{.author_id = 1, .post_id = 1, .content = "\t"}.Validate())),
              ElementsAre("content"));
  // 2000 emoji are fine: 8000 bytes, 2000 characters.
  EXPECT_THAT((CreateCommentRequest{.author_id = 1, .post_id = 1, .content = Repeat(testing::kEmoji, 2000)}
                   .Validate()),
              IsOk());
}

}  // namespace
}  // namespace daira::services
