// Platform facade: opens, migrates, wires every service over one database; the story a user runs first
// (register, follow, post, read the feed); refused concerns; close (both SQL backends).
#include "daira/platform/platform.h"

#include <memory>
#include <string>

#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform_test_options.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

class PlatformTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam())); }
  std::unique_ptr<TestDatabase> tdb_;
  RequestContext ctx_;
};

TEST_P(PlatformTest, OpenMigratesAndServicesShareTheDatabase) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(platform->database()));
  ASSERT_OK_AND_ASSIGN(auto rows, migrator->Status(ctx_));
  ASSERT_FALSE(rows.empty());
  for (const auto& m : rows) EXPECT_TRUE(m.applied) << m.name;
  EXPECT_OK(platform->Ping(ctx_));
  EXPECT_EQ(platform->config().database, tdb_->url());

  ASSERT_OK_AND_ASSIGN(model::User alice, platform->accounts().Register(
                                              ctx_, {.email = "alice@example.com", .username = "alice",
                                                     .password = "correct horse battery"}));
  ASSERT_OK_AND_ASSIGN(model::User bob, platform->accounts().Register(
                                            ctx_, {.email = "bob@example.com", .username = "bob", .password = "correct horse battery"}));
  ASSERT_OK(platform->social().Follow(ctx_, bob.id, alice.id).status());
  ASSERT_OK_AND_ASSIGN(model::Post post,
                       platform->content().CreatePost(ctx_, {.author_id = alice.id.value, .content = "hello #daira"}));
  ASSERT_OK_AND_ASSIGN(auto page, platform->feed().Home(ctx_, bob.id, {.limit = 20}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, post.id);
  ASSERT_TRUE(page.items[0].author.has_value());
  EXPECT_EQ(page.items[0].author->username, "alice");

  ASSERT_OK_AND_ASSIGN(model::User found, platform->users().FindByUsername(ctx_, "alice"));
  EXPECT_EQ(found.id, alice.id);
  ASSERT_OK_AND_ASSIGN(auto stats, platform->profiles().Stats(ctx_, alice.id));
  EXPECT_EQ(stats.followers, 1);
  ASSERT_OK_AND_ASSIGN(auto hits, platform->search().Users(ctx_, {.query = "ali", .limit = 20}));
  ASSERT_FALSE(hits.items.empty());
  EXPECT_EQ(hits.items[0].username, "alice");
}

TEST_P(PlatformTest, RepositoriesShareTheDatabase) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
  ASSERT_OK_AND_ASSIGN(model::User dana, platform->accounts().Register(
                                             ctx_, {.email = "dana@example.com", .username = "dana",
                                                    .password = "correct horse battery"}));
  ASSERT_OK_AND_ASSIGN(model::Wallet wallet, platform->wallets().Create(ctx_, {.user_id = dana.id, .currency = "EGP"}));
  ASSERT_OK_AND_ASSIGN(model::Wallet found, platform->wallets().FindByUserId(ctx_, dana.id));
  EXPECT_EQ(found.id, wallet.id);
  EXPECT_EQ(found.currency, "EGP");
  EXPECT_EQ(found.balance, 0);

  ASSERT_OK_AND_ASSIGN(model::Post post,
                       platform->content().CreatePost(ctx_, {.author_id = dana.id.value, .content = "via #content"}));
  ASSERT_OK_AND_ASSIGN(model::PostRecord record, platform->posts().Get(ctx_, post.id));
  EXPECT_EQ(record.content, "via #content");
  ASSERT_OK_AND_ASSIGN(bool exists, platform->posts().Exists(ctx_, post.id));
  EXPECT_TRUE(exists);
  ASSERT_OK_AND_ASSIGN(int64_t audit_entries, platform->audit_logs().Count(ctx_));
  EXPECT_EQ(audit_entries, 0);
  ASSERT_OK_AND_ASSIGN(int64_t reports, platform->reports().Count(ctx_));
  EXPECT_EQ(reports, 0);
}

TEST_P(PlatformTest, SocialAccountAndReactionRepositoriesSeeWhatTheServicesWrote) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
  const std::string pw = "correct horse battery";
  ASSERT_OK_AND_ASSIGN(model::User erin,
                       platform->accounts().Register(ctx_, {.email = "erin@example.com", .username = "erin",
                                                            .password = pw, .display_name = "Erin"}));
  ASSERT_OK_AND_ASSIGN(model::User finn, platform->accounts().Register(ctx_, {.email = "finn@x.io",
                                                                              .username = "finn",
                                                                              .password = pw}));
  ASSERT_OK_AND_ASSIGN(services::Session session,
                       platform->accounts().Login(ctx_, {.identifier = "erin", .password = pw}));
  ASSERT_OK(platform->social().Follow(ctx_, finn.id, erin.id).status());
  ASSERT_OK(platform->social().Mute(ctx_, erin.id, finn.id).status());
  ASSERT_OK_AND_ASSIGN(model::Post post,
                       platform->content().CreatePost(ctx_, {.author_id = erin.id.value, .content = "hi"}));
  const model::ReactionTarget target{model::ReactionTargetType::kPost, post.id.value};
  ASSERT_OK(platform->content()
                .React(ctx_, {.user_id = finn.id.value, .target_type = "POST", .target_id = target.id})
                .status());

  ASSERT_OK_AND_ASSIGN(model::FollowRecord edge, platform->follows().FindByPair(ctx_, finn.id, erin.id));
  EXPECT_EQ(edge.status, model::FollowStatus::kActive);
  const services::ProfileFieldMask mask{model::UserProfileField::kDisplayName,
                                        model::UserProfileField::kFollowersCount};
  ASSERT_OK_AND_ASSIGN(model::UserProfileRecord profile, platform->user_profiles().Get(ctx_, erin.id, mask));
  EXPECT_EQ(profile.display_name, "Erin");
  EXPECT_EQ(profile.followers_count, 1);
  ASSERT_OK_AND_ASSIGN(model::UserSessionRecord s, platform->sessions().Get(ctx_, session.session_id));
  EXPECT_EQ(s.user_id, erin.id);
  EXPECT_FALSE(s.refresh_token_hash.has_value());
  ASSERT_OK_AND_ASSIGN(int64_t mutes, platform->mutes().Count(ctx_, {.muter_id = erin.id}));
  EXPECT_EQ(mutes, 1);
  ASSERT_OK_AND_ASSIGN(int64_t blocks, platform->blocks().Count(ctx_));
  EXPECT_EQ(blocks, 0);
  ASSERT_OK_AND_ASSIGN(model::ReactionRecord reaction,
                       platform->reactions().FindByUserAndTarget(ctx_, finn.id, target));
  EXPECT_EQ(reaction.reaction, model::Reaction::kLike);
}

TEST_P(PlatformTest, ReopenIsIdempotentAndSeesTheData) {
  {
    ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
    ASSERT_OK(platform->accounts().Register(ctx_, {.email = "carol@example.com", .username = "carol", .password = "long enough pw"}).status());
  }
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
  EXPECT_OK(platform->users().FindByUsername(ctx_, "carol").status());
}

TEST_P(PlatformTest, WithoutMigrateTheSchemaIsLeftAlone) {
  PlatformOptions options = TestOptions();
  options.migrate = false;
  // An unmigrated database has no instance_nodes table to lease a node id from: refused, saying how
  // to fix it, rather than issuing ids that are unique only by chance.
  EXPECT_THAT(Platform::Open(tdb_->url(), options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("daira migrate")));
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
  ASSERT_OK_AND_ASSIGN(auto rows, migrator->Status(ctx_));
  for (const auto& m : rows) EXPECT_FALSE(m.applied) << m.name;
  // With its own id generator and a configured cursor key it needs nothing from the schema.
  IdGenerator ids;
  options.ids = &ids;
  Config config;
  config.database = tdb_->url();
  config.cursor_key = std::string(64, 'a');
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(config, options));
  EXPECT_FALSE(platform->users().FindByUsername(ctx_, "nobody").ok());
  ASSERT_OK_AND_ASSIGN(rows, migrator->Status(ctx_));
  for (const auto& m : rows) EXPECT_FALSE(m.applied) << m.name;
}

TEST_P(PlatformTest, CloseIsIdempotentAndPingReportsIt) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
  EXPECT_FALSE(platform->closed());
  EXPECT_OK(platform->Close());
  EXPECT_TRUE(platform->closed());
  EXPECT_OK(platform->Close());
  EXPECT_THAT(platform->Ping(ctx_), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
}

TEST_P(PlatformTest, CallsAfterCloseFailCleanly) {
  // Before: Close() destroyed the database the services point at (a use-after-free for a C++ caller).
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(tdb_->url(), TestOptions()));
  services::Accounts& accounts = platform->accounts();
  services::Feed& feed = platform->feed();
  ASSERT_OK(platform->Close());
  EXPECT_THAT(
      accounts.Register(ctx_, {.email = "a@x.io", .username = "alice", .password = "correct horse 42"}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  EXPECT_THAT(feed.Home(ctx_, UserId(1), {.limit = 5}), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(platform->users().Get(ctx_, UserId(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(platform->database().Read(ctx_, "SELECT 1"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PlatformTest);

TEST(PlatformOpenTest, AnUnreachableConcernBackendFailsTheOpenNamingIt) {
  // Every concern has its backends now (bus=redis:// was the last); an unreachable one fails the open.
  for (const char* entry : {"bus=redis://127.0.0.1:1/0"}) {
    ASSERT_OK_AND_ASSIGN(Config config, Config::FromUrls({"database=sqlite::memory:", entry}));
    const std::string concern = std::string(entry).substr(0, std::string(entry).find('='));
    EXPECT_THAT(Platform::Open(config, TestOptions()).status(),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr(concern)))
        << entry;
  }
}

TEST(PlatformOpenTest, BadAccountsOptionsFailAtOpenNamingTheOption) {
  PlatformOptions options = TestOptions();
  options.accounts.access_token_ttl = std::chrono::seconds(-1);
  EXPECT_THAT(Platform::Open("sqlite::memory:", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("access_token_ttl")));
}

TEST(PlatformOpenTest, BadDatabaseUrlIsInvalidArgument) {
  EXPECT_THAT(Platform::Open("sqlite:./x.db?readers=many", TestOptions()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("readers")));
  EXPECT_THAT(Platform::Open("mysql://127.0.0.1/app", TestOptions()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PlatformOpenTest, EmbeddedInMemoryDefault) {
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(Config::Embedded(":memory:"), TestOptions()));
  RequestContext ctx;
  EXPECT_OK(platform->Ping(ctx));
}

}  // namespace
}  // namespace daira
