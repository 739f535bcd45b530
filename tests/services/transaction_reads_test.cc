// Every read helper runs inside the request's open transaction (store::WithConnection): the feeds,
// trending, batch loading and keyset pages see the transaction's uncommitted writes, and on
// `sqlite::memory:` (one connection: the writer) they no longer wait on the writer the transaction holds
// until acquire_timeout. Before the fix they leased their own connection and missed those writes.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daira/query/batch_loader.h"
#include "daira/query/keyset.h"
#include "daira/services/content.h"
#include "daira/services/feed.h"
#include "daira/services/trending.h"
#include "daira/store/migrator.h"
#include "daira/store/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"

namespace daira::services {
namespace {

using ::testing::Contains;

int64_t IdOf(const store::Row& r) { return r.Int64("id"); }

// Writes a small world inside a transaction bound to `ctx`, then checks every read helper sees it.
void WriteAndReadInside(store::Database& db, const RequestContext& ctx, const Clock& clock) {
  const ServiceDeps deps{.db = &db, .clock = &clock};
  Content content(deps);
  Feed feed(deps);
  Trending trending(deps);
  const int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(clock.Now().time_since_epoch()).count();

  absl::Status st = db.RunInTransaction(ctx, [&](store::Connection&) -> absl::Status {
    for (int64_t id : {101, 102}) {
      DAIRA_RETURN_IF_ERROR(
          db.Execute(ctx,
                     "INSERT INTO users (id, username, is_verified, created_at, updated_at) "
                     "VALUES (?, ?, 0, 0, 0)",
                     {id, "u" + std::to_string(id)})
              .status());
    }
    DAIRA_RETURN_IF_ERROR(db.Execute(ctx,
                                     "INSERT INTO follows (id, follower_id, followee_id, status, created_at, "
                                     "updated_at) VALUES (900, 102, 101, 'ACTIVE', 0, 0)")
                              .status());
    DAIRA_ASSIGN_OR_RETURN(model::Post post,
                           content.CreatePost(ctx, {.author_id = 101, .content = "inside"}));
    DAIRA_RETURN_IF_ERROR(db.Execute(ctx,
                                     "INSERT INTO videos (id, author_id, title, views_count, likes_count, "
                                     "comments_count, status, created_at, updated_at, published_at) "
                                     "VALUES (700, 101, 'v', 10, 1, 1, 'PUBLISHED', ?, ?, ?)",
                                     {now_us, now_us, now_us})
                              .status());

    DAIRA_ASSIGN_OR_RETURN(auto home, feed.Home(ctx, UserId(102), {.limit = 10}));
    EXPECT_EQ(home.items.size(), 1u) << "Feed::Home missed the transaction's post";
    DAIRA_ASSIGN_OR_RETURN(auto timeline, feed.Timeline(ctx, UserId(102), UserId(101), {.limit = 10}));
    EXPECT_EQ(timeline.items.size(), 1u) << "Feed::Timeline missed the transaction's post";
    if (!timeline.items.empty()) {
      EXPECT_EQ(timeline.items[0].id, post.id);
    }
    DAIRA_ASSIGN_OR_RETURN(auto videos, trending.Videos(ctx, {.window = std::chrono::hours(24)}));
    EXPECT_EQ(videos.items.size(), 1u) << "Trending::Videos missed the transaction's video";

    const std::vector<int64_t> ids = {101, 102};
    DAIRA_ASSIGN_OR_RETURN(auto loaded, query::LoadMany(db, ctx, "SELECT id FROM users WHERE", ids, IdOf));
    EXPECT_EQ(loaded.items.size(), 2u) << "query::LoadMany missed the transaction's users";
    const query::KeysetQuery q{.scope = "users", .select = "SELECT id FROM users", .keys = {{"id"}}};
    DAIRA_ASSIGN_OR_RETURN(auto page, query::FetchPage(db, ctx, q, {.limit = 10}, IdOf));
    EXPECT_THAT(page.items, Contains(101)) << "query::FetchPage missed the transaction's users";
    return absl::CancelledError("roll back on purpose");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled) << st;
  // Rolled back: nothing of it is visible any more.
  auto home = feed.Home(ctx, UserId(102), {.limit = 10});
  ASSERT_OK(home);
  EXPECT_TRUE(home->items.empty());
}

class TransactionReadsTest : public MigratedServicesTest {};

TEST_P(TransactionReadsTest, ReadHelpersSeeTheOpenTransaction) {
  WriteAndReadInside(tdb_->db(), ctx_, clock_);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(TransactionReadsTest);

TEST(TransactionReadsMemoryTest, ReadHelpersDoNotWaitForTheWriterTheyHold) {
  // sqlite::memory: has one connection. A helper that leased its own would wait acquire_timeout and fail.
  store::DatabaseOptions options;
  options.url = "sqlite::memory:";
  options.pool.acquire_timeout = std::chrono::milliseconds(500);
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(options));
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(*db));
  ASSERT_OK(migrator->Migrate(ctx));
  ManualClock clock{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  WriteAndReadInside(*db, ctx, clock);
}

}  // namespace
}  // namespace daira::services
