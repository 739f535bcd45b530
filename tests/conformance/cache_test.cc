// The cache::Cache conformance suite, instantiated per backend: /memory (always) and /redis (the shared
// test Redis from DAIRA_TEST_REDIS; with CI=true a missing server fails every /redis case).
//
// TTLs: the memory backend runs on a ManualClock, so expiry is checked by moving the clock. Redis keeps
// its own clock (no sleeps here), so on /redis a TTL is checked through PTTL bounds (Ttl()): a fresh key
// written with a 1 h policy TTL and jitter 0.1 has 54 min < PTTL <= 60 min.

#include "daira/cache/cache.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/memory/memory_cache.h"
#include "cache/open_cache.h"
#include "cache_test_support.h"
#include "daira/cache/typed.h"
#include "daira/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "status_matchers.h"

namespace daira::cache {
namespace {

// Errors counted against namespace `ns`.
int64_t ErrorCount(const Cache& c, std::string_view ns) {
  for (const NamespaceStats& s : c.Stats()) {
    if (s.ns == ns) return s.errors;
  }
  return 0;
}

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using std::chrono::hours;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The value of an OK StatusOr matches `m`.
MATCHER_P(IsOkAndHolds, m, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(m, *arg, result_listener);
}
using std::chrono::milliseconds;
using std::chrono::minutes;

// The backends, plus "redis_near" (Redis with the near cache in front: every case must hold with it
// too) wherever "redis" is.
std::vector<std::string> CacheTestBackends() {
  std::vector<std::string> out;
  for (const std::string& b : daira::testing::CacheBackends()) {
    out.push_back(b);
    if (b == "redis") out.push_back("redis_near");
  }
  return out;
}

class CacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool redis() const { return GetParam() != "memory"; }
  // A fresh cache on the backend under test, with extra URL parameters (policy overrides, ...).
  std::unique_ptr<Cache> Open(std::string_view params = "") {
    std::string all(params);
    if (GetParam() == "redis_near") all = all.empty() ? "near_max_bytes=1MiB" : "near_max_bytes=1MiB&" + all;
    absl::StatusOr<std::unique_ptr<Cache>> c =
        opener_.Open(redis() ? "redis" : GetParam(), all, &clock_);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *std::move(c) : nullptr;
  }
  static int64_t Stat(const Cache& c, std::string_view ns, int64_t NamespaceStats::*field) {
    for (const NamespaceStats& s : c.Stats()) {
      if (s.ns == ns) return s.*field;
    }
    return 0;
  }

  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  daira::testing::TestCacheOpener opener_;  // removes every key it created on Redis afterwards
};

TEST_P(CacheTest, SetGetDeleteKeepBytesExactly) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  const std::string bytes("a\0b\xff\n c", 7);
  ASSERT_OK(cache->Set("custom:bin:1", bytes, minutes(5)));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> got, cache->Get("custom:bin:1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, bytes);
  ASSERT_OK(cache->Set("custom:bin:1", "second", minutes(5)));
  ASSERT_OK_AND_ASSIGN(got, cache->Get("custom:bin:1"));
  EXPECT_EQ(got, std::optional<std::string>("second"));
  ASSERT_OK_AND_ASSIGN(int64_t removed, cache->Delete("custom:bin:1"));
  EXPECT_EQ(removed, 1);
  ASSERT_OK_AND_ASSIGN(got, cache->Get("custom:bin:1"));
  EXPECT_FALSE(got.has_value());
  ASSERT_OK_AND_ASSIGN(removed, cache->Delete("custom:bin:1"));
  EXPECT_EQ(removed, 0);
}

TEST_P(CacheTest, StatsCountHitsMissesAndSetsPerNamespace) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(cache->Set("profile:1", "p"));
  ASSERT_OK(cache->Get("profile:1").status());
  ASSERT_OK(cache->Get("profile:1").status());
  ASSERT_OK(cache->Get("profile:2").status());
  ASSERT_OK(cache->Get("session:9").status());
  ASSERT_OK(cache->Set("whatever:1", "x", minutes(1)));
  EXPECT_EQ(Stat(*cache, "profile", &NamespaceStats::hits), 2);
  EXPECT_EQ(Stat(*cache, "profile", &NamespaceStats::misses), 1);
  EXPECT_EQ(Stat(*cache, "profile", &NamespaceStats::sets), 1);
  EXPECT_EQ(Stat(*cache, "session", &NamespaceStats::misses), 1);
  EXPECT_EQ(Stat(*cache, "other", &NamespaceStats::sets), 1);
  for (const NamespaceStats& s : cache->Stats()) {
    if (s.ns == "profile") {
      EXPECT_DOUBLE_EQ(s.HitRate(), 2.0 / 3.0);
    }
  }
}

TEST_P(CacheTest, PolicyTtlIsJitteredWithinBounds) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  // profile: 1 h, jitter 0.1 → every TTL in (54 min, 60 min].
  std::set<int64_t> distinct;
  for (int i = 0; i < 40; ++i) {
    const std::string key = absl::StrCat("profile:", i);
    ASSERT_OK(cache->Set(key, "v"));
    ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl, cache->Ttl(key));
    ASSERT_TRUE(ttl.has_value()) << key;
    EXPECT_GT(*ttl, minutes(54) - std::chrono::seconds(5)) << key;  // 5 s slack: Redis's clock runs on
    EXPECT_LE(*ttl, minutes(60)) << key;
    distinct.insert(ttl->count());
  }
  EXPECT_GT(distinct.size(), 10u) << "jitter should spread the TTLs";
  // Explicit TTLs are taken as given; kNoExpiry never expires.
  ASSERT_OK(cache->Set("custom:fixed", "v", milliseconds(90000)));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> fixed, cache->Ttl("custom:fixed"));
  ASSERT_TRUE(fixed.has_value());
  EXPECT_GT(*fixed, milliseconds(85000));
  EXPECT_LE(*fixed, milliseconds(90000));
  ASSERT_OK(cache->Set("custom:forever", "v", kNoExpiry));
  EXPECT_THAT(cache->Ttl("custom:forever"), IsOkAndHolds(::testing::Optional(kNoExpiry)));
  EXPECT_THAT(cache->Ttl("custom:absent"), IsOkAndHolds(std::optional<milliseconds>()));
}

TEST_P(CacheTest, PolicyOverridesFromTheUrl) {
  auto cache = Open("ttl_session_ms=120000&jitter_session=0&list_max_feed=3");
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->policy().For("session").ttl, milliseconds(120000));
  ASSERT_OK(cache->Set("session:1", "s"));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl, cache->Ttl("session:1"));
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, milliseconds(115000));
  EXPECT_LE(*ttl, milliseconds(120000));
  const std::vector<std::string> ids = {"1", "2", "3", "4", "5"};
  ASSERT_OK(cache->ListPush("feed:7", ids));
  EXPECT_THAT(cache->ListRange("feed:7", 0, -1), IsOkAndHolds(ElementsAre("5", "4", "3")));
}

TEST_P(CacheTest, ExpiryFollowsTheClock) {
  if (redis()) {
    // Redis expires keys on its own clock, which no test can move: the PTTL bounds above check the TTL
    // it was given, and this checks that a short TTL does end (polling, bounded, no fixed sleep).
    auto cache = Open();
    ASSERT_NE(cache, nullptr);
    ASSERT_OK(cache->Set("custom:short", "v", milliseconds(1)));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    absl::StatusOr<std::optional<std::string>> got;
    do {
      got = cache->Get("custom:short");
      ASSERT_OK(got.status());
    } while (got->has_value() && std::chrono::steady_clock::now() < give_up);
    EXPECT_FALSE(got->has_value());
    return;
  }
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(cache->Set("custom:a", "v", milliseconds(1000)));
  ASSERT_OK(cache->Set("profile:1", "p"));  // 1 h, jittered: lives at least 54 min
  clock_.Advance(milliseconds(999));
  EXPECT_THAT(cache->Get("custom:a"), IsOkAndHolds(std::optional<std::string>("v")));
  clock_.Advance(milliseconds(1));
  EXPECT_THAT(cache->Get("custom:a"), IsOkAndHolds(std::optional<std::string>()));
  clock_.Advance(minutes(54) - milliseconds(1000));
  EXPECT_THAT(cache->Get("profile:1"), IsOkAndHolds(std::optional<std::string>("p")));
  clock_.Advance(minutes(6));
  EXPECT_THAT(cache->Get("profile:1"), IsOkAndHolds(std::optional<std::string>()));
  EXPECT_GE(Stat(*cache, "custom", &NamespaceStats::expirations), 1);
}

TEST_P(CacheTest, MGetAndMSetKeepOrderAndMisses) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  std::vector<CacheEntry> entries = {{"custom:m:1", "one", minutes(5)}, {"custom:m:3", "three", minutes(5)}};
  ASSERT_OK(cache->MSet(entries));
  const std::vector<std::string> keys = {"custom:m:1", "custom:m:2", "custom:m:3"};
  ASSERT_OK_AND_ASSIGN(auto got, cache->MGet(keys));
  EXPECT_THAT(got, ElementsAre(std::optional<std::string>("one"), std::optional<std::string>(),
                               std::optional<std::string>("three")));
  ASSERT_OK_AND_ASSIGN(auto none, cache->MGet(std::vector<std::string>{}));
  EXPECT_TRUE(none.empty());
}

TEST_P(CacheTest, AThousandKeysAreOneRoundTrip) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  std::vector<CacheEntry> entries;
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back(absl::StrCat("custom:rt:", i));
    if (i % 2 == 0) entries.push_back({keys.back(), absl::StrCat("v", i), minutes(5)});
  }
  int64_t before = cache->round_trips();
  ASSERT_OK(cache->MSet(entries));
  EXPECT_EQ(cache->round_trips() - before, redis() ? 1 : 0);
  before = cache->round_trips();
  ASSERT_OK_AND_ASSIGN(auto got, cache->MGet(keys));
  EXPECT_EQ(cache->round_trips() - before, redis() ? 1 : 0);
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(got[i].has_value(), i % 2 == 0) << i;
  }
  EXPECT_EQ(got[998], std::optional<std::string>("v998"));
  before = cache->round_trips();
  ASSERT_OK_AND_ASSIGN(int64_t removed, cache->Delete(keys));
  EXPECT_EQ(removed, 500);
  EXPECT_EQ(cache->round_trips() - before, redis() ? 1 : 0);
}

TEST_P(CacheTest, IncrementCreatesWithTtlAndRefusesNonIntegers) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  EXPECT_THAT(cache->Increment("ratelimit:u1:login", 1, milliseconds(60000)), IsOkAndHolds(1));
  EXPECT_THAT(cache->Increment("ratelimit:u1:login", 5, milliseconds(1)), IsOkAndHolds(6));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl, cache->Ttl("ratelimit:u1:login"));
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, milliseconds(55000)) << "the TTL is set when the key is created, not on later increments";
  EXPECT_THAT(cache->Increment("ratelimit:u1:login", -10), IsOkAndHolds(-4));
  EXPECT_THAT(cache->Get("ratelimit:u1:login"), IsOkAndHolds(std::optional<std::string>("-4")));
  ASSERT_OK(cache->Set("custom:text", "abc", minutes(1)));
  EXPECT_THAT(cache->Increment("custom:text", 1), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(CacheTest, ListsPushRangeTrimRemove) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(cache->ListPush("feed:1", std::vector<std::string>{"10", "11"}));
  ASSERT_OK(cache->ListPush("feed:1", std::vector<std::string>{"12", "11"}));
  EXPECT_THAT(cache->ListRange("feed:1", 0, -1), IsOkAndHolds(ElementsAre("11", "12", "11", "10")));
  EXPECT_THAT(cache->ListRange("feed:1", 1, 2), IsOkAndHolds(ElementsAre("12", "11")));
  EXPECT_THAT(cache->ListRange("feed:1", -2, 100), IsOkAndHolds(ElementsAre("11", "10")));
  EXPECT_THAT(cache->ListRange("feed:1", 5, 9), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->ListRemove("feed:1", "11"), IsOkAndHolds(2));
  EXPECT_THAT(cache->ListRange("feed:1", 0, -1), IsOkAndHolds(ElementsAre("12", "10")));
  ASSERT_OK(cache->ListTrim("feed:1", 1));
  EXPECT_THAT(cache->ListRange("feed:1", 0, -1), IsOkAndHolds(ElementsAre("12")));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl, cache->Ttl("feed:1"));
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, minutes(50));
  EXPECT_LE(*ttl, minutes(60));
  EXPECT_THAT(cache->ListRange("feed:absent", 0, -1), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->ListRemove("feed:absent", "1"), IsOkAndHolds(0));
  // The feed policy caps lists at 1,000 values.
  std::vector<std::string> many;
  for (int i = 0; i < 1100; ++i) many.push_back(absl::StrCat(i));
  ASSERT_OK(cache->ListPush("feed:2", many));
  ASSERT_OK_AND_ASSIGN(auto capped, cache->ListRange("feed:2", 0, -1));
  ASSERT_EQ(capped.size(), 1000u);
  EXPECT_EQ(capped.front(), "1099");
  EXPECT_EQ(capped.back(), "100");
  // Type clashes name the key.
  ASSERT_OK(cache->Set("custom:plain", "x", minutes(1)));
  EXPECT_THAT(cache->ListPush("custom:plain", std::vector<std::string>{"1"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(CacheTest, ListPushExistingReachesOnlyExistingListsInOneRoundTrip) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(cache->ListPush("feed:10", std::vector<std::string>{"1"}));
  ASSERT_OK(cache->ListPush("feed:12", std::vector<std::string>{"2"}));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl_before, cache->Ttl("feed:10"));
  const std::vector<std::string> keys = {"feed:10", "feed:11", "feed:12"};
  const int64_t before = cache->round_trips();
  EXPECT_THAT(cache->ListPushExisting(keys, "9"), IsOkAndHolds(2));
  EXPECT_EQ(cache->round_trips() - before, redis() ? 1 : 0);
  EXPECT_THAT(cache->ListRange("feed:10", 0, -1), IsOkAndHolds(ElementsAre("9", "1")));
  EXPECT_THAT(cache->ListRange("feed:12", 0, -1), IsOkAndHolds(ElementsAre("9", "2")));
  // An absent list stays absent (fan-out reaches only cached readers) and TTLs are untouched.
  EXPECT_THAT(cache->Get("feed:11"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(cache->ListRange("feed:11", 0, -1), IsOkAndHolds(ElementsAre()));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl_after, cache->Ttl("feed:10"));
  ASSERT_TRUE(ttl_before.has_value() && ttl_after.has_value());
  EXPECT_LE(*ttl_after, *ttl_before);
  // The namespace's cap holds.
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back(absl::StrCat(i));
  ASSERT_OK(cache->ListPush("feed:13", many));
  const std::vector<std::string> one = {"feed:13"};
  EXPECT_THAT(cache->ListPushExisting(one, "new"), IsOkAndHolds(1));
  ASSERT_OK_AND_ASSIGN(auto capped, cache->ListRange("feed:13", 0, -1));
  ASSERT_EQ(capped.size(), 1000u);
  EXPECT_EQ(capped.front(), "new");
  EXPECT_EQ(capped.back(), "1");
  // A plain value under one of the keys: FailedPrecondition naming it.
  ASSERT_OK(cache->Set("feed:14", "x", minutes(1)));
  const std::vector<std::string> clash = {"feed:14"};
  EXPECT_THAT(cache->ListPushExisting(clash, "1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("feed:14")));
}

// Ordered sets (the feed cache's lists): members in byte order whatever order they arrive in, read
// greatest first below a bound with a limit; the cap keeps the greatest.
TEST_P(CacheTest, OrderedSetsKeepByteOrderAndReadBelowABoundWithALimit) {
  auto cache = Open("list_max_feed=5");
  ASSERT_NE(cache, nullptr);
  // Out of order, with a duplicate: stored once, in order.
  ASSERT_OK(cache->OrderedSetAdd("feed:s1", std::vector<std::string>{"03", "01", "04", "03"}));
  ASSERT_OK(cache->OrderedSetAdd("feed:s1", std::vector<std::string>{"02", "#0"}));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", 100),
              IsOkAndHolds(ElementsAre("04", "03", "02", "01", "#0")));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", 2), IsOkAndHolds(ElementsAre("04", "03")));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "03", 2), IsOkAndHolds(ElementsAre("02", "01")));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "025", 10), IsOkAndHolds(ElementsAre("02", "01", "#0")));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "#0", 10), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", 0), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:absent", "", 10), IsOkAndHolds(ElementsAre()));
  // The cap (list_max_feed) keeps the greatest five: the least ("#0") goes first.
  ASSERT_OK(cache->OrderedSetAdd("feed:s1", std::vector<std::string>{"00"}));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", 100),
              IsOkAndHolds(ElementsAre("04", "03", "02", "01", "00")));
  ASSERT_OK(cache->OrderedSetAdd("feed:s1", std::vector<std::string>{"05"}));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", 100),
              IsOkAndHolds(ElementsAre("05", "04", "03", "02", "01")));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl, cache->Ttl("feed:s1"));
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, minutes(50));  // the feed policy's 1 h, jittered
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", -1), StatusIs(absl::StatusCode::kInvalidArgument));
  // Type clashes name the key; Delete removes a set; a set is not a value.
  ASSERT_OK(cache->Set("custom:plain2", "x", minutes(1)));
  EXPECT_THAT(cache->OrderedSetAdd("custom:plain2", std::vector<std::string>{"1"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("custom:plain2")));
  EXPECT_THAT(cache->OrderedSetRangeBelow("custom:plain2", "", 1), Not(IsOk()));
  EXPECT_THAT(cache->Get("feed:s1"), Not(IsOk()));
  EXPECT_THAT(cache->Delete("feed:s1"), IsOkAndHolds(1));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:s1", "", 10), IsOkAndHolds(ElementsAre()));
}

// A range read that also ends at the first member under a bound (that member included): the feed
// cache reads a large account's list only down to what can still reach a page.
TEST_P(CacheTest, OrderedSetRangeDownToEndsAtTheFirstMemberUnderItsBound) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(cache->OrderedSetAdd("feed:d1", std::vector<std::string>{"01", "03", "05", "07", "09", "#0"}));
  const int64_t trips = cache->round_trips();
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "", "05", 10),
              IsOkAndHolds(ElementsAre("09", "07", "05", "03")));
  if (cache->Name() == "redis") {
    EXPECT_EQ(cache->round_trips() - trips, 1);
  }
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "", "06", 10),
              IsOkAndHolds(ElementsAre("09", "07", "05")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "09", "04", 10),
              IsOkAndHolds(ElementsAre("07", "05", "03")));
  // The limit comes first; the member under the bound counts towards it.
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "", "02", 2), IsOkAndHolds(ElementsAre("09", "07")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "08", "06", 2), IsOkAndHolds(ElementsAre("07", "05")));
  // Nothing at or above the bound: only the first member under it; below the least id, the sentinel.
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "03", "02", 10), IsOkAndHolds(ElementsAre("01")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "01", "00", 10), IsOkAndHolds(ElementsAre("#0")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "04", "08", 10), IsOkAndHolds(ElementsAre("03")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "", "99", 10), IsOkAndHolds(ElementsAre("09")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "#0", "05", 10), IsOkAndHolds(ElementsAre()));
  // No bound: OrderedSetRangeBelow.
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "04", "", 10),
              IsOkAndHolds(ElementsAre("03", "01", "#0")));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "", "05", 0), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:absent", "", "05", 10), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("feed:d1", "", "05", -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(cache->Set("custom:plain3", "x", minutes(1)));
  EXPECT_THAT(cache->OrderedSetRangeDownTo("custom:plain3", "", "1", 1), Not(IsOk()));
}

TEST_P(CacheTest, OrderedSetAddExistingReachesOnlyExistingSetsInOneRoundTrip) {
  auto cache = Open("list_max_feed=3");
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(cache->OrderedSetAdd("feed:20", std::vector<std::string>{"5"}));
  ASSERT_OK(cache->OrderedSetAdd("feed:22", std::vector<std::string>{"7", "6", "4"}));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl_before, cache->Ttl("feed:20"));
  const std::vector<std::string> keys = {"feed:20", "feed:21", "feed:22"};
  const int64_t before = cache->round_trips();
  // An older member arriving late lands in order, not at the front.
  EXPECT_THAT(cache->OrderedSetAddExisting(keys, "3"), IsOkAndHolds(2));
  EXPECT_EQ(cache->round_trips() - before, redis() ? 1 : 0);
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:20", "", 10), IsOkAndHolds(ElementsAre("5", "3")));
  // Capped at 3: the least goes, here the member just added.
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:22", "", 10), IsOkAndHolds(ElementsAre("7", "6", "4")));
  EXPECT_THAT(cache->OrderedSetAddExisting(std::vector<std::string>{"feed:22"}, "8"), IsOkAndHolds(1));
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:22", "", 10), IsOkAndHolds(ElementsAre("8", "7", "6")));
  // An absent set stays absent; TTLs are untouched.
  EXPECT_THAT(cache->OrderedSetRangeBelow("feed:21", "", 10), IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(cache->Ttl("feed:21"), IsOkAndHolds(std::nullopt));
  ASSERT_OK_AND_ASSIGN(std::optional<milliseconds> ttl_after, cache->Ttl("feed:20"));
  ASSERT_TRUE(ttl_before.has_value() && ttl_after.has_value());
  EXPECT_LE(*ttl_after, *ttl_before);
  // A list under one of the keys: FailedPrecondition.
  ASSERT_OK(cache->ListPush("feed:23", std::vector<std::string>{"1"}));
  EXPECT_THAT(cache->OrderedSetAddExisting(std::vector<std::string>{"feed:23"}, "1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(CacheTest, EightThreadsAgree) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  constexpr int kThreads = 8;
  constexpr int kOps = 500;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const std::string own = absl::StrCat("custom:t", t, ":", i % 20);
        if (!cache->Set(own, absl::StrCat(t, "/", i), minutes(5)).ok()) ++failures;
        auto got = cache->Get(own);
        if (!got.ok() || *got != std::optional<std::string>(absl::StrCat(t, "/", i))) ++failures;
        if (!cache->Increment("custom:shared_counter", 1, minutes(5)).ok()) ++failures;
        if (i % 50 == 0 &&
            !cache->ListPush("feed:shared", std::vector<std::string>{absl::StrCat(t, "-", i)}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(cache->Get("custom:shared_counter"),
              IsOkAndHolds(std::optional<std::string>(absl::StrCat(kThreads * kOps))));
  ASSERT_OK_AND_ASSIGN(auto list, cache->ListRange("feed:shared", 0, -1));
  EXPECT_EQ(list.size(), static_cast<size_t>(kThreads * (kOps / 50)));
}

TEST_P(CacheTest, ReadThroughLoadsOnceForAHundredConcurrentMisses) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  constexpr int kThreads = 100;
  std::atomic<int> loads{0};
  std::atomic<int> arrived{0};
  std::atomic<int> wrong{0};
  auto load = [&]() -> absl::StatusOr<std::string> {
    ++loads;
    // Hold the load until every thread has at least started, so most of them find it in flight.
    while (arrived.load() < kThreads) std::this_thread::yield();
    return std::string("loaded");
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ++arrived;
      absl::StatusOr<std::string> v = cache->ReadThrough("profile:sf", load);
      if (!v.ok() || *v != "loaded") ++wrong;
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(cache->read_through_loads(), 1);
  EXPECT_THAT(cache->Get("profile:sf"), IsOkAndHolds(std::optional<std::string>("loaded")));
}

TEST_P(CacheTest, ReadThroughNeverKeepsAValueLoadedBeforeAnInvalidation) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  const std::vector<std::string> keys = {"profile:inv"};
  // The load reads the old row, then a write commits and invalidates before the load stores.
  absl::StatusOr<std::string> v = cache->ReadThrough("profile:inv", [&]() -> absl::StatusOr<std::string> {
    EXPECT_OK(cache->Invalidate(keys));
    return std::string("old");
  });
  EXPECT_THAT(v, IsOkAndHolds(std::string("old")));
  EXPECT_THAT(cache->Get("profile:inv"), IsOkAndHolds(std::optional<std::string>()));
  // Unusable bytes (another format version) are reloaded; a failed load is not stored.
  ASSERT_OK(cache->Set("profile:inv", "v0:stale"));
  v = cache->ReadThrough(
      "profile:inv", [] { return absl::StatusOr<std::string>("v1:fresh"); }, kPolicyTtl,
      [](std::string_view b) { return b.substr(0, 3) == "v1:"; });
  EXPECT_THAT(v, IsOkAndHolds(std::string("v1:fresh")));
  EXPECT_THAT(cache->Get("profile:inv"), IsOkAndHolds(std::optional<std::string>("v1:fresh")));
  EXPECT_THAT(
      cache->ReadThrough("profile:nf", [] { return absl::StatusOr<std::string>(absl::NotFoundError("no")); }),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(cache->Get("profile:nf"), IsOkAndHolds(std::optional<std::string>()));
}

// A struct with its own codec, to write an "older" version of it by hand.
struct Thing {
  int64_t n = 0;
};
}  // namespace

template <>
struct Codec<Thing> {
  static constexpr std::string_view kTag = "thing";
  static constexpr int kVersion = 2;
  static std::string Encode(const Thing& t) { return absl::StrCat(t.n); }
  static absl::StatusOr<Thing> Decode(std::string_view body) {
    Thing t;
    if (!absl::SimpleAtoi(ToAbsl(body), &t.n)) return absl::DataLossError("thing: not a number");
    return t;
  }
};

namespace {

TEST_P(CacheTest, TypedValuesOfAnotherVersionAreMisses) {
  auto cache = Open();
  ASSERT_NE(cache, nullptr);
  ASSERT_OK(SetTyped(*cache, "custom:thing:1", Thing{.n = 42}, minutes(5)));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw, cache->Get("custom:thing:1"));
  EXPECT_EQ(raw, std::optional<std::string>("thing:v2:42")) << "framed, readable bytes";
  ASSERT_OK_AND_ASSIGN(std::optional<Thing> t, GetTyped<Thing>(*cache, "custom:thing:1"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->n, 42);

  const int64_t misses = Stat(*cache, "custom", &NamespaceStats::misses);
  ASSERT_OK(cache->Set("custom:thing:1", "thing:v1:42", minutes(5)));  // an older version
  ASSERT_OK_AND_ASSIGN(t, GetTyped<Thing>(*cache, "custom:thing:1"));
  EXPECT_FALSE(t.has_value());
  ASSERT_OK(cache->Set("custom:thing:2", "thing:v2:not a number", minutes(5)));  // garbage
  ASSERT_OK_AND_ASSIGN(t, GetTyped<Thing>(*cache, "custom:thing:2"));
  EXPECT_FALSE(t.has_value());
  EXPECT_EQ(Stat(*cache, "custom", &NamespaceStats::misses), misses + 2);
  ASSERT_OK_AND_ASSIGN(auto many,
                       MGetTyped<Thing>(*cache, std::vector<std::string>{"custom:thing:1", "custom:x"}));
  EXPECT_FALSE(many[0].has_value());
  EXPECT_FALSE(many[1].has_value());

  // The shipped model codecs round-trip.
  model::UserProfile p;
  p.user_id = UserId(7);
  p.bio = "hi \"there\"";
  p.followers_count = 3;
  p.trust_score = 0.75;
  p.badges = {"a", "b"};
  p.updated_at = FromUnixMicros(123456);
  ASSERT_OK(SetTyped(*cache, "profile:7", p));
  ASSERT_OK_AND_ASSIGN(std::optional<model::UserProfile> back,
                       GetTyped<model::UserProfile>(*cache, "profile:7"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, UserId(7));
  EXPECT_EQ(back->bio, p.bio);
  EXPECT_FALSE(back->display_name.has_value());
  EXPECT_EQ(back->followers_count, 3);
  EXPECT_DOUBLE_EQ(back->trust_score, 0.75);
  EXPECT_THAT(back->badges, ElementsAre("a", "b"));
  EXPECT_EQ(back->updated_at, p.updated_at);
  model::User u;
  u.id = UserId(7);
  u.username = "alice";
  u.status = model::UserStatus::kActive;
  u.password_hash = "secret-hash";
  ASSERT_OK(SetTyped(*cache, "profile:user:7", u));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> user_bytes, cache->Get("profile:user:7"));
  EXPECT_THAT(*user_bytes, Not(HasSubstr("secret-hash")));
  ASSERT_OK_AND_ASSIGN(std::optional<model::User> ub, GetTyped<model::User>(*cache, "profile:user:7"));
  ASSERT_TRUE(ub.has_value());
  EXPECT_EQ(ub->username, std::optional<std::string>("alice"));
  EXPECT_EQ(ub->status, model::UserStatus::kActive);
  EXPECT_FALSE(ub->password_hash.has_value());
}

TEST_P(CacheTest, BadUrlsAreRefusedNamingTheirFault) {
  if (redis()) {
    EXPECT_THAT(OpenCache("redis://127.0.0.1:notaport/0"), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(OpenCache("redis://127.0.0.1:6379/0?bogus_param=1"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bogus_param")));
  } else {
    EXPECT_THAT(OpenCache("memory:?max_bytes=lots"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_bytes")));
    EXPECT_THAT(OpenCache("memory:?bogus_param=1"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bogus_param")));
    EXPECT_THAT(OpenCache("memory:?jitter=1.5"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("jitter")));
  }
  EXPECT_THAT(OpenCache("memcached://x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memcached")));
}

INSTANTIATE_TEST_SUITE_P(Cache, CacheTest, ::testing::ValuesIn(CacheTestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Memory only: the byte budget and the periodic sweep are the in-process backend's own mechanisms.
TEST(MemoryCacheTest, EvictsLeastRecentlyUsedUnderTheByteBudget) {
  ManualClock clock;
  ASSERT_OK_AND_ASSIGN(auto o,
                       backends::memory::MemoryCacheOptions::FromUrl("memory:?max_bytes=64KiB&shards=4"));
  EXPECT_EQ(o.max_bytes, 64 * 1024);
  o.clock = &clock;
  ASSERT_OK_AND_ASSIGN(auto cache, backends::memory::MemoryCache::Open(o));
  const std::string kilobyte(1024, 'x');
  ASSERT_OK(cache->Set("custom:hot", kilobyte, cache::kNoExpiry));
  for (int i = 0; i < 500; ++i) {
    ASSERT_OK(cache->Set(absl::StrCat("custom:cold:", i), kilobyte, cache::kNoExpiry));
    ASSERT_THAT(cache->Get("custom:hot"), IsOkAndHolds(::testing::Optional(kilobyte))) << i;
    ASSERT_LE(cache->bytes_used(), 64 * 1024) << i;
  }
  EXPECT_THAT(cache->Get("custom:cold:0"), IsOkAndHolds(std::optional<std::string>()));
  EXPECT_THAT(cache->Get("custom:cold:499"), IsOkAndHolds(::testing::Optional(kilobyte)));
  int64_t evictions = 0;
  for (const NamespaceStats& s : cache->Stats()) evictions += s.evictions;
  EXPECT_GT(evictions, 400);
  // An entry larger than a shard's budget is not kept.
  ASSERT_OK(cache->Set("custom:huge", std::string(20 * 1024, 'y'), cache::kNoExpiry));
  EXPECT_THAT(cache->Get("custom:huge"), IsOkAndHolds(std::optional<std::string>()));
  EXPECT_LE(cache->bytes_used(), 64 * 1024);
}

TEST(MemoryCacheTest, ExpiredEntriesAreSweptWithoutBeingRead) {
  ManualClock clock;
  ASSERT_OK_AND_ASSIGN(
      auto o, backends::memory::MemoryCacheOptions::FromUrl("memory:?shards=1&sweep_interval_ms=1000"));
  o.clock = &clock;
  ASSERT_OK_AND_ASSIGN(auto cache, backends::memory::MemoryCache::Open(o));
  for (int i = 0; i < 100; ++i) ASSERT_OK(cache->Set(absl::StrCat("custom:", i), "v", milliseconds(500)));
  ASSERT_OK(cache->Set("custom:keep", "v", cache::kNoExpiry));
  EXPECT_EQ(cache->entries(), 101);
  clock.Advance(milliseconds(1500));
  ASSERT_OK(cache->Get("custom:keep").status());  // any call into the shard sweeps once per interval
  EXPECT_EQ(cache->entries(), 1);
  const int64_t before = cache->bytes_used();
  EXPECT_GT(before, 0);
}

// Redis only: a private server (never the shared one) for wrong passwords and a server killed mid-test.
TEST(RedisCacheTest, AWrongPasswordIsAClearErrorThatNeverShowsIt) {
  ASSERT_OK_AND_ASSIGN(auto redis, daira::testing::PrivateRedis::Start({.password = "right-one"}));
  const std::string url = absl::StrCat("redis://:wrong-one@127.0.0.1:", redis->port(), "/0?prefix=t:");
  absl::StatusOr<std::unique_ptr<Cache>> cache = OpenCache(url);
  ASSERT_FALSE(cache.ok());
  EXPECT_THAT(cache.status().code(),
              ::testing::AnyOf(absl::StatusCode::kUnauthenticated, absl::StatusCode::kPermissionDenied));
  const std::string message(cache.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("127.0.0.1:", redis->port())));
  EXPECT_THAT(message, Not(HasSubstr("wrong-one")));
  // The right password opens it, and Describe() never shows the password either.
  ASSERT_OK_AND_ASSIGN(
      auto ok, OpenCache(absl::StrCat("redis://:right-one@127.0.0.1:", redis->port(), "/0?prefix=t:")));
  EXPECT_THAT(ok->Describe(), Not(HasSubstr("right-one")));
  EXPECT_THAT(ok->Describe(), HasSubstr("***"));
  ASSERT_OK(ok->Set("profile:1", "x"));
}

TEST(RedisCacheTest, AKilledServerFailsFastThenTheCacheComesBack) {
  ASSERT_OK_AND_ASSIGN(auto redis, daira::testing::PrivateRedis::Start());
  // A short reconnect backoff keeps the test quick; the default is 5 s.
  // A short breaker cool-down too: after 5 failures the breaker opens for it (default 5 s).
  ASSERT_OK_AND_ASSIGN(auto cache, OpenCache(absl::StrCat(redis->url(),
                                                          "?prefix=t:&reconnect_backoff_max_ms=200"
                                                          "&timeout_ms=1000&warn_interval_ms=60000"
                                                          "&breaker_cool_down_ms=200")));
  ASSERT_OK(cache->Set("profile:1", "before"));
  ASSERT_OK(redis->Kill());
  // Every call fails with Unavailable (a broken connection, then the pool's fast refusal during backoff).
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(cache->Get("profile:1"), StatusIs(absl::StatusCode::kUnavailable)) << i;
  }
  EXPECT_THAT(cache->Set("profile:1", "x"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(cache->MGet(std::vector<std::string>{"profile:1", "profile:2"}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GE(ErrorCount(*cache, "profile"), 22);
  // Read-through still answers from the loader (the database) while Redis is down.
  EXPECT_THAT(cache->ReadThrough("profile:2", [] { return absl::StatusOr<std::string>("from-db"); }),
              IsOkAndHolds(std::string("from-db")));
  ASSERT_OK(redis->Restart());
  // The pool reconnects by itself at its next backoff slot (at most 200 ms away): poll for it.
  absl::Status last;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    last = cache->Set("profile:1", "after");
    if (last.ok()) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_OK(last);
  EXPECT_THAT(cache->Get("profile:1"), IsOkAndHolds(std::optional<std::string>("after")));
}

}  // namespace
}  // namespace daira::cache
