// FollowRepository, BlockRepository and MuteRepository on every SQL backend: rows written by
// services::Social read back field-masked, batch loads in one statement, pair finders, counts with
// filters, keyset pages walking a user's list exactly once, and bad input naming the field.
#include <memory>
#include <string>
#include <vector>

#include "daira/query/statement_budget.h"
#include "daira/services/block_repository.h"
#include "daira/services/follow_repository.h"
#include "daira/services/mute_repository.h"
#include "daira/services/social.h"
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
using model::BlockField;
using model::FollowField;
using model::FollowStatus;
using model::MuteField;
using model::MuteKind;
using ::testing::ElementsAre;

class SocialRepositoriesTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    social_ = std::make_unique<Social>(deps_);
    follows_ = std::make_unique<FollowRepository>(deps_);
    blocks_ = std::make_unique<BlockRepository>(deps_);
    mutes_ = std::make_unique<MuteRepository>(deps_);
  }

  // A user with a profile (Social keeps the profile counters).
  UserId NewUser(bool is_private = false) {
    const int64_t id = next_user_++;
    const int64_t now = deps_.NowMicros();
    EXPECT_OK(tdb_->db()
                  .Execute(ctx_,
                           "INSERT INTO users (id, username, is_private, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, ?)",
                           {id, absl::StrCat("u", id), is_private ? 1 : 0, now, now})
                  .status());
    EXPECT_OK(tdb_->db()
                  .Execute(ctx_,
                           "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, ?, ?)",
                           {id, now, now})
                  .status());
    return UserId{id};
  }

  int64_t next_user_ = 1001;
  std::unique_ptr<Social> social_;
  std::unique_ptr<FollowRepository> follows_;
  std::unique_ptr<BlockRepository> blocks_;
  std::unique_ptr<MuteRepository> mutes_;
};

TEST_P(SocialRepositoriesTest, FollowMaskSelectsOnlyAskedColumnsAndPairFinder) {
  const UserId alice = NewUser(), bob = NewUser(), carol = NewUser(/*is_private=*/true);
  ASSERT_OK_AND_ASSIGN(model::Follow ab, social_->Follow(ctx_, alice, bob));
  ASSERT_OK(social_->Follow(ctx_, alice, carol).status());  // PENDING: carol is private

  const FollowFieldMask mask{FollowField::kStatus};
  EXPECT_EQ(FollowColumns().SelectList(mask), "id, status");
  ASSERT_OK_AND_ASSIGN(model::FollowRecord f, follows_->Get(ctx_, FollowId{ab.id}, mask));
  EXPECT_EQ(f.id, FollowId{ab.id});
  EXPECT_EQ(f.status, FollowStatus::kActive);
  EXPECT_FALSE(f.follower_id.has_value());
  EXPECT_FALSE(f.followee_id.has_value());
  EXPECT_FALSE(f.created_at.has_value());

  ASSERT_OK_AND_ASSIGN(f, follows_->FindByPair(ctx_, alice, carol));
  EXPECT_EQ(f.follower_id, alice);
  EXPECT_EQ(f.followee_id, carol);
  EXPECT_EQ(f.status, FollowStatus::kPending);
  EXPECT_EQ(f.created_at, clock_.Now());
  EXPECT_EQ(f.updated_at, clock_.Now());
  EXPECT_THAT(follows_->FindByPair(ctx_, bob, alice),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("follows: user ", bob.value, " does not follow user ", alice.value)));
  EXPECT_THAT(follows_->Get(ctx_, FollowId{31}),
              StatusIs(absl::StatusCode::kNotFound, "follows: follow 31 not found"));
  ASSERT_OK_AND_ASSIGN(auto parsed, FollowColumns().Parse("status, created_at"));
  EXPECT_EQ(parsed, (FollowFieldMask{FollowField::kStatus, FollowField::kCreatedAt}));
  EXPECT_EQ(StatusField(FollowColumns().Parse("status,secret").status()), "fields");
  EXPECT_EQ(StatusField(follows_->FindByPair(ctx_, UserId{0}, bob).status()), "follower_id");
  EXPECT_EQ(StatusField(follows_->FindByPair(ctx_, alice, UserId{-3}).status()), "followee_id");
}

TEST_P(SocialRepositoriesTest, FollowGetManyCountsAndPagesWalkEachListOnce) {
  const UserId star = NewUser();
  std::vector<FollowId> edges;  // oldest first
  std::vector<UserId> fans;
  for (int i = 0; i < 7; ++i) {
    fans.push_back(NewUser());
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_OK_AND_ASSIGN(model::Follow f, social_->Follow(ctx_, fans.back(), star));
    edges.push_back(FollowId{f.id});
  }
  const UserId priv = NewUser(/*is_private=*/true);
  ASSERT_OK(social_->Follow(ctx_, star, priv).status());

  const std::vector<FollowId> ask = {edges[3], FollowId{5}, edges[0], edges[3]};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(FollowBatch batch,
                       follows_->GetMany(ctx_, ask, FollowFieldMask{FollowField::kFollowerId}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.follows.size(), 2u);
  EXPECT_EQ(batch.follows[0].id, edges[3]);
  EXPECT_EQ(batch.follows[0].follower_id, fans[3]);
  EXPECT_EQ(batch.follows[1].follower_id, fans[0]);
  EXPECT_FALSE(batch.follows[1].status.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(FollowId{5}));
  budget.Reset();
  ASSERT_OK_AND_ASSIGN(batch, follows_->GetMany(ctx_, {}));
  EXPECT_EQ(budget.used(), 0);
  EXPECT_TRUE(batch.follows.empty());

  EXPECT_EQ(Must(follows_->Count(ctx_)), 8);
  EXPECT_EQ(Must(follows_->Count(ctx_, {.followee_id = star})), 7);
  EXPECT_EQ(Must(follows_->Count(ctx_, {.follower_id = star})), 1);
  EXPECT_EQ(Must(follows_->Count(ctx_, {.status = FollowStatus::kPending})), 1);
  EXPECT_EQ(Must(follows_->Count(ctx_, {.followee_id = star, .status = FollowStatus::kPending})), 0);
  EXPECT_EQ(Must(follows_->Exists(ctx_, edges[6])), true);
  EXPECT_EQ(Must(follows_->Exists(ctx_, FollowId{5})), false);
  EXPECT_EQ(StatusField(follows_->Count(ctx_, {.followee_id = UserId{0}}).status()), "followee_id");

  std::vector<FollowId> seen;
  query::PageRequest req{.limit = 3};
  for (int page = 0; page < 5; ++page) {
    budget.Reset();
    ASSERT_OK_AND_ASSIGN(auto p, follows_->ListByFollowee(ctx_, star, req, FollowFieldMask{}));
    EXPECT_EQ(budget.used(), 1);
    for (const model::FollowRecord& r : p.items) {
      seen.push_back(r.id);
      EXPECT_FALSE(r.follower_id.has_value());
    }
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(seen, std::vector<FollowId>(edges.rbegin(), edges.rend()));  // newest first, each once

  ASSERT_OK_AND_ASSIGN(auto out, follows_->ListByFollower(ctx_, star));
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_EQ(out.items[0].followee_id, priv);
  EXPECT_EQ(out.items[0].status, FollowStatus::kPending);

  EXPECT_EQ(StatusField(follows_->ListByFollowee(ctx_, star, {.limit = 0}).status()), "limit");
  EXPECT_EQ(StatusField(follows_->ListByFollowee(ctx_, star, {.limit = 3, .cursor = "garbage"}).status()),
            "cursor");
  // A cursor of another user's list is refused rather than silently continuing elsewhere.
  ASSERT_OK_AND_ASSIGN(auto first, follows_->ListByFollowee(ctx_, star, {.limit = 2}));
  EXPECT_EQ(
      StatusField(follows_->ListByFollower(ctx_, star, {.limit = 2, .cursor = first.next_cursor}).status()),
      "cursor");
  EXPECT_EQ(StatusField(follows_->ListByFollower(ctx_, UserId{0}).status()), "follower_id");
}

TEST_P(SocialRepositoriesTest, BlockMaskPairCountAndPages) {
  const UserId alice = NewUser(), bob = NewUser();
  std::vector<BlockId> made;  // by alice, oldest first
  std::vector<UserId> blocked;
  for (int i = 0; i < 5; ++i) {
    blocked.push_back(NewUser());
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_OK_AND_ASSIGN(model::Block b,
                         social_->Block(ctx_, alice, blocked.back(),
                                        i == 0 ? std::optional<std::string>("spam") : std::nullopt));
    made.push_back(BlockId{b.id});
  }
  ASSERT_OK(social_->Block(ctx_, bob, alice).status());

  const BlockFieldMask mask{BlockField::kReason};
  EXPECT_EQ(BlockColumns().SelectList(mask), "id, reason");
  ASSERT_OK_AND_ASSIGN(model::BlockRecord b, blocks_->Get(ctx_, made[0], mask));
  EXPECT_EQ(b.reason, "spam");
  EXPECT_FALSE(b.blocker_id.has_value());
  EXPECT_FALSE(b.created_at.has_value());
  ASSERT_OK_AND_ASSIGN(b, blocks_->FindByPair(ctx_, alice, blocked[1]));
  EXPECT_EQ(b.id, made[1]);
  EXPECT_EQ(b.blocker_id, alice);
  EXPECT_EQ(b.blocked_id, blocked[1]);
  EXPECT_FALSE(b.reason.has_value());  // NULL
  ASSERT_TRUE(b.created_at.has_value());
  EXPECT_THAT(blocks_->FindByPair(ctx_, alice, bob),  // only the reverse block exists
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("blocks: user ", alice.value, " does not block user ", bob.value)));
  EXPECT_EQ(StatusField(blocks_->FindByPair(ctx_, UserId{0}, bob).status()), "blocker_id");

  query::StatementBudget budget(ctx_);
  const std::vector<BlockId> ask = {made[4], made[2], BlockId{77}, made[4]};
  ASSERT_OK_AND_ASSIGN(BlockBatch batch, blocks_->GetMany(ctx_, ask));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.blocks.size(), 2u);
  EXPECT_EQ(batch.blocks[0].blocked_id, blocked[4]);
  EXPECT_EQ(batch.blocks[1].blocked_id, blocked[2]);
  EXPECT_THAT(batch.missing, ElementsAre(BlockId{77}));

  EXPECT_EQ(Must(blocks_->Count(ctx_)), 6);
  EXPECT_EQ(Must(blocks_->Count(ctx_, {.blocker_id = alice})), 5);
  EXPECT_EQ(Must(blocks_->Count(ctx_, {.blocker_id = bob, .blocked_id = alice})), 1);
  EXPECT_EQ(Must(blocks_->Exists(ctx_, made[3])), true);
  EXPECT_EQ(Must(blocks_->Exists(ctx_, BlockId{77})), false);
  EXPECT_EQ(StatusField(blocks_->Count(ctx_, {.blocked_id = UserId{-1}}).status()), "blocked_id");

  std::vector<BlockId> seen;
  query::PageRequest req{.limit = 2};
  for (int page = 0; page < 4; ++page) {
    budget.Reset();
    ASSERT_OK_AND_ASSIGN(auto p,
                         blocks_->ListByBlocker(ctx_, alice, req, BlockFieldMask{BlockField::kBlockedId}));
    EXPECT_EQ(budget.used(), 1);
    for (const model::BlockRecord& r : p.items) seen.push_back(r.id);
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(seen, std::vector<BlockId>(made.rbegin(), made.rend()));
  EXPECT_EQ(StatusField(blocks_->ListByBlocker(ctx_, alice, {.limit = 101}).status()), "limit");
  EXPECT_EQ(StatusField(blocks_->ListByBlocker(ctx_, UserId{0}).status()), "blocker_id");
}

TEST_P(SocialRepositoriesTest, MuteMaskPairCountAndPages) {
  const UserId alice = NewUser();
  std::vector<MuteId> made;
  std::vector<UserId> muted;
  const Clock::TimePoint until = clock_.Now() + std::chrono::hours(24);
  for (int i = 0; i < 4; ++i) {
    muted.push_back(NewUser());
    clock_.Advance(std::chrono::seconds(1));
    const MuteKind mute_type = i % 2 == 0 ? MuteKind::kHidePosts : MuteKind::kMute;
    ASSERT_OK_AND_ASSIGN(model::Mute m,
                         social_->Mute(ctx_, alice, muted.back(), mute_type,
                                       i == 0 ? std::optional<Clock::TimePoint>(until) : std::nullopt));
    made.push_back(MuteId{m.id});
  }

  const MuteFieldMask mask{MuteField::kMuteType, MuteField::kExpiresAt};
  EXPECT_EQ(MuteColumns().SelectList(mask), "id, mute_type, expires_at");
  ASSERT_OK_AND_ASSIGN(model::MuteRecord m, mutes_->FindByPair(ctx_, alice, muted[0], mask));
  EXPECT_EQ(m.id, made[0]);
  EXPECT_EQ(m.mute_type, MuteKind::kHidePosts);
  EXPECT_EQ(m.expires_at, until);
  EXPECT_FALSE(m.muter_id.has_value());
  EXPECT_FALSE(m.created_at.has_value());
  ASSERT_OK_AND_ASSIGN(m, mutes_->Get(ctx_, made[1]));
  EXPECT_EQ(m.muter_id, alice);
  EXPECT_EQ(m.muted_id, muted[1]);
  EXPECT_EQ(m.mute_type, MuteKind::kMute);
  EXPECT_FALSE(m.expires_at.has_value());  // NULL: until unmuted
  EXPECT_THAT(mutes_->FindByPair(ctx_, muted[0], alice), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(StatusField(mutes_->FindByPair(ctx_, alice, UserId{0}).status()), "muted_id");

  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(MuteBatch batch,
                       mutes_->GetMany(ctx_, std::vector<MuteId>{made[3], MuteId{9}, made[1]}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.mutes.size(), 2u);
  EXPECT_EQ(batch.mutes[0].id, made[3]);
  EXPECT_EQ(batch.mutes[1].id, made[1]);
  EXPECT_THAT(batch.missing, ElementsAre(MuteId{9}));

  EXPECT_EQ(Must(mutes_->Count(ctx_, {.muter_id = alice})), 4);
  EXPECT_EQ(Must(mutes_->Count(ctx_, {.muter_id = alice, .mute_type = MuteKind::kHidePosts})), 2);
  EXPECT_EQ(Must(mutes_->Count(ctx_, {.muted_id = muted[2]})), 1);
  EXPECT_EQ(Must(mutes_->Exists(ctx_, made[2])), true);

  std::vector<MuteId> seen;
  query::PageRequest req{.limit = 3};
  for (int page = 0; page < 3; ++page) {
    ASSERT_OK_AND_ASSIGN(auto p, mutes_->ListByMuter(ctx_, alice, req));
    for (const model::MuteRecord& r : p.items) seen.push_back(r.id);
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(seen, std::vector<MuteId>(made.rbegin(), made.rend()));
  EXPECT_EQ(StatusField(mutes_->ListByMuter(ctx_, alice, {.limit = -1}).status()), "limit");
  EXPECT_EQ(StatusField(mutes_->Count(ctx_, {.muter_id = UserId{0}}).status()), "muter_id");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(SocialRepositoriesTest);

}  // namespace
}  // namespace daira::services
