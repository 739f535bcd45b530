// services::Vectors behind a Platform: a user's embedding stored as packed little-endian float32
// (user_embeddings, migration 022), read through the cache as vector:{user} with single-flight, and
// invalidated after commit (never after a rollback).
//
// Instantiated for each SQL backend × cache backend: /sqlite_memory, /sqlite_redis, /postgres_memory,
// /postgres_redis (with CI=true a missing server fails). On postgres_memory the services read the
// database (an in-process cache is not shared by instances: docs/cache.md), which is checked too.

#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
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
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The value of an OK StatusOr matches `m`.
MATCHER_P(IsOkAndHolds, m, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(m, *arg, result_listener);
}

std::vector<std::tuple<std::string, std::string>> Combos() {
  std::vector<std::tuple<std::string, std::string>> out;
  for (const std::string& sql : daira::testing::SqlBackends()) {
    for (const std::string& cache : daira::testing::CacheBackends()) out.emplace_back(sql, cache);
  }
  return out;
}

class PlatformVectorsTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  const std::string& sql() const { return std::get<0>(GetParam()); }
  bool redis() const { return std::get<1>(GetParam()) == "redis"; }
  bool cached() const { return redis() || sql() == "sqlite"; }

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(sql()));
    cache_url_ = redis() ? opener_.RedisUrl() : "memory:";
    platform_ = OpenPlatform();
    ASSERT_NE(platform_, nullptr);
    ASSERT_OK_AND_ASSIGN(alice_,
                         platform_->accounts().Register(
                             ctx_, {.email = "a@x.io", .username = "alice", .password = "correct horse 42"}));
  }
  std::unique_ptr<Platform> OpenPlatform() {
    absl::StatusOr<Config> config = Config::FromUrls({"database=" + tdb_->url(), "cache=" + cache_url_});
    EXPECT_THAT(config, daira::testing::IsOk());
    if (!config.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<Platform>> p =
        Platform::Open(*config, PlatformOptions{.accounts = services::AccountsOptions::ForTesting()});
    EXPECT_THAT(p, daira::testing::IsOk());
    return p.ok() ? *std::move(p) : nullptr;
  }
  int64_t Loads() const { return platform_->cache().read_through_loads(); }
  std::string Key() const { return absl::StrCat("vector:", alice_.id.value); }

  daira::testing::TestCacheOpener opener_;
  std::unique_ptr<TestDatabase> tdb_;
  std::string cache_url_;
  std::unique_ptr<Platform> platform_;
  RequestContext ctx_;
  model::User alice_;
};

TEST_P(PlatformVectorsTest, AnEmbeddingRoundTripsExactlyAsPackedFloat32AndIsReadThroughTheCache) {
  services::Vectors& vectors = platform_->vectors();
  EXPECT_THAT(vectors.Get(ctx_, alice_.id), IsOkAndHolds(std::optional<std::vector<float>>()));
  const std::vector<float> e = {0.5f,    -1.25f, 3e-8f,
                                FLT_MAX, -0.0f,  std::numeric_limits<float>::denorm_min()};
  ASSERT_OK(vectors.Put(ctx_, alice_.id, e));

  // The row: dims and the packed little-endian bytes (0.5f = 0x3f000000 → 00 00 00 3f).
  ASSERT_OK_AND_ASSIGN(
      store::ResultSet rs,
      tdb_->db().Execute(ctx_, "SELECT dims, embedding FROM user_embeddings WHERE user_id = ?",
                         {alice_.id.value}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64(0), 6);
  const std::string bytes = rs.front().Blob(1);
  ASSERT_EQ(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x00\x3f", 4));

  const int64_t loads = Loads();
  ASSERT_OK_AND_ASSIGN(std::optional<std::vector<float>> got, vectors.Get(ctx_, alice_.id));
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), e.size());
  for (size_t i = 0; i < e.size(); ++i) EXPECT_EQ(std::memcmp(&(*got)[i], &e[i], 4), 0) << i;  // bit for bit
  ASSERT_OK_AND_ASSIGN(got, vectors.Get(ctx_, alice_.id));
  ASSERT_TRUE(got.has_value());
  if (cached()) {
    EXPECT_EQ(Loads(), loads + 1) << "the second read is served by the cache";
    ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw, platform_->cache().Get(Key()));
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->substr(0, 16), "user_vector:v1:+");
    EXPECT_EQ(raw->size(), 16u + 24u);
    // The vector policy's TTL (30 days, jittered).
    ASSERT_OK_AND_ASSIGN(std::optional<std::chrono::milliseconds> ttl, platform_->cache().Ttl(Key()));
    ASSERT_TRUE(ttl.has_value());
    EXPECT_GT(*ttl, std::chrono::hours(24 * 26));
    EXPECT_LE(*ttl, std::chrono::hours(24 * 30));
  } else {
    EXPECT_EQ(Loads(), loads) << "postgres + memory: the services read the database";
  }
}

TEST_P(PlatformVectorsTest, WritesInvalidateAfterCommitAndNeverAfterARollback) {
  services::Vectors& vectors = platform_->vectors();
  ASSERT_OK(vectors.Put(ctx_, alice_.id, std::vector<float>{1.0f, 2.0f}));
  ASSERT_OK(vectors.Get(ctx_, alice_.id).status());  // cached
  absl::Status rolled = platform_->database().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(vectors.Put(ctx_, alice_.id, std::vector<float>{9.0f}));
    // Inside the transaction its own write is seen (the cache is bypassed).
    DAIRA_ASSIGN_OR_RETURN(std::optional<std::vector<float>> inside, vectors.Get(ctx_, alice_.id));
    EXPECT_THAT(inside, ::testing::Optional(ElementsAre(9.0f)));
    return absl::AbortedError("test: roll back");
  });
  EXPECT_THAT(rolled, StatusIs(absl::StatusCode::kAborted));
  if (cached()) {
    ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw, platform_->cache().Get(Key()));
    EXPECT_TRUE(raw.has_value()) << "a rolled-back write invalidates nothing";
  }
  EXPECT_THAT(vectors.Get(ctx_, alice_.id), IsOkAndHolds(::testing::Optional(ElementsAre(1.0f, 2.0f))));
  ASSERT_OK(vectors.Put(ctx_, alice_.id, std::vector<float>{3.0f, 4.0f, 5.0f}));
  EXPECT_THAT(vectors.Get(ctx_, alice_.id), IsOkAndHolds(::testing::Optional(ElementsAre(3.0f, 4.0f, 5.0f))));
  ASSERT_OK_AND_ASSIGN(bool removed, vectors.Delete(ctx_, alice_.id));
  EXPECT_TRUE(removed);
  EXPECT_THAT(vectors.Get(ctx_, alice_.id), IsOkAndHolds(std::optional<std::vector<float>>()));
  ASSERT_OK_AND_ASSIGN(removed, vectors.Delete(ctx_, alice_.id));
  EXPECT_FALSE(removed);
}

TEST_P(PlatformVectorsTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  services::Vectors& vectors = platform_->vectors();
  ASSERT_OK(vectors.Put(ctx_, alice_.id, std::vector<float>{1.0f}));
  const std::vector<std::vector<float>> bad = {{},
                                               std::vector<float>(services::kMaxEmbeddingDims + 1, 1.0f),
                                               {1.0f, std::numeric_limits<float>::quiet_NaN()},
                                               {std::numeric_limits<float>::infinity()}};
  for (const std::vector<float>& e : bad) {
    EXPECT_THAT(vectors.Put(ctx_, alice_.id, e),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("embedding")))
        << e.size();
  }
  EXPECT_THAT(vectors.Get(ctx_, alice_.id), IsOkAndHolds(::testing::Optional(ElementsAre(1.0f))));
  ASSERT_OK(vectors.Put(ctx_, alice_.id, std::vector<float>(services::kMaxEmbeddingDims, 0.25f)));
  // Unknown and deleted users are NotFound, for reads and writes, and nothing is cached for them.
  const UserId nobody{alice_.id.value + 1000};
  EXPECT_THAT(vectors.Get(ctx_, nobody), StatusIs(absl::StatusCode::kNotFound, HasSubstr("vectors")));
  EXPECT_THAT(vectors.Put(ctx_, nobody, std::vector<float>{1.0f}), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> raw,
                       platform_->cache().Get(absl::StrCat("vector:", nobody.value)));
  EXPECT_FALSE(raw.has_value());
  ASSERT_OK(platform_->users().Delete(ctx_, alice_.id));
  EXPECT_THAT(vectors.Put(ctx_, alice_.id, std::vector<float>{1.0f}), StatusIs(absl::StatusCode::kNotFound));
}

// The combinations where the services read through the cache (Redis, or in-process on SQLite).
class PlatformVectorsReadThroughTest : public PlatformVectorsTest {};
// The combinations shared by several instances (a Redis cache).
class PlatformVectorsSharedTest : public PlatformVectorsTest {};

TEST_P(PlatformVectorsReadThroughTest, FiftyConcurrentMissesCauseOneLoad) {
  ASSERT_OK(platform_->vectors().Put(ctx_, alice_.id, std::vector<float>{7.0f, 8.0f}));
  const int64_t before = Loads();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      RequestContext ctx;
      absl::StatusOr<std::optional<std::vector<float>>> v = platform_->vectors().Get(ctx, alice_.id);
      if (!v.ok() || !v->has_value() || (*v)->size() != 2) ++failures;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Loads() - before, 1);
}

TEST_P(PlatformVectorsSharedTest, AnotherInstancesWriteIsSeenThroughTheSharedCache) {
  std::unique_ptr<Platform> other = OpenPlatform();
  ASSERT_NE(other, nullptr);
  ASSERT_OK(platform_->vectors().Put(ctx_, alice_.id, std::vector<float>{1.0f}));
  ASSERT_OK(platform_->vectors().Get(ctx_, alice_.id).status());  // cached by instance 1
  ASSERT_OK(other->vectors().Put(ctx_, alice_.id, std::vector<float>{2.0f}));
  EXPECT_THAT(platform_->vectors().Get(ctx_, alice_.id),
              IsOkAndHolds(::testing::Optional(ElementsAre(2.0f))));
}

std::string ComboName(const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}
std::vector<std::tuple<std::string, std::string>> Filtered(bool shared) {
  std::vector<std::tuple<std::string, std::string>> out;
  for (auto& c : Combos()) {
    const bool redis = std::get<1>(c) == "redis";
    if (redis || (!shared && std::get<0>(c) == "sqlite")) out.push_back(c);
  }
  return out;
}
INSTANTIATE_TEST_SUITE_P(Vectors, PlatformVectorsTest, ::testing::ValuesIn(Combos()), ComboName);
INSTANTIATE_TEST_SUITE_P(Vectors, PlatformVectorsReadThroughTest, ::testing::ValuesIn(Filtered(false)),
                         ComboName);
INSTANTIATE_TEST_SUITE_P(Vectors, PlatformVectorsSharedTest, ::testing::ValuesIn(Filtered(true)), ComboName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PlatformVectorsSharedTest);  // no Redis outside CI

}  // namespace
}  // namespace daira
