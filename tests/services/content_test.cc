// Content service: entity extraction, posts, videos, comments (both SQL backends).
#include "daira/services/content.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/text_entities.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ------------------------------------------------------------------------------------ text entities

TEST(TextEntitiesTest, HashtagsAreFoldedDedupedAndOrdered) {
  auto e = internal::ExtractEntities("Sunset at #Alexandria #sunset and #SUNSET again, #Alexandria!");
  EXPECT_THAT(e.hashtags, ElementsAre("alexandria", "sunset"));
  EXPECT_THAT(e.mentions, IsEmpty());
}

TEST(TextEntitiesTest, UnicodeHashtags) {
  auto e = internal::ExtractEntities("#القاهرة #Ünïcödé #東京 #हिन्दी #ΑΘΗΝΑ #snake_case #Zoë🌍 #日本語。");
  EXPECT_THAT(e.hashtags, ElementsAre("القاهرة", "ünïcödé", "東京", "हिन्दी", "αθηνα", "snake_case", "zoë", "日本語"));
}

TEST(TextEntitiesTest, PunctuationEndsATag) {
  auto e = internal::ExtractEntities("(#one), #two. #three? #four's \"#five\" #six—#seven");
  EXPECT_THAT(e.hashtags, ElementsAre("one", "two", "three", "four", "five", "six", "seven"));
}

TEST(TextEntitiesTest, NotTags) {
  // Digits only, mid-word, HTML entities, a lone '#', and '#' inside URLs.
  auto e = internal::ExtractEntities(
      "#2024 c#sharp &#39; # ## see https://example.com/page#section and www.x.io/#/route and http://a.b/#Tag");
  EXPECT_THAT(e.hashtags, IsEmpty());
  // A run longer than 100 characters is not a tag (never truncated into another one).
  EXPECT_THAT(internal::ExtractEntities("#" + std::string(101, 'a')).hashtags, IsEmpty());
  EXPECT_THAT(internal::ExtractEntities("#" + std::string(100, 'a')).hashtags, ElementsAre(std::string(100, 'a')));
  EXPECT_THAT(internal::ExtractEntities("#" + std::string(60, 'x') + std::string(50, 'y')).hashtags, IsEmpty());
  // 100 characters of 3 bytes each is still 100 characters.
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "東";
  EXPECT_THAT(internal::ExtractEntities("#" + wide).hashtags, ElementsAre(wide));
}

TEST(TextEntitiesTest, Mentions) {
  auto e = internal::ExtractEntities("hi @Alice and @bob_2, cc @alice; mail carol@example.com or @dave.");
  EXPECT_THAT(e.mentions, ElementsAre("alice", "bob_2", "dave"));
  EXPECT_THAT(internal::ExtractEntities("a@b.com x.y@z.org @@eve /@frank").mentions, IsEmpty());
  EXPECT_THAT(internal::ExtractEntities("@zoë is not a username, @" + std::string(65, 'a') + " neither").mentions,
              IsEmpty());
  EXPECT_THAT(internal::ExtractEntities("(@ann) «@ben» @cat:").mentions, ElementsAre("ann", "ben", "cat"));
  EXPECT_THAT(internal::ExtractEntities("https://x.io/@someone").mentions, IsEmpty());
}

TEST(TextEntitiesTest, InvalidUtf8IsHarmless) {
  auto e = internal::ExtractEntities(std::string("#ok\xC0\x80 #fine \xFF@me"));
  EXPECT_THAT(e.hashtags, ElementsAre("ok", "fine"));
  EXPECT_THAT(e.mentions, ElementsAre("me"));
}

TEST(TextEntitiesTest, NormalizeHashtag) {
  EXPECT_EQ(internal::NormalizeHashtag("#Cairo"), "cairo");
  EXPECT_EQ(internal::NormalizeHashtag("ÉTÉ"), "été");
  EXPECT_EQ(internal::NormalizeHashtag("two words"), "");
  EXPECT_EQ(internal::NormalizeHashtag("#"), "");
  EXPECT_EQ(internal::NormalizeHashtag("123"), "");
}

// ------------------------------------------------------------------------------------ the service

class ContentTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    content_ = std::make_unique<Content>(ServiceDeps{.db = &db()});
  }
  store::Database& db() { return tdb_->db(); }

  int64_t AddUser(const std::string& name) {
    const int64_t id = ++next_user_;
    EXPECT_OK(db().Execute(ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, 0, 0)",
                           {id, name}));
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO user_profiles (user_id, display_name, created_at, updated_at) VALUES (?, ?, 0, 0)",
                           {id, "Name " + name}));
    return id;
  }
  int64_t Scalar(const std::string& sql, std::vector<store::Value> params = {}) {
    auto rs = db().Read(ctx_, sql, params);
    EXPECT_OK(rs);
    if (!rs.ok() || rs->empty()) return -1;
    return rs->front().Int64(0);
  }
  int64_t ProfileCount(int64_t user, const std::string& col) {
    return Scalar("SELECT " + col + " FROM user_profiles WHERE user_id = ?", {user});
  }
  int64_t TagCount(const std::string& tag) {
    return Scalar("SELECT posts_count FROM hashtags WHERE tag = ?", {tag});
  }
  int64_t TagLinks(const std::string& tag) {
    return Scalar("SELECT COUNT(*) FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id WHERE h.tag = ?",
                  {tag});
  }
  // Every hashtag's posts_count equals its links, which are all to ACTIVE posts.
  void ExpectHashtagCountersExact() {
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM hashtags h WHERE posts_count <> "
                     "(SELECT COUNT(*) FROM post_hashtags ph WHERE ph.hashtag_id = h.id)"),
              0);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM post_hashtags ph JOIN posts p ON p.id = ph.post_id "
                     "WHERE p.status <> 'ACTIVE'"),
              0);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM user_profiles pr WHERE posts_count <> "
                     "(SELECT COUNT(*) FROM posts p WHERE p.author_id = pr.user_id AND p.status = 'ACTIVE')"),
              0);
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Content> content_;
  int64_t next_user_ = 1000;
};

TEST_P(ContentTest, CreatePostExtractsEntitiesAndCounts) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Post p,
                       content_->CreatePost(ctx_, {.author_id = alice,
                                                   .content = "Hello #Cairo #nile @Bob @ghost @alice #cairo",
                                                   .media_urls = {"https://cdn.x/1.jpg"}}));
  EXPECT_TRUE(p.id.valid());
  EXPECT_EQ(p.author_id, UserId(alice));
  EXPECT_THAT(p.hashtags, ElementsAre("cairo", "nile"));
  EXPECT_THAT(p.mentions, ElementsAre(UserId(bob), UserId(alice)));  // @ghost does not exist
  EXPECT_THAT(p.media_urls, ElementsAre("https://cdn.x/1.jpg"));
  EXPECT_EQ(p.status, model::ContentStatus::kActive);
  EXPECT_EQ(p.visibility, model::Visibility::kPublic);
  EXPECT_EQ(ProfileCount(alice, "posts_count"), 1);
  EXPECT_EQ(TagCount("cairo"), 1);
  EXPECT_EQ(TagLinks("nile"), 1);
  EXPECT_GT(Scalar("SELECT last_used_at FROM hashtags WHERE tag = 'cairo'"), 0);

  ASSERT_OK_AND_ASSIGN(model::Post again, content_->GetPost(ctx_, p.id));
  EXPECT_EQ(again.content, p.content);
  EXPECT_THAT(again.mentions, ElementsAre(UserId(bob), UserId(alice)));

  ASSERT_OK(content_->CreatePost(ctx_, {.author_id = bob, .content = "#cairo again"}));
  EXPECT_EQ(TagCount("cairo"), 2);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM hashtags"), 2);
  ExpectHashtagCountersExact();
}

TEST_P(ContentTest, CreatePostValidationWritesNothing) {
  const int64_t alice = AddUser("alice");
  absl::Status s = content_->CreatePost(ctx_, {.author_id = alice, .content = "   ", .visibility = "SECRET"}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> fields;
  for (const Violation& v : StatusViolations(s)) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("content", "visibility"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM posts"), 0);
  EXPECT_EQ(ProfileCount(alice, "posts_count"), 0);

  EXPECT_THAT(content_->CreatePost(ctx_, {.author_id = 424242, .content = "#orphan"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("author_id")));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM posts"), 0);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM hashtags"), 0);
}

TEST_P(ContentTest, MetacharactersAndUnicodeRoundTrip) {
  const int64_t alice = AddUser("alice");
  const std::string text =
      "'; DROP TABLE posts; -- \"quoted\" \\backslash\\ %_wild_% $1 ? :name {json: [1]} \t tab\nnewline "
      "emoji 👩‍👩‍👧‍👦 RTL עברית العربية zero\u200bwidth #Tag'; @alice";
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = text}));
  ASSERT_OK_AND_ASSIGN(model::Post back, content_->GetPost(ctx_, p.id));
  EXPECT_EQ(back.content, text);
  EXPECT_THAT(back.hashtags, ElementsAre("tag"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM posts"), 1);
  ASSERT_OK_AND_ASSIGN(model::Comment c,
                       content_->CreateComment(ctx_, {.author_id = alice, .post_id = p.id.value, .content = text}));
  ASSERT_OK_AND_ASSIGN(model::Comment cback, content_->GetComment(ctx_, c.id));
  EXPECT_EQ(cback.content, text);
  EXPECT_THAT(cback.mentions, ElementsAre(UserId(alice)));
}

TEST_P(ContentTest, EditPostMovesHashtagsAndChecksAuthor) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "#a #b"}));
  EXPECT_THAT(content_->EditPost(ctx_, {.post_id = p.id.value, .editor_id = bob, .content = "#c"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(content_->EditPost(ctx_, {.post_id = 99999, .editor_id = alice, .content = "#c"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(content_->EditPost(ctx_, {.post_id = p.id.value, .editor_id = alice, .visibility = "NOPE"}),
              StatusIs(absl::StatusCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(model::Post e, content_->EditPost(ctx_, {.post_id = p.id.value, .editor_id = alice,
                                                                .content = "#B #c @bob", .visibility = "FOLLOWERS"}));
  EXPECT_EQ(e.content, "#B #c @bob");
  EXPECT_THAT(e.hashtags, ElementsAre("b", "c"));
  EXPECT_THAT(e.mentions, ElementsAre(UserId(bob)));
  EXPECT_EQ(e.visibility, model::Visibility::kFollowers);
  EXPECT_EQ(TagCount("a"), 0);
  EXPECT_EQ(TagCount("b"), 1);
  EXPECT_EQ(TagCount("c"), 1);
  EXPECT_EQ(TagLinks("a"), 0);
  ExpectHashtagCountersExact();

  // Media-only edit keeps content and tags.
  ASSERT_OK_AND_ASSIGN(model::Post m, content_->EditPost(ctx_, {.post_id = p.id.value, .editor_id = alice,
                                                                .media_urls = std::vector<std::string>{"https://x.io/a.png"}}));
  EXPECT_EQ(m.content, "#B #c @bob");
  EXPECT_THAT(m.media_urls, ElementsAre("https://x.io/a.png"));
  EXPECT_EQ(TagCount("b"), 1);
  EXPECT_EQ(ProfileCount(alice, "posts_count"), 1);
}

TEST_P(ContentTest, DeletePostIsSoftAndCountsOnce) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "#x #y"}));
  ASSERT_OK(content_->CreatePost(ctx_, {.author_id = alice, .content = "#x"}));
  EXPECT_THAT(content_->DeletePost(ctx_, UserId(bob), p.id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(content_->DeletePost(ctx_, UserId(alice), PostId(12345)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(content_->DeletePost(ctx_, UserId(alice), p.id));
  ASSERT_OK(content_->DeletePost(ctx_, UserId(alice), p.id));  // no-op
  ASSERT_OK_AND_ASSIGN(model::Post gone, content_->GetPost(ctx_, p.id));
  EXPECT_EQ(gone.status, model::ContentStatus::kDeleted);
  EXPECT_TRUE(gone.deleted_at.has_value());
  EXPECT_EQ(ProfileCount(alice, "posts_count"), 1);
  EXPECT_EQ(TagCount("x"), 1);
  EXPECT_EQ(TagCount("y"), 0);
  ExpectHashtagCountersExact();
  EXPECT_THAT(content_->EditPost(ctx_, {.post_id = p.id.value, .editor_id = alice, .content = "back"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ContentTest, VideoStateMachine) {
  const int64_t alice = AddUser("alice");
  EXPECT_THAT(content_->CreateVideo(ctx_, {.author_id = alice, .title = "", .duration_ms = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM videos"), 0);
  ASSERT_OK_AND_ASSIGN(model::Video v, content_->CreateVideo(ctx_, {.author_id = alice, .title = "Nile #river",
                                                                    .description = "by boat #Boats",
                                                                    .duration_ms = 60000}));
  EXPECT_EQ(v.status, model::VideoStatus::kUploading);
  EXPECT_THAT(v.hashtags, ElementsAre("river", "boats"));
  EXPECT_FALSE(v.published_at.has_value());

  EXPECT_THAT(content_->TransitionVideo(ctx_, v.id, model::VideoStatus::kPublished),
              StatusIs(absl::StatusCode::kFailedPrecondition, "video: cannot go from UPLOADING to PUBLISHED"));
  ASSERT_OK_AND_ASSIGN(v, content_->TransitionVideo(ctx_, v.id, model::VideoStatus::kProcessing));
  EXPECT_EQ(v.status, model::VideoStatus::kProcessing);
  EXPECT_EQ(ProfileCount(alice, "videos_count"), 0);
  ASSERT_OK_AND_ASSIGN(v, content_->TransitionVideo(ctx_, {.video_id = v.id.value, .status = "PUBLISHED",
                                                           .hls_url = "https://cdn.x/v/master.m3u8"}));
  EXPECT_EQ(v.status, model::VideoStatus::kPublished);
  EXPECT_TRUE(v.published_at.has_value());
  EXPECT_EQ(v.hls_url, "https://cdn.x/v/master.m3u8");
  EXPECT_EQ(ProfileCount(alice, "videos_count"), 1);
  EXPECT_THAT(content_->TransitionVideo(ctx_, v.id, model::VideoStatus::kProcessing),
              StatusIs(absl::StatusCode::kFailedPrecondition, "video: cannot go from PUBLISHED to PROCESSING"));
  EXPECT_THAT(content_->TransitionVideo(ctx_, v.id, model::VideoStatus::kFailed),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(content_->TransitionVideo(ctx_, VideoId(777), model::VideoStatus::kProcessing),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ProfileCount(alice, "videos_count"), 1);

  ASSERT_OK_AND_ASSIGN(model::Video w, content_->CreateVideo(ctx_, {.author_id = alice, .title = "w", .duration_ms = 1}));
  ASSERT_OK(content_->TransitionVideo(ctx_, w.id, model::VideoStatus::kProcessing));
  ASSERT_OK_AND_ASSIGN(w, content_->TransitionVideo(ctx_, {.video_id = w.id.value, .status = "FAILED",
                                                           .error = "codec 'x'; unsupported"}));
  EXPECT_EQ(w.status, model::VideoStatus::kFailed);
  EXPECT_EQ(w.error, "codec 'x'; unsupported");
  EXPECT_FALSE(w.published_at.has_value());
  EXPECT_THAT(content_->TransitionVideo(ctx_, w.id, model::VideoStatus::kProcessing),
              StatusIs(absl::StatusCode::kFailedPrecondition, "video: cannot go from FAILED to PROCESSING"));
  EXPECT_EQ(ProfileCount(alice, "videos_count"), 1);
  // The model's table agrees.
  EXPECT_TRUE(model::CanTransition(model::VideoStatus::kUploading, model::VideoStatus::kFailed));
  EXPECT_FALSE(model::CanTransition(model::VideoStatus::kProcessing, model::VideoStatus::kProcessing));
}

TEST_P(ContentTest, CommentsThreadsAndCounters) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "post"}));
  ASSERT_OK_AND_ASSIGN(model::Post q, content_->CreatePost(ctx_, {.author_id = alice, .content = "other"}));
  ASSERT_OK_AND_ASSIGN(model::Comment top,
                       content_->CreateComment(ctx_, {.author_id = bob, .post_id = p.id.value, .content = "hi @alice"}));
  EXPECT_THAT(top.mentions, ElementsAre(UserId(alice)));
  EXPECT_FALSE(top.parent_id.has_value());
  ASSERT_OK_AND_ASSIGN(model::Comment reply, content_->CreateComment(ctx_, {.author_id = alice, .post_id = p.id.value,
                                                                           .parent_id = top.id.value, .content = "r1"}));
  ASSERT_OK_AND_ASSIGN(model::Comment deep, content_->CreateComment(ctx_, {.author_id = bob, .post_id = p.id.value,
                                                                          .parent_id = reply.id.value, .content = "r2"}));
  EXPECT_EQ(deep.parent_id, reply.id);

  // Errors: bad parent (another post), unknown parent, missing target, validation.
  EXPECT_THAT(content_->CreateComment(ctx_, {.author_id = bob, .post_id = q.id.value, .parent_id = top.id.value,
                                             .content = "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent_id")));
  EXPECT_THAT(content_->CreateComment(ctx_, {.author_id = bob, .post_id = p.id.value, .parent_id = 5555, .content = "x"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("parent_id")));
  EXPECT_THAT(content_->CreateComment(ctx_, {.author_id = bob, .post_id = 5555, .content = "x"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("post_id")));
  EXPECT_THAT(content_->CreateComment(ctx_, {.author_id = bob, .video_id = 5555, .content = "x"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("video_id")));
  absl::Status bad = content_->CreateComment(ctx_, {.author_id = bob, .content = " "}).status();
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM comments"), 3);
  EXPECT_EQ(Scalar("SELECT comments_count FROM posts WHERE id = ?", {q.id.value}), 0);

  EXPECT_EQ(Scalar("SELECT comments_count FROM posts WHERE id = ?", {p.id.value}), 3);
  EXPECT_EQ(Scalar("SELECT replies_count FROM comments WHERE id = ?", {top.id.value}), 1);
  EXPECT_EQ(Scalar("SELECT replies_count FROM comments WHERE id = ?", {reply.id.value}), 1);

  const model::CommentTarget on{model::CommentTargetType::kPost, p.id.value};
  ASSERT_OK_AND_ASSIGN(auto roots, content_->ListThread(ctx_, on, std::nullopt, {.limit = 10}));
  ASSERT_EQ(roots.items.size(), 1u);
  EXPECT_EQ(roots.items[0].id, top.id);
  ASSERT_TRUE(roots.items[0].author.has_value());
  EXPECT_EQ(roots.items[0].author->username, "bob");
  ASSERT_OK_AND_ASSIGN(auto replies, content_->ListThread(ctx_, on, reply.id, {.limit = 10}));
  ASSERT_EQ(replies.items.size(), 1u);
  EXPECT_EQ(replies.items[0].id, deep.id);

  // Deleting: author only, counters down once.
  EXPECT_THAT(content_->DeleteComment(ctx_, UserId(alice), deep.id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(content_->DeleteComment(ctx_, UserId(alice), CommentId(4444)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(content_->DeleteComment(ctx_, UserId(bob), deep.id));
  ASSERT_OK(content_->DeleteComment(ctx_, UserId(bob), deep.id));
  EXPECT_EQ(Scalar("SELECT comments_count FROM posts WHERE id = ?", {p.id.value}), 2);
  EXPECT_EQ(Scalar("SELECT replies_count FROM comments WHERE id = ?", {reply.id.value}), 0);
  ASSERT_OK_AND_ASSIGN(replies, content_->ListThread(ctx_, on, reply.id, {.limit = 10}));
  EXPECT_THAT(replies.items, IsEmpty());
  // Replying to a deleted comment is NotFound.
  EXPECT_THAT(content_->CreateComment(ctx_, {.author_id = bob, .post_id = p.id.value, .parent_id = deep.id.value,
                                             .content = "x"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ContentTest, CommentsOnVideos) {
  const int64_t alice = AddUser("alice");
  ASSERT_OK_AND_ASSIGN(model::Video v, content_->CreateVideo(ctx_, {.author_id = alice, .title = "v", .duration_ms = 5}));
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "p"}));
  ASSERT_OK_AND_ASSIGN(model::Comment c, content_->CreateComment(ctx_, {.author_id = alice, .video_id = v.id.value,
                                                                       .content = "first"}));
  EXPECT_EQ(c.target, (model::CommentTarget{model::CommentTargetType::kVideo, v.id.value}));
  // A post comment cannot reply to a video comment.
  EXPECT_THAT(content_->CreateComment(ctx_, {.author_id = alice, .post_id = p.id.value, .parent_id = c.id.value,
                                             .content = "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent_id")));
  EXPECT_EQ(Scalar("SELECT comments_count FROM videos WHERE id = ?", {v.id.value}), 1);
  EXPECT_EQ(Scalar("SELECT comments_count FROM posts WHERE id = ?", {p.id.value}), 0);
}

TEST_P(ContentTest, ThreadPagesOldestFirstWithoutGaps) {
  const int64_t alice = AddUser("alice");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "p"}));
  std::vector<CommentId> made;
  for (int i = 0; i < 25; ++i) {
    ASSERT_OK_AND_ASSIGN(model::Comment c, content_->CreateComment(ctx_, {.author_id = alice, .post_id = p.id.value,
                                                                         .content = absl::StrCat("c", i)}));
    made.push_back(c.id);
  }
  const model::CommentTarget on{model::CommentTargetType::kPost, p.id.value};
  std::vector<CommentId> seen;
  PageRequest req{.limit = 10};
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(auto page, content_->ListThread(ctx_, on, std::nullopt, req));
    for (const auto& c : page.items) seen.push_back(c.id);
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  EXPECT_EQ(seen, made);
  // A cursor from another thread is rejected.
  ASSERT_OK_AND_ASSIGN(auto first, content_->ListThread(ctx_, on, std::nullopt, {.limit = 5}));
  EXPECT_THAT(content_->ListThread(ctx_, on, made[0], {.limit = 5, .cursor = first.next_cursor}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ContentTest);

}  // namespace
}  // namespace daira::services
