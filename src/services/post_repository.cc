#include "daira/services/post_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/table_repository.h"

namespace daira::inline v0::services {

using model::PostField;
using model::PostRecord;

namespace {

using Column = query::ColumnSpec<PostRecord, PostField>;
using query::ReadColumn;

const query::Table<PostRecord, PostField>& PostTable() {
  static const auto* kTable = new query::Table<PostRecord, PostField>(
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
  return PostTable().Get(*deps_.db, ctx, id.value, mask);
}

absl::StatusOr<PostBatch> PostRepository::GetMany(const RequestContext& ctx, std::span<const PostId> ids,
                                                  PostFieldMask mask) const {
  const std::vector<int64_t> raw = query::RawIds(ids);
  DAIRA_ASSIGN_OR_RETURN(auto found, PostTable().GetMany(*deps_.db, ctx, raw, mask));
  return PostBatch{std::move(found.items), query::TypedIds<PostId>(found.missing)};
}

absl::StatusOr<bool> PostRepository::Exists(const RequestContext& ctx, PostId id) const {
  return PostTable().Exists(*deps_.db, ctx, id.value);
}

absl::StatusOr<int64_t> PostRepository::Count(const RequestContext& ctx, const PostFilter& filter) const {
  std::vector<std::string> where;
  std::vector<store::Value> params;
  if (filter.author_id) {
    where.push_back("author_id = ?");
    params.emplace_back(filter.author_id->value);
  }
  if (filter.status) {
    where.push_back("status = ?");
    params.emplace_back(model::ToString(*filter.status));
  }
  return PostTable().Count(*deps_.db, ctx, absl::StrJoin(where, " AND "), std::move(params));
}

absl::StatusOr<query::Page<PostRecord>> PostRepository::ListByAuthor(const RequestContext& ctx,
                                                                     UserId author_id,
                                                                     const query::PageRequest& page,
                                                                     PostFieldMask mask) const {
  return PostTable().List(*deps_.db, ctx, absl::StrCat("author:", author_id.value), "author_id = ?",
                          {author_id.value}, query::SortOrder::kDescending, page, mask);
}

}  // namespace daira::inline v0::services
