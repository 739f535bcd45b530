// SessionRepository and ProfileRepository on every SQL backend: sessions written by services::Accounts
// (login, refresh rotation, logout) and profiles written by Accounts::Register / services::Profiles read
// back field-masked; token hashes absent unless a mask names them; batch loads in one statement;
// counts with filters; keyset pages of a user's sessions and of one login's family; bad input naming
// the field.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daira/query/statement_budget.h"
#include "daira/services/accounts.h"
#include "daira/services/profile_repository.h"
#include "daira/services/profiles.h"
#include "daira/services/session_repository.h"
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
using model::UserProfileField;
using model::UserProfileRecord;
using model::UserSessionField;
using model::UserSessionRecord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRepoPassword[] = "correct horse battery";

class AccountRepositoriesTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    accounts_ = std::make_unique<Accounts>(deps_, AccountsOptions::ForTesting());
    sessions_ = std::make_unique<SessionRepository>(deps_);
    profiles_ = std::make_unique<ProfileRepository>(deps_);
  }

  UserId Register(const std::string& name, std::optional<std::string> display_name = std::nullopt) {
    auto u = accounts_->Register(
        ctx_,
        {.email = name + "@x.io", .username = name, .password = kRepoPassword, .display_name = display_name});
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? u->id : UserId{};
  }
  Session Login(const std::string& name, DeviceInfo device = {}) {
    clock_.Advance(std::chrono::seconds(1));
    auto s = accounts_->Login(ctx_, {.identifier = name, .password = kRepoPassword}, device);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : Session{};
  }

  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<SessionRepository> sessions_;
  std::unique_ptr<ProfileRepository> profiles_;
};

TEST_P(AccountRepositoriesTest, SessionMaskAndTokenHashesOnlyWhenNamed) {
  const UserId alice = Register("alice");
  const Session s = Login("alice", {.device_type = "ios", .device_name = "Alice's phone"});

  const SessionFieldMask mask{UserSessionField::kDeviceType, UserSessionField::kExpiresAt};
  EXPECT_EQ(SessionColumns().SelectList(mask), "id, device_type, expires_at");
  ASSERT_OK_AND_ASSIGN(UserSessionRecord r, sessions_->Get(ctx_, s.session_id, mask));
  EXPECT_EQ(r.id, s.session_id);
  EXPECT_EQ(r.device_type, "ios");
  EXPECT_EQ(r.expires_at, s.refresh_expires_at);
  EXPECT_FALSE(r.user_id.has_value());
  EXPECT_FALSE(r.device_name.has_value());
  EXPECT_FALSE(r.refresh_token_hash.has_value());

  // Every column but the hashes by default: they are not even in the statement.
  EXPECT_THAT(SessionColumns().SelectList(AllSessionFields()), Not(HasSubstr("token_hash")));
  ASSERT_OK_AND_ASSIGN(r, sessions_->Get(ctx_, s.session_id));
  EXPECT_EQ(r.user_id, alice);
  EXPECT_EQ(r.family_id, s.session_id.value);  // the first session of a login names its family
  EXPECT_EQ(r.device_name, "Alice's phone");
  EXPECT_FALSE(r.ip_address.has_value());  // NULL
  EXPECT_EQ(r.created_at, clock_.Now());
  EXPECT_EQ(r.access_expires_at, s.access_expires_at);
  EXPECT_FALSE(r.revoked_at.has_value());
  EXPECT_FALSE(r.replaced_by.has_value());
  EXPECT_FALSE(r.refresh_token_hash.has_value());
  EXPECT_FALSE(r.access_token_hash.has_value());
  ASSERT_OK_AND_ASSIGN(auto batch, sessions_->GetMany(ctx_, std::vector<SessionId>{s.session_id}));
  ASSERT_EQ(batch.sessions.size(), 1u);
  EXPECT_FALSE(batch.sessions[0].refresh_token_hash.has_value());

  // Named explicitly (also through ?fields=): selected — hashes, never the tokens.
  ASSERT_OK_AND_ASSIGN(SessionFieldMask named,
                       SessionColumns().Parse("refresh_token_hash,access_token_hash"));
  EXPECT_EQ(SessionColumns().SelectList(named), "id, refresh_token_hash, access_token_hash");
  ASSERT_OK_AND_ASSIGN(r, sessions_->Get(ctx_, s.session_id, named));
  ASSERT_TRUE(r.refresh_token_hash.has_value());
  ASSERT_TRUE(r.access_token_hash.has_value());
  EXPECT_EQ(r.refresh_token_hash->size(), 64u);
  EXPECT_NE(*r.refresh_token_hash, s.refresh_token);
  EXPECT_NE(*r.access_token_hash, s.access_token);
  EXPECT_NE(*r.refresh_token_hash, *r.access_token_hash);
  EXPECT_FALSE(r.device_type.has_value());

  EXPECT_THAT(sessions_->Get(ctx_, SessionId{31}),
              StatusIs(absl::StatusCode::kNotFound, "user_sessions: session 31 not found"));
}

TEST_P(AccountRepositoriesTest, SessionGetManyCountsAndUserAndFamilyPages) {
  const UserId alice = Register("alice");
  const UserId bob = Register("bob");
  std::vector<SessionId> mine;  // oldest first
  for (int i = 0; i < 4; ++i) mine.push_back(Login("alice").session_id);
  const Session theirs = Login("bob");
  // Rotate alice's first login twice: a family of three, the older two revoked and chained.
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_OK_AND_ASSIGN(Session second,
                       accounts_->Refresh(ctx_, {.refresh_token = Login("alice").refresh_token}));
  ASSERT_OK_AND_ASSIGN(
      UserSessionRecord rotated,
      sessions_->Get(ctx_, second.session_id, SessionFieldMask{UserSessionField::kFamilyId}));
  const int64_t family = *rotated.family_id;
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_OK_AND_ASSIGN(Session third, accounts_->Refresh(ctx_, {.refresh_token = second.refresh_token}));
  ASSERT_OK(accounts_->Logout(ctx_, theirs.access_token));

  query::StatementBudget budget(ctx_);
  const std::vector<SessionId> ask = {mine[2], SessionId{12}, theirs.session_id, mine[2]};
  ASSERT_OK_AND_ASSIGN(SessionBatch batch,
                       sessions_->GetMany(ctx_, ask, SessionFieldMask{UserSessionField::kUserId}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.sessions.size(), 2u);
  EXPECT_EQ(batch.sessions[0].id, mine[2]);
  EXPECT_EQ(batch.sessions[0].user_id, alice);
  EXPECT_EQ(batch.sessions[1].user_id, bob);
  EXPECT_FALSE(batch.sessions[1].created_at.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(SessionId{12}));

  // alice: 4 logins + 1 login rotated twice = 7 rows, 2 of them revoked by rotation; bob: 1, logged out.
  EXPECT_EQ(Must(sessions_->Count(ctx_)), 8);
  EXPECT_EQ(Must(sessions_->Count(ctx_, {.user_id = alice})), 7);
  EXPECT_EQ(Must(sessions_->Count(ctx_, {.user_id = alice, .revoked = false})), 5);
  EXPECT_EQ(Must(sessions_->Count(ctx_, {.revoked = true})), 3);
  EXPECT_EQ(Must(sessions_->Count(ctx_, {.family_id = family})), 3);
  EXPECT_EQ(Must(sessions_->Exists(ctx_, third.session_id)), true);
  EXPECT_EQ(Must(sessions_->Exists(ctx_, SessionId{12})), false);
  EXPECT_EQ(StatusField(sessions_->Count(ctx_, {.user_id = UserId{0}}).status()), "user_id");
  EXPECT_EQ(StatusField(sessions_->Count(ctx_, {.family_id = -4}).status()), "family_id");

  std::vector<SessionId> seen;
  query::PageRequest req{.limit = 3};
  for (int page = 0; page < 4; ++page) {
    budget.Reset();
    ASSERT_OK_AND_ASSIGN(auto p, sessions_->ListByUser(ctx_, alice, req, SessionFieldMask{}));
    EXPECT_EQ(budget.used(), 1);
    for (const UserSessionRecord& r : p.items) seen.push_back(r.id);
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));  // newest first
  EXPECT_EQ(seen.front(), third.session_id);
  EXPECT_EQ(std::vector<SessionId>(seen.end() - 4, seen.end()),
            std::vector<SessionId>(mine.rbegin(), mine.rend()));

  // The family, oldest first: each rotated session points at its successor.
  ASSERT_OK_AND_ASSIGN(auto chain, sessions_->ListByFamily(ctx_, family, {.limit = 2}));
  ASSERT_EQ(chain.items.size(), 2u);
  EXPECT_EQ(chain.items[0].id.value, family);
  EXPECT_EQ(chain.items[0].replaced_by, second.session_id);
  EXPECT_TRUE(chain.items[0].revoked_at.has_value());
  EXPECT_EQ(chain.items[1].id, second.session_id);
  EXPECT_EQ(chain.items[1].replaced_by, third.session_id);
  ASSERT_OK_AND_ASSIGN(chain,
                       sessions_->ListByFamily(ctx_, family, {.limit = 2, .cursor = chain.next_cursor}));
  ASSERT_EQ(chain.items.size(), 1u);
  EXPECT_EQ(chain.items[0].id, third.session_id);
  EXPECT_FALSE(chain.items[0].revoked_at.has_value());
  EXPECT_TRUE(chain.next_cursor.empty());

  EXPECT_EQ(StatusField(sessions_->ListByUser(ctx_, alice, {.limit = 0}).status()), "limit");
  EXPECT_EQ(StatusField(sessions_->ListByUser(ctx_, alice, {.limit = 2, .cursor = "x"}).status()), "cursor");
  EXPECT_EQ(StatusField(sessions_->ListByUser(ctx_, UserId{-1}).status()), "user_id");
  EXPECT_EQ(StatusField(sessions_->ListByFamily(ctx_, 0).status()), "family_id");
}

TEST_P(AccountRepositoriesTest, ProfileMaskGetManyAndCountsKeyedByUserId) {
  const UserId alice = Register("alice", "Alice");
  const UserId bob = Register("bob");
  const UserId carol = Register("carol", "Carol");
  Profiles profiles(deps_);
  ASSERT_OK(profiles.AddBadge(ctx_, alice, "early_adopter"));
  ASSERT_OK(profiles.AdjustTrustScore(ctx_, bob, -0.4).status());
  ASSERT_OK(
      tdb_->db()
          .Execute(ctx_, "UPDATE user_profiles SET followers_count = 12 WHERE user_id = ?", {carol.value})
          .status());

  const ProfileFieldMask mask{UserProfileField::kDisplayName, UserProfileField::kBadges};
  EXPECT_EQ(ProfileColumns().SelectList(mask), "user_id, display_name, badges");
  ASSERT_OK_AND_ASSIGN(UserProfileRecord p, profiles_->Get(ctx_, alice, mask));
  EXPECT_EQ(p.user_id, alice);
  EXPECT_EQ(p.display_name, "Alice");
  ASSERT_TRUE(p.badges.has_value());
  EXPECT_THAT(*p.badges, ElementsAre("early_adopter"));
  EXPECT_FALSE(p.trust_score.has_value());
  EXPECT_FALSE(p.followers_count.has_value());
  EXPECT_FALSE(p.created_at.has_value());

  ASSERT_OK_AND_ASSIGN(p, profiles_->Get(ctx_, bob));
  EXPECT_FALSE(p.display_name.has_value());  // NULL
  EXPECT_FALSE(p.bio.has_value());
  ASSERT_TRUE(p.trust_score.has_value());
  EXPECT_NEAR(*p.trust_score, 0.1, 1e-9);
  EXPECT_EQ(p.followers_count, 0);
  ASSERT_TRUE(p.badges.has_value());
  EXPECT_TRUE(p.badges->empty());
  EXPECT_EQ(p.created_at, clock_.Now());
  EXPECT_THAT(profiles_->Get(ctx_, UserId{31}),
              StatusIs(absl::StatusCode::kNotFound, "user_profiles: profile of user 31 not found"));

  query::StatementBudget budget(ctx_);
  const std::vector<UserId> ask = {carol, UserId{9}, alice, carol};
  ASSERT_OK_AND_ASSIGN(ProfileBatch batch,
                       profiles_->GetMany(ctx_, ask, ProfileFieldMask{UserProfileField::kFollowersCount}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.profiles.size(), 2u);
  EXPECT_EQ(batch.profiles[0].user_id, carol);
  EXPECT_EQ(batch.profiles[0].followers_count, 12);
  EXPECT_EQ(batch.profiles[1].user_id, alice);
  EXPECT_FALSE(batch.profiles[1].display_name.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(UserId{9}));

  EXPECT_EQ(Must(profiles_->Count(ctx_)), 3);
  EXPECT_EQ(Must(profiles_->Count(ctx_, {.min_followers_count = 1})), 1);
  EXPECT_EQ(Must(profiles_->Count(ctx_, {.trust_score_below = 0.2})), 1);
  EXPECT_EQ(Must(profiles_->Count(ctx_, {.min_followers_count = 0, .trust_score_below = 0.6})), 3);
  EXPECT_EQ(Must(profiles_->Exists(ctx_, bob)), true);
  EXPECT_EQ(Must(profiles_->Exists(ctx_, UserId{9})), false);
  EXPECT_EQ(StatusField(profiles_->Count(ctx_, {.min_followers_count = -1}).status()), "min_followers_count");
  EXPECT_EQ(StatusField(profiles_->Count(ctx_, {.trust_score_below = 1.5}).status()), "trust_score_below");
  EXPECT_EQ(StatusField(ProfileColumns().Parse("bio,password_hash").status()), "fields");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(AccountRepositoriesTest);

}  // namespace
}  // namespace daira::services
