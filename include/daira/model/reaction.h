// Reactions: one per user per post, video or comment (LIKE | LOVE | LAUGH | SAD | ANGRY).
//
//   DAIRA_ASSIGN_OR_RETURN(model::ReactOutcome r, content.React(ctx, {.user_id = 7, .target_type = "POST",
//                                                                      .target_id = 42, .reaction = "LOVE"}));
//   r.created;       // true the first time; a later React with another reaction changes it (created false)
//   DAIRA_ASSIGN_OR_RETURN(model::ReactionSummary s, content.ReactionsSummary(ctx, {model::ReactionTargetType::kPost, 42}));
//   s.count(model::Reaction::kLove);   // 1
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "daira/model/ids.h"
#include "daira/model/post.h"

namespace daira::inline v0::model {

enum class Reaction { kLike, kLove, kLaugh, kSad, kAngry };
inline constexpr size_t kReactionCount = 5;
enum class ReactionTargetType { kPost, kVideo, kComment };

inline constexpr std::string_view kReactionNames[] = {"LIKE", "LOVE", "LAUGH", "SAD", "ANGRY"};
inline constexpr std::string_view kReactionTargetNames[] = {"POST", "VIDEO", "COMMENT"};

// "LIKE" | "LOVE" | "LAUGH" | "SAD" | "ANGRY".
inline std::string_view ToString(Reaction r) { return kReactionNames[static_cast<int>(r)]; }
// "POST" | "VIDEO" | "COMMENT".
inline std::string_view ToString(ReactionTargetType t) { return kReactionTargetNames[static_cast<int>(t)]; }
// False when `text` is none of the spellings (`out` untouched).
inline bool Parse(std::string_view text, Reaction* out) { return ParseEnum(text, kReactionNames, out); }
inline bool Parse(std::string_view text, ReactionTargetType* out) {
  return ParseEnum(text, kReactionTargetNames, out);
}

struct ReactionTarget {
  ReactionTargetType type = ReactionTargetType::kPost;
  int64_t id = 0;
  friend bool operator==(const ReactionTarget&, const ReactionTarget&) = default;
};

// What React did.
struct ReactOutcome {
  bool created = false;  // a new reaction row (the target's likes_count went up by one)
  bool changed = false;  // an existing reaction switched to another type (counters unchanged)
  Reaction reaction = Reaction::kLike;  // the user's reaction now
};

// Reactions on one target, by type.
struct ReactionSummary {
  ReactionTarget target;
  std::array<int64_t, kReactionCount> counts{};  // indexed by static_cast<size_t>(Reaction)
  int64_t total = 0;
  int64_t count(Reaction r) const { return counts[static_cast<size_t>(r)]; }
};

}  // namespace daira::inline v0::model
