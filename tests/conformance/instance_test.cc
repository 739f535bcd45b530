// What several app instances on one database coordinate through (migration 012): node id leases
// (store::NodeLease) and cursor keys (store::CursorKeys), on both SQL backends.
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "daira/core/clock.h"
#include "daira/store/cursor_keys.h"
#include "daira/store/migrator.h"
#include "daira/store/node_lease.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;
using store::CursorKeys;
using store::NodeLease;
using store::NodeLeaseOptions;

const Clock::TimePoint kStart{std::chrono::seconds(1750000000)};

class InstanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
  }
  NodeLeaseOptions Options(std::chrono::milliseconds ttl = std::chrono::seconds(10)) {
    return NodeLeaseOptions{.ttl = ttl, .clock = &clock_, .host = "test-host", .pid = 42};
  }
  store::Database& db() { return tdb_->db(); }

  RequestContext ctx_;
  ManualClock clock_{kStart};
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(InstanceTest, ConcurrentTakersNeverGetTheSameNodeId) {
  // A second Database on the same data: two pools, as two processes would have.
  ASSERT_OK_AND_ASSIGN(auto other, store::Database::Open(tdb_->url()));
  constexpr int kThreads = 24;
  std::vector<int> got(kThreads, -1);
  std::vector<absl::Status> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      RequestContext ctx;
      store::Database& d = i % 2 == 0 ? db() : *other;
      auto lease = NodeLease::Acquire(d, ctx, Options());
      if (lease.ok()) {
        got[i] = lease->node_id();
      } else {
        errors[i] = lease.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int> distinct;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_OK(errors[i]);
    EXPECT_GE(got[i], 0);
    EXPECT_LT(got[i], NodeLease::kNodeCount);
    distinct.insert(got[i]);
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads));
  ASSERT_OK_AND_ASSIGN(auto holders, NodeLease::List(db(), ctx_));
  EXPECT_EQ(holders.size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(holders.front().host, "test-host");
  EXPECT_EQ(holders.front().pid, 42);
  EXPECT_EQ(holders.front().source, "LEASED");
}

TEST_P(InstanceTest, NoneFreeIsResourceExhaustedUntilOneExpires) {
  // Every node id held: 1023 for a long time, node 77 briefly.
  std::vector<NodeLease> held;
  for (int id = 0; id < NodeLease::kNodeCount; ++id) {
    ASSERT_OK_AND_ASSIGN(NodeLease l, NodeLease::Claim(db(), ctx_, id,
                                                       Options(id == 77 ? std::chrono::seconds(1)
                                                                        : std::chrono::seconds(60))));
    held.push_back(l);
  }
  EXPECT_THAT(NodeLease::Acquire(db(), ctx_, Options()).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("every node id is held")));
  // Node 77's lease expires (no heartbeat): it is the one a new taker gets.
  clock_.Advance(std::chrono::milliseconds(1001));
  ASSERT_OK_AND_ASSIGN(NodeLease taken, NodeLease::Acquire(db(), ctx_, Options()));
  EXPECT_EQ(taken.node_id(), 77);
  EXPECT_EQ(taken.previous_expiry(), kStart + std::chrono::seconds(1));  // when 77's holder had to stop
  // Its former holder finds out at its next heartbeat, and cannot release the new holder's row.
  EXPECT_THAT(held[77].Renew(db(), ctx_), StatusIs(absl::StatusCode::kAborted, HasSubstr("node_id 77 was lost")));
  EXPECT_OK(held[77].Release(db(), ctx_));
  EXPECT_OK(taken.Renew(db(), ctx_));
  // The others renew fine; an expired-but-not-taken lease is renewed too (nobody used it meanwhile).
  EXPECT_OK(held[5].Renew(db(), ctx_));
}

TEST_P(InstanceTest, RenewKeepsALeaseAliveAndReleaseFreesIt) {
  ASSERT_OK_AND_ASSIGN(NodeLease a, NodeLease::Claim(db(), ctx_, 9, Options(std::chrono::seconds(10))));
  EXPECT_TRUE(a.configured());
  // Heartbeats every 6 s keep it past several TTLs.
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::seconds(6));
    ASSERT_OK(a.Renew(db(), ctx_));
    EXPECT_THAT(NodeLease::Claim(db(), ctx_, 9, Options()).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("node_id 9 is in use")));
  }
  EXPECT_EQ(a.expires_at(), clock_.Now() + std::chrono::seconds(10));
  EXPECT_EQ(a.previous_expiry(), Clock::TimePoint{});  // never held before
  ASSERT_OK(a.Release(db(), ctx_));
  ASSERT_OK(a.Release(db(), ctx_));  // idempotent
  ASSERT_OK_AND_ASSIGN(NodeLease b, NodeLease::Claim(db(), ctx_, 9, Options()));
  EXPECT_EQ(b.node_id(), 9);
  EXPECT_EQ(b.previous_expiry(), clock_.Now());  // released now: the new holder starts after it
}

TEST_P(InstanceTest, ClaimConflictNamesTheHolderAndValidatesTheId) {
  ASSERT_OK_AND_ASSIGN([[maybe_unused]] NodeLease a, NodeLease::Claim(db(), ctx_, 3, Options()));
  auto conflict = NodeLease::Claim(db(), ctx_, 3, Options());
  EXPECT_THAT(conflict.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("node_id 3 is in use (configured by test-host pid 42")));
  EXPECT_THAT(NodeLease::Claim(db(), ctx_, 1024, Options()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node_id must be in [0, 1023] (got 1024)")));
  EXPECT_THAT(NodeLease::Claim(db(), ctx_, -1, Options()).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // A lease never lands on a claimed id.
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK_AND_ASSIGN(NodeLease l, NodeLease::Acquire(db(), ctx_, Options()));
    EXPECT_NE(l.node_id(), 3);
  }
}

TEST_P(InstanceTest, CursorKeysAreCreatedOnceRotatedAndRetiredAfterTheGrace) {
  ASSERT_OK_AND_ASSIGN(auto none, CursorKeys::List(db(), ctx_));
  EXPECT_TRUE(none.empty());
  // Concurrent first openers create exactly one key.
  std::vector<std::thread> threads;
  std::vector<absl::Status> errors(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      RequestContext ctx;
      errors[i] = CursorKeys::Ensure(db(), ctx, &clock_);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_OK(e);
  ASSERT_OK_AND_ASSIGN(auto one, CursorKeys::List(db(), ctx_));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, 1);
  EXPECT_EQ(one[0].secret.size(), CursorKeys::kKeyBytes);
  EXPECT_FALSE(one[0].retired_at.has_value());

  clock_.Advance(std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(store::CursorKey second, CursorKeys::Rotate(db(), ctx_, &clock_));
  EXPECT_EQ(second.id, 2);
  EXPECT_NE(second.secret, one[0].secret);
  const auto grace = std::chrono::hours(24);
  ASSERT_OK_AND_ASSIGN(auto keys, CursorKeys::Load(db(), ctx_, clock_.Now(), grace));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].id, 2);  // the current key first
  EXPECT_EQ(keys[1].id, 1);
  ASSERT_TRUE(keys[1].retired_at.has_value());
  EXPECT_EQ(*keys[1].retired_at, clock_.Now());
  // Just inside the grace the old key still verifies; past it only the current one is loaded.
  ASSERT_OK_AND_ASSIGN(keys, CursorKeys::Load(db(), ctx_, clock_.Now() + grace - std::chrono::seconds(1), grace));
  EXPECT_EQ(keys.size(), 2u);
  ASSERT_OK_AND_ASSIGN(keys, CursorKeys::Load(db(), ctx_, clock_.Now() + grace, grace));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].id, 2);
  // Ensure leaves existing keys alone.
  ASSERT_OK(CursorKeys::Ensure(db(), ctx_, &clock_));
  ASSERT_OK_AND_ASSIGN(auto all, CursorKeys::List(db(), ctx_));
  EXPECT_EQ(all.size(), 2u);
}

TEST_P(InstanceTest, ConcurrentRotationsEachAddOneKey) {
  ASSERT_OK(CursorKeys::Ensure(db(), ctx_, &clock_));
  std::vector<std::thread> threads;
  std::vector<absl::Status> errors(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      RequestContext ctx;
      errors[i] = CursorKeys::Rotate(db(), ctx, &clock_).status();
    });
  }
  for (auto& t : threads) t.join();
  int rotated = 0;
  for (const auto& e : errors) {
    if (e.ok()) {
      ++rotated;
    } else {
      EXPECT_THAT(e, StatusIs(absl::StatusCode::kAborted, HasSubstr("retry")));
    }
  }
  ASSERT_OK_AND_ASSIGN(auto all, CursorKeys::List(db(), ctx_));
  EXPECT_EQ(all.size(), static_cast<size_t>(1 + rotated));
  int current = 0;
  for (const auto& k : all) current += k.retired_at.has_value() ? 0 : 1;
  EXPECT_EQ(current, 1);  // exactly one key is current
}

TEST_P(InstanceTest, UnmigratedDatabaseIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto empty, TestDatabase::Create(GetParam()));
  EXPECT_THAT(NodeLease::Acquire(empty->db(), ctx_, Options()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("instance_nodes is missing")));
  EXPECT_THAT(NodeLease::Claim(empty->db(), ctx_, 1, Options()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("012_instances")));
  EXPECT_THAT(CursorKeys::Ensure(empty->db(), ctx_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                             HasSubstr("cursor_keys is missing")));
}

DAIRA_INSTANTIATE_SQL_BACKENDS(InstanceTest);

}  // namespace
}  // namespace daira
