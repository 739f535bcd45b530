// Accounts under hostile and careless input (issue 9), on every SQL backend: device fields validated
// before any hashing or SQL, invalid UTF-8 identifiers, token TTL bounds, the refresh-token reuse
// grace window, and rehash-on-login of older argon2 settings.
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "daira/core/validation.h"
#include "daira/services/accounts.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlicePassword[] = "correct horse battery";

// The shared migrated fixture (migrated_test_base.h: database, ctx_, manual clock_, deps_) plus alice.
class AccountsHostileTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    accounts_ = std::make_unique<Accounts>(deps_, AccountsOptions::ForTesting());
    ASSERT_OK(
        accounts_
            ->Register(ctx_, {.email = "alice@example.com", .username = "alice", .password = kAlicePassword})
            .status());
  }

  int64_t Scalar(const std::string& sql, std::vector<store::Value> params = {}) {
    auto rs = tdb_->db().Execute(ctx_, sql, params);
    EXPECT_OK(rs);
    if (!rs.ok() || rs->empty()) return -1;
    return rs->front().Int64(0);
  }
  int64_t Sessions() { return Scalar("SELECT count(*) FROM user_sessions"); }
  Session Login() {
    auto s = accounts_->Login(ctx_, {.identifier = "alice", .password = kAlicePassword});
    EXPECT_OK(s);
    return s.ok() ? *s : Session{};
  }

  std::unique_ptr<Accounts> accounts_;
};

TEST_P(AccountsHostileTest, DeviceFieldsAreValidatedBeforeAnythingElse) {
  const std::string huge(10 * 1024 * 1024, 'x');
  struct Case {
    DeviceInfo device;
    const char* field;
  };
  const Case cases[] = {
      {{.device_type = huge}, "device_type"},
      {{.device_name = huge}, "device_name"},
      {{.user_agent = huge}, "user_agent"},
      {{.ip_address = huge}, "ip_address"},
      {{.device_type = std::string(33, 'a')}, "device_type"},
      {{.user_agent = "Mozilla\xff\xfe"}, "user_agent"},
      {{.device_name = "phone\xc3"}, "device_name"},
      {{.device_name = "line\nbreak"}, "device_name"},
      {{.ip_address = "999.1.1.1"}, "ip_address"},
      {{.ip_address = "10.0.0.1; DROP TABLE users"}, "ip_address"},
      {{.ip_address = std::string("10.0.0.1\0x", 10)}, "ip_address"},
      {{.ip_address = "\xff\xfe"}, "ip_address"},
  };
  for (const Case& c : cases) {
    // Even with a wrong password the answer is InvalidArgument: validation runs before the check.
    for (const char* password : {kAlicePassword, "wrong password"}) {
      auto s = accounts_->Login(ctx_, {.identifier = "alice", .password = password}, c.device);
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field))) << c.field;
      EXPECT_EQ(StatusField(s.status()), c.field);
      EXPECT_THAT(std::string(s.status().message()), Not(HasSubstr("SELECT")));
      EXPECT_THAT(std::string(s.status().message()), Not(HasSubstr("INSERT")));
      EXPECT_LT(s.status().message().size(), 400u);
    }
  }
  EXPECT_EQ(Sessions(), 0);
  // Good values are stored and read back.
  ASSERT_OK_AND_ASSIGN(Session s, accounts_->Login(ctx_, {.identifier = "alice", .password = kAlicePassword},
                                                   {.device_type = "ios",
                                                    .device_name = "Zoë's iPhone",
                                                    .ip_address = "2001:db8::1",
                                                    .user_agent = "daira/1.0"}));
  ASSERT_OK_AND_ASSIGN(Authenticated who, accounts_->CheckAccessToken(ctx_, s.access_token));
  EXPECT_EQ(who.session.device_name, "Zoë's iPhone");
  EXPECT_EQ(who.session.ip_address, "2001:db8::1");
  EXPECT_OK(accounts_->Login(ctx_, {.identifier = "alice", .password = kAlicePassword},
                             {.ip_address = "203.0.113.7"}));
}

TEST_P(AccountsHostileTest, InvalidUtf8IdentifierIsInvalidArgumentNamingTheField) {
  auto by_name = accounts_->users().FindByUsername(ctx_, "ali\xff\xfe");
  EXPECT_THAT(by_name, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("username")));
  EXPECT_EQ(StatusField(by_name.status()), "username");
  EXPECT_THAT(std::string(by_name.status().message()), Not(HasSubstr("SELECT")));
  auto by_email = accounts_->users().FindByEmail(ctx_, "a\xff@example.com");
  EXPECT_THAT(by_email, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")));
  auto by_phone = accounts_->users().FindByPhone(ctx_, std::string("+1\0", 3));
  EXPECT_THAT(by_phone, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("phone")));
  auto login = accounts_->Login(ctx_, {.identifier = "ali\xff", .password = kAlicePassword});
  EXPECT_THAT(login, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("identifier")));
}

TEST_P(AccountsHostileTest, TokenTtlsAreBounded) {
  for (int which = 0; which < 2; ++which) {
    for (int64_t ttl : {std::numeric_limits<int64_t>::max(), int64_t{0}, int64_t{-5},
                        int64_t{11} * 366 * 24 * 3600}) {
      AccountsOptions o = AccountsOptions::ForTesting();
      (which == 0 ? o.access_token_ttl : o.refresh_token_ttl) = std::chrono::seconds(ttl);
      const char* field = which == 0 ? "access_token_ttl_s" : "refresh_token_ttl_s";
      EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << ttl;
      Accounts bad(deps_, o);
      auto s = bad.Login(ctx_, {.identifier = "alice", .password = kAlicePassword});
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field)));
      EXPECT_EQ(StatusField(s.status()), field);
    }
  }
  EXPECT_EQ(Sessions(), 0);  // no session expiring in the past was ever written
  AccountsOptions ten_years = AccountsOptions::ForTesting();
  ten_years.refresh_token_ttl = std::chrono::seconds(int64_t{10} * 365 * 24 * 3600);
  Accounts ok(deps_, ten_years);
  ASSERT_OK_AND_ASSIGN(Session s, ok.Login(ctx_, {.identifier = "alice", .password = kAlicePassword}));
  EXPECT_GT(s.refresh_expires_at, clock_.Now());
}

TEST_P(AccountsHostileTest, RefreshRetryWithinGraceReturnsTheSameSuccessor) {
  Session s1 = Login();
  ASSERT_OK_AND_ASSIGN(Session s2, accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}));
  clock_.Advance(std::chrono::seconds(29));
  // The client never saw s2 (COMMIT outcome unknown) and retries with s1's token.
  ASSERT_OK_AND_ASSIGN(Session retry, accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}));
  EXPECT_EQ(retry.session_id, s2.session_id);
  EXPECT_EQ(retry.access_token, s2.access_token);
  EXPECT_EQ(retry.refresh_token, s2.refresh_token);
  EXPECT_EQ(retry.access_expires_at, s2.access_expires_at);
  EXPECT_EQ(retry.refresh_expires_at, s2.refresh_expires_at);
  EXPECT_EQ(retry.user.id, s2.user.id);
  // Not a logout: the successor works, and the family continues.
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, s2.access_token));
  ASSERT_OK_AND_ASSIGN(Session s3, accounts_->Refresh(ctx_, {.refresh_token = retry.refresh_token}));
  EXPECT_OK(accounts_->CheckAccessToken(ctx_, s3.access_token));
  // The database holds no token in the clear.
  EXPECT_EQ(Scalar("SELECT count(*) FROM user_sessions WHERE successor_sealed LIKE ?",
                   {"%" + s2.refresh_token + "%"}),
            0);
}

TEST_P(AccountsHostileTest, ReuseAfterTheGraceWindowOrOfAnUsedSuccessorRevokesTheFamily) {
  {
    Session s1 = Login();
    ASSERT_OK_AND_ASSIGN(Session s2, accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}));
    clock_.Advance(std::chrono::seconds(31));
    EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("token reuse detected")));
    EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s2.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  }
  {
    // Within the window, but the successor was already rotated: the old token is a leak.
    Session s1 = Login();
    ASSERT_OK_AND_ASSIGN(Session s2, accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}));
    ASSERT_OK_AND_ASSIGN(Session s3, accounts_->Refresh(ctx_, {.refresh_token = s2.refresh_token}));
    EXPECT_THAT(accounts_->Refresh(ctx_, {.refresh_token = s1.refresh_token}),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("token reuse detected")));
    EXPECT_THAT(accounts_->CheckAccessToken(ctx_, s3.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  }
  {
    // A window of 0 disables the grace.
    AccountsOptions o = AccountsOptions::ForTesting();
    o.refresh_reuse_grace = std::chrono::seconds(0);
    Accounts strict(deps_, o);
    Session s1 = Login();
    ASSERT_OK(strict.Refresh(ctx_, {.refresh_token = s1.refresh_token}).status());
    EXPECT_THAT(strict.Refresh(ctx_, {.refresh_token = s1.refresh_token}),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("token reuse detected")));
  }
  AccountsOptions too_long = AccountsOptions::ForTesting();
  too_long.refresh_reuse_grace = std::chrono::seconds(301);
  EXPECT_THAT(too_long.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refresh_reuse_grace_s")));
}

TEST_P(AccountsHostileTest, ConcurrentRefreshesWithinGraceShareOneSuccessor) {
  Session s = Login();
  absl::StatusOr<Session> results[2] = {absl::UnknownError("not run"), absl::UnknownError("not run")};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      RequestContext ctx;
      results[i] = accounts_->Refresh(ctx, {.refresh_token = s.refresh_token});
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK(results[0].status());
  ASSERT_OK(results[1].status());
  EXPECT_EQ(results[0]->session_id, results[1]->session_id);
  EXPECT_EQ(results[0]->refresh_token, results[1]->refresh_token);
  EXPECT_EQ(Scalar("SELECT count(*) FROM user_sessions WHERE family_id = ? AND revoked_at IS NULL",
                   {s.session_id.value}),
            1);
}

TEST_P(AccountsHostileTest, OlderArgonSettingsAreRehashedOnSuccessfulLoginOnly) {
  ASSERT_OK_AND_ASSIGN(auto before, tdb_->db().Execute(ctx_, "SELECT password_hash FROM users", {}));
  AccountsOptions costlier = AccountsOptions::ForTesting();
  costlier.password_memlimit = kPasswordMemLimitMin * 2;
  Accounts stronger(deps_, costlier);
  EXPECT_THAT(stronger.Login(ctx_, {.identifier = "alice", .password = "wrong password"}),
              StatusIs(absl::StatusCode::kUnauthenticated, "login: invalid credentials"));
  ASSERT_OK_AND_ASSIGN(auto unchanged, tdb_->db().Execute(ctx_, "SELECT password_hash FROM users", {}));
  EXPECT_EQ(unchanged.front().Text(0), before.front().Text(0));
  ASSERT_OK(stronger.Login(ctx_, {.identifier = "alice", .password = kAlicePassword}).status());
  ASSERT_OK_AND_ASSIGN(auto after, tdb_->db().Execute(ctx_, "SELECT password_hash FROM users", {}));
  EXPECT_THAT(after.front().Text(0), HasSubstr("m=16,"));  // 16 KiB
}

DAIRA_INSTANTIATE_SQL_BACKENDS(AccountsHostileTest);

}  // namespace
}  // namespace daira::services
