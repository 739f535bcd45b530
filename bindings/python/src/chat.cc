// p.chat and p.notifications: conversations, messages, read receipts; notifications with grouping.
// Live events arrive through p.realtime.subscribe("user:{id}") / ("conversation:{id}") (pull-first).
#include "daira/services/chat.h"

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/services/notifications.h"
#include "module.h"
#include "page.h"
#include "transaction.h"

namespace daira::python {
namespace {

services::ChatRole ParseRole(const std::string& role) {
  if (role == "MEMBER") return services::ChatRole::kMember;
  if (role == "ADMIN") return services::ChatRole::kAdmin;
  if (role == "OWNER") return services::ChatRole::kOwner;
  Throw(InvalidField("add_member", "role", "must be MEMBER or ADMIN (got \"" + role + "\")"));
}

std::string MessageRepr(const services::ChatMessage& m) {
  return "ChatMessage(id=" + std::to_string(m.id.value) + ", sender_id=" + std::to_string(m.sender_id.value) +
         (m.deleted ? ", deleted=True" : ", body=" + Repr(py::str(m.body))) + ")";
}

}  // namespace

void RegisterChat(py::module_& m) {
  py::class_<services::Conversation>(m, "Conversation", "A DIRECT or GROUP conversation.")
      .def_property_readonly("id", [](const services::Conversation& c) { return c.id.value; })
      .def_readonly("kind", &services::Conversation::kind)
      .def_readonly("title", &services::Conversation::title)
      .def_property_readonly("created_by", [](const services::Conversation& c) { return c.created_by.value; })
      .def_property_readonly("last_message_id",
                             [](const services::Conversation& c) -> std::optional<int64_t> {
                               if (!c.last_message_id) return std::nullopt;
                               return c.last_message_id->value;
                             })
      .def_property_readonly("created_at",
                             [](const services::Conversation& c) { return ToDatetime(c.created_at); })
      .def("__repr__", [](const services::Conversation& c) {
        return "Conversation(id=" + std::to_string(c.id.value) + ", kind=" + c.kind + ")";
      });

  py::class_<services::ChatMember>(m, "ChatMember",
                                   "A current member of a conversation and their read receipt.")
      .def_property_readonly("user_id", [](const services::ChatMember& c) { return c.user_id.value; })
      .def_property_readonly("role",
                             [](const services::ChatMember& c) { return std::string(ToString(c.role)); })
      .def_property_readonly("last_read_message_id",
                             [](const services::ChatMember& c) -> std::optional<int64_t> {
                               if (!c.last_read_message_id) return std::nullopt;
                               return c.last_read_message_id->value;
                             })
      .def_property_readonly("joined_at",
                             [](const services::ChatMember& c) { return ToDatetime(c.joined_at); })
      .def("__repr__", [](const services::ChatMember& c) {
        return "ChatMember(user_id=" + std::to_string(c.user_id.value) +
               ", role=" + std::string(ToString(c.role)) + ")";
      });

  py::class_<services::ChatMessage>(m, "ChatMessage",
                                    "A message; a deleted one has deleted=True and no body.")
      .def_property_readonly("id", [](const services::ChatMessage& c) { return c.id.value; })
      .def_property_readonly("conversation_id",
                             [](const services::ChatMessage& c) { return c.conversation_id.value; })
      .def_property_readonly("sender_id", [](const services::ChatMessage& c) { return c.sender_id.value; })
      .def_property_readonly("reply_to_id",
                             [](const services::ChatMessage& c) -> std::optional<int64_t> {
                               if (!c.reply_to_id) return std::nullopt;
                               return c.reply_to_id->value;
                             })
      .def_readonly("body", &services::ChatMessage::body)
      .def_readonly("attachments", &services::ChatMessage::attachments)
      .def_property_readonly("created_at",
                             [](const services::ChatMessage& c) { return ToDatetime(c.created_at); })
      .def_property_readonly("edited_at",
                             [](const services::ChatMessage& c) { return ToDatetime(c.edited_at); })
      .def_readonly("deleted", &services::ChatMessage::deleted)
      .def("__repr__", &MessageRepr);

  py::class_<services::Notification>(
      m, "Notification", "A notification row; a group folds several actors (actor_count, latest_actors).")
      .def_property_readonly("id", [](const services::Notification& n) { return n.id.value; })
      .def_property_readonly("user_id", [](const services::Notification& n) { return n.user_id.value; })
      .def_readonly("kind", &services::Notification::kind)
      .def_property_readonly("actor_id",
                             [](const services::Notification& n) -> std::optional<int64_t> {
                               if (!n.actor_id) return std::nullopt;
                               return n.actor_id->value;
                             })
      .def_readonly("target_type", &services::Notification::target_type)
      .def_readonly("target_id", &services::Notification::target_id)
      .def_readonly("actor_count", &services::Notification::actor_count)
      .def_property_readonly("latest_actors",
                             [](const services::Notification& n) {
                               std::vector<int64_t> out;
                               for (UserId a : n.latest_actors) out.push_back(a.value);
                               return out;
                             })
      .def_readonly("payload", &services::Notification::payload)
      .def_readonly("read", &services::Notification::read)
      .def_property_readonly("created_at",
                             [](const services::Notification& n) { return ToDatetime(n.created_at); })
      .def_property_readonly("updated_at",
                             [](const services::Notification& n) { return ToDatetime(n.updated_at); })
      .def("__repr__", [](const services::Notification& n) {
        return "Notification(id=" + std::to_string(n.id.value) + ", kind=" + n.kind +
               ", actor_count=" + std::to_string(n.actor_count) + (n.read ? ", read=True" : "") + ")";
      });

  py::class_<ChatApi> chat(
      m, "Chat", "Conversations and messages; events on user:{id} and conversation:{id} after commit.");
  chat.def(
          "create_conversation",
          [](ChatApi& s, int64_t creator, std::vector<int64_t> members, const std::string& kind,
             std::optional<std::string> title, TxState* tx) {
            services::CreateConversationRequest r{.creator_id = creator,
                                                  .member_ids = std::move(members),
                                                  .kind = kind,
                                                  .title = std::move(title)};
            return CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().CreateConversation(ctx, r);
            });
          },
          py::arg("creator_id"), py::arg("member_ids"), py::kw_only(), py::arg("kind") = "DIRECT",
          py::arg("title") = py::none(), py::arg("tx") = py::none(),
          "→ Conversation. DIRECT: one per pair (asking again returns it). PermissionDenied across a block.")
      .def(
          "get",
          [](ChatApi& s, int64_t viewer, int64_t id) {
            return s.core->Call(
                [&](Platform& p) { return p.chat().Get(Ctx(), UserId{viewer}, ConversationId{id}); });
          },
          py::arg("viewer_id"), py::arg("conversation_id"),
          "→ Conversation, for a current member (else NotFound).")
      .def(
          "members",
          [](ChatApi& s, int64_t viewer, int64_t id) {
            return s.core->Call(
                [&](Platform& p) { return p.chat().Members(Ctx(), UserId{viewer}, ConversationId{id}); });
          },
          py::arg("viewer_id"), py::arg("conversation_id"), "→ list[ChatMember] (current members).")
      .def(
          "add_member",
          [](ChatApi& s, int64_t actor, int64_t id, int64_t user, const std::string& role, TxState* tx) {
            const services::ChatRole r = ParseRole(role);
            CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().AddMember(ctx, UserId{actor}, ConversationId{id}, UserId{user}, r);
            });
          },
          py::arg("actor_id"), py::arg("conversation_id"), py::arg("user_id"), py::kw_only(),
          py::arg("role") = "MEMBER", py::arg("tx") = py::none(),
          "GROUP only; OWNER/ADMIN add (ADMIN: OWNER only).")
      .def(
          "remove_member",
          [](ChatApi& s, int64_t actor, int64_t id, int64_t user, TxState* tx) {
            CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().RemoveMember(ctx, UserId{actor}, ConversationId{id}, UserId{user});
            });
          },
          py::arg("actor_id"), py::arg("conversation_id"), py::arg("user_id"), py::kw_only(),
          py::arg("tx") = py::none())
      .def(
          "leave",
          [](ChatApi& s, int64_t user, int64_t id, TxState* tx) {
            CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().Leave(ctx, UserId{user}, ConversationId{id});
            });
          },
          py::arg("user_id"), py::arg("conversation_id"), py::kw_only(), py::arg("tx") = py::none(),
          "History up to now stays readable; nothing after it.")
      .def(
          "send",
          [](ChatApi& s, int64_t id, int64_t sender, std::string body, std::vector<std::string> attachments,
             std::optional<int64_t> reply_to, TxState* tx) {
            services::SendMessageRequest r{.conversation_id = id,
                                           .sender_id = sender,
                                           .body = std::move(body),
                                           .attachments = std::move(attachments),
                                           .reply_to_id = reply_to};
            return CallIn(s.core, tx,
                          [&](Platform& p, const RequestContext& ctx) { return p.chat().Send(ctx, r); });
          },
          py::arg("conversation_id"), py::arg("sender_id"), py::arg("body") = "", py::kw_only(),
          py::arg("attachments") = std::vector<std::string>{}, py::arg("reply_to_id") = py::none(),
          py::arg("tx") = py::none(),
          "→ ChatMessage, published after commit. PermissionDenied across a block (DIRECT); "
          "FailedPrecondition\n"
          "after leaving.")
      .def(
          "edit",
          [](ChatApi& s, int64_t editor, int64_t id, const std::string& body, TxState* tx) {
            return CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().Edit(ctx, UserId{editor}, MessageId{id}, body);
            });
          },
          py::arg("editor_id"), py::arg("message_id"), py::arg("body"), py::kw_only(),
          py::arg("tx") = py::none(), "Edits one's own message → ChatMessage.")
      .def(
          "delete",
          [](ChatApi& s, int64_t user, int64_t id, TxState* tx) {
            CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().Delete(ctx, UserId{user}, MessageId{id});
            });
          },
          py::arg("user_id"), py::arg("message_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Deletes one's own message (it reads as deleted). Idempotent.")
      .def(
          "history",
          [](ChatApi& s, int64_t viewer, int64_t id, int limit, const std::string& cursor) {
            auto fetch = [viewer, id, limit](Platform& p, const std::string& c) {
              return p.chat().History(Ctx(), UserId{viewer}, ConversationId{id},
                                      {.limit = limit, .cursor = c});
            };
            return FetchPage(s.core, fetch, cursor);
          },
          py::arg("viewer_id"), py::arg("conversation_id"), py::kw_only(), py::arg("limit") = 50,
          py::arg("cursor") = "", "Messages newest first → Page[ChatMessage].")
      .def(
          "around",
          [](ChatApi& s, int64_t viewer, int64_t id, int64_t message, int before, int after) {
            return s.core->Call([&](Platform& p) {
              return p.chat().Around(Ctx(), UserId{viewer}, ConversationId{id}, MessageId{message}, before,
                                     after);
            });
          },
          py::arg("viewer_id"), py::arg("conversation_id"), py::arg("message_id"), py::kw_only(),
          py::arg("before") = 10, py::arg("after") = 10, "The message with its neighbours, oldest first.")
      .def(
          "mark_read",
          [](ChatApi& s, int64_t user, int64_t id, int64_t message, TxState* tx) {
            CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.chat().MarkRead(ctx, UserId{user}, ConversationId{id}, MessageId{message});
            });
          },
          py::arg("user_id"), py::arg("conversation_id"), py::arg("message_id"), py::kw_only(),
          py::arg("tx") = py::none(), "Read receipt up to message_id (never moves back).")
      .def(
          "unread_count",
          [](ChatApi& s, int64_t user, int64_t id) {
            return s.core->Call(
                [&](Platform& p) { return p.chat().UnreadCount(Ctx(), UserId{user}, ConversationId{id}); });
          },
          py::arg("user_id"), py::arg("conversation_id"), "Messages from others after the read receipt.")
      .def(
          "user_channel", [](ChatApi&, int64_t user) { return services::Chat::UserChannel(UserId{user}); },
          py::arg("user_id"), "\"user:{id}\": a user's chat events and notifications.")
      .def(
          "conversation_channel",
          [](ChatApi&, int64_t id) { return services::Chat::ConversationChannel(ConversationId{id}); },
          py::arg("conversation_id"), "\"conversation:{id}\": the events of one conversation (and typing).")
      .def("__repr__", [](const ChatApi&) { return std::string("<daira.Chat>"); });

  py::class_<NotificationsApi> n(m, "Notifications", "Per-user notifications, grouped; pushed on user:{id}.");
  n.def(
       "notify",
       [](NotificationsApi& s, int64_t user, const std::string& kind, std::optional<int64_t> actor,
          std::optional<std::string> target_type, std::optional<int64_t> target_id,
          const std::string& payload, TxState* tx) {
         services::NotifyRequest r{.user_id = user,
                                   .kind = kind,
                                   .actor_id = actor,
                                   .target_type = std::move(target_type),
                                   .target_id = target_id,
                                   .payload = payload};
         return CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.notifications().Notify(ctx, r);
         });
       },
       py::arg("user_id"), py::arg("kind"), py::kw_only(), py::arg("actor_id") = py::none(),
       py::arg("target_type") = py::none(), py::arg("target_id") = py::none(), py::arg("payload") = "{}",
       py::arg("tx") = py::none(), "→ Notification (a new row, or the group it folded into).")
      .def(
          "list",
          [](NotificationsApi& s, int64_t user, int limit, const std::string& cursor, bool unread_only) {
            auto fetch = [user, limit, unread_only](Platform& p, const std::string& c) {
              return p.notifications().List(Ctx(), UserId{user}, {.limit = limit, .cursor = c}, unread_only);
            };
            return FetchPage(s.core, fetch, cursor);
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("unread_only") = false, "Newest activity first → Page[Notification].")
      .def(
          "unread_count",
          [](NotificationsApi& s, int64_t user) {
            return s.core->Call(
                [&](Platform& p) { return p.notifications().UnreadCount(Ctx(), UserId{user}); });
          },
          py::arg("user_id"))
      .def(
          "mark_read",
          [](NotificationsApi& s, int64_t user, int64_t id, TxState* tx) {
            CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.notifications().MarkRead(ctx, UserId{user}, NotificationId{id});
            });
          },
          py::arg("user_id"), py::arg("notification_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "mark_all_read",
          [](NotificationsApi& s, int64_t user, TxState* tx) {
            return CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.notifications().MarkAllRead(ctx, UserId{user});
            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("tx") = py::none(), "→ how many changed.")
      .def(
          "channel",
          [](NotificationsApi&, int64_t user) { return services::Notifications::Channel(UserId{user}); },
          py::arg("user_id"), "\"user:{id}\".")
      .def("__repr__", [](const NotificationsApi&) { return std::string("<daira.Notifications>"); });
}

}  // namespace daira::python
