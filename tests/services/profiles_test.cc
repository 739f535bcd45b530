// Profiles on every SQL backend: get (one statement), partial validated updates, hostile text
// round-trips, verified flag, trust score clamping, badges, stats (one statement).
#include "daira/services/profiles.h"

#include <memory>
#include <string>
#include <vector>

#include "daira/core/validation.h"
#include "daira/query/statement_budget.h"
#include "daira/services/accounts.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ProfilesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    deps_ = ServiceDeps{.db = &tdb_->db(), .clock = &clock_};
    accounts_ = std::make_unique<Accounts>(deps_, AccountsOptions::ForTesting());
    profiles_ = std::make_unique<Profiles>(deps_);
    ASSERT_OK_AND_ASSIGN(model::User u, accounts_->Register(ctx_, {.email = "a@example.com", .username = "alice",
                                                                  .password = "password123",
                                                                  .display_name = "Alice"}));
    alice_ = u.id;
  }

  RequestContext ctx_;
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<TestDatabase> tdb_;
  ServiceDeps deps_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<Profiles> profiles_;
  UserId alice_;
};

TEST_P(ProfilesTest, GetIsOneStatement) {
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(ProfileView v, profiles_->Get(ctx_, alice_));
  EXPECT_EQ(budget.used(), 1);
  EXPECT_EQ(v.user.id, alice_);
  EXPECT_EQ(v.user.username, "alice");
  EXPECT_FALSE(v.user.password_hash.has_value());
  EXPECT_EQ(v.profile.user_id, alice_);
  EXPECT_EQ(v.profile.display_name, "Alice");
  EXPECT_FALSE(v.profile.bio.has_value());
  EXPECT_DOUBLE_EQ(v.profile.trust_score, 0.5);
  EXPECT_TRUE(v.profile.badges.empty());
  EXPECT_EQ(v.profile.followers_count, 0);
  EXPECT_EQ(v.profile.created_at, clock_.Now());
  EXPECT_THAT(profiles_->Get(ctx_, UserId{77}), StatusIs(absl::StatusCode::kNotFound, "profiles: user 77 not found"));
}

TEST_P(ProfilesTest, UpdateChangesOnlyTheGivenFields) {
  clock_.Advance(std::chrono::seconds(3));
  ASSERT_OK_AND_ASSIGN(ProfileView v, profiles_->Update(ctx_, {.user_id = alice_.value, .bio = "hello"}));
  EXPECT_EQ(v.profile.bio, "hello");
  EXPECT_EQ(v.profile.display_name, "Alice");
  EXPECT_EQ(v.profile.updated_at, clock_.Now());
  EXPECT_EQ(v.user.updated_at, clock_.Now() - std::chrono::seconds(3));  // users row untouched

  ASSERT_OK_AND_ASSIGN(v, profiles_->Update(ctx_, {.user_id = alice_.value, .location = "Cairo",
                                                   .avatar_url = "https://cdn.example.com/a.png", .is_private = true}));
  EXPECT_EQ(v.profile.bio, "hello");
  EXPECT_EQ(v.profile.location, "Cairo");
  EXPECT_EQ(v.user.avatar_url, "https://cdn.example.com/a.png");
  EXPECT_EQ(v.user.is_private, true);
  EXPECT_EQ(v.user.updated_at, clock_.Now());

  // Empty values clear nullable fields.
  ASSERT_OK_AND_ASSIGN(v, profiles_->Update(ctx_, {.user_id = alice_.value, .bio = "", .avatar_url = ""}));
  EXPECT_FALSE(v.profile.bio.has_value());
  EXPECT_FALSE(v.user.avatar_url.has_value());
  EXPECT_EQ(v.profile.location, "Cairo");
}

TEST_P(ProfilesTest, HostileTextRoundTrips) {
  const std::vector<std::string> names = {
      "Robert'); DROP TABLE users;--", "\"quoted\" \\backslash\\ 'single'", "100% _wild_ ? $1 :name",
      "名前 😀 ñandú Ωμέγα", "العربية", "semi;colon -- /* c */"};
  for (const std::string& name : names) {
    const std::string bio = name + "\nsecond line\twith tab\r\n" + name;
    ASSERT_OK_AND_ASSIGN(ProfileView v, profiles_->Update(ctx_, {.user_id = alice_.value, .display_name = name,
                                                                 .bio = bio, .location = name}));
    ASSERT_OK_AND_ASSIGN(v, profiles_->Get(ctx_, alice_));
    EXPECT_EQ(v.profile.display_name, name);
    EXPECT_EQ(v.profile.bio, bio);
    EXPECT_EQ(v.profile.location, name);
  }
  // Registration keeps them too.
  ASSERT_OK_AND_ASSIGN(model::User bob, accounts_->Register(ctx_, {.email = "b@example.com", .username = "bob",
                                                                   .password = "password123",
                                                                   .display_name = names[0]}));
  ASSERT_OK_AND_ASSIGN(ProfileView b, profiles_->Get(ctx_, bob.id));
  EXPECT_EQ(b.profile.display_name, names[0]);
  ASSERT_OK_AND_ASSIGN(auto rs, tdb_->db().Execute(ctx_, "SELECT count(*) FROM users"));
  EXPECT_EQ(rs.front().Int64(0), 2);
}

TEST_P(ProfilesTest, InvalidUpdatesNameEveryFieldAndWriteNothing) {
  ASSERT_OK_AND_ASSIGN(ProfileView before, profiles_->Get(ctx_, alice_));
  clock_.Advance(std::chrono::seconds(1));
  struct Case {
    UpdateProfileRequest request;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {{.user_id = 0, .bio = "x"}, {"user_id"}},
      {{.user_id = alice_.value, .display_name = ""}, {"display_name"}},
      {{.user_id = alice_.value, .display_name = std::string(51, 'n')}, {"display_name"}},
      {{.user_id = alice_.value, .display_name = "a\nb"}, {"display_name"}},
      {{.user_id = alice_.value, .bio = std::string(301, 'b')}, {"bio"}},
      {{.user_id = alice_.value, .bio = "bell\x07"}, {"bio"}},
      {{.user_id = alice_.value, .location = std::string(101, 'l')}, {"location"}},
      {{.user_id = alice_.value, .location = "two\nlines"}, {"location"}},
      {{.user_id = alice_.value, .avatar_url = "javascript:alert(1)"}, {"avatar_url"}},
      {{.user_id = alice_.value, .display_name = std::string(51, 'n'), .bio = "ok", .avatar_url = "ftp://x"},
       {"display_name", "avatar_url"}},
  };
  for (const Case& c : cases) {
    auto r = profiles_->Update(ctx_, c.request);
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
    std::vector<std::string> fields;
    for (const Violation& v : StatusViolations(r.status())) fields.push_back(v.field);
    EXPECT_EQ(fields, c.fields) << r.status();
  }
  ASSERT_OK_AND_ASSIGN(ProfileView after, profiles_->Get(ctx_, alice_));
  EXPECT_EQ(after.profile.display_name, before.profile.display_name);
  EXPECT_EQ(after.profile.bio, before.profile.bio);
  EXPECT_EQ(after.profile.updated_at, before.profile.updated_at);
  EXPECT_EQ(after.user.updated_at, before.user.updated_at);
  EXPECT_THAT(profiles_->Update(ctx_, {.user_id = 999, .bio = "x"}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ProfilesTest, DeletedUsersAreNotFound) {
  ASSERT_OK(accounts_->users().Delete(ctx_, alice_));
  EXPECT_THAT(profiles_->Get(ctx_, alice_), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(profiles_->Update(ctx_, {.user_id = alice_.value, .bio = "x"}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(profiles_->SetVerified(ctx_, alice_, true), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(profiles_->AdjustTrustScore(ctx_, alice_, 0.1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(profiles_->AddBadge(ctx_, alice_, "x"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(profiles_->Stats(ctx_, alice_), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ProfilesTest, SetVerified) {
  ASSERT_OK(profiles_->SetVerified(ctx_, alice_, true));
  ASSERT_OK_AND_ASSIGN(ProfileView v, profiles_->Get(ctx_, alice_));
  EXPECT_EQ(v.user.is_verified, true);
  ASSERT_OK(profiles_->SetVerified(ctx_, alice_, false));
  ASSERT_OK_AND_ASSIGN(v, profiles_->Get(ctx_, alice_));
  EXPECT_EQ(v.user.is_verified, false);
  EXPECT_THAT(profiles_->SetVerified(ctx_, UserId{5}, true), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ProfilesTest, TrustScoreIsClamped) {
  ASSERT_OK_AND_ASSIGN(double s, profiles_->AdjustTrustScore(ctx_, alice_, 0.25));
  EXPECT_DOUBLE_EQ(s, 0.75);
  ASSERT_OK_AND_ASSIGN(s, profiles_->AdjustTrustScore(ctx_, alice_, 0.9));
  EXPECT_DOUBLE_EQ(s, 1.0);
  ASSERT_OK_AND_ASSIGN(s, profiles_->AdjustTrustScore(ctx_, alice_, -5));
  EXPECT_DOUBLE_EQ(s, 0.0);
  ASSERT_OK_AND_ASSIGN(s, profiles_->AdjustTrustScore(ctx_, alice_, 0.125));
  EXPECT_DOUBLE_EQ(s, 0.125);
  ASSERT_OK_AND_ASSIGN(ProfileView v, profiles_->Get(ctx_, alice_));
  EXPECT_DOUBLE_EQ(v.profile.trust_score, 0.125);
  auto nan = profiles_->AdjustTrustScore(ctx_, alice_, std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(nan, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StatusField(nan.status()), "delta");
}

TEST_P(ProfilesTest, Badges) {
  ASSERT_OK(profiles_->AddBadge(ctx_, alice_, "early_adopter"));
  ASSERT_OK(profiles_->AddBadge(ctx_, alice_, "top-creator"));
  ASSERT_OK(profiles_->AddBadge(ctx_, alice_, "early_adopter"));  // no duplicate
  ASSERT_OK_AND_ASSIGN(ProfileView v, profiles_->Get(ctx_, alice_));
  EXPECT_THAT(v.profile.badges, ElementsAre("early_adopter", "top-creator"));
  ASSERT_OK(profiles_->RemoveBadge(ctx_, alice_, "early_adopter"));
  ASSERT_OK(profiles_->RemoveBadge(ctx_, alice_, "never_had"));
  ASSERT_OK_AND_ASSIGN(v, profiles_->Get(ctx_, alice_));
  EXPECT_THAT(v.profile.badges, ElementsAre("top-creator"));

  for (const char* bad : {"", "has space", "quote'", "x\"y", "ünï"}) {
    auto st = profiles_->AddBadge(ctx_, alice_, bad);
    EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_EQ(StatusField(st), "badge");
  }
  EXPECT_EQ(StatusField(profiles_->AddBadge(ctx_, alice_, std::string(kMaxBadgeLength + 1, 'b'))), "badge");
  for (size_t i = 1; i < kMaxBadges; ++i) ASSERT_OK(profiles_->AddBadge(ctx_, alice_, absl::StrCat("b", i)));
  EXPECT_THAT(profiles_->AddBadge(ctx_, alice_, "one_too_many"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v, profiles_->Get(ctx_, alice_));
  EXPECT_EQ(v.profile.badges.size(), kMaxBadges);
}

TEST_P(ProfilesTest, StatsIsOneStatement) {
  ASSERT_OK(tdb_->db()
                .Execute(ctx_,
                         "UPDATE user_profiles SET followers_count = 10, following_count = 3, posts_count = 7, "
                         "videos_count = 2, likes_received_count = 99 WHERE user_id = ?",
                         {alice_.value})
                .status());
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(model::UserStats s, profiles_->Stats(ctx_, alice_));
  EXPECT_EQ(budget.used(), 1);
  EXPECT_EQ(s.user_id, alice_);
  EXPECT_EQ(s.followers, 10);
  EXPECT_EQ(s.following, 3);
  EXPECT_EQ(s.posts, 7);
  EXPECT_EQ(s.videos, 2);
  EXPECT_EQ(s.likes_received, 99);
  EXPECT_THAT(profiles_->Stats(ctx_, UserId{3}), StatusIs(absl::StatusCode::kNotFound));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ProfilesTest);

}  // namespace
}  // namespace daira::services
