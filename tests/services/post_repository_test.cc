// PostRepository on every SQL backend: field masks over array and enum columns, batch loads in one
// statement, counts, and an author's posts newest first.
#include "daira/services/post_repository.h"

#include <memory>
#include <string>
#include <vector>

#include "daira/query/statement_budget.h"
#include "daira/services/content.h"
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
using model::PostField;
using model::PostRecord;
using ::testing::ElementsAre;

class PostRepositoryTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    content_ = std::make_unique<Content>(deps_);
    posts_ = std::make_unique<PostRepository>(deps_);
    for (int64_t id : {1001, 1002}) {
      ASSERT_OK(tdb_->db()
                    .Execute(ctx_,
                             "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
                             {id, absl::StrCat("u", id), deps_.NowMicros(), deps_.NowMicros()})
                    .status());
    }
  }

  PostId Post(int64_t author, std::string content, std::vector<std::string> media = {}) {
    auto p = content_->CreatePost(
        ctx_, {.author_id = author, .content = std::move(content), .media_urls = std::move(media)});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->id : PostId{};
  }

  std::unique_ptr<Content> content_;
  std::unique_ptr<PostRepository> posts_;
};

TEST_P(PostRepositoryTest, FieldMasksSelectOnlyTheRequestedColumns) {
  const PostId id = Post(1001, "hello #Cats and #dogs @u1002 'quoted' 🌍", {"https://cdn.x.io/a.png"});
  const PostFieldMask mask{PostField::kContent, PostField::kHashtags};
  EXPECT_EQ(PostColumns().SelectList(mask), "id, content, hashtags");
  ASSERT_OK_AND_ASSIGN(PostRecord p, posts_->Get(ctx_, id, mask));
  EXPECT_EQ(p.id, id);
  EXPECT_EQ(p.content, "hello #Cats and #dogs @u1002 'quoted' 🌍");
  ASSERT_TRUE(p.hashtags.has_value());
  EXPECT_THAT(*p.hashtags, ElementsAre("cats", "dogs"));
  EXPECT_FALSE(p.author_id.has_value());
  EXPECT_FALSE(p.media_urls.has_value());
  EXPECT_FALSE(p.mentions.has_value());
  EXPECT_FALSE(p.status.has_value());
  EXPECT_FALSE(p.created_at.has_value());

  ASSERT_OK_AND_ASSIGN(p, posts_->Get(ctx_, id));
  EXPECT_EQ(p.author_id, UserId{1001});
  ASSERT_TRUE(p.media_urls.has_value());
  EXPECT_THAT(*p.media_urls, ElementsAre("https://cdn.x.io/a.png"));
  ASSERT_TRUE(p.mentions.has_value());
  EXPECT_THAT(*p.mentions, ElementsAre(UserId{1002}));
  EXPECT_EQ(p.likes_count, 0);
  EXPECT_EQ(p.status, model::ContentStatus::kActive);
  EXPECT_EQ(p.visibility, model::Visibility::kPublic);
  EXPECT_EQ(p.created_at, clock_.Now());
  EXPECT_FALSE(p.deleted_at.has_value());

  ASSERT_OK_AND_ASSIGN(auto parsed, PostColumns().Parse("likes_count, visibility"));
  EXPECT_EQ(parsed, (PostFieldMask{PostField::kLikesCount, PostField::kVisibility}));
  EXPECT_THAT(posts_->Get(ctx_, PostId{31}),
              StatusIs(absl::StatusCode::kNotFound, "posts: post 31 not found"));
}

TEST_P(PostRepositoryTest, GetManyCountAndAuthorPages) {
  std::vector<PostId> mine;
  for (int i = 0; i < 7; ++i) mine.push_back(Post(1001, absl::StrCat("post ", i)));
  const PostId theirs = Post(1002, "other");

  std::vector<PostId> ask = {mine[4], PostId{5}, theirs, mine[4], mine[0]};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(PostBatch batch, posts_->GetMany(ctx_, ask, PostFieldMask{PostField::kContent}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.posts.size(), 3u);
  EXPECT_EQ(batch.posts[0].content, "post 4");
  EXPECT_EQ(batch.posts[1].content, "other");
  EXPECT_EQ(batch.posts[2].id, mine[0]);
  EXPECT_FALSE(batch.posts[2].likes_count.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(PostId{5}));

  EXPECT_EQ(Must(posts_->Count(ctx_)), 8);
  EXPECT_EQ(Must(posts_->Count(ctx_, {.author_id = UserId{1001}})), 7);
  EXPECT_EQ(Must(posts_->Count(ctx_, {.status = model::ContentStatus::kDeleted})), 0);
  EXPECT_EQ(Must(posts_->Exists(ctx_, theirs)), true);
  EXPECT_EQ(Must(posts_->Exists(ctx_, PostId{5})), false);

  std::vector<PostId> seen;
  query::PageRequest req{.limit = 3};
  for (int page = 0; page < 4; ++page) {
    budget.Reset();
    ASSERT_OK_AND_ASSIGN(auto p, posts_->ListByAuthor(ctx_, UserId{1001}, req, PostFieldMask{}));
    EXPECT_EQ(budget.used(), 1);
    for (const PostRecord& r : p.items) seen.push_back(r.id);
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(seen, std::vector<PostId>(mine.rbegin(), mine.rend()));
  EXPECT_EQ(StatusField(posts_->ListByAuthor(ctx_, UserId{1001}, {.limit = -1}).status()), "limit");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PostRepositoryTest);

}  // namespace
}  // namespace daira::services
