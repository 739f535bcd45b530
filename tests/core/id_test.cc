#include "daira/core/id.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "../support/status_matchers.h"
#include "daira/core/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

// 2025-06-15: after the id epoch (2024-01-01).
const Clock::TimePoint kStart{std::chrono::seconds(1750000000)};

TEST(IdTest, LayoutAndDecode) {
  ManualClock clock(kStart);
  IdGenerator gen({.node_id = 513, .clock = &clock});
  EXPECT_EQ(gen.node_id(), 513);
  int64_t a = gen.Next();
  int64_t b = gen.Next();
  EXPECT_GT(a, 0);
  EXPECT_LT(a, b);
  IdParts pa = DecodeId(a);
  IdParts pb = DecodeId(b);
  EXPECT_EQ(pa.unix_millis, 1750000000000);
  EXPECT_EQ(pa.node, 513);
  EXPECT_EQ(pa.sequence, 0);
  EXPECT_EQ(pb.unix_millis, 1750000000000);
  EXPECT_EQ(pb.sequence, 1);
  EXPECT_EQ(a, ((1750000000000 - kIdEpochUnixMillis) << 22) | (int64_t{513} << 12));

  clock.Advance(std::chrono::milliseconds(7));
  IdParts pc = DecodeId(gen.Next());
  EXPECT_EQ(pc.unix_millis, 1750000000007);
  EXPECT_EQ(pc.sequence, 0);  // a new millisecond restarts the sequence
}

TEST(IdTest, IdsSortByCreationTimeAcrossNodes) {
  ManualClock clock(kStart);
  IdGenerator high({.node_id = 1023, .clock = &clock});
  IdGenerator low({.node_id = 0, .clock = &clock});
  int64_t first = high.Next();
  clock.Advance(std::chrono::milliseconds(1));
  int64_t later = low.Next();
  EXPECT_LT(first, later);
}

TEST(IdTest, ClockSteppingBackKeepsIdsMonotonic) {
  ManualClock clock(kStart);
  IdGenerator gen({.node_id = 3, .clock = &clock});
  int64_t prev = gen.Next();
  clock.Advance(std::chrono::milliseconds(100));
  int64_t before_step = gen.Next();
  ASSERT_GT(before_step, prev);
  prev = before_step;
  // NTP steps the wall clock back ten seconds.
  clock.Set(kStart - std::chrono::seconds(10));
  for (int i = 0; i < 10000; ++i) {
    int64_t id = gen.Next();
    ASSERT_GT(id, prev) << "at " << i;
    prev = id;
  }
  // Still stamped no earlier than the last timestamp seen before the step.
  EXPECT_GE(DecodeId(prev).unix_millis, DecodeId(before_step).unix_millis);
  EXPECT_EQ(DecodeId(prev).node, 3);
  // Once the wall clock is past the logical clock again, ids follow the wall clock.
  clock.Set(kStart + std::chrono::seconds(60));
  int64_t fresh = gen.Next();
  EXPECT_GT(fresh, prev);
  EXPECT_EQ(DecodeId(fresh).unix_millis, 1750000060000);
  EXPECT_EQ(DecodeId(fresh).sequence, 0);
}

TEST(IdTest, SequenceOverflowWithinOneMillisecondStaysUniqueAndOrdered) {
  ManualClock clock(kStart);
  IdGenerator gen({.node_id = 9, .clock = &clock});
  constexpr int kCount = 4096 * 3 + 17;
  std::vector<int64_t> ids;
  ids.reserve(kCount);
  for (int i = 0; i < kCount; ++i) ids.push_back(gen.Next());
  for (int i = 1; i < kCount; ++i) ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  // Sequence space 4096: the 4097th id borrows the next (logical) millisecond.
  EXPECT_EQ(DecodeId(ids[4095]).unix_millis, 1750000000000);
  EXPECT_EQ(DecodeId(ids[4095]).sequence, 4095);
  EXPECT_EQ(DecodeId(ids[4096]).unix_millis, 1750000000001);
  EXPECT_EQ(DecodeId(ids[4096]).sequence, 0);
  EXPECT_EQ(DecodeId(ids.back()).unix_millis, 1750000000003);
  for (int64_t id : ids) ASSERT_EQ(DecodeId(id).node, 9);
  // The wall clock catching up to the logical one keeps ids increasing.
  clock.Advance(std::chrono::milliseconds(1));
  int64_t next = gen.Next();
  EXPECT_GT(next, ids.back());
}

TEST(IdTest, ManyThreadsNoDuplicatesAndIncreasingPerThread) {
  IdGenerator gen({.node_id = 77});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100000;
  std::vector<std::vector<int64_t>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& out = per_thread[t];
      out.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) out.push_back(gen.Next());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<int64_t> all;
  all.reserve(kThreads * kPerThread);
  for (const auto& ids : per_thread) {
    for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate id";
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
}

// Generates `n` ids with node `node` on the system clock into `out`.
void Generate(int node, int n, std::vector<int64_t>& out) {
  IdGenerator gen({.node_id = node});
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(gen.Next());
}

TEST(IdTest, TwoProcessesWithDistinctNodesNeverCollide) {
  constexpr int kPerProcess = 200000;
  char path[] = "/tmp/daira_id_test_XXXXXX";
  int file_fd = mkstemp(path);
  ASSERT_GE(file_fd, 0);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: wait for the start signal so both processes generate at the same time.
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(2);
    std::vector<int64_t> ids;
    Generate(/*node=*/2, kPerProcess, ids);
    size_t bytes = ids.size() * sizeof(int64_t);
    const char* p = reinterpret_cast<const char*>(ids.data());
    while (bytes > 0) {
      ssize_t w = write(file_fd, p, bytes);
      if (w <= 0) _exit(3);
      p += w;
      bytes -= static_cast<size_t>(w);
    }
    _exit(0);
  }
  close(go[0]);
  ASSERT_EQ(write(go[1], "x", 1), 1);
  close(go[1]);
  std::vector<int64_t> mine;
  Generate(/*node=*/1, kPerProcess, mine);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  std::vector<int64_t> theirs(kPerProcess);
  ASSERT_EQ(lseek(file_fd, 0, SEEK_SET), 0);
  size_t want = theirs.size() * sizeof(int64_t);
  char* p = reinterpret_cast<char*>(theirs.data());
  while (want > 0) {
    ssize_t r = read(file_fd, p, want);
    ASSERT_GT(r, 0);
    p += r;
    want -= static_cast<size_t>(r);
  }
  close(file_fd);
  unlink(path);

  for (int64_t id : theirs) ASSERT_EQ(DecodeId(id).node, 2);
  std::vector<int64_t> all = mine;
  all.insert(all.end(), theirs.begin(), theirs.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate id across processes";
}

TEST(IdTest, DerivedNodeIdIsInRange) {
  for (int i = 0; i < 50; ++i) {
    IdGenerator gen;
    EXPECT_GE(gen.node_id(), 0);
    EXPECT_LE(gen.node_id(), 1023);
    EXPECT_EQ(DecodeId(gen.Next()).node, gen.node_id());
  }
}

TEST(IdTest, ExplicitNodeIdValidation) {
  EXPECT_THAT(IdGenerator::Create({.node_id = 1024}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node_id must be -1 or in [0, 1023] (got 1024)")));
  EXPECT_THAT(IdGenerator::Create({.node_id = -2}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(got -2)")));
  EXPECT_EQ(StatusField(IdGenerator::Create({.node_id = 5000}).status()), "node_id");
  ASSERT_OK_AND_ASSIGN(auto zero, IdGenerator::Create({.node_id = 0}));
  EXPECT_EQ(zero->node_id(), 0);
  ASSERT_OK_AND_ASSIGN(auto max, IdGenerator::Create({.node_id = 1023}));
  EXPECT_EQ(max->node_id(), 1023);
  ASSERT_OK_AND_ASSIGN(auto derived, IdGenerator::Create({}));
  EXPECT_GE(derived->node_id(), 0);
  EXPECT_LE(derived->node_id(), 1023);
  // The constructor never uses an out-of-range node id (which would corrupt the time bits).
  IdGenerator lenient({.node_id = 4096});
  EXPECT_GE(lenient.node_id(), 0);
  EXPECT_LE(lenient.node_id(), 1023);
}

TEST(IdTest, LeaseBoundGeneratorIssuesIdsOnlyWhileItsLeaseIsValid) {
  ManualClock clock(kStart);
  IdGenerator gen({.clock = &clock});
  int lapses = 0;
  gen.SetLapseListener([&] { ++lapses; });
  gen.AssignNode(5, clock.Now() + std::chrono::seconds(1));
  EXPECT_EQ(gen.node_id(), 5);
  ASSERT_OK_AND_ASSIGN(int64_t a, gen.TryNext());
  EXPECT_EQ(DecodeId(a).node, 5);
  // The heartbeat did not renew in time: no more ids under node 5.
  clock.Advance(std::chrono::seconds(1));
  EXPECT_THAT(gen.TryNext(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("node_id 5 was not renewed")));
  EXPECT_THAT(gen.TryNext(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(lapses, 1);  // the keeper is nudged once per lapse
  // Next() never fails: it falls back to another (random) node meanwhile, still increasing.
  const int64_t b = gen.Next();
  EXPECT_NE(DecodeId(b).node, 5);
  EXPECT_GT(b, a);
  // Renewed: node 5 again, and the listener fires again on the next lapse.
  gen.ExtendNode(clock.Now() + std::chrono::seconds(1));
  ASSERT_OK_AND_ASSIGN(int64_t c, gen.TryNext());
  EXPECT_EQ(DecodeId(c).node, 5);
  EXPECT_GT(c, b);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_FALSE(gen.TryNext().ok());
  EXPECT_EQ(lapses, 2);
}

TEST(IdTest, ANewNodeSortsAfterEverythingIssuedBeforeAndRevokeStopsIds) {
  ManualClock clock(kStart);
  IdGenerator gen({.clock = &clock});
  gen.AssignNode(1023, clock.Now() + std::chrono::hours(1));
  std::vector<int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(gen.Next());  // same millisecond
  gen.AssignNode(0, clock.Now() + std::chrono::hours(1));   // a lower node, same wall millisecond
  ASSERT_OK_AND_ASSIGN(int64_t after, gen.TryNext());
  EXPECT_EQ(DecodeId(after).node, 0);
  EXPECT_GT(after, ids.back());
  gen.RevokeNode(absl::UnavailableError("id generator: the lease on node_id 0 was lost"));
  EXPECT_THAT(gen.TryNext(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("was lost")));
  EXPECT_NE(DecodeId(gen.Next()).node, 0);
  gen.AssignNode(7, clock.Now() + std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(int64_t again, gen.TryNext());
  EXPECT_EQ(DecodeId(again).node, 7);
}

TEST(IdTest, AssignNodeStartsAfterThePreviousHoldersLastMillisecond) {
  ManualClock clock(kStart);
  IdGenerator previous({.clock = &clock});
  previous.AssignNode(9, clock.Now() + std::chrono::hours(1));
  const int64_t last = previous.Next();
  IdGenerator next({.clock = &clock});  // same millisecond, same node id, a new holder
  next.AssignNode(9, clock.Now() + std::chrono::hours(1), /*not_before=*/clock.Now());
  ASSERT_OK_AND_ASSIGN(int64_t first, next.TryNext());
  EXPECT_GT(first, last);
  EXPECT_EQ(DecodeId(first).unix_millis, DecodeId(last).unix_millis + 1);
  clock.Advance(std::chrono::milliseconds(5));  // the wall clock catches up: no further skew
  ASSERT_OK_AND_ASSIGN(int64_t later, next.TryNext());
  EXPECT_EQ(DecodeId(later).unix_millis, DecodeId(last).unix_millis + 5);
}

// A fork()ed child must never issue ids under its parent's node id: a leased/configured generator
// refuses (TryNext) or falls back to another node (Next); a derived one picks a new node.
TEST(IdTest, ForkedChildNeverIssuesIdsUnderTheParentsNode) {
  IdGenerator leased;
  leased.AssignNode(321, Clock::System()->Now() + std::chrono::hours(1));
  IdGenerator configured({.node_id = 654});
  IdGenerator derived;
  ASSERT_OK(leased.TryNext().status());
  ASSERT_OK(configured.TryNext().status());
  const int derived_parent = derived.node_id();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<int64_t> l = leased.TryNext();
    if (l.ok() || l.status().code() != absl::StatusCode::kFailedPrecondition) _exit(10);
    if (DecodeId(leased.Next()).node == 321) _exit(11);
    if (configured.TryNext().ok()) _exit(12);
    if (DecodeId(configured.Next()).node == 654) _exit(13);
    absl::StatusOr<int64_t> d = derived.TryNext();
    if (!d.ok()) _exit(14);
    if (DecodeId(*d).node == derived_parent || derived.node_id() == derived_parent) _exit(15);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The parent is unaffected.
  ASSERT_OK_AND_ASSIGN(int64_t mine, leased.TryNext());
  EXPECT_EQ(DecodeId(mine).node, 321);
  EXPECT_EQ(derived.node_id(), derived_parent);
}

TEST(IdTest, DefaultIsASingleton) {
  IdGenerator* a = IdGenerator::Default();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, IdGenerator::Default());
  int64_t x = a->Next();
  EXPECT_LT(x, a->Next());
  // Stamped with the real time: after the epoch.
  EXPECT_GT(DecodeId(x).unix_millis, kIdEpochUnixMillis);
}

TEST(ClockTest, SystemClockIsASingletonAndManualClockMovesOnlyWhenTold) {
  Clock* sys = Clock::System();
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys, Clock::System());
  EXPECT_GT(ToUnixMicros(sys->Now()), int64_t{1704067200} * 1000000);

  ManualClock clock(kStart);
  EXPECT_EQ(clock.Now(), kStart);
  auto steady = clock.SteadyNow();
  clock.Advance(std::chrono::milliseconds(3));
  EXPECT_EQ(clock.Now(), kStart + std::chrono::milliseconds(3));
  EXPECT_EQ(clock.SteadyNow() - steady, std::chrono::milliseconds(3));
  EXPECT_EQ(FromUnixMicros(ToUnixMicros(kStart)), kStart);
}

}  // namespace
}  // namespace daira
