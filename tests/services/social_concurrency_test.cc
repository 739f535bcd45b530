// 8 threads following, unfollowing, accepting, blocking and unblocking among the same few users leave
// every counter exact (Recount finds nothing) and no follow across a block — with one shared Database
// and with a Database per thread, on every SQL backend.
#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/id.h"
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

constexpr int kThreads = 8;
constexpr int kOpsPerThread = 300;
constexpr int kUsers = 6;  // users[0] and users[1] are private

class SocialConcurrencyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    for (int i = 0; i < kUsers; ++i) {
      const int64_t id = IdGenerator::Default()->Next();
      ASSERT_OK(tdb_->db().Execute(
          ctx_, "INSERT INTO users (id, username, is_private, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
          {id, absl::StrCat("c", i, "_", id), i < 2 ? 1 : 0, int64_t{1}, int64_t{1}}));
      ASSERT_OK(tdb_->db().Execute(
          ctx_, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, ?, ?)",
          {id, int64_t{1}, int64_t{1}}));
      users_.emplace_back(id);
    }
  }

  // Runs the workload with thread t using dbs[t % dbs.size()].
  void RunWorkload(const std::vector<store::Database*>& dbs) {
    std::atomic<int> unexpected{0};
    std::atomic<int> succeeded{0};
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Social social(ServiceDeps{.db = dbs[t % dbs.size()]});
        std::mt19937 rng(1000 + t);
        for (int op = 0; op < kOpsPerThread; ++op) {
          RequestContext ctx;  // one per operation: a context's open transaction is per thread
          UserId a = users_[rng() % kUsers];
          UserId b = users_[rng() % kUsers];
          if (a == b) b = users_[(std::find(users_.begin(), users_.end(), a) - users_.begin() + 1) % kUsers];
          absl::Status s;
          switch (rng() % 10) {
            case 0: case 1: case 2: s = social.Follow(ctx, a, b).status(); break;
            case 3: case 4: s = social.Unfollow(ctx, a, b); break;
            case 5: s = social.AcceptFollow(ctx, b, a).status(); break;
            case 6: s = social.RejectFollow(ctx, b, a); break;
            case 7: s = social.Block(ctx, a, b, "load").status(); break;
            case 8: s = social.Unblock(ctx, a, b); break;
            default: s = social.Mute(ctx, a, b, model::MuteKind::kHidePosts).status(); break;
          }
          // The expected refusals of a racing workload; anything else (including Aborted after
          // RunInTransaction's retries) is a failure.
          if (s.ok()) {
            succeeded.fetch_add(1);
          } else if (s.code() != absl::StatusCode::kAlreadyExists && s.code() != absl::StatusCode::kNotFound &&
                     s.code() != absl::StatusCode::kFailedPrecondition) {
            if (unexpected.fetch_add(1) == 0 || errors[t].empty()) errors[t] = s.ToString();
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(unexpected.load(), 0);
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_GT(succeeded.load(), kThreads * kOpsPerThread / 10);

    store::Database& db = tdb_->db();
    ASSERT_OK_AND_ASSIGN(RecountReport report, Recount(db, ctx_));
    for (const auto& d : report.discrepancies) {
      ADD_FAILURE() << d.table << "." << d.column << " of " << d.id << ": stored " << d.stored << ", actual "
                    << d.actual;
    }
    EXPECT_TRUE(report.discrepancies.empty());
    ASSERT_OK_AND_ASSIGN(store::ResultSet across,
                         db.Read(ctx_,
                                 "SELECT count(*) FROM follows f JOIN blocks b ON "
                                 "(b.blocker_id = f.follower_id AND b.blocked_id = f.followee_id) OR "
                                 "(b.blocker_id = f.followee_id AND b.blocked_id = f.follower_id)"));
    EXPECT_EQ(across.front().Int64(0), 0) << "a follow survived across a block";
    ASSERT_OK_AND_ASSIGN(store::ResultSet edges, db.Read(ctx_, "SELECT count(*) FROM follows WHERE status = 'ACTIVE'"));
    ASSERT_OK_AND_ASSIGN(store::ResultSet total,
                         db.Read(ctx_, "SELECT sum(followers_count), sum(following_count) FROM user_profiles"));
    EXPECT_EQ(total.front().Int64(0), edges.front().Int64(0));
    EXPECT_EQ(total.front().Int64(1), edges.front().Int64(0));
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::vector<UserId> users_;
};

TEST_P(SocialConcurrencyTest, SharedDatabaseKeepsEveryCounterExact) {
  RunWorkload({&tdb_->db()});
}

TEST_P(SocialConcurrencyTest, DatabasePerThreadKeepsEveryCounterExact) {
  std::vector<std::unique_ptr<store::Database>> own;
  std::vector<store::Database*> dbs;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK_AND_ASSIGN(store::DatabaseOptions o, store::DatabaseOptions::FromUrl(tdb_->url()));
    o.pool.pool_min = 1;
    o.pool.pool_max = 2;
    o.readers = 1;
    o.busy_timeout = std::chrono::milliseconds(30000);
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(o));
    dbs.push_back(db.get());
    own.push_back(std::move(db));
  }
  RunWorkload(dbs);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(SocialConcurrencyTest);

}  // namespace
}  // namespace daira::services
