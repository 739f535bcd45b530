#include "daira/services/mute_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::MuteField;
using model::MuteRecord;

namespace {

using Column = query::ColumnSpec<MuteRecord, MuteField>;
using internal::Conditions;
using query::ReadColumn;
using MuteTableType = internal::TypedTable<MuteRecord, MuteField, MuteId>;

const MuteTableType& MuteTable() {
  static const auto* kTable =
      new MuteTableType({.table = "mutes", .entity = "mute"},
                        std::array{
                            Column{MuteField::kId, "id", &ReadColumn<&MuteRecord::id>, query::kPrimaryKey},
                            Column{MuteField::kMuterId, "muter_id", &ReadColumn<&MuteRecord::muter_id>},
                            Column{MuteField::kMutedId, "muted_id", &ReadColumn<&MuteRecord::muted_id>},
                            Column{MuteField::kMuteType, "mute_type", &ReadColumn<&MuteRecord::mute_type>},
                            Column{MuteField::kCreatedAt, "created_at", &ReadColumn<&MuteRecord::created_at>},
                            Column{MuteField::kExpiresAt, "expires_at", &ReadColumn<&MuteRecord::expires_at>},
                        });
  return *kTable;
}

}  // namespace

const query::FieldTable<MuteField>& MuteColumns() { return MuteTable().fields(); }

MuteFieldMask AllMuteFields() { return MuteColumns().All(); }

absl::StatusOr<MuteRecord> MuteRepository::Get(const RequestContext& ctx, MuteId id,
                                               MuteFieldMask mask) const {
  return MuteTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<MuteBatch> MuteRepository::GetMany(const RequestContext& ctx, std::span<const MuteId> ids,
                                                  MuteFieldMask mask) const {
  return MuteTable().GetMany<MuteBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<MuteRecord> MuteRepository::FindByPair(const RequestContext& ctx, UserId muter, UserId muted,
                                                      MuteFieldMask mask) const {
  Violations v;
  v.Id("muter_id", muter.value);
  v.Id("muted_id", muted.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("find mute"));
  return MuteTable().FindOne(deps_, ctx, Conditions().Add("muter_id = ?", muter).Add("muted_id = ?", muted),
                             mask, absl::StrCat("user ", muter.value, " does not mute user ", muted.value));
}

absl::StatusOr<bool> MuteRepository::Exists(const RequestContext& ctx, MuteId id) const {
  return MuteTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> MuteRepository::Count(const RequestContext& ctx, const MuteFilter& filter) const {
  Violations v;
  if (filter.muter_id) v.Id("muter_id", filter.muter_id->value);
  if (filter.muted_id) v.Id("muted_id", filter.muted_id->value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("count mutes"));
  Conditions c;
  c.IfSet("muter_id = ?", filter.muter_id);
  c.IfSet("muted_id = ?", filter.muted_id);
  c.IfSet("mute_type = ?", filter.mute_type);
  return MuteTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<MuteRecord>> MuteRepository::ListByMuter(const RequestContext& ctx, UserId muter,
                                                                    const query::PageRequest& page,
                                                                    MuteFieldMask mask) const {
  Violations v;
  v.Id("muter_id", muter.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("list mutes"));
  return MuteTable().List(deps_, ctx, absl::StrCat("muter:", muter.value),
                          Conditions().Add("muter_id = ?", muter), query::SortOrder::kDescending, page, mask);
}

}  // namespace daira::inline v0::services
