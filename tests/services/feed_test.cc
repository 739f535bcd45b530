// Feed service: home feed filtering, pagination under concurrent inserts, statement budget, query
// plans; timeline and hashtag feeds (both SQL backends).
#include "daira/services/feed.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/query/statement_budget.h"
#include "daira/services/content.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/content_internal.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class FeedTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    content_ = std::make_unique<Content>(ServiceDeps{.db = &db()});
    feed_ = std::make_unique<Feed>(ServiceDeps{.db = &db()});
  }
  store::Database& db() { return tdb_->db(); }
  int64_t AddUser(const std::string& name) {
    const int64_t id = ++next_id_;
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO users (id, username, avatar_url, is_verified, created_at, updated_at) "
                           "VALUES (?, ?, ?, 1, 0, 0)",
                           {id, name, "https://cdn.x/" + name + ".png"}));
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO user_profiles (user_id, display_name, created_at, updated_at) VALUES (?, ?, 0, 0)",
                           {id, "The " + name}));
    return id;
  }
  void Follow(int64_t a, int64_t b, const char* status = "ACTIVE") {
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO follows (id, follower_id, followee_id, status, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, 0, 0)",
                           {++next_id_, a, b, status}));
  }
  void Block(int64_t a, int64_t b) {
    EXPECT_OK(db().Execute(ctx_, "INSERT INTO blocks (id, blocker_id, blocked_id, created_at) VALUES (?, ?, ?, 0)",
                           {++next_id_, a, b}));
  }
  void Mute(int64_t a, int64_t b, const char* mute_type, std::optional<int64_t> expires_at = std::nullopt) {
    EXPECT_OK(db().Execute(ctx_,
                           "INSERT INTO mutes (id, muter_id, muted_id, mute_type, created_at, expires_at) VALUES (?, ?, ?, ?, 0, ?)",
                           {++next_id_, a, b, mute_type, expires_at.has_value() ? store::Value(*expires_at) : store::Value()}));
  }
  PostId Post(int64_t author, const std::string& text, const char* visibility = "PUBLIC") {
    auto p = content_->CreatePost(ctx_, {.author_id = author, .content = text, .visibility = visibility});
    EXPECT_OK(p);
    return p.ok() ? p->id : PostId();
  }
  static std::vector<int64_t> Ids(const query::Page<model::Post>& page) {
    std::vector<int64_t> out;
    for (const auto& p : page.items) out.push_back(p.id.value);
    return out;
  }
  // Walks every page forward and returns the ids in order.
  std::vector<int64_t> WalkHome(int64_t viewer, int limit) {
    std::vector<int64_t> out;
    PageRequest req{.limit = limit};
    for (int guard = 0; guard < 10000; ++guard) {
      auto page = feed_->Home(ctx_, UserId(viewer), req);
      EXPECT_OK(page);
      if (!page.ok()) break;
      for (const auto& p : page->items) out.push_back(p.id.value);
      if (page->next_cursor.empty()) break;
      req.cursor = page->next_cursor;
    }
    return out;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<Content> content_;
  std::unique_ptr<Feed> feed_;
  int64_t next_id_ = 5000;
};

TEST_P(FeedTest, HomeShowsOnlyTheRightPosts) {
  const int64_t viewer = AddUser("viewer");
  const int64_t a = AddUser("ann");
  const int64_t b = AddUser("ben");     // followed, then blocked by the viewer
  const int64_t c = AddUser("cat");     // followed, muted (HIDE_POSTS)
  const int64_t d = AddUser("dan");     // not followed
  const int64_t e = AddUser("eve");     // followed, blocks the viewer
  const int64_t f = AddUser("fay");     // PENDING follow
  const int64_t g = AddUser("gus");     // followed, mute expired
  const int64_t h = AddUser("hal");     // followed, muted only for stories
  const int64_t m = AddUser("max");     // followed, muted (MUTE)
  for (int64_t u : {a, b, c, e, g, h, m}) Follow(viewer, u);
  Follow(viewer, f, "PENDING");
  Block(viewer, b);
  Block(e, viewer);
  Mute(viewer, c, "HIDE_POSTS");
  Mute(viewer, m, "MUTE");
  Mute(viewer, g, "MUTE", /*expires_at=*/1);  // long expired
  Mute(viewer, h, "HIDE_STORIES");

  std::vector<int64_t> want;
  want.push_back(Post(a, "ann public").value);
  want.push_back(Post(a, "ann followers", "FOLLOWERS").value);
  Post(a, "ann private", "PRIVATE");
  const PostId deleted = Post(a, "ann deleted");
  ASSERT_OK(content_->DeletePost(ctx_, UserId(a), deleted));
  Post(b, "ben");
  Post(c, "cat");
  Post(d, "dan");
  Post(e, "eve");
  Post(f, "fay");
  want.push_back(Post(g, "gus").value);
  want.push_back(Post(h, "hal").value);
  Post(m, "max");
  want.push_back(Post(viewer, "my own").value);
  want.push_back(Post(viewer, "my own private", "PRIVATE").value);
  std::sort(want.rbegin(), want.rend());

  ASSERT_OK_AND_ASSIGN(auto page, feed_->Home(ctx_, UserId(viewer), {.limit = 50}));
  EXPECT_THAT(Ids(page), ElementsAreArray(want));
  EXPECT_FALSE(page.has_more);
  EXPECT_TRUE(page.next_cursor.empty());
  for (const auto& p : page.items) {
    ASSERT_TRUE(p.author.has_value());
    EXPECT_EQ(p.author->id, p.author_id);
    EXPECT_EQ(p.author->display_name, "The " + p.author->username);
    EXPECT_TRUE(p.author->is_verified);
    EXPECT_THAT(p.author->avatar_url, HasSubstr(p.author->username));
  }
  // Someone with no follows sees only their own posts; bad input is named.
  ASSERT_OK_AND_ASSIGN(auto lonely, feed_->Home(ctx_, UserId(d), {.limit = 20}));
  ASSERT_EQ(lonely.items.size(), 1u);
  EXPECT_EQ(lonely.items[0].content, "dan");
  EXPECT_THAT(feed_->Home(ctx_, UserId(viewer), {.limit = 0}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(feed_->Home(ctx_, UserId(viewer), {.limit = 5, .cursor = "garbage"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(FeedTest, PageOfTwentyWithAuthorsCostsAtMostThreeStatements) {
  const int64_t viewer = AddUser("viewer");
  std::vector<int64_t> authors;
  for (int i = 0; i < 5; ++i) {
    authors.push_back(AddUser(absl::StrCat("a", i)));
    Follow(viewer, authors.back());
  }
  for (int i = 0; i < 60; ++i) Post(authors[i % authors.size()], absl::StrCat("post ", i));
  RequestContext ctx;
  query::StatementBudget budget(ctx, /*max=*/3);
  ASSERT_OK_AND_ASSIGN(auto page, feed_->Home(ctx, UserId(viewer), {.limit = 20}));
  EXPECT_EQ(page.items.size(), 20u);
  EXPECT_OK(budget.Check("home feed"));
  EXPECT_EQ(budget.used(), 2);  // the page + one batched author load
  for (const auto& p : page.items) EXPECT_TRUE(p.author.has_value());
  // The second page costs the same.
  budget.Reset();
  ASSERT_OK_AND_ASSIGN(auto next, feed_->Home(ctx, UserId(viewer), {.limit = 20, .cursor = page.next_cursor}));
  EXPECT_EQ(next.items.size(), 20u);
  EXPECT_OK(budget.Check("home feed page 2"));
}

TEST_P(FeedTest, PaginationIsStableWhileAnotherThreadInserts) {
  const int64_t viewer = AddUser("viewer");
  std::vector<int64_t> authors;
  for (int i = 0; i < 3; ++i) {
    authors.push_back(AddUser(absl::StrCat("w", i)));
    Follow(viewer, authors.back());
  }
  std::vector<int64_t> existing;
  for (int i = 0; i < 90; ++i) existing.push_back(Post(authors[i % 3], absl::StrCat("old ", i)).value);
  std::sort(existing.rbegin(), existing.rend());

  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0};
  std::thread writer([&] {
    // Keeps inserting new posts by followees until the reader is done (at least a few).
    while (!stop.load() || inserted.load() < 5) {
      RequestContext ctx;
      auto p = content_->CreatePost(ctx, {.author_id = authors[inserted.load() % 3], .content = "new"});
      if (!p.ok()) {
        ADD_FAILURE() << p.status();
        break;
      }
      ++inserted;
    }
  });
  std::vector<int64_t> seen;
  PageRequest req{.limit = 7};
  for (int guard = 0; guard < 1000; ++guard) {
    RequestContext ctx;
    ASSERT_OK_AND_ASSIGN(auto page, feed_->Home(ctx, UserId(viewer), req));
    for (const auto& p : page.items) seen.push_back(p.id.value);
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  stop = true;
  writer.join();
  // New posts land at the head, before the first page's cursor position, so the walk may include those
  // inserted before the first page was read; every pre-existing post appears exactly once, in order.
  std::vector<int64_t> old_seen;
  for (int64_t id : seen) {
    if (std::binary_search(existing.rbegin(), existing.rend(), id)) old_seen.push_back(id);
  }
  EXPECT_THAT(old_seen, ElementsAreArray(existing));
  std::set<int64_t> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "duplicates in the walk";
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_GE(inserted.load(), 5);
}

TEST_P(FeedTest, BackwardCursorReturnsThePreviousPage) {
  const int64_t viewer = AddUser("viewer");
  const int64_t a = AddUser("ann");
  Follow(viewer, a);
  for (int i = 0; i < 25; ++i) Post(a, absl::StrCat("p", i));
  ASSERT_OK_AND_ASSIGN(auto p1, feed_->Home(ctx_, UserId(viewer), {.limit = 10}));
  EXPECT_TRUE(p1.prev_cursor.empty());
  ASSERT_OK_AND_ASSIGN(auto p2, feed_->Home(ctx_, UserId(viewer), {.limit = 10, .cursor = p1.next_cursor}));
  ASSERT_FALSE(p2.prev_cursor.empty());
  ASSERT_OK_AND_ASSIGN(auto back, feed_->Home(ctx_, UserId(viewer), {.limit = 10, .cursor = p2.prev_cursor}));
  EXPECT_EQ(Ids(back), Ids(p1));
  EXPECT_EQ(WalkHome(viewer, 4).size(), 25u);
  // A cursor of another viewer's feed is rejected.
  const int64_t other = AddUser("other");
  EXPECT_THAT(feed_->Home(ctx_, UserId(other), {.limit = 10, .cursor = p1.next_cursor}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(FeedTest, HomeQueryWalksTheAuthorIndex) {
  // A realistic shape: many authors, the viewer follows a few; statistics gathered (as in production).
  const int64_t viewer = AddUser("viewer");
  std::vector<int64_t> authors;
  for (int i = 0; i < 40; ++i) authors.push_back(AddUser(absl::StrCat("au", i)));
  for (int i = 0; i < 3; ++i) Follow(viewer, authors[i]);
  ASSERT_OK(db().RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
    for (int i = 0; i < 2000; ++i) {
      absl::Status s = c.Execute("INSERT INTO posts (id, author_id, content, created_at, updated_at) VALUES (?, ?, 'x', 0, 0)",
                                 {int64_t{100000 + i}, authors[i % authors.size()]})
                           .status();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(db().Execute(ctx_, "ANALYZE"));
  const bool pg = db().backend() == store::Backend::kPostgres;
  const std::string sql = internal::HomeFeedSql(db().backend(), /*backward=*/false, /*fetch=*/21);
  ASSERT_OK_AND_ASSIGN(store::ConnectionLease lease, db().Acquire(ctx_));
  if (pg) {
    ASSERT_OK(lease->Execute("SET enable_seqscan = off"));
  }
  ASSERT_OK_AND_ASSIGN(store::ResultSet plan,
                       lease->Execute((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql,
                                      {viewer, viewer, viewer, viewer, int64_t{0}, viewer, viewer,
                                       int64_t{9000000000000000000}}));
  if (pg) {
    ASSERT_OK(lease->Execute("RESET enable_seqscan"));
  }
  std::string text;
  for (const store::Row& row : plan) text += row.Text(plan.column_count() - 1) + "\n";
  EXPECT_THAT(text, HasSubstr("posts_author_idx")) << text;
  if (pg) {
    // Postgres switches prepared statements to a generic plan after five executions: that plan must
    // walk the author index too (CONVENTIONS, "Known traps").
    const std::string pg_sql = lease->dialect().RewritePlaceholders(sql);
    ASSERT_OK(lease->Execute("PREPARE daira_home_generic (bigint, bigint, bigint, bigint, bigint, bigint, bigint, "
                             "bigint) AS " + pg_sql));
    ASSERT_OK(lease->Execute("SET plan_cache_mode = force_generic_plan"));
    auto generic = lease->Execute("EXPLAIN EXECUTE daira_home_generic (1, 1, 1, 1, 0, 1, 1, 9000000000000000000)");
    ASSERT_OK(lease->Execute("RESET plan_cache_mode"));
    ASSERT_OK(lease->Execute("DEALLOCATE daira_home_generic"));
    ASSERT_OK(generic);
    std::string gtext;
    for (const store::Row& row : *generic) gtext += row.Text(0) + "\n";
    EXPECT_THAT(gtext, HasSubstr("posts_author_idx")) << gtext;
    EXPECT_THAT(gtext, ::testing::Not(HasSubstr("posts_status_idx"))) << gtext;
  }
  if (!pg) {
    // No full scan of posts: p is probed by primary key, x walks the author index.
    EXPECT_THAT(text, ::testing::Not(HasSubstr("SCAN p\n"))) << text;
    EXPECT_THAT(text, ::testing::Not(HasSubstr("SCAN x\n"))) << text;
  }
}

TEST_P(FeedTest, TimelineRespectsVisibilityAndBlocks) {
  const int64_t a = AddUser("ann");
  const int64_t fan = AddUser("fan");
  const int64_t stranger = AddUser("stranger");
  const int64_t blocked = AddUser("blocked");
  Follow(fan, a);
  Block(a, blocked);
  const PostId pub = Post(a, "public");
  const PostId fol = Post(a, "followers", "FOLLOWERS");
  const PostId priv = Post(a, "private", "PRIVATE");
  auto ids = [&](int64_t viewer) {
    auto page = feed_->Timeline(ctx_, UserId(viewer), UserId(a), {.limit = 20});
    EXPECT_OK(page);
    return page.ok() ? Ids(*page) : std::vector<int64_t>{};
  };
  EXPECT_THAT(ids(a), ElementsAreArray({priv.value, fol.value, pub.value}));
  EXPECT_THAT(ids(fan), ElementsAreArray({fol.value, pub.value}));
  EXPECT_THAT(ids(stranger), ElementsAreArray({pub.value}));
  EXPECT_THAT(ids(0), ElementsAreArray({pub.value}));
  EXPECT_THAT(ids(blocked), ::testing::IsEmpty());
  // Paging the timeline.
  for (int i = 0; i < 12; ++i) Post(a, absl::StrCat("more ", i));
  std::vector<int64_t> all;
  PageRequest req{.limit = 5};
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto page, feed_->Timeline(ctx_, UserId(stranger), UserId(a), req));
    for (const auto& p : page.items) {
      all.push_back(p.id.value);
      ASSERT_TRUE(p.author.has_value());
      EXPECT_EQ(p.author->username, "ann");
    }
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  EXPECT_EQ(all.size(), 13u);
  EXPECT_TRUE(std::is_sorted(all.rbegin(), all.rend()));
}

TEST_P(FeedTest, HashtagFeed) {
  const int64_t a = AddUser("ann");
  const int64_t b = AddUser("ben");
  const int64_t viewer = AddUser("viewer");
  Mute(viewer, b, "HIDE_POSTS");
  const PostId p1 = Post(a, "#Cairo at night");
  const PostId p2 = Post(b, "#cairo by day");
  const PostId p3 = Post(a, "nothing here");
  const PostId p4 = Post(a, "#CAIRO #القاهرة");
  (void)p3;
  ASSERT_OK_AND_ASSIGN(auto page, feed_->HashtagFeed(ctx_, UserId(), "#Cairo", {.limit = 10}));
  EXPECT_THAT(Ids(page), ElementsAreArray({p4.value, p2.value, p1.value}));
  ASSERT_OK_AND_ASSIGN(page, feed_->HashtagFeed(ctx_, UserId(viewer), "cairo", {.limit = 10}));
  EXPECT_THAT(Ids(page), ElementsAreArray({p4.value, p1.value}));
  ASSERT_OK_AND_ASSIGN(page, feed_->HashtagFeed(ctx_, UserId(viewer), "القاهرة", {.limit = 10}));
  EXPECT_THAT(Ids(page), ElementsAreArray({p4.value}));
  ASSERT_OK_AND_ASSIGN(page, feed_->HashtagFeed(ctx_, UserId(viewer), "unknowntag", {.limit = 10}));
  EXPECT_TRUE(page.items.empty());
  EXPECT_THAT(feed_->HashtagFeed(ctx_, UserId(viewer), "not a tag", {.limit = 10}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tag")));
  // Deleting a post removes it from the tag's feed; editing the tag away too.
  ASSERT_OK(content_->DeletePost(ctx_, UserId(a), p1));
  ASSERT_OK(content_->EditPost(ctx_, {.post_id = p4.value, .editor_id = a, .content = "#other"}));
  ASSERT_OK_AND_ASSIGN(page, feed_->HashtagFeed(ctx_, UserId(), "cairo", {.limit = 10}));
  EXPECT_THAT(Ids(page), ElementsAreArray({p2.value}));
  // Paging.
  for (int i = 0; i < 9; ++i) Post(a, "#paged");
  std::vector<int64_t> all;
  PageRequest req{.limit = 4};
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto pg, feed_->HashtagFeed(ctx_, UserId(), "paged", req));
    for (const auto& p : pg.items) all.push_back(p.id.value);
    if (pg.next_cursor.empty()) break;
    req.cursor = pg.next_cursor;
  }
  EXPECT_EQ(all.size(), 9u);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 9u);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(FeedTest);

}  // namespace
}  // namespace daira::services
