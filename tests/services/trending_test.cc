// Trending service: hand-computed ranking with a ManualClock, window bounds, keyset pages, hashtags,
// validation (both SQL backends).
#include "daira/services/trending.h"

#include <chrono>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "daira/core/clock.h"
#include "daira/core/id.h"
#include "daira/core/status.h"
#include "daira/query/statement_budget.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;

constexpr int64_t kHour = 3600LL * 1000000;
constexpr int64_t kNow = 1748736000LL * 1000000;  // 2025-06-01T00:00:00Z

double Expected(int64_t engagement, double age_hours) { return engagement / std::pow(age_hours + 2.0, 1.5); }

class TrendingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    EXPECT_OK(db().Execute(ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (1, 'author', 0, 0)", {}));
    trending_ = std::make_unique<Trending>(ServiceDeps{.db = &db(), .clock = &clock_});
  }
  store::Database& db() { return tdb_->db(); }
  void AddVideo(int64_t id, int64_t views, int64_t likes, int64_t comments, int64_t published_at,
                const char* status = "PUBLISHED") {
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO videos (id, author_id, title, views_count, likes_count, comments_count, status, "
                           "created_at, updated_at, published_at) VALUES (?, 1, 'v', ?, ?, ?, ?, ?, ?, ?)",
                           {id, views, likes, comments, status, published_at, published_at, published_at}));
  }
  // A post created at `at` (its id derived from the time, as IdGenerator would), carrying `tag_id`.
  void AddPost(int64_t at, int64_t tag_id, const char* status = "ACTIVE") {
    const int64_t id = ((at / 1000 - kIdEpochUnixMillis) << (kIdNodeBits + kIdSequenceBits)) + (++seq_);
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO posts (id, author_id, content, status, created_at, updated_at) "
                           "VALUES (?, 1, 'p', ?, ?, ?)",
                           {id, status, at, at}));
    EXPECT_OK(db().Execute(ctx_, "INSERT INTO post_hashtags (post_id, hashtag_id, created_at) VALUES (?, ?, ?)",
                           {id, tag_id, at}));
  }
  void AddTag(int64_t id, const std::string& tag) {
    EXPECT_OK(db().Execute(ctx_, "INSERT INTO hashtags (id, tag, created_at, updated_at) VALUES (?, ?, 0, 0)",
                           {id, tag}));
  }
  std::vector<int64_t> Ids(const query::Page<TrendingVideo>& page) {
    std::vector<int64_t> ids;
    for (const TrendingVideo& v : page.items) ids.push_back(v.video.id.value);
    return ids;
  }

  RequestContext ctx_;
  ManualClock clock_{Clock::TimePoint{std::chrono::microseconds(kNow)}};
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Trending> trending_;
  int64_t seq_ = 0;
};

TEST_P(TrendingTest, VideosRankedByDecayedEngagementWithinTheWindow) {
  AddVideo(10, 100, 0, 0, kNow - 1 * kHour);      // A: 100 / 3^1.5  = 19.25
  AddVideo(11, 0, 10, 4, kNow);                   // B:  50 / 2^1.5  = 17.68
  AddVideo(12, 1000, 0, 0, kNow - 48 * kHour);    // C: 1000 / 50^1.5 = 2.83
  AddVideo(13, 5000, 0, 0, kNow - 8 * 24 * kHour);  // D: outside 7 days
  AddVideo(14, 9000, 0, 0, kNow, "PROCESSING");   // E: not published
  AddVideo(15, 30, 0, 0, kNow - 10 * kHour);      // F: 30 / 12^1.5 = 0.72
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, trending_->Videos(ctx, {}));
  EXPECT_OK(budget.Check("trending videos"));
  EXPECT_EQ(budget.used(), 1);
  EXPECT_THAT(Ids(page), ElementsAre(10, 11, 12, 15));
  ASSERT_EQ(page.items.size(), 4u);
  EXPECT_DOUBLE_EQ(page.items[0].score, Expected(100, 1));
  EXPECT_DOUBLE_EQ(page.items[1].score, Expected(50, 0));
  EXPECT_DOUBLE_EQ(page.items[2].score, Expected(1000, 48));
  EXPECT_DOUBLE_EQ(page.items[3].score, Expected(30, 10));
  EXPECT_FALSE(page.has_more);

  ASSERT_OK_AND_ASSIGN(auto day, trending_->Videos(ctx_, {.window = std::chrono::hours(24)}));
  EXPECT_THAT(Ids(day), ElementsAre(10, 11, 15));

  // Ten hours later B (fresh likes and comments) has decayed less than A: 50/12^1.5 vs 100/13^1.5.
  clock_.Advance(std::chrono::hours(10));
  ASSERT_OK_AND_ASSIGN(auto later, trending_->Videos(ctx_, {.window = std::chrono::hours(24)}));
  EXPECT_THAT(Ids(later), ElementsAre(10, 11, 15));
  EXPECT_DOUBLE_EQ(later.items[0].score, Expected(100, 11));
  EXPECT_DOUBLE_EQ(later.items[1].score, Expected(50, 10));
}

TEST_P(TrendingTest, KeysetPagesHaveNoDuplicates) {
  for (int i = 0; i < 17; ++i) AddVideo(100 + i, i % 3, 0, 0, kNow - (i % 5) * kHour);  // many ties
  std::vector<int64_t> all;
  std::string cursor;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, trending_->Videos(ctx_, {.limit = 3, .cursor = cursor}));
    for (const TrendingVideo& v : page.items) all.push_back(v.video.id.value);
    cursor = page.has_more ? page.next_cursor : "";
    ASSERT_LT(++pages, 20);
  } while (!cursor.empty());
  EXPECT_EQ(all.size(), 17u);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 17u);
  ASSERT_OK_AND_ASSIGN(auto one, trending_->Videos(ctx_, {.limit = 100}));
  EXPECT_EQ(Ids(one), all);
  for (size_t i = 1; i < one.items.size(); ++i) EXPECT_GE(one.items[i - 1].score, one.items[i].score);
}

TEST_P(TrendingTest, HashtagsByDecayedUseWithinTheWindow) {
  AddTag(1, "cairo");
  AddTag(2, "nile");
  AddTag(3, "pharaoh");
  AddTag(4, "desert");
  for (int i = 0; i < 3; ++i) AddPost(kNow - 1 * kHour, 1);     // 3 / 3^1.5 = 0.577
  for (int i = 0; i < 2; ++i) AddPost(kNow, 2);                 // 2 / 2^1.5 = 0.707
  for (int i = 0; i < 10; ++i) AddPost(kNow - 8 * 24 * kHour, 3);  // outside the window
  AddPost(kNow, 4, "HIDDEN");                                   // not ACTIVE
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto tags, trending_->Hashtags(ctx, {.limit = 10}));
  EXPECT_OK(budget.Check("trending hashtags"));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].tag, "nile");
  EXPECT_EQ(tags[0].uses, 2);
  EXPECT_NEAR(tags[0].score, Expected(2, 0), 1e-9);
  EXPECT_EQ(tags[1].tag, "cairo");
  EXPECT_EQ(tags[1].uses, 3);
  EXPECT_NEAR(tags[1].score, Expected(3, 1), 1e-9);
  ASSERT_OK_AND_ASSIGN(auto top1, trending_->Hashtags(ctx_, {.limit = 1}));
  ASSERT_EQ(top1.size(), 1u);
  EXPECT_EQ(top1[0].tag, "nile");
  // A 30-day window includes the old pharaoh posts: 10 / 194^1.5 is small but they count.
  ASSERT_OK_AND_ASSIGN(auto month, trending_->Hashtags(ctx_, {.window = std::chrono::hours(24 * 30), .limit = 10}));
  ASSERT_EQ(month.size(), 3u);
  EXPECT_EQ(month[2].tag, "pharaoh");
  EXPECT_EQ(month[2].uses, 10);
}

TEST_P(TrendingTest, ValidationNamesTheField) {
  AddVideo(10, 1, 0, 0, kNow);
  struct Case {
    TrendingRequest req;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{.window = std::chrono::minutes(10)}, "window"},
      {{.window = std::chrono::hours(24 * 365)}, "window"},
      {{.limit = 0}, "limit"},
      {{.limit = 101}, "limit"},
      {{.cursor = "garbage"}, "cursor"},
  };
  for (const Case& c : cases) {
    auto r = trending_->Videos(ctx_, c.req);
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(StatusField(r.status()), c.field) << r.status();
  }
  EXPECT_EQ(StatusField(trending_->Hashtags(ctx_, {.cursor = "x"}).status()), "cursor");
  // A cursor of another window is rejected.
  AddVideo(11, 2, 0, 0, kNow);
  ASSERT_OK_AND_ASSIGN(auto page, trending_->Videos(ctx_, {.limit = 1}));
  ASSERT_TRUE(page.has_more);
  EXPECT_EQ(StatusField(trending_->Videos(ctx_, {.window = std::chrono::hours(24), .cursor = page.next_cursor}).status()),
            "cursor");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(TrendingTest);

}  // namespace
}  // namespace daira::services
