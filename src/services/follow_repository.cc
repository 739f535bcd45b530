#include "daira/services/follow_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::FollowField;
using model::FollowRecord;

namespace {

using Column = query::ColumnSpec<FollowRecord, FollowField>;
using internal::Conditions;
using query::ReadColumn;
using FollowTableType = internal::TypedTable<FollowRecord, FollowField, FollowId>;

const FollowTableType& FollowTable() {
  static const auto* kTable = new FollowTableType(
      {.table = "follows", .entity = "follow"},
      std::array{
          Column{FollowField::kId, "id", &ReadColumn<&FollowRecord::id>, query::kPrimaryKey},
          Column{FollowField::kFollowerId, "follower_id", &ReadColumn<&FollowRecord::follower_id>},
          Column{FollowField::kFolloweeId, "followee_id", &ReadColumn<&FollowRecord::followee_id>},
          Column{FollowField::kStatus, "status", &ReadColumn<&FollowRecord::status>},
          Column{FollowField::kCreatedAt, "created_at", &ReadColumn<&FollowRecord::created_at>},
          Column{FollowField::kUpdatedAt, "updated_at", &ReadColumn<&FollowRecord::updated_at>},
      });
  return *kTable;
}

// A page of the edges whose `column` is `user`.
absl::StatusOr<query::Page<FollowRecord>> ListBy(const ServiceDeps& deps, const RequestContext& ctx,
                                                 std::string_view op, std::string_view column, UserId user,
                                                 const query::PageRequest& page, FollowFieldMask mask) {
  Violations v;
  v.Id(column, user.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(op));
  return FollowTable().List(deps, ctx, absl::StrCat(ToAbsl(column), ":", user.value),
                            Conditions().Add(absl::StrCat(ToAbsl(column), " = ?"), user),
                            query::SortOrder::kDescending, page, mask);
}

}  // namespace

const query::FieldTable<FollowField>& FollowColumns() { return FollowTable().fields(); }

FollowFieldMask AllFollowFields() { return FollowColumns().All(); }

absl::StatusOr<FollowRecord> FollowRepository::Get(const RequestContext& ctx, FollowId id,
                                                   FollowFieldMask mask) const {
  return FollowTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<FollowBatch> FollowRepository::GetMany(const RequestContext& ctx,
                                                      std::span<const FollowId> ids,
                                                      FollowFieldMask mask) const {
  return FollowTable().GetMany<FollowBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<FollowRecord> FollowRepository::FindByPair(const RequestContext& ctx, UserId follower,
                                                          UserId followee, FollowFieldMask mask) const {
  Violations v;
  v.Id("follower_id", follower.value);
  v.Id("followee_id", followee.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("find follow"));
  return FollowTable().FindOne(
      deps_, ctx, Conditions().Add("follower_id = ?", follower).Add("followee_id = ?", followee), mask,
      absl::StrCat("user ", follower.value, " does not follow user ", followee.value));
}

absl::StatusOr<bool> FollowRepository::Exists(const RequestContext& ctx, FollowId id) const {
  return FollowTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> FollowRepository::Count(const RequestContext& ctx, const FollowFilter& filter) const {
  Violations v;
  if (filter.follower_id) v.Id("follower_id", filter.follower_id->value);
  if (filter.followee_id) v.Id("followee_id", filter.followee_id->value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("count follows"));
  Conditions c;
  c.IfSet("follower_id = ?", filter.follower_id);
  c.IfSet("followee_id = ?", filter.followee_id);
  c.IfSet("status = ?", filter.status);
  return FollowTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<FollowRecord>> FollowRepository::ListByFollowee(const RequestContext& ctx,
                                                                           UserId followee,
                                                                           const query::PageRequest& page,
                                                                           FollowFieldMask mask) const {
  return ListBy(deps_, ctx, "list follows", "followee_id", followee, page, mask);
}

absl::StatusOr<query::Page<FollowRecord>> FollowRepository::ListByFollower(const RequestContext& ctx,
                                                                           UserId follower,
                                                                           const query::PageRequest& page,
                                                                           FollowFieldMask mask) const {
  return ListBy(deps_, ctx, "list follows", "follower_id", follower, page, mask);
}

}  // namespace daira::inline v0::services
