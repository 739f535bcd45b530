// The counter recount on every SQL backend: a freshly seeded database has no discrepancy; counters
// corrupted by hand are found exactly (stored and actual values) and repaired in one transaction.
#include "daira/services/recount.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "daira/query/statement_budget.h"
#include "daira/store/migrator.h"
#include "daira/store/seed.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::TestDatabase;
using ::testing::UnorderedElementsAreArray;

class RecountTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    store::SeedOptions o;
    o.users = 200;
    o.avg_following = 10;
    o.posts = 800;
    o.videos = 80;
    o.comments = 1200;
    o.likes = 2500;
    o.hashtags = 60;
    ASSERT_OK(store::Seed(db(), ctx_, o));
  }
  store::Database& db() { return tdb_->db(); }

  // The first row of `sql`: (id, counter).
  std::pair<int64_t, int64_t> Pick(std::string_view sql) {
    auto rs = db().Read(ctx_, sql);
    EXPECT_OK(rs);
    if (!rs.ok() || rs->empty()) return {0, 0};
    return {rs->front().Int64(0), rs->front().Int64(1)};
  }
  // Sets table.column of row `id` to `value`, returning the discrepancy Recount should report.
  CounterDiscrepancy Corrupt(std::string table, std::string key, std::string column, int64_t id, int64_t actual,
                             int64_t value) {
    EXPECT_OK(db().Execute(ctx_, "UPDATE " + table + " SET " + column + " = ? WHERE " + key + " = ?", {value, id}));
    return {.table = table, .id = id, .column = column, .stored = value, .actual = actual};
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(RecountTest, FreshlySeededDatabaseHasNoDiscrepancy) {
  ASSERT_OK_AND_ASSIGN(RecountReport report, Recount(db(), ctx_));
  EXPECT_TRUE(report.discrepancies.empty());
  EXPECT_EQ(report.counters_checked, static_cast<int>(RecountedCounters().size()));
  EXPECT_EQ(report.counters_checked, 13);
  EXPECT_FALSE(report.repaired);
  // One statement per counter: set-based, not per row.
  query::StatementBudget budget(ctx_);
  ASSERT_OK(Recount(db(), ctx_));
  EXPECT_EQ(budget.used(), 13);
}

TEST_P(RecountTest, FindsExactlyTheCorruptedCountersAndRepairsThem) {
  std::vector<CounterDiscrepancy> want;
  auto [u, followers] = Pick("SELECT user_id, followers_count FROM user_profiles WHERE followers_count > 0 "
                             "ORDER BY followers_count DESC, user_id LIMIT 1");
  want.push_back(Corrupt("user_profiles", "user_id", "followers_count", u, followers, followers + 5));
  auto [u2, following] = Pick("SELECT user_id, following_count FROM user_profiles WHERE following_count > 0 "
                              "ORDER BY user_id LIMIT 1");
  want.push_back(Corrupt("user_profiles", "user_id", "following_count", u2, following, 0));
  auto [u3, liked] = Pick("SELECT user_id, likes_received_count FROM user_profiles "
                          "WHERE likes_received_count > 0 ORDER BY user_id DESC LIMIT 1");
  want.push_back(Corrupt("user_profiles", "user_id", "likes_received_count", u3, liked, liked + 1));
  auto [p, plikes] = Pick("SELECT id, likes_count FROM posts WHERE likes_count > 1 ORDER BY id LIMIT 1");
  want.push_back(Corrupt("posts", "id", "likes_count", p, plikes, plikes - 1));
  auto [v, vcomments] = Pick("SELECT id, comments_count FROM videos ORDER BY id LIMIT 1");
  want.push_back(Corrupt("videos", "id", "comments_count", v, vcomments, vcomments + 100));
  auto [c, replies] = Pick("SELECT id, replies_count FROM comments WHERE replies_count > 0 ORDER BY id LIMIT 1");
  want.push_back(Corrupt("comments", "id", "replies_count", c, replies, replies + 2));
  auto [h, hposts] = Pick("SELECT id, posts_count FROM hashtags WHERE posts_count > 0 ORDER BY id LIMIT 1");
  want.push_back(Corrupt("hashtags", "id", "posts_count", h, hposts, 0));
  // Counters made wrong by a real edge change: a follow row removed without touching its counters
  // (one whose ends are not among the users corrupted above).
  ASSERT_OK_AND_ASSIGN(store::ResultSet edge,
                       db().Read(ctx_,
                                 "SELECT f.id, f.follower_id, f.followee_id, a.following_count, b.followers_count "
                                 "FROM follows f JOIN user_profiles a ON a.user_id = f.follower_id "
                                 "JOIN user_profiles b ON b.user_id = f.followee_id "
                                 "WHERE f.follower_id NOT IN (?, ?) AND f.followee_id NOT IN (?, ?) ORDER BY f.id LIMIT 1",
                                 {u, u2, u, u2}));
  ASSERT_EQ(edge.size(), 1u);
  const store::Row e = edge.front();
  ASSERT_OK(db().Execute(ctx_, "DELETE FROM follows WHERE id = ?", {e.Int64(0)}));
  want.push_back({.table = "user_profiles", .id = e.Int64(1), .column = "following_count", .stored = e.Int64(3),
                  .actual = e.Int64(3) - 1});
  want.push_back({.table = "user_profiles", .id = e.Int64(2), .column = "followers_count", .stored = e.Int64(4),
                  .actual = e.Int64(4) - 1});

  ASSERT_OK_AND_ASSIGN(RecountReport found, Recount(db(), ctx_));
  EXPECT_THAT(found.discrepancies, UnorderedElementsAreArray(want));
  EXPECT_EQ(found.discrepancies.size(), want.size());
  EXPECT_FALSE(found.repaired);
  // Checking changed nothing.
  ASSERT_OK_AND_ASSIGN(RecountReport again, Recount(db(), ctx_));
  EXPECT_EQ(again.discrepancies, found.discrepancies);

  ASSERT_OK_AND_ASSIGN(RecountReport repaired, Recount(db(), ctx_, {.repair = true}));
  EXPECT_TRUE(repaired.repaired);
  EXPECT_EQ(repaired.discrepancies, found.discrepancies);
  ASSERT_OK_AND_ASSIGN(RecountReport after, Recount(db(), ctx_));
  EXPECT_TRUE(after.discrepancies.empty());
  EXPECT_EQ(Pick("SELECT user_id, followers_count FROM user_profiles WHERE user_id = " + std::to_string(u)).second,
            followers);
}

TEST_P(RecountTest, RepairOfAConsistentDatabaseChangesNothing) {
  ASSERT_OK_AND_ASSIGN(RecountReport r, Recount(db(), ctx_, {.repair = true}));
  EXPECT_TRUE(r.discrepancies.empty());
  EXPECT_TRUE(r.repaired);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(RecountTest);

}  // namespace
}  // namespace daira::services
