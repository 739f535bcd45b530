#include "daira/services/post_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::PostField;
using model::PostRecord;

namespace {

using Column = query::ColumnSpec<PostRecord, PostField>;
using internal::Conditions;
using query::ReadColumn;
using PostTableType = internal::TypedTable<PostRecord, PostField, PostId>;

const PostTableType& PostTable() {
  static const auto* kTable = new PostTableType(
      {.table = "posts", .entity = "post"},
      std::array{
          Column{PostField::kId, "id", &ReadColumn<&PostRecord::id>, query::kPrimaryKey},
          Column{PostField::kAuthorId, "author_id", &ReadColumn<&PostRecord::author_id>},
          Column{PostField::kContent, "content", &ReadColumn<&PostRecord::content>},
          Column{PostField::kMediaUrls, "media_urls", &ReadColumn<&PostRecord::media_urls>},
          Column{PostField::kHashtags, "hashtags", &ReadColumn<&PostRecord::hashtags>},
          Column{PostField::kMentions, "mentions", &ReadColumn<&PostRecord::mentions>},
          Column{PostField::kLikesCount, "likes_count", &ReadColumn<&PostRecord::likes_count>},
          Column{PostField::kCommentsCount, "comments_count", &ReadColumn<&PostRecord::comments_count>},
          Column{PostField::kStatus, "status", &ReadColumn<&PostRecord::status>},
          Column{PostField::kVisibility, "visibility", &ReadColumn<&PostRecord::visibility>},
          Column{PostField::kCreatedAt, "created_at", &ReadColumn<&PostRecord::created_at>},
          Column{PostField::kUpdatedAt, "updated_at", &ReadColumn<&PostRecord::updated_at>},
          Column{PostField::kDeletedAt, "deleted_at", &ReadColumn<&PostRecord::deleted_at>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<PostField>& PostColumns() { return PostTable().fields(); }

PostFieldMask AllPostFields() { return PostColumns().All(); }

absl::StatusOr<PostRecord> PostRepository::Get(const RequestContext& ctx, PostId id,
                                               PostFieldMask mask) const {
  return PostTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<PostBatch> PostRepository::GetMany(const RequestContext& ctx, std::span<const PostId> ids,
                                                  PostFieldMask mask) const {
  return PostTable().GetMany<PostBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<bool> PostRepository::Exists(const RequestContext& ctx, PostId id) const {
  return PostTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> PostRepository::Count(const RequestContext& ctx, const PostFilter& filter) const {
  Conditions c;
  c.IfSet("author_id = ?", filter.author_id);
  c.IfSet("status = ?", filter.status);
  return PostTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<PostRecord>> PostRepository::ListByAuthor(const RequestContext& ctx,
                                                                     UserId author_id,
                                                                     const query::PageRequest& page,
                                                                     PostFieldMask mask) const {
  return PostTable().List(deps_, ctx, absl::StrCat("author:", author_id.value),
                          Conditions().Add("author_id = ?", author_id), query::SortOrder::kDescending, page,
                          mask);
}

}  // namespace daira::inline v0::services
