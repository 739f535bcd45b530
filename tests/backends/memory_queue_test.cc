// The memory bus's storage (src/backends/memory/memory_queue.*) against a model, through the public
// bus::Queue API with a manual clock: the claim order (priority, then run_at, then id) whatever order
// jobs reach the priority lanes in (delayed jobs promoted behind newer ones, released and retried jobs,
// jobs cancelled in the middle of a lane), lease expiry with extended leases, and Clean freeing the
// job slots. The behaviour every backend shares is the conformance suite's (tests/conformance/bus_test.cc).
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "daira/bus/queue.h"
#include "daira/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::ElementsAreArray;

constexpr char kQueue[] = "mem.model";

class MemoryQueueModelTest : public ::testing::Test {
 protected:
  void SetUp() override { SetUpQueue(std::chrono::seconds(60)); }
  void SetUpQueue(std::chrono::milliseconds timeout, bool groups = false) {
    bus::BusOptions options;
    options.queues = {bus::QueueSettings{.name = kQueue}};
    options.queues[0].max_attempts = 1000;
    options.queues[0].timeout = timeout;
    options.queues[0].round_robin_groups = groups;
    options.queues[0].retain_completed = std::chrono::minutes(1);
    options.clock = &clock_;
    auto q = bus::OpenQueue("memory:", nullptr, "", options);
    ASSERT_OK(q.status());
    queue_ = *std::move(q);
  }

  static bus::EnqueueRequest Request() {
    bus::EnqueueRequest r;
    r.queue = kQueue;
    return r;
  }
  // Claims `batch` jobs at a time (the clock moved by `step` before each claim) and completes them with
  // FinishMany until none is due; returns how many (-1 after a failure, which is reported).
  int CompleteAll(const std::string& worker, int batch, std::chrono::microseconds step) {
    int done = 0;
    while (true) {
      clock_.Advance(step);
      auto jobs = queue_->NextBatch(ctx_, kQueue, worker, batch, std::chrono::milliseconds(0));
      if (!jobs.ok()) ADD_FAILURE() << jobs.status();
      if (!jobs.ok() || jobs->empty()) return jobs.ok() ? done : -1;
      std::vector<bus::Queue::JobOutcome> outcomes;
      for (const bus::Job& j : *jobs) outcomes.push_back({.job = &j});
      auto finished = queue_->FinishMany(ctx_, outcomes);
      if (!finished.ok()) ADD_FAILURE() << finished.status();
      if (!finished.ok()) return -1;
      for (const absl::Status& st : *finished) EXPECT_OK(st);
      done += static_cast<int>(jobs->size());
    }
  }
  int64_t NowUs() const { return ToUnixMicros(clock_.Now()); }
  // One job claimed (by "slow", kept active), then `n` more enqueued behind it.
  bus::Job ClaimOneThenEnqueue(int n) {
    EXPECT_OK(queue_->Enqueue(ctx_, Request()).status());
    auto claimed = queue_->Next(ctx_, kQueue, "slow", std::chrono::milliseconds(0));
    EXPECT_OK(claimed.status());
    EXPECT_TRUE(claimed.ok() && claimed->has_value());
    EXPECT_OK(queue_->EnqueueMany(ctx_, std::vector<bus::EnqueueRequest>(n, Request())).status());
    return claimed.ok() && claimed->has_value() ? **claimed : bus::Job{};
  }
  // `active` jobs are active, and once their leases lapsed exactly they are recovered: each of `keep`
  // waits again with the lapse in its error history.
  void ExpectExactlyTheseLapse(int64_t active, const std::vector<bus::Job>& keep) {
    auto counts = queue_->Counts(ctx_, kQueue);
    ASSERT_OK(counts.status());
    EXPECT_EQ(counts->active, active);
    clock_.Advance(std::chrono::seconds(61));
    auto recovered = queue_->RecoverStalled(ctx_, kQueue);
    ASSERT_OK(recovered.status());
    EXPECT_EQ(*recovered, active);
    for (const bus::Job& j : keep) {
      auto now = queue_->Get(ctx_, j.id);
      ASSERT_OK(now.status());
      EXPECT_EQ(now->state, bus::JobState::kWaiting) << j.id;
      EXPECT_EQ(now->errors.size(), 1u) << j.id;
    }
  }

  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<bus::Queue> queue_;
  RequestContext ctx_;
};

// A random mix of enqueues (three priorities, some delayed), clock moves, claims (one by one and in
// batches), releases, failures (retried after their backoff), completions and cancels; every claim
// must return exactly the due jobs the model ranks first.
TEST_F(MemoryQueueModelTest, ClaimOrderMatchesTheModelUnderRandomOperations) {
  // Leases of an hour: the run (about a minute of the clock) never sees one lapse.
  SetUpQueue(std::chrono::hours(1));
  struct Waiting {
    int priority;
    int64_t run_at;
  };
  std::map<int64_t, Waiting> waiting;  // the model: id -> its claim key
  std::vector<bus::Job> active;
  std::mt19937 rng(12);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int claims = 0;
  for (int round = 0; round < 400; ++round) {
    switch (pick(6)) {
      case 0:
      case 1: {  // enqueue 1..8 jobs, some delayed
        std::vector<bus::EnqueueRequest> batch;
        for (int i = pick(8); i >= 0; --i) {
          bus::EnqueueRequest r;
          r.queue = kQueue;
          r.name = "m";
          r.payload = R"({"n":1})";
          r.priority = pick(3);
          if (pick(3) == 0) r.delay = std::chrono::milliseconds(pick(3000));
          batch.push_back(r);
        }
        auto out = queue_->EnqueueMany(ctx_, batch);
        ASSERT_OK(out.status());
        for (size_t i = 0; i < batch.size(); ++i) {
          waiting[(*out)[i].id] = {batch[i].priority, NowUs() + batch[i].delay.count() * 1000};
        }
        break;
      }
      case 2:  // time passes (sometimes not at all: equal run_at values)
        clock_.Advance(std::chrono::milliseconds(pick(3) == 0 ? 0 : pick(1500)));
        break;
      case 3: {  // claim: the model's first due jobs, in order
        const int n = 1 + pick(5);
        std::vector<std::tuple<int, int64_t, int64_t>> due;
        for (const auto& [id, w] : waiting) {
          if (w.run_at <= NowUs()) due.emplace_back(-w.priority, w.run_at, id);
        }
        std::sort(due.begin(), due.end());
        std::vector<int64_t> expected;
        for (size_t i = 0; i < due.size() && static_cast<int>(i) < n; ++i)
          expected.push_back(std::get<2>(due[i]));
        std::vector<bus::Job> got;
        if (n == 1) {
          auto job = queue_->Next(ctx_, kQueue, "w", std::chrono::milliseconds(0));
          ASSERT_OK(job.status());
          if (job->has_value()) got.push_back(**job);
        } else {
          auto jobs = queue_->NextBatch(ctx_, kQueue, "w", n, std::chrono::milliseconds(0));
          ASSERT_OK(jobs.status());
          got = *jobs;
        }
        std::vector<int64_t> ids;
        for (const bus::Job& j : got) ids.push_back(j.id);
        ASSERT_THAT(ids, ElementsAreArray(expected)) << "round " << round;
        for (bus::Job& j : got) {
          EXPECT_EQ(j.payload, R"({"n":1})");
          EXPECT_EQ(j.state, bus::JobState::kActive);
          waiting.erase(j.id);
          active.push_back(std::move(j));
        }
        ++claims;
        break;
      }
      case 4: {  // finish an active job: complete, release (due now) or fail (due after its backoff)
        if (active.empty()) break;
        const int i = pick(static_cast<int>(active.size()));
        const bus::Job job = active[i];
        active.erase(active.begin() + i);
        switch (pick(3)) {
          case 0:
            ASSERT_OK(queue_->Complete(ctx_, job));
            break;
          case 1:
            ASSERT_OK(queue_->Release(ctx_, job));
            waiting[job.id] = {job.priority, NowUs()};
            break;
          default: {
            ASSERT_OK(queue_->Fail(ctx_, job, "boom"));
            auto stored = queue_->Get(ctx_, job.id);
            ASSERT_OK(stored.status());
            ASSERT_EQ(stored->state, bus::JobState::kWaiting);
            waiting[job.id] = {job.priority, ToUnixMicros(stored->run_at)};
          }
        }
        break;
      }
      default: {  // cancel a waiting job (often in the middle of its lane)
        if (waiting.empty()) break;
        auto it = std::next(waiting.begin(), pick(static_cast<int>(waiting.size())));
        ASSERT_OK(queue_->Cancel(ctx_, it->first));
        waiting.erase(it);
      }
    }
  }
  EXPECT_GT(claims, 40);
  // The rest drains in model order too, and nothing is claimed twice.
  for (const bus::Job& j : active) ASSERT_OK(queue_->Complete(ctx_, j));
  clock_.Advance(std::chrono::hours(2));
  std::vector<std::tuple<int, int64_t, int64_t>> rest;
  for (const auto& [id, w] : waiting) rest.emplace_back(-w.priority, w.run_at, id);
  std::sort(rest.begin(), rest.end());
  std::vector<int64_t> expected, got;
  for (const auto& r : rest) expected.push_back(std::get<2>(r));
  while (true) {
    auto jobs = queue_->NextBatch(ctx_, kQueue, "w", 7, std::chrono::milliseconds(0));
    ASSERT_OK(jobs.status());
    if (jobs->empty()) break;
    for (const bus::Job& j : *jobs) {
      got.push_back(j.id);
      ASSERT_OK(queue_->Complete(ctx_, j));
    }
  }
  EXPECT_THAT(got, ElementsAreArray(expected));
  auto counts = queue_->Counts(ctx_, kQueue);
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->waiting + counts->delayed + counts->active, 0);
}

// A job released at the very microsecond it was enqueued and claimed comes back once, ahead of the
// later job of the same instant (its key is smaller), and is not claimed twice.
TEST_F(MemoryQueueModelTest, AJobReleasedInTheSameMicrosecondIsClaimedOnceMore) {
  auto a = queue_->Enqueue(ctx_, Request());
  auto b = queue_->Enqueue(ctx_, Request());
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  auto first = queue_->Next(ctx_, kQueue, "w", std::chrono::milliseconds(0));
  ASSERT_OK(first.status());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->id, a->id);
  ASSERT_OK(queue_->Release(ctx_, **first));
  std::vector<int64_t> ids;
  while (true) {
    auto job = queue_->Next(ctx_, kQueue, "w", std::chrono::milliseconds(0));
    ASSERT_OK(job.status());
    if (!job->has_value()) break;
    ids.push_back((*job)->id);
  }
  EXPECT_THAT(ids, ElementsAreArray({a->id, b->id}));
}

// With round-robin groups a job may be claimed from the middle of its lane; failed, it waits for its
// backoff like any other (the lane entry it left is not claimable again).
TEST_F(MemoryQueueModelTest, AGroupJobClaimedFromTheMiddleAndRetriedWaitsForItsBackoff) {
  SetUpQueue(std::chrono::seconds(60), /*groups=*/true);
  std::vector<int64_t> ids;
  for (const char* group : {"a", "a", "b", "a"}) {
    bus::EnqueueRequest r = Request();
    r.group_key = group;
    auto out = queue_->Enqueue(ctx_, r);
    ASSERT_OK(out.status());
    ids.push_back(out->id);
  }
  auto next = [&]() -> std::optional<bus::Job> {
    auto job = queue_->Next(ctx_, kQueue, "w", std::chrono::milliseconds(0));
    EXPECT_OK(job.status());
    return job.ok() ? *job : std::nullopt;
  };
  auto a1 = next();
  ASSERT_TRUE(a1.has_value());
  EXPECT_EQ(a1->id, ids[0]);
  auto b1 = next();  // group b was never served: taken from behind a2
  ASSERT_TRUE(b1.has_value());
  EXPECT_EQ(b1->id, ids[2]);
  ASSERT_OK(queue_->Fail(ctx_, *b1, "retry me"));  // due again after the backoff (about 1 s)
  for (int64_t id : {ids[1], ids[3]}) {            // group a's others: b's old lane entry is passed over
    auto a = next();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->id, id);
  }
  EXPECT_FALSE(next().has_value());
  clock_.Advance(std::chrono::seconds(2));
  auto again = next();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, ids[2]);
  EXPECT_EQ(again->attempt, 2);
  EXPECT_FALSE(next().has_value());
}

// Leases expire in expiry order, an extended lease later than the others (an out-of-order entry), and
// a finished job's lease never expires.
TEST_F(MemoryQueueModelTest, LeasesExpireInExpiryOrderWithExtensions) {
  std::vector<bus::Job> jobs;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(queue_->Enqueue(ctx_, Request()).status());
    auto job = queue_->Next(ctx_, kQueue, "w" + std::to_string(i), std::chrono::milliseconds(0));
    ASSERT_OK(job.status());
    ASSERT_TRUE(job->has_value());
    jobs.push_back(**job);
    clock_.Advance(std::chrono::seconds(1));
  }
  // Leases end at +60, +61, +62, +63 s from the first claim; job 0's is extended to +100 s, job 3
  // completes.
  ASSERT_OK(queue_->ExtendLease(ctx_, jobs[0], std::chrono::seconds(96)).status());
  ASSERT_OK(queue_->Complete(ctx_, jobs[3]));
  clock_.Advance(std::chrono::seconds(59));  // +63 s
  auto recovered = queue_->RecoverStalled(ctx_, kQueue);
  ASSERT_OK(recovered.status());
  EXPECT_EQ(*recovered, 2);  // jobs 1 and 2
  for (int i : {1, 2}) {
    auto j = queue_->Get(ctx_, jobs[i].id);
    ASSERT_OK(j.status());
    EXPECT_EQ(j->state, bus::JobState::kWaiting);
    ASSERT_EQ(j->errors.size(), 1u);
    EXPECT_EQ(j->errors[0].worker, "w" + std::to_string(i));
  }
  EXPECT_THAT(queue_->Complete(ctx_, jobs[1]), StatusIs(absl::StatusCode::kFailedPrecondition));
  auto due = queue_->Get(ctx_, jobs[0].id);
  ASSERT_OK(due.status());
  EXPECT_EQ(due->state, bus::JobState::kActive);
  clock_.Advance(std::chrono::seconds(40));  // +103 s: job 0's extended lease is over
  recovered = queue_->RecoverStalled(ctx_, kQueue);
  ASSERT_OK(recovered.status());
  EXPECT_EQ(*recovered, 1);
  EXPECT_THAT(queue_->Complete(ctx_, jobs[0]), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// One long-running job while thousands of others are claimed and completed behind it: the finished
// jobs' lease entries are compacted away, and the long job's lease still lapses (once) at its time.
TEST_F(MemoryQueueModelTest, ALongJobsLeaseLapsesAfterThousandsFinishedBehindIt) {
  const bus::Job long_job = ClaimOneThenEnqueue(3000);
  EXPECT_EQ(CompleteAll("fast", 50, std::chrono::microseconds(5)), 3000);
  clock_.Advance(std::chrono::seconds(61));
  auto recovered = queue_->RecoverStalled(ctx_, kQueue);
  ASSERT_OK(recovered.status());
  EXPECT_EQ(*recovered, 1);
  auto j = queue_->Get(ctx_, long_job.id);
  ASSERT_OK(j.status());
  EXPECT_EQ(j->state, bus::JobState::kWaiting);
  auto counts = queue_->Counts(ctx_, kQueue);
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->completed, 3000);
  EXPECT_EQ(counts->active, 0);
}

// Jobs finished in an order other than their claims' (each one's lease entry goes stale where it is)
// while the lease FIFO wraps around and grows: exactly the jobs still active lapse, each once, and the
// finished ones' late completions are refused.
TEST_F(MemoryQueueModelTest, LeasesFinishedOutOfClaimOrderLeaveOnlyTheActiveOnesToLapse) {
  std::vector<bus::EnqueueRequest> batch(300, Request());
  ASSERT_OK(queue_->EnqueueMany(ctx_, batch).status());
  std::mt19937 rng(12);
  std::vector<bus::Job> active;
  // Claim 10 and finish 5 of them in claim order (the FIFO's front moves), then claim the rest in
  // batches of 7 (the FIFO grows while its front is not at the buffer's start).
  auto claim = [&](int n) {
    clock_.Advance(std::chrono::microseconds(3));
    auto jobs = queue_->NextBatch(ctx_, kQueue, "w", n, std::chrono::milliseconds(0));
    ASSERT_OK(jobs.status());
    for (bus::Job& j : *jobs) active.push_back(std::move(j));
  };
  claim(10);
  for (int i = 0; i < 5; ++i) ASSERT_OK(queue_->Complete(ctx_, active[i]));
  active.erase(active.begin(), active.begin() + 5);
  while (active.size() < 295) claim(7);
  ASSERT_EQ(active.size(), 295u);
  // Finish all but 9, in a random order, a few at a time.
  std::vector<bus::Job> finished = active;
  std::shuffle(finished.begin(), finished.end(), rng);
  std::vector<bus::Job> keep(finished.end() - 9, finished.end());
  finished.resize(finished.size() - 9);
  for (size_t i = 0; i < finished.size(); i += 11) {
    std::vector<bus::Queue::JobOutcome> outcomes;
    for (size_t k = i; k < std::min(finished.size(), i + 11); ++k) outcomes.push_back({.job = &finished[k]});
    auto done = queue_->FinishMany(ctx_, outcomes);
    ASSERT_OK(done.status());
    for (const absl::Status& st : *done) EXPECT_OK(st);
  }
  ExpectExactlyTheseLapse(9, keep);
  auto recovered = queue_->RecoverStalled(ctx_, kQueue);
  ASSERT_OK(recovered.status());
  EXPECT_EQ(*recovered, 0);
  EXPECT_THAT(queue_->Complete(ctx_, finished.front()), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The lapsed jobs run again, then nothing is left active.
  EXPECT_EQ(CompleteAll("again", 4, std::chrono::microseconds(1)), 9);
  auto counts = queue_->Counts(ctx_, kQueue);
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->active, 0);
  EXPECT_EQ(counts->completed, 300);
}

// A job finished out of claim order marks its lease entry stale where it is, found by the position it
// was given at its claim (session 17). Here after the FIFO was compacted (a long job at its front,
// thousands finished behind it), which moves the live entries: the marks still land on the finished
// jobs' entries only, and exactly the still active jobs lapse, each once.
TEST_F(MemoryQueueModelTest, LeasesFinishedOutOfOrderAfterACompactionLeaveOnlyTheActiveOnesToLapse) {
  const bus::Job long_job = ClaimOneThenEnqueue(3000);
  // Claim 40 (their entries behind the long job's), then finish 3,000 others behind them: the FIFO
  // outgrows 2 x active + 1,024 and is compacted while those 40 are live.
  clock_.Advance(std::chrono::microseconds(3));
  auto held = queue_->NextBatch(ctx_, kQueue, "held", 40, std::chrono::milliseconds(0));
  ASSERT_OK(held.status());
  ASSERT_EQ(held->size(), 40u);
  ASSERT_OK(queue_->EnqueueMany(ctx_, std::vector<bus::EnqueueRequest>(40, Request())).status());
  EXPECT_EQ(CompleteAll("fast", 50, std::chrono::microseconds(5)), 3000);
  // Finish 36 of the 40 in a random order: 4 and the long job stay active.
  std::vector<bus::Job> finished = *held;
  std::shuffle(finished.begin(), finished.end(), std::mt19937(17));
  std::vector<bus::Job> keep(finished.end() - 4, finished.end());
  finished.resize(36);
  for (const bus::Job& j : finished) ASSERT_OK(queue_->Complete(ctx_, j));
  keep.push_back(long_job);
  ExpectExactlyTheseLapse(5, keep);
  EXPECT_THAT(queue_->Complete(ctx_, finished.front()), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(CompleteAll("again", 4, std::chrono::microseconds(1)), 5);
  auto counts = queue_->Counts(ctx_, kQueue);
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->active, 0);
  EXPECT_EQ(counts->completed, 3041);
}

// Bursts larger than the lanes' and lease FIFO's kept capacity (4,096 entries: a drained larger buffer
// is given back) pass through twice, claimed in id order each time.
TEST_F(MemoryQueueModelTest, BurstsBeyondTheKeptCapacityPassThroughInOrder) {
  for (int round = 0; round < 2; ++round) {
    std::vector<bus::EnqueueRequest> batch(5000, Request());
    auto ids = queue_->EnqueueMany(ctx_, batch);
    ASSERT_OK(ids.status());
    // All 5,000 claimed (in the lease FIFO at once), then finished in one batch.
    std::vector<bus::Job> claimed;
    int64_t last = 0;
    while (true) {
      auto jobs = queue_->NextBatch(ctx_, kQueue, "w", 1000, std::chrono::milliseconds(0));
      ASSERT_OK(jobs.status());
      if (jobs->empty()) break;
      for (bus::Job& j : *jobs) {
        EXPECT_GT(j.id, last);
        last = j.id;
        claimed.push_back(std::move(j));
      }
    }
    ASSERT_EQ(claimed.size(), 5000u);
    EXPECT_EQ(last, ids->back().id);
    std::vector<bus::Queue::JobOutcome> outcomes;
    for (const bus::Job& j : claimed) outcomes.push_back({.job = &j});
    auto finished = queue_->FinishMany(ctx_, outcomes);
    ASSERT_OK(finished.status());
    for (const absl::Status& st : *finished) EXPECT_OK(st);
  }
  auto counts = queue_->Counts(ctx_, kQueue);
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->completed, 10000);
  EXPECT_EQ(counts->active, 0);
}

// Clean removes finished jobs across several storage chunks (256 jobs each): they are gone for Get,
// the counts are empty, and new jobs keep increasing ids.
TEST_F(MemoryQueueModelTest, CleanRemovesFinishedJobsAcrossChunks) {
  bus::EnqueueRequest request;
  request.queue = kQueue;
  request.payload = R"({"big":"0123456789abcdef"})";
  std::vector<bus::EnqueueRequest> batch(700, request);
  auto ids = queue_->EnqueueMany(ctx_, batch);
  ASSERT_OK(ids.status());
  EXPECT_EQ(CompleteAll("w", 64, std::chrono::microseconds(0)), 700);
  clock_.Advance(std::chrono::minutes(2));
  auto cleaned = queue_->Clean(ctx_, kQueue);
  ASSERT_OK(cleaned.status());
  EXPECT_EQ(*cleaned, 700);
  EXPECT_THAT(queue_->Get(ctx_, ids->front().id).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(queue_->Get(ctx_, ids->back().id).status(), StatusIs(absl::StatusCode::kNotFound));
  auto counts = queue_->Counts(ctx_, kQueue);
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->completed, 0);
  request.payload = R"({"after":"clean"})";
  auto next = queue_->Enqueue(ctx_, request);
  ASSERT_OK(next.status());
  EXPECT_GT(next->id, ids->back().id);
  auto job = queue_->Next(ctx_, kQueue, "w", std::chrono::milliseconds(0));
  ASSERT_OK(job.status());
  ASSERT_TRUE(job->has_value());
  EXPECT_EQ((*job)->id, next->id);
  EXPECT_EQ((*job)->payload, R"({"after":"clean"})");
  EXPECT_EQ((*job)->queue, kQueue);
}

// A stored job's texts are made once, at enqueue, in one block: a claim and every Get hand out
// references to those bytes (no copy), and a claimed job keeps them after Clean removed the job.
TEST_F(MemoryQueueModelTest, ClaimsHandOutTheStoredTextsByReference) {
  bus::EnqueueRequest r = Request();
  r.name = "event.with.a.long.name";
  r.payload = R"({"user":42,"kind":"view","padding":"0123456789"})";
  r.group_key = "tenant-with-a-long-name";
  r.correlation_id = "corr-0123456789abcdef";
  ASSERT_OK_AND_ASSIGN(bus::EnqueueResult e, queue_->Enqueue(ctx_, r));
  ASSERT_OK_AND_ASSIGN(bus::Job before, queue_->Get(ctx_, e.id));
  ASSERT_OK_AND_ASSIGN(std::optional<bus::Job> claimed,
                       queue_->Next(ctx_, kQueue, "worker-with-a-long-id", std::chrono::milliseconds(0)));
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->queue, kQueue);
  EXPECT_EQ(claimed->name, r.name);
  EXPECT_EQ(claimed->payload, r.payload);
  EXPECT_EQ(claimed->group_key, r.group_key);
  EXPECT_EQ(claimed->correlation_id, r.correlation_id);
  EXPECT_EQ(claimed->lease_owner, "worker-with-a-long-id");
  for (auto field : {&bus::Job::queue, &bus::Job::name, &bus::Job::payload, &bus::Job::group_key,
                     &bus::Job::correlation_id}) {
    EXPECT_EQ(((*claimed).*field).data(), (before.*field).data());
  }
  ASSERT_OK_AND_ASSIGN(bus::Job after, queue_->Get(ctx_, e.id));
  EXPECT_EQ(after.lease_owner.data(), claimed->lease_owner.data());
  ASSERT_OK(queue_->Complete(ctx_, *claimed));
  clock_.Advance(std::chrono::minutes(2));  // past retain_completed
  ASSERT_OK_AND_ASSIGN(int64_t cleaned, queue_->Clean(ctx_, kQueue));
  EXPECT_EQ(cleaned, 1);
  EXPECT_EQ(claimed->payload, r.payload);  // the claimed copy still holds its texts
  EXPECT_EQ(before.correlation_id, r.correlation_id);
}

}  // namespace
}  // namespace daira
