// realtime::Hub conformance: one suite, instantiated /memory and /redis.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_hub.h"
#include "backends/redis/redis_url.h"
#include "daira/realtime/channel.h"
#include "daira/realtime/dispatcher.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_redis.h"
#include "realtime_test_support.h"
#include "status_matchers.h"

namespace daira::realtime {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Generous: only reached when something is broken (no timing assertions; waits end on arrival).
constexpr auto kWait = 10s;

std::vector<uint64_t> Sequences(const std::vector<Message>& ms) {
  std::vector<uint64_t> out;
  for (const auto& m : ms) out.push_back(m.sequence);
  return out;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

// Reads exactly n messages (fails the test when one does not arrive).
std::vector<Message> Take(Subscription& sub, size_t n) {
  std::vector<Message> out;
  while (out.size() < n) {
    auto m = sub.Next(std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
    EXPECT_TRUE(m.ok()) << "after " << out.size() << " of " << n << ": " << m.status();
    if (!m.ok()) break;
    out.push_back(*std::move(m));
  }
  return out;
}

class RealtimeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { env_ = std::make_unique<testing::RealtimeTestEnv>(GetParam()); }
  void TearDown() override { env_.reset(); }
  absl::StatusOr<std::unique_ptr<Hub>> Open(const HubOptions& options = {}) { return env_->OpenHub(options); }
  bool Redis() const { return GetParam() == "redis"; }

  std::unique_ptr<testing::RealtimeTestEnv> env_;
};

TEST_P(RealtimeTest, NameIsTheBackend) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  EXPECT_EQ(hub->Name(), GetParam());
}

TEST_P(RealtimeTest, OrderWithinAChannelIsPublishOrderWithGaplessSequences) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("conversation:1"));
  std::vector<Position> published;
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK_AND_ASSIGN(Position p, hub->Publish("conversation:1", "m" + std::to_string(i)));
    published.push_back(p);
  }
  auto got = Take(*sub, 200);
  ASSERT_EQ(got.size(), 200u);
  EXPECT_THAT(Sequences(got), ::testing::ElementsAreArray(Range(1, 200)));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(got[i].payload, "m" + std::to_string(i));
    EXPECT_EQ(got[i].channel, "conversation:1");
    EXPECT_EQ(got[i].position(), published[i]);
    EXPECT_NE(got[i].epoch, 0u);
  }
  EXPECT_EQ(sub->dropped(), 0u);
  EXPECT_EQ(sub->interruptions(), 0u);
  EXPECT_EQ(sub->last_position(), published.back());
}

TEST_P(RealtimeTest, PublishBatchKeepsOrderAndValidatesFirst) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:batch"));
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 50; ++i) batch.push_back({"topic:batch", std::to_string(i)});
  ASSERT_OK_AND_ASSIGN(auto positions, hub->PublishBatch(batch));
  ASSERT_EQ(positions.size(), 50u);
  EXPECT_EQ(positions.back().sequence, 50u);
  auto got = Take(*sub, 50);
  EXPECT_THAT(Sequences(got), ::testing::ElementsAreArray(Range(1, 50)));
  std::vector<OutgoingMessage> bad = {{"topic:batch", "ok"}, {"nope", "x"}};
  EXPECT_THAT(hub->PublishBatch(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("message 1")));
  EXPECT_FALSE(sub->TryNext().has_value());  // nothing of the refused batch was published
}

TEST_P(RealtimeTest, PatternsReceiveMatchingChannelsOnly) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto sports, hub->Subscribe("topic:sports.*"));
  ASSERT_OK_AND_ASSIGN(auto users, hub->Subscribe("user:*"));
  ASSERT_OK(hub->Publish("topic:news", "n").status());
  ASSERT_OK(hub->Publish("topic:sports.live", "s1").status());
  ASSERT_OK(hub->Publish("user:7", "u").status());
  ASSERT_OK(hub->Publish("topic:sports.results", "s2").status());
  auto s = Take(*sports, 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].channel, "topic:sports.live");
  EXPECT_EQ(s[1].channel, "topic:sports.results");
  auto u = Take(*users, 1);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].channel, "user:7");
  EXPECT_EQ(u[0].payload, "u");
  // Nothing else arrives: a marker published last on a matching channel is the next message.
  ASSERT_OK(hub->Publish("topic:sports.end", "marker").status());
  auto end = Take(*sports, 1);
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].payload, "marker");
}

TEST_P(RealtimeTest, BadNamesAndOptionsAreRefusedByName) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open({.max_payload = 16}));
  EXPECT_THAT(hub->Publish("user:bob", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user:bob")));
  EXPECT_THAT(hub->Publish("lobby", "x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lobby")));
  EXPECT_THAT(hub->Publish("user:*", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(hub->Publish("user:1", std::string(17, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_payload")));
  EXPECT_THAT(hub->Subscribe("topic:a b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("topic:a b")));
  EXPECT_THAT(hub->Subscribe("user:1", {.queue_size = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("queue_size")));
  EXPECT_THAT(hub->Subscribe("user:*", {.resume_from = Position{1, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resume_from")));
  EXPECT_THAT(hub->Recover("nope", {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(RealtimeTest, DroppingASubscriptionUnsubscribes) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto keep, hub->Subscribe("user:5"));
  {
    ASSERT_OK_AND_ASSIGN(auto gone, hub->Subscribe("user:5"));
    ASSERT_OK_AND_ASSIGN(auto gone_pattern, hub->Subscribe("user:*"));
  }
  ASSERT_OK(hub->Publish("user:5", "still here").status());
  auto got = Take(*keep, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "still here");
}

TEST_P(RealtimeTest, FdPollsReadableExactlyWhileAMessageIsQueued) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:fd"));
  pollfd p{sub->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  ASSERT_OK(hub->Publish("topic:fd", "a").status());
  ASSERT_OK(hub->Publish("topic:fd", "b").status());
  p.revents = 0;
  ASSERT_EQ(::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kWait).count())), 1);
  EXPECT_TRUE(p.revents & POLLIN);
  auto got = Take(*sub, 2);  // b may still be in flight on redis://; Take waits for it
  ASSERT_EQ(got.size(), 2u);
  p.revents = 0;
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  EXPECT_FALSE(sub->TryNext().has_value());
  EXPECT_THAT(sub->Next(1ms), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// Several threads waiting in Next on subscriptions of one hub (on redis:// one of them reads the
// connection for all, the others follow), next to a subscription consumed only through its fd (served
// by the hub's thread): each gets exactly its own messages, in order.
TEST_P(RealtimeTest, ConsumersWaitingInNextOnSeveralThreadsAndAPolledOneEachGetTheirOwn) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  constexpr int kThreads = 3, kMessages = 200;
  std::vector<std::unique_ptr<Subscription>> subs;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:lf" + std::to_string(t)));
    subs.push_back(std::move(sub));
  }
  ASSERT_OK_AND_ASSIGN(auto polled, hub->Subscribe("topic:lf-polled", {.queue_size = kMessages}));
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kMessages; ++i) {
        auto m = subs[t]->Next(kWait);
        if (!m.ok()) return;
        got[t].push_back(m->payload);
      }
    });
  }
  std::vector<std::string> expected;
  for (int i = 0; i < kMessages; ++i) {
    expected.push_back(std::to_string(i));
    for (int t = 0; t < kThreads; ++t)
      ASSERT_OK(hub->Publish("topic:lf" + std::to_string(t), expected.back()).status());
    ASSERT_OK(hub->Publish("topic:lf-polled", expected.back()).status());
  }
  std::vector<std::string> polled_got;
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (polled_got.size() < static_cast<size_t>(kMessages) && std::chrono::steady_clock::now() < until) {
    pollfd p{polled->fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    while (auto m = polled->TryNext()) polled_got.push_back(m->payload);
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], expected) << "thread " << t;
  EXPECT_EQ(polled_got, expected);
  EXPECT_EQ(polled->dropped(), 0u);
}

// The eventfd is kept in step only once fd() has been asked for: a message queued before that must
// still make the first poll readable, and reading it with Next must make it unreadable again.
TEST_P(RealtimeTest, FdAskedForAfterAMessageQueuedPollsReadable) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:fd-late"));
  ASSERT_OK(hub->Publish("topic:fd-late", "early").status());
  ASSERT_OK_AND_ASSIGN(Message first, sub->Next(kWait));  // consumed without the fd
  EXPECT_EQ(first.payload, "early");
  ASSERT_OK(hub->Publish("topic:fd-late", "queued").status());
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (sub->queued() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(sub->queued(), 1u);
  pollfd p{sub->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 0), 1);
  EXPECT_TRUE(p.revents & POLLIN);
  ASSERT_OK_AND_ASSIGN(Message second, sub->Next(kWait));
  EXPECT_EQ(second.payload, "queued");
  p.revents = 0;
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}

TEST_P(RealtimeTest, ASlowSubscriberDropsOldestAndCountsWithoutDelayingAFastOne) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto slow, hub->Subscribe("topic:busy", {.queue_size = 4}));
  ASSERT_OK_AND_ASSIGN(auto fast, hub->Subscribe("topic:busy", {.queue_size = 1000}));
  for (int i = 1; i <= 100; ++i) ASSERT_OK(hub->Publish("topic:busy", std::to_string(i)).status());
  // The fast one gets everything while the slow one has not read a single message.
  auto all = Take(*fast, 100);
  EXPECT_THAT(Sequences(all), ::testing::ElementsAreArray(Range(1, 100)));
  EXPECT_EQ(fast->dropped(), 0u);
  // The slow one keeps the newest (at most 4 queued) and counts the rest.
  std::vector<uint64_t> kept;
  while (kept.empty() || kept.back() != 100) {
    auto m = slow->Next(std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
    ASSERT_OK(m.status());
    kept.push_back(m->sequence);
  }
  EXPECT_LE(kept.size(), 5u);
  EXPECT_EQ(kept.size() + slow->dropped(), 100u);
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  EXPECT_OK(slow->status());
}

TEST_P(RealtimeTest, TheDisconnectPolicyClosesOnlyTheSlowSubscription) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(
      auto slow, hub->Subscribe("topic:busy", {.queue_size = 3, .slow_consumer = SlowConsumer::kDisconnect}));
  ASSERT_OK_AND_ASSIGN(auto fast, hub->Subscribe("topic:busy"));
  for (int i = 1; i <= 10; ++i) ASSERT_OK(hub->Publish("topic:busy", std::to_string(i)).status());
  EXPECT_THAT(Sequences(Take(*fast, 10)), ::testing::ElementsAreArray(Range(1, 10)));
  // The three queued before the overflow stay readable, then the reason.
  EXPECT_THAT(Sequences(Take(*slow, 3)), ::testing::ElementsAre(1, 2, 3));
  EXPECT_THAT(slow->Next(kWait / 1000),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("slow consumer")));
  EXPECT_EQ(slow->dropped(), 0u);
}

TEST_P(RealtimeTest, RecoveryReturnsExactlyWhatWasMissed) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  Position seen;
  {
    ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("conversation:9"));
    for (int i = 1; i <= 10; ++i) ASSERT_OK(hub->Publish("conversation:9", std::to_string(i)).status());
    Take(*sub, 4);
    seen = *sub->last_position();
  }
  EXPECT_EQ(seen.sequence, 4u);
  for (int i = 11; i <= 15; ++i) ASSERT_OK(hub->Publish("conversation:9", std::to_string(i)).status());
  ASSERT_OK_AND_ASSIGN(auto missed, hub->Recover("conversation:9", seen));
  EXPECT_THAT(Sequences(missed), ::testing::ElementsAreArray(Range(5, 15)));
  EXPECT_EQ(missed.front().payload, "5");
  EXPECT_EQ(missed.front().epoch, seen.epoch);
  // Up to date: nothing to recover.
  ASSERT_OK_AND_ASSIGN(auto none, hub->Recover("conversation:9", missed.back().position()));
  EXPECT_TRUE(none.empty());
  // The whole current epoch.
  ASSERT_OK_AND_ASSIGN(auto whole, hub->Recover("conversation:9", Position{}));
  EXPECT_THAT(Sequences(whole), ::testing::ElementsAreArray(Range(1, 15)));
  // A channel never published: nothing, not an error.
  ASSERT_OK_AND_ASSIGN(auto empty, hub->Recover("conversation:10", Position{}));
  EXPECT_TRUE(empty.empty());

  // Resuming a subscription: history first, then live, one copy each.
  ASSERT_OK_AND_ASSIGN(auto resumed, hub->Subscribe("conversation:9", {.resume_from = seen}));
  ASSERT_OK(hub->Publish("conversation:9", "16").status());
  EXPECT_THAT(Sequences(Take(*resumed, 12)), ::testing::ElementsAreArray(Range(5, 16)));
  EXPECT_FALSE(resumed->TryNext().has_value());
}

TEST_P(RealtimeTest, RecoveryIsRefusedWhenHistoryIsTrimmedOrTheEpochChanged) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open({.history = 5}));
  Position first;
  for (int i = 1; i <= 20; ++i) {
    ASSERT_OK_AND_ASSIGN(Position p, hub->Publish("topic:trim", std::to_string(i)));
    if (i == 1) first = p;
  }
  auto trimmed = hub->Recover("topic:trim", Position{first.epoch, 3});
  EXPECT_THAT(trimmed, StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("trimmed")));
  EXPECT_TRUE(IsRecoveryImpossible(trimmed.status()));
  // The oldest kept is 16: from 15 on is exact.
  ASSERT_OK_AND_ASSIGN(auto tail, hub->Recover("topic:trim", Position{first.epoch, 15}));
  EXPECT_THAT(Sequences(tail), ::testing::ElementsAre(16, 17, 18, 19, 20));
  EXPECT_THAT(hub->Recover("topic:trim", Position{first.epoch, 14}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("trimmed")));
  EXPECT_THAT(hub->Recover("topic:trim", Position{first.epoch + 1, 19}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("epoch")));
  EXPECT_THAT(hub->Subscribe("topic:trim", {.resume_from = Position{first.epoch, 2}}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("trimmed")));
  // history=0: nothing kept, so only an up-to-date position recovers.
  ASSERT_OK_AND_ASSIGN(auto bare, Open({.history = 0}));
  ASSERT_OK_AND_ASSIGN(Position p1, bare->Publish("topic:bare", "1"));
  ASSERT_OK_AND_ASSIGN(Position p2, bare->Publish("topic:bare", "2"));
  EXPECT_THAT(bare->Recover("topic:bare", p1), StatusIs(absl::StatusCode::kOutOfRange));
  ASSERT_OK_AND_ASSIGN(auto none, bare->Recover("topic:bare", p2));
  EXPECT_TRUE(none.empty());
}

TEST_P(RealtimeTest, ResumingWhilePublishersRunHasNoDuplicateAndNoGap) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open({.history = 100000}));
  ASSERT_OK_AND_ASSIGN(Position start, hub->Publish("topic:race", "0"));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> last{start.sequence};
  std::thread publisher([&] {
    while (!stop) {
      auto p = hub->Publish("topic:race", "x");
      if (!p.ok()) break;
      last = p->sequence;
    }
  });
  // Let the publisher run a little (observed, not slept): wait until it has published 50 more.
  while (last.load() < start.sequence + 50) std::this_thread::yield();
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:race", {.queue_size = 1000000, .resume_from = start}));
  while (last.load() < start.sequence + 200) std::this_thread::yield();
  stop = true;
  publisher.join();
  const uint64_t end = last.load();
  auto got = Take(*sub, end - start.sequence);
  EXPECT_THAT(Sequences(got), ::testing::ElementsAreArray(Range(start.sequence + 1, end)));
  EXPECT_EQ(sub->dropped(), 0u);
}

TEST_P(RealtimeTest, CloseEndsSubscriptionsAndRefusesPublishes) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("user:1"));
  ASSERT_OK(hub->Close());
  ASSERT_OK(hub->Close());
  EXPECT_THAT(sub->Next(kWait / 1000), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(hub->Publish("user:1", "x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(hub->Subscribe("user:1"), StatusIs(absl::StatusCode::kFailedPrecondition));
  pollfd p{sub->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 1);  // an event loop learns of the close too
}

TEST_P(RealtimeTest, SubscriptionsMayOutliveTheHub) {
  std::unique_ptr<Subscription> sub;
  {
    ASSERT_OK_AND_ASSIGN(auto hub, Open());
    ASSERT_OK_AND_ASSIGN(sub, hub->Subscribe("user:2"));
  }
  EXPECT_THAT(sub->Next(1ms), StatusIs(absl::StatusCode::kFailedPrecondition));
  sub.reset();  // unsubscribing after the hub is gone is harmless
}

TEST_P(RealtimeTest, DispatcherRunsCallbacksInOrderOffThePublishingThread) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto dispatcher, Dispatcher::Create({.threads = 2}));
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> seen;
  std::vector<std::thread::id> threads;
  absl::Status closed_with;
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("conversation:3"));
  ASSERT_OK_AND_ASSIGN(auto listener, dispatcher->Listen(
                                          std::move(sub),
                                          [&](const Message& m) {
                                            std::lock_guard lock(mu);
                                            seen.push_back(m.sequence);
                                            threads.push_back(std::this_thread::get_id());
                                            cv.notify_all();
                                          },
                                          [&](const absl::Status& why) {
                                            std::lock_guard lock(mu);
                                            closed_with = why;
                                            cv.notify_all();
                                          }));
  for (int i = 0; i < 50; ++i) ASSERT_OK(hub->Publish("conversation:3", "x").status());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return seen.size() == 50; }));
    EXPECT_THAT(seen, ::testing::ElementsAreArray(Range(1, 50)));
    for (auto id : threads) EXPECT_NE(id, std::this_thread::get_id());
  }
  ASSERT_OK(hub->Close());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return !closed_with.ok(); }));
    EXPECT_THAT(closed_with, StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  listener.reset();
  EXPECT_THAT(Dispatcher::Create({.threads = 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(RealtimeTest, AListenerMayDetachItselfFromItsOwnCallback) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto dispatcher, Dispatcher::Create({.threads = 1}));
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:once"));
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Dispatcher::Listener> listener;
  int calls = 0;
  bool detached = false;
  std::unique_lock lock(mu);
  ASSERT_OK_AND_ASSIGN(listener, dispatcher->Listen(std::move(sub), [&](const Message&) {
    std::unique_ptr<Dispatcher::Listener> self;
    {
      std::lock_guard inner(mu);
      ++calls;
      self = std::move(listener);
    }
    self.reset();  // detaches from inside the callback: must not deadlock
    std::lock_guard inner(mu);
    detached = true;
    cv.notify_all();
  }));
  lock.unlock();
  ASSERT_OK(hub->Publish("topic:once", "1").status());
  ASSERT_OK(hub->Publish("topic:once", "2").status());
  lock.lock();
  ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return detached; }));
  EXPECT_EQ(calls, 1);  // nothing after the detach
}

TEST_P(RealtimeTest, OpenHubRefusesUnknownSchemesAndParameters) {
  EXPECT_THAT(OpenHub("kafka://x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kafka")));
  EXPECT_THAT(OpenHub("memory:?history=abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history")));
  EXPECT_THAT(OpenHub("memory:?colour=blue"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
  ASSERT_OK_AND_ASSIGN(auto hub, OpenHub("memory:?history=2&max_payload=4"));
  EXPECT_THAT(hub->Publish("user:1", "12345"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Several hubs on one server act as one: only shared backends claim it (memory: is one process by design,
// declared in docs/realtime.md), so this suite is instantiated for them alone rather than skipped.
class RealtimeSharedTest : public RealtimeTest {};

TEST_P(RealtimeSharedTest, TwoHubsOnOneServerExchangeMessagesAndShareSequences) {
  ASSERT_OK_AND_ASSIGN(auto a, Open());
  ASSERT_OK_AND_ASSIGN(auto b, Open());
  ASSERT_OK_AND_ASSIGN(auto on_a, a->Subscribe("conversation:77"));
  ASSERT_OK_AND_ASSIGN(auto on_b, b->Subscribe("conversation:*"));
  ASSERT_OK_AND_ASSIGN(Position p1, a->Publish("conversation:77", "from a"));
  ASSERT_OK_AND_ASSIGN(Position p2, b->Publish("conversation:77", "from b"));
  EXPECT_EQ(p1.epoch, p2.epoch);
  EXPECT_EQ(p2.sequence, p1.sequence + 1);
  for (auto* sub : {on_a.get(), on_b.get()}) {
    auto got = Take(*sub, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].payload, "from a");
    EXPECT_EQ(got[1].payload, "from b");
    EXPECT_EQ(got[1].position(), p2);
  }
  // Either hub recovers what the other published.
  ASSERT_OK_AND_ASSIGN(auto missed, b->Recover("conversation:77", Position{}));
  EXPECT_THAT(Sequences(missed), ::testing::ElementsAre(1, 2));
}

MATCHER_P(IsOkAndHolds, expected, "is OK and holds the expected position") {
  if (!arg.ok()) {
    *result_listener << arg.status();
    return false;
  }
  *result_listener << "epoch " << arg->epoch << " sequence " << arg->sequence;
  return *arg == expected;
}

// The publish script as another hub would run it, with the epoch that hub believes the channel has
// (`cached`, "" for none) and the epoch it would start a new channel with (`candidate`): the script
// replies "<epoch>-<seq>".
absl::StatusOr<Position> PublishAs(backends::redis::RedisConnection& conn, const std::string& prefix,
                                   const std::string& channel, const std::string& cached,
                                   const std::string& candidate, uint64_t history) {
  std::vector<std::string> argv = {"EVAL", backends::redis::RedisHubPublishScript(history, 86400000)};
  for (auto& a : backends::redis::RedisHubPublishScriptArgs(
           prefix, channel, cached.empty() ? "" : cached + "-*", candidate, "1:0", "raw", false)) {
    argv.push_back(std::move(a));
  }
  auto r = conn.Command(std::span<const std::string>(argv));
  if (!r.ok()) return r.status();
  const size_t dash = r->str.find('-');
  if (dash == std::string::npos) return absl::InternalError("unexpected reply: " + r->str);
  return Position{std::stoull(r->str.substr(0, dash)), std::stoull(r->str.substr(dash + 1))};
}

// The hub remembers each channel's epoch so that a publish is one XADD; a hub whose remembered epoch is
// outdated (the channel expired or was lost and restarted under another random epoch, larger or smaller)
// still publishes under the channel's current epoch with the next sequence, and history stays gapless.
TEST_P(RealtimeSharedTest, APublisherWithAnOutdatedEpochContinuesTheChannelsSequence) {
  ASSERT_OK_AND_ASSIGN(auto a, Open());
  ASSERT_OK_AND_ASSIGN(auto url, backends::redis::RedisUrl::Parse(env_->HubUrl()));
  ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(url));
  ASSERT_OK_AND_ASSIGN(auto sub, a->Subscribe("topic:stale"));
  ASSERT_OK_AND_ASSIGN(Position p, a->Publish("topic:stale", "1"));
  ASSERT_OK(a->Publish("topic:stale", "2").status());
  const uint64_t e = p.epoch;
  const auto at = [&](uint64_t seq) { return Position{e, seq}; };
  EXPECT_THAT(PublishAs(*conn, url.prefix, "topic:stale", std::to_string(e + 2), "7", 1000),
              IsOkAndHolds(at(3)));
  EXPECT_THAT(PublishAs(*conn, url.prefix, "topic:stale", std::to_string(e - 1), "7", 1000),
              IsOkAndHolds(at(4)));
  EXPECT_THAT(PublishAs(*conn, url.prefix, "topic:stale", "", "7", 1000), IsOkAndHolds(at(5)));
  EXPECT_THAT(a->Publish("topic:stale", "6"), IsOkAndHolds(at(6)));
  auto live = Take(*sub, 6);
  EXPECT_THAT(Sequences(live), ::testing::ElementsAreArray(Range(1, 6)));
  for (const auto& m : live) EXPECT_EQ(m.epoch, e);
  ASSERT_OK_AND_ASSIGN(auto whole, a->Recover("topic:stale", Position{}));
  EXPECT_THAT(Sequences(whole), ::testing::ElementsAreArray(Range(1, 6)));
  EXPECT_EQ(whole[2].payload, "raw");
  EXPECT_EQ(whole[5].payload, "6");
  for (const auto& m : whole) EXPECT_EQ(m.epoch, e);

  // history 0 keeps no entry to restore the channel's last id from: a larger outdated epoch then starts a
  // new epoch (recovery from the old one is refused), never a wrong sequence.
  ASSERT_OK_AND_ASSIGN(auto bare, Open({.history = 0}));
  ASSERT_OK_AND_ASSIGN(Position b1, bare->Publish("topic:stale0", "1"));
  ASSERT_OK_AND_ASSIGN(Position b2, bare->Publish("topic:stale0", "2"));
  EXPECT_EQ(b2, (Position{b1.epoch, 2}));
  ASSERT_OK_AND_ASSIGN(Position other,
                       PublishAs(*conn, url.prefix, "topic:stale0", std::to_string(b1.epoch + 2), "7", 0));
  EXPECT_EQ(other, (Position{7, 1}));
  ASSERT_OK_AND_ASSIGN(Position b3, bare->Publish("topic:stale0", "3"));
  EXPECT_NE(b3.epoch, b1.epoch);
  EXPECT_THAT(bare->Recover("topic:stale0", b2), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("epoch")));
  ASSERT_OK_AND_ASSIGN(auto none, bare->Recover("topic:stale0", b3));
  EXPECT_TRUE(none.empty());
}

// Each hub sets a channel's TTL on its first publish there (then every history_ttl/64), so a channel
// whose TTL was lost gets one again from the next hub that publishes.
TEST_P(RealtimeSharedTest, EveryHubsFirstPublishToAChannelSetsItsTtl) {
  ASSERT_OK_AND_ASSIGN(auto a, Open({.history_ttl = std::chrono::hours(1)}));
  ASSERT_OK_AND_ASSIGN(auto url, backends::redis::RedisUrl::Parse(env_->HubUrl()));
  ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(url));
  const std::string key = url.prefix + "rt:{topic:ttl}:s";
  ASSERT_OK(a->Publish("topic:ttl", "1").status());
  ASSERT_OK_AND_ASSIGN(auto ttl, conn->Command({"PTTL", key}));
  EXPECT_GT(ttl.integer, 0);
  EXPECT_LE(ttl.integer, 3600000);
  ASSERT_OK(conn->Command({"PERSIST", key}).status());
  ASSERT_OK(a->Publish("topic:ttl", "2").status());  // within a's refresh interval: left alone
  ASSERT_OK_AND_ASSIGN(ttl, conn->Command({"PTTL", key}));
  EXPECT_EQ(ttl.integer, -1);
  ASSERT_OK_AND_ASSIGN(auto b, Open({.history_ttl = std::chrono::hours(1)}));
  ASSERT_OK_AND_ASSIGN(Position p, b->Publish("topic:ttl", "3"));
  EXPECT_EQ(p.sequence, 3u);
  ASSERT_OK_AND_ASSIGN(ttl, conn->Command({"PTTL", key}));
  EXPECT_GT(ttl.integer, 0);
}

// The publish script sends "<epoch>-<seq>:seconds:micros:payload" (the id as XADD returned it); an older
// build's hub sends "<epoch>:<seq>:seconds:micros:payload". A subscriber reads both, exactly and in order,
// on a channel and through a pattern; a message in neither form is not delivered.
TEST_P(RealtimeSharedTest, SubscribersReadThisBuildsAndTheOlderMessageForm) {
  ASSERT_OK_AND_ASSIGN(auto hub, Open());
  ASSERT_OK_AND_ASSIGN(auto url, backends::redis::RedisUrl::Parse(env_->HubUrl()));
  ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(url));
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:forms"));
  ASSERT_OK_AND_ASSIGN(auto pattern, hub->Subscribe("topic:for*"));
  const std::string channel = url.prefix + "rt:topic:forms";
  ASSERT_OK(conn->Command({"PUBLISH", channel, "12-3:1700000000:5:new:form"}).status());
  ASSERT_OK(conn->Command({"PUBLISH", channel, "12:4:1700000001:6:old:form"}).status());
  ASSERT_OK(conn->Command({"PUBLISH", channel, "12-x:1:2:bad"}).status());
  ASSERT_OK_AND_ASSIGN(Position p, hub->Publish("topic:forms", "hub"));
  for (auto* s : {sub.get(), pattern.get()}) {
    auto got = Take(*s, 3);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].channel, "topic:forms");
    EXPECT_EQ(got[0].position(), (Position{12, 3}));
    EXPECT_EQ(got[0].payload, "new:form");
    EXPECT_EQ(got[0].time, Clock::TimePoint{std::chrono::seconds(1700000000) + std::chrono::microseconds(5)});
    EXPECT_EQ(got[1].position(), (Position{12, 4}));
    EXPECT_EQ(got[1].payload, "old:form");
    EXPECT_EQ(got[1].time, Clock::TimePoint{std::chrono::seconds(1700000001) + std::chrono::microseconds(6)});
    EXPECT_EQ(got[2].position(), p);
    EXPECT_EQ(got[2].payload, "hub");
    EXPECT_EQ(s->dropped(), 0u);
  }
}

// Redis restarted mid-test (a private server: the shared one is never disturbed).
class RealtimeRedisRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PrivateRedisAvailable()) {
      if (testing::InCi()) FAIL() << "redis-server is not installed (CI=true)";
      GTEST_SKIP() << "redis-server is not installed: the restart cases are NOT covered";
    }
    ASSERT_OK_AND_ASSIGN(redis_, testing::PrivateRedis::Start());
    env_ = std::make_unique<testing::RealtimeTestEnv>("redis", redis_->url());
  }
  // Publishes probes on `channel` until `sub` receives one (the subscriber connection is back), then
  // returns the last probe's position. Bounded: fails after 3 * kWait of attempts.
  Position WaitUntilLive(Hub& hub, Subscription& sub, std::string_view channel) {
    const auto deadline = std::chrono::steady_clock::now() + 3 * kWait;  // reconnect backoff included
    while (std::chrono::steady_clock::now() < deadline) {
      auto p = hub.Publish(channel, "probe");
      if (!p.ok()) {
        sub.Next(50ms).IgnoreError();  // the pool fails fast while Redis is down: pace the retries
        continue;
      }
      while (true) {
        auto m = sub.Next(100ms);
        if (!m.ok()) break;  // not live yet: publish another probe
        if (m->position() == *p) return *p;
      }
    }
    ADD_FAILURE() << "the subscription never became live again";
    return {};
  }
  std::unique_ptr<testing::PrivateRedis> redis_;
  std::unique_ptr<testing::RealtimeTestEnv> env_;
};

TEST_F(RealtimeRedisRestartTest, SubscribersResubscribeAfterARestartAndRecoveryRefusesTheLostEpoch) {
  ASSERT_OK_AND_ASSIGN(auto hub, env_->OpenHub());
  ASSERT_OK_AND_ASSIGN(auto exact, hub->Subscribe("user:1"));
  ASSERT_OK_AND_ASSIGN(auto pattern, hub->Subscribe("user:*"));
  for (int i = 0; i < 3; ++i) ASSERT_OK(hub->Publish("user:1", "before").status());
  Take(*exact, 3);
  Take(*pattern, 3);
  const Position before = *exact->last_position();

  ASSERT_OK(redis_->Restart());  // empty: the channel's epoch and history are gone

  const Position probe = WaitUntilLive(*hub, *exact, "user:1");
  EXPECT_GE(exact->interruptions(), 1u);
  EXPECT_GE(pattern->interruptions(), 1u);
  EXPECT_NE(probe.epoch, before.epoch);
  EXPECT_EQ(probe.sequence >= 1, true);
  ASSERT_OK_AND_ASSIGN(Position after, hub->Publish("user:1", "after"));
  auto got = Take(*exact, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "after");
  // The pattern subscription is back too: its next "after" arrives (probes may precede it).
  bool pattern_live = false;
  while (!pattern_live) {
    auto m = pattern->Next(std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
    ASSERT_OK(m.status());
    pattern_live = m->position() == after;
  }
  // Recovery says what it cannot recover: the old epoch is gone.
  auto old = hub->Recover("user:1", before);
  EXPECT_THAT(old, StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("epoch")));
  EXPECT_TRUE(IsRecoveryImpossible(old.status()));
  EXPECT_THAT(hub->Subscribe("user:1", {.resume_from = before}), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST_F(RealtimeRedisRestartTest, MessagesMissedWhileTheSubscriberWasDisconnectedAreRecoveredExactly) {
  ASSERT_OK_AND_ASSIGN(auto hub, env_->OpenHub());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("conversation:5"));
  ASSERT_OK(hub->Publish("conversation:5", "1").status());
  Take(*sub, 1);
  const Position seen = *sub->last_position();
  // Cut the subscriber connection only (the server keeps its data), and publish while it is away.
  ASSERT_OK_AND_ASSIGN(auto url, backends::redis::RedisUrl::Parse(redis_->url()));
  ASSERT_OK_AND_ASSIGN(auto admin, backends::redis::RedisConnection::Connect(url));
  ASSERT_OK(admin->Command({"CLIENT", "KILL", "TYPE", "pubsub"}).status());
  for (int i = 2; i <= 6; ++i) ASSERT_OK(hub->Publish("conversation:5", std::to_string(i)).status());
  const Position probe = WaitUntilLive(*hub, *sub, "conversation:5");
  EXPECT_GE(sub->interruptions(), 1u);  // the subscriber learns that live delivery was cut
  // Whatever the live stream lost is in the history, exactly once.
  ASSERT_OK_AND_ASSIGN(auto missed, hub->Recover("conversation:5", seen));
  EXPECT_THAT(Sequences(missed), ::testing::ElementsAreArray(Range(seen.sequence + 1, probe.sequence)));
  EXPECT_EQ(missed[0].payload, "2");
  EXPECT_EQ(missed[4].payload, "6");
}

TEST_F(RealtimeRedisRestartTest, PublishIsUnavailableWhileRedisIsDownAndSubscribeSaysSo) {
  ASSERT_OK_AND_ASSIGN(auto hub, env_->OpenHub());
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:down"));
  ASSERT_OK(redis_->Kill());
  EXPECT_THAT(hub->Publish("topic:down", "x"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(hub->Subscribe("topic:other"), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(redis_->Restart());
  WaitUntilLive(*hub, *sub, "topic:down");
  ASSERT_OK(hub->Subscribe("topic:other").status());
}

// The circuit breaker around the hub's Redis calls (publish, history reads, presence, typing), on a
// manual clock: it opens after breaker_failures, rejects every call without touching Redis, lets one
// probe through after the cool-down (open again when it fails, closed when it succeeds), and the
// subscriber connection — which the breaker does not guard — resubscribes by itself meanwhile.
TEST_F(RealtimeRedisRestartTest, TheBreakerOpensRejectsWithoutRedisProbesAndCloses) {
  using resilience::BreakerState;
  ManualClock clock{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  const std::string url = env_->HubUrl("breaker_failures=2&breaker_failure_rate=0&breaker_cool_down_ms=5000");
  ASSERT_OK_AND_ASSIGN(auto hub, OpenHub(url, {.clock = &clock}));
  ASSERT_OK_AND_ASSIGN(auto presence, Presence::Open(url, *hub, {.clock = &clock}));
  ASSERT_OK_AND_ASSIGN(auto typing, Typing::Open(url, *hub, {.clock = &clock}));
  ASSERT_OK_AND_ASSIGN(auto sub, hub->Subscribe("topic:breaker"));
  ASSERT_OK(hub->Publish("topic:breaker", "1").status());
  ASSERT_OK(presence->Heartbeat(UserId(1), "phone"));
  Take(*sub, 1);
  const Position seen = *sub->last_position();
  const resilience::CircuitBreaker* breaker = hub->breaker();
  ASSERT_NE(breaker, nullptr);
  EXPECT_EQ(breaker->state(), BreakerState::kClosed);
  // The publish, the heartbeat's state update and its announcement on user:1: one breaker per hub.
  EXPECT_EQ(breaker->counts().successes, 3);

  ASSERT_OK(redis_->Kill());
  EXPECT_THAT(hub->Publish("topic:breaker", "x"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(hub->Recover("topic:breaker", seen), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(breaker->state(), BreakerState::kOpen);
  EXPECT_EQ(breaker->counts().opened, 1);
  const int64_t failures = breaker->counts().failures;
  EXPECT_EQ(failures, 2);
  // Open: every call fails at once, naming the breaker; none is counted as a Redis failure.
  const auto rejected =
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("circuit breaker redis realtime is open"));
  EXPECT_THAT(hub->Publish("topic:breaker", "x"), rejected);
  const OutgoingMessage batch[] = {{.channel = "topic:breaker", .payload = "y"}};
  EXPECT_THAT(hub->PublishBatch(batch), rejected);
  EXPECT_THAT(hub->Recover("topic:breaker", seen), rejected);
  EXPECT_THAT(presence->Heartbeat(UserId(1), "phone"), rejected);
  EXPECT_THAT(presence->Get(UserId(1)), rejected);
  EXPECT_THAT(typing->Start(ConversationId(1), UserId(1)), rejected);
  EXPECT_EQ(breaker->counts().failures, failures);
  EXPECT_EQ(breaker->counts().rejected, 6);

  // After the cool-down one call probes; Redis is still down, so it fails and the breaker opens again.
  clock.Advance(std::chrono::seconds(5));
  EXPECT_THAT(hub->Publish("topic:breaker", "x"),
              StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr("circuit breaker"))));
  EXPECT_EQ(breaker->state(), BreakerState::kOpen);
  EXPECT_EQ(breaker->counts().opened, 2);

  // Redis is back, but the breaker is open until its cool-down passes: the calls never reach Redis.
  ASSERT_OK(redis_->Restart());
  EXPECT_THAT(hub->Publish("topic:breaker", "x"), rejected);
  EXPECT_THAT(presence->Heartbeat(UserId(1), "phone"), rejected);
  ASSERT_OK_AND_ASSIGN(auto admin_url, backends::redis::RedisUrl::Parse(redis_->url()));
  ASSERT_OK_AND_ASSIGN(auto admin, backends::redis::RedisConnection::Connect(admin_url));
  ASSERT_OK_AND_ASSIGN(auto stats, admin->Command({"INFO", "commandstats"}));
  EXPECT_THAT(stats.str, Not(HasSubstr("cmdstat_evalsha")));
  EXPECT_THAT(stats.str, Not(HasSubstr("cmdstat_eval:")));

  // A probe that reaches Redis closes it. The pool reconnects with its own backoff (real time), so a
  // probe may still fail fast: then the breaker opens again and the next cool-down brings another one.
  absl::Status probe;
  for (int attempt = 0; attempt < 100; ++attempt) {
    clock.Advance(std::chrono::seconds(5));
    probe = hub->Publish("topic:breaker", "probe").status();
    if (probe.ok()) break;
    EXPECT_THAT(std::string(probe.message()), Not(HasSubstr("circuit breaker")));  // a probe, not a rejection
    sub->Next(50ms).IgnoreError();                                                 // pace the attempts
  }
  ASSERT_OK(probe);
  EXPECT_EQ(breaker->state(), BreakerState::kClosed);
  // The subscription resubscribed by itself (the breaker does not guard it) and receives again.
  WaitUntilLive(*hub, *sub, "topic:breaker");
  EXPECT_GE(sub->interruptions(), 1u);
  // Presence and typing each have their own pool, whose connection from before the restart fails
  // once when it is next used (one failure: below breaker_failures); then they work again.
  if (!presence->Heartbeat(UserId(1), "phone").ok()) {
    ASSERT_OK(presence->Heartbeat(UserId(1), "phone"));
  }
  if (!typing->Start(ConversationId(1), UserId(1)).ok()) {
    ASSERT_OK(typing->Start(ConversationId(1), UserId(1)).status());
  }
  EXPECT_EQ(breaker->state(), BreakerState::kClosed);
}

TEST(RealtimeRedisOpenTest, BadUrlsAreRefusedByName) {
  EXPECT_THAT(OpenHub("redis://127.0.0.1:1/0?history=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history")));
  EXPECT_THAT(OpenHub("redis://127.0.0.1:1/0?colour=blue"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
  EXPECT_THAT(OpenHub("redis://127.0.0.1:1/0?breaker_cool_down_ms=0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("breaker_cool_down_ms")));
  EXPECT_THAT(OpenHub("redis://127.0.0.1:1/0?breaker_failure_rate=2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("breaker_failure_rate")));
  EXPECT_THAT(OpenHub("redis://127.0.0.1:1/0?connect_timeout_ms=200"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RealtimeChannelTest, NamesAndPatterns) {
  EXPECT_OK(ValidateChannel("user:123"));
  EXPECT_OK(ValidateChannel("conversation:1"));
  EXPECT_OK(ValidateChannel("topic:sports.live_2-a"));
  EXPECT_THAT(ValidateChannel("user:"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ValidateChannel("user:123456789012345678901"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateChannel("topic:a?"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateChannel("topic:a[b]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidatePattern("user:*"));
  EXPECT_OK(ValidatePattern("topic:*.live"));
  EXPECT_THAT(ValidatePattern("user:1"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no '*'")));
  EXPECT_THAT(ValidatePattern("*"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(PatternMatches("user:*", "user:1"));
  EXPECT_TRUE(PatternMatches("topic:*.live", "topic:a.b.live"));
  EXPECT_TRUE(PatternMatches("topic:a*b*c", "topic:aXbYbc"));
  EXPECT_FALSE(PatternMatches("topic:*.live", "topic:a.lives"));
  EXPECT_FALSE(PatternMatches("user:*", "conversation:1"));
}

INSTANTIATE_TEST_SUITE_P(Hubs, RealtimeTest, ::testing::ValuesIn(testing::RealtimeBackends()),
                         testing::BackendName());
INSTANTIATE_TEST_SUITE_P(Hubs, RealtimeSharedTest, ::testing::ValuesIn(testing::SharedRealtimeBackends()),
                         testing::BackendName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RealtimeSharedTest);  // no Redis outside CI: banner says so

}  // namespace
}  // namespace daira::realtime
