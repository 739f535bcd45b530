// Search service: user ranking (buckets and tiers), post search (full text and the hashtag path, viewer
// rules), hashtag prefix search, keyset pagination, hostile queries, validation, one statement per
// page, and the plans (index use, also under Postgres generic plans) on both SQL backends.
#include "daira/services/search.h"

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/query/statement_budget.h"
#include "daira/services/content.h"
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
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

class SearchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    search_ = std::make_unique<Search>(ServiceDeps{.db = &db()});
    content_ = std::make_unique<Content>(ServiceDeps{.db = &db()});
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

  std::vector<int64_t> Tiers(const query::Page<UserHit>& page) {
    std::vector<int64_t> out;
    for (const UserHit& h : page.items) out.push_back(h.rank_tier);
    return out;
  }
  PostId Post(int64_t author, const std::string& text, const char* visibility = "PUBLIC") {
    auto p = content_->CreatePost(ctx_, {.author_id = author, .content = text, .visibility = visibility});
    EXPECT_OK(p);
    return p.ok() ? p->id : PostId();
  }
  static std::vector<int64_t> PostIds(const query::Page<PostHit>& page) {
    std::vector<int64_t> out;
    for (const PostHit& h : page.items) out.push_back(h.post.id.value);
    return out;
  }
  std::vector<int64_t> SearchPosts(int64_t viewer, const std::string& q) {
    auto page = search_->Posts(ctx_, UserId(viewer), {.query = q, .limit = 100});
    EXPECT_OK(page);
    return page.ok() ? PostIds(*page) : std::vector<int64_t>{};
  }
  static std::vector<std::string> Tags(const query::Page<HashtagHit>& page) {
    std::vector<std::string> out;
    for (const HashtagHit& h : page.items) out.push_back(h.tag);
    return out;
  }
  std::vector<std::string> SearchTags(const std::string& q) {
    auto page = search_->Hashtags(ctx_, {.query = q, .limit = 100});
    EXPECT_OK(page);
    return page.ok() ? Tags(*page) : std::vector<std::string>{};
  }
  void Exec(const std::string& sql, std::vector<store::Value> params = {}) {
    EXPECT_OK(db().Execute(ctx_, sql, store::Params(params.data(), params.size())));
  }

  // The plan of the first page of `kq` (EXPLAIN QUERY PLAN on SQLite; EXPLAIN with enable_seqscan off
  // on Postgres, with `generic`: of the statement PREPAREd and run under force_generic_plan, which
  // Postgres uses for a prepared statement after five executions).
  std::string Plan(const query::KeysetQuery& kq, bool generic = false) {
    auto st = query::BuildKeysetStatement(kq, nullptr, 21);
    EXPECT_OK(st);
    if (!st.ok()) return "";
    auto lease = db().Acquire(ctx_);
    EXPECT_OK(lease);
    if (!lease.ok()) return "";
    store::Connection& c = **lease;
    std::string text;
    if (c.backend() != store::Backend::kPostgres) {
      auto plan = c.Execute("EXPLAIN QUERY PLAN " + st->sql, store::Params(st->params.data(), st->params.size()));
      EXPECT_OK(plan);
      if (plan.ok()) {
        for (const store::Row& row : *plan) text += row.Text(plan->column_count() - 1) + "\n";
      }
      return text;
    }
    EXPECT_OK(c.Execute("SET enable_seqscan = off"));
    absl::StatusOr<store::ResultSet> plan;
    if (generic) {
      // EXECUTE takes literals; the test's own values only (quotes doubled).
      std::vector<std::string> args;
      for (const store::Value& v : st->params) {
        if (v.type() == store::ValueType::kInt64) {
          args.push_back(std::to_string(v.int64()));
        } else {
          std::string lit = "'";
          for (char ch : v.text()) lit += ch == '\'' ? std::string("''") : std::string(1, ch);
          args.push_back(lit + "'");
        }
      }
      EXPECT_OK(c.Execute("PREPARE daira_search_plan AS " + c.dialect().RewritePlaceholders(st->sql)));
      EXPECT_OK(c.Execute("SET plan_cache_mode = force_generic_plan"));
      plan = c.Execute("EXPLAIN EXECUTE daira_search_plan (" + absl::StrJoin(args, ", ") + ")");
      EXPECT_OK(c.Execute("RESET plan_cache_mode"));
      EXPECT_OK(c.Execute("DEALLOCATE daira_search_plan"));
    } else {
      plan = c.Execute("EXPLAIN " + st->sql, store::Params(st->params.data(), st->params.size()));
    }
    EXPECT_OK(c.Execute("RESET enable_seqscan"));
    EXPECT_OK(plan);
    if (plan.ok()) {
      for (const store::Row& row : *plan) text += row.Text(0) + "\n";
    }
    return text;
  }
  // True when the plan reads `index` with an index condition on `column` (a range / match served by
  // the index, not a full walk of it with a filter).
  static bool IndexCondition(const std::string& plan, const std::string& index, const std::string& column) {
    const size_t at = plan.find(" " + index);
    if (at == std::string::npos) return false;
    const size_t eol = plan.find('\n', at);
    const size_t next = plan.find('\n', eol + 1);
    const std::string line = plan.substr(eol + 1, next - eol - 1);
    return line.find("Index Cond") != std::string::npos && line.find(column) != std::string::npos;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Search> search_;
  std::unique_ptr<Content> content_;
};

TEST_P(SearchTest, ExactThenPrefixThenFullTextActiveOnly) {
  AddFixture();
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx, {.query = "ali"}));
  EXPECT_OK(budget.Check("user search"));
  EXPECT_EQ(budget.used(), 1);  // candidates, ranking and page in one statement
  // Exact; prefix, shorter username first (alice 5 < alibaba 7); full text, "ali" as a whole word
  // (bob's "Ali Khan") before "ali" only as a prefix (carol's "Alien Life").
  EXPECT_THAT(Ids(page), ElementsAre(1, 3, 2, 4, 5));
  std::vector<int> buckets;
  for (const UserHit& h : page.items) buckets.push_back(h.rank_bucket);
  EXPECT_THAT(buckets, ElementsAre(0, 1, 1, 2, 2));
  EXPECT_THAT(Tiers(page), ElementsAre(0, 5, 7, 0, 1));
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.items[0].username, "ali");
  EXPECT_EQ(page.items[0].display_name, "Somebody");
  EXPECT_EQ(page.items[0].avatar_url, "https://cdn.x/ali.png");
  EXPECT_TRUE(page.items[0].is_verified);

  // Case and a leading '@' do not matter.
  ASSERT_OK_AND_ASSIGN(auto at, search_->Users(ctx_, {.query = "  @ALI "}));
  EXPECT_THAT(Ids(at), ElementsAre(1, 3, 2, 4, 5));
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
  // The walk is in (bucket, tier, id) order, the same as one big page.
  ASSERT_OK_AND_ASSIGN(auto first, search_->Users(ctx_, {.query = "al", .limit = 100}));
  EXPECT_EQ(Ids(first), all);
  for (size_t i = 1; i < first.items.size(); ++i) {
    const UserHit& a = first.items[i - 1];
    const UserHit& b = first.items[i];
    EXPECT_LT(std::tie(a.rank_bucket, a.rank_tier, a.id), std::tie(b.rank_bucket, b.rank_tier, b.id));
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
  Exec("ANALYZE");
  const query::KeysetQuery kq = internal::UserSearchQuery(db().backend(), "ali");
  const std::string text = Plan(kq);
  if (db().backend() == store::Backend::kPostgres) {
    // The username prefix is an index range in the "C" collation, custom and generic plans alike:
    // users_username_prefix_idx for the bucket-2 exclusion, and for the prefix candidates either it
    // or users_active_username_idx (partial, ACTIVE; which one is the planner's call on 300 rows —
    // bench/services_bench shows the index-only scan at 100k). The full-text branches match the GIN
    // expressions.
    for (bool generic : {false, true}) {
      const std::string plan = generic ? Plan(kq, /*generic=*/true) : text;
      EXPECT_TRUE(IndexCondition(plan, "users_username_prefix_idx", "username")) << plan;
      EXPECT_TRUE(IndexCondition(plan, "users_search_idx", "to_tsvector")) << plan;
      EXPECT_TRUE(IndexCondition(plan, "user_profiles_search_idx", "to_tsvector")) << plan;
      EXPECT_THAT(plan, Not(HasSubstr("Seq Scan on users"))) << plan;
    }
  } else {
    // Candidates come from covering indexes and the full-text table only; the users rows read are
    // the page's (by primary key), never a scan.
    EXPECT_THAT(text, HasSubstr("users_fts")) << text;
    EXPECT_THAT(text, HasSubstr("USING COVERING INDEX users_active_username_idx (username>? AND username<?)")) << text;
    EXPECT_THAT(text, HasSubstr("USING COVERING INDEX users_username_uidx (username>? AND username<?)")) << text;
    EXPECT_THAT(text, HasSubstr("USING COVERING INDEX users_status_idx (status=? AND id=? AND rowid=?)")) << text;
    EXPECT_THAT(text, HasSubstr("SEARCH u USING INTEGER PRIMARY KEY (rowid=?)")) << text;
    EXPECT_THAT(text, Not(HasSubstr("SCAN u\n"))) << text;
    EXPECT_THAT(text, Not(HasSubstr("SCAN users\n"))) << text;
  }
}

// The full-text arm is skipped when the prefix arm fills a forward page after the cursor; every page
// size, forward and backward, still walks the one list: exact, prefixes by length, then full text.
TEST_P(SearchTest, PagesCrossFromPrefixToFullTextWhateverTheirSize) {
  AddUser(10, "ann", "");
  for (int i = 0; i < 5; ++i) AddUser(11 + i, "ann" + std::string(i + 1, 'x'), "");  // bucket 1, tiers 4..8
  AddUser(20, "zed1", "Ann Lee");                                                    // bucket 2, tier 0
  AddUser(21, "zed2", "Annabel Lee");                                                // bucket 2, tier 1
  AddUser(22, "zed3", "Ann Other", "SUSPENDED");                                     // not listed
  AddUser(23, "annz", "", "BANNED");                                                 // not listed
  const std::vector<int64_t> all = {10, 11, 12, 13, 14, 15, 20, 21};
  ASSERT_OK_AND_ASSIGN(auto whole, search_->Users(ctx_, {.query = "ann", .limit = 100}));
  EXPECT_EQ(Ids(whole), all);
  for (int limit = 1; limit <= 9; ++limit) {
    SCOPED_TRACE(limit);
    std::vector<int64_t> forward;
    std::string cursor, prev;
    for (int guard = 0; guard < 20; ++guard) {
      ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx_, {.query = "ann", .limit = limit, .cursor = cursor}));
      const std::vector<int64_t> ids = Ids(page);
      forward.insert(forward.end(), ids.begin(), ids.end());
      prev = page.prev_cursor;
      if (!page.has_more) break;
      cursor = page.next_cursor;
    }
    EXPECT_EQ(forward, all);
    // Back from the last page to the head: everything before it, in order.
    std::vector<std::vector<int64_t>> pages;
    for (int guard = 0; guard < 20 && !prev.empty(); ++guard) {
      ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx_, {.query = "ann", .limit = limit, .cursor = prev}));
      pages.push_back(Ids(page));
      prev = page.has_more ? page.prev_cursor : "";
    }
    std::vector<int64_t> backward;
    for (auto it = pages.rbegin(); it != pages.rend(); ++it) backward.insert(backward.end(), it->begin(), it->end());
    const size_t last = all.size() % limit == 0 ? limit : all.size() % limit;
    EXPECT_EQ(backward, std::vector<int64_t>(all.begin(), all.end() - static_cast<std::ptrdiff_t>(last)));
  }
}

TEST_P(SearchTest, RelevanceTiersWithinBucketsAreDerivableByHand) {
  // Prefix bucket: shorter usernames first, whatever the ids.
  AddUser(20, "annabelle", "");
  AddUser(21, "annie", "");
  AddUser(22, "ann", "");
  AddUser(23, "anna", "");
  // Full-text bucket for "sam lee": the number of words that match only as a prefix.
  AddUser(30, "x1", "Samuel Leeds");   // both prefixes: tier 2
  AddUser(31, "x2", "Sam Lee");        // both whole: tier 0
  AddUser(32, "x3", "Samantha Lee");   // "sam" a prefix, "lee" whole: tier 1
  AddUser(33, "x4", "Lee Sam");        // both whole: tier 0
  AddUser(34, "x5", "Sam Smith");      // "lee" missing: no match
  ASSERT_OK_AND_ASSIGN(auto ann, search_->Users(ctx_, {.query = "ann"}));
  EXPECT_THAT(Ids(ann), ElementsAre(22, 23, 21, 20));
  EXPECT_THAT(Tiers(ann), ElementsAre(0, 4, 5, 9));
  ASSERT_OK_AND_ASSIGN(auto sam, search_->Users(ctx_, {.query = "sam lee"}));
  EXPECT_THAT(Ids(sam), ElementsAre(31, 33, 32, 30));
  EXPECT_THAT(Tiers(sam), ElementsAre(0, 0, 1, 2));
  // One hit per page walks the same order, each hit once (the cursor carries bucket, tier and id).
  std::vector<int64_t> walked;
  std::string cursor;
  for (int guard = 0; guard < 20; ++guard) {
    ASSERT_OK_AND_ASSIGN(auto page, search_->Users(ctx_, {.query = "sam lee", .limit = 1, .cursor = cursor}));
    for (const UserHit& h : page.items) walked.push_back(h.id);
    if (!page.has_more) break;
    cursor = page.next_cursor;
  }
  EXPECT_THAT(walked, ElementsAre(31, 33, 32, 30));
}

TEST(SearchPrefixTest, UpperBoundIsTheNextCodePointString) {
  EXPECT_EQ(internal::PrefixUpperBound("ali"), "alj");
  EXPECT_EQ(internal::PrefixUpperBound("zo\xC3\xAB"), "zo\xC3\xAC");  // zoë -> zoì
  EXPECT_EQ(internal::PrefixUpperBound("a\xF4\x8F\xBF\xBF"), "b");    // U+10FFFF has no successor
  EXPECT_EQ(internal::PrefixUpperBound("\xED\x9F\xBF"), "\xEE\x80\x80");  // U+D7FF -> U+E000
  EXPECT_EQ(internal::PrefixUpperBound("\xF4\x8F\xBF\xBF"), std::nullopt);
  EXPECT_EQ(internal::PrefixUpperBound(""), std::nullopt);
}

TEST_P(SearchTest, PostsRankWholeWordsFirstThenNewestInOneStatement) {
  AddUser(1, "ali", "Ali A");
  const PostId p1 = Post(1, "Cairo nights are long");   // both words whole: 2
  const PostId p2 = Post(1, "cairos nightscape");       // both only prefixes: 0
  const PostId p3 = Post(1, "cairo nightshade");        // "cairo" whole: 1
  const PostId p4 = Post(1, "nights in CAIRO");         // 2
  Post(1, "only cairo here");                           // "nights" missing
  Post(1, "nothing to see");
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, search_->Posts(ctx, UserId(), {.query = "Cairo nights"}));
  EXPECT_OK(budget.Check("post search"));
  EXPECT_EQ(budget.used(), 1);  // matching, relevance, viewer rules and authors in one statement
  EXPECT_THAT(PostIds(page), ElementsAre(p4.value, p1.value, p3.value, p2.value));
  std::vector<int64_t> relevance;
  for (const PostHit& h : page.items) relevance.push_back(h.relevance);
  EXPECT_THAT(relevance, ElementsAre(2, 2, 1, 0));
  ASSERT_TRUE(page.items[0].post.author.has_value());
  EXPECT_EQ(page.items[0].post.author->username, "ali");
  EXPECT_EQ(page.items[0].post.author->display_name, "Ali A");
  EXPECT_EQ(page.items[0].post.author->avatar_url, "https://cdn.x/ali.png");
  EXPECT_EQ(page.items[0].post.content, "nights in CAIRO");
  EXPECT_FALSE(page.has_more);

  // Pages of one walk the same order once.
  std::vector<int64_t> walked;
  std::string cursor;
  for (int guard = 0; guard < 20; ++guard) {
    ASSERT_OK_AND_ASSIGN(auto one, search_->Posts(ctx_, UserId(), {.query = "cairo nights", .limit = 1, .cursor = cursor}));
    for (const PostHit& h : one.items) walked.push_back(h.post.id.value);
    if (!one.has_more) break;
    cursor = one.next_cursor;
  }
  EXPECT_THAT(walked, ElementsAre(p4.value, p1.value, p3.value, p2.value));
}

TEST_P(SearchTest, PostSearchRanksTheNewestMatchesOnly) {
  AddUser(1, "ann", "Ann");
  const PostId a = Post(1, "river boat");          // oldest: outside a window of 3
  const PostId b = Post(1, "boats on the river");  // "boat" only as a prefix: 0
  const PostId c = Post(1, "a boat");              // whole: 1
  const PostId d = Post(1, "boatman");             // 0
  Post(1, "no match here");
  const query::KeysetQuery kq = internal::PostSearchQuery(db().backend(), "boat", UserId(), 0, /*candidates=*/3);
  ASSERT_OK_AND_ASSIGN(auto page, query::FetchPage(db(), ctx_, kq, query::PageRequest{.limit = 10},
                                                   [](const store::Row& r) { return r.Int64("id"); }));
  EXPECT_THAT(page.items, ElementsAre(c.value, d.value, b.value));
  // The service's window (1,000) holds them all.
  EXPECT_THAT(SearchPosts(0, "boat"), ElementsAre(c.value, a.value, d.value, b.value));
}

TEST_P(SearchTest, PostsFollowTheViewerRulesAndTheIndexFollowsEdits) {
  AddUser(1, "ann", "Ann");
  AddUser(2, "fan", "Fan");
  AddUser(3, "stranger", "Stranger");
  AddUser(4, "blocked", "Blocked");
  Exec("INSERT INTO follows (id, follower_id, followee_id, status, created_at, updated_at) VALUES (90, 2, 1, 'ACTIVE', 0, 0)");
  Exec("INSERT INTO blocks (id, blocker_id, blocked_id, created_at) VALUES (91, 1, 4, 0)");
  const PostId pub = Post(1, "pyramids public");
  const PostId fol = Post(1, "pyramids followers", "FOLLOWERS");
  const PostId priv = Post(1, "pyramids private", "PRIVATE");
  const PostId gone = Post(1, "pyramids deleted");
  ASSERT_OK(content_->DeletePost(ctx_, UserId(1), gone));
  EXPECT_THAT(SearchPosts(1, "pyramids"), ElementsAre(priv.value, fol.value, pub.value));
  EXPECT_THAT(SearchPosts(2, "pyramids"), ElementsAre(fol.value, pub.value));
  EXPECT_THAT(SearchPosts(3, "pyramids"), ElementsAre(pub.value));
  EXPECT_THAT(SearchPosts(0, "pyramids"), ElementsAre(pub.value));
  EXPECT_TRUE(SearchPosts(4, "pyramids").empty());
  EXPECT_TRUE(SearchPosts(1, "deleted").empty());
  // An edit moves the post from the old words to the new ones.
  ASSERT_OK(content_->EditPost(ctx_, {.post_id = pub.value, .editor_id = 1, .content = "sphinx at dawn"}));
  EXPECT_THAT(SearchPosts(3, "sphinx"), ElementsAre(pub.value));
  EXPECT_TRUE(SearchPosts(3, "pyramids").empty());
  // A hidden post leaves the index and comes back when it is ACTIVE again.
  Exec("UPDATE posts SET status = 'HIDDEN' WHERE id = ?", {pub.value});
  EXPECT_TRUE(SearchPosts(3, "sphinx").empty());
  Exec("UPDATE posts SET status = 'ACTIVE' WHERE id = ?", {pub.value});
  EXPECT_THAT(SearchPosts(3, "sphinx"), ElementsAre(pub.value));
}

TEST_P(SearchTest, OneHashtagQueryListsThePostsCarryingIt) {
  AddUser(1, "ann", "Ann");
  const PostId p1 = Post(1, "sunset #Cairo");
  const PostId p2 = Post(1, "food #cairofood");
  Post(1, "a word cairo without the tag");
  const PostId p4 = Post(1, "again #cairo #nile");
  const PostId priv = Post(1, "secret #cairo", "PRIVATE");
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, search_->Posts(ctx, UserId(), {.query = " #CAIRO "}));
  EXPECT_OK(budget.Check("hashtag post search"));
  EXPECT_THAT(PostIds(page), ElementsAre(p4.value, p1.value));
  ASSERT_TRUE(page.items[0].post.author.has_value());
  EXPECT_EQ(page.items[0].post.author->username, "ann");
  EXPECT_EQ(page.items[0].relevance, 0);
  EXPECT_THAT(SearchPosts(1, "#cairo"), ElementsAre(priv.value, p4.value, p1.value));
  EXPECT_THAT(SearchPosts(1, "#cairofood"), ElementsAre(p2.value));
  EXPECT_TRUE(SearchPosts(1, "#unknown").empty());
  // Two hashtags are full text over the content (the '#' is a separator): both words must occur.
  EXPECT_THAT(SearchPosts(0, "#cairo #nile"), ElementsAre(p4.value));
  // A hashtag-path cursor is not a full-text cursor.
  ASSERT_OK_AND_ASSIGN(auto first, search_->Posts(ctx_, UserId(), {.query = "#cairo", .limit = 1}));
  ASSERT_TRUE(first.has_more);
  ASSERT_OK_AND_ASSIGN(auto second, search_->Posts(ctx_, UserId(), {.query = "#cairo", .limit = 1, .cursor = first.next_cursor}));
  EXPECT_THAT(PostIds(second), ElementsAre(p1.value));
  auto mixed = search_->Posts(ctx_, UserId(), {.query = "cairo", .limit = 1, .cursor = first.next_cursor});
  EXPECT_EQ(StatusField(mixed.status()), "cursor");
}

TEST_P(SearchTest, HashtagsByPrefixExactFirstThenUses) {
  AddUser(1, "ann", "Ann");
  for (int i = 0; i < 3; ++i) Post(1, "#cairo " + std::to_string(i));
  for (int i = 0; i < 5; ++i) Post(1, "#CairoFood " + std::to_string(i));
  Post(1, "#cairn");
  for (int i = 0; i < 2; ++i) Post(1, "#cat " + std::to_string(i));
  Post(1, "#2024vibes");
  const PostId gone = Post(1, "#cairene");
  ASSERT_OK(content_->DeletePost(ctx_, UserId(1), gone));  // no uses left: not listed
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, search_->Hashtags(ctx, {.query = "cai"}));
  EXPECT_OK(budget.Check("hashtag search"));
  EXPECT_THAT(Tags(page), ElementsAre("cairofood", "cairo", "cairn"));
  EXPECT_EQ(page.items[0].posts_count, 5);
  EXPECT_THAT(SearchTags("#Cairo"), ElementsAre("cairo", "cairofood"));  // exact first
  EXPECT_THAT(SearchTags("ca"), ElementsAre("cairofood", "cairo", "cat", "cairn"));
  EXPECT_THAT(SearchTags("20"), ElementsAre("2024vibes"));  // a digits-only start is fine
  EXPECT_TRUE(SearchTags("cairo food").empty());             // cannot start a tag: no statement
  EXPECT_TRUE(SearchTags("%").empty());
  EXPECT_TRUE(SearchTags("_").empty());
  // Pages of one.
  std::vector<std::string> walked;
  std::string cursor;
  for (int guard = 0; guard < 20; ++guard) {
    ASSERT_OK_AND_ASSIGN(auto one, search_->Hashtags(ctx_, {.query = "ca", .limit = 1, .cursor = cursor}));
    for (const HashtagHit& h : one.items) walked.push_back(h.tag);
    if (!one.has_more) break;
    cursor = one.next_cursor;
  }
  EXPECT_THAT(walked, ElementsAre("cairofood", "cairo", "cat", "cairn"));
}

TEST_P(SearchTest, PostAndHashtagQueriesAreHarmless) {
  AddUser(1, "ann", "Ann");
  Post(1, "hello #world");
  auto count = [&] {
    auto rs = db().Execute(ctx_, "SELECT COUNT(*) AS n FROM posts", {});
    EXPECT_OK(rs.status());
    return rs.ok() ? rs->front().Int64("n") : -1;
  };
  const int64_t before = count();
  for (const std::string q : {"\"", "*", "-", "OR", "hello OR x", "hel*", "\"hello\"", "-hello", "'; DROP TABLE posts; --",
                              "a'b", "NEAR(hello world)", "hello:*", "hello & !x", "\\", "%", "_", "ü", "日本語", "(",
                              "^hello", "content:hello", "{hello}", "#", "##world", "#world!", "!!!"}) {
    SCOPED_TRACE(q);
    ASSERT_OK(search_->Posts(ctx_, UserId(1), {.query = q}).status());
    ASSERT_OK(search_->Hashtags(ctx_, {.query = q}).status());
  }
  EXPECT_EQ(count(), before);
  EXPECT_EQ(SearchPosts(1, "\"hello\" OR"), std::vector<int64_t>{});  // "or" is a word that must occur
  EXPECT_EQ(SearchPosts(1, "hel*").size(), 1u);
  EXPECT_THAT(SearchTags("#world!"), ::testing::IsEmpty());
  EXPECT_THAT(SearchTags("wor"), ElementsAre("world"));
}

TEST_P(SearchTest, PostAndHashtagValidationNamesTheField) {
  struct Case {
    SearchRequest req;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{.query = "   "}, "query"},
      {{.query = "x", .scope = "USERS"}, "scope"},
      {{.query = "x", .limit = 0}, "limit"},
      {{.query = "x", .cursor = "not-a-cursor"}, "cursor"},
  };
  for (const Case& c : cases) {
    auto posts = search_->Posts(ctx_, UserId(), c.req);
    EXPECT_EQ(StatusField(posts.status()), c.field) << posts.status();
    auto tags = search_->Hashtags(ctx_, c.req);
    EXPECT_EQ(StatusField(tags.status()), c.field) << tags.status();
  }
  EXPECT_THAT(search_->Posts(ctx_, UserId(), {.query = "x", .scope = "HASHTAGS"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(search_->Posts(ctx_, UserId(), {.query = "x", .scope = "POSTS"}).status());
  EXPECT_OK(search_->Hashtags(ctx_, {.query = "x", .scope = "HASHTAGS"}).status());
}

TEST_P(SearchTest, PostAndHashtagStatementsUseTheirIndexes) {
  AddUser(1, "ann", "Ann");
  for (int i = 0; i < 200; ++i) Post(1, "post number " + std::to_string(i) + " #tag" + std::to_string(i % 40));
  Post(1, "cairo nights #cairo");
  Exec("ANALYZE");
  const store::Backend b = db().backend();
  const query::KeysetQuery posts = internal::PostSearchQuery(b, "cairo nights", UserId(1), 0);
  const query::KeysetQuery tagged = internal::PostHashtagQuery(b, "cairo", UserId(1), 0);
  const query::KeysetQuery tags = internal::HashtagSearchQuery(b, "tag1");
  if (b == store::Backend::kPostgres) {
    for (bool generic : {false, true}) {
      SCOPED_TRACE(generic ? "generic plan" : "custom plan");
      const std::string p = Plan(posts, generic);
      EXPECT_TRUE(IndexCondition(p, "posts_content_search_idx", "to_tsvector")) << p;
      const std::string t = Plan(tagged, generic);
      EXPECT_TRUE(IndexCondition(t, "post_hashtags_hashtag_idx", "hashtag_id")) << t;
      const std::string h = Plan(tags, generic);
      EXPECT_TRUE(IndexCondition(h, "hashtags_tag_prefix_idx", "tag")) << h;
    }
  } else {
    const std::string p = Plan(posts);
    EXPECT_THAT(p, HasSubstr("VIRTUAL TABLE INDEX")) << p;
    EXPECT_THAT(p, HasSubstr("posts_fts")) << p;
    EXPECT_THAT(p, ::testing::Not(HasSubstr("SCAN p\n"))) << p;
    const std::string t = Plan(tagged);
    EXPECT_THAT(t, HasSubstr("post_hashtags_hashtag_idx (hashtag_id=?")) << t;
    const std::string h = Plan(tags);
    EXPECT_THAT(h, HasSubstr("hashtags_tag_uidx (tag>? AND tag<?)")) << h;
  }
}

// ---- videos --------------------------------------------------------------------------------------

class VideoSearchTest : public SearchTest {
 protected:
  // A video by `author`, moved to PUBLISHED unless `publish` is false.
  VideoId Video(int64_t author, const std::string& title, const std::string& description = "",
                const char* visibility = "PUBLIC", bool publish = true) {
    auto v = content_->CreateVideo(ctx_, {.author_id = author, .title = title, .description = description,
                                          .duration_ms = 1000, .visibility = visibility});
    EXPECT_OK(v);
    if (!v.ok()) return VideoId();
    if (publish) {
      EXPECT_OK(content_->TransitionVideo(ctx_, v->id, model::VideoStatus::kProcessing));
      EXPECT_OK(content_->TransitionVideo(ctx_, v->id, model::VideoStatus::kPublished));
    }
    return v->id;
  }
  std::vector<int64_t> SearchVideos(int64_t viewer, const std::string& q, int limit = 100) {
    auto page = search_->Videos(ctx_, UserId(viewer), {.query = q, .limit = limit});
    EXPECT_OK(page);
    std::vector<int64_t> out;
    if (page.ok()) {
      for (const VideoHit& h : page->items) out.push_back(h.video.id.value);
    }
    return out;
  }
};

TEST_P(VideoSearchTest, MatchesTitleAndDescriptionWholeWordsFirstInOneStatement) {
  AddUser(1, "ann", "Ann");
  const VideoId a = Video(1, "Nile sunset", "filmed from a felucca");
  const VideoId b = Video(1, "Sunsets over the desert");        // "sunset" only as a prefix
  const VideoId c = Video(1, "Morning", "a nile SUNSET timelapse");  // both words whole, in the description
  Video(1, "Nile at noon");                                      // "sunset" missing
  Video(1, "Nile sunset draft", "", "PUBLIC", /*publish=*/false);  // not PUBLISHED
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/1);
  ASSERT_OK_AND_ASSIGN(auto page, search_->Videos(ctx, UserId(), {.query = "nile sunset"}));
  EXPECT_OK(budget.Check("video search"));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].video.id, c);  // relevance 2, newest first
  EXPECT_EQ(page.items[0].relevance, 2);
  EXPECT_EQ(page.items[1].video.id, a);
  EXPECT_EQ(page.items[1].video.title, "Nile sunset");
  EXPECT_EQ(page.items[1].video.status, model::VideoStatus::kPublished);
  EXPECT_THAT(SearchVideos(0, "sunset"), ElementsAre(c.value, a.value, b.value));
  EXPECT_THAT(SearchVideos(0, "#felucca"), ElementsAre(a.value));  // '#' is a separator
  EXPECT_TRUE(SearchVideos(0, "!!!").empty());                       // no word: no statement
  // Pages of one walk the same order, each video once.
  std::vector<int64_t> walked;
  std::string cursor;
  for (int guard = 0; guard < 10; ++guard) {
    ASSERT_OK_AND_ASSIGN(auto one, search_->Videos(ctx_, UserId(), {.query = "sunset", .limit = 1, .cursor = cursor}));
    for (const VideoHit& h : one.items) walked.push_back(h.video.id.value);
    if (!one.has_more) break;
    cursor = one.next_cursor;
  }
  EXPECT_THAT(walked, ElementsAre(c.value, a.value, b.value));
  // A video cursor is not a post cursor.
  auto mixed = search_->Posts(ctx_, UserId(), {.query = "sunset", .limit = 1, .cursor = cursor});
  EXPECT_EQ(StatusField(mixed.status()), "cursor");
}

TEST_P(VideoSearchTest, FollowsTheViewerRulesAndTheIndexFollowsTheStatusAndEdits) {
  AddUser(1, "ann", "Ann");
  AddUser(2, "fan", "Fan");
  AddUser(3, "stranger", "Stranger");
  AddUser(4, "blocked", "Blocked");
  Exec("INSERT INTO follows (id, follower_id, followee_id, status, created_at, updated_at) VALUES (90, 2, 1, 'ACTIVE', 0, 0)");
  Exec("INSERT INTO blocks (id, blocker_id, blocked_id, created_at) VALUES (91, 1, 4, 0)");
  const VideoId pub = Video(1, "pyramids public");
  const VideoId fol = Video(1, "pyramids followers", "", "FOLLOWERS");
  const VideoId priv = Video(1, "pyramids private", "", "PRIVATE");
  const VideoId processing = Video(1, "pyramids processing", "", "PUBLIC", /*publish=*/false);
  EXPECT_THAT(SearchVideos(1, "pyramids"), ElementsAre(priv.value, fol.value, pub.value));
  EXPECT_THAT(SearchVideos(2, "pyramids"), ElementsAre(fol.value, pub.value));
  EXPECT_THAT(SearchVideos(3, "pyramids"), ElementsAre(pub.value));
  EXPECT_THAT(SearchVideos(0, "pyramids"), ElementsAre(pub.value));
  EXPECT_TRUE(SearchVideos(4, "pyramids").empty());
  // Publishing adds a video to the index; a FAILED one never enters it.
  ASSERT_OK(content_->TransitionVideo(ctx_, processing, model::VideoStatus::kProcessing));
  EXPECT_THAT(SearchVideos(0, "processing"), ElementsAre());
  ASSERT_OK(content_->TransitionVideo(ctx_, processing, model::VideoStatus::kPublished));
  EXPECT_THAT(SearchVideos(0, "processing"), ElementsAre(processing.value));
  // An edit of the text moves the video from the old words to the new ones.
  Exec("UPDATE videos SET title = 'sphinx at dawn' WHERE id = ?", {pub.value});
  EXPECT_THAT(SearchVideos(3, "sphinx"), ElementsAre(pub.value));
  EXPECT_TRUE(SearchVideos(3, "public").empty());
  // A video that leaves PUBLISHED leaves the index; a deleted row leaves it too.
  Exec("UPDATE videos SET status = 'FAILED' WHERE id = ?", {pub.value});
  EXPECT_TRUE(SearchVideos(3, "sphinx").empty());
  Exec("DELETE FROM videos WHERE id = ?", {processing.value});
  EXPECT_TRUE(SearchVideos(0, "processing").empty());
}

TEST_P(VideoSearchTest, BadRequestsNameTheField) {
  EXPECT_EQ(StatusField(search_->Videos(ctx_, UserId(), {.query = ""}).status()), "query");
  EXPECT_EQ(StatusField(search_->Videos(ctx_, UserId(), {.query = "x", .scope = "USERS"}).status()), "scope");
  EXPECT_EQ(StatusField(search_->Videos(ctx_, UserId(), {.query = "x", .limit = 0}).status()), "limit");
  EXPECT_EQ(StatusField(search_->Videos(ctx_, UserId(), {.query = "x", .cursor = "garbage"}).status()), "cursor");
  EXPECT_EQ(StatusField(search_->Videos(ctx_, UserId(-1), {.query = "x"}).status()), "viewer");
}

TEST_P(VideoSearchTest, StatementUsesTheVideoTextIndex) {
  AddUser(1, "ann", "Ann");
  // 2,000 PUBLISHED videos (as many as make the statistics prefer the GIN index over the status index).
  Exec("WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
       "INSERT INTO videos (id, author_id, title, status, created_at, updated_at, published_at) "
       "SELECT 100000 + i, 1, 'clip number ' || i, 'PUBLISHED', i, i, i FROM n");
  Video(1, "cairo nights");
  Exec("ANALYZE");
  const query::KeysetQuery kq = internal::VideoSearchQuery(db().backend(), "cairo nights", UserId(1), 0);
  if (db().backend() == store::Backend::kPostgres) {
    for (bool generic : {false, true}) {
      SCOPED_TRACE(generic ? "generic plan" : "custom plan");
      const std::string p = Plan(kq, generic);
      EXPECT_TRUE(IndexCondition(p, "videos_text_search_idx", "to_tsvector")) << p;
    }
  } else {
    const std::string p = Plan(kq);
    EXPECT_THAT(p, HasSubstr("videos_fts VIRTUAL TABLE INDEX")) << p;
    EXPECT_THAT(p, Not(HasSubstr("SCAN p\n"))) << p;
  }
}

DAIRA_INSTANTIATE_SQL_BACKENDS(VideoSearchTest);

DAIRA_INSTANTIATE_SQL_BACKENDS(SearchTest);

}  // namespace
}  // namespace daira::services
