// chat and notifications: conversations, messages, read receipts; notifications with grouping. Live
// events go through the platform's hub (daira_realtime_subscribe "user:{id}" / "conversation:{id}").
#include "daira/services/chat.h"

#include "daira/services/notifications.h"
#include "internal.h"
#include "service_call.h"

using daira::JsonWriter;

namespace {
using daira::ConversationId;
using daira::MessageId;
using daira::NotificationId;
using daira::UserId;
namespace services = daira::services;
namespace cabi = daira::cabi;

void OptIdOrNull(JsonWriter& w, std::string_view key, std::optional<int64_t> id) {
  w.Key(key);
  if (id) {
    cabi::WriteId(w, *id);
  } else {
    w.Null();
  }
}

void WriteConversation(JsonWriter& w, const services::Conversation& c) {
  w.BeginObject().Key("id");
  cabi::WriteId(w, c.id.value);
  w.Key("kind").String(c.kind).Key("title");
  if (c.title) {
    w.String(*c.title);
  } else {
    w.Null();
  }
  w.Key("created_by");
  cabi::WriteId(w, c.created_by.value);
  OptIdOrNull(w, "last_message_id",
              c.last_message_id ? std::optional<int64_t>(c.last_message_id->value) : std::nullopt);
  w.Key("created_at");
  cabi::WriteTime(w, c.created_at);
  w.EndObject();
}

void WriteMessage(JsonWriter& w, const services::ChatMessage& m) {
  w.BeginObject().Key("id");
  cabi::WriteId(w, m.id.value);
  w.Key("conversation_id");
  cabi::WriteId(w, m.conversation_id.value);
  w.Key("sender_id");
  cabi::WriteId(w, m.sender_id.value);
  OptIdOrNull(w, "reply_to_id", m.reply_to_id ? std::optional<int64_t>(m.reply_to_id->value) : std::nullopt);
  w.Key("body").String(m.body).Key("attachments").BeginArray();
  for (const std::string& a : m.attachments) w.String(a);
  w.EndArray().Key("created_at");
  cabi::WriteTime(w, m.created_at);
  w.Key("edited_at");
  if (m.edited_at) {
    cabi::WriteTime(w, *m.edited_at);
  } else {
    w.Null();
  }
  w.Key("deleted").Bool(m.deleted).EndObject();
}

void WriteNotification(JsonWriter& w, const services::Notification& n) {
  w.BeginObject().Key("id");
  cabi::WriteId(w, n.id.value);
  w.Key("user_id");
  cabi::WriteId(w, n.user_id.value);
  w.Key("kind").String(n.kind);
  OptIdOrNull(w, "actor_id", n.actor_id ? std::optional<int64_t>(n.actor_id->value) : std::nullopt);
  w.Key("target_type");
  if (n.target_type) {
    w.String(*n.target_type);
  } else {
    w.Null();
  }
  OptIdOrNull(w, "target_id", n.target_id);
  w.Key("actor_count").Int(n.actor_count).Key("latest_actors").BeginArray();
  for (UserId a : n.latest_actors) cabi::WriteId(w, a.value);
  w.EndArray().Key("payload").Raw(n.payload).Key("read").Bool(n.read).Key("created_at");
  cabi::WriteTime(w, n.created_at);
  w.Key("updated_at");
  cabi::WriteTime(w, n.updated_at);
  w.EndObject();
}

// chat.members' result: {"items":[{user_id, role, last_read_message_id, joined_at}, …]}.
std::string MembersJson(const std::vector<services::ChatMember>& members) {
  JsonWriter w;
  w.BeginObject().Key("items").BeginArray();
  for (const services::ChatMember& m : members) {
    w.BeginObject().Key("user_id");
    cabi::WriteId(w, m.user_id.value);
    w.Key("role").String(services::ToString(m.role));
    OptIdOrNull(
        w, "last_read_message_id",
        m.last_read_message_id ? std::optional<int64_t>(m.last_read_message_id->value) : std::nullopt);
    w.Key("joined_at");
    cabi::WriteTime(w, m.joined_at);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

// chat.add_member's "role": MEMBER (default) or ADMIN.
services::ChatRole RoleOf(cabi::Request& r) {
  const std::string role = r.String("role", "MEMBER");
  if (role != "MEMBER" && role != "ADMIN") r.Fail("role", "must be \"MEMBER\" or \"ADMIN\"");
  return role == "ADMIN" ? services::ChatRole::kAdmin : services::ChatRole::kMember;
}

constexpr auto kChat = &daira::Platform::chat;
constexpr auto kNotifications = &daira::Platform::notifications;
using namespace cabi::fields;  // NOLINT: the readers and encoders of the descriptions below

}  // namespace

DAIRA_CABI_SERVICE_CALL(daira_chat_create_conversation, "chat.create_conversation", kChat,
                        &services::Chat::CreateConversation,
                        Record<services::Conversation>{WriteConversation},
                        Struct<services::CreateConversationRequest>(
                            Set{&services::CreateConversationRequest::creator_id, Id{"creator_id"}},
                            Set{&services::CreateConversationRequest::member_ids, IdList{"member_ids"}},
                            Set{&services::CreateConversationRequest::kind, Str{"kind", "DIRECT"}},
                            Set{&services::CreateConversationRequest::title, OptStr{"title"}}))

DAIRA_CABI_SERVICE_CALL(daira_chat_send, "chat.send", kChat, &services::Chat::Send,
                        Record<services::ChatMessage>{WriteMessage},
                        Struct<services::SendMessageRequest>(
                            Set{&services::SendMessageRequest::conversation_id, Id{"conversation_id"}},
                            Set{&services::SendMessageRequest::sender_id, Id{"sender_id"}},
                            Set{&services::SendMessageRequest::body, Str{"body"}},
                            Set{&services::SendMessageRequest::attachments, StrListOrEmpty{"attachments"}},
                            Set{&services::SendMessageRequest::reply_to_id, OptId{"reply_to_id"}}))

DAIRA_CABI_SERVICE_CALL(daira_chat_history, "chat.history", kChat, &services::Chat::History,
                        PageOf<services::ChatMessage>{WriteMessage}, IdAs<UserId>{"viewer_id"},
                        IdAs<ConversationId>{"conversation_id"}, Page{50})

DAIRA_CABI_SERVICE_CALL(daira_chat_mark_read, "chat.mark_read", kChat, &services::Chat::MarkRead, Empty{},
                        IdAs<UserId>{"user_id"}, IdAs<ConversationId>{"conversation_id"},
                        IdAs<MessageId>{"message_id"})

DAIRA_CABI_SERVICE_CALL(daira_chat_unread_count, "chat.unread_count", kChat, &services::Chat::UnreadCount,
                        Count{"unread"}, IdAs<UserId>{"user_id"}, IdAs<ConversationId>{"conversation_id"})

DAIRA_CABI_SERVICE_CALL(daira_chat_leave, "chat.leave", kChat, &services::Chat::Leave, Empty{},
                        IdAs<UserId>{"user_id"}, IdAs<ConversationId>{"conversation_id"})

DAIRA_CABI_SERVICE_CALL(daira_chat_edit, "chat.edit", kChat, &services::Chat::Edit,
                        Record<services::ChatMessage>{WriteMessage}, IdAs<UserId>{"editor_id"},
                        IdAs<MessageId>{"message_id"}, RequiredStr{"body"})

DAIRA_CABI_SERVICE_CALL(daira_chat_delete, "chat.delete", kChat, &services::Chat::Delete, Empty{},
                        IdAs<UserId>{"user_id"}, IdAs<MessageId>{"message_id"})

DAIRA_CABI_CALL(daira_chat_around, "chat.around") {
  const UserId viewer(r.Id("viewer_id"));
  const ConversationId conv(r.Id("conversation_id"));
  const MessageId around(r.Id("message_id"));
  const int64_t before = r.Int("before", 10);
  const int64_t after = r.Int("after", 10);
  if (before < 0 || before > 100) r.Fail("before", "must be in [0, 100]");
  if (after < 0 || after > 100) r.Fail("after", "must be in [0, 100]");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(
      std::vector<services::ChatMessage> got,
      p.chat().Around(ctx, viewer, conv, around, static_cast<int>(before), static_cast<int>(after)));
  JsonWriter w;
  w.BeginObject().Key("items").BeginArray();
  for (const services::ChatMessage& m : got) WriteMessage(w, m);
  w.EndArray().EndObject();
  return w.Take();
}

DAIRA_CABI_SERVICE_CALL(daira_chat_members, "chat.members", kChat, &services::Chat::Members, MembersJson,
                        IdAs<UserId>{"viewer_id"}, IdAs<ConversationId>{"conversation_id"})

DAIRA_CABI_SERVICE_CALL(daira_chat_add_member, "chat.add_member", kChat, &services::Chat::AddMember, Empty{},
                        IdAs<UserId>{"actor_id"}, IdAs<ConversationId>{"conversation_id"},
                        IdAs<UserId>{"user_id"}, RoleOf)

DAIRA_CABI_SERVICE_CALL(daira_chat_remove_member, "chat.remove_member", kChat, &services::Chat::RemoveMember,
                        Empty{}, IdAs<UserId>{"actor_id"}, IdAs<ConversationId>{"conversation_id"},
                        IdAs<UserId>{"user_id"})

DAIRA_CABI_SERVICE_CALL(
    daira_notifications_notify, "notifications.notify", kNotifications, &services::Notifications::Notify,
    Record<services::Notification>{WriteNotification},
    Struct<services::NotifyRequest>(Set{&services::NotifyRequest::user_id, Id{"user_id"}},
                                    Set{&services::NotifyRequest::kind, Str{"kind"}},
                                    Set{&services::NotifyRequest::actor_id, OptId{"actor_id"}},
                                    Set{&services::NotifyRequest::target_type, OptStr{"target_type"}},
                                    Set{&services::NotifyRequest::target_id, OptId{"target_id"}},
                                    Set{&services::NotifyRequest::payload, ObjectTextOr{"payload"}}))

DAIRA_CABI_CALL(daira_notifications_list, "notifications.list") {
  const UserId user(r.Id("user_id"));
  const bool unread_only = r.OptBool("unread_only").value_or(false);
  const daira::query::PageRequest page = cabi::fields::Page{20}(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto got, p.notifications().List(ctx, user, page, unread_only));
  return cabi::PageJson(got, WriteNotification);
}

DAIRA_CABI_SERVICE_CALL(daira_notifications_unread_count, "notifications.unread_count", kNotifications,
                        &services::Notifications::UnreadCount, Count{"unread"}, IdAs<UserId>{"user_id"})

DAIRA_CABI_SERVICE_CALL(daira_notifications_mark_read, "notifications.mark_read", kNotifications,
                        &services::Notifications::MarkRead, Empty{}, IdAs<UserId>{"user_id"},
                        IdAs<NotificationId>{"notification_id"})

DAIRA_CABI_SERVICE_CALL(daira_notifications_mark_all_read, "notifications.mark_all_read", kNotifications,
                        &services::Notifications::MarkAllRead, Count{"changed"}, IdAs<UserId>{"user_id"})
