#include "daira/services/block_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::BlockField;
using model::BlockRecord;

namespace {

using Column = query::ColumnSpec<BlockRecord, BlockField>;
using internal::Conditions;
using query::ReadColumn;
using BlockTableType = internal::TypedTable<BlockRecord, BlockField, BlockId>;

const BlockTableType& BlockTable() {
  static const auto* kTable = new BlockTableType(
      {.table = "blocks", .entity = "block"},
      std::array{
          Column{BlockField::kId, "id", &ReadColumn<&BlockRecord::id>, query::kPrimaryKey},
          Column{BlockField::kBlockerId, "blocker_id", &ReadColumn<&BlockRecord::blocker_id>},
          Column{BlockField::kBlockedId, "blocked_id", &ReadColumn<&BlockRecord::blocked_id>},
          Column{BlockField::kReason, "reason", &ReadColumn<&BlockRecord::reason>},
          Column{BlockField::kCreatedAt, "created_at", &ReadColumn<&BlockRecord::created_at>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<BlockField>& BlockColumns() { return BlockTable().fields(); }

BlockFieldMask AllBlockFields() { return BlockColumns().All(); }

absl::StatusOr<BlockRecord> BlockRepository::Get(const RequestContext& ctx, BlockId id,
                                                 BlockFieldMask mask) const {
  return BlockTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<BlockBatch> BlockRepository::GetMany(const RequestContext& ctx, std::span<const BlockId> ids,
                                                    BlockFieldMask mask) const {
  return BlockTable().GetMany<BlockBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<BlockRecord> BlockRepository::FindByPair(const RequestContext& ctx, UserId blocker,
                                                        UserId blocked, BlockFieldMask mask) const {
  Violations v;
  v.Id("blocker_id", blocker.value);
  v.Id("blocked_id", blocked.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("find block"));
  return BlockTable().FindOne(
      deps_, ctx, Conditions().Add("blocker_id = ?", blocker).Add("blocked_id = ?", blocked), mask,
      absl::StrCat("user ", blocker.value, " does not block user ", blocked.value));
}

absl::StatusOr<bool> BlockRepository::Exists(const RequestContext& ctx, BlockId id) const {
  return BlockTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> BlockRepository::Count(const RequestContext& ctx, const BlockFilter& filter) const {
  Violations v;
  if (filter.blocker_id) v.Id("blocker_id", filter.blocker_id->value);
  if (filter.blocked_id) v.Id("blocked_id", filter.blocked_id->value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("count blocks"));
  Conditions c;
  c.IfSet("blocker_id = ?", filter.blocker_id);
  c.IfSet("blocked_id = ?", filter.blocked_id);
  return BlockTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<BlockRecord>> BlockRepository::ListByBlocker(const RequestContext& ctx,
                                                                        UserId blocker,
                                                                        const query::PageRequest& page,
                                                                        BlockFieldMask mask) const {
  Violations v;
  v.Id("blocker_id", blocker.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("list blocks"));
  return BlockTable().List(deps_, ctx, absl::StrCat("blocker:", blocker.value),
                           Conditions().Add("blocker_id = ?", blocker), query::SortOrder::kDescending, page,
                           mask);
}

}  // namespace daira::inline v0::services
