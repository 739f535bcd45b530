// VideoRepository and CommentRepository on every SQL backend: field masks over array, nullable and enum
// columns, batch loads in one statement, counts, and keyset lists.
#include <memory>
#include <string>
#include <vector>

#include "daira/query/statement_budget.h"
#include "daira/services/comment_repository.h"
#include "daira/services/video_repository.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "migrated_test_base.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using model::CommentField;
using model::CommentRecord;
using model::VideoField;
using model::VideoRecord;
using ::testing::ElementsAre;

class ContentRepositoriesTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    videos_ = std::make_unique<VideoRepository>(deps_);
    comments_ = std::make_unique<CommentRepository>(deps_);
    for (int64_t id : {1001, 1002}) {
      Exec("INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
           {id, absl::StrCat("u", id), Now(), Now()});
    }
    Exec("INSERT INTO posts (id, author_id, content, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
         {kPost, int64_t{1001}, "a post", Now(), Now()});
  }

  void Exec(std::string_view sql, std::vector<store::Value> params) {
    ASSERT_OK(tdb_->db().Execute(ctx_, sql, params).status()) << sql;
  }
  int64_t Now() { return deps_.NowMicros(); }

  VideoId MakeVideo(int64_t id, int64_t author, std::string title) {
    Exec(
        "INSERT INTO videos (id, author_id, title, hashtags, hls_url, status, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'PUBLISHED', ?, ?)",
        {id, author, std::move(title), std::vector<std::string>{"cats", "عربي"},
         absl::StrCat("https://cdn.x.io/", id, ".m3u8"), Now(), Now()});
    return VideoId{id};
  }
  CommentId MakeComment(int64_t id, std::optional<int64_t> post, std::optional<int64_t> video,
                        std::optional<int64_t> parent, std::string content) {
    auto opt = [](std::optional<int64_t> v) { return v ? store::Value(*v) : store::Value(); };
    Exec(
        "INSERT INTO comments (id, post_id, video_id, parent_id, author_id, content, mentions, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 1002, ?, ?, ?, ?)",
        {id, opt(post), opt(video), opt(parent), std::move(content), std::vector<int64_t>{1001}, Now(),
         Now()});
    return CommentId{id};
  }

  static constexpr int64_t kPost = 500;
  std::unique_ptr<VideoRepository> videos_;
  std::unique_ptr<CommentRepository> comments_;
};

TEST_P(ContentRepositoriesTest, VideoMasksBatchesCountsAndPages) {
  std::vector<VideoId> mine;
  for (int i = 0; i < 5; ++i) mine.push_back(MakeVideo(2000 + i, 1001, absl::StrCat("v", i, " 'q' 🌍")));
  const VideoId theirs = MakeVideo(3000, 1002, "other");

  const VideoFieldMask mask{VideoField::kTitle, VideoField::kHashtags};
  EXPECT_EQ(VideoColumns().SelectList(mask), "id, title, hashtags");
  ASSERT_OK_AND_ASSIGN(VideoRecord v, videos_->Get(ctx_, mine[1], mask));
  EXPECT_EQ(v.title, "v1 'q' 🌍");
  ASSERT_TRUE(v.hashtags.has_value());
  EXPECT_THAT(*v.hashtags, ElementsAre("cats", "عربي"));
  EXPECT_FALSE(v.hls_url.has_value());
  EXPECT_FALSE(v.status.has_value());
  ASSERT_OK_AND_ASSIGN(v, videos_->Get(ctx_, mine[1]));
  EXPECT_EQ(v.status, model::VideoStatus::kPublished);
  EXPECT_EQ(v.visibility, model::Visibility::kPublic);
  EXPECT_EQ(v.hls_url, "https://cdn.x.io/2001.m3u8");
  EXPECT_FALSE(v.thumbnail_url.has_value());  // NULL
  EXPECT_EQ(v.duration_ms, 0);
  EXPECT_EQ(v.created_at, clock_.Now());
  EXPECT_THAT(videos_->Get(ctx_, VideoId{9}),
              StatusIs(absl::StatusCode::kNotFound, "videos: video 9 not found"));

  std::vector<VideoId> ask = {theirs, VideoId{9}, mine[0], theirs};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(VideoBatch batch, videos_->GetMany(ctx_, ask, VideoFieldMask{VideoField::kAuthorId}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.videos.size(), 2u);
  EXPECT_EQ(batch.videos[0].author_id, UserId{1002});
  EXPECT_EQ(batch.videos[1].id, mine[0]);
  EXPECT_FALSE(batch.videos[1].title.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(VideoId{9}));

  EXPECT_EQ(Must(videos_->Count(ctx_)), 6);
  EXPECT_EQ(Must(videos_->Count(ctx_, {.author_id = UserId{1001}, .status = model::VideoStatus::kPublished})),
            5);
  EXPECT_EQ(Must(videos_->Count(ctx_, {.status = model::VideoStatus::kFailed})), 0);
  EXPECT_EQ(Must(videos_->Exists(ctx_, theirs)), true);

  ASSERT_OK_AND_ASSIGN(auto page, videos_->ListByAuthor(ctx_, UserId{1001}, {.limit = 3}, VideoFieldMask{}));
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].id, mine[4]);
  ASSERT_OK_AND_ASSIGN(page,
                       videos_->ListByAuthor(ctx_, UserId{1001}, {.limit = 3, .cursor = page.next_cursor}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[1].id, mine[0]);
  EXPECT_TRUE(page.next_cursor.empty());
}

TEST_P(ContentRepositoriesTest, CommentMasksBatchesCountsAndThreads) {
  const VideoId video = MakeVideo(2000, 1001, "v");
  const CommentId top = MakeComment(4000, kPost, {}, {}, "top '; DROP TABLE comments; --");
  const CommentId r1 = MakeComment(4001, kPost, {}, top.value, "reply 1 مرحبا");
  const CommentId r2 = MakeComment(4002, kPost, {}, top.value, "reply 2");
  const CommentId on_video = MakeComment(4003, {}, video.value, {}, "on the video");

  const CommentFieldMask mask{CommentField::kContent, CommentField::kMentions};
  ASSERT_OK_AND_ASSIGN(CommentRecord c, comments_->Get(ctx_, top, mask));
  EXPECT_EQ(c.content, "top '; DROP TABLE comments; --");
  ASSERT_TRUE(c.mentions.has_value());
  EXPECT_THAT(*c.mentions, ElementsAre(UserId{1001}));
  EXPECT_FALSE(c.post_id.has_value());
  EXPECT_FALSE(c.author_id.has_value());
  ASSERT_OK_AND_ASSIGN(c, comments_->Get(ctx_, r1));
  EXPECT_EQ(c.post_id, PostId{kPost});
  EXPECT_FALSE(c.video_id.has_value());  // NULL
  EXPECT_EQ(c.parent_id, top);
  EXPECT_EQ(c.author_id, UserId{1002});
  EXPECT_EQ(c.status, model::ContentStatus::kActive);
  EXPECT_EQ(c.content, "reply 1 مرحبا");
  ASSERT_OK_AND_ASSIGN(c, comments_->Get(ctx_, on_video));
  EXPECT_EQ(c.video_id, video);
  EXPECT_FALSE(c.post_id.has_value());
  EXPECT_FALSE(c.parent_id.has_value());
  EXPECT_THAT(comments_->Get(ctx_, CommentId{1}),
              StatusIs(absl::StatusCode::kNotFound, "comments: comment 1 not found"));

  std::vector<CommentId> ask = {r2, CommentId{1}, top, r2};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(CommentBatch batch, comments_->GetMany(ctx_, ask, CommentFieldMask{}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.comments.size(), 2u);
  EXPECT_EQ(batch.comments[0].id, r2);
  EXPECT_EQ(batch.comments[1].id, top);
  EXPECT_FALSE(batch.comments[0].content.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(CommentId{1}));

  EXPECT_EQ(Must(comments_->Count(ctx_)), 4);
  EXPECT_EQ(Must(comments_->Count(ctx_, {.post_id = PostId{kPost}})), 3);
  EXPECT_EQ(Must(comments_->Count(ctx_, {.video_id = video, .author_id = UserId{1002}})), 1);
  EXPECT_EQ(Must(comments_->Exists(ctx_, r1)), true);

  ASSERT_OK_AND_ASSIGN(auto page, comments_->ListByPost(ctx_, PostId{kPost}, {.limit = 2}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, top);  // oldest first
  EXPECT_EQ(page.items[1].id, r1);
  ASSERT_OK_AND_ASSIGN(page,
                       comments_->ListByPost(ctx_, PostId{kPost}, {.limit = 2, .cursor = page.next_cursor}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, r2);
  ASSERT_OK_AND_ASSIGN(page, comments_->ListReplies(ctx_, top, {.limit = 10}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[1].id, r2);
  ASSERT_OK_AND_ASSIGN(page, comments_->ListByVideo(ctx_, video, {.limit = 10}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, on_video);
  // A cursor of the post's list is refused by the replies list.
  ASSERT_OK_AND_ASSIGN(page, comments_->ListByPost(ctx_, PostId{kPost}, {.limit = 1}));
  EXPECT_EQ(StatusField(comments_->ListReplies(ctx_, top, {.limit = 1, .cursor = page.next_cursor}).status()),
            "cursor");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ContentRepositoriesTest);

}  // namespace
}  // namespace daira::services
