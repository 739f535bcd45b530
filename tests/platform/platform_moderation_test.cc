// Platform::moderation() and Platform::audit() on both SQL backends: wired over the platform's database
// (a decision's effect is seen by accounts(), its audit row by audit().Verify), and an invalid
// PlatformOptions::moderation refuses Open; the threshold and the money options as Config entries (they
// win over PlatformOptions); a WARN through the platform reaches the user's notifications.
#include <memory>
#include <string>

#include "daira/platform/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;

class PlatformModerationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam())); }
  std::unique_ptr<TestDatabase> tdb_;
  RequestContext ctx_;
};

TEST_P(PlatformModerationTest, ABanThroughThePlatformLocksTheAccountAndIsAudited) {
  PlatformOptions options{.accounts = services::AccountsOptions::ForTesting()};
  options.moderation.auto_hide_threshold = 1;
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(tdb_->url(), options));
  constexpr const char* kPw = "correct horse battery";
  ASSERT_OK_AND_ASSIGN(
      auto alice, p->accounts().Register(ctx_, {.email = "a@x.io", .username = "alice", .password = kPw}));
  ASSERT_OK_AND_ASSIGN(auto bob,
                       p->accounts().Register(ctx_, {.email = "b@x.io", .username = "bob", .password = kPw}));
  ASSERT_OK_AND_ASSIGN(auto mod,
                       p->accounts().Register(ctx_, {.email = "m@x.io", .username = "mod", .password = kPw}));
  ASSERT_OK_AND_ASSIGN(auto post,
                       p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "buy now"}));
  ASSERT_OK_AND_ASSIGN(auto report, p->moderation().Report(ctx_, {.reporter_id = bob.id.value,
                                                                  .content_type = "POST",
                                                                  .content_id = post.id.value,
                                                                  .reason = "SPAM"}));
  // Threshold 1: the one report hid the post already.
  ASSERT_OK_AND_ASSIGN(auto hidden, p->posts().Get(ctx_, post.id));
  EXPECT_EQ(hidden.status, model::ContentStatus::kHidden);
  ASSERT_OK(p->moderation()
                .Decide(ctx_, {.report_id = report.id.value, .reviewer_id = mod.id.value, .decision = "BAN"})
                .status());
  EXPECT_THAT(p->accounts().Login(ctx_, {.identifier = "alice", .password = kPw}),
              StatusIs(absl::StatusCode::kPermissionDenied, "login: account is banned"));
  ASSERT_OK_AND_ASSIGN(auto v, p->audit().Verify(ctx_));
  EXPECT_TRUE(v.ok()) << v.problem;
  EXPECT_EQ(v.checked, 2);  // content.auto_hide, moderation.ban
}

TEST_P(PlatformModerationTest, AnInvalidThresholdRefusesOpen) {
  PlatformOptions options{.accounts = services::AccountsOptions::ForTesting()};
  options.moderation.auto_hide_threshold = -1;
  EXPECT_THAT(Platform::Open(tdb_->url(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("auto_hide_threshold")));
}

TEST_P(PlatformModerationTest, ConfigEntriesSetTheThresholdAndTheMoneyOptionsOverPlatformOptions) {
  PlatformOptions options{.accounts = services::AccountsOptions::ForTesting()};
  options.moderation.auto_hide_threshold = 7;  // the Config entries win
  options.money.tip_fee_bps = 100;
  ASSERT_OK_AND_ASSIGN(
      Config config,
      Config::FromUrls({"database=" + tdb_->url(), "moderation_auto_hide_threshold=1", "tip_fee_bps=500",
                        "money_idempotency_retention_s=172800", "money_max_attempts=4"}));
  ASSERT_OK_AND_ASSIGN(auto p, Platform::Open(config, options));
  EXPECT_EQ(p->moderation().options().auto_hide_threshold, 1);
  EXPECT_EQ(p->wallet_service().options().tip_fee_bps, 500);
  EXPECT_EQ(p->wallet_service().options().idempotency_retention, std::chrono::hours(48));
  EXPECT_EQ(p->wallet_service().options().max_attempts, 4);
  // The threshold in effect: one report hides the post; a WARN notifies its author.
  constexpr const char* kPw = "correct horse battery";
  ASSERT_OK_AND_ASSIGN(
      auto alice, p->accounts().Register(ctx_, {.email = "a@x.io", .username = "alice", .password = kPw}));
  ASSERT_OK_AND_ASSIGN(auto bob,
                       p->accounts().Register(ctx_, {.email = "b@x.io", .username = "bob", .password = kPw}));
  ASSERT_OK_AND_ASSIGN(auto mod,
                       p->accounts().Register(ctx_, {.email = "m@x.io", .username = "mod", .password = kPw}));
  ASSERT_OK_AND_ASSIGN(auto post,
                       p->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "buy"}));
  ASSERT_OK_AND_ASSIGN(auto report, p->moderation().Report(ctx_, {.reporter_id = bob.id.value,
                                                                  .content_type = "POST",
                                                                  .content_id = post.id.value,
                                                                  .reason = "SPAM"}));
  ASSERT_OK_AND_ASSIGN(auto hidden, p->posts().Get(ctx_, post.id));
  EXPECT_EQ(hidden.status, model::ContentStatus::kHidden);
  ASSERT_OK_AND_ASSIGN(
      auto d, p->moderation().Decide(
                  ctx_, {.report_id = report.id.value, .reviewer_id = mod.id.value, .decision = "WARN"}));
  ASSERT_TRUE(d.notification.has_value());
  ASSERT_OK_AND_ASSIGN(auto inbox, p->notifications().List(ctx_, alice.id, {}));
  ASSERT_EQ(inbox.items.size(), 1u);
  EXPECT_EQ(inbox.items[0].kind, "MODERATION");
  EXPECT_EQ(inbox.items[0].target_id, post.id.value);
}

TEST_P(PlatformModerationTest, AnOutOfRangeConfigEntryRefusesOpen) {
  Config config;
  config.database = tdb_->url();
  config.moderation_auto_hide_threshold = -5;
  EXPECT_THAT(
      Platform::Open(config, {.accounts = services::AccountsOptions::ForTesting()}),
      StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("moderation_auto_hide_threshold")));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PlatformModerationTest);

}  // namespace
}  // namespace daira
