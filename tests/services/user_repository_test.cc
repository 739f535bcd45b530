// UserRepository and UserLoader on every SQL backend: field masks, batch loads in one statement,
// lookups by unique key, partial updates, soft delete.
#include "daira/services/user_repository.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "daira/query/statement_budget.h"
#include "daira/services/accounts.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using model::User;
using model::UserField;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

class UserRepositoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    deps_ = ServiceDeps{.db = &tdb_->db(), .clock = &clock_};
    accounts_ = std::make_unique<Accounts>(deps_, AccountsOptions::ForTesting());
    repo_ = std::make_unique<UserRepository>(deps_);
  }

  // n users named u0..u{n-1}, inserted in one transaction (fast; the hash is a fixed placeholder).
  std::vector<UserId> MakeUsers(int n) {
    std::vector<UserId> ids;
    EXPECT_OK(tdb_->db().RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
      ids.clear();
      for (int i = 0; i < n; ++i) {
        const int64_t id = 1000 + i;
        DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO users (id, username, email, password_hash, created_at, updated_at) "
                                        "VALUES (?, ?, ?, 'hash', ?, ?)",
                                        {id, absl::StrCat("u", i), absl::StrCat("u", i, "@example.com"),
                                         deps_.NowMicros(), deps_.NowMicros()})
                                  .status());
        ids.push_back(UserId{id});
      }
      return absl::OkStatus();
    }));
    return ids;
  }

  RequestContext ctx_;
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<TestDatabase> tdb_;
  ServiceDeps deps_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<UserRepository> repo_;
};

TEST_P(UserRepositoryTest, FieldMasksSelectOnlyTheRequestedColumns) {
  ASSERT_OK_AND_ASSIGN(User alice, accounts_->Register(ctx_, {.email = "a@example.com", .username = "alice",
                                                             .password = "password123"}));
  const UserFieldMask mask{UserField::kUsername, UserField::kAvatarUrl};
  EXPECT_EQ(UserColumns().SelectList(mask), "id, username, avatar_url");
  ASSERT_OK_AND_ASSIGN(User u, repo_->Get(ctx_, alice.id, mask));
  EXPECT_EQ(u.id, alice.id);
  EXPECT_EQ(u.username, "alice");
  EXPECT_FALSE(u.email.has_value());
  EXPECT_FALSE(u.status.has_value());
  EXPECT_FALSE(u.created_at.has_value());
  EXPECT_FALSE(u.password_hash.has_value());

  // All fields: everything but the password hash.
  EXPECT_THAT(UserColumns().SelectList(AllUserFields()), ::testing::Not(HasSubstr("password_hash")));
  ASSERT_OK_AND_ASSIGN(u, repo_->Get(ctx_, alice.id));
  EXPECT_EQ(u.email, "a@example.com");
  EXPECT_EQ(u.status, model::UserStatus::kActive);
  EXPECT_EQ(u.role, model::UserRole::kUser);
  EXPECT_EQ(u.is_verified, false);
  EXPECT_EQ(u.created_at, clock_.Now());
  EXPECT_FALSE(u.password_hash.has_value());

  // Named explicitly, it is selected.
  ASSERT_OK_AND_ASSIGN(u, repo_->Get(ctx_, alice.id, UserFieldMask{UserField::kPasswordHash}));
  ASSERT_TRUE(u.password_hash.has_value());
  EXPECT_THAT(*u.password_hash, ::testing::StartsWith("$argon2id$"));
  EXPECT_FALSE(u.username.has_value());

  ASSERT_OK_AND_ASSIGN(auto parsed, UserColumns().Parse("username, email"));
  EXPECT_EQ(parsed, (UserFieldMask{UserField::kUsername, UserField::kEmail}));
}

TEST_P(UserRepositoryTest, GetNamesTheMissingId) {
  EXPECT_THAT(repo_->Get(ctx_, UserId{424242}), StatusIs(absl::StatusCode::kNotFound, "users: user 424242 not found"));
}

TEST_P(UserRepositoryTest, GetManyIsOneStatementInCallerOrderWithMissingReported) {
  std::vector<UserId> ids = MakeUsers(100);
  std::vector<UserId> ask = ids;
  std::shuffle(ask.begin(), ask.end(), std::mt19937(7));
  ask.insert(ask.begin() + 10, UserId{99});        // missing
  ask.push_back(ask[3]);                            // duplicate
  ask.push_back(UserId{98});                        // missing
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(UserBatch batch, repo_->GetMany(ctx_, ask, UserFieldMask{UserField::kUsername}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.users.size(), 100u);
  std::vector<UserId> want;
  for (UserId id : ask) {
    if (id.value >= 1000 && std::find(want.begin(), want.end(), id) == want.end()) want.push_back(id);
  }
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(batch.users[i].id, want[i]);
    EXPECT_EQ(batch.users[i].username, absl::StrCat("u", want[i].value - 1000));
    EXPECT_FALSE(batch.users[i].email.has_value());
  }
  EXPECT_THAT(batch.missing, ::testing::ElementsAre(UserId{99}, UserId{98}));

  budget.Reset();
  ASSERT_OK_AND_ASSIGN(batch, repo_->GetMany(ctx_, {}));
  EXPECT_EQ(budget.used(), 0);
  EXPECT_TRUE(batch.users.empty());
}

TEST_P(UserRepositoryTest, UserLoaderCoalescesFiftyGetsIntoOneStatement) {
  std::vector<UserId> ids = MakeUsers(50);
  UserLoader loader(*repo_, ctx_);
  std::vector<UserLoader::Handle> handles;
  for (UserId id : ids) handles.push_back(loader.Enqueue(id));
  auto unknown = loader.Enqueue(UserId{7});
  query::StatementBudget budget(ctx_);
  loader.Dispatch();
  EXPECT_EQ(budget.used(), 1);
  EXPECT_EQ(loader.batches(), 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(User u, handles[i].Get());
    EXPECT_EQ(u.id, ids[i]);
    EXPECT_EQ(u.username, absl::StrCat("u", i));
  }
  EXPECT_THAT(unknown.Get(), StatusIs(absl::StatusCode::kNotFound));
  // Cached: no more statements for users already loaded.
  ASSERT_OK_AND_ASSIGN(User again, loader.Load(ids[5]));
  EXPECT_EQ(again.id, ids[5]);
  EXPECT_EQ(budget.used(), 1);
  EXPECT_THAT(loader.Load(UserId{8}), StatusIs(absl::StatusCode::kNotFound, "users: user 8 not found"));
}

TEST_P(UserRepositoryTest, FindByUniqueKeys) {
  ASSERT_OK_AND_ASSIGN(User alice, accounts_->Register(ctx_, {.email = "a@example.com", .phone = "+14155552671",
                                                             .username = "alice", .password = "password123"}));
  ASSERT_OK_AND_ASSIGN(User u, repo_->FindByEmail(ctx_, "A@EXAMPLE.com"));
  EXPECT_EQ(u.id, alice.id);
  ASSERT_OK_AND_ASSIGN(u, repo_->FindByUsername(ctx_, " Alice "));
  EXPECT_EQ(u.id, alice.id);
  ASSERT_OK_AND_ASSIGN(u, repo_->FindByPhone(ctx_, "+14155552671"));
  EXPECT_EQ(u.id, alice.id);
  EXPECT_THAT(repo_->FindByEmail(ctx_, "b@example.com"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("email \"b@example.com\"")));
  EXPECT_THAT(repo_->FindByUsername(ctx_, "x' OR '1'='1"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("username")));
  EXPECT_THAT(repo_->FindByPhone(ctx_, "+10000000000"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("phone")));
}

TEST_P(UserRepositoryTest, ExistsAndCount) {
  std::vector<UserId> ids = MakeUsers(3);
  EXPECT_EQ(Must(repo_->Exists(ctx_, ids[0])), true);
  EXPECT_EQ(Must(repo_->Exists(ctx_, UserId{5})), false);
  EXPECT_EQ(Must(repo_->Count(ctx_)), 3);
  ASSERT_OK(repo_->Update(ctx_, ids[1], {.status = model::UserStatus::kBanned}));
  EXPECT_EQ(Must(repo_->Count(ctx_, model::UserStatus::kBanned)), 1);
  EXPECT_EQ(Must(repo_->Count(ctx_, model::UserStatus::kActive)), 2);
}

TEST_P(UserRepositoryTest, UpdateWritesOnlyTheGivenFields) {
  std::vector<UserId> ids = MakeUsers(2);
  ASSERT_OK_AND_ASSIGN(User before, repo_->Get(ctx_, ids[0]));
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_OK(repo_->Update(ctx_, ids[0], {.avatar_url = "https://cdn.example.com/a.png", .is_verified = true,
                                         .role = model::UserRole::kCreator}));
  ASSERT_OK_AND_ASSIGN(User after, repo_->Get(ctx_, ids[0]));
  EXPECT_EQ(after.avatar_url, "https://cdn.example.com/a.png");
  EXPECT_EQ(after.is_verified, true);
  EXPECT_EQ(after.role, model::UserRole::kCreator);
  EXPECT_EQ(after.username, before.username);
  EXPECT_EQ(after.email, before.email);
  EXPECT_EQ(after.status, before.status);
  EXPECT_EQ(after.created_at, before.created_at);
  EXPECT_EQ(after.updated_at, clock_.Now());
  // "" clears a nullable column.
  ASSERT_OK(repo_->Update(ctx_, ids[0], {.avatar_url = ""}));
  ASSERT_OK_AND_ASSIGN(after, repo_->Get(ctx_, ids[0]));
  EXPECT_FALSE(after.avatar_url.has_value());
  ASSERT_OK_AND_ASSIGN(User untouched, repo_->Get(ctx_, ids[1]));
  EXPECT_FALSE(untouched.avatar_url.has_value());
  EXPECT_EQ(untouched.role, model::UserRole::kUser);

  EXPECT_THAT(repo_->Update(ctx_, UserId{1}, {.is_private = true}),
              StatusIs(absl::StatusCode::kNotFound, "users: user 1 not found"));
  auto dup = repo_->Update(ctx_, ids[0], {.username = "u1"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(StatusField(dup), "username");
  dup = repo_->Update(ctx_, ids[0], {.email = "u1@example.com"});
  EXPECT_EQ(StatusField(dup), "email");
}

TEST_P(UserRepositoryTest, DeleteIsSoft) {
  std::vector<UserId> ids = MakeUsers(1);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_OK(repo_->Delete(ctx_, ids[0]));
  ASSERT_OK_AND_ASSIGN(User u, repo_->Get(ctx_, ids[0]));
  EXPECT_EQ(u.status, model::UserStatus::kDeleted);
  EXPECT_EQ(u.deleted_at, clock_.Now());
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_OK(repo_->Delete(ctx_, ids[0]));  // twice: deleted_at keeps the first time
  ASSERT_OK_AND_ASSIGN(u, repo_->Get(ctx_, ids[0]));
  EXPECT_EQ(u.deleted_at, clock_.Now() - std::chrono::seconds(1));
  EXPECT_EQ(Must(repo_->Count(ctx_, model::UserStatus::kDeleted)), 1);
  EXPECT_THAT(repo_->Delete(ctx_, UserId{3}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(UserRepositoryTest, ReadsInsideATransactionSeeItsWrites) {
  std::vector<UserId> ids = MakeUsers(1);
  ASSERT_OK(tdb_->db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(repo_->Update(ctx_, ids[0], {.avatar_url = "https://x.example.com/p.png"}));
    DAIRA_ASSIGN_OR_RETURN(User u, repo_->Get(ctx_, ids[0], UserFieldMask{UserField::kAvatarUrl}));
    EXPECT_EQ(u.avatar_url, "https://x.example.com/p.png");
    return absl::OkStatus();
  }));
}

TEST_P(UserRepositoryTest, CreateInsertsUserAndProfileOrNothing) {
  ASSERT_OK_AND_ASSIGN(User u, repo_->Create(ctx_, {.username = "dana", .email = "d@example.com",
                                                   .display_name = "Dana", .role = model::UserRole::kCreator}));
  ASSERT_OK_AND_ASSIGN(User back, repo_->Get(ctx_, u.id));
  EXPECT_EQ(back.username, "dana");
  EXPECT_EQ(back.email, "d@example.com");
  EXPECT_FALSE(back.phone.has_value());
  EXPECT_EQ(back.role, model::UserRole::kCreator);
  EXPECT_EQ(back.status, model::UserStatus::kActive);
  EXPECT_EQ(back.created_at, u.created_at);
  ASSERT_OK_AND_ASSIGN(auto rs, tdb_->db().Execute(ctx_, "SELECT display_name FROM user_profiles WHERE user_id = ?",
                                                   {u.id.value}));
  EXPECT_EQ(rs.front().Text(0), "Dana");

  auto dup = repo_->Create(ctx_, {.username = "erin", .email = "d@example.com"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(StatusField(dup.status()), "email");
  dup = repo_->Create(ctx_, {.username = "dana"});
  EXPECT_EQ(StatusField(dup.status()), "username");
  EXPECT_EQ(Must(repo_->Count(ctx_)), 1);
  ASSERT_OK_AND_ASSIGN(rs, tdb_->db().Execute(ctx_, "SELECT count(*) FROM user_profiles"));
  EXPECT_EQ(rs.front().Int64(0), 1);
}

TEST(UserModelTest, EnumsRoundTrip) {
  for (auto s : {model::UserStatus::kActive, model::UserStatus::kSuspended, model::UserStatus::kBanned,
                 model::UserStatus::kDeleted}) {
    EXPECT_EQ(Must(model::ParseUserStatus(model::ToString(s))), s);
  }
  for (auto r : {model::UserRole::kUser, model::UserRole::kCreator, model::UserRole::kModerator,
                 model::UserRole::kAdmin}) {
    EXPECT_EQ(Must(model::ParseUserRole(model::ToString(r))), r);
  }
  EXPECT_EQ(StatusField(model::ParseUserStatus("active").status()), "status");
  EXPECT_EQ(StatusField(model::ParseUserRole("root").status()), "role");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(UserRepositoryTest);

}  // namespace
}  // namespace daira::services
