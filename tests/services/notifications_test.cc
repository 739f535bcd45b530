// services::Notifications on every SQL backend with the in-process hub: persisted rows, grouping within
// and outside the window (manual clock), unread counts and mark read, keyset lists, and the push to
// user:{id} after commit only.
#include "daira/services/notifications.h"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/id.h"
#include "daira/core/json.h"
#include "daira/realtime/hub.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class NotificationsTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(hub_, realtime::OpenHub("memory:"));
    notifications_ = std::make_unique<Notifications>(
        deps_, hub_.get(),
        NotificationsOptions{.group_window = std::chrono::minutes(10), .latest_actors = 2});
    for (int i = 0; i < 6; ++i) users_.push_back(NewUser(absl::StrCat("u", i)));
  }

  UserId NewUser(const std::string& name) {
    const int64_t id = IdGenerator::Default()->Next();
    EXPECT_OK(tdb_->db().Execute(
        ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
        {id, absl::StrCat(name, "_", id % 100000), int64_t{1}, int64_t{1}}));
    return UserId{id};
  }

  Notification Like(UserId to, UserId by, int64_t post) {
    return Must(notifications_->Notify(ctx_, {.user_id = to.value,
                                              .kind = "LIKE",
                                              .actor_id = by.value,
                                              .target_type = "POST",
                                              .target_id = post}));
  }

  std::unique_ptr<realtime::Hub> hub_;
  std::unique_ptr<Notifications> notifications_;
  std::vector<UserId> users_;
};

TEST_P(NotificationsTest, GroupsSameKindAndTargetWithinTheWindow) {
  const UserId owner = users_[0];
  Notification first = Like(owner, users_[1], 7);
  EXPECT_EQ(first.actor_count, 1);
  clock_.Advance(std::chrono::minutes(3));
  Like(owner, users_[2], 7);
  clock_.Advance(std::chrono::minutes(3));
  Notification grouped = Like(owner, users_[3], 7);
  EXPECT_EQ(grouped.id, first.id);
  EXPECT_EQ(grouped.actor_count, 3);
  EXPECT_THAT(grouped.latest_actors, ElementsAre(users_[3], users_[2]));  // latest_actors = 2
  EXPECT_EQ(grouped.actor_id, users_[3]);
  // The same actor again only moves to the front.
  Notification again = Like(owner, users_[2], 7);
  EXPECT_EQ(again.actor_count, 3);
  EXPECT_THAT(again.latest_actors, ElementsAre(users_[2], users_[3]));
  // Another target, another kind: rows of their own.
  EXPECT_NE(Like(owner, users_[1], 8).id, first.id);
  EXPECT_NE(Must(notifications_->Notify(ctx_, {.user_id = owner.value,
                                               .kind = "COMMENT",
                                               .actor_id = users_[1].value,
                                               .target_type = "POST",
                                               .target_id = 7}))
                .id,
            first.id);
  EXPECT_EQ(Must(notifications_->UnreadCount(ctx_, owner)), 3);
}

TEST_P(NotificationsTest, OutsideTheWindowOrAfterReadANewRowStarts) {
  const UserId owner = users_[0];
  Notification first = Like(owner, users_[1], 7);
  clock_.Advance(std::chrono::minutes(10));  // exactly the window: no longer folds
  Notification second = Like(owner, users_[2], 7);
  EXPECT_NE(second.id, first.id);
  EXPECT_EQ(second.actor_count, 1);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(Like(owner, users_[3], 7).id, second.id);  // folds into the newer group
  ASSERT_OK(notifications_->MarkRead(ctx_, owner, second.id));
  Notification third = Like(owner, users_[4], 7);  // the group was read: a new row
  EXPECT_NE(third.id, second.id);
  EXPECT_EQ(Must(notifications_->UnreadCount(ctx_, owner)), 2);
  // Without an actor nothing groups.
  NotifyRequest sys{.user_id = owner.value, .kind = "SYSTEM", .payload = R"({"text":"welcome"})"};
  EXPECT_NE(Must(notifications_->Notify(ctx_, sys)).id, Must(notifications_->Notify(ctx_, sys)).id);
}

TEST_P(NotificationsTest, ConcurrentLikesFoldIntoOneRow) {
  const UserId owner = users_[0];
  std::vector<std::thread> threads;
  for (int t = 1; t < 6; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      EXPECT_OK(notifications_
                    ->Notify(ctx, {.user_id = owner.value,
                                   .kind = "LIKE",
                                   .actor_id = users_[t].value,
                                   .target_type = "POST",
                                   .target_id = 99})
                    .status());
    });
  }
  for (auto& t : threads) t.join();
  auto page = Must(notifications_->List(ctx_, owner, {.limit = 10}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].actor_count, 5);
  EXPECT_EQ(Must(notifications_->UnreadCount(ctx_, owner)), 1);
}

TEST_P(NotificationsTest, ListNewestActivityFirstWithKeysetPages) {
  const UserId owner = users_[0];
  std::vector<NotificationId> ids;
  for (int i = 0; i < 7; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    ids.push_back(Like(owner, users_[1], 100 + i).id);
  }
  clock_.Advance(std::chrono::seconds(1));
  Like(owner, users_[2], 100);  // the oldest group gets a new actor: it moves to the head
  std::vector<NotificationId> listed;
  std::string cursor;
  do {
    auto page = Must(notifications_->List(ctx_, owner, {.limit = 3, .cursor = cursor}));
    for (const Notification& n : page.items) listed.push_back(n.id);
    cursor = page.next_cursor;
  } while (!cursor.empty());
  ASSERT_EQ(listed.size(), 7u);
  EXPECT_EQ(listed[0], ids[0]);
  for (int i = 1; i < 7; ++i) EXPECT_EQ(listed[i], ids[7 - i]);
  // Unread only, mark one and all.
  ASSERT_OK(notifications_->MarkRead(ctx_, owner, ids[3]));
  ASSERT_OK(notifications_->MarkRead(ctx_, owner, ids[3]));  // idempotent
  EXPECT_EQ(Must(notifications_->List(ctx_, owner, {.limit = 10}, /*unread_only=*/true)).items.size(), 6u);
  EXPECT_THAT(notifications_->MarkRead(ctx_, users_[1], ids[2]),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("notification_id")));
  EXPECT_EQ(Must(notifications_->MarkAllRead(ctx_, owner)), 6);
  EXPECT_EQ(Must(notifications_->UnreadCount(ctx_, owner)), 0);
  EXPECT_TRUE(Must(notifications_->List(ctx_, owner, {.limit = 10})).items[0].read);
}

TEST_P(NotificationsTest, BadRequestsNameTheField) {
  EXPECT_THAT(notifications_->Notify(ctx_, {.user_id = users_[0].value, .kind = "POKE"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind")));
  EXPECT_THAT(
      notifications_->Notify(ctx_, {.user_id = users_[0].value, .kind = "LIKE", .actor_id = users_[0].value}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actor_id")));
  EXPECT_THAT(notifications_->Notify(ctx_, {.user_id = users_[0].value, .kind = "LIKE", .payload = "[1]"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("payload")));
  EXPECT_THAT(notifications_->Notify(ctx_, {.user_id = 12345, .kind = "SYSTEM"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("user_id")));
  EXPECT_THAT((NotificationsOptions{.latest_actors = 0}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("latest_actors")));
}

TEST_P(NotificationsTest, PushedAfterCommitAndNeverForARollback) {
  const UserId owner = users_[0];
  ASSERT_OK_AND_ASSIGN(auto inbox, hub_->Subscribe(Notifications::Channel(owner)));
  absl::Status rolled = tdb_->db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    EXPECT_OK(
        notifications_->Notify(ctx_, {.user_id = owner.value, .kind = "FOLLOW", .actor_id = users_[1].value})
            .status());
    EXPECT_FALSE(inbox->TryNext().has_value());
    return absl::InternalError("test: roll back");
  });
  EXPECT_FALSE(rolled.ok());
  EXPECT_FALSE(inbox->TryNext().has_value());
  EXPECT_EQ(Must(notifications_->UnreadCount(ctx_, owner)), 0);

  Notification n = Like(owner, users_[2], 5);
  ASSERT_OK_AND_ASSIGN(realtime::Message m, inbox->Next(std::chrono::seconds(5)));
  auto v = ParseJson(m.payload);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->Get("type")->AsString(), "notification");
  EXPECT_EQ(v->Get("notification")->Get("id")->AsString(), absl::StrCat(n.id.value));  // ids: strings
  Like(owner, users_[3], 5);  // folded: pushed again with the new count
  ASSERT_OK_AND_ASSIGN(m, inbox->Next(std::chrono::seconds(5)));
  EXPECT_EQ(ParseJson(m.payload)->Get("notification")->Get("actor_count")->AsInt(), 2);
  ASSERT_OK(notifications_->MarkAllRead(ctx_, owner).status());
  ASSERT_OK_AND_ASSIGN(m, inbox->Next(std::chrono::seconds(5)));
  EXPECT_EQ(ParseJson(m.payload)->Get("type")->AsString(), "notification.read");
  EXPECT_FALSE(inbox->TryNext().has_value());
}

DAIRA_INSTANTIATE_SQL_BACKENDS(NotificationsTest);

}  // namespace
}  // namespace daira::services
