// Content service: reactions with exact counters, including under concurrency (both SQL backends).
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daira/core/validation.h"
#include "daira/services/content.h"
#include "daira/services/recount.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

class ReactionsTest : public ::testing::TestWithParam<std::string> {
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
    EXPECT_OK(db().Execute(ctx_, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, 0, 0)", {id}));
    return id;
  }
  int64_t Scalar(const std::string& sql, std::vector<store::Value> params = {}) {
    auto rs = db().Read(ctx_, sql, params);
    EXPECT_OK(rs);
    if (!rs.ok() || rs->empty()) return -1;
    return rs->front().Int64(0);
  }
  // Every likes_count and likes_received_count equals what the likes table says.
  void ExpectCountersExact() {
    for (const char* table : {"posts", "videos", "comments"}) {
      const std::string col = std::string(table) == "posts" ? "post_id" : std::string(table) == "videos" ? "video_id" : "comment_id";
      EXPECT_EQ(Scalar(std::string("SELECT COUNT(*) FROM ") + table + " t WHERE likes_count <> "
                       "(SELECT COUNT(*) FROM likes l WHERE l." + col + " = t.id)"),
                0)
          << table;
    }
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM user_profiles pr WHERE likes_received_count <> ("
                     " (SELECT COUNT(*) FROM likes l JOIN posts p ON p.id = l.post_id WHERE p.author_id = pr.user_id)"
                     " + (SELECT COUNT(*) FROM likes l JOIN videos v ON v.id = l.video_id WHERE v.author_id = pr.user_id)"
                     " + (SELECT COUNT(*) FROM likes l JOIN comments c ON c.id = l.comment_id WHERE c.author_id = pr.user_id))"),
              0);
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Content> content_;
  int64_t next_user_ = 2000;
};

TEST_P(ReactionsTest, ReactChangeUnreact) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "p"}));
  const std::string pid_type = "POST";

  ASSERT_OK_AND_ASSIGN(model::ReactOutcome r1,
                       content_->React(ctx_, {.user_id = bob, .target_type = "POST", .target_id = p.id.value}));
  EXPECT_TRUE(r1.created);
  EXPECT_EQ(r1.reaction, model::Reaction::kLike);
  EXPECT_EQ(Scalar("SELECT likes_count FROM posts WHERE id = ?", {p.id.value}), 1);
  EXPECT_EQ(Scalar("SELECT likes_received_count FROM user_profiles WHERE user_id = ?", {alice}), 1);

  ASSERT_OK_AND_ASSIGN(model::ReactOutcome r2, content_->React(ctx_, {.user_id = bob, .target_type = "POST",
                                                                      .target_id = p.id.value, .reaction = "LOVE"}));
  EXPECT_FALSE(r2.created);
  EXPECT_TRUE(r2.changed);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM likes"), 1);
  EXPECT_EQ(Scalar("SELECT likes_count FROM posts WHERE id = ?", {p.id.value}), 1);
  ASSERT_OK_AND_ASSIGN(model::ReactOutcome r3, content_->React(ctx_, {.user_id = bob, .target_type = "POST",
                                                                      .target_id = p.id.value, .reaction = "LOVE"}));
  EXPECT_FALSE(r3.created);
  EXPECT_FALSE(r3.changed);

  ASSERT_OK(content_->React(ctx_, {.user_id = alice, .target_type = "POST", .target_id = p.id.value,
                                   .reaction = "LAUGH"}));
  const model::ReactionTarget target{model::ReactionTargetType::kPost, p.id.value};
  ASSERT_OK_AND_ASSIGN(model::ReactionSummary s, content_->ReactionsSummary(ctx_, target));
  EXPECT_EQ(s.total, 2);
  EXPECT_EQ(s.count(model::Reaction::kLove), 1);
  EXPECT_EQ(s.count(model::Reaction::kLaugh), 1);
  EXPECT_EQ(s.count(model::Reaction::kLike), 0);
  ExpectCountersExact();

  ASSERT_OK_AND_ASSIGN(bool removed, content_->Unreact(ctx_, UserId(bob), target));
  EXPECT_TRUE(removed);
  ASSERT_OK_AND_ASSIGN(removed, content_->Unreact(ctx_, UserId(bob), target));
  EXPECT_FALSE(removed);
  EXPECT_EQ(Scalar("SELECT likes_count FROM posts WHERE id = ?", {p.id.value}), 1);
  EXPECT_EQ(Scalar("SELECT likes_received_count FROM user_profiles WHERE user_id = ?", {alice}), 1);
  ExpectCountersExact();
}

// Issue 9: a counter that drifted low (here set to 0 by raw SQL) stops at 0 on Unreact and on
// DeletePost instead of failing the user's call on the CHECK constraint; recount repairs it.
TEST_P(ReactionsTest, DriftedCountersClampAtZeroAndRecountRepairs) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "p"}));
  ASSERT_OK(content_->React(ctx_, {.user_id = bob, .target_type = "POST", .target_id = p.id.value}));
  ASSERT_OK(db().Execute(ctx_, "UPDATE posts SET likes_count = 0 WHERE id = ?", {p.id.value}));
  ASSERT_OK(db().Execute(ctx_, "UPDATE user_profiles SET likes_received_count = 0, posts_count = 0 WHERE user_id = ?",
                         {alice}));
  const model::ReactionTarget target{model::ReactionTargetType::kPost, p.id.value};
  ASSERT_OK_AND_ASSIGN(bool removed, content_->Unreact(ctx_, UserId(bob), target));
  EXPECT_TRUE(removed);
  EXPECT_EQ(Scalar("SELECT likes_count FROM posts WHERE id = ?", {p.id.value}), 0);
  EXPECT_EQ(Scalar("SELECT likes_received_count FROM user_profiles WHERE user_id = ?", {alice}), 0);
  ASSERT_OK(content_->DeletePost(ctx_, UserId(alice), p.id));
  EXPECT_EQ(Scalar("SELECT posts_count FROM user_profiles WHERE user_id = ?", {alice}), 0);

  // Drift the other way and let recount repair it.
  ASSERT_OK_AND_ASSIGN(model::Post q, content_->CreatePost(ctx_, {.author_id = alice, .content = "q"}));
  ASSERT_OK(content_->React(ctx_, {.user_id = bob, .target_type = "POST", .target_id = q.id.value}));
  ASSERT_OK(db().Execute(ctx_, "UPDATE posts SET likes_count = 0 WHERE id = ?", {q.id.value}));
  ASSERT_OK_AND_ASSIGN(RecountReport report, Recount(db(), ctx_, {.repair = true}));
  EXPECT_FALSE(report.discrepancies.empty());
  ExpectCountersExact();
}

TEST_P(ReactionsTest, VideosAndComments) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Video v, content_->CreateVideo(ctx_, {.author_id = alice, .title = "v", .duration_ms = 9}));
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "p"}));
  ASSERT_OK_AND_ASSIGN(model::Comment c,
                       content_->CreateComment(ctx_, {.author_id = bob, .post_id = p.id.value, .content = "c"}));
  ASSERT_OK(content_->React(ctx_, {.user_id = bob, .target_type = "VIDEO", .target_id = v.id.value, .reaction = "SAD"}));
  ASSERT_OK(content_->React(ctx_, {.user_id = alice, .target_type = "COMMENT", .target_id = c.id.value,
                                   .reaction = "ANGRY"}));
  EXPECT_EQ(Scalar("SELECT likes_count FROM videos WHERE id = ?", {v.id.value}), 1);
  EXPECT_EQ(Scalar("SELECT likes_count FROM comments WHERE id = ?", {c.id.value}), 1);
  EXPECT_EQ(Scalar("SELECT likes_received_count FROM user_profiles WHERE user_id = ?", {bob}), 1);
  ASSERT_OK_AND_ASSIGN(auto s, content_->ReactionsSummary(ctx_, {model::ReactionTargetType::kComment, c.id.value}));
  EXPECT_EQ(s.count(model::Reaction::kAngry), 1);
  ExpectCountersExact();
  ASSERT_OK_AND_ASSIGN(bool removed, content_->Unreact(ctx_, UserId(bob), {model::ReactionTargetType::kVideo, v.id.value}));
  EXPECT_TRUE(removed);
  ExpectCountersExact();
}

TEST_P(ReactionsTest, Errors) {
  const int64_t alice = AddUser("alice");
  ASSERT_OK_AND_ASSIGN(model::Post p, content_->CreatePost(ctx_, {.author_id = alice, .content = "p"}));
  EXPECT_THAT(content_->React(ctx_, {.user_id = alice, .target_type = "POST", .target_id = 9999}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("target_id")));
  EXPECT_THAT(content_->React(ctx_, {.user_id = alice, .target_type = "COMMENT", .target_id = p.id.value}),
              StatusIs(absl::StatusCode::kNotFound));
  absl::Status bad = content_->React(ctx_, {.user_id = alice, .target_type = "POST", .target_id = p.id.value,
                                            .reaction = "MEH"})
                         .status();
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_EQ(StatusViolations(bad).size(), 1u);
  EXPECT_EQ(StatusViolations(bad)[0].field, "reaction");
  EXPECT_THAT(content_->React(ctx_, {.user_id = alice, .target_type = "STORY", .target_id = p.id.value}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target_type")));
  EXPECT_THAT(content_->React(ctx_, {.user_id = 31337, .target_type = "POST", .target_id = p.id.value}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("user_id")));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM likes"), 0);
  EXPECT_EQ(Scalar("SELECT likes_count FROM posts WHERE id = ?", {p.id.value}), 0);
  // A deleted post takes no new reactions.
  ASSERT_OK(content_->DeletePost(ctx_, UserId(alice), p.id));
  EXPECT_THAT(content_->React(ctx_, {.user_id = alice, .target_type = "POST", .target_id = p.id.value}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ReactionsTest, ConcurrentReactionsLeaveCountersExact) {
  const int64_t alice = AddUser("alice");
  const int64_t bob = AddUser("bob");
  std::vector<int64_t> users;
  for (int i = 0; i < 6; ++i) users.push_back(AddUser("u" + std::to_string(i)));
  ASSERT_OK_AND_ASSIGN(model::Post p1, content_->CreatePost(ctx_, {.author_id = alice, .content = "p1"}));
  ASSERT_OK_AND_ASSIGN(model::Post p2, content_->CreatePost(ctx_, {.author_id = bob, .content = "p2"}));
  ASSERT_OK_AND_ASSIGN(model::Comment c,
                       content_->CreateComment(ctx_, {.author_id = bob, .post_id = p1.id.value, .content = "c"}));
  const std::vector<model::ReactionTarget> targets = {{model::ReactionTargetType::kPost, p1.id.value},
                                                      {model::ReactionTargetType::kPost, p2.id.value},
                                                      {model::ReactionTargetType::kComment, c.id.value}};
  constexpr int kThreads = 8;
  constexpr int kOps = 60;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < kOps; ++i) {
        RequestContext ctx;  // one per operation: contexts are not shared across threads
        const int64_t user = users[rng() % users.size()];
        const model::ReactionTarget target = targets[rng() % targets.size()];
        const int op = static_cast<int>(rng() % 3);
        absl::Status s;
        if (op == 2) {
          s = content_->Unreact(ctx, UserId(user), target).status();
        } else {
          s = content_
                  ->React(ctx, {.user_id = user,
                                .target_type = std::string(model::ToString(target.type)),
                                .target_id = target.id,
                                .reaction = std::string(model::kReactionNames[rng() % model::kReactionCount])})
                  .status();
        }
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ExpectCountersExact();
  // At most one reaction per user and target.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM (SELECT user_id, post_id, comment_id FROM likes "
                   "GROUP BY user_id, post_id, comment_id HAVING COUNT(*) > 1) d"),
            0);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ReactionsTest);

}  // namespace
}  // namespace daira::services
