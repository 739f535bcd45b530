// The social graph service on every SQL backend: follows (public and private accounts), blocks,
// mutes, the keyset lists, the one-statement membership checks, and exact counters throughout.
#include "daira/services/social.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/id.h"
#include "daira/query/statement_budget.h"
#include "daira/services/recount.h"
#include "daira/services/social_requests.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using model::FollowStatus;
using model::MuteKind;

// An OK StatusOr holding `v`.
MATCHER_P(HasValue, v, "is OK and holds " + ::testing::PrintToString(v)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return *arg == v;
}

class SocialTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    social_ = std::make_unique<Social>(ServiceDeps{.db = &db()});
  }

  store::Database& db() { return tdb_->db(); }
  Social& social() { return *social_; }

  // A user with a profile (all counters 0).
  UserId NewUser(std::string_view name, bool is_private = false) {
    const int64_t id = IdGenerator::Default()->Next();
    const int64_t now = 1717200000000000;
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO users (id, username, is_private, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                           {id, absl::StrCat(ToAbsl(name), "_", id), is_private ? 1 : 0, now, now}));
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO user_profiles (user_id, display_name, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?)",
                           {id, absl::StrCat("Display ", ToAbsl(name)), now, now}));
    return UserId{id};
  }

  int64_t Scalar(std::string_view sql, std::vector<store::Value> params = {}) {
    auto rs = db().Read(ctx_, sql, params);
    EXPECT_OK(rs);
    if (!rs.ok() || rs->empty()) return -1;
    return rs->front().Int64(0);
  }
  int64_t Followers(UserId u) {
    return Scalar("SELECT followers_count FROM user_profiles WHERE user_id = ?", {u.value});
  }
  int64_t Following(UserId u) {
    return Scalar("SELECT following_count FROM user_profiles WHERE user_id = ?", {u.value});
  }
  int64_t Edges() { return Scalar("SELECT count(*) FROM follows"); }
  void ExpectCountersExact() {
    ASSERT_OK_AND_ASSIGN(RecountReport report, Recount(db(), ctx_));
    EXPECT_TRUE(report.discrepancies.empty()) << report.discrepancies.size() << " counters disagree, first "
                                              << report.discrepancies.front().table << "."
                                              << report.discrepancies.front().column;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Social> social_;
};

TEST_P(SocialTest, FollowPublicAccountIsActiveAndCountsInOneTransaction) {
  UserId a = NewUser("alice"), b = NewUser("bob");
  ASSERT_OK_AND_ASSIGN(model::Follow f, social().Follow(ctx_, a, b));
  EXPECT_EQ(f.status, FollowStatus::kActive);
  EXPECT_EQ(f.follower_id, a);
  EXPECT_EQ(f.followee_id, b);
  EXPECT_GT(f.id, 0);
  EXPECT_EQ(Following(a), 1);
  EXPECT_EQ(Followers(b), 1);
  EXPECT_EQ(Followers(a), 0);
  EXPECT_EQ(Following(b), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM follows WHERE id = ? AND status = 'ACTIVE'", {f.id}), 1);

  // A follow inside a caller's transaction that rolls back leaves neither edge nor counters.
  UserId c = NewUser("carol");
  absl::Status s = db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(social().Follow(ctx_, c, b).status());
    return absl::CancelledError("caller gives up");
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(Followers(b), 1);
  EXPECT_EQ(Following(c), 0);
  EXPECT_EQ(Edges(), 1);
  ExpectCountersExact();
}

TEST_P(SocialTest, InvalidFollowsNameTheFieldAndWriteNothing) {
  UserId a = NewUser("alice");
  absl::Status self = social().Follow(ctx_, a, a).status();
  EXPECT_THAT(self, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("followee_id")));
  EXPECT_EQ(StatusField(self), "followee_id");
  absl::Status zero = social().Follow(ctx_, UserId{0}, a).status();
  EXPECT_THAT(zero, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StatusField(zero), "follower_id");
  EXPECT_EQ(Edges(), 0);
  EXPECT_EQ(Following(a), 0);
  EXPECT_EQ(Followers(a), 0);
}

TEST_P(SocialTest, FollowingAMissingUserIsNotFound) {
  UserId a = NewUser("alice");
  absl::Status s = social().Follow(ctx_, a, UserId{123456789}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("followee_id")));
  EXPECT_EQ(StatusField(s), "followee_id");
  absl::Status s2 = social().Follow(ctx_, UserId{123456789}, a).status();
  EXPECT_EQ(StatusField(s2), "follower_id");
  EXPECT_EQ(Edges(), 0);
  EXPECT_EQ(Followers(a), 0);
}

TEST_P(SocialTest, DuplicateFollowIsAlreadyExistsAndCountsOnce) {
  UserId a = NewUser("alice"), b = NewUser("bob");
  ASSERT_OK(social().Follow(ctx_, a, b));
  EXPECT_THAT(social().Follow(ctx_, a, b), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("followee_id")));
  EXPECT_EQ(Followers(b), 1);
  EXPECT_EQ(Following(a), 1);
  EXPECT_EQ(Edges(), 1);
}

TEST_P(SocialTest, FollowingAcrossABlockFailsInBothDirections) {
  UserId a = NewUser("alice"), b = NewUser("bob");
  ASSERT_OK(social().Block(ctx_, a, b, "spam"));
  EXPECT_THAT(social().Follow(ctx_, a, b), StatusIs(absl::StatusCode::kFailedPrecondition, "follow: blocked"));
  EXPECT_THAT(social().Follow(ctx_, b, a), StatusIs(absl::StatusCode::kFailedPrecondition, "follow: blocked"));
  EXPECT_EQ(Edges(), 0);
  EXPECT_EQ(Followers(a), 0);
  EXPECT_EQ(Followers(b), 0);
  // Unblocking lifts it.
  ASSERT_OK(social().Unblock(ctx_, a, b));
  EXPECT_OK(social().Follow(ctx_, b, a));
  EXPECT_EQ(Followers(a), 1);
}

TEST_P(SocialTest, UnfollowRemovesTheEdgeAndDecrements) {
  UserId a = NewUser("alice"), b = NewUser("bob");
  EXPECT_THAT(social().Unfollow(ctx_, a, b), StatusIs(absl::StatusCode::kNotFound, HasSubstr("followee_id")));
  ASSERT_OK(social().Follow(ctx_, a, b));
  ASSERT_OK(social().Follow(ctx_, b, a));
  ASSERT_OK(social().Unfollow(ctx_, a, b));
  EXPECT_EQ(Followers(b), 0);
  EXPECT_EQ(Following(a), 0);
  EXPECT_EQ(Followers(a), 1);  // the reverse edge stays
  EXPECT_EQ(Following(b), 1);
  EXPECT_THAT(social().Unfollow(ctx_, a, b), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(social().Unfollow(ctx_, a, a), StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCountersExact();
}

TEST_P(SocialTest, PrivateAccountsGetPendingRequestsThatCountOnlyOnceAccepted) {
  UserId priv = NewUser("private", /*is_private=*/true), a = NewUser("alice"), b = NewUser("bob"),
         other = NewUser("other");
  ASSERT_OK_AND_ASSIGN(model::Follow f, social().Follow(ctx_, a, priv));
  EXPECT_EQ(f.status, FollowStatus::kPending);
  ASSERT_OK_AND_ASSIGN(model::Follow g, social().Follow(ctx_, b, priv));
  EXPECT_EQ(Followers(priv), 0);
  EXPECT_EQ(Following(a), 0);
  EXPECT_THAT(social().Follow(ctx_, a, priv), StatusIs(absl::StatusCode::kAlreadyExists));

  ASSERT_OK_AND_ASSIGN(auto pending, social().PendingRequests(ctx_, priv, {.limit = 10}));
  ASSERT_EQ(pending.items.size(), 2u);
  EXPECT_EQ(pending.items[0].user.id, b);  // newest first
  EXPECT_EQ(pending.items[1].user.id, a);
  ASSERT_OK_AND_ASSIGN(auto followers, social().Followers(ctx_, priv, {.limit = 10}));
  EXPECT_TRUE(followers.items.empty());

  // Nobody but the followee can accept: from anyone else's side there is no such request.
  EXPECT_THAT(social().AcceptFollow(ctx_, other, a), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(social().AcceptFollow(ctx_, a, priv), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Followers(priv), 0);

  ASSERT_OK_AND_ASSIGN(model::Follow accepted, social().AcceptFollow(ctx_, priv, a));
  EXPECT_EQ(accepted.status, FollowStatus::kActive);
  EXPECT_EQ(accepted.id, f.id);
  EXPECT_EQ(Followers(priv), 1);
  EXPECT_EQ(Following(a), 1);
  EXPECT_THAT(social().AcceptFollow(ctx_, priv, a), StatusIs(absl::StatusCode::kNotFound));  // not pending now

  ASSERT_OK(social().RejectFollow(ctx_, priv, b));
  EXPECT_THAT(social().RejectFollow(ctx_, priv, b), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Scalar("SELECT count(*) FROM follows WHERE id = ?", {g.id}), 0);
  EXPECT_EQ(Followers(priv), 1);
  EXPECT_EQ(Following(b), 0);

  // Unfollowing a pending request touches no counter.
  ASSERT_OK(social().Follow(ctx_, b, priv));
  ASSERT_OK(social().Unfollow(ctx_, b, priv));
  EXPECT_EQ(Followers(priv), 1);
  EXPECT_EQ(Following(b), 0);
  ExpectCountersExact();
}

TEST_P(SocialTest, BlockRemovesFollowsBothWaysWithExactCounters) {
  UserId a = NewUser("alice"), b = NewUser("bob"), c = NewUser("carol"), priv = NewUser("priv", true);
  ASSERT_OK(social().Follow(ctx_, a, b));
  ASSERT_OK(social().Follow(ctx_, b, a));
  ASSERT_OK(social().Follow(ctx_, c, a));
  ASSERT_OK(social().Follow(ctx_, c, b));
  ASSERT_OK(social().Follow(ctx_, a, priv));  // pending
  ASSERT_EQ(Followers(a), 2);
  ASSERT_EQ(Followers(b), 2);

  ASSERT_OK_AND_ASSIGN(model::Block blk, social().Block(ctx_, a, b, "harassment"));
  EXPECT_EQ(blk.blocker_id, a);
  EXPECT_EQ(blk.reason, "harassment");
  EXPECT_EQ(Followers(a), 1);  // carol
  EXPECT_EQ(Following(a), 0);
  EXPECT_EQ(Followers(b), 1);  // carol
  EXPECT_EQ(Following(b), 0);
  EXPECT_EQ(Following(c), 2);
  EXPECT_EQ(Edges(), 3);  // c→a, c→b, a→priv (pending)

  // A block also removes a pending request, without touching counters.
  ASSERT_OK(social().Block(ctx_, priv, a));
  EXPECT_EQ(Edges(), 2);
  EXPECT_EQ(Following(a), 0);

  EXPECT_THAT(social().IsBlocked(ctx_, a, b), HasValue(true));
  EXPECT_THAT(social().IsBlocked(ctx_, b, a), HasValue(true));
  EXPECT_THAT(social().IsBlocked(ctx_, a, c), HasValue(false));
  EXPECT_THAT(social().Block(ctx_, a, b), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(social().Block(ctx_, a, UserId{987654321}), StatusIs(absl::StatusCode::kNotFound));
  absl::Status self = social().Block(ctx_, a, a).status();
  EXPECT_EQ(StatusField(self), "blocked_id");
  absl::Status long_reason = social().Block(ctx_, a, c, std::string(501, 'x')).status();
  EXPECT_EQ(StatusField(long_reason), "reason");
  EXPECT_EQ(Scalar("SELECT count(*) FROM blocks"), 2) << "invalid blocks wrote nothing";
  EXPECT_EQ(Edges(), 2);
  EXPECT_THAT(social().IsBlocked(ctx_, a, c), HasValue(false));

  // Unblock removes only the blocker's own block.
  EXPECT_THAT(social().Unblock(ctx_, b, a), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(social().Unblock(ctx_, a, b));
  EXPECT_THAT(social().IsBlocked(ctx_, a, b), HasValue(false));
  ExpectCountersExact();
}

TEST_P(SocialTest, MutesUpsertAndHiddenAuthorsCombineBlocksAndPostMutes) {
  UserId v = NewUser("viewer"), muted = NewUser("muted"), stories = NewUser("stories"), posts = NewUser("posts"),
         blocked = NewUser("blocked"), blocker = NewUser("blocker"), expired = NewUser("expired"),
         fine = NewUser("fine");
  ASSERT_OK_AND_ASSIGN(model::Mute m, social().Mute(ctx_, v, muted));
  EXPECT_EQ(m.mute_type, MuteKind::kMute);
  ASSERT_OK(social().Mute(ctx_, v, stories, MuteKind::kHideStories));
  ASSERT_OK(social().Mute(ctx_, v, posts, MuteKind::kHideStories));
  ASSERT_OK_AND_ASSIGN(model::Mute up, social().Mute(ctx_, v, posts, MuteKind::kHidePosts));  // upsert
  EXPECT_EQ(up.id, Scalar("SELECT id FROM mutes WHERE muter_id = ? AND muted_id = ?", {v.value, posts.value}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM mutes WHERE muter_id = ?", {v.value}), 3);
  ASSERT_OK(social().Mute(ctx_, v, expired, MuteKind::kMute,
                          std::chrono::system_clock::time_point{} + std::chrono::hours(24)));  // 1970: expired
  ASSERT_OK(social().Block(ctx_, v, blocked));
  ASSERT_OK(social().Block(ctx_, blocker, v));
  ASSERT_OK(social().Mute(ctx_, fine, v));  // someone muting the viewer hides nothing from the viewer

  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(std::vector<UserId> hidden, social().HiddenAuthorsFor(ctx_, v));
  EXPECT_EQ(budget.used(), 1);
  std::vector<UserId> want = {muted, posts, blocked, blocker};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(hidden, want);

  EXPECT_THAT(social().Mute(ctx_, v, v), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::Status missing = social().Mute(ctx_, v, UserId{55555}).status();
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(StatusField(missing), "muted_id");
  EXPECT_EQ(StatusField(social().Mute(ctx_, UserId{-3}, v).status()), "muter_id");
  EXPECT_EQ(Scalar("SELECT count(*) FROM mutes"), 5) << "invalid mutes wrote nothing";

  ASSERT_OK(social().Unmute(ctx_, v, muted));
  EXPECT_THAT(social().Unmute(ctx_, v, muted), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(hidden, social().HiddenAuthorsFor(ctx_, v));
  EXPECT_EQ(std::count(hidden.begin(), hidden.end(), muted), 0);
  EXPECT_EQ(hidden.size(), 3u);
}

TEST_P(SocialTest, FollowerAndFollowingListsWalkAThousandEdgesByKeyset) {
  UserId star = NewUser("star");
  std::vector<UserId> fans;
  for (int i = 0; i < 1000; ++i) {
    fans.push_back(NewUser(absl::StrCat("fan", i)));
    ASSERT_OK(social().Follow(ctx_, fans.back(), star));
  }
  EXPECT_EQ(Followers(star), 1000);

  std::vector<UserId> seen;
  std::set<int64_t> edge_ids;
  query::PageRequest req{.limit = 37};
  int pages = 0;
  int64_t last_edge = INT64_MAX;
  for (;;) {
    query::StatementBudget budget(ctx_);
    ASSERT_OK_AND_ASSIGN(auto page, social().Followers(ctx_, star, req));
    EXPECT_EQ(budget.used(), 1) << "one statement per hydrated page";
    ++pages;
    for (const FollowEntry& e : page.items) {
      EXPECT_LT(e.edge.id, last_edge) << "newest edge first";
      last_edge = e.edge.id;
      EXPECT_EQ(e.edge.followee_id, star);
      EXPECT_EQ(e.edge.follower_id, e.user.id);
      EXPECT_THAT(e.user.username, HasSubstr("fan"));
      EXPECT_TRUE(e.user.display_name.has_value());
      seen.push_back(e.user.id);
      edge_ids.insert(e.edge.id);
    }
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
    ASSERT_LT(pages, 100);
  }
  EXPECT_EQ(pages, (1000 + 36) / 37);
  ASSERT_EQ(seen.size(), 1000u);
  EXPECT_EQ(edge_ids.size(), 1000u);
  std::vector<UserId> want(fans.rbegin(), fans.rend());  // followed in order, listed newest first
  EXPECT_EQ(seen, want);

  // Following: the star follows 150 fans back; walk it in pages of 40, plus MutualFollows.
  for (int i = 0; i < 150; ++i) ASSERT_OK(social().Follow(ctx_, star, fans[i * 5]));
  UserId loner = NewUser("loner");
  ASSERT_OK(social().Follow(ctx_, star, loner));  // not mutual
  std::set<int64_t> following;
  req = {.limit = 40};
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto page, social().Following(ctx_, star, req));
    for (const FollowEntry& e : page.items) {
      EXPECT_TRUE(following.insert(e.user.id.value).second) << "duplicate";
      EXPECT_EQ(e.edge.follower_id, star);
    }
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  EXPECT_EQ(following.size(), 151u);
  EXPECT_EQ(Following(star), 151);

  std::set<int64_t> mutual;
  req = {.limit = 100};
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto page, social().MutualFollows(ctx_, star, req));
    for (const FollowEntry& e : page.items) mutual.insert(e.user.id.value);
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  EXPECT_EQ(mutual.size(), 150u);
  EXPECT_EQ(mutual.count(loner.value), 0u);

  // A cursor from another list is rejected.
  ASSERT_OK_AND_ASSIGN(auto first, social().Followers(ctx_, star, {.limit = 5}));
  EXPECT_THAT(social().Following(ctx_, star, {.limit = 5, .cursor = first.next_cursor}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor")));
  ExpectCountersExact();
}

TEST_P(SocialTest, FollowsEachAnswersAHundredIdsInOneStatement) {
  UserId me = NewUser("me"), priv = NewUser("priv", true);
  std::vector<UserId> others;
  for (int i = 0; i < 100; ++i) {
    others.push_back(NewUser(absl::StrCat("u", i)));
    if (i % 3 == 0) {
      ASSERT_OK(social().Follow(ctx_, me, others.back()));
    }
  }
  ASSERT_OK(social().Follow(ctx_, me, priv));  // pending: not "follows"
  others.push_back(priv);
  others.push_back(UserId{424242});  // unknown id
  others.push_back(others[0]);       // duplicate
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(std::vector<bool> follows, social().FollowsEach(ctx_, me, others));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(follows.size(), others.size());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(follows[i], i % 3 == 0) << i;
  EXPECT_FALSE(follows[100]);
  EXPECT_FALSE(follows[101]);
  EXPECT_TRUE(follows[102]);

  budget.Reset();
  ASSERT_OK_AND_ASSIGN(std::vector<bool> none, social().FollowsEach(ctx_, me, {}));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(budget.used(), 0);
}

TEST_P(SocialTest, BadPageRequestsNameTheField) {
  UserId a = NewUser("alice");
  EXPECT_THAT(social().Followers(ctx_, a, {.limit = 0}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(social().Following(ctx_, a, {.limit = 10, .cursor = "garbage!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor")));
}

TEST(SocialModelTest, EnumsRoundTripAndRejectUnknownSpellings) {
  for (FollowStatus s : {FollowStatus::kActive, FollowStatus::kPending}) {
    EXPECT_THAT(model::ParseFollowStatus(model::ToString(s)), HasValue(s));
  }
  for (MuteKind k : {MuteKind::kMute, MuteKind::kHideStories, MuteKind::kHidePosts}) {
    EXPECT_THAT(model::ParseMuteKind(model::ToString(k)), HasValue(k));
    EXPECT_NE(std::find(kMuteKinds.begin(), kMuteKinds.end(), model::ToString(k)), kMuteKinds.end());
  }
  absl::Status bad = model::ParseMuteKind("mute").status();
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StatusField(bad), "mute_type");
  EXPECT_EQ(StatusField(model::ParseFollowStatus("").status()), "status");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(SocialTest);

}  // namespace
}  // namespace daira::services
