// Comment: a threaded comment on a post or a video.
//
//   model::CommentTarget on{model::CommentTargetType::kPost, post.id.value};
//   DAIRA_ASSIGN_OR_RETURN(model::Comment c, content.CreateComment(ctx, {.author_id = 7,
//                                                 .post_id = post.id.value, .content = "nice"}));
//   DAIRA_ASSIGN_OR_RETURN(auto page, content.ListThread(ctx, on, c.id, {.limit = 20}));   // replies to c
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daira/model/ids.h"
#include "daira/model/post.h"

namespace daira::inline v0::model {

enum class CommentTargetType { kPost, kVideo };

// "POST" | "VIDEO".
inline std::string_view ToString(CommentTargetType t) { return t == CommentTargetType::kPost ? "POST" : "VIDEO"; }

// What a comment is attached to.
struct CommentTarget {
  CommentTargetType type = CommentTargetType::kPost;
  int64_t id = 0;
  friend bool operator==(const CommentTarget&, const CommentTarget&) = default;
};

struct Comment {
  CommentId id;
  CommentTarget target;
  std::optional<CommentId> parent_id;  // absent for a top-level comment
  UserId author_id;
  std::string content;
  std::vector<UserId> mentions;
  int64_t likes_count = 0;
  int64_t replies_count = 0;           // ACTIVE direct replies
  ContentStatus status = ContentStatus::kActive;
  Timestamp created_at;
  Timestamp updated_at;
  std::optional<Timestamp> deleted_at;
  std::optional<AuthorSummary> author;  // filled by ListThread
};

}  // namespace daira::inline v0::model
