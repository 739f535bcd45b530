// Chat requests (start a conversation, send a message) and their validation rules.
//
//   daira::services::CreateConversationRequest c{.creator_id = 1, .member_ids = {2}, .kind = "DIRECT"};
//   c.Validate();                                     // OK
//   daira::services::SendMessageRequest m{.conversation_id = 9, .sender_id = 1, .body = ""};
//   m.Validate();  // InvalidArgument "send_message: body must not be empty"
//
// Enum spellings match the CHECK constraints in src/store/migrations (006_supporting). Membership and
// permissions are the service's check. Rule tables: docs/validation.md.
//
// Thread-safety: requests are plain values; Validate() is const and touches nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace daira::inline v0::services {

inline constexpr size_t kMaxMessageLength = 4000;
inline constexpr size_t kMaxMessageAttachments = 10;
inline constexpr size_t kMaxConversationMembers = 256;
inline constexpr size_t kMaxConversationTitleLength = 100;

// conversations.kind
inline constexpr std::array<std::string_view, 2> kConversationKinds = {"DIRECT", "GROUP"};

struct SendMessageRequest {
  int64_t conversation_id = 0;           // > 0
  int64_t sender_id = 0;                 // > 0
  std::string body{};                      // 1–4000 characters and not blank; 0–4000 with attachments
  std::vector<std::string> attachments{};  // 0–10 http(s) URLs
  std::optional<int64_t> reply_to_id{};    // > 0 when given
  absl::Status Validate() const;         // op "send_message"
};

// member_ids are the participants besides the creator.
struct CreateConversationRequest {
  int64_t creator_id = 0;             // > 0
  std::vector<int64_t> member_ids{};    // 1–256 distinct ids > 0, not creator_id; exactly 1 for DIRECT
  std::string kind = "DIRECT";        // DIRECT | GROUP
  std::optional<std::string> title{};   // 1–100 characters, single line
  absl::Status Validate() const;      // op "create_conversation"
};

}  // namespace daira::inline v0::services
