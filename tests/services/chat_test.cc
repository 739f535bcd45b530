// services::Chat on every SQL backend with the in-process hub: one direct conversation per pair,
// keyset history without gaps or duplicates under concurrent sends, blocks, leaving, read receipts and
// exact unread counts under concurrency, and real-time delivery only after commit.
#include "daira/services/chat.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/id.h"
#include "daira/core/json.h"
#include "daira/realtime/hub.h"
#include "daira/services/social.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

class ChatTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(hub_, realtime::OpenHub("memory:"));
    chat_ = std::make_unique<Chat>(deps_, hub_.get());
    alice_ = NewUser("alice");
    bob_ = NewUser("bob");
    carol_ = NewUser("carol");
  }

  UserId NewUser(const std::string& name) {
    const int64_t id = IdGenerator::Default()->Next();
    EXPECT_OK(tdb_->db().Execute(
        ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
        {id, absl::StrCat(name, id % 100000), int64_t{1}, int64_t{1}}));
    EXPECT_OK(tdb_->db().Execute(
        ctx_, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, ?, ?)",
        {id, int64_t{1}, int64_t{1}}));
    return UserId{id};
  }

  Conversation Group(std::vector<UserId> members) {
    CreateConversationRequest r{.creator_id = alice_.value, .kind = "GROUP", .title = "team"};
    for (UserId m : members) r.member_ids.push_back(m.value);
    return Must(chat_->CreateConversation(ctx_, r));
  }

  ChatMessage Send(Conversation c, UserId from, std::string body) {
    return Must(
        chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = from.value, .body = std::move(body)}));
  }

  // The "type" of a hub message's JSON payload.
  static std::string Type(const realtime::Message& m) {
    auto v = ParseJson(m.payload);
    return v.ok() && v->Get("type") != nullptr ? v->Get("type")->AsString() : "";
  }

  std::unique_ptr<realtime::Hub> hub_;
  std::unique_ptr<Chat> chat_;
  UserId alice_, bob_, carol_;
};

TEST_P(ChatTest, DirectConversationIsOnePerPair) {
  Conversation a =
      Must(chat_->CreateConversation(ctx_, {.creator_id = alice_.value, .member_ids = {bob_.value}}));
  Conversation b =
      Must(chat_->CreateConversation(ctx_, {.creator_id = bob_.value, .member_ids = {alice_.value}}));
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.kind, "DIRECT");
  auto members = Must(chat_->Members(ctx_, bob_, a.id));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].role, ChatRole::kOwner);
  EXPECT_THAT(chat_->Get(ctx_, carol_, a.id),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("conversation_id")));
  EXPECT_THAT(chat_->CreateConversation(ctx_, {.creator_id = alice_.value, .member_ids = {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("member_ids")));
}

TEST_P(ChatTest, DirectConversationCreatedConcurrentlyIsOne) {
  std::vector<int64_t> ids(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;
      const bool flip = t % 2 == 1;
      auto c = chat_->CreateConversation(
          ctx, {.creator_id = (flip ? bob_ : alice_).value, .member_ids = {(flip ? alice_ : bob_).value}});
      ids[t] = c.ok() ? c->id.value : -1;
      EXPECT_OK(c.status());
    });
  }
  for (auto& t : threads) t.join();
  for (int64_t id : ids) EXPECT_EQ(id, ids[0]);
}

TEST_P(ChatTest, HistoryPagesHaveNoGapsNorDuplicatesUnderConcurrentSends) {
  Conversation c = Group({bob_, carol_});
  constexpr int kThreads = 4, kPerThread = 25;
  std::atomic<bool> done{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      const UserId from = t % 3 == 0 ? alice_ : (t % 3 == 1 ? bob_ : carol_);
      for (int i = 0; i < kPerThread; ++i) {
        RequestContext ctx;
        EXPECT_OK(chat_
                      ->Send(ctx, {.conversation_id = c.id.value,
                                   .sender_id = from.value,
                                   .body = absl::StrCat(t, "-", i)})
                      .status());
      }
    });
  }
  // Meanwhile a reader walks the history: every walk is strictly newest first, without duplicates.
  std::thread reader([&] {
    while (!done.load()) {
      RequestContext ctx;
      std::string cursor;
      int64_t last = INT64_MAX;
      do {
        auto page = chat_->History(ctx, bob_, c.id, {.limit = 7, .cursor = cursor});
        ASSERT_OK(page.status());
        for (const ChatMessage& m : page->items) {
          EXPECT_LT(m.id.value, last);
          last = m.id.value;
        }
        cursor = page->next_cursor;
      } while (!cursor.empty());
    }
  });
  for (auto& t : senders) t.join();
  done = true;
  reader.join();

  std::set<int64_t> seen;
  std::set<std::string> bodies;
  std::string cursor;
  int64_t last = INT64_MAX;
  do {
    auto page = Must(chat_->History(ctx_, carol_, c.id, {.limit = 9, .cursor = cursor}));
    for (const ChatMessage& m : page.items) {
      EXPECT_LT(m.id.value, last);
      last = m.id.value;
      EXPECT_TRUE(seen.insert(m.id.value).second) << "duplicate " << m.id.value;
      bodies.insert(m.body);
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(bodies.size(), size_t{kThreads * kPerThread});
}

TEST_P(ChatTest, AroundAMessage) {
  Conversation c = Group({bob_});
  std::vector<ChatMessage> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(Send(c, alice_, absl::StrCat("m", i)));
  auto around = Must(chat_->Around(ctx_, bob_, c.id, sent[5].id, 2, 3));
  ASSERT_EQ(around.size(), 6u);
  for (size_t i = 0; i < around.size(); ++i) EXPECT_EQ(around[i].body, absl::StrCat("m", i + 3));
  EXPECT_THAT(chat_->Around(ctx_, bob_, c.id, MessageId{12345}, 1, 1),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("message_id")));
  EXPECT_THAT(chat_->Around(ctx_, bob_, c.id, sent[5].id, -1, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before")));
}

TEST_P(ChatTest, BlockedUsersCannotMessageEachOther) {
  Conversation c =
      Must(chat_->CreateConversation(ctx_, {.creator_id = alice_.value, .member_ids = {bob_.value}}));
  Send(c, alice_, "before");
  Social social(deps_);
  ASSERT_OK(social.Block(ctx_, bob_, alice_).status());
  EXPECT_THAT(chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = alice_.value, .body = "hi"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  EXPECT_THAT(chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = bob_.value, .body = "hi"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  // Nor start a conversation, nor be added to a group by the other.
  EXPECT_THAT(chat_->CreateConversation(ctx_, {.creator_id = bob_.value, .member_ids = {alice_.value}}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  Conversation g = Group({carol_});
  EXPECT_THAT(chat_->AddMember(ctx_, alice_, g.id, bob_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("blocked")));
  ASSERT_OK(social.Unblock(ctx_, bob_, alice_));
  EXPECT_OK(chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = alice_.value, .body = "again"})
                .status());
}

TEST_P(ChatTest, MemberWhoLeftSeesNothingNew) {
  Conversation c = Group({bob_, carol_});
  ChatMessage before = Send(c, alice_, "before");
  ASSERT_OK_AND_ASSIGN(auto carol_inbox, hub_->Subscribe(Chat::UserChannel(carol_)));
  ASSERT_OK(chat_->Leave(ctx_, carol_, c.id));
  Send(c, alice_, "after");
  Send(c, bob_, "after 2");

  auto page = Must(chat_->History(ctx_, carol_, c.id, {.limit = 50}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, before.id);
  EXPECT_EQ(Must(chat_->UnreadCount(ctx_, carol_, c.id)), 1);
  EXPECT_THAT(chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = carol_.value, .body = "x"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sender_id")));
  EXPECT_THAT(chat_->Members(ctx_, carol_, c.id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(chat_->Around(ctx_, carol_, c.id, page.items[0].id, 0, 10), IsOk());
  EXPECT_EQ(Must(chat_->Around(ctx_, carol_, c.id, page.items[0].id, 0, 10)).size(), 1u);
  // Live: the leave event, then nothing (the memory hub delivers during Publish, so all is queued now).
  ASSERT_OK_AND_ASSIGN(realtime::Message m, carol_inbox->Next(std::chrono::seconds(5)));
  EXPECT_EQ(Type(m), "chat.member_left");
  EXPECT_FALSE(carol_inbox->TryNext().has_value());
  // Bob is still a member and sees everything; removal by the owner works the same way.
  EXPECT_EQ(Must(chat_->History(ctx_, bob_, c.id, {.limit = 50})).items.size(), 3u);
  ASSERT_OK(chat_->RemoveMember(ctx_, alice_, c.id, bob_));
  EXPECT_THAT(chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = bob_.value, .body = "x"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Rejoining (added again) restores sending.
  ASSERT_OK(chat_->AddMember(ctx_, alice_, c.id, carol_));
  EXPECT_OK(
      chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = carol_.value, .body = "back"}).status());
}

TEST_P(ChatTest, RolesDecideWhoManagesMembers) {
  Conversation c = Group({bob_});
  EXPECT_THAT(chat_->AddMember(ctx_, bob_, c.id, carol_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("actor_id")));
  ASSERT_OK(chat_->AddMember(ctx_, alice_, c.id, carol_, ChatRole::kAdmin));
  EXPECT_THAT(chat_->AddMember(ctx_, alice_, c.id, carol_), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(chat_->RemoveMember(ctx_, carol_, c.id, alice_), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(chat_->RemoveMember(ctx_, carol_, c.id, bob_));
  EXPECT_EQ(Must(chat_->Members(ctx_, alice_, c.id)).size(), 2u);
  Conversation d =
      Must(chat_->CreateConversation(ctx_, {.creator_id = alice_.value, .member_ids = {bob_.value}}));
  EXPECT_THAT(chat_->AddMember(ctx_, alice_, d.id, carol_), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(ChatTest, EditAndDeleteOwnMessages) {
  Conversation c = Group({bob_});
  ChatMessage m = Send(c, alice_, "helo");
  EXPECT_THAT(chat_->Edit(ctx_, bob_, m.id, "x"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("sender")));
  EXPECT_THAT(chat_->Edit(ctx_, alice_, m.id, "  "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body")));
  ChatMessage e = Must(chat_->Edit(ctx_, alice_, m.id, "hello"));
  EXPECT_EQ(e.body, "hello");
  EXPECT_TRUE(e.edited_at.has_value());
  EXPECT_THAT(chat_->Delete(ctx_, bob_, m.id), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(chat_->Delete(ctx_, alice_, m.id));
  ASSERT_OK(chat_->Delete(ctx_, alice_, m.id));  // idempotent
  auto page = Must(chat_->History(ctx_, bob_, c.id, {.limit = 10}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_TRUE(page.items[0].deleted);
  EXPECT_EQ(page.items[0].body, "");
  EXPECT_THAT(chat_->Edit(ctx_, alice_, m.id, "again"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Must(chat_->UnreadCount(ctx_, bob_, c.id)), 0);  // a deleted message is not unread
}

TEST_P(ChatTest, ReadReceiptsAndUnreadCountsExactUnderConcurrency) {
  Conversation c = Group({bob_, carol_});
  constexpr int kThreads = 4, kPerThread = 20;
  std::vector<std::thread> threads;
  std::vector<int64_t> last_ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const UserId from = t % 2 == 0 ? alice_ : carol_;
      for (int i = 0; i < kPerThread; ++i) {
        RequestContext ctx;
        auto m = chat_->Send(ctx, {.conversation_id = c.id.value, .sender_id = from.value, .body = "x"});
        EXPECT_OK(m.status());
        if (m.ok()) last_ids[t] = m->id.value;
        // Bob reads concurrently on another device: receipts never move back.
        if (i % 5 == 0 && m.ok()) {
          EXPECT_OK(chat_->MarkRead(ctx, bob_, c.id, m->id));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  // Exactly the messages after bob's receipt, counted.
  auto members = Must(chat_->Members(ctx_, bob_, c.id));
  int64_t receipt = 0;
  for (const ChatMember& m : members) {
    if (m.user_id == bob_) receipt = m.last_read_message_id->value;
  }
  auto page = Must(chat_->History(ctx_, bob_, c.id, {.limit = 100}));
  ASSERT_EQ(page.items.size(), size_t{kThreads * kPerThread});
  int64_t expected = 0;
  for (const ChatMessage& m : page.items) expected += m.id.value > receipt ? 1 : 0;
  EXPECT_EQ(Must(chat_->UnreadCount(ctx_, bob_, c.id)), expected);
  EXPECT_EQ(Must(chat_->UnreadCount(ctx_, alice_, c.id)), kThreads / 2 * kPerThread);  // carol's
  // Read up to the newest: 0; an older receipt afterwards changes nothing.
  ASSERT_OK(chat_->MarkRead(ctx_, bob_, c.id, page.items.front().id));
  EXPECT_EQ(Must(chat_->UnreadCount(ctx_, bob_, c.id)), 0);
  ASSERT_OK(chat_->MarkRead(ctx_, bob_, c.id, page.items.back().id));
  EXPECT_EQ(Must(chat_->UnreadCount(ctx_, bob_, c.id)), 0);
  EXPECT_THAT(chat_->MarkRead(ctx_, bob_, c.id, MessageId{42}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("message_id")));
}

TEST_P(ChatTest, DeliveredAfterCommitAndNeverForARollback) {
  Conversation c = Group({bob_});
  ASSERT_OK_AND_ASSIGN(auto view, hub_->Subscribe(Chat::ConversationChannel(c.id)));
  ASSERT_OK_AND_ASSIGN(auto bob_inbox, hub_->Subscribe(Chat::UserChannel(bob_)));
  // Inside a transaction that rolls back: nothing is published.
  absl::Status rolled = tdb_->db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    EXPECT_OK(chat_->Send(ctx_, {.conversation_id = c.id.value, .sender_id = alice_.value, .body = "never"})
                  .status());
    EXPECT_FALSE(view->TryNext().has_value());  // not before commit either
    return absl::InternalError("test: roll back");
  });
  EXPECT_FALSE(rolled.ok());
  EXPECT_FALSE(view->TryNext().has_value());
  EXPECT_EQ(Must(chat_->History(ctx_, bob_, c.id, {.limit = 10})).items.size(), 0u);
  // Committed: published once, on the conversation and on each member's channel, and already durable.
  ChatMessage m = Send(c, alice_, "hello");
  ASSERT_OK_AND_ASSIGN(realtime::Message got, view->Next(std::chrono::seconds(5)));
  EXPECT_EQ(Type(got), "chat.message");
  auto payload = ParseJson(got.payload);
  ASSERT_OK(payload.status());
  EXPECT_EQ(payload->Get("message")->Get("id")->AsString(), absl::StrCat(m.id.value));  // ids: strings
  EXPECT_EQ(payload->Get("message")->Get("body")->AsString(), "hello");
  ASSERT_OK_AND_ASSIGN(realtime::Message inbox, bob_inbox->Next(std::chrono::seconds(5)));
  EXPECT_EQ(inbox.payload, got.payload);
  EXPECT_FALSE(view->TryNext().has_value());
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ChatTest);

}  // namespace
}  // namespace daira::services
