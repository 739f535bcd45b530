// `daira stats --cache URL`: the cache section (backend, redacted URL, policy, counts), and a bad or
// unreachable cache URL as one clear line naming it. DAIRA_CLI_BINARY is the built binary (CMake).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cache_test_support.h"
#include "daira/cache/cache.h"
#include "daira/core/request_context.h"
#include "daira/services/content.h"
#include "daira/services/feed.h"
#include "daira/services/social.h"
#include "daira/store/database.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the CLI on `database` (a SQLite file; by default a fresh one in a scratch directory).
Result RunCli(const std::string& args, const std::string& database = "") {
  const auto dir = std::filesystem::temp_directory_path() / ("daira-cli-cache-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = database.empty() ? (dir / "a.db").string() : database;
  const std::string cmd = "cd '" + dir.string() + "' && env -u DAIRA_DATABASE -u DAIRA_CACHE '" +
                          DAIRA_CLI_BINARY + "' --database 'sqlite:" + db + "' " + args + " >'" +
                          (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(dir / "out"), Slurp(dir / "err")};
  std::filesystem::remove_all(dir);
  return r;
}

TEST(CliCacheTest, StatsShowsTheCacheBackendAndPolicy) {
  Result r = RunCli("stats --cache 'memory:?max_bytes=1MiB&ttl_profile_ms=600000'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cache  memory"));
  EXPECT_THAT(r.out, HasSubstr("profile ttl=600000ms"));
  EXPECT_THAT(r.out, HasSubstr("custom"));  // the probe read counted as a custom miss
  Result j = RunCli("stats --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_THAT(j.out, HasSubstr(R"("cache":{"backend":"memory")"));
}

TEST(CliCacheTest, StatsShowsTheRedisBreakerAndTheNearCache) {
  if (daira::testing::RedisTestUrl().empty()) {
    if (daira::testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: the Redis cache's stats are NOT covered";
  }
  daira::testing::TestCacheOpener prefixes;  // a fresh key prefix, dropped afterwards
  const std::string url = prefixes.RedisUrl("near_max_bytes=1MiB&near_ttl_ms=1500");
  Result j = RunCli("stats --json --cache '" + url + "'");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_THAT(j.out, HasSubstr(R"("breaker":{"state":"closed","successes":1,)"));
  EXPECT_THAT(j.out, HasSubstr(R"("near":{"usable":true,"max_bytes":1048576,"ttl_ms":1500,)"));
  Result t = RunCli("stats --cache '" + url + "'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("breaker    closed"));
  EXPECT_THAT(t.out, HasSubstr("near       subscribed"));
  // Without near_max_bytes there is no near cache (off by default), the breaker is always there.
  Result plain = RunCli("stats --json --cache '" + prefixes.RedisUrl() + "'");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, HasSubstr(R"("breaker":{"state":"closed")"));
  EXPECT_THAT(plain.out, Not(HasSubstr(R"("near":)")));
}

TEST(CliCacheTest, StatsShowsTheRealtimeHubsBreaker) {
  if (daira::testing::RedisTestUrl().empty()) {
    if (daira::testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: the Redis hub's stats are NOT covered";
  }
  daira::testing::TestCacheOpener prefixes;  // a fresh key prefix, dropped afterwards
  const std::string url = prefixes.RedisUrl("breaker_failures=3");
  Result j = RunCli("stats --json --realtime '" + url + "'");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  // The probe (one history read of an unused channel) went through the breaker.
  EXPECT_THAT(j.out,
              HasSubstr(R"("realtime":{"backend":"redis","breaker":{"state":"closed","successes":1,)"));
  Result t = RunCli("stats --realtime '" + url + "'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("realtime  redis\n  breaker    closed"));
  // memory: has no breaker; without --realtime there is no section.
  Result m = RunCli("stats --json --realtime memory:");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr(R"("realtime":{"backend":"memory"})"));
  Result none = RunCli("stats --json");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, Not(HasSubstr(R"("realtime":)")));
  Result bad = RunCli("stats --realtime '" + prefixes.RedisUrl("breaker_cool_down_ms=0") + "'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("breaker_cool_down_ms"));
}

TEST(CliCacheTest, ABadOrUnreachableCacheIsOneLineNamingIt) {
  Result bad = RunCli("stats --cache 'memory:?max_bytes=lots'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("max_bytes"));
  Result down = RunCli("stats --cache 'redis://:hunter2@127.0.0.1:1/0?connect_timeout_ms=300'");
  EXPECT_NE(down.exit_code, 0);
  EXPECT_THAT(down.err, HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(down.err, Not(HasSubstr("hunter2")));
}

// `daira recount --repair --cache URL`: a repair that moves an author across the fan-out threshold drops
// its readers' feed lists in the application's cache (a Redis shared with the app), as the live path does.
TEST(CliCacheTest, RecountRepairDropsTheReadersFeedListsInTheApplicationsCache) {
  if (daira::testing::RedisTestUrl().empty()) {
    if (daira::testing::InCi()) FAIL() << "DAIRA_TEST_REDIS is not set (CI=true requires a Redis)";
    GTEST_SKIP() << "DAIRA_TEST_REDIS is not set: recount --cache is NOT covered";
  }
  using namespace daira;  // NOLINT(build/namespaces): test body
  daira::testing::TestCacheOpener prefixes;
  const std::string url = prefixes.RedisUrl();
  const auto dir =
      std::filesystem::temp_directory_path() / ("daira-cli-recount-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "app.db").string();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<cache::Cache> cache, cache::OpenCache(url));
  const std::string fan_feed = "feed:2";
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::Database> db, store::Database::Open("sqlite:" + file));
    RequestContext ctx;
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(*db));
    ASSERT_OK(migrator->Migrate(ctx));
    for (int64_t id : {1, 2, 3}) {
      ASSERT_OK(db->Execute(ctx,
                            "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, 0, 0)",
                            {id, absl::StrCat("user", id)}));
      ASSERT_OK(db->Execute(
          ctx, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, 0, 0)", {id}));
    }
    const services::ServiceDeps deps{
        .db = db.get(), .cache = cache.get(), .feed_cache = {.fanout_max_followers = 3}};
    services::Social social(deps);
    services::Content content(deps);
    services::Feed feed(deps);
    for (int64_t fan : {2, 3}) ASSERT_OK(social.Follow(ctx, UserId{fan}, UserId{1}).status());
    ASSERT_OK(content.CreatePost(ctx, {.author_id = 1, .content = "hello", .visibility = "PUBLIC"}).status());
    ASSERT_OK(feed.Home(ctx, UserId{2}, {.limit = 5}).status());  // builds fan 2's list
    // A drifted counter makes user 1 look large (3 or more followers), so the repair moves it below.
    ASSERT_OK(db->Execute(ctx, "UPDATE user_profiles SET followers_count = 7 WHERE user_id = 1", {}));
  }
  auto list = [&] {
    absl::StatusOr<std::vector<std::string>> l = cache->OrderedSetRangeBelow(fan_feed, "", 1000);
    EXPECT_OK(l.status());
    return l.ok() ? l->size() : size_t{0};
  };
  ASSERT_GT(list(), 0u) << "the reader's feed list was not built";

  Result check = RunCli("recount --cache '" + url + "' --fanout-max-followers 3", file);
  EXPECT_EQ(check.exit_code, 1) << check.err;
  EXPECT_THAT(check.err, HasSubstr("--repair"));
  EXPECT_GT(list(), 0u) << "a check without --repair must not touch the cache";

  Result repair = RunCli("recount --repair --cache '" + url + "' --fanout-max-followers 3", file);
  ASSERT_EQ(repair.exit_code, 0) << repair.err;
  EXPECT_THAT(repair.out, HasSubstr("user_profiles.followers_count  id 1  stored 7  actual 2"));
  EXPECT_THAT(repair.out, HasSubstr("repaired"));
  EXPECT_EQ(list(), 0u) << "the repair must drop the reader's feed list in the shared cache";

  Result zero = RunCli("recount --fanout-max-followers 0", file);
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_THAT(zero.err, HasSubstr("--fanout-max-followers must be > 0"));
  Result bad = RunCli("recount --cache 'memory:?max_bytes=lots'", file);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("max_bytes"));
  std::filesystem::remove_all(dir);
}

}  // namespace
