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
#include "service_call.h"

namespace daira::python {
namespace {

// The argument conversions of p.chat beyond ArgOf's: add_member's role (exact names, its own error).
struct ChatArgs {};

std::string MessageRepr(const services::ChatMessage& m) {
  return "ChatMessage(id=" + std::to_string(m.id.value) + ", sender_id=" + std::to_string(m.sender_id.value) +
         (m.deleted ? ", deleted=True" : ", body=" + Repr(py::str(m.body))) + ")";
}

}  // namespace

template <>
struct ArgOf<ChatArgs, services::ChatRole> {
  using Py = std::string;
  static services::ChatRole From(const std::string& role, const Where&) {
    if (role == "MEMBER") return services::ChatRole::kMember;
    if (role == "ADMIN") return services::ChatRole::kAdmin;
    if (role == "OWNER") return services::ChatRole::kOwner;
    Throw(InvalidField("add_member", "role", "must be MEMBER or ADMIN (got \"" + role + "\")"));
  }
};

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
  using services::Chat;
  constexpr auto kChat = &Platform::chat;
  using Create = services::CreateConversationRequest;
  DefRequest<kChat, &Chat::CreateConversation,
             Fields<&Create::creator_id, &Create::member_ids, &Create::kind, &Create::title>>(
      chat, "create_conversation", py::arg("creator_id"), py::arg("member_ids"), py::kw_only(),
      py::arg("kind") = "DIRECT", py::arg("title") = py::none(), TxArg(),
      "→ Conversation. DIRECT: one per pair (asking again returns it). PermissionDenied across a block.");
  DefCall<kChat, &Chat::Get>(chat, NoTx{"get"}, py::arg("viewer_id"), py::arg("conversation_id"),
                             "→ Conversation, for a current member (else NotFound).");
  DefCall<kChat, &Chat::Members>(chat, NoTx{"members"}, py::arg("viewer_id"), py::arg("conversation_id"),
                                 "→ list[ChatMember] (current members).");
  DefCall<kChat, &Chat::AddMember, nullptr, ChatArgs>(
      chat, "add_member", py::arg("actor_id"), py::arg("conversation_id"), py::arg("user_id"), py::kw_only(),
      py::arg("role") = "MEMBER", TxArg(), "GROUP only; OWNER/ADMIN add (ADMIN: OWNER only).");
  DefCall<kChat, &Chat::RemoveMember>(chat, "remove_member", py::arg("actor_id"), py::arg("conversation_id"),
                                      py::arg("user_id"), py::kw_only(), TxArg());
  DefCall<kChat, &Chat::Leave>(chat, "leave", py::arg("user_id"), py::arg("conversation_id"), py::kw_only(),
                               TxArg(), "History up to now stays readable; nothing after it.");
  using Send = services::SendMessageRequest;
  DefRequest<
      kChat, &Chat::Send,
      Fields<&Send::conversation_id, &Send::sender_id, &Send::body, &Send::attachments, &Send::reply_to_id>>(
      chat, "send", py::arg("conversation_id"), py::arg("sender_id"), py::arg("body") = "", py::kw_only(),
      py::arg("attachments") = std::vector<std::string>{}, py::arg("reply_to_id") = py::none(), TxArg(),
      "→ ChatMessage, published after commit. PermissionDenied across a block (DIRECT); "
      "FailedPrecondition\n"
      "after leaving.");
  DefCall<kChat, &Chat::Edit>(chat, "edit", py::arg("editor_id"), py::arg("message_id"), py::arg("body"),
                              py::kw_only(), TxArg(), "Edits one's own message → ChatMessage.");
  DefCall<kChat, &Chat::Delete>(chat, "delete", py::arg("user_id"), py::arg("message_id"), py::kw_only(),
                                TxArg(), "Deletes one's own message (it reads as deleted). Idempotent.");
  DefPage<kChat, &Chat::History, int>(chat, NoTx{"history"}, py::arg("viewer_id"), py::arg("conversation_id"),
                                      py::kw_only(), py::arg("limit") = 50, py::arg("cursor") = "",
                                      "Messages newest first → Page[ChatMessage].");
  DefCall<kChat, &Chat::Around>(chat, NoTx{"around"}, py::arg("viewer_id"), py::arg("conversation_id"),
                                py::arg("message_id"), py::kw_only(), py::arg("before") = 10,
                                py::arg("after") = 10, "The message with its neighbours, oldest first.");
  DefCall<kChat, &Chat::MarkRead>(chat, "mark_read", py::arg("user_id"), py::arg("conversation_id"),
                                  py::arg("message_id"), py::kw_only(), TxArg(),
                                  "Read receipt up to message_id (never moves back).");
  DefCall<kChat, &Chat::UnreadCount>(chat, NoTx{"unread_count"}, py::arg("user_id"),
                                     py::arg("conversation_id"),
                                     "Messages from others after the read receipt.");
  chat.def(
          "user_channel", [](ChatApi&, int64_t user) { return services::Chat::UserChannel(UserId{user}); },
          py::arg("user_id"), "\"user:{id}\": a user's chat events and notifications.")
      .def(
          "conversation_channel",
          [](ChatApi&, int64_t id) { return services::Chat::ConversationChannel(ConversationId{id}); },
          py::arg("conversation_id"), "\"conversation:{id}\": the events of one conversation (and typing).")
      .def("__repr__", [](const ChatApi&) { return std::string("<daira.Chat>"); });

  py::class_<NotificationsApi> n(m, "Notifications", "Per-user notifications, grouped; pushed on user:{id}.");
  using services::Notifications;
  constexpr auto kNotifications = &Platform::notifications;
  using Notify = services::NotifyRequest;
  DefRequest<kNotifications, &Notifications::Notify,
             Fields<&Notify::user_id, &Notify::kind, &Notify::actor_id, &Notify::target_type,
                    &Notify::target_id, &Notify::payload>>(
      n, "notify", py::arg("user_id"), py::arg("kind"), py::kw_only(), py::arg("actor_id") = py::none(),
      py::arg("target_type") = py::none(), py::arg("target_id") = py::none(), py::arg("payload") = "{}",
      TxArg(), "→ Notification (a new row, or the group it folded into).");
  DefPage<kNotifications, &Notifications::List, int>(
      n, NoTx{"list"}, py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
      py::arg("unread_only") = false, "Newest activity first → Page[Notification].");
  DefCall<kNotifications, &Notifications::UnreadCount>(n, NoTx{"unread_count"}, py::arg("user_id"));
  DefCall<kNotifications, &Notifications::MarkRead>(n, "mark_read", py::arg("user_id"),
                                                    py::arg("notification_id"), py::kw_only(), TxArg());
  DefCall<kNotifications, &Notifications::MarkAllRead>(n, "mark_all_read", py::arg("user_id"), py::kw_only(),
                                                       TxArg(), "→ how many changed.");
  n.def(
       "channel",
       [](NotificationsApi&, int64_t user) { return services::Notifications::Channel(UserId{user}); },
       py::arg("user_id"), "\"user:{id}\".")
      .def("__repr__", [](const NotificationsApi&) { return std::string("<daira.Notifications>"); });
}

}  // namespace daira::python
