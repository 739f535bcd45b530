// ReactionRepository on every SQL backend: reactions written by services::Content::React read back
// field-masked, the (user, target) finder for each target type, batch loads in one statement, counts
// with filters, a target's reactions paged newest first exactly once, and bad input naming the field.
#include "daira/services/reaction_repository.h"

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
using model::Reaction;
using model::ReactionField;
using model::ReactionRecord;
using model::ReactionTarget;
using model::ReactionTargetType;
using ::testing::ElementsAre;

class ReactionRepositoryTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    content_ = std::make_unique<Content>(deps_);
    reactions_ = std::make_unique<ReactionRepository>(deps_);
    for (int i = 0; i < 8; ++i) users_.push_back(AddUser());
    ASSERT_OK_AND_ASSIGN(model::Post p,
                         content_->CreatePost(ctx_, {.author_id = users_[0].value, .content = "p"}));
    post_ = {ReactionTargetType::kPost, p.id.value};
    ASSERT_OK_AND_ASSIGN(
        model::Video v,
        content_->CreateVideo(ctx_, {.author_id = users_[0].value, .title = "v", .duration_ms = 9}));
    video_ = {ReactionTargetType::kVideo, v.id.value};
    ASSERT_OK_AND_ASSIGN(
        model::Comment c,
        content_->CreateComment(ctx_, {.author_id = users_[1].value, .post_id = p.id.value, .content = "c"}));
    comment_ = {ReactionTargetType::kComment, c.id.value};
  }

  UserId AddUser() {
    const int64_t id = 2001 + static_cast<int64_t>(users_.size());
    EXPECT_OK(tdb_->db().Execute(
        ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, 0, 0)",
        {id, absl::StrCat("u", id)}));
    EXPECT_OK(tdb_->db().Execute(
        ctx_, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, 0, 0)", {id}));
    return UserId{id};
  }

  // `user` reacts to `target` through Content (which keeps the counters) and returns the row's id.
  ReactionId React(UserId user, const ReactionTarget& target, std::string reaction) {
    clock_.Advance(std::chrono::seconds(1));
    EXPECT_OK(content_
                  ->React(ctx_, {.user_id = user.value,
                                 .target_type = std::string(model::ToString(target.type)),
                                 .target_id = target.id,
                                 .reaction = std::move(reaction)})
                  .status());
    auto r = reactions_->FindByUserAndTarget(ctx_, user, target, ReactionFieldMask{});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : ReactionId{};
  }

  std::unique_ptr<Content> content_;
  std::unique_ptr<ReactionRepository> reactions_;
  std::vector<UserId> users_;
  ReactionTarget post_, video_, comment_;
};

TEST_P(ReactionRepositoryTest, ReactionMaskSelectsOnlyAskedColumnsAndFinderPerTargetType) {
  const ReactionId on_post = React(users_[1], post_, "LOVE");
  const ReactionId on_video = React(users_[1], video_, "SAD");
  const ReactionId on_comment = React(users_[2], comment_, "ANGRY");

  const ReactionFieldMask mask{ReactionField::kReaction};
  EXPECT_EQ(ReactionColumns().SelectList(mask), "id, reaction");
  ASSERT_OK_AND_ASSIGN(ReactionRecord r, reactions_->FindByUserAndTarget(ctx_, users_[1], post_, mask));
  EXPECT_EQ(r.id, on_post);
  EXPECT_EQ(r.reaction, Reaction::kLove);
  EXPECT_FALSE(r.user_id.has_value());
  EXPECT_FALSE(r.post_id.has_value());
  EXPECT_FALSE(r.created_at.has_value());
  EXPECT_FALSE(r.target().has_value());

  ASSERT_OK_AND_ASSIGN(r, reactions_->Get(ctx_, on_video));
  EXPECT_EQ(r.user_id, users_[1]);
  EXPECT_EQ(r.video_id, VideoId{video_.id});
  EXPECT_FALSE(r.post_id.has_value());
  EXPECT_FALSE(r.comment_id.has_value());
  EXPECT_EQ(r.target(), video_);
  EXPECT_EQ(r.reaction, Reaction::kSad);
  EXPECT_EQ(r.created_at, clock_.Now() - std::chrono::seconds(1));
  ASSERT_OK_AND_ASSIGN(r, reactions_->FindByUserAndTarget(ctx_, users_[2], comment_));
  EXPECT_EQ(r.id, on_comment);
  EXPECT_EQ(r.target(), comment_);

  // A changed reaction is the same row with the new type.
  EXPECT_EQ(React(users_[1], post_, "LAUGH"), on_post);
  EXPECT_EQ(Must(reactions_->Get(ctx_, on_post, mask)).reaction, Reaction::kLaugh);

  // user 1 reacted to the video, not to the comment; user 2 the other way round.
  EXPECT_THAT(
      reactions_->FindByUserAndTarget(ctx_, users_[1], comment_),
      StatusIs(absl::StatusCode::kNotFound,
               absl::StrCat("likes: user ", users_[1].value, " has no reaction to COMMENT ", comment_.id)));
  EXPECT_THAT(reactions_->Get(ctx_, ReactionId{31}),
              StatusIs(absl::StatusCode::kNotFound, "likes: reaction 31 not found"));
  EXPECT_EQ(StatusField(reactions_->FindByUserAndTarget(ctx_, UserId{0}, post_).status()), "user_id");
  EXPECT_EQ(
      StatusField(reactions_->FindByUserAndTarget(ctx_, users_[1], {ReactionTargetType::kPost, 0}).status()),
      "target_id");
  EXPECT_EQ(
      StatusField(
          reactions_->FindByUserAndTarget(ctx_, users_[1], {static_cast<ReactionTargetType>(7), post_.id})
              .status()),
      "target_type");
  EXPECT_EQ(StatusField(ReactionColumns().Parse("reaction,nope").status()), "fields");
}

TEST_P(ReactionRepositoryTest, ReactionGetManyCountsAndTargetPagesWalkOnce) {
  std::vector<ReactionId> on_post;  // oldest first
  for (size_t i = 1; i < users_.size(); ++i)
    on_post.push_back(React(users_[i], post_, i % 3 == 0 ? "LOVE" : "LIKE"));
  const ReactionId on_video = React(users_[2], video_, "LOVE");

  query::StatementBudget budget(ctx_);
  const std::vector<ReactionId> ask = {on_video, ReactionId{3}, on_post[2], on_video};
  ASSERT_OK_AND_ASSIGN(ReactionBatch batch,
                       reactions_->GetMany(ctx_, ask, ReactionFieldMask{ReactionField::kUserId}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.reactions.size(), 2u);
  EXPECT_EQ(batch.reactions[0].id, on_video);
  EXPECT_EQ(batch.reactions[0].user_id, users_[2]);
  EXPECT_EQ(batch.reactions[1].user_id, users_[3]);
  EXPECT_FALSE(batch.reactions[1].reaction.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(ReactionId{3}));

  EXPECT_EQ(Must(reactions_->Count(ctx_)), 8);
  EXPECT_EQ(Must(reactions_->Count(ctx_, {.target = post_})), 7);
  EXPECT_EQ(Must(reactions_->Count(ctx_, {.target = post_, .reaction = Reaction::kLove})),
            2);  // users 3 and 6
  EXPECT_EQ(Must(reactions_->Count(ctx_, {.user_id = users_[2]})), 2);
  EXPECT_EQ(Must(reactions_->Count(ctx_, {.user_id = users_[2], .target = video_})), 1);
  EXPECT_EQ(Must(reactions_->Count(ctx_, {.target = comment_})), 0);
  EXPECT_EQ(Must(reactions_->Exists(ctx_, on_post[0])), true);
  EXPECT_EQ(Must(reactions_->Exists(ctx_, ReactionId{3})), false);
  EXPECT_EQ(StatusField(
                reactions_->Count(ctx_, {.target = ReactionTarget{ReactionTargetType::kVideo, -1}}).status()),
            "target_id");

  std::vector<ReactionId> seen;
  query::PageRequest req{.limit = 3};
  for (int page = 0; page < 5; ++page) {
    budget.Reset();
    ASSERT_OK_AND_ASSIGN(
        auto p, reactions_->ListByTarget(ctx_, post_, req, ReactionFieldMask{ReactionField::kReaction}));
    EXPECT_EQ(budget.used(), 1);
    for (const ReactionRecord& r : p.items) {
      seen.push_back(r.id);
      EXPECT_TRUE(r.reaction.has_value());
      EXPECT_FALSE(r.user_id.has_value());
    }
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(seen, std::vector<ReactionId>(on_post.rbegin(), on_post.rend()));

  ASSERT_OK_AND_ASSIGN(auto videos, reactions_->ListByTarget(ctx_, video_));
  ASSERT_EQ(videos.items.size(), 1u);
  EXPECT_EQ(videos.items[0].id, on_video);
  EXPECT_EQ(StatusField(reactions_->ListByTarget(ctx_, post_, {.limit = 0}).status()), "limit");
  ASSERT_OK_AND_ASSIGN(auto first, reactions_->ListByTarget(ctx_, post_, {.limit = 2}));
  EXPECT_EQ(
      StatusField(reactions_->ListByTarget(ctx_, video_, {.limit = 2, .cursor = first.next_cursor}).status()),
      "cursor");
  EXPECT_EQ(StatusField(reactions_->ListByTarget(ctx_, {ReactionTargetType::kComment, 0}).status()),
            "target_id");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ReactionRepositoryTest);

}  // namespace
}  // namespace daira::services
