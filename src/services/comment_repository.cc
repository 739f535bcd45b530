#include "daira/services/comment_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/table_repository.h"

namespace daira::inline v0::services {

using model::CommentField;
using model::CommentRecord;

namespace {

using Column = query::ColumnSpec<CommentRecord, CommentField>;
using query::ReadColumn;

const query::Table<CommentRecord, CommentField>& CommentTable() {
  static const auto* kTable = new query::Table<CommentRecord, CommentField>(
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
  return CommentTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<CommentBatch> CommentRepository::GetMany(const RequestContext& ctx,
                                                        std::span<const CommentId> ids,
                                                        CommentFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, CommentTable().GetMany(*deps_.db, ctx, raw, mask));
  return CommentBatch{std::move(found.items), query::TypedIds<CommentId>(found.missing)};
}

absl::StatusOr<bool> CommentRepository::Exists(const RequestContext& ctx, CommentId id) const {
  return CommentTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> CommentRepository::Count(const RequestContext& ctx,
                                                 const CommentFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.post_id) {
    where.push_back("post_id = ?");
    params.emplace_back(filter.post_id->value);
  }
  if (filter.video_id) {
    where.push_back("video_id = ?");
    params.emplace_back(filter.video_id->value);
  }
  if (filter.author_id) {
    where.push_back("author_id = ?");
    params.emplace_back(filter.author_id->value);
  }
  if (filter.status) {
    where.push_back("status = ?");
    params.emplace_back(model::ToString(*filter.status));
  }
  return CommentTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<CommentRecord>> CommentRepository::ListByPost(const RequestContext& ctx,
                                                                         PostId post_id,
                                                                         const query::PageRequest& page,
                                                                         CommentFieldMask mask) const {
  return CommentTable().List(*deps_.db, ctx, absl::StrCat("post:", post_id.value), "post_id = ?",
                             {post_id.value}, query::SortOrder::kAscending, page, mask);
}

absl::StatusOr<query::Page<CommentRecord>> CommentRepository::ListByVideo(const RequestContext& ctx,
                                                                          VideoId video_id,
                                                                          const query::PageRequest& page,
                                                                          CommentFieldMask mask) const {
  return CommentTable().List(*deps_.db, ctx, absl::StrCat("video:", video_id.value), "video_id = ?",
                             {video_id.value}, query::SortOrder::kAscending, page, mask);
}

absl::StatusOr<query::Page<CommentRecord>> CommentRepository::ListReplies(const RequestContext& ctx,
                                                                          CommentId parent_id,
                                                                          const query::PageRequest& page,
                                                                          CommentFieldMask mask) const {
  return CommentTable().List(*deps_.db, ctx, absl::StrCat("replies:", parent_id.value), "parent_id = ?",
                             {parent_id.value}, query::SortOrder::kAscending, page, mask);
}

}  // namespace daira::inline v0::services
