#include "daira/services/chat.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/store/connection.h"
#include "daira/store/value.h"
#include "query/keyset_shapes.h"
#include "services/chat_internal.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {
namespace {

using internal::FieldError;
using store::Connection;
using store::ResultSet;
using store::Value;

constexpr char kMessageColumns[] =
    "SELECT id, conversation_id, sender_id, reply_to_id, body, attachments, created_at, edited_at, "
    "deleted_at "
    "FROM messages";

absl::Status NoConversation(std::string_view op, ConversationId id) {
  return FieldError(absl::StatusCode::kNotFound, op, "conversation_id",
                    absl::StrCat("not found (got ", id.value, ")"));
}

ChatRole RoleFromText(std::string_view s) {
  if (s == "OWNER") return ChatRole::kOwner;
  if (s == "ADMIN") return ChatRole::kAdmin;
  return ChatRole::kMember;
}

std::optional<int64_t> OptInt(const store::Row& r, std::string_view col) {
  if (r.IsNull(col)) return std::nullopt;
  return r.Int64(col);
}

ChatMessage MessageFromRow(const store::Row& r) {
  ChatMessage m;
  m.id = MessageId{r.Int64("id")};
  m.conversation_id = ConversationId{r.Int64("conversation_id")};
  m.sender_id = UserId{r.IsNull("sender_id") ? 0 : r.Int64("sender_id")};
  if (auto v = OptInt(r, "reply_to_id")) m.reply_to_id = MessageId{*v};
  m.body = r.Text("body");
  if (absl::StatusOr<JsonValue> a = ParseJson(r.Text("attachments")); a.ok()) {
    for (const JsonValue& e : a->AsArray()) m.attachments.push_back(e.AsString());
  }
  m.created_at = FromUnixMicros(r.Int64("created_at"));
  if (auto v = OptInt(r, "edited_at")) m.edited_at = FromUnixMicros(*v);
  m.deleted = !r.IsNull("deleted_at");
  return m;
}

std::string AttachmentsJson(const std::vector<std::string>& attachments) {
  JsonWriter w;
  w.BeginArray();
  for (const std::string& a : attachments) w.String(a);
  w.EndArray();
  return w.Take();
}

void WriteMessage(JsonWriter& w, const ChatMessage& m) {
  w.BeginObject()
      .Key("id")
      .String(absl::StrCat(m.id.value))
      .Key("conversation_id")
      .String(absl::StrCat(m.conversation_id.value));
  w.Key("sender_id").String(absl::StrCat(m.sender_id.value));
  w.Key("reply_to_id");
  if (m.reply_to_id)
    w.String(absl::StrCat(m.reply_to_id->value));
  else
    w.Null();
  w.Key("body").String(m.body).Key("attachments").Raw(AttachmentsJson(m.attachments));
  w.Key("created_at").Int(ToUnixMicros(m.created_at));
  w.Key("edited_at");
  if (m.edited_at)
    w.Int(ToUnixMicros(*m.edited_at));
  else
    w.Null();
  w.Key("deleted").Bool(m.deleted).EndObject();
}

// {"type": type, "conversation_id": id, <extra>...}; `extra` writes the remaining keys.
template <typename F>
std::string Event(std::string_view type, ConversationId id, F&& extra) {
  JsonWriter w;
  w.BeginObject().Key("type").String(type).Key("conversation_id").String(absl::StrCat(id.value));
  extra(w);
  w.EndObject();
  return w.Take();
}

struct Membership {
  bool found = false;
  bool left = false;
  ChatRole role = ChatRole::kMember;
  int64_t visible_until = 0;  // when left: the last message id they may read (0: none)
};

absl::StatusOr<Membership> LoadMembership(Connection& c, ConversationId conv, UserId user) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         c.Execute("SELECT role, left_at, visible_until_message_id FROM conversation_members "
                                   "WHERE conversation_id = ? AND user_id = ?",
                                   {conv.value, user.value}));
  Membership m;
  if (rs.empty()) return m;
  const store::Row& r = rs.front();
  m.found = true;
  m.role = RoleFromText(r.Text("role"));
  m.left = !r.IsNull("left_at");
  m.visible_until = r.IsNull("visible_until_message_id") ? 0 : r.Int64("visible_until_message_id");
  return m;
}

// The conversation row; `lock`: locked for the rest of the transaction (Postgres: FOR NO KEY UPDATE;
// SQLite's writer lock already serializes). Every write to a conversation's messages or members locks
// it first, so they run one at a time per conversation.
absl::StatusOr<Conversation> LoadConversation(Connection& c, std::string_view op, ConversationId id, bool lock) {
  std::string sql =
      "SELECT id, kind, title, created_by, last_message_id, created_at FROM conversations WHERE id = ?";
  if (lock && c.backend() == store::Backend::kPostgres) sql += " FOR NO KEY UPDATE";
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute(sql, {id.value}));
  if (rs.empty()) return NoConversation(op, id);
  const store::Row& r = rs.front();
  Conversation out;
  out.id = ConversationId{r.Int64("id")};
  out.kind = r.Text("kind");
  if (!r.IsNull("title")) out.title = r.Text("title");
  out.created_by = UserId{r.IsNull("created_by") ? 0 : r.Int64("created_by")};
  if (auto v = OptInt(r, "last_message_id")) out.last_message_id = MessageId{*v};
  out.created_at = FromUnixMicros(r.Int64("created_at"));
  return out;
}

absl::StatusOr<Conversation> LockConversation(Connection& c, std::string_view op, ConversationId id) {
  return LoadConversation(c, op, id, /*lock=*/true);
}

absl::StatusOr<std::vector<int64_t>> CurrentMembers(Connection& c, ConversationId id) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs, c.Execute("SELECT user_id FROM conversation_members "
                              "WHERE conversation_id = ? AND left_at IS NULL ORDER BY joined_at, user_id",
                              {id.value}));
  std::vector<int64_t> out;
  for (const store::Row& r : rs) out.push_back(r.Int64(0));
  return out;
}

// PermissionDenied naming the block when either of a and b blocks the other.
absl::Status CheckNoBlock(Connection& c, std::string_view op, std::string_view field, int64_t a, int64_t b) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs,
      c.Execute("SELECT blocker_id, blocked_id FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) "
                "OR (blocker_id = ? AND blocked_id = ?)",
                {a, b, b, a}));
  if (rs.empty()) return absl::OkStatus();
  return FieldError(
      absl::StatusCode::kPermissionDenied, op, field,
      absl::StrCat("is blocked: user ", rs.front().Int64(0), " blocks user ", rs.front().Int64(1)));
}

absl::Status CheckUserExists(Connection& c, std::string_view op, std::string_view field, int64_t id) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute("SELECT status FROM users WHERE id = ?", {id}));
  if (rs.empty() || rs.front().Text(0) == "DELETED") {
    return FieldError(absl::StatusCode::kNotFound, op, field, absl::StrCat("not found (got ", id, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ToString(ChatRole role) {
  switch (role) {
    case ChatRole::kOwner:
      return "OWNER";
    case ChatRole::kAdmin:
      return "ADMIN";
    case ChatRole::kMember:
      return "MEMBER";
  }
  return "MEMBER";
}

std::string Chat::ConversationChannel(ConversationId id) { return absl::StrCat("conversation:", id.value); }
std::string Chat::UserChannel(UserId id) { return absl::StrCat("user:", id.value); }

namespace {
// The event on the conversation's channel and on the user channel of each of `members`.
std::vector<realtime::OutgoingMessage> Fanout(ConversationId conv, const std::vector<int64_t>& members,
                                              const std::string& payload) {
  std::vector<realtime::OutgoingMessage> out;
  out.reserve(members.size() + 1);
  out.push_back({Chat::ConversationChannel(conv), payload});
  for (int64_t m : members) out.push_back({Chat::UserChannel(UserId{m}), payload});
  return out;
}
}  // namespace

absl::StatusOr<Conversation> Chat::CreateConversation(const RequestContext& ctx,
                                                      const CreateConversationRequest& request) {
  constexpr std::string_view kOp = "create_conversation";
  DAIRA_RETURN_IF_ERROR(request.Validate());
  Conversation out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(CheckUserExists(c, kOp, "creator_id", request.creator_id));
    for (int64_t m : request.member_ids) {
      DAIRA_RETURN_IF_ERROR(CheckUserExists(c, kOp, "member_ids", m));
      DAIRA_RETURN_IF_ERROR(CheckNoBlock(c, kOp, "member_ids", request.creator_id, m));
    }
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
    Value direct_key;
    if (request.kind == "DIRECT") {
      const int64_t a = std::min(request.creator_id, request.member_ids[0]);
      const int64_t b = std::max(request.creator_id, request.member_ids[0]);
      direct_key = absl::StrCat(a, ":", b);
    }
    Value title = request.title.has_value() ? Value(*request.title) : Value();
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet ins,
        c.Execute(
            "INSERT INTO conversations (id, kind, title, created_by, direct_key, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (direct_key) DO NOTHING RETURNING id",
            {id, request.kind, title, request.creator_id, direct_key, now, now}));
    if (ins.empty()) {
      // The pair's DIRECT conversation exists (perhaps created concurrently, now committed): return it,
      // bringing back the creator if they had left it.
      DAIRA_ASSIGN_OR_RETURN(ResultSet existing,
                             c.Execute("SELECT id FROM conversations WHERE direct_key = ?", {direct_key}));
      if (existing.empty())
        return absl::AbortedError("create_conversation: direct conversation vanished; retry");
      const ConversationId conv{existing.front().Int64(0)};
      DAIRA_ASSIGN_OR_RETURN(out, LockConversation(c, kOp, conv));
      return c
          .Execute(
              "UPDATE conversation_members SET left_at = NULL, visible_until_message_id = NULL, joined_at = "
              "? "
              "WHERE conversation_id = ? AND user_id = ? AND left_at IS NOT NULL",
              {now, conv.value, request.creator_id})
          .status();
    }
    DAIRA_RETURN_IF_ERROR(
        c.Execute("INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) "
                  "VALUES (?, ?, 'OWNER', ?)",
                  {id, request.creator_id, now})
            .status());
    for (int64_t m : request.member_ids) {
      DAIRA_RETURN_IF_ERROR(
          c.Execute("INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) "
                    "VALUES (?, ?, 'MEMBER', ?)",
                    {id, m, now})
              .status());
    }
    out = Conversation{.id = ConversationId{id},
                       .kind = request.kind,
                       .title = request.title,
                       .created_by = UserId{request.creator_id},
                       .created_at = FromUnixMicros(now)};
    std::vector<int64_t> members = request.member_ids;
    members.insert(members.begin(), request.creator_id);
    internal::PublishAfterCommit(
        hub_, ctx,
        Fanout(out.id, members, Event("chat.created", out.id, [&](JsonWriter& w) {
                 w.Key("kind").String(out.kind).Key("created_by").String(absl::StrCat(request.creator_id));
               })));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Conversation> Chat::Get(const RequestContext& ctx, UserId viewer, ConversationId id) {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead,
                               [&](Connection& c) -> absl::StatusOr<Conversation> {
                                 DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, viewer));
                                 if (!m.found || m.left) return NoConversation("get_conversation", id);
                                 return LoadConversation(c, "get_conversation", id, /*lock=*/false);
                               });
}

absl::Status Chat::CheckMember(const RequestContext& ctx, UserId user, ConversationId id) {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, user));
    if (!m.found || m.left) return NoConversation("check_member", id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ChatMember>> Chat::Members(const RequestContext& ctx, UserId viewer,
                                                      ConversationId id) {
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kRead, [&](Connection& c) -> absl::StatusOr<std::vector<ChatMember>> {
        DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, viewer));
        if (!m.found || m.left) return NoConversation("members", id);
        DAIRA_ASSIGN_OR_RETURN(
            ResultSet rs,
            c.Execute("SELECT user_id, role, last_read_message_id, joined_at FROM conversation_members "
                      "WHERE conversation_id = ? AND left_at IS NULL ORDER BY joined_at, user_id",
                      {id.value}));
        std::vector<ChatMember> out;
        for (const store::Row& r : rs) {
          ChatMember cm;
          cm.user_id = UserId{r.Int64("user_id")};
          cm.role = RoleFromText(r.Text("role"));
          if (auto v = OptInt(r, "last_read_message_id")) cm.last_read_message_id = MessageId{*v};
          cm.joined_at = FromUnixMicros(r.Int64("joined_at"));
          out.push_back(std::move(cm));
        }
        return out;
      });
}

absl::Status Chat::AddMember(const RequestContext& ctx, UserId actor, ConversationId id, UserId user,
                             ChatRole role) {
  constexpr std::string_view kOp = "add_member";
  if (actor.value <= 0)
    return InvalidField(kOp, "actor_id", absl::StrCat("must be > 0 (got ", actor.value, ")"));
  if (user.value <= 0)
    return InvalidField(kOp, "user_id", absl::StrCat("must be > 0 (got ", user.value, ")"));
  if (role == ChatRole::kOwner) return InvalidField(kOp, "role", "must be MEMBER or ADMIN (got OWNER)");
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Conversation conv, LockConversation(c, kOp, id));
    DAIRA_ASSIGN_OR_RETURN(Membership a, LoadMembership(c, id, actor));
    if (!a.found || a.left) return NoConversation(kOp, id);
    if (conv.kind != "GROUP") {
      return FieldError(absl::StatusCode::kFailedPrecondition, kOp, "conversation_id",
                        absl::StrCat("is DIRECT: members cannot be added (got ", id.value, ")"));
    }
    if (a.role == ChatRole::kMember || (role == ChatRole::kAdmin && a.role != ChatRole::kOwner)) {
      return FieldError(
          absl::StatusCode::kPermissionDenied, kOp, "actor_id",
          absl::StrCat("role ", ToAbsl(ToString(a.role)), " may not add a ", ToAbsl(ToString(role))));
    }
    DAIRA_RETURN_IF_ERROR(CheckUserExists(c, kOp, "user_id", user.value));
    DAIRA_RETURN_IF_ERROR(CheckNoBlock(c, kOp, "user_id", actor.value, user.value));
    DAIRA_ASSIGN_OR_RETURN(Membership u, LoadMembership(c, id, user));
    if (u.found && !u.left) {
      return FieldError(absl::StatusCode::kAlreadyExists, kOp, "user_id",
                        absl::StrCat("is already a member (got ", user.value, ")"));
    }
    DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> members, CurrentMembers(c, id));
    if (members.size() >= kMaxConversationMembers) {
      return FieldError(absl::StatusCode::kFailedPrecondition, kOp, "conversation_id",
                        absl::StrCat("is full (", kMaxConversationMembers, " members)"));
    }
    const int64_t now = deps_.NowMicros();
    if (u.found) {
      DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE conversation_members SET role = ?, left_at = NULL, "
                                      "visible_until_message_id = NULL, joined_at = ? "
                                      "WHERE conversation_id = ? AND user_id = ?",
                                      {ToString(role), now, id.value, user.value})
                                .status());
    } else {
      DAIRA_RETURN_IF_ERROR(
          c.Execute("INSERT INTO conversation_members (conversation_id, user_id, role, joined_at) "
                    "VALUES (?, ?, ?, ?)",
                    {id.value, user.value, ToString(role), now})
              .status());
    }
    members.push_back(user.value);
    internal::PublishAfterCommit(
        hub_, ctx,
        Fanout(id, members, Event("chat.member_added", id, [&](JsonWriter& w) {
                 w.Key("user_id").String(absl::StrCat(user.value)).Key("role").String(ToString(role));
               })));
    return absl::OkStatus();
  });
}

namespace {
// Marks `user` (a current member of the locked conversation `conv`) as left and queues the event.
absl::Status LeaveLocked(Connection& c, realtime::Hub* hub, const RequestContext& ctx,
                         const Conversation& conv, UserId user, int64_t now) {
  const int64_t visible = conv.last_message_id ? conv.last_message_id->value : 0;
  DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE conversation_members SET left_at = ?, visible_until_message_id = ? "
                                  "WHERE conversation_id = ? AND user_id = ?",
                                  {now, visible, conv.id.value, user.value})
                            .status());
  DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> members, CurrentMembers(c, conv.id));
  members.push_back(user.value);  // the one who left hears of it, and nothing after
  internal::PublishAfterCommit(
      hub, ctx, Fanout(conv.id, members, Event("chat.member_left", conv.id, [&](JsonWriter& w) {
                         w.Key("user_id")
                             .String(absl::StrCat(user.value))
                             .Key("visible_until_message_id")
                             .String(absl::StrCat(visible));
                       })));
  return absl::OkStatus();
}
}  // namespace

absl::Status Chat::RemoveMember(const RequestContext& ctx, UserId actor, ConversationId id, UserId user) {
  constexpr std::string_view kOp = "remove_member";
  if (actor == user) return Leave(ctx, user, id);
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Conversation conv, LockConversation(c, kOp, id));
    DAIRA_ASSIGN_OR_RETURN(Membership a, LoadMembership(c, id, actor));
    if (!a.found || a.left) return NoConversation(kOp, id);
    DAIRA_ASSIGN_OR_RETURN(Membership u, LoadMembership(c, id, user));
    if (!u.found || u.left) {
      return FieldError(absl::StatusCode::kNotFound, kOp, "user_id",
                        absl::StrCat("is not a member (got ", user.value, ")"));
    }
    const bool allowed =
        a.role == ChatRole::kOwner || (a.role == ChatRole::kAdmin && u.role == ChatRole::kMember);
    if (!allowed || conv.kind != "GROUP") {
      return FieldError(
          absl::StatusCode::kPermissionDenied, kOp, "actor_id",
          absl::StrCat("role ", ToAbsl(ToString(a.role)), " may not remove a ", ToAbsl(ToString(u.role)),
                       conv.kind != "GROUP" ? " from a DIRECT conversation" : ""));
    }
    return LeaveLocked(c, hub_, ctx, conv, user, deps_.NowMicros());
  });
}

absl::Status Chat::Leave(const RequestContext& ctx, UserId user, ConversationId id) {
  constexpr std::string_view kOp = "leave_conversation";
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Conversation conv, LockConversation(c, kOp, id));
    DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, user));
    if (!m.found || m.left) return NoConversation(kOp, id);
    return LeaveLocked(c, hub_, ctx, conv, user, deps_.NowMicros());
  });
}

absl::StatusOr<ChatMessage> Chat::Send(const RequestContext& ctx, const SendMessageRequest& request) {
  constexpr std::string_view kOp = "send_message";
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const ConversationId conv_id{request.conversation_id};
  ChatMessage out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Conversation conv, LockConversation(c, kOp, conv_id));
    DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, conv_id, UserId{request.sender_id}));
    if (!m.found) return NoConversation(kOp, conv_id);
    if (m.left) {
      return FieldError(absl::StatusCode::kFailedPrecondition, kOp, "sender_id",
                        absl::StrCat("left the conversation (got ", request.sender_id, ")"));
    }
    DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> members, CurrentMembers(c, conv_id));
    if (conv.kind == "DIRECT") {
      for (int64_t other : members) {
        if (other == request.sender_id) continue;
        DAIRA_RETURN_IF_ERROR(CheckNoBlock(c, kOp, "sender_id", request.sender_id, other));
      }
    }
    if (request.reply_to_id.has_value()) {
      DAIRA_ASSIGN_OR_RETURN(ResultSet r,
                             c.Execute("SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?",
                                       {*request.reply_to_id, conv_id.value}));
      if (r.empty()) {
        return FieldError(absl::StatusCode::kNotFound, kOp, "reply_to_id",
                          absl::StrCat("not found in the conversation (got ", *request.reply_to_id, ")"));
      }
    }
    // The id is taken under the conversation lock: ids grow in commit order per conversation.
    DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
    const int64_t now = deps_.NowMicros();
    Value reply = request.reply_to_id.has_value() ? Value(*request.reply_to_id) : Value();
    DAIRA_RETURN_IF_ERROR(
        c.Execute("INSERT INTO messages (id, conversation_id, sender_id, reply_to_id, body, "
                  "attachments, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {id, conv_id.value, request.sender_id, reply, request.body,
                   Value::Json(AttachmentsJson(request.attachments)), now})
            .status());
    DAIRA_RETURN_IF_ERROR(
        c.Execute("UPDATE conversations SET last_message_id = ?, last_message_at = ?, updated_at = ? "
                  "WHERE id = ?",
                  {id, now, now, conv_id.value})
            .status());
    out = ChatMessage{.id = MessageId{id},
                      .conversation_id = conv_id,
                      .sender_id = UserId{request.sender_id},
                      .body = request.body,
                      .attachments = request.attachments,
                      .created_at = FromUnixMicros(now)};
    if (request.reply_to_id) out.reply_to_id = MessageId{*request.reply_to_id};
    internal::PublishAfterCommit(hub_, ctx,
                                 Fanout(conv_id, members, Event("chat.message", conv_id, [&](JsonWriter& w) {
                                          w.Key("message");
                                          WriteMessage(w, out);
                                        })));
    return absl::OkStatus();
  }));
  return out;
}

namespace {
// The message `id` (locked with its conversation) for its sender `user`, who must still be a member.
absl::StatusOr<std::pair<ChatMessage, std::vector<int64_t>>> OwnMessage(Connection& c, std::string_view op,
                                                                        UserId user, MessageId id) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         c.Execute("SELECT conversation_id FROM messages WHERE id = ?", {id.value}));
  auto not_found = [&] {
    return FieldError(absl::StatusCode::kNotFound, op, "message_id",
                      absl::StrCat("not found (got ", id.value, ")"));
  };
  if (rs.empty()) return not_found();
  const ConversationId conv{rs.front().Int64(0)};
  DAIRA_RETURN_IF_ERROR(LockConversation(c, op, conv).status());
  DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, conv, user));
  if (!m.found) return not_found();
  DAIRA_ASSIGN_OR_RETURN(ResultSet msg,
                         c.Execute(absl::StrCat(kMessageColumns, " WHERE id = ?"), {id.value}));
  if (msg.empty()) return not_found();
  ChatMessage out = MessageFromRow(msg.front());
  if (m.left && out.id.value > m.visible_until) return not_found();
  if (out.sender_id != user) {
    return FieldError(absl::StatusCode::kPermissionDenied, op, "sender_id",
                      absl::StrCat("is not the sender of message ", id.value, " (got ", user.value, ")"));
  }
  if (m.left) {
    return FieldError(absl::StatusCode::kFailedPrecondition, op, "user_id",
                      absl::StrCat("left the conversation (got ", user.value, ")"));
  }
  DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> members, CurrentMembers(c, conv));
  return std::make_pair(std::move(out), std::move(members));
}
}  // namespace

absl::StatusOr<ChatMessage> Chat::Edit(const RequestContext& ctx, UserId editor, MessageId id,
                                       std::string_view body) {
  constexpr std::string_view kOp = "edit_message";
  {
    Violations v;
    v.Id("message_id", id.value);
    internal::NonBlankText(v, "body", body, kMaxMessageLength, /*multiline=*/true);
    DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  }
  ChatMessage out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(auto own, OwnMessage(c, kOp, editor, id));
    if (own.first.deleted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, kOp, "message_id",
                        absl::StrCat("is deleted (got ", id.value, ")"));
    }
    const int64_t now = deps_.NowMicros();
    DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE messages SET body = ?, edited_at = ? WHERE id = ?",
                                    {std::string(body), now, id.value})
                              .status());
    out = std::move(own.first);
    out.body = std::string(body);
    out.edited_at = FromUnixMicros(now);
    internal::PublishAfterCommit(
        hub_, ctx,
        Fanout(out.conversation_id, own.second, Event("chat.edited", out.conversation_id, [&](JsonWriter& w) {
                 w.Key("message");
                 WriteMessage(w, out);
               })));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Chat::Delete(const RequestContext& ctx, UserId user, MessageId id) {
  constexpr std::string_view kOp = "delete_message";
  if (id.value <= 0) return InvalidField(kOp, "message_id", absl::StrCat("must be > 0 (got ", id.value, ")"));
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(auto own, OwnMessage(c, kOp, user, id));
    if (own.first.deleted) return absl::OkStatus();
    DAIRA_RETURN_IF_ERROR(
        c.Execute("UPDATE messages SET deleted_at = ?, body = '', attachments = ? WHERE id = ?",
                  {deps_.NowMicros(), Value::Json("[]"), id.value})
            .status());
    const ConversationId conv = own.first.conversation_id;
    internal::PublishAfterCommit(hub_, ctx,
                                 Fanout(conv, own.second, Event("chat.deleted", conv, [&](JsonWriter& w) {
                                          w.Key("message_id").String(absl::StrCat(id.value));
                                        })));
    return absl::OkStatus();
  });
}

absl::StatusOr<query::Page<ChatMessage>> Chat::History(const RequestContext& ctx, UserId viewer,
                                                       ConversationId id, const query::PageRequest& page) {
  DAIRA_RETURN_IF_ERROR(page.Validate());
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead,
                               [&](Connection& c) -> absl::StatusOr<query::Page<ChatMessage>> {
                                 DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, viewer));
                                 if (!m.found) return NoConversation("history", id);
                                 query::KeysetQuery q{.scope = absl::StrCat("chat:", id.value),
                                                      .select = {},
                                                      .params = {id.value},
                                                      .keys = {}};
                                 // A member who left sees the messages up to their leaving only.
                                 if (m.left) q.params.push_back(m.visible_until);
                                 static auto* shapes = new query::KeysetShapes();
                                 DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(m.left ? 1 : 0, q.params.size(), [&] {
                                   return query::KeysetQuery{
                                       .scope = {},
                                       .select = std::string(kMessageColumns),
                                       .where = m.left ? "conversation_id = ? AND id <= ?" : "conversation_id = ?",
                                       .keys = {{.column = "id"}},
                                       .order = query::SortOrder::kDescending};
                                 }));
                                 const query::CursorCodec codec = deps_.cursor_codec();
                                 return query::FetchPage(c, q, page, MessageFromRow, {.codec = &codec});
                               });
}

absl::StatusOr<std::vector<ChatMessage>> Chat::Around(const RequestContext& ctx, UserId viewer,
                                                      ConversationId id, MessageId around, int before,
                                                      int after) {
  constexpr std::string_view kOp = "messages_around";
  {
    Violations v;
    v.Id("message_id", around.value);
    v.Range("before", before, 0, 100);
    v.Range("after", after, 0, 100);
    DAIRA_RETURN_IF_ERROR(v.ToStatus(kOp));
  }
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kRead, [&](Connection& c) -> absl::StatusOr<std::vector<ChatMessage>> {
        DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, viewer));
        if (!m.found) return NoConversation(kOp, id);
        const int64_t limit = m.left ? m.visible_until : INT64_MAX;
        if (around.value > limit) {
          return FieldError(absl::StatusCode::kNotFound, kOp, "message_id",
                            absl::StrCat("not found (got ", around.value, ")"));
        }
        DAIRA_ASSIGN_OR_RETURN(
            ResultSet center,
            c.Execute(absl::StrCat(kMessageColumns, " WHERE id = ? AND conversation_id = ?"),
                      {around.value, id.value}));
        if (center.empty()) {
          return FieldError(absl::StatusCode::kNotFound, kOp, "message_id",
                            absl::StrCat("not found in the conversation (got ", around.value, ")"));
        }
        DAIRA_ASSIGN_OR_RETURN(
            ResultSet older,
            c.Execute(absl::StrCat(kMessageColumns,
                                   " WHERE conversation_id = ? AND id < ? ORDER BY id DESC LIMIT ?"),
                      {id.value, around.value, int64_t{before}}));
        DAIRA_ASSIGN_OR_RETURN(
            ResultSet newer,
            c.Execute(
                absl::StrCat(kMessageColumns,
                             " WHERE conversation_id = ? AND id > ? AND id <= ? ORDER BY id ASC LIMIT ?"),
                {id.value, around.value, limit, int64_t{after}}));
        std::vector<ChatMessage> out;
        for (size_t i = older.size(); i-- > 0;) out.push_back(MessageFromRow(older.row(i)));
        out.push_back(MessageFromRow(center.front()));
        for (const store::Row& r : newer) out.push_back(MessageFromRow(r));
        return out;
      });
}

absl::Status Chat::MarkRead(const RequestContext& ctx, UserId user, ConversationId id, MessageId up_to) {
  constexpr std::string_view kOp = "mark_read";
  if (up_to.value <= 0)
    return InvalidField(kOp, "message_id", absl::StrCat("must be > 0 (got ", up_to.value, ")"));
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Membership m, LoadMembership(c, id, user));
    if (!m.found || m.left) return NoConversation(kOp, id);
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet msg,
        c.Execute("SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?", {up_to.value, id.value}));
    if (msg.empty()) {
      return FieldError(absl::StatusCode::kNotFound, kOp, "message_id",
                        absl::StrCat("not found in the conversation (got ", up_to.value, ")"));
    }
    // Monotonic: a receipt older than the stored one changes nothing (concurrent devices never move it back).
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet upd,
        c.Execute("UPDATE conversation_members SET last_read_message_id = ? "
                  "WHERE conversation_id = ? AND user_id = ? "
                  "AND (last_read_message_id IS NULL OR last_read_message_id < ?) RETURNING user_id",
                  {up_to.value, id.value, user.value, up_to.value}));
    if (upd.empty()) return absl::OkStatus();
    DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> members, CurrentMembers(c, id));
    internal::PublishAfterCommit(hub_, ctx, Fanout(id, members, Event("chat.read", id, [&](JsonWriter& w) {
                                                     w.Key("user_id")
                                                         .String(absl::StrCat(user.value))
                                                         .Key("message_id")
                                                         .String(absl::StrCat(up_to.value));
                                                   })));
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> Chat::UnreadCount(const RequestContext& ctx, UserId user, ConversationId id) {
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kRead, [&](Connection& c) -> absl::StatusOr<int64_t> {
        DAIRA_ASSIGN_OR_RETURN(
            ResultSet rs,
            c.Execute(
                "SELECT left_at, visible_until_message_id, last_read_message_id FROM conversation_members "
                "WHERE conversation_id = ? AND user_id = ?",
                {id.value, user.value}));
        if (rs.empty()) return NoConversation("unread_count", id);
        const store::Row& r = rs.front();
        const int64_t last_read = r.IsNull("last_read_message_id") ? 0 : r.Int64("last_read_message_id");
        const int64_t until = r.IsNull("left_at") ? INT64_MAX : r.Int64("visible_until_message_id");
        DAIRA_ASSIGN_OR_RETURN(ResultSet n,
                               c.Execute("SELECT count(*) FROM messages WHERE conversation_id = ? "
                                         "AND id > ? AND id <= ? AND deleted_at IS NULL "
                                         "AND (sender_id IS NULL OR sender_id <> ?)",
                                         {id.value, last_read, until, user.value}));
        return n.front().Int64(0);
      });
}

}  // namespace daira::inline v0::services
