// The chat part of `daira demo`: two seeded users chat over the in-process hub — presence, typing,
// messages delivered after commit, a read receipt, and a grouped notification arriving — each line
// being what the other user's client received, with the publish → receive time.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "cli/cli.h"
#include "daira/core/json.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"
#include "daira/services/chat.h"
#include "daira/services/notifications.h"
#include "daira/services/service_deps.h"
#include "daira/store/database.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct DemoUser {
  UserId id;
  std::string name;
};

// The next message on `sub` whose "type" is `type` (others are skipped), as parsed JSON.
absl::StatusOr<JsonValue> Await(realtime::Subscription& sub, std::string_view type) {
  for (;;) {
    DAIRA_ASSIGN_OR_RETURN(realtime::Message m, sub.Next(std::chrono::seconds(5)));
    DAIRA_ASSIGN_OR_RETURN(JsonValue v, ParseJson(m.payload));
    if (v.Get("type") != nullptr && v.Get("type")->AsString() == type) return v;
  }
}

// Runs `act`, then waits for `type` on `sub`; prints what happened, what the other client saw, and the
// time from the call to the receipt.
template <typename Act>
absl::StatusOr<JsonValue> Show(std::string_view did, std::string_view seen, realtime::Subscription& sub,
                               std::string_view type, Act act) {
  Stopwatch sw;
  DAIRA_RETURN_IF_ERROR(act());
  DAIRA_ASSIGN_OR_RETURN(JsonValue v, Await(sub, type));
  fmt::print("  {:<40} → {:<36} {:>9}\n", did, seen, FormatDuration(sw.Elapsed()));
  return v;
}

}  // namespace

absl::Status ChatDemo(store::Database& db) {
  fmt::print(
      "\nchat  (services::Chat + Notifications, presence and typing on the in-process hub;\n"
      "       each line is what the other user's client received, timed from the call)\n");
  RequestContext ctx;
  // Two users with no block between them, and a third to like a post.
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      db.Read(
          ctx,
          "SELECT a.id, a.username, b.id, b.username, c.id, c.username FROM users a, users b, users c "
          "WHERE b.id > a.id AND c.id > b.id AND NOT EXISTS (SELECT 1 FROM blocks k WHERE "
          "(k.blocker_id = a.id AND k.blocked_id = b.id) OR (k.blocker_id = b.id AND k.blocked_id = a.id)) "
          "ORDER BY a.id, b.id, c.id LIMIT 1"));
  if (rs.empty()) {
    fmt::print("  (fewer than three users: nothing to show)\n");
    return absl::OkStatus();
  }
  const DemoUser alice{UserId{rs.front().Int64(0)}, rs.front().Text(1)};
  const DemoUser bob{UserId{rs.front().Int64(2)}, rs.front().Text(3)};
  const DemoUser carol{UserId{rs.front().Int64(4)}, rs.front().Text(5)};

  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<realtime::Hub> hub, realtime::OpenHub("memory:"));
  DAIRA_ASSIGN_OR_RETURN(auto presence, realtime::Presence::Open("memory:", *hub));
  DAIRA_ASSIGN_OR_RETURN(auto typing, realtime::Typing::Open("memory:", *hub));
  services::ServiceDeps deps{.db = &db};
  services::Chat chat(deps, hub.get());
  services::Notifications notifications(deps, hub.get());

  DAIRA_ASSIGN_OR_RETURN(
      services::Conversation conv,
      chat.CreateConversation(ctx, {.creator_id = alice.id.value, .member_ids = {bob.id.value}}));
  // Bob's client: his inbox (user:{bob}), the open conversation, and alice's presence (user:{alice}).
  DAIRA_ASSIGN_OR_RETURN(auto bob_inbox, hub->Subscribe(services::Chat::UserChannel(bob.id)));
  DAIRA_ASSIGN_OR_RETURN(auto bob_view, hub->Subscribe(services::Chat::ConversationChannel(conv.id)));
  DAIRA_ASSIGN_OR_RETURN(auto bob_watch, hub->Subscribe(services::Chat::UserChannel(alice.id)));
  // Alice's client: her inbox and the conversation.
  DAIRA_ASSIGN_OR_RETURN(auto alice_inbox, hub->Subscribe(services::Chat::UserChannel(alice.id)));
  DAIRA_ASSIGN_OR_RETURN(auto alice_view, hub->Subscribe(services::Chat::ConversationChannel(conv.id)));

  DAIRA_RETURN_IF_ERROR(Show(fmt::format("@{} comes online", alice.name),
                             fmt::format("@{} sees: online", bob.name), *bob_watch, "presence",
                             [&] { return presence->Heartbeat(alice.id, "phone"); })
                            .status());
  DAIRA_RETURN_IF_ERROR(Show(fmt::format("@{} starts typing", alice.name),
                             fmt::format("@{} sees: typing…", bob.name), *bob_view, "typing",
                             [&] { return typing->Start(conv.id, alice.id).status(); })
                            .status());
  services::ChatMessage hello;
  DAIRA_ASSIGN_OR_RETURN(JsonValue got,
                         Show(fmt::format("@{} sends \"hi {}!\"", alice.name, bob.name),
                              fmt::format("@{} gets the message", bob.name), *bob_inbox, "chat.message", [&] {
                                auto sent = chat.Send(ctx, {.conversation_id = conv.id.value,
                                                            .sender_id = alice.id.value,
                                                            .body = fmt::format("hi {}!", bob.name)});
                                if (sent.ok()) hello = *sent;
                                return sent.status();
                              }));
  fmt::print("      @{}'s client: chat.message #{} \"{}\" (already in the database: unread {})\n", bob.name,
             got.Get("message")->Get("id")->AsString(), got.Get("message")->Get("body")->AsString(),
             chat.UnreadCount(ctx, bob.id, conv.id).value_or(-1));
  DAIRA_RETURN_IF_ERROR(Show(fmt::format("@{} reads it", bob.name), fmt::format("@{} sees: read", alice.name),
                             *alice_view, "chat.read",
                             [&] { return chat.MarkRead(ctx, bob.id, conv.id, hello.id); })
                            .status());
  DAIRA_RETURN_IF_ERROR(Show(fmt::format("@{} starts typing", bob.name),
                             fmt::format("@{} sees: typing…", alice.name), *alice_view, "typing",
                             [&] { return typing->Start(conv.id, bob.id).status(); })
                            .status());
  DAIRA_RETURN_IF_ERROR(Show(fmt::format("@{} replies \"hey {}\"", bob.name, alice.name),
                             fmt::format("@{} gets the reply", alice.name), *alice_inbox, "chat.message",
                             [&] {
                               return chat
                                   .Send(ctx, {.conversation_id = conv.id.value,
                                               .sender_id = bob.id.value,
                                               .body = fmt::format("hey {}", alice.name)})
                                   .status();
                             })
                            .status());
  // Notifications: two likes of one of alice's posts fold into one row.
  const int64_t post = 1;
  DAIRA_RETURN_IF_ERROR(Show(fmt::format("@{} likes @{}'s post", bob.name, alice.name),
                             fmt::format("@{} gets a notification", alice.name), *alice_inbox, "notification",
                             [&] {
                               return notifications
                                   .Notify(ctx, {.user_id = alice.id.value,
                                                 .kind = "LIKE",
                                                 .actor_id = bob.id.value,
                                                 .target_type = "POST",
                                                 .target_id = post})
                                   .status();
                             })
                            .status());
  DAIRA_ASSIGN_OR_RETURN(JsonValue grouped, Show(fmt::format("@{} likes it too", carol.name),
                                                 fmt::format("@{}: grouped into one", alice.name),
                                                 *alice_inbox, "notification", [&] {
                                                   return notifications
                                                       .Notify(ctx, {.user_id = alice.id.value,
                                                                     .kind = "LIKE",
                                                                     .actor_id = carol.id.value,
                                                                     .target_type = "POST",
                                                                     .target_id = post})
                                                       .status();
                                                 }));
  const int64_t others = grouped.Get("notification")->Get("actor_count")->AsInt() - 1;
  fmt::print("      @{}'s client: \"@{} and {} other{} liked your post\" (unread notifications: {})\n",
             alice.name, carol.name, others, others == 1 ? "" : "s",
             notifications.UnreadCount(ctx, alice.id).value_or(-1));
  DAIRA_ASSIGN_OR_RETURN(auto page, chat.History(ctx, alice.id, conv.id, {.limit = 10}));
  fmt::print("  history (newest first):");
  for (const services::ChatMessage& m : page.items) fmt::print(" \"{}\"", m.body);
  fmt::print("\n");
  return hub->Close();
}

}  // namespace daira::inline v0::cli
