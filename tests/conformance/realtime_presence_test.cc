// realtime::Presence and realtime::Typing conformance, /memory and /redis, on a manual clock.
#include <chrono>
#include <string>
#include <vector>

#include "daira/core/clock.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "realtime_test_support.h"
#include "status_matchers.h"

namespace daira::realtime {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kPresenceWait = 10000ms;

// A StatusOr that is OK and holds `value`.
MATCHER_P(Holds, value, "is OK and holds " + ::testing::PrintToString(value)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(*arg);
  return *arg == value;
}

std::string NextPayload(Subscription& sub) {
  auto m = sub.Next(kPresenceWait);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? m->payload : "";
}

class RealtimePresenceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    env_ = std::make_unique<testing::RealtimeTestEnv>(GetParam());
    auto hub = env_->OpenHub();
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = *std::move(hub);
  }
  absl::StatusOr<std::unique_ptr<Presence>> OpenPresence(PresenceOptions options = {}) {
    options.clock = &clock_;
    return Presence::Open(env_->HubUrl(), *hub_, options);
  }
  absl::StatusOr<std::unique_ptr<Typing>> OpenTyping(TypingOptions options = {}) {
    options.clock = &clock_;
    return Typing::Open(env_->HubUrl(), *hub_, options);
  }

  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<testing::RealtimeTestEnv> env_;
  std::unique_ptr<Hub> hub_;
};

TEST_P(RealtimePresenceTest, StatusIsTheBestLiveDeviceAndChangesArePublished) {
  ASSERT_OK_AND_ASSIGN(auto presence, OpenPresence());
  ASSERT_OK_AND_ASSIGN(auto sub, hub_->Subscribe("user:1"));
  const UserId alice(1);
  ASSERT_OK(presence->Heartbeat(alice, "phone"));
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("status":"online")"));
  ASSERT_OK(presence->Heartbeat(alice, "laptop", PresenceStatus::kAway));  // still online: nothing published
  ASSERT_OK(presence->Heartbeat(alice, "phone"));                          // a refresh: nothing published
  ASSERT_OK_AND_ASSIGN(UserPresence p, presence->Get(alice));
  EXPECT_EQ(p.status, PresenceStatus::kOnline);
  EXPECT_EQ(p.devices, 2);
  clock_.Advance(5s);
  ASSERT_OK(presence->Disconnect(alice, "phone"));
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("status":"away")"));  // the very next message
  ASSERT_OK(presence->Disconnect(alice, "laptop"));
  const std::string offline = NextPayload(*sub);
  EXPECT_THAT(offline, HasSubstr(R"("status":"offline")"));
  EXPECT_THAT(offline, HasSubstr(std::to_string(ToUnixMicros(clock_.Now()))));
  ASSERT_OK_AND_ASSIGN(p, presence->Get(alice));
  EXPECT_EQ(p.status, PresenceStatus::kOffline);
  EXPECT_EQ(p.devices, 0);
  EXPECT_EQ(p.last_seen, clock_.Now());
}

TEST_P(RealtimePresenceTest, ACrashedClientGoesOfflineAfterTheTtl) {
  ASSERT_OK_AND_ASSIGN(auto presence, OpenPresence({.ttl = 10s}));
  ASSERT_OK_AND_ASSIGN(auto sub, hub_->Subscribe("user:2"));
  const UserId bob(2);
  ASSERT_OK(presence->Heartbeat(bob, "web"));
  const auto seen = clock_.Now();
  EXPECT_THAT(NextPayload(*sub), HasSubstr("online"));
  clock_.Advance(9s);
  ASSERT_OK_AND_ASSIGN(int changed, presence->Sweep());
  EXPECT_EQ(changed, 0);
  EXPECT_EQ(presence->Get(bob)->status, PresenceStatus::kOnline);
  clock_.Advance(1s);  // exactly ttl after the heartbeat: gone
  EXPECT_EQ(presence->Get(bob)->status, PresenceStatus::kOffline);
  ASSERT_OK_AND_ASSIGN(changed, presence->Sweep());
  EXPECT_EQ(changed, 1);
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("status":"offline")"));
  ASSERT_OK_AND_ASSIGN(changed, presence->Sweep());
  EXPECT_EQ(changed, 0);
  ASSERT_OK_AND_ASSIGN(UserPresence p, presence->Get(bob));
  EXPECT_EQ(p.last_seen, seen);  // the last heartbeat, not the sweep
}

TEST_P(RealtimePresenceTest, ManyUsersInOneCallInTheOrderAsked) {
  ASSERT_OK_AND_ASSIGN(auto presence, OpenPresence());
  ASSERT_OK(presence->Heartbeat(UserId(10), "a"));
  ASSERT_OK(presence->Heartbeat(UserId(11), "a", PresenceStatus::kAway));
  ASSERT_OK(presence->Heartbeat(UserId(12), "a"));
  ASSERT_OK(presence->Disconnect(UserId(12), "a"));
  std::vector<UserId> ask = {UserId(12), UserId(13), UserId(10), UserId(11)};
  ASSERT_OK_AND_ASSIGN(auto rows, presence->GetMany(ask));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].user, UserId(12));
  EXPECT_EQ(rows[0].status, PresenceStatus::kOffline);
  EXPECT_TRUE(rows[0].last_seen.has_value());
  EXPECT_EQ(rows[1].status, PresenceStatus::kOffline);
  EXPECT_FALSE(rows[1].last_seen.has_value());  // never seen
  EXPECT_EQ(rows[2].status, PresenceStatus::kOnline);
  EXPECT_EQ(rows[3].status, PresenceStatus::kAway);
  std::vector<UserId> bad = {UserId(1), UserId(0)};
  EXPECT_THAT(presence->GetMany(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("users[1]")));
}

// Presence across instances: only shared backends claim it (memory: presence is per process, declared).
class RealtimeSharedPresenceTest : public RealtimePresenceTest {};

TEST_P(RealtimeSharedPresenceTest, DevicesOnTwoInstancesMakeOneUser) {
  ASSERT_OK_AND_ASSIGN(auto a, OpenPresence());
  ASSERT_OK_AND_ASSIGN(auto b, OpenPresence());
  ASSERT_OK(a->Heartbeat(UserId(5), "phone"));
  ASSERT_OK(b->Heartbeat(UserId(5), "laptop", PresenceStatus::kAway));
  ASSERT_OK_AND_ASSIGN(UserPresence p, b->Get(UserId(5)));
  EXPECT_EQ(p.devices, 2);
  EXPECT_EQ(p.status, PresenceStatus::kOnline);
  ASSERT_OK(b->Disconnect(UserId(5), "phone"));  // another instance's device
  EXPECT_EQ(a->Get(UserId(5))->status, PresenceStatus::kAway);
}

TEST_P(RealtimePresenceTest, BadInputIsRefusedByField) {
  ASSERT_OK_AND_ASSIGN(auto presence, OpenPresence());
  EXPECT_THAT(presence->Heartbeat(UserId(0), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
  EXPECT_THAT(presence->Heartbeat(UserId(1), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device")));
  EXPECT_THAT(presence->Heartbeat(UserId(1), "x", PresenceStatus::kOffline),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("status")));
  EXPECT_THAT(OpenPresence({.ttl = 0ms}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl")));
  EXPECT_THAT(Presence::Open(env_->HubUrl("presence_ttl_ms=abc"), *hub_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("presence_ttl_ms")));
}

TEST_P(RealtimePresenceTest, TypingIsThrottledPerIntervalAndStops) {
  ASSERT_OK_AND_ASSIGN(auto typing, OpenTyping({.interval = 3s, .ttl = 6s}));
  ASSERT_OK_AND_ASSIGN(auto sub, hub_->Subscribe("conversation:7"));
  const ConversationId conv(7);
  EXPECT_THAT(typing->Start(conv, UserId(1)), Holds(true));
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("user_id":"1","state":"start")"));
  clock_.Advance(1s);
  EXPECT_THAT(typing->Start(conv, UserId(1)), Holds(false));                 // throttled
  EXPECT_THAT(typing->Start(conv, UserId(2)), Holds(true));                  // per typist
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("user_id":"2","state":"start")"));  // the very next: 1 was throttled
  clock_.Advance(2s);
  EXPECT_THAT(typing->Start(conv, UserId(1)), Holds(true));  // an interval after the last event
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("user_id":"1","state":"start")"));
  ASSERT_OK_AND_ASSIGN(auto typists, typing->Typists(conv));
  EXPECT_THAT(typists, ::testing::ElementsAre(UserId(1), UserId(2)));
  EXPECT_THAT(typing->Stop(conv, UserId(1)), Holds(true));
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("user_id":"1","state":"stop")"));
  EXPECT_THAT(typing->Stop(conv, UserId(1)), Holds(false));
  ASSERT_OK_AND_ASSIGN(typists, typing->Typists(conv));
  EXPECT_THAT(typists, ::testing::ElementsAre(UserId(2)));
}

TEST_P(RealtimePresenceTest, TypingExpiresByItself) {
  ASSERT_OK_AND_ASSIGN(auto typing, OpenTyping({.interval = 3s, .ttl = 6s}));
  ASSERT_OK_AND_ASSIGN(auto sub, hub_->Subscribe("conversation:8"));
  const ConversationId conv(8);
  ASSERT_OK(typing->Start(conv, UserId(3)).status());
  EXPECT_THAT(NextPayload(*sub), HasSubstr("start"));
  clock_.Advance(5s);
  EXPECT_THAT(typing->Sweep(), Holds(0));
  clock_.Advance(1s);
  ASSERT_OK_AND_ASSIGN(auto typists, typing->Typists(conv));
  EXPECT_TRUE(typists.empty());
  EXPECT_THAT(typing->Sweep(), Holds(1));
  EXPECT_THAT(NextPayload(*sub), HasSubstr(R"("user_id":"3","state":"stop")"));
  EXPECT_THAT(typing->Sweep(), Holds(0));
  EXPECT_THAT(typing->Stop(conv, UserId(3)), Holds(false));  // already stopped
  // Typing again after expiry is a new start, whatever the interval.
  EXPECT_THAT(typing->Start(conv, UserId(3)), Holds(true));
}

TEST_P(RealtimePresenceTest, TypingRefusesBadIdsAndOptions) {
  ASSERT_OK_AND_ASSIGN(auto typing, OpenTyping());
  EXPECT_THAT(typing->Start(ConversationId(0), UserId(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conversation")));
  EXPECT_THAT(typing->Stop(ConversationId(1), UserId(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
  EXPECT_THAT(OpenTyping({.interval = 5s, .ttl = 1s}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl")));
}

INSTANTIATE_TEST_SUITE_P(Hubs, RealtimePresenceTest, ::testing::ValuesIn(testing::RealtimeBackends()),
                         testing::BackendName());
INSTANTIATE_TEST_SUITE_P(Hubs, RealtimeSharedPresenceTest, ::testing::ValuesIn(testing::SharedRealtimeBackends()),
                         testing::BackendName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RealtimeSharedPresenceTest);

}  // namespace
}  // namespace daira::realtime
