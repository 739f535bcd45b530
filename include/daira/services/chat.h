// Chat: direct and group conversations, members and roles, persisted messages with keyset history,
// edits and deletes, read receipts and unread counts, delivered in real time after commit.
//
//   services::Chat chat(deps, &hub);                 // hub: daira/realtime/hub.h (null: no live delivery)
//   DAIRA_ASSIGN_OR_RETURN(auto conv, chat.CreateConversation(ctx, {.creator_id = alice, .member_ids =
//   {bob}})); DAIRA_ASSIGN_OR_RETURN(auto sub, hub.Subscribe(services::Chat::UserChannel(bob)));  // bob's
//   inbox DAIRA_ASSIGN_OR_RETURN(auto msg, chat.Send(ctx, {.conversation_id = conv.id.value, .sender_id =
//   alice.value,
//                                                    .body = "hi"}));
//   auto event = sub->Next(std::chrono::seconds(1));   //
//   {"type":"chat.message","conversation_id":…,"message":{…}} DAIRA_ASSIGN_OR_RETURN(auto page,
//   chat.History(ctx, bob, conv.id, {.limit = 50}));  // newest first
//   DAIRA_RETURN_IF_ERROR(chat.MarkRead(ctx, bob, conv.id, msg.id));
//
// Real time: every change is published after its transaction commits (store::AfterCommit; a rolled-back
// transaction publishes nothing) on `conversation:{id}` (for an open conversation view) and on
// `user:{member}` of every member at commit time (a member who left is not among them, so that channel
// is exact: nothing new reaches a member who left). The hub does no access control: the application
// lets a client subscribe to `conversation:{id}` only after Chat::CheckMember. Payloads are JSON:
// {"type": "chat.message" | "chat.edited" | "chat.deleted" | "chat.read" | "chat.member_added" |
// "chat.member_left", "conversation_id": id, …}. Delivery is at-most-once live (docs/realtime.md); the
// database is the truth (History after a gap).
//
// Ordering: sends to one conversation are serialized on its row and take their id inside that lock, so
// message ids grow in commit order per conversation: History pages never miss a message committed
// while a client pages (no gaps, no duplicates).
//
// Errors: invalid requests → InvalidArgument naming the field (the messaging validators); a conversation
// the caller is not a (current) member of → NotFound naming conversation_id (the same answer as a
// conversation that does not exist, so membership does not leak), except sends after leaving →
// FailedPrecondition "…: sender_id left the conversation"; a block between the two members of a DIRECT
// conversation → PermissionDenied naming the block (for sends, and for creating it); in a GROUP a block
// is checked when someone adds a member (the adder and the added), sends to a group are not refused
// for a block (the application hides a blocked user's messages); a role that may not do something →
// PermissionDenied naming it. Database errors pass through.
//
// Thread-safety: a Chat is immutable after construction and safe from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/query/keyset.h"
#include "daira/realtime/hub.h"
#include "daira/services/messaging_requests.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

enum class ChatRole { kOwner, kAdmin, kMember };
std::string_view ToString(ChatRole role);  // "OWNER" | "ADMIN" | "MEMBER"

struct Conversation {
  ConversationId id;
  std::string kind;  // "DIRECT" | "GROUP"
  std::optional<std::string> title{};
  UserId created_by;
  std::optional<MessageId> last_message_id{};
  std::chrono::system_clock::time_point created_at{};
};

struct ChatMember {
  UserId user_id;
  ChatRole role = ChatRole::kMember;
  std::optional<MessageId> last_read_message_id{};
  std::chrono::system_clock::time_point joined_at{};
  bool left = false;  // Members() lists current members only
};

struct ChatMessage {
  MessageId id;
  ConversationId conversation_id;
  UserId sender_id;
  std::optional<MessageId> reply_to_id{};
  std::string body;                        // "" once deleted
  std::vector<std::string> attachments{};  // empty once deleted
  std::chrono::system_clock::time_point created_at{};
  std::optional<std::chrono::system_clock::time_point> edited_at{};
  bool deleted = false;
};

class Chat {
 public:
  // `deps.db` must be migrated (018_chat) and outlive this object; `hub` (not owned, may be null: no
  // live delivery) must outlive it too.
  explicit Chat(const ServiceDeps& deps, realtime::Hub* hub = nullptr) : deps_(deps), hub_(hub) {}

  // The channels events are published on.
  static std::string ConversationChannel(ConversationId id);  // "conversation:{id}"
  static std::string UserChannel(UserId id);                  // "user:{id}"

  // Creates a conversation; the creator is its OWNER, the others MEMBERs. DIRECT: one per pair —
  // asking again (either way round, even concurrently) returns the existing one. InvalidArgument (the
  // request's validator); NotFound naming member_ids for a user that does not exist; PermissionDenied
  // when a block stands between the creator and a member.
  absl::StatusOr<Conversation> CreateConversation(const RequestContext& ctx,
                                                  const CreateConversationRequest& request);
  // The conversation, for a current member. NotFound naming conversation_id otherwise.
  absl::StatusOr<Conversation> Get(const RequestContext& ctx, UserId viewer, ConversationId id);
  // OK when `user` is a current member; NotFound naming conversation_id otherwise.
  absl::Status CheckMember(const RequestContext& ctx, UserId user, ConversationId id);
  // Current members, by join order. NotFound unless `viewer` is a current member.
  absl::StatusOr<std::vector<ChatMember>> Members(const RequestContext& ctx, UserId viewer,
                                                  ConversationId id);

  // GROUP only (FailedPrecondition for DIRECT). `actor` (OWNER or ADMIN; PermissionDenied otherwise)
  // adds `user` as MEMBER (or ADMIN; only the OWNER may add an ADMIN). A member who left rejoins.
  // AlreadyExists for a current member; NotFound naming user_id; PermissionDenied across a block.
  absl::Status AddMember(const RequestContext& ctx, UserId actor, ConversationId id, UserId user,
                         ChatRole role = ChatRole::kMember);
  // `actor` removes `user` (OWNER removes anyone; ADMIN removes MEMBERs). Same effect as Leave.
  absl::Status RemoveMember(const RequestContext& ctx, UserId actor, ConversationId id, UserId user);
  // `user` leaves: history up to the conversation's last message stays readable, nothing after it, no
  // live events, sends refused. NotFound unless a current member.
  absl::Status Leave(const RequestContext& ctx, UserId user, ConversationId id);

  // Persists a message, then publishes "chat.message". NotFound (conversation_id; reply_to_id not in
  // this conversation); FailedPrecondition when the sender left; PermissionDenied across a block.
  absl::StatusOr<ChatMessage> Send(const RequestContext& ctx, const SendMessageRequest& request);
  // The sender edits the body of their own message (1–4000 characters). PermissionDenied naming
  // sender_id for someone else's; FailedPrecondition for a deleted one; NotFound naming message_id.
  absl::StatusOr<ChatMessage> Edit(const RequestContext& ctx, UserId editor, MessageId id,
                                   std::string_view body);
  // The sender deletes their own message: it stays in history, reading as deleted (empty body). Idempotent.
  absl::Status Delete(const RequestContext& ctx, UserId user, MessageId id);

  // Messages newest first (keyset on the message id; page.next_cursor continues to older ones). For a
  // member who left: up to the moment they left. NotFound unless `viewer` is or was a member.
  absl::StatusOr<query::Page<ChatMessage>> History(const RequestContext& ctx, UserId viewer,
                                                   ConversationId id, const query::PageRequest& page);
  // The message `around` with up to `before` older and `after` newer ones, oldest first (each in
  // [0, 100]). NotFound naming message_id when it is not (visibly) in the conversation.
  absl::StatusOr<std::vector<ChatMessage>> Around(const RequestContext& ctx, UserId viewer, ConversationId id,
                                                  MessageId around, int before, int after);

  // Read receipt: `user` has read everything up to `up_to` (a message of the conversation). Never moves
  // back (an older receipt is ignored). Publishes "chat.read". NotFound naming message_id.
  absl::Status MarkRead(const RequestContext& ctx, UserId user, ConversationId id, MessageId up_to);
  // Messages from others after `user`'s read receipt, not deleted (counted, so exact under any
  // concurrency). NotFound unless `user` is or was a member.
  absl::StatusOr<int64_t> UnreadCount(const RequestContext& ctx, UserId user, ConversationId id);

 private:
  ServiceDeps deps_;
  realtime::Hub* hub_;
};

}  // namespace daira::inline v0::services
