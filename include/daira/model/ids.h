// Strong id types: a UserId cannot be passed where a PostId is expected.
//
//   daira::UserId alice{42};
//   daira::PostId post{ids.Next()};
//   db->Read(ctx, "SELECT ... WHERE id = ?", {alice.value});   // bind the raw int64
//   absl::flat_hash_map<UserId, Profile> m;                    // hashable, ordered, printable
//
// All ids are 64-bit, time-ordered (see daira/core/id.h), and > 0 when valid.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace daira::inline v0 {

template <typename Tag>
struct StrongId {
  int64_t value = 0;
  constexpr StrongId() = default;
  constexpr explicit StrongId(int64_t v) : value(v) {}
  constexpr bool valid() const { return value > 0; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
  template <typename H>
  friend H AbslHashValue(H h, StrongId id) { return H::combine(std::move(h), id.value); }
  friend std::ostream& operator<<(std::ostream& os, StrongId id) { return os << id.value; }
};

using UserId = StrongId<struct UserIdTag>;
using SessionId = StrongId<struct SessionIdTag>;
using PostId = StrongId<struct PostIdTag>;
using VideoId = StrongId<struct VideoIdTag>;
using CommentId = StrongId<struct CommentIdTag>;
using WalletId = StrongId<struct WalletIdTag>;
using TransactionId = StrongId<struct TransactionIdTag>;
using ReportId = StrongId<struct ReportIdTag>;
using PaymentId = StrongId<struct PaymentIdTag>;
using ReviewId = StrongId<struct ReviewIdTag>;
using AuditLogId = StrongId<struct AuditLogIdTag>;
using ConversationId = StrongId<struct ConversationIdTag>;
using MessageId = StrongId<struct MessageIdTag>;
using NotificationId = StrongId<struct NotificationIdTag>;
using HashtagId = StrongId<struct HashtagIdTag>;
using FollowId = StrongId<struct FollowIdTag>;
using BlockId = StrongId<struct BlockIdTag>;
using MuteId = StrongId<struct MuteIdTag>;
using ReactionId = StrongId<struct ReactionIdTag>;  // a row of `likes`

}  // namespace daira::inline v0

template <typename Tag>
struct std::hash<daira::StrongId<Tag>> {
  size_t operator()(daira::StrongId<Tag> id) const noexcept { return std::hash<int64_t>()(id.value); }
};
