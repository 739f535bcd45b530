#include "daira/services/comment_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::CommentField;
using model::CommentRecord;

namespace {

using Column = query::ColumnSpec<CommentRecord, CommentField>;
using internal::Conditions;
using query::ReadColumn;
using CommentTableType = internal::TypedTable<CommentRecord, CommentField, CommentId>;

const CommentTableType& CommentTable() {
  static const auto* kTable = new CommentTableType(
      {.table = "comments", .entity = "comment"},
      std::array{
          Column{CommentField::kId, "id", &ReadColumn<&CommentRecord::id>, query::kPrimaryKey},
          Column{CommentField::kPostId, "post_id", &ReadColumn<&CommentRecord::post_id>},
          Column{CommentField::kVideoId, "video_id", &ReadColumn<&CommentRecord::video_id>},
          Column{CommentField::kParentId, "parent_id", &ReadColumn<&CommentRecord::parent_id>},
          Column{CommentField::kAuthorId, "author_id", &ReadColumn<&CommentRecord::author_id>},
          Column{CommentField::kContent, "content", &ReadColumn<&CommentRecord::content>},
          Column{CommentField::kMentions, "mentions", &ReadColumn<&CommentRecord::mentions>},
          Column{CommentField::kLikesCount, "likes_count", &ReadColumn<&CommentRecord::likes_count>},
          Column{CommentField::kRepliesCount, "replies_count", &ReadColumn<&CommentRecord::replies_count>},
          Column{CommentField::kStatus, "status", &ReadColumn<&CommentRecord::status>},
          Column{CommentField::kCreatedAt, "created_at", &ReadColumn<&CommentRecord::created_at>},
          Column{CommentField::kUpdatedAt, "updated_at", &ReadColumn<&CommentRecord::updated_at>},
          Column{CommentField::kDeletedAt, "deleted_at", &ReadColumn<&CommentRecord::deleted_at>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<CommentField>& CommentColumns() { return CommentTable().fields(); }

CommentFieldMask AllCommentFields() { return CommentColumns().All(); }

absl::StatusOr<CommentRecord> CommentRepository::Get(const RequestContext& ctx, CommentId id,
                                                     CommentFieldMask mask) const {
  return CommentTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<CommentBatch> CommentRepository::GetMany(const RequestContext& ctx,
                                                        std::span<const CommentId> ids,
                                                        CommentFieldMask mask) const {
  return CommentTable().GetMany<CommentBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<bool> CommentRepository::Exists(const RequestContext& ctx, CommentId id) const {
  return CommentTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> CommentRepository::Count(const RequestContext& ctx,
                                                 const CommentFilter& filter) const {
  Conditions c;
  c.IfSet("post_id = ?", filter.post_id);
  c.IfSet("video_id = ?", filter.video_id);
  c.IfSet("author_id = ?", filter.author_id);
  c.IfSet("status = ?", filter.status);
  return CommentTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<CommentRecord>> CommentRepository::ListByPost(const RequestContext& ctx,
                                                                         PostId post_id,
                                                                         const query::PageRequest& page,
                                                                         CommentFieldMask mask) const {
  return CommentTable().List(deps_, ctx, absl::StrCat("post:", post_id.value),
                             Conditions().Add("post_id = ?", post_id), query::SortOrder::kAscending, page,
                             mask);
}

absl::StatusOr<query::Page<CommentRecord>> CommentRepository::ListByVideo(const RequestContext& ctx,
                                                                          VideoId video_id,
                                                                          const query::PageRequest& page,
                                                                          CommentFieldMask mask) const {
  return CommentTable().List(deps_, ctx, absl::StrCat("video:", video_id.value),
                             Conditions().Add("video_id = ?", video_id), query::SortOrder::kAscending, page,
                             mask);
}

absl::StatusOr<query::Page<CommentRecord>> CommentRepository::ListReplies(const RequestContext& ctx,
                                                                          CommentId parent_id,
                                                                          const query::PageRequest& page,
                                                                          CommentFieldMask mask) const {
  return CommentTable().List(deps_, ctx, absl::StrCat("replies:", parent_id.value),
                             Conditions().Add("parent_id = ?", parent_id), query::SortOrder::kAscending, page,
                             mask);
}

}  // namespace daira::inline v0::services
