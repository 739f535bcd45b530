// Accounts on every SQL backend: register, login, access-token checks, refresh rotation and reuse
// detection, logout, expiry (ManualClock), status enforcement, validation that writes nothing.
#include "daira/services/accounts.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"

#include "daira/core/validation.h"
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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPassword[] = "correct horse battery";

class AccountsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    deps_ = ServiceDeps{.db = &tdb_->db(), .clock = &clock_};
    accounts_ = std::make_unique<Accounts>(deps_, AccountsOptions::ForTesting());
  }

  int64_t Scalar(const std::string& sql, std::vector<store::Value> params = {}) {
    auto rs = tdb_->db().Execute(ctx_, sql, params);
    EXPECT_OK(rs);
    if (!rs.ok() || rs->empty()) return -1;
    return rs->front().Int64(0);
  }
  int64_t Users() { return Scalar("SELECT count(*) FROM users"); }
  int64_t Profiles() { return Scalar("SELECT count(*) FROM user_profiles"); }
  int64_t Sessions() { return Scalar("SELECT count(*) FROM user_sessions"); }

  model::User RegisterAlice() {
    auto u = accounts_->Register(ctx_, {.email = "Alice@Example.COM", .phone = "+14155552671",
                                        .username = "  Alice_1 ", .password = kPassword,
                                        .display_name = "Alice"});
    EXPECT_OK(u);
    return u.ok() ? *u : model::User{};
  }
  Session LoginAlice() {
    auto s = accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword});
    EXPECT_OK(s);
    return s.ok() ? *s : Session{};
  }
  void SetStatus(UserId id, model::UserStatus status) {
    ASSERT_OK(accounts_->users().Update(ctx_, id, {.status = status}));
  }

  RequestContext ctx_;
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<TestDatabase> tdb_;
  ServiceDeps deps_;
  std::unique_ptr<Accounts> accounts_;
};

TEST_P(AccountsTest, RegisterNormalizesAndStoresOnlyAHash) {
  model::User u = RegisterAlice();
  EXPECT_TRUE(u.id.valid());
  EXPECT_EQ(u.username, "alice_1");
  EXPECT_EQ(u.email, "alice@example.com");
  EXPECT_EQ(u.phone, "+14155552671");
  EXPECT_EQ(u.status, model::UserStatus::kActive);
  EXPECT_EQ(u.role, model::UserRole::kUser);
  EXPECT_FALSE(u.password_hash.has_value());
  EXPECT_EQ(Users(), 1);
  EXPECT_EQ(Profiles(), 1);
  ASSERT_OK_AND_ASSIGN(auto rs, tdb_->db().Execute(ctx_, "SELECT password_hash FROM users WHERE id = ?", {u.id.value}));
  const std::string hash = rs.front().Text(0);
  EXPECT_THAT(hash, StartsWith("$argon2id$"));
  EXPECT_THAT(hash, Not(HasSubstr(kPassword)));
  ASSERT_OK_AND_ASSIGN(rs, tdb_->db().Execute(ctx_, "SELECT display_name FROM user_profiles WHERE user_id = ?",
                                              {u.id.value}));
  EXPECT_EQ(rs.front().Text(0), "Alice");
}

TEST_P(AccountsTest, LoginByUsernameEmailAndPhone) {
  model::User u = RegisterAlice();
  for (const char* identifier : {"ALICE_1", "alice@example.com", "ALICE@EXAMPLE.com", "+14155552671"}) {
    ASSERT_OK_AND_ASSIGN(Session s, accounts_->Login(ctx_, {.identifier = identifier, .password = kPassword},
                                                     {.device_type = "ios", .ip_address = "10.0.0.1"}));
    EXPECT_EQ(s.user.id, u.id) << identifier;
    EXPECT_FALSE(s.user.password_hash.has_value());
    EXPECT_EQ(s.user.last_login_at, clock_.Now());
    EXPECT_EQ(s.access_expires_at, clock_.Now() + std::chrono::minutes(15));
    EXPECT_EQ(s.refresh_expires_at, clock_.Now() + std::chrono::hours(24 * 30));
    EXPECT_THAT(s.access_token, StartsWith(absl::StrCat(s.session_id.value, ".")));
    EXPECT_GE(s.refresh_token.size(), 43u);  // 256 random bits, base64url
  }
  EXPECT_EQ(Sessions(), 4);
  // Only hashes are stored, never the tokens themselves.
  ASSERT_OK_AND_ASSIGN(Session s, accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM user_sessions WHERE refresh_token_hash = ? OR access_token_hash = ?",
                   {s.refresh_token, s.access_token}),
            0);
  ASSERT_OK_AND_ASSIGN(auto rs, tdb_->db().Execute(ctx_, "SELECT refresh_token_hash, access_token_hash, device_type "
                                                         "FROM user_sessions WHERE id = ?",
                                                   {s.session_id.value}));
  EXPECT_EQ(rs.front().Text(0).size(), 64u);
  EXPECT_EQ(rs.front().Text(1).size(), 64u);
  EXPECT_TRUE(rs.front().IsNull(2));
}

TEST_P(AccountsTest, UnknownUserAndWrongPasswordAreIndistinguishable) {
  RegisterAlice();
  auto unknown = accounts_->Login(ctx_, {.identifier = "nobody", .password = kPassword});
  auto unknown_email = accounts_->Login(ctx_, {.identifier = "nobody@example.com", .password = kPassword});
  auto wrong = accounts_->Login(ctx_, {.identifier = "alice_1", .password = "not the password"});
  ASSERT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(unknown.status().message(), "login: invalid credentials");
  EXPECT_EQ(wrong.status().code(), unknown.status().code());
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(unknown_email.status().code(), unknown.status().code());
  EXPECT_EQ(unknown_email.status().message(), unknown.status().message());
  EXPECT_EQ(Sessions(), 0);
}

TEST_P(AccountsTest, AccessTokenChecksAndExpires) {
  model::User u = RegisterAlice();
  Session s = LoginAlice();
  ASSERT_OK_AND_ASSIGN(Authenticated who, accounts_->CheckAccessToken(ctx_, s.access_token));
  EXPECT_EQ(who.user.id, u.id);
  EXPECT_EQ(who.user.username, "alice_1");
  EXPECT_FALSE(who.user.password_hash.has_value());
  EXPECT_EQ(who.session.id, s.session_id);
  EXPECT_EQ(who.session.family_id, s.session_id.value);

  // Tampered, malformed and foreign tokens.
  std::string tampered = s.access_token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, tampered), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, "garbage"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, "12345.abc"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s.refresh_token), StatusIs(absl::StatusCode::kUnauthenticated));

  clock_.Advance(std::chrono::minutes(15) - std::chrono::microseconds(1));
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, s.access_token));
  clock_.Advance(std::chrono::microseconds(1));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s.access_token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  // The refresh token outlives the access token.
  ASSERT_OK_AND_ASSIGN(Session next, accounts_->Refresh(ctx_, {.refresh_token = s.refresh_token}));
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, next.access_token));
}

TEST_P(AccountsTest, RefreshTokenExpires) {
  RegisterAlice();
  Session s = LoginAlice();
  clock_.Advance(std::chrono::hours(24 * 30));
  EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = s.refresh_token}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_P(AccountsTest, RefreshRotatesWithinTheFamily) {
  RegisterAlice();
  Session s1 = LoginAlice();
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_OK_AND_ASSIGN(Session s2, accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}));
  EXPECT_NE(s2.session_id, s1.session_id);
  EXPECT_NE(s2.refresh_token, s1.refresh_token);
  EXPECT_NE(s2.access_token, s1.access_token);
  EXPECT_EQ(s2.user.id, s1.user.id);
  EXPECT_EQ(s2.access_expires_at, clock_.Now() + std::chrono::minutes(15));
  // The old session is revoked and points at its replacement, in the same family.
  ASSERT_OK_AND_ASSIGN(auto rs, tdb_->db().Execute(ctx_, "SELECT revoked_at, replaced_by, family_id FROM user_sessions "
                                                         "WHERE id = ?",
                                                   {s1.session_id.value}));
  EXPECT_FALSE(rs.front().IsNull(0));
  EXPECT_EQ(rs.front().Int64(1), s2.session_id.value);
  EXPECT_EQ(rs.front().Int64(2), s1.session_id.value);
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s1.access_token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  ASSERT_OK_AND_ASSIGN(Authenticated who, accounts_->CheckAccessToken(ctx_, s2.access_token));
  EXPECT_EQ(who.session.family_id, s1.session_id.value);
  // And again: chains keep working.
  ASSERT_OK_AND_ASSIGN(Session s3, accounts_->Refresh(ctx_, {.refresh_token = s2.refresh_token}));
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, s3.access_token));
}

TEST_P(AccountsTest, ReuseOfARotatedRefreshTokenRevokesTheFamily) {
  RegisterAlice();
  Session s1 = LoginAlice();
  Session other = LoginAlice();  // another device: another family
  ASSERT_OK_AND_ASSIGN(Session s2, accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}));
  ASSERT_OK_AND_ASSIGN(Session s3, accounts_->Refresh(ctx_, {.refresh_token = s2.refresh_token}));

  auto reuse = accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token});
  EXPECT_THAT(reuse, StatusIs(absl::StatusCode::kUnauthenticated,
                              "refresh: token reuse detected; all sessions in this family were revoked"));
  // The family's live session is gone; the revocation was committed despite the error.
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s3.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = s3.refresh_token}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(Scalar("SELECT count(*) FROM user_sessions WHERE family_id = ? AND revoked_at IS NULL",
                   {s1.session_id.value}),
            0);
  // The other family is untouched.
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, other.access_token));
  EXPECT_OK(accounts_->Refresh(ctx_, {.refresh_token = other.refresh_token}));
}

TEST_P(AccountsTest, RefreshRejectsUnknownAndMalformedTokens) {
  RegisterAlice();
  LoginAlice();
  EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
              StatusIs(absl::StatusCode::kUnauthenticated, "refresh: refresh token is invalid"));
  auto bad = accounts_->Refresh(ctx_, {.refresh_token = "short"});
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StatusField(bad.status()), "refresh_token");
  EXPECT_EQ(Sessions(), 1);
}

TEST_P(AccountsTest, LogoutRevokesOneSession) {
  RegisterAlice();
  Session a = LoginAlice();
  Session b = LoginAlice();
  ASSERT_OK(accounts_->Logout(ctx_, a.access_token));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, a.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = a.refresh_token}),
              StatusIs(absl::StatusCode::kUnauthenticated, "refresh: session was revoked"));
  EXPECT_OK(accounts_->Logout(ctx_, a.access_token));  // again: fine
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, b.access_token));
  // By refresh token too.
  ASSERT_OK(accounts_->Logout(ctx_, b.refresh_token));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, b.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->Logout(ctx_, "1.nosuchtoken"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->Logout(ctx_, ""), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_P(AccountsTest, LogoutEverywhereRevokesEverySession) {
  model::User u = RegisterAlice();
  std::vector<Session> sessions = {LoginAlice(), LoginAlice(), LoginAlice()};
  ASSERT_OK_AND_ASSIGN(int64_t n, accounts_->LogoutEverywhere(ctx_, u.id));
  EXPECT_EQ(n, 3);
  for (const Session& s : sessions) {
    EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = s.refresh_token}),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  ASSERT_OK_AND_ASSIGN(n, accounts_->LogoutEverywhere(ctx_, u.id));
  EXPECT_EQ(n, 0);
  EXPECT_OK(accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword}));
}

TEST_P(AccountsTest, StatusIsEnforcedAtLogin) {
  model::User u = RegisterAlice();
  for (auto [status, word] : {std::pair{model::UserStatus::kSuspended, "suspended"},
                              std::pair{model::UserStatus::kBanned, "banned"},
                              std::pair{model::UserStatus::kDeleted, "deleted"}}) {
    SetStatus(u.id, status);
    EXPECT_THAT(accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword}),
                StatusIs(absl::StatusCode::kPermissionDenied, absl::StrCat("login: account is ", word)));
    // A wrong password still says only "invalid credentials": the status is not revealed.
    EXPECT_THAT(accounts_->Login(ctx_, {.identifier = "alice_1", .password = "wrong password"}),
                StatusIs(absl::StatusCode::kUnauthenticated, "login: invalid credentials"));
  }
  EXPECT_EQ(Sessions(), 0);
  SetStatus(u.id, model::UserStatus::kActive);
  EXPECT_OK(accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword}));
}

TEST_P(AccountsTest, StatusIsEnforcedAtTokenCheckAndRefresh) {
  model::User u = RegisterAlice();
  Session s = LoginAlice();
  SetStatus(u.id, model::UserStatus::kSuspended);
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s.access_token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("suspended")));
  EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = s.refresh_token}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("suspended")));
  SetStatus(u.id, model::UserStatus::kActive);
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, s.access_token));
}

TEST_P(AccountsTest, DuplicatesNameTheFieldAndWriteNothing) {
  RegisterAlice();
  struct Case {
    RegisterRequest request;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{.email = "new@example.com", .username = "ALICE_1", .password = kPassword}, "username"},
      {{.email = "ALICE@example.com", .username = "bob", .password = kPassword}, "email"},
      {{.phone = "+14155552671", .username = "bob", .password = kPassword}, "phone"},
  };
  for (const Case& c : cases) {
    auto r = accounts_->Register(ctx_, c.request);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(c.field))) << c.field;
    EXPECT_EQ(StatusField(r.status()), c.field);
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr(kPassword)));
  }
  EXPECT_EQ(Users(), 1);
  EXPECT_EQ(Profiles(), 1);
}

TEST_P(AccountsTest, EveryRegisterRuleFailsNamingItsFieldAndWritesNothing) {
  struct Case {
    RegisterRequest request;
    const char* field;
  };
  const std::string ok_pw = "password123";
  const std::vector<Case> cases = {
      {{.username = "carol", .password = ok_pw}, "email"},  // neither email nor phone
      {{.email = "not-an-email", .username = "carol", .password = ok_pw}, "email"},
      {{.email = "a@b", .username = "carol", .password = ok_pw}, "email"},
      {{.phone = "4155552671", .username = "carol", .password = ok_pw}, "phone"},
      {{.phone = "+0155552671", .username = "carol", .password = ok_pw}, "phone"},
      {{.email = "c@example.com", .username = "ca", .password = ok_pw}, "username"},
      {{.email = "c@example.com", .username = std::string(31, 'c'), .password = ok_pw}, "username"},
      {{.email = "c@example.com", .username = "1carol", .password = ok_pw}, "username"},
      {{.email = "c@example.com", .username = "car-ol", .password = ok_pw}, "username"},
      {{.email = "c@example.com", .username = "carol'; DROP TABLE users;--", .password = ok_pw}, "username"},
      {{.email = "c@example.com", .username = "carol", .password = "short12"}, "password"},
      {{.email = "c@example.com", .username = "carol", .password = std::string(129, 'p')}, "password"},
      {{.email = "c@example.com", .username = "carol", .password = "bad\xff utf8 pw"}, "password"},
      {{.email = "c@example.com", .username = "carol", .password = ok_pw, .display_name = ""}, "display_name"},
      {{.email = "c@example.com", .username = "carol", .password = ok_pw, .display_name = std::string(51, 'd')},
       "display_name"},
      {{.email = "c@example.com", .username = "carol", .password = ok_pw, .display_name = "two\nlines"},
       "display_name"},
  };
  for (const Case& c : cases) {
    auto r = accounts_->Register(ctx_, c.request);
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    std::vector<std::string> fields;
    for (const Violation& v : StatusViolations(r.status())) fields.push_back(v.field);
    EXPECT_THAT(fields, ::testing::Contains(c.field)) << r.status();
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr(ok_pw)));
  }
  // Every violation at once.
  auto all = accounts_->Register(ctx_, {.email = "x", .username = "1", .password = "p"});
  std::vector<std::string> fields;
  for (const Violation& v : StatusViolations(all.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("email", "username", "password"));
  EXPECT_EQ(Users(), 0);
  EXPECT_EQ(Profiles(), 0);
}

TEST_P(AccountsTest, LoginValidationWritesNothing) {
  RegisterAlice();
  auto r = accounts_->Login(ctx_, {.identifier = "", .password = kPassword});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StatusField(r.status()), "identifier");
  r = accounts_->Login(ctx_, {.identifier = "alice_1", .password = ""});
  EXPECT_EQ(StatusField(r.status()), "password");
  EXPECT_EQ(Sessions(), 0);
}

TEST_P(AccountsTest, ChangePasswordChecksTheCurrentOneAndRevokesSessions) {
  model::User u = RegisterAlice();
  Session s = LoginAlice();
  EXPECT_THAT(accounts_->ChangePassword(ctx_, {.user_id = u.id.value, .current_password = "wrong one",
                                               .new_password = "brand new secret"}),
              StatusIs(absl::StatusCode::kUnauthenticated, "change_password: current password is wrong"));
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, s.access_token));
  auto bad = accounts_->ChangePassword(ctx_, {.user_id = u.id.value, .current_password = kPassword,
                                              .new_password = "short"});
  EXPECT_EQ(StatusField(bad), "new_password");

  ASSERT_OK(accounts_->ChangePassword(ctx_, {.user_id = u.id.value, .current_password = kPassword,
                                             .new_password = "brand new secret"}));
  EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword}),
              StatusIs(absl::StatusCode::kUnauthenticated, "login: invalid credentials"));
  EXPECT_OK(accounts_->Login(ctx_, {.identifier = "alice_1", .password = "brand new secret"}));
}

TEST_P(AccountsTest, LoginRehashesPasswordsMadeWithAnotherCost) {
  model::User u = RegisterAlice();
  ASSERT_OK_AND_ASSIGN(auto before, tdb_->db().Execute(ctx_, "SELECT password_hash FROM users WHERE id = ?", {u.id.value}));
  AccountsOptions costlier = AccountsOptions::ForTesting();
  costlier.password_opslimit = 2;
  Accounts stronger(deps_, costlier);
  ASSERT_OK(stronger.Login(ctx_, {.identifier = "alice_1", .password = kPassword}));
  ASSERT_OK_AND_ASSIGN(auto after, tdb_->db().Execute(ctx_, "SELECT password_hash FROM users WHERE id = ?", {u.id.value}));
  EXPECT_NE(before.front().Text(0), after.front().Text(0));
  EXPECT_THAT(after.front().Text(0), HasSubstr("t=2"));
  EXPECT_OK(accounts_->Login(ctx_, {.identifier = "alice_1", .password = kPassword}));
}

TEST_P(AccountsTest, ConcurrentRefreshesOfOneTokenCountAsReuse) {
  // Without a grace window (accounts_hostile_test covers the default, where the second gets the
  // first one's successor).
  AccountsOptions no_grace = AccountsOptions::ForTesting();
  no_grace.refresh_reuse_grace = std::chrono::seconds(0);
  accounts_ = std::make_unique<Accounts>(deps_, no_grace);
  RegisterAlice();
  Session s = LoginAlice();
  absl::StatusOr<Session> results[2] = {absl::UnknownError("not run"), absl::UnknownError("not run")};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      RequestContext ctx;  // one context per thread: an open transaction belongs to its thread
      results[i] = accounts_->Refresh(ctx, {.refresh_token = s.refresh_token});
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, reuse = 0;
  for (const auto& r : results) {
    if (r.ok()) ++ok;
    if (r.status().code() == absl::StatusCode::kUnauthenticated &&
        absl::StrContains(r.status().message(), "token reuse detected")) {
      ++reuse;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(reuse, 1);
  // Whichever came second revoked the family, including the session the first one created.
  EXPECT_EQ(Scalar("SELECT count(*) FROM user_sessions WHERE family_id = ? AND revoked_at IS NULL",
                   {s.session_id.value}),
            0);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(AccountsTest);

}  // namespace
}  // namespace daira::services
