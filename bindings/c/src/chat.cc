// chat and notifications: conversations, messages, read receipts; notifications with grouping. Live
// events go through the platform's hub (daira_realtime_subscribe "user:{id}" / "conversation:{id}").
#include "daira/services/chat.h"

#include "daira/services/notifications.h"
#include "internal.h"

using daira::JsonWriter;

namespace {
using daira::ConversationId;
using daira::MessageId;
using daira::NotificationId;
using daira::UserId;
namespace services = daira::services;
namespace cabi = daira::cabi;

daira::query::PageRequest PageOf(cabi::Request& r, int fallback) {
  daira::query::PageRequest page;
  page.limit = cabi::IntLimit(r, "limit", fallback);
  page.cursor = r.String("cursor");
  return page;
}

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

std::string CountJson(std::string_view key, int64_t n) {
  JsonWriter w;
  w.BeginObject().Key(key).Int(n).EndObject();
  return w.Take();
}

}  // namespace

DAIRA_CABI_CALL(daira_chat_create_conversation, "chat.create_conversation") {
  services::CreateConversationRequest req;
  req.creator_id = r.Id("creator_id");
  req.member_ids = r.IdList("member_ids");
  req.kind = r.String("kind", "DIRECT");
  req.title = r.OptString("title");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Conversation c, p.chat().CreateConversation(ctx, req));
  return cabi::RecordJson(WriteConversation, c);
}

DAIRA_CABI_CALL(daira_chat_send, "chat.send") {
  services::SendMessageRequest req;
  req.conversation_id = r.Id("conversation_id");
  req.sender_id = r.Id("sender_id");
  req.body = r.String("body");
  req.attachments = r.OptStringList("attachments").value_or(std::vector<std::string>{});
  req.reply_to_id = r.OptId("reply_to_id");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::ChatMessage m, p.chat().Send(ctx, req));
  return cabi::RecordJson(WriteMessage, m);
}

DAIRA_CABI_CALL(daira_chat_history, "chat.history") {
  const UserId viewer(r.Id("viewer_id"));
  const ConversationId conv(r.Id("conversation_id"));
  const daira::query::PageRequest page = PageOf(r, 50);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto got, p.chat().History(ctx, viewer, conv, page));
  return cabi::PageJson(got, WriteMessage);
}

DAIRA_CABI_CALL(daira_chat_mark_read, "chat.mark_read") {
  const UserId user(r.Id("user_id"));
  const ConversationId conv(r.Id("conversation_id"));
  const MessageId message(r.Id("message_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.chat().MarkRead(ctx, user, conv, message));
  return cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_chat_unread_count, "chat.unread_count") {
  const UserId user(r.Id("user_id"));
  const ConversationId conv(r.Id("conversation_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.chat().UnreadCount(ctx, user, conv));
  return CountJson("unread", n);
}

DAIRA_CABI_CALL(daira_chat_leave, "chat.leave") {
  const UserId user(r.Id("user_id"));
  const ConversationId conv(r.Id("conversation_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.chat().Leave(ctx, user, conv));
  return cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_chat_edit, "chat.edit") {
  const UserId editor(r.Id("editor_id"));
  const MessageId message(r.Id("message_id"));
  const std::string body = r.String("body");
  if (!r.Has("body")) r.Fail("body", "is required");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::ChatMessage m, p.chat().Edit(ctx, editor, message, body));
  return cabi::RecordJson(WriteMessage, m);
}

DAIRA_CABI_CALL(daira_chat_delete, "chat.delete") {
  const UserId user(r.Id("user_id"));
  const MessageId message(r.Id("message_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.chat().Delete(ctx, user, message));
  return cabi::EmptyJson();
}

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

DAIRA_CABI_CALL(daira_chat_members, "chat.members") {
  const UserId viewer(r.Id("viewer_id"));
  const ConversationId conv(r.Id("conversation_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(std::vector<services::ChatMember> members, p.chat().Members(ctx, viewer, conv));
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

DAIRA_CABI_CALL(daira_chat_add_member, "chat.add_member") {
  const UserId actor(r.Id("actor_id"));
  const ConversationId conv(r.Id("conversation_id"));
  const UserId user(r.Id("user_id"));
  const std::string role = r.String("role", "MEMBER");
  if (role != "MEMBER" && role != "ADMIN") r.Fail("role", "must be \"MEMBER\" or \"ADMIN\"");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.chat().AddMember(
      ctx, actor, conv, user, role == "ADMIN" ? services::ChatRole::kAdmin : services::ChatRole::kMember));
  return cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_chat_remove_member, "chat.remove_member") {
  const UserId actor(r.Id("actor_id"));
  const ConversationId conv(r.Id("conversation_id"));
  const UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.chat().RemoveMember(ctx, actor, conv, user));
  return cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_notifications_notify, "notifications.notify") {
  services::NotifyRequest req;
  req.user_id = r.Id("user_id");
  req.kind = r.String("kind");
  req.actor_id = r.OptId("actor_id");
  req.target_type = r.OptString("target_type");
  req.target_id = r.OptId("target_id");
  req.payload = r.OptObjectText("payload").value_or("{}");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Notification n, p.notifications().Notify(ctx, req));
  return cabi::RecordJson(WriteNotification, n);
}

DAIRA_CABI_CALL(daira_notifications_list, "notifications.list") {
  const UserId user(r.Id("user_id"));
  const bool unread_only = r.OptBool("unread_only").value_or(false);
  const daira::query::PageRequest page = PageOf(r, 20);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto got, p.notifications().List(ctx, user, page, unread_only));
  return cabi::PageJson(got, WriteNotification);
}

DAIRA_CABI_CALL(daira_notifications_unread_count, "notifications.unread_count") {
  const UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.notifications().UnreadCount(ctx, user));
  return CountJson("unread", n);
}

DAIRA_CABI_CALL(daira_notifications_mark_read, "notifications.mark_read") {
  const UserId user(r.Id("user_id"));
  const NotificationId id(r.Id("notification_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.notifications().MarkRead(ctx, user, id));
  return cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_notifications_mark_all_read, "notifications.mark_all_read") {
  const UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.notifications().MarkAllRead(ctx, user));
  return CountJson("changed", n);
}
