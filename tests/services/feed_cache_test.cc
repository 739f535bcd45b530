// The home feed's cache (fan-out on write, hybrid for large accounts, certified reads): the cached feed
// returns exactly what the database path returns, under random follows, unfollows, accepts, blocks,
// mutes (with expiry), posts, edits, hides and deletes — page by page. Plus the mechanics: a list is
// built on first read, fan-out reaches it after commit (never after a rollback), a follow drops it,
// large accounts are merged at read time from their own posts lists (kept by fan-out), and an account
// falling below the threshold drops its followers' lists.
//
// Instantiated per SQL backend × cache backend: /sqlite_memory, /sqlite_redis, /postgres_memory,
// /postgres_redis (with CI=true a missing server fails, as tests/support says).
#include "services/feed_cache.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache_test_support.h"
#include "daira/core/clock.h"
#include "daira/services/content.h"
#include "daira/services/feed.h"
#include "daira/services/recount.h"
#include "daira/services/social.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;

struct Walked {
  std::vector<std::vector<int64_t>> pages;
  std::vector<bool> has_more;
  bool operator==(const Walked&) const = default;
};

std::string Show(const Walked& w) {
  std::string out;
  for (size_t i = 0; i < w.pages.size(); ++i) {
    absl::StrAppend(&out, "[");
    for (int64_t id : w.pages[i]) absl::StrAppend(&out, id, " ");
    absl::StrAppend(&out, w.has_more[i] ? "more] " : "end] ");
  }
  return out;
}

class FeedCacheTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(std::get<0>(GetParam())));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    // Small numbers, so that lists are trimmed, rebuilt shallow and accounts cross the threshold.
    ASSERT_OK_AND_ASSIGN(cache_, opener_.Open(std::get<1>(GetParam()), "list_max_feed=10"));
    ServiceDeps cached{.db = &db(),
                       .clock = &clock_,
                       .cache = cache_.get(),
                       .feed_cache = {.fanout_max_followers = 3, .rebuild_depth = 6}};
    ServiceDeps plain{.db = &db(), .clock = &clock_};
    cached_deps_ = cached;
    content_ = std::make_unique<Content>(cached);
    social_ = std::make_unique<Social>(cached);
    cached_feed_ = std::make_unique<Feed>(cached);
    plain_feed_ = std::make_unique<Feed>(plain);
  }
  store::Database& db() { return tdb_->db(); }

  int64_t AddUser(bool is_private = false) {
    const int64_t id = static_cast<int64_t>(users_.size()) + 1;
    EXPECT_OK(db().Execute(
        ctx_, "INSERT INTO users (id, username, is_private, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
        {id, absl::StrCat("user", id), is_private ? 1 : 0}));
    EXPECT_OK(db().Execute(
        ctx_, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, 0, 0)", {id}));
    users_.push_back(id);
    return id;
  }
  int64_t Post(int64_t author, const char* visibility = "PUBLIC") {
    absl::StatusOr<model::Post> p =
        content_->CreatePost(ctx_, {.author_id = author, .content = "hello", .visibility = visibility});
    EXPECT_OK(p.status());
    if (!p.ok()) return 0;
    posts_.push_back(p->id.value);
    return p->id.value;
  }
  Walked Walk(Feed& feed, int64_t viewer, int64_t limit) {
    Walked out;
    std::string cursor;
    for (int guard = 0; guard < 200; ++guard) {
      absl::StatusOr<query::Page<model::Post>> page =
          feed.Home(ctx_, UserId{viewer}, {.limit = limit, .cursor = cursor});
      EXPECT_OK(page.status());
      if (!page.ok()) break;
      std::vector<int64_t> ids;
      for (const model::Post& p : page->items) ids.push_back(p.id.value);
      out.pages.push_back(std::move(ids));
      out.has_more.push_back(page->has_more);
      if (!page->has_more) break;
      cursor = page->next_cursor;
    }
    return out;
  }
  // The cached walk first (it may build the list), then the database's.
  void ExpectSameFeed(int64_t viewer, int64_t limit, const std::string& when) {
    const Walked cached = Walk(*cached_feed_, viewer, limit);
    const Walked plain = Walk(*plain_feed_, viewer, limit);
    EXPECT_TRUE(cached == plain) << when << ": viewer " << viewer << " limit " << limit
                                 << "\n  cached:   " << Show(cached) << "\n  database: " << Show(plain);
  }
  // A cached list as ids (newest first) and "f<floor>" for its sentinel, as the set holds them.
  std::vector<std::string> Members(const std::string& key) {
    absl::StatusOr<std::vector<std::string>> l = cache_->OrderedSetRangeBelow(key, "", internal::kWholeList);
    EXPECT_OK(l.status());
    std::vector<std::string> out;
    if (!l.ok()) return out;
    for (const std::string& m : *l) {
      const bool floor = !m.empty() && m.front() == '#';
      const std::string digits = floor ? m.substr(1) : m;
      out.push_back(absl::StrCat(floor ? "f" : "", std::stoll(digits)));
    }
    return out;
  }
  std::vector<std::string> List(int64_t user) { return Members(absl::StrCat("feed:", user)); }
  // The reader's cached authors ("A<valid until>|<id>[*],..."), nullopt when absent.
  std::optional<std::string> Authors(int64_t reader) {
    absl::StatusOr<std::optional<std::string>> v = cache_->Get(internal::HomeAuthorsKey(reader));
    EXPECT_OK(v.status());
    return v.ok() ? *v : std::optional<std::string>("(error)");
  }
  // A large account's own posts list.
  std::vector<std::string> AuthorList(int64_t author) { return Members(internal::AuthorPostsKey(author)); }

  daira::testing::TestCacheOpener opener_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<cache::Cache> cache_;
  ServiceDeps cached_deps_;
  ManualClock clock_{std::chrono::system_clock::now()};
  std::unique_ptr<Content> content_;
  std::unique_ptr<Social> social_;
  std::unique_ptr<Feed> cached_feed_, plain_feed_;
  RequestContext ctx_;
  std::vector<int64_t> users_, posts_;
};

// Expected refusals of a random operation (already following, nothing to undo, blocked, self).
bool Expected(const absl::Status& s) {
  return s.ok() || absl::IsAlreadyExists(s) || absl::IsNotFound(s) || absl::IsFailedPrecondition(s) ||
         absl::IsInvalidArgument(s) || absl::IsPermissionDenied(s);
}

TEST_P(FeedCacheTest, CachedFeedEqualsTheDatabaseFeedUnderRandomOperations) {
  for (int i = 0; i < 10; ++i) AddUser(/*is_private=*/i % 5 == 4);
  const internal::FeedCacheCounts before = internal::FeedCacheCounters();
  std::mt19937_64 rng(20261205);
  auto pick = [&](const std::vector<int64_t>& v) { return v[rng() % v.size()]; };
  const char* kVisibility[] = {"PUBLIC", "PUBLIC", "PUBLIC", "FOLLOWERS", "PRIVATE"};
  const model::MuteKind kKinds[] = {model::MuteKind::kMute, model::MuteKind::kHidePosts,
                                    model::MuteKind::kHideStories};
  for (int step = 0; step < 400; ++step) {
    const int64_t a = pick(users_), b = pick(users_);
    const int op = static_cast<int>(rng() % 100);
    absl::Status st;
    if (op < 35) {
      Post(a, kVisibility[rng() % 5]);
    } else if (op < 55) {
      st = social_->Follow(ctx_, UserId{a}, UserId{b}).status();
    } else if (op < 60) {
      st = social_->AcceptFollow(ctx_, UserId{b}, UserId{a}).status();
    } else if (op < 68) {
      st = social_->Unfollow(ctx_, UserId{a}, UserId{b});
    } else if (op < 71) {
      st = social_->Block(ctx_, UserId{a}, UserId{b}).status();
    } else if (op < 74) {
      st = social_->Unblock(ctx_, UserId{a}, UserId{b});
    } else if (op < 78) {
      std::optional<std::chrono::system_clock::time_point> until;
      if (rng() % 2 == 0) until = clock_.Now() + std::chrono::minutes(1 + rng() % 10);
      st = social_->Mute(ctx_, UserId{a}, UserId{b}, kKinds[rng() % 3], until).status();
    } else if (op < 80) {
      st = social_->Unmute(ctx_, UserId{a}, UserId{b});
    } else if (op < 85 && !posts_.empty()) {
      const int64_t post = pick(posts_);
      st = content_->DeletePost(ctx_, UserId{a}, PostId{post});
      if (absl::IsPermissionDenied(st)) {  // only its author may: delete it as the author
        ASSERT_OK_AND_ASSIGN(model::Post p, content_->GetPost(ctx_, PostId{post}));
        st = content_->DeletePost(ctx_, p.author_id, PostId{post});
      }
    } else if (op < 88 && !posts_.empty()) {  // a moderator hides (or restores) a post
      ASSERT_OK(db().Execute(ctx_, "UPDATE posts SET status = ? WHERE id = ? AND status <> 'DELETED'",
                             {rng() % 2 == 0 ? "HIDDEN" : "ACTIVE", pick(posts_)}));
    } else if (op < 92 && !posts_.empty()) {
      const int64_t post = pick(posts_);
      absl::StatusOr<model::Post> p = content_->GetPost(ctx_, PostId{post});
      if (p.ok()) {
        st = content_
                 ->EditPost(ctx_, {.post_id = post,
                                   .editor_id = p->author_id.value,
                                   .visibility = std::string(kVisibility[rng() % 5])})
                 .status();
      }
    } else {
      clock_.Advance(std::chrono::minutes(rng() % 6));  // mutes expire
    }
    ASSERT_TRUE(Expected(st)) << "step " << step << ": " << st;
    if (step % 8 == 7) {
      for (int k = 0; k < 3; ++k)
        ExpectSameFeed(pick(users_), 1 + static_cast<int64_t>(rng() % 4), absl::StrCat("step ", step));
    }
    if (HasFailure()) return;
  }
  for (int64_t viewer : users_) {
    ExpectSameFeed(viewer, 3, "at the end");
    ExpectSameFeed(viewer, 50, "at the end");
  }
  // Both paths were taken: pages from the lists, and pages past a list's floor from the database.
  const internal::FeedCacheCounts after = internal::FeedCacheCounters();
  const int64_t from_list = after.served_from_list - before.served_from_list;
  const int64_t fell_back = after.fell_back - before.fell_back;
  std::cout << from_list << " pages from lists, " << fell_back << " from the database\n";
  EXPECT_GT(from_list, 100);
  EXPECT_GT(fell_back, 0);
}

TEST_P(FeedCacheTest, FirstReadBuildsTheListAndFanOutReachesItAfterCommitOnly) {
  const int64_t alice = AddUser(), bob = AddUser();
  ASSERT_OK(social_->Follow(ctx_, UserId{bob}, UserId{alice}).status());
  const int64_t p1 = Post(alice);
  EXPECT_THAT(List(bob), ElementsAre());  // no list until bob reads: no fan-out to absent readers
  ExpectSameFeed(bob, 10, "first read");
  EXPECT_THAT(List(bob), ElementsAre(absl::StrCat(p1), "f0"));
  const int64_t served = internal::FeedCacheCounters().served_from_list;
  ASSERT_OK_AND_ASSIGN(auto warm, cached_feed_->Home(ctx_, UserId{bob}, {.limit = 10}));
  EXPECT_EQ(internal::FeedCacheCounters().served_from_list, served + 1);  // a warm page comes from the list
  ASSERT_EQ(warm.items.size(), 1u);
  const int64_t p2 = Post(alice);
  EXPECT_THAT(List(bob), ElementsAre(absl::StrCat(p2), absl::StrCat(p1), "f0"));
  // A post in a transaction that rolls back reaches no list.
  absl::Status rolled_back = db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    EXPECT_OK(content_->CreatePost(ctx_, {.author_id = alice, .content = "never"}).status());
    return absl::AbortedError("roll back");
  });
  EXPECT_TRUE(absl::IsAborted(rolled_back));
  EXPECT_THAT(List(bob), ElementsAre(absl::StrCat(p2), absl::StrCat(p1), "f0"));
  ExpectSameFeed(bob, 1, "after the rollback");
  // A new followee: bob's list is dropped (its older posts are in no list) and rebuilt on his next read.
  const int64_t carol = AddUser();
  const int64_t p3 = Post(carol);
  ASSERT_OK(social_->Follow(ctx_, UserId{bob}, UserId{carol}).status());
  EXPECT_THAT(List(bob), ElementsAre());
  ExpectSameFeed(bob, 2, "after a follow");
  EXPECT_THAT(List(bob), ElementsAre(absl::StrCat(p3), absl::StrCat(p2), absl::StrCat(p1), "f0"));
}

TEST_P(FeedCacheTest, LargeAccountsAreMergedAtReadTimeAndFallingBelowDropsTheirReadersLists) {
  const int64_t star = AddUser();
  std::vector<int64_t> fans;
  for (int i = 0; i < 3; ++i) {
    fans.push_back(AddUser());
    ASSERT_OK(social_->Follow(ctx_, UserId{fans.back()}, UserId{star}).status());
  }
  for (int64_t f : fans) ExpectSameFeed(f, 5, "lists built");
  // 3 followers = the threshold: not fanned out, merged at read time.
  const int64_t big_post = Post(star);
  EXPECT_THAT(List(fans[0]), ElementsAre("f0"));
  ExpectSameFeed(fans[0], 5, "a large account's post");
  ASSERT_OK_AND_ASSIGN(auto page, cached_feed_->Home(ctx_, UserId{fans[0]}, {.limit = 5}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id.value, big_post);
  // The star's own posts list was built on that read; the star's next post reaches it (and still no
  // reader's list), and a warm page merges it in memory.
  EXPECT_THAT(AuthorList(star), ElementsAre(absl::StrCat(big_post), "f0"));
  const int64_t big_post2 = Post(star);
  EXPECT_THAT(AuthorList(star), ElementsAre(absl::StrCat(big_post2), absl::StrCat(big_post), "f0"));
  EXPECT_THAT(List(fans[0]), ElementsAre("f0"));
  const int64_t served = internal::FeedCacheCounters().served_from_list;
  ASSERT_OK_AND_ASSIGN(auto warm, cached_feed_->Home(ctx_, UserId{fans[0]}, {.limit = 5}));
  EXPECT_EQ(internal::FeedCacheCounters().served_from_list, served + 1);
  ASSERT_EQ(warm.items.size(), 2u);
  EXPECT_EQ(warm.items[0].id.value, big_post2);
  ExpectSameFeed(fans[0], 5, "a large account's second post");
  // A hidden post of the large account leaves the page at once (its status is read at read time).
  ASSERT_OK(db().Execute(ctx_, "UPDATE posts SET status = 'HIDDEN' WHERE id = ?", {big_post2}));
  ExpectSameFeed(fans[0], 5, "a large account's post hidden");
  ASSERT_OK(db().Execute(ctx_, "UPDATE posts SET status = 'ACTIVE' WHERE id = ?", {big_post2}));
  // One unfollow takes the star below the threshold: the other fans' lists (which lack the posts) go.
  ExpectSameFeed(fans[1], 5, "before the unfollow");
  ASSERT_OK(social_->Unfollow(ctx_, UserId{fans[0]}, UserId{star}));
  EXPECT_THAT(List(fans[1]), ElementsAre());
  ExpectSameFeed(fans[1], 5, "after falling below the threshold");
  EXPECT_THAT(List(fans[1]), ElementsAre(absl::StrCat(big_post2), absl::StrCat(big_post), "f0"));
}

// A warm read finds the viewer's large accounts in the cache (no statement); a followee rising to the
// threshold drops that cached set, or its next post (no longer fanned out) would be missing.
TEST_P(FeedCacheTest, RisingToTheThresholdDropsTheReadersCachedLargeAccountSets) {
  const int64_t star = AddUser();
  std::vector<int64_t> fans;
  for (int i = 0; i < 2; ++i) {
    fans.push_back(AddUser());
    ASSERT_OK(social_->Follow(ctx_, UserId{fans.back()}, UserId{star}).status());
  }
  const int64_t small_post = Post(star);
  for (int64_t f : fans) ExpectSameFeed(f, 5, "lists and large-account sets built");
  const std::string large_key = internal::HomeAuthorsKey(fans[0]);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> cached_set, cache_->Get(large_key));
  // star has 2 followers: not large yet.
  EXPECT_EQ(cached_set, std::optional<std::string>(absl::StrCat("A0|", star, ",", fans[0])));
  // A warm page reads no statement to find the large accounts: the page's and the authors' hydration only.
  RequestContext counted;
  ASSERT_OK_AND_ASSIGN(auto warm, cached_feed_->Home(counted, UserId{fans[0]}, {.limit = 5}));
  ASSERT_EQ(warm.items.size(), 1u);
  EXPECT_EQ(counted.statements(), 2);
  // A third follower: star reaches the threshold, its readers' sets are dropped after commit.
  const int64_t third = AddUser();
  ASSERT_OK(social_->Follow(ctx_, UserId{third}, UserId{star}).status());
  ASSERT_OK_AND_ASSIGN(cached_set, cache_->Get(large_key));
  EXPECT_EQ(cached_set, std::nullopt);
  EXPECT_THAT(List(fans[0]), ElementsAre(absl::StrCat(small_post), "f0"));  // the list itself stays
  const int64_t big_post = Post(star);                                      // not fanned out any more
  EXPECT_THAT(List(fans[0]), ElementsAre(absl::StrCat(small_post), "f0"));
  ExpectSameFeed(fans[0], 5, "after rising to the threshold");
  ASSERT_OK_AND_ASSIGN(auto page, cached_feed_->Home(ctx_, UserId{fans[0]}, {.limit = 5}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id.value, big_post);
  ASSERT_OK_AND_ASSIGN(cached_set, cache_->Get(large_key));
  EXPECT_EQ(cached_set, std::optional<std::string>(absl::StrCat("A0|", star, "*,", fans[0])));
  // The reader's own follows change: the set goes with the list.
  ASSERT_OK(social_->Unfollow(ctx_, UserId{fans[0]}, UserId{star}));
  ASSERT_OK_AND_ASSIGN(cached_set, cache_->Get(large_key));
  EXPECT_EQ(cached_set, std::nullopt);
  ExpectSameFeed(fans[0], 5, "after the reader's unfollow");
}

TEST_P(FeedCacheTest, PagesPastTheListComeFromTheDatabase) {
  const int64_t alice = AddUser(), bob = AddUser();
  ASSERT_OK(social_->Follow(ctx_, UserId{bob}, UserId{alice}).status());
  for (int i = 0; i < 12; ++i) Post(alice);
  ExpectSameFeed(bob, 3, "rebuilt 6 deep, 12 posts");
  ASSERT_EQ(List(bob).size(), 7u);          // rebuild_depth ids and the sentinel
  for (int i = 0; i < 6; ++i) Post(alice);  // trimmed at 10: the sentinel falls off
  EXPECT_EQ(List(bob).size(), 10u);
  ExpectSameFeed(bob, 2, "after trimming");
  ExpectSameFeed(bob, 7, "after trimming");
}

// A first read takes a page and a half of ids from each list (FirstReadLimit); when invisible posts
// eat into it the lists are read whole before the database is asked.
TEST_P(FeedCacheTest, AFirstReadIsBoundedAndReadsTheWholeListOnlyWhenItCannotCertifyThePage) {
  const int64_t alice = AddUser(), bob = AddUser();
  ASSERT_OK(social_->Follow(ctx_, UserId{bob}, UserId{alice}).status());
  ExpectSameFeed(bob, 1, "empty list built");
  ASSERT_EQ(internal::FirstReadLimit(2), 8);  // a page of 1 fetches 2 rows
  std::vector<int64_t> visible;
  for (int i = 0; i < 2; ++i) visible.push_back(Post(alice));
  for (int i = 0; i < 8; ++i) Post(alice, "PRIVATE");  // bob sees none of them
  ASSERT_EQ(List(bob).size(), 10u);                    // capped at 10: the sentinel went
  // The newest 8 ids read first are all private: the whole list (10 ids) certifies the page.
  const internal::FeedCacheCounts before = internal::FeedCacheCounters();
  ASSERT_OK_AND_ASSIGN(auto page, cached_feed_->Home(ctx_, UserId{bob}, {.limit = 1}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id.value, visible[1]);
  EXPECT_TRUE(page.has_more);
  EXPECT_EQ(internal::FeedCacheCounters().served_from_list, before.served_from_list + 1);
  EXPECT_EQ(internal::FeedCacheCounters().fell_back, before.fell_back);
  ExpectSameFeed(bob, 1, "private posts on top");
  ExpectSameFeed(bob, 3, "private posts on top");
  // Two public posts on top: the first read (8 ids) certifies a page of 1 (2 rows) on its own.
  Post(alice);
  const int64_t top = Post(alice);
  RequestContext counted;
  ASSERT_OK_AND_ASSIGN(page, cached_feed_->Home(counted, UserId{bob}, {.limit = 1}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id.value, top);
  EXPECT_EQ(counted.statements(), 2);  // the page and the authors' hydration
  ExpectSameFeed(bob, 2, "a public post on top");
}

// Fan-out pushes run after commit, so they can arrive out of id order: the set keeps id order, so a
// bounded read is still exact.
TEST_P(FeedCacheTest, PushesArrivingOutOfIdOrderAreReadInIdOrder) {
  const int64_t alice = AddUser(), bob = AddUser();
  ASSERT_OK(social_->Follow(ctx_, UserId{bob}, UserId{alice}).status());
  ExpectSameFeed(bob, 1, "empty list built");
  auto insert = [&](int64_t id) {
    ASSERT_OK(db().Execute(
        ctx_, "INSERT INTO posts (id, author_id, content, created_at, updated_at) VALUES (?, ?, 'x', ?, ?)",
        {id, alice, id, id}));
  };
  for (int64_t id : {int64_t{5003}, int64_t{5001}, int64_t{5002}}) insert(id);
  // Committed in one order, pushed in another (the newest first, then older ones late).
  for (int64_t id : {int64_t{5003}, int64_t{5001}, int64_t{5002}}) {
    internal::FanOutAfterCommit(cached_deps_, ctx_, alice, id);
  }
  EXPECT_THAT(List(bob), ElementsAre("5003", "5002", "5001", "f0"));
  // A list in the format before ordered sets (a plain list, newest first) is replaced on first read.
  ASSERT_OK(cache_->Delete(absl::StrCat("feed:", bob)).status());
  ASSERT_OK(cache_->ListPush(absl::StrCat("feed:", bob), std::vector<std::string>{"f0", "5001"}));
  ExpectSameFeed(bob, 2, "an old-format list");
  EXPECT_THAT(List(bob), ElementsAre("5003", "5002", "5001", "f0"));
  ExpectSameFeed(bob, 1, "after out-of-order pushes");
  ExpectSameFeed(bob, 2, "after out-of-order pushes");
  ASSERT_OK_AND_ASSIGN(auto page, cached_feed_->Home(ctx_, UserId{bob}, {.limit = 2}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id.value, 5003);
  EXPECT_EQ(page.items[1].id.value, 5002);
}

// `daira recount --repair` moving an author across the threshold drops the readers' cached feeds as
// the live path does: falling below drops their lists and large-account sets, rising to it their sets.
TEST_P(FeedCacheTest, ARecountThatMovesAnAuthorAcrossTheThresholdDropsTheReadersCachedFeeds) {
  const int64_t star = AddUser();
  std::vector<int64_t> fans;
  for (int i = 0; i < 2; ++i) {
    fans.push_back(AddUser());
    ASSERT_OK(social_->Follow(ctx_, UserId{fans.back()}, UserId{star}).status());
  }
  for (int64_t f : fans) ExpectSameFeed(f, 5, "lists built");
  // A drifted counter makes the star look large: its next post is fanned out to no list.
  ASSERT_OK(db().Execute(ctx_, "UPDATE user_profiles SET followers_count = 7 WHERE user_id = ?", {star}));
  Post(star);
  EXPECT_THAT(List(fans[0]), ElementsAre("f0"));
  ASSERT_OK_AND_ASSIGN(services::RecountReport report, Recount(cached_deps_, ctx_, {.repair = true}));
  EXPECT_TRUE(report.repaired);
  EXPECT_THAT(List(fans[0]), ElementsAre());  // fell below: the lists went
  EXPECT_EQ(Authors(fans[0]), std::nullopt);
  for (int64_t f : fans) ExpectSameFeed(f, 5, "after the recount brought the star below");

  // The other way: a third follower makes it large, but the counter drifted down, so the readers'
  // large-account sets lack it; the repair drops them.
  const int64_t third = AddUser();
  ASSERT_OK(social_->Follow(ctx_, UserId{third}, UserId{star}).status());
  ASSERT_OK(db().Execute(ctx_, "UPDATE user_profiles SET followers_count = 0 WHERE user_id = ?", {star}));
  for (int64_t f : fans) ExpectSameFeed(f, 5, "sets built with the drifted counter");
  EXPECT_EQ(Authors(fans[0]), std::optional<std::string>(absl::StrCat("A0|", star, ",", fans[0])));
  ASSERT_OK_AND_ASSIGN(report, Recount(cached_deps_, ctx_, {.repair = true}));
  EXPECT_TRUE(report.repaired);
  EXPECT_EQ(Authors(fans[0]), std::nullopt);
  EXPECT_EQ(Authors(fans[1]), std::nullopt);
  Post(star);  // large now: merged at read time
  for (int64_t f : fans) ExpectSameFeed(f, 5, "after the recount brought the star to the threshold");
}

// The page's statement does not test authors: the cached authors do. A mute or block drops the viewer's
// cached authors after commit, a timed mute ends on time (the set is unusable past its expiry), and a
// listed post by an author no longer shown sends the page to the statement that tests authors itself.
TEST_P(FeedCacheTest, MutesAndBlocksDropTheCachedAuthorsAndATimedMuteEndsOnTime) {
  const int64_t alice = AddUser(), bob = AddUser(), viewer = AddUser();
  for (int64_t a : {alice, bob}) ASSERT_OK(social_->Follow(ctx_, UserId{viewer}, UserId{a}).status());
  const int64_t a1 = Post(alice), b1 = Post(bob), a2 = Post(alice);
  ExpectSameFeed(viewer, 5, "lists built");
  EXPECT_EQ(Authors(viewer), std::optional<std::string>(absl::StrCat("A0|", alice, ",", bob, ",", viewer)));
  RequestContext warm;
  ASSERT_OK_AND_ASSIGN(auto page, cached_feed_->Home(warm, UserId{viewer}, {.limit = 5}));
  EXPECT_EQ(page.items.size(), 3u);
  EXPECT_EQ(warm.statements(), 2);  // the page and the authors' hydration

  // A mute for ten minutes: dropped after commit, refilled with its expiry.
  const auto until = clock_.Now() + std::chrono::minutes(10);
  ASSERT_OK(social_->Mute(ctx_, UserId{viewer}, UserId{alice}, model::MuteKind::kMute, until).status());
  EXPECT_EQ(Authors(viewer), std::nullopt);
  ExpectSameFeed(viewer, 5, "alice muted");
  EXPECT_EQ(Authors(viewer),
            std::optional<std::string>(absl::StrCat("A", ToUnixMicros(until), "|", bob, ",", viewer)));
  // The list still holds alice's posts: the first statement's rows show her, the page is read again by
  // the statement that tests authors.
  RequestContext muted;
  ASSERT_OK_AND_ASSIGN(page, cached_feed_->Home(muted, UserId{viewer}, {.limit = 5}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id.value, b1);
  EXPECT_EQ(muted.statements(), 3);
  // Past the expiry the cached set is not used: alice is back at once.
  clock_.Advance(std::chrono::minutes(10));
  ExpectSameFeed(viewer, 5, "the mute expired");
  ASSERT_OK_AND_ASSIGN(page, cached_feed_->Home(ctx_, UserId{viewer}, {.limit = 5}));
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].id.value, a2);
  EXPECT_EQ(page.items[2].id.value, a1);

  // An unexpiring mute and its unmute; a block by the followee and its unblock.
  ASSERT_OK(
      social_->Mute(ctx_, UserId{viewer}, UserId{bob}, model::MuteKind::kHidePosts, std::nullopt).status());
  EXPECT_EQ(Authors(viewer), std::nullopt);
  ExpectSameFeed(viewer, 5, "bob muted");
  ASSERT_OK(social_->Unmute(ctx_, UserId{viewer}, UserId{bob}));
  EXPECT_EQ(Authors(viewer), std::nullopt);
  ExpectSameFeed(viewer, 5, "bob unmuted");
  ASSERT_OK(social_->Block(ctx_, UserId{alice}, UserId{viewer}).status());
  EXPECT_EQ(Authors(viewer), std::nullopt);
  ExpectSameFeed(viewer, 5, "alice blocked the viewer");
  ASSERT_OK(social_->Unblock(ctx_, UserId{alice}, UserId{viewer}));
  EXPECT_EQ(Authors(viewer), std::nullopt);
  ExpectSameFeed(viewer, 5, "alice unblocked the viewer");
}

// Large accounts' lists are read only down to what can still reach the page's first candidates;
// pages whose boundary falls among several large accounts' and small authors' posts stay the
// database's at every page size.
TEST_P(FeedCacheTest, LargeAccountsNearThePageBoundaryGiveTheDatabasesPages) {
  const int64_t star1 = AddUser(), star2 = AddUser(), small = AddUser(), viewer = AddUser();
  std::vector<int64_t> others;
  for (int i = 0; i < 3; ++i) others.push_back(AddUser());
  for (int64_t star : {star1, star2}) {
    for (int64_t f : others) ASSERT_OK(social_->Follow(ctx_, UserId{f}, UserId{star}).status());
  }
  for (int64_t a : {star1, star2, small})
    ASSERT_OK(social_->Follow(ctx_, UserId{viewer}, UserId{a}).status());
  // Bursts of each author, so that page boundaries fall inside one large account's run and between.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 60; ++i) {
    const int64_t author = std::vector<int64_t>{star1, star1, star1, star2, small, viewer}[rng() % 6];
    for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
      Post(author, rng() % 7 == 0 ? "PRIVATE" : "PUBLIC");
    }
  }
  for (int64_t limit = 1; limit <= 12; ++limit) ExpectSameFeed(viewer, limit, absl::StrCat("limit ", limit));
  // Hidden posts at the top of one large account's list eat into its first read.
  ASSERT_OK(
      db().Execute(ctx_,
                   "UPDATE posts SET status = 'HIDDEN' WHERE id IN (SELECT id FROM posts WHERE author_id = ? "
                   "ORDER BY id DESC LIMIT 20)",
                   {star1}));
  for (int64_t limit : {1, 3, 5, 8}) ExpectSameFeed(viewer, limit, absl::StrCat("hidden, limit ", limit));
}

TEST(FeedCacheOptionsTest, OutOfRangeFieldsAreNamed) {
  EXPECT_THAT((FeedCacheOptions{.fanout_max_followers = 0}.Validate()),
              daira::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                       ::testing::HasSubstr("fanout_max_followers")));
  EXPECT_THAT(
      (FeedCacheOptions{.rebuild_depth = 1001}.Validate()),
      daira::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("rebuild_depth")));
  EXPECT_OK(FeedCacheOptions{}.Validate());
}

std::vector<std::tuple<std::string, std::string>> Combos() {
  std::vector<std::tuple<std::string, std::string>> out;
  for (const std::string& sql : daira::testing::SqlBackends()) {
    for (const std::string& cache : daira::testing::CacheBackends()) out.emplace_back(sql, cache);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(FeedCache, FeedCacheTest, ::testing::ValuesIn(Combos()),
                         [](const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace daira::services
