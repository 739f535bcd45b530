// The cache behind a Platform: `cache=memory:` and `cache=redis://…` wired into the services; profile
// reads through the cache with single-flight; invalidation after commit (profile update, follow,
// unfollow) and never after a rollback; read-your-writes inside a transaction; two Platform instances
// on one Postgres and one Redis; Redis killed under a running Platform.
//
// Instantiated for each SQL backend × cache backend: /sqlite_memory, /sqlite_redis, /sqlite_redis_near,
// /postgres_memory, /postgres_redis, /postgres_redis_near (Postgres and Redis as tests/support says:
// with CI=true a missing server fails). redis_near is Redis with the near cache in front
// (near_max_bytes=4MiB, a near TTL of 10 min so that only invalidations can end an entry).

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache_test_support.h"
#include "daira/core/config.h"
#include "daira/platform/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform_test_options.h"
#include "private_redis.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::tuple<std::string, std::string>> Combos() {
  std::vector<std::tuple<std::string, std::string>> out;
  for (const std::string& sql : daira::testing::SqlBackends()) {
    for (const std::string& cache : daira::testing::CacheBackends()) {
      out.emplace_back(sql, cache);
      if (cache == "redis") out.emplace_back(sql, "redis_near");
    }
  }
  return out;
}

class PlatformCacheTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  const std::string& sql() const { return std::get<0>(GetParam()); }
  bool redis() const { return std::get<1>(GetParam()) != "memory"; }
  bool near() const { return std::get<1>(GetParam()) == "redis_near"; }

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(sql()));
    cache_url_ = near()    ? opener_.RedisUrl("near_max_bytes=4MiB&near_ttl_ms=600000")
                 : redis() ? opener_.RedisUrl()
                           : "memory:";
    platform_ = OpenPlatform();
    ASSERT_NE(platform_, nullptr);
    ASSERT_OK_AND_ASSIGN(alice_,
                         platform_->accounts().Register(
                             ctx_, {.email = "a@x.io", .username = "alice", .password = "correct horse 42"}));
    ASSERT_OK_AND_ASSIGN(bob_,
                         platform_->accounts().Register(
                             ctx_, {.email = "b@x.io", .username = "bob", .password = "correct horse 42"}));
  }
  // Services read through an in-process cache only on SQLite (see Platform::cache()).
  bool services_use_cache() const { return redis() || sql() == "sqlite"; }
  std::unique_ptr<Platform> OpenPlatform() {
    absl::StatusOr<Config> config = Config::FromUrls({"database=" + tdb_->url(), "cache=" + cache_url_});
    EXPECT_THAT(config, daira::testing::IsOk());
    if (!config.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<Platform>> p = Platform::Open(*config, TestOptions());
    EXPECT_THAT(p, daira::testing::IsOk());
    return p.ok() ? *std::move(p) : nullptr;
  }
  int64_t Loads() const { return platform_->cache().read_through_loads(); }

  daira::testing::TestCacheOpener opener_;
  std::unique_ptr<TestDatabase> tdb_;
  std::string cache_url_;
  std::unique_ptr<Platform> platform_;
  RequestContext ctx_;
  model::User alice_, bob_;
};

std::string ComboName(const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}

// The combinations where the services read through the cache (Redis, or in-process on SQLite); on Postgres
// an in-process cache is not read through (declared; TheConfiguredCacheIsWiredIntoTheServices checks it).
class PlatformReadThroughTest : public PlatformCacheTest {};
std::vector<std::tuple<std::string, std::string>> ReadThroughCombos() {
  std::vector<std::tuple<std::string, std::string>> out;
  for (auto& c : Combos()) {
    if (std::get<1>(c) != "memory" || std::get<0>(c) == "sqlite") out.push_back(c);
  }
  return out;
}
// The combinations shared by several instances (a Redis cache); an in-process cache is per process.
class PlatformSharedCacheTest : public PlatformCacheTest {};
std::vector<std::tuple<std::string, std::string>> SharedCombos() {
  std::vector<std::tuple<std::string, std::string>> out;
  for (auto& c : Combos()) {
    if (std::get<1>(c) != "memory") out.push_back(c);
  }
  return out;
}

TEST_P(PlatformCacheTest, TheConfiguredCacheIsWiredIntoTheServices) {
  EXPECT_EQ(platform_->cache().Name(), redis() ? "redis" : "memory");
  EXPECT_EQ(platform_->deps().cache, services_use_cache() ? &platform_->cache() : nullptr);
  if (!services_use_cache()) {
    // The database answers every read: nothing goes through the cache.
    const int64_t before = Loads();
    ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());
    EXPECT_EQ(Loads(), before);
    EXPECT_THAT(platform_->cache().Get(absl::StrCat("profile:", alice_.id.value)),
                ::testing::Property(&absl::StatusOr<std::optional<std::string>>::value, std::nullopt));
  }
}

TEST_P(PlatformReadThroughTest, ProfileReadsGoThroughTheCache) {
  const int64_t before = Loads();
  ASSERT_OK_AND_ASSIGN(services::ProfileView first, platform_->profiles().Get(ctx_, alice_.id));
  EXPECT_EQ(Loads(), before + 1);
  ASSERT_OK_AND_ASSIGN(services::ProfileView again, platform_->profiles().Get(ctx_, alice_.id));
  EXPECT_EQ(Loads(), before + 1) << "the second read is a cache hit";
  EXPECT_EQ(again.user.username, first.user.username);
  EXPECT_EQ(again.user.email, first.user.email);
  EXPECT_EQ(again.profile.user_id, alice_.id);
  EXPECT_EQ(again.profile.created_at, first.profile.created_at);
  // Readable bytes, no secrets.
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw,
                       platform_->cache().Get(absl::StrCat("profile:", alice_.id.value)));
  ASSERT_TRUE(raw.has_value());
  EXPECT_THAT(*raw, HasSubstr("profile_view:v1:"));
  EXPECT_THAT(*raw, HasSubstr("alice"));
  EXPECT_THAT(*raw, Not(HasSubstr("argon2")));
  // Unknown users are not cached (and stay NotFound).
  EXPECT_THAT(platform_->profiles().Get(ctx_, UserId(999999)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(PlatformReadThroughTest, WritesInvalidateAfterCommitAndNeverAfterARollback) {
  ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());
  ASSERT_OK(platform_->profiles().Get(ctx_, bob_.id).status());
  // Profile update: the next read sees it.
  ASSERT_OK(platform_->profiles().Update(ctx_, {.user_id = alice_.id.value, .bio = "new bio"}).status());
  ASSERT_OK_AND_ASSIGN(services::ProfileView a, platform_->profiles().Get(ctx_, alice_.id));
  EXPECT_EQ(a.profile.bio, std::optional<std::string>("new bio"));
  // Follow / unfollow: both counters are fresh at once.
  ASSERT_OK(platform_->social().Follow(ctx_, bob_.id, alice_.id).status());
  ASSERT_OK_AND_ASSIGN(a, platform_->profiles().Get(ctx_, alice_.id));
  ASSERT_OK_AND_ASSIGN(services::ProfileView b, platform_->profiles().Get(ctx_, bob_.id));
  EXPECT_EQ(a.profile.followers_count, 1);
  EXPECT_EQ(b.profile.following_count, 1);
  ASSERT_OK(platform_->social().Unfollow(ctx_, bob_.id, alice_.id));
  ASSERT_OK_AND_ASSIGN(a, platform_->profiles().Get(ctx_, alice_.id));
  ASSERT_OK_AND_ASSIGN(b, platform_->profiles().Get(ctx_, bob_.id));
  EXPECT_EQ(a.profile.followers_count, 0);
  EXPECT_EQ(b.profile.following_count, 0);

  // A rolled-back transaction invalidates nothing: the cached entry stays (no reload), unchanged.
  ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());
  const int64_t loads = Loads();
  absl::Status rolled = platform_->database().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(
        platform_->profiles().Update(ctx_, {.user_id = alice_.id.value, .bio = "rolled back"}).status());
    DAIRA_RETURN_IF_ERROR(platform_->social().Follow(ctx_, bob_.id, alice_.id).status());
    // Read-your-writes inside the transaction: the cache is bypassed, the transaction's view answers.
    absl::StatusOr<services::ProfileView> inside = platform_->profiles().Get(ctx_, alice_.id);
    EXPECT_TRUE(inside.ok());
    if (inside.ok()) {
      EXPECT_EQ(inside->profile.bio, std::optional<std::string>("rolled back"));
      EXPECT_EQ(inside->profile.followers_count, 1);
    }
    return absl::AbortedError("test: roll back");
  });
  EXPECT_THAT(rolled, StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw,
                       platform_->cache().Get(absl::StrCat("profile:", alice_.id.value)));
  EXPECT_TRUE(raw.has_value()) << "no invalidation after a rollback";
  ASSERT_OK_AND_ASSIGN(a, platform_->profiles().Get(ctx_, alice_.id));
  EXPECT_EQ(Loads(), loads);
  EXPECT_EQ(a.profile.bio, std::optional<std::string>("new bio"));
  EXPECT_EQ(a.profile.followers_count, 0);

  // A committed transaction invalidates once it commits.
  ASSERT_OK(platform_->database().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(
        platform_->profiles().Update(ctx_, {.user_id = alice_.id.value, .bio = "committed"}).status());
    // Not yet: the hook waits for COMMIT.
    absl::StatusOr<std::optional<std::string>> still =
        platform_->cache().Get(absl::StrCat("profile:", alice_.id.value));
    EXPECT_TRUE(still.ok() && still->has_value()) << "invalidated before commit";
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(a, platform_->profiles().Get(ctx_, alice_.id));
  EXPECT_EQ(a.profile.bio, std::optional<std::string>("committed"));
}

TEST_P(PlatformReadThroughTest, AHundredConcurrentMissesCauseOneLoad) {
  ASSERT_OK(platform_->cache().Delete(absl::StrCat("profile:", alice_.id.value)).status());
  const int64_t before = Loads();
  constexpr int kThreads = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      RequestContext ctx;
      absl::StatusOr<services::ProfileView> v = platform_->profiles().Get(ctx, alice_.id);
      if (!v.ok() || v->user.username != std::optional<std::string>("alice")) ++failures;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Loads() - before, 1);
}

TEST_P(PlatformSharedCacheTest, TwoInstancesSeeEachOthersInvalidations) {
  std::unique_ptr<Platform> other = OpenPlatform();
  ASSERT_NE(other, nullptr);
  // Instance 1 reads alice: cached in Redis (and, with the near cache, kept in instance 1's memory:
  // the second read is a near hit).
  ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());
  ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());
  if (near()) {
    // The invalidations of SetUp's writes (and of this instance's own fill) may still be arriving and
    // dropping the entry: read until one read is a near hit (bounded).
    ASSERT_TRUE(platform_->cache().near_stats().has_value());
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (platform_->cache().near_stats()->hits == 0 && std::chrono::steady_clock::now() < give_up) {
      ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());
    }
    EXPECT_GT(platform_->cache().near_stats()->hits, 0) << "instance 1 serves alice from its near cache";
  }
  // Without a near cache instance 1 sees instance 2's write at once (one shared Redis). With one, it
  // sees it once the invalidation message arrives (docs/cache.md: the pub/sub delay, bounded by the
  // near TTL): poll for it, bounded.
  auto read_until = [&](auto ok) -> services::ProfileView {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      absl::StatusOr<services::ProfileView> a = platform_->profiles().Get(ctx_, alice_.id);
      EXPECT_THAT(a, daira::testing::IsOk());
      if (!a.ok()) return {};
      if (ok(*a) || !near() || std::chrono::steady_clock::now() > give_up) return *a;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  ASSERT_OK(other->profiles().Update(ctx_, {.user_id = alice_.id.value, .bio = "from instance 2"}).status());
  services::ProfileView a = read_until([](const services::ProfileView& v) {
    return v.profile.bio == std::optional<std::string>("from instance 2");
  });
  EXPECT_EQ(a.profile.bio, std::optional<std::string>("from instance 2"));
  ASSERT_OK(platform_->profiles().Get(ctx_, alice_.id).status());  // near again
  ASSERT_OK(other->social().Follow(ctx_, bob_.id, alice_.id).status());
  a = read_until([](const services::ProfileView& v) { return v.profile.followers_count == 1; });
  EXPECT_EQ(a.profile.followers_count, 1);
}

TEST_P(PlatformReadThroughTest, AccessTokenChecksGoThroughTheCacheAndRevocationIsImmediate) {
  services::Accounts& accounts = platform_->accounts();
  ASSERT_OK_AND_ASSIGN(services::Session s,
                       accounts.Login(ctx_, {.identifier = "alice", .password = "correct horse 42"}));
  ASSERT_OK_AND_ASSIGN(services::Authenticated first, accounts.CheckAccessToken(ctx_, s.access_token));
  EXPECT_EQ(first.user.id, alice_.id);
  EXPECT_EQ(first.session.id, s.session_id);
  const int64_t loads = Loads();
  ASSERT_OK_AND_ASSIGN(services::Authenticated again, accounts.CheckAccessToken(ctx_, s.access_token));
  EXPECT_EQ(Loads(), loads) << "a second check is served by the cache";
  EXPECT_EQ(again.user.username, first.user.username);
  EXPECT_EQ(again.session.access_expires_at, first.session.access_expires_at);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw,
                       platform_->cache().Get(absl::StrCat("session:", s.session_id.value)));
  ASSERT_TRUE(raw.has_value());
  EXPECT_THAT(*raw, Not(HasSubstr(s.access_token.substr(s.access_token.find('.') + 1)))) << "never the token";
  // A wrong secret for a cached session is still refused.
  const std::string forged =
      s.access_token.substr(0, s.access_token.find('.') + 1) + "AAAAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_THAT(accounts.CheckAccessToken(ctx_, forged), StatusIs(absl::StatusCode::kUnauthenticated));

  // A rolled-back logout changes nothing; a committed one is seen at once.
  absl::Status rolled = platform_->database().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(accounts.Logout(ctx_, s.access_token));
    return absl::AbortedError("test: roll back");
  });
  EXPECT_THAT(rolled, StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(accounts.CheckAccessToken(ctx_, s.access_token).status());
  ASSERT_OK(accounts.Logout(ctx_, s.access_token));
  EXPECT_THAT(accounts.CheckAccessToken(ctx_, s.access_token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));

  // Refresh rotation revokes the old access token; LogoutEverywhere revokes the new one.
  ASSERT_OK_AND_ASSIGN(services::Session t,
                       accounts.Login(ctx_, {.identifier = "alice", .password = "correct horse 42"}));
  ASSERT_OK(accounts.CheckAccessToken(ctx_, t.access_token).status());
  ASSERT_OK_AND_ASSIGN(services::Session u, accounts.Refresh(ctx_, {.refresh_token = t.refresh_token}));
  EXPECT_THAT(accounts.CheckAccessToken(ctx_, t.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK(accounts.CheckAccessToken(ctx_, u.access_token).status());
  ASSERT_OK_AND_ASSIGN(int64_t n, accounts.LogoutEverywhere(ctx_, alice_.id));
  EXPECT_EQ(n, 1);
  EXPECT_THAT(accounts.CheckAccessToken(ctx_, u.access_token), StatusIs(absl::StatusCode::kUnauthenticated));

  // Suspending the user is seen at once (the user comes through the profile cache).
  ASSERT_OK_AND_ASSIGN(services::Session v,
                       accounts.Login(ctx_, {.identifier = "bob", .password = "correct horse 42"}));
  ASSERT_OK(accounts.CheckAccessToken(ctx_, v.access_token).status());
  ASSERT_OK(platform_->users().Update(ctx_, bob_.id, {.status = model::UserStatus::kSuspended}));
  EXPECT_THAT(accounts.CheckAccessToken(ctx_, v.access_token), StatusIs(absl::StatusCode::kUnauthenticated));
}

INSTANTIATE_TEST_SUITE_P(Cache, PlatformCacheTest, ::testing::ValuesIn(Combos()), ComboName);
INSTANTIATE_TEST_SUITE_P(Cache, PlatformReadThroughTest, ::testing::ValuesIn(ReadThroughCombos()), ComboName);
INSTANTIATE_TEST_SUITE_P(Cache, PlatformSharedCacheTest, ::testing::ValuesIn(SharedCombos()), ComboName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PlatformSharedCacheTest);  // no Redis outside CI: banner says so

TEST(PlatformCacheOpenTest, BadCacheUrlsFailAtOpenNamingTheCache) {
  ASSERT_OK_AND_ASSIGN(Config bad_param,
                       Config::FromUrls({"database=sqlite::memory:", "cache=memory:?max_bytes=x"}));
  EXPECT_THAT(
      Platform::Open(bad_param, TestOptions()).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("cache"), HasSubstr("max_bytes"))));
  ASSERT_OK_AND_ASSIGN(Config unreachable,
                       Config::FromUrls({"database=sqlite::memory:",
                                         "cache=redis://:pw@127.0.0.1:1/0?connect_timeout_ms=500"}));
  absl::Status st = Platform::Open(unreachable, TestOptions()).status();
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1:1")));
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr(":pw@")));
}

TEST(PlatformCacheOpenTest, WithRedisKilledEveryRequestSucceedsThenTheCacheComesBack) {
  ASSERT_OK_AND_ASSIGN(auto redis, daira::testing::PrivateRedis::Start());
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create("sqlite"));
  ASSERT_OK_AND_ASSIGN(Config config,
                       Config::FromUrls({"database=" + tdb->url(),
                                         "cache=" + redis->url() +
                                             "?prefix=t:&reconnect_backoff_max_ms=200&timeout_ms=1000"
                                             "&breaker_cool_down_ms=200"}));
  ASSERT_OK_AND_ASSIGN(auto platform, Platform::Open(config, TestOptions()));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(model::User alice,
                       platform->accounts().Register(
                           ctx, {.email = "a@x.io", .username = "alice", .password = "correct horse 42"}));
  ASSERT_OK_AND_ASSIGN(model::User bob,
                       platform->accounts().Register(
                           ctx, {.email = "b@x.io", .username = "bob", .password = "correct horse 42"}));
  ASSERT_OK(platform->profiles().Get(ctx, alice.id).status());

  ASSERT_OK(redis->Kill());
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(platform->profiles().Get(ctx, alice.id).status()) << i;
  }
  ASSERT_OK(
      platform->profiles().Update(ctx, {.user_id = alice.id.value, .bio = "while redis was down"}).status());
  ASSERT_OK(platform->social().Follow(ctx, bob.id, alice.id).status());
  ASSERT_OK_AND_ASSIGN(services::ProfileView a, platform->profiles().Get(ctx, alice.id));
  EXPECT_EQ(a.profile.bio, std::optional<std::string>("while redis was down"));
  EXPECT_EQ(a.profile.followers_count, 1);
  int64_t errors = 0;
  for (const cache::NamespaceStats& s : platform->cache().Stats()) errors += s.errors;
  EXPECT_GT(errors, 0);

  // The restarted Redis is empty; the pool reconnects by itself (poll its next backoff slot).
  ASSERT_OK(redis->Restart());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool cached = false;
  while (!cached && std::chrono::steady_clock::now() < give_up) {
    ASSERT_OK(platform->profiles().Get(ctx, alice.id).status());
    absl::StatusOr<std::optional<std::string>> raw =
        platform->cache().Get(absl::StrCat("profile:", alice.id.value));
    cached = raw.ok() && raw->has_value();
    if (!cached) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(cached) << "the cache did not come back after Redis restarted";
  ASSERT_OK_AND_ASSIGN(a, platform->profiles().Get(ctx, alice.id));
  EXPECT_EQ(a.profile.bio, std::optional<std::string>("while redis was down"));
}

}  // namespace
}  // namespace daira
