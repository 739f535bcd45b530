#include "daira/core/config.h"

#include "../support/status_matchers.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConfigTest, DefaultsAreEmbeddedAndParse) {
  Config c;
  for (const std::string& url : {c.database, c.cache, c.bus, c.realtime, c.blobs}) {
    EXPECT_OK(ParseUrl(url)) << url;
  }
  ASSERT_OK_AND_ASSIGN(Config none, Config::FromUrls({}));
  EXPECT_EQ(none.database, c.database);
  EXPECT_EQ(none.cache, "memory:");
  EXPECT_EQ(none.bus, "sqlite:");
  EXPECT_EQ(none.realtime, "memory:");
  EXPECT_EQ(none.blobs, c.blobs);
}

TEST(ConfigTest, Embedded) {
  Config c = Config::Embedded("app.db");
  EXPECT_EQ(c.database, "sqlite:app.db");
  EXPECT_EQ(c.cache, "memory:");
  EXPECT_EQ(c.realtime, "memory:");
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl(c.database));
  EXPECT_EQ(u.path, "app.db");
  // Characters the URL parser would read as syntax survive as part of the path.
  Config odd = Config::Embedded("/tmp/100%?x.db");
  ASSERT_OK_AND_ASSIGN(Url o, ParseUrl(odd.database));
  EXPECT_EQ(o.path, "/tmp/100%?x.db");
  EXPECT_TRUE(o.params.empty());
  ASSERT_OK_AND_ASSIGN(Url mem, ParseUrl(Config::Embedded(":memory:").database));
  EXPECT_EQ(mem.path, ":memory:");
}

TEST(ConfigTest, FromUrlsProduction) {
  ASSERT_OK_AND_ASSIGN(Config c, Config::FromUrls({"database=postgres://app:p%40ss@127.0.0.1:5433/app?pool_max=20",
                                                    "cache=redis://127.0.0.1:6380/0", "bus=redis://127.0.0.1:6380/1",
                                                    "realtime=redis://127.0.0.1:6380/2", "blobs=s3://bucket/prefix"}));
  EXPECT_EQ(c.database, "postgres://app:p%40ss@127.0.0.1:5433/app?pool_max=20");
  EXPECT_EQ(c.cache, "redis://127.0.0.1:6380/0");
  EXPECT_EQ(c.bus, "redis://127.0.0.1:6380/1");
  EXPECT_EQ(c.realtime, "redis://127.0.0.1:6380/2");
  EXPECT_EQ(c.blobs, "s3://bucket/prefix");
  // Partial: the rest keep their embedded defaults.
  ASSERT_OK_AND_ASSIGN(Config p, Config::FromUrls({"database=postgresql://h/db", "bus=postgres:"}));
  EXPECT_EQ(p.database, "postgresql://h/db");
  EXPECT_EQ(p.bus, "postgres:");
  EXPECT_EQ(p.cache, "memory:");
  ASSERT_OK_AND_ASSIGN(Config m, Config::FromUrls({"database=sqlite::memory:", "bus=memory:", "blobs=file:/var/blobs"}));
  EXPECT_EQ(m.database, "sqlite::memory:");
  EXPECT_EQ(m.bus, "memory:");
  EXPECT_EQ(m.blobs, "file:/var/blobs");
}

TEST(ConfigTest, SchemesAllowedPerConcern) {
  struct Case {
    const char* entry;
    bool ok;
  } cases[] = {
      {"database=sqlite:a.db", true},     {"database=postgres://h/db", true}, {"database=POSTGRESQL://h/db", true},
      {"database=redis://h/0", false},    {"database=mysql://h/db", false},   {"database=memory:", false},
      {"cache=memory:", true},            {"cache=redis://h/0", true},        {"cache=sqlite:", false},
      {"bus=sqlite:", true},              {"bus=postgres://h/db", true},      {"bus=redis://h/0", true},
      {"bus=memory:", true},              {"bus=file:x", false},              {"realtime=memory:", true},
      {"realtime=redis://h/0", true},     {"realtime=postgres://h/db", false}, {"blobs=file:./b", true},
      {"blobs=s3://bucket", true},        {"blobs=sqlite:", false},
  };
  for (const auto& c : cases) {
    auto cfg = Config::FromUrls({c.entry});
    EXPECT_EQ(cfg.ok(), c.ok) << c.entry << " -> " << cfg.status();
    if (!c.ok) {
      EXPECT_THAT(cfg, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scheme is not supported")))
          << c.entry;
    }
  }
  EXPECT_THAT(Config::FromUrls({"database=mysql://h/db"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("config: database scheme is not supported (got \"mysql\"; expected sqlite, "
                                 "postgres or postgresql)")));
}

TEST(ConfigTest, Errors) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  auto unknown = Config::FromUrls({"queue=redis://h/0"});
  EXPECT_THAT(unknown, StatusIs(kInvalid, HasSubstr("config: queue is not a known concern (expected database, "
                                                    "cache, bus, realtime or blobs)")));
  EXPECT_EQ(StatusField(unknown.status()), "queue");
  EXPECT_THAT(Config::FromUrls({"database"}), StatusIs(kInvalid, HasSubstr("entry is not concern=url")));
  EXPECT_THAT(Config::FromUrls({"=sqlite:a.db"}), StatusIs(kInvalid, HasSubstr("entry is not concern=url")));
  EXPECT_THAT(Config::FromUrls({"database=sqlite:a.db", "database=sqlite:b.db"}),
              StatusIs(kInvalid, HasSubstr("database is given more than once")));
  EXPECT_THAT(Config::FromUrls({"cache=redis://h:port/0"}),
              StatusIs(kInvalid, HasSubstr("config: cache: url: port is not a number (got \"port\")")));
  EXPECT_THAT(Config::FromUrls({"database="}), StatusIs(kInvalid, HasSubstr("config: database: url: url is empty")));
  // A URL pasted without "concern=" must not be echoed (it has a password, and '=' in its query).
  auto pasted = Config::FromUrls({"postgres://app:TopSecret@h/db?pool_max=3"});
  EXPECT_THAT(pasted, StatusIs(kInvalid, AllOf(HasSubstr("entry is not concern=url"), Not(HasSubstr("TopSecret")))));
  auto bad_pw = Config::FromUrls({"database=postgres://app:Top%zzSecret@h/db"});
  EXPECT_THAT(bad_pw, StatusIs(kInvalid, AllOf(HasSubstr("config: database"), Not(HasSubstr("Secret")))));
}

TEST(ConfigTest, InstanceOptions) {
  const std::string key = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  auto config = Config::FromUrls({"database=sqlite:a.db", "node_id=7", "cursor_key=" + key, "node_lease_ttl_ms=9000",
                                  "node_heartbeat_ms=3000", "cursor_key_grace_ms=60000"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, 7);
  EXPECT_EQ(config->cursor_key, key);
  EXPECT_EQ(config->node_lease_ttl, std::chrono::milliseconds(9000));
  EXPECT_EQ(config->node_heartbeat, std::chrono::milliseconds(3000));
  EXPECT_EQ(config->cursor_key_grace, std::chrono::milliseconds(60000));
  // Defaults: lease a node id, keys from the database, 30 s / 10 s / 7 days.
  const Config defaults;
  EXPECT_EQ(defaults.node_id, -1);
  EXPECT_TRUE(defaults.cursor_key.empty());
  EXPECT_EQ(defaults.node_lease_ttl, std::chrono::seconds(30));
  EXPECT_EQ(defaults.node_heartbeat, std::chrono::seconds(10));
  EXPECT_EQ(defaults.cursor_key_grace, std::chrono::hours(24 * 7));
  EXPECT_TRUE(defaults.ValidateInstanceOptions().ok());
}

TEST(ConfigTest, InstanceOptionErrorsNameTheOptionAndNeverEchoTheKey) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Config::FromUrls({"node_id=1024"}),
              StatusIs(kInvalid, HasSubstr("config: node_id must be an integer in [0, 1023] (got \"1024\")")));
  EXPECT_THAT(Config::FromUrls({"node_id=x"}), StatusIs(kInvalid, HasSubstr("node_id")));
  EXPECT_THAT(Config::FromUrls({"node_id=1", "node_id=2"}), StatusIs(kInvalid, HasSubstr("node_id is given more than once")));
  auto short_key = Config::FromUrls({"cursor_key=TopSecretKey"});
  EXPECT_THAT(short_key, StatusIs(kInvalid, AllOf(HasSubstr("cursor_key must be 64 hex digits (32 bytes) (got 12 characters)"),
                                                  Not(HasSubstr("TopSecret")))));
  EXPECT_EQ(StatusField(short_key.status()), "cursor_key");
  auto not_hex = Config::FromUrls({"cursor_key=" + std::string(63, 'a') + "z"});
  EXPECT_THAT(not_hex, StatusIs(kInvalid, HasSubstr("not all hex digits")));
  EXPECT_THAT(Config::FromUrls({"node_lease_ttl_ms=0"}), StatusIs(kInvalid, HasSubstr("node_lease_ttl_ms must be")));
  EXPECT_THAT(Config::FromUrls({"node_lease_ttl_ms=10000", "node_heartbeat_ms=6000"}),
              StatusIs(kInvalid, HasSubstr("node_heartbeat_ms must be at most half of node_lease_ttl_ms (10000)")));
  EXPECT_THAT(Config::FromUrls({"nodeid=3"}),
              StatusIs(kInvalid, HasSubstr("or instance option (node_id, cursor_key, node_lease_ttl_ms, "
                                           "node_heartbeat_ms, cursor_key_grace_ms, ratelimit, "
                                           "moderation_auto_hide_threshold, tip_fee_bps, "
                                           "money_idempotency_retention_s or money_max_attempts)")));
  Config c;
  c.node_id = 2000;
  EXPECT_THAT(c.ValidateInstanceOptions(), StatusIs(kInvalid, HasSubstr("node_id must be -1 or in [0, 1023] (got 2000)")));
}

TEST(ConfigTest, ServiceOptionsAreEntriesToo) {
  auto config = Config::FromUrls({"database=sqlite:a.db", "moderation_auto_hide_threshold=5", "tip_fee_bps=250",
                                  "money_idempotency_retention_s=172800", "money_max_attempts=3"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->moderation_auto_hide_threshold, 5);
  EXPECT_EQ(config->tip_fee_bps, 250);
  EXPECT_EQ(config->money_idempotency_retention_s, 172800);
  EXPECT_EQ(config->money_max_attempts, 3);
  EXPECT_TRUE(config->ValidateInstanceOptions().ok());
  // 0 is a value (never auto-hide; no fee), not "unset".
  auto zero = Config::FromUrls({"moderation_auto_hide_threshold=0", "tip_fee_bps=0"});
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->moderation_auto_hide_threshold, 0);
  EXPECT_EQ(zero->tip_fee_bps, 0);
  // Unset: -1, PlatformOptions' values stand.
  const Config defaults;
  EXPECT_EQ(defaults.moderation_auto_hide_threshold, -1);
  EXPECT_EQ(defaults.tip_fee_bps, -1);
  EXPECT_EQ(defaults.money_idempotency_retention_s, -1);
  EXPECT_EQ(defaults.money_max_attempts, -1);
}

TEST(ConfigTest, ServiceOptionErrorsNameTheEntry) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  auto negative = Config::FromUrls({"moderation_auto_hide_threshold=-1"});
  EXPECT_THAT(negative, StatusIs(kInvalid, HasSubstr("config: moderation_auto_hide_threshold must be an integer in "
                                                     "[0, 1000000] (got \"-1\")")));
  EXPECT_EQ(StatusField(negative.status()), "moderation_auto_hide_threshold");
  auto fee = Config::FromUrls({"tip_fee_bps=10000"});
  EXPECT_THAT(fee, StatusIs(kInvalid, HasSubstr("config: tip_fee_bps must be an integer in [0, 9999] (got \"10000\")")));
  EXPECT_EQ(StatusField(fee.status()), "tip_fee_bps");
  EXPECT_THAT(Config::FromUrls({"tip_fee_bps=5%"}), StatusIs(kInvalid, HasSubstr("tip_fee_bps")));
  EXPECT_THAT(Config::FromUrls({"money_idempotency_retention_s=3600"}),
              StatusIs(kInvalid, HasSubstr("money_idempotency_retention_s must be an integer in [86400, ")));
  EXPECT_THAT(Config::FromUrls({"money_max_attempts=0"}), StatusIs(kInvalid, HasSubstr("money_max_attempts")));
  EXPECT_THAT(Config::FromUrls({"tip_fee_bps=1", "tip_fee_bps=2"}),
              StatusIs(kInvalid, HasSubstr("tip_fee_bps is given more than once")));
  Config c;
  c.tip_fee_bps = 20000;
  EXPECT_THAT(c.ValidateInstanceOptions(),
              StatusIs(kInvalid, HasSubstr("tip_fee_bps must be in [0, 9999] (got 20000)")));
}

}  // namespace
}  // namespace daira

namespace daira {
namespace {

TEST(ConfigRateLimitTest, RateLimitEntriesParseEndpointCountWindowAndAlgorithm) {
  ASSERT_OK_AND_ASSIGN(Config c, Config::FromUrls({"database=sqlite::memory:",
                                                   "ratelimit=login:5/15m,api.search:100/60s:gcra,"
                                                   "post.create:0/1s,feed_read-2:7/250ms:sliding_window,x:1/2h,"
                                                   "y:3/1d"}));
  ASSERT_EQ(c.rate_limits.size(), 6u);
  EXPECT_EQ(c.rate_limits[0].endpoint, "login");
  EXPECT_EQ(c.rate_limits[0].count, 5);
  EXPECT_EQ(c.rate_limits[0].window, std::chrono::minutes(15));
  EXPECT_EQ(c.rate_limits[0].algorithm, "sliding_window");
  EXPECT_EQ(c.rate_limits[1].endpoint, "api.search");
  EXPECT_EQ(c.rate_limits[1].window, std::chrono::seconds(60));
  EXPECT_EQ(c.rate_limits[1].algorithm, "gcra");
  EXPECT_EQ(c.rate_limits[2].count, 0) << "0 turns login / post.create off";
  EXPECT_EQ(c.rate_limits[3].endpoint, "feed_read-2");
  EXPECT_EQ(c.rate_limits[3].window, std::chrono::milliseconds(250));
  EXPECT_EQ(c.rate_limits[4].window, std::chrono::hours(2));
  EXPECT_EQ(c.rate_limits[5].window, std::chrono::hours(24));
  ASSERT_OK_AND_ASSIGN(Config none, Config::FromUrls({"database=sqlite::memory:"}));
  EXPECT_TRUE(none.rate_limits.empty());
}

TEST(ConfigRateLimitTest, BadRateLimitEntriesAreRefusedNamingTheEntryAndTheLimit) {
  struct Case {
    std::string entry;
    std::string says;
  };
  const Case cases[] = {
      {"ratelimit=", "is empty"},
      {"ratelimit=login", "limit 1 (\"login\"): needs 2 or 3"},
      {"ratelimit=login:5/15m,search", "limit 2 (\"search\")"},
      {"ratelimit=login:5/15m:gcra:x", "needs 2 or 3"},
      {"ratelimit=:5/15m", "endpoint must be 1 to 128"},
      {"ratelimit=a b:5/15m", "only letters, digits"},
      {"ratelimit=login:5", "has no '/'"},
      {"ratelimit=login:x/15m", "count must be a whole number"},
      {"ratelimit=login:-1/15m", "count must be a whole number"},
      {"ratelimit=search:0/15m", "only for login and post.create"},
      {"ratelimit=login:5/m", "window must be a whole number"},
      {"ratelimit=login:5/0s", "window must be a whole number"},
      {"ratelimit=login:5/15", "unit must be ms, s, m, h or d"},
      {"ratelimit=login:5/15w", "unit must be ms, s, m, h or d"},
      {"ratelimit=login:5/400d", "at most 365 days"},
      {"ratelimit=login:5/15m:token_bucket", "sliding_window or gcra"},
      {"ratelimit=login:5/15m,login:6/1m", "given more than once"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Config> got = Config::FromUrls({"database=sqlite::memory:", c.entry});
    EXPECT_THAT(got.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       AllOf(HasSubstr("ratelimit"), HasSubstr(c.says))))
        << c.entry;
  }
  EXPECT_THAT(Config::FromUrls({"ratelimit=login:5/15m", "ratelimit=post.create:1/1m"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than once")));
}

}  // namespace
}  // namespace daira
