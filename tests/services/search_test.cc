// Search service: ranking buckets, ACTIVE-only, keyset pagination, hostile queries, validation (both
// SQL backends).
#include "daira/services/search.h"

#include <set>
#include <string>
#include <vector>

#include "daira/core/status.h"
#include "daira/query/statement_budget.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/search_internal.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SearchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    search_ = std::make_unique<Search>(ServiceDeps{.db = &db()});
  }
  store::Database& db() { return tdb_->db(); }
  void AddUser(int64_t id, const std::string& name, const std::string& display, const char* status = "ACTIVE") {
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO users (id, username, avatar_url, is_verified, status, created_at, updated_at) "
                           "VALUES (?, ?, ?, 1, ?, 0, 0)",
                           {id, name, "https://cdn.x/" + name + ".png", status}));
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO user_profiles (user_id, display_name, created_at, updated_at) VALUES (?, ?, 0, 0)",
                           {id, display}));
  }
  int64_t UserCount() {
    auto rs = db().Execute(ctx_, "SELECT COUNT(*) AS n FROM users", {});
    EXPECT_OK(rs.status());
    return rs.ok() ? rs->front().Int64("n") : -1;
  }
  void AddFixture() {
    AddUser(1, "ali", "Somebody");
    AddUser(2, "alibaba", "Forty Thieves");
    AddUser(3, "alice", "Alice Liddell");
    AddUser(4, "bob", "Ali Khan");
    AddUser(5, "carol", "Alien Life");
    AddUser(6, "alina", "Suspended Ali", "SUSPENDED");
    AddUser(7, "dave", "Nothing Here");
    AddUser(8, "zoë", "Zoë Ünal");
  }
  std::vector<int64_t> Ids(const query::Page<UserHit>& page) {
    std::vector<int64_t> ids;
    for (const UserHit& h : page.items) ids.push_back(h.id);
    return ids;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Search> search_;
};

TEST_P(SearchTest, ExactThenPrefixThenFullTextActiveOnly) {
  AddFixture();
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx, {.query = "ali"}));
  EXPECT_OK(budget.Check("user search"));
  EXPECT_EQ(budget.used(), 1);  // candidates, ranking and page in one statement
  EXPECT_THAT(Ids(page), ElementsAre(1, 2, 3, 4, 5));
  std::vector<int> buckets;
  for (const UserHit& h : page.items) buckets.push_back(h.rank_bucket);
  EXPECT_THAT(buckets, ElementsAre(0, 1, 1, 2, 2));
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.items[0].username, "ali");
  EXPECT_EQ(page.items[0].display_name, "Somebody");
  EXPECT_EQ(page.items[0].avatar_url, "https://cdn.x/ali.png");
  EXPECT_TRUE(page.items[0].is_verified);

  // Case and a leading '@' do not matter.
  ASSERT_OK_AND_ASSIGN(auto at, search_->Users(ctx_, {.query = "  @ALI "}));
  EXPECT_THAT(Ids(at), ElementsAre(1, 2, 3, 4, 5));
  // A display-name word only.
  ASSERT_OK_AND_ASSIGN(auto thieves, search_->Users(ctx_, {.query = "thie"}));
  EXPECT_THAT(Ids(thieves), ElementsAre(2));
  // Two words must both match.
  ASSERT_OK_AND_ASSIGN(auto two, search_->Users(ctx_, {.query = "ali kh"}));
  EXPECT_THAT(Ids(two), ElementsAre(4));
  // The suspended user matches nothing.
  ASSERT_OK_AND_ASSIGN(auto suspended, search_->Users(ctx_, {.query = "alina"}));
  EXPECT_TRUE(suspended.items.empty());
  // Unicode username, exact.
  ASSERT_OK_AND_ASSIGN(auto zoe, search_->Users(ctx_, {.query = "Zoë"}));
  ASSERT_THAT(Ids(zoe), ElementsAre(8));
  EXPECT_EQ(zoe.items[0].rank_bucket, 0);
}

TEST_P(SearchTest, PaginationWalksEveryResultOnce) {
  AddFixture();
  for (int i = 0; i < 23; ++i) AddUser(100 + i, "al" + std::to_string(i), i % 2 == 0 ? "Ali Clone" : "Someone");
  std::vector<int64_t> all;
  std::string cursor;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx_, {.query = "al", .limit = 4, .cursor = cursor}));
    for (const UserHit& h : page.items) all.push_back(h.id);
    cursor = page.has_more ? page.next_cursor : "";
    ASSERT_LT(++pages, 50);
  } while (!cursor.empty());
  std::set<int64_t> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());
  // Every ACTIVE user whose username starts with "al" or has a word starting with "al": 1,2,3,4,5 + 23.
  EXPECT_EQ(all.size(), 28u);
  EXPECT_EQ(unique.count(6), 0u);
  // Buckets never go back down along the walk.
  ASSERT_OK_AND_ASSIGN(auto first, search_->Users(ctx_, {.query = "al", .limit = 100}));
  EXPECT_EQ(Ids(first), all);
  for (size_t i = 1; i < first.items.size(); ++i) {
    EXPECT_LE(first.items[i - 1].rank_bucket, first.items[i].rank_bucket);
  }
}

TEST_P(SearchTest, MetacharactersAreHarmless) {
  AddFixture();
  const int64_t before = UserCount();
  for (const std::string q : {"\"", "*", "-", "OR", "ali OR bob", "ali*", "\"ali\"", "-ali", "'; DROP TABLE users; --",
                              "a'b", "NEAR(ali bob)", "ali:*", "ali & !bob", "\\", "%", "_", "ü", "日本語", "(", "^ali",
                              "username:ali", "{ali}"}) {
    SCOPED_TRACE(q);
    auto page = search_->Users(ctx_, {.query = q});
    ASSERT_OK(page.status());
  }
  EXPECT_EQ(UserCount(), before);
  // Wildcards do not act as LIKE patterns: "%" and "_" match no username prefix.
  ASSERT_OK_AND_ASSIGN(auto pct, search_->Users(ctx_, {.query = "%"}));
  EXPECT_TRUE(pct.items.empty());
  ASSERT_OK_AND_ASSIGN(auto quoted, search_->Users(ctx_, {.query = "\"alice\""}));
  EXPECT_THAT(Ids(quoted), ElementsAre(3));
}

TEST_P(SearchTest, ValidationNamesTheFieldAndWritesNothing) {
  AddFixture();
  const int64_t before = UserCount();
  struct Case {
    SearchRequest req;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{.query = "   "}, "query"},
      {{.query = "ali", .limit = 500}, "limit"},
      {{.query = "ali", .limit = 0}, "limit"},
      {{.query = "ali", .scope = "POSTS"}, "scope"},
      {{.query = "ali", .cursor = "not-a-cursor"}, "cursor"},
  };
  for (const Case& c : cases) {
    auto r = search_->Users(ctx_, c.req);
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(StatusField(r.status()), c.field) << r.status();
  }
  // A cursor from another query is rejected.
  for (int i = 0; i < 3; ++i) AddUser(200 + i, "zed" + std::to_string(i), "");
  ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx_, {.query = "zed", .limit = 1}));
  ASSERT_TRUE(page.has_more);
  auto other = search_->Users(ctx_, {.query = "ali", .limit = 1, .cursor = page.next_cursor});
  EXPECT_EQ(StatusField(other.status()), "cursor");
  EXPECT_EQ(UserCount(), before + 3);
}

TEST_P(SearchTest, StatementUsesTheSearchIndexes) {
  AddFixture();
  for (int i = 0; i < 300; ++i) AddUser(1000 + i, "user" + std::to_string(i), "Person " + std::to_string(i));
  ASSERT_OK(db().Execute(ctx_, "ANALYZE"));
  const bool pg = db().backend() == store::Backend::kPostgres;
  ASSERT_OK_AND_ASSIGN(query::KeysetStatement st,
                       query::BuildKeysetStatement(internal::UserSearchQuery(db().backend(), "ali"), nullptr, 21));
  ASSERT_OK_AND_ASSIGN(store::ConnectionLease lease, db().Acquire(ctx_));
  if (pg) {
    ASSERT_OK(lease->Execute("SET enable_seqscan = off"));
  }
  ASSERT_OK_AND_ASSIGN(store::ResultSet plan, lease->Execute((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + st.sql,
                                                             store::Params(st.params.data(), st.params.size())));
  if (pg) {
    ASSERT_OK(lease->Execute("RESET enable_seqscan"));
  }
  std::string text;
  for (const store::Row& row : plan) text += row.Text(plan.column_count() - 1) + "\n";
  if (pg) {
    EXPECT_THAT(text, HasSubstr("users_search_idx")) << text;
    EXPECT_THAT(text, HasSubstr("user_profiles_search_idx")) << text;
  } else {
    EXPECT_THAT(text, HasSubstr("users_fts")) << text;
    EXPECT_THAT(text, HasSubstr("users_username_uidx")) << text;
  }
}

DAIRA_INSTANTIATE_SQL_BACKENDS(SearchTest);

}  // namespace
}  // namespace daira::services
