#include "daira/services/reaction_repository.h"

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::ReactionField;
using model::ReactionRecord;
using model::ReactionTarget;
using model::ReactionTargetType;

namespace {

using Column = query::ColumnSpec<ReactionRecord, ReactionField>;
using internal::Conditions;
using query::ReadColumn;
using ReactionTableType = internal::TypedTable<ReactionRecord, ReactionField, ReactionId>;

const ReactionTableType& ReactionTable() {
  static const auto* kTable = new ReactionTableType(
      {.table = "likes", .entity = "reaction"},
      std::array{
          Column{ReactionField::kId, "id", &ReadColumn<&ReactionRecord::id>, query::kPrimaryKey},
          Column{ReactionField::kUserId, "user_id", &ReadColumn<&ReactionRecord::user_id>},
          Column{ReactionField::kPostId, "post_id", &ReadColumn<&ReactionRecord::post_id>},
          Column{ReactionField::kVideoId, "video_id", &ReadColumn<&ReactionRecord::video_id>},
          Column{ReactionField::kCommentId, "comment_id", &ReadColumn<&ReactionRecord::comment_id>},
          Column{ReactionField::kReaction, "reaction", &ReadColumn<&ReactionRecord::reaction>},
          Column{ReactionField::kCreatedAt, "created_at", &ReadColumn<&ReactionRecord::created_at>},
      });
  return *kTable;
}

// "post_id = ?" / "video_id = ?" / "comment_id = ?": a constant per type (never caller text), so each
// target type has its own statement text and the planner sees which partial index applies.
std::string_view TargetPredicate(ReactionTargetType type) {
  switch (type) {
    case ReactionTargetType::kPost:
      return "post_id = ?";
    case ReactionTargetType::kVideo:
      return "video_id = ?";
    case ReactionTargetType::kComment:
      return "comment_id = ?";
  }
  return {};
}

void CheckTarget(const ReactionTarget& target, Violations& v) {
  v.Require("target_type", !TargetPredicate(target.type).empty(),
            absl::StrCat("must be POST, VIDEO or COMMENT (got ", static_cast<int>(target.type), ")"));
  v.Id("target_id", target.id);
}

std::string TargetText(const ReactionTarget& target) {
  return absl::StrCat(ToAbsl(model::ToString(target.type)), " ", target.id);
}

}  // namespace

const query::FieldTable<ReactionField>& ReactionColumns() { return ReactionTable().fields(); }

ReactionFieldMask AllReactionFields() { return ReactionColumns().All(); }

absl::StatusOr<ReactionRecord> ReactionRepository::Get(const RequestContext& ctx, ReactionId id,
                                                       ReactionFieldMask mask) const {
  return ReactionTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<ReactionBatch> ReactionRepository::GetMany(const RequestContext& ctx,
                                                          std::span<const ReactionId> ids,
                                                          ReactionFieldMask mask) const {
  return ReactionTable().GetMany<ReactionBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<ReactionRecord> ReactionRepository::FindByUserAndTarget(const RequestContext& ctx, UserId user,
                                                                       ReactionTarget target,
                                                                       ReactionFieldMask mask) const {
  Violations v;
  v.Id("user_id", user.value);
  CheckTarget(target, v);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("find reaction"));
  return ReactionTable().FindOne(
      deps_, ctx, Conditions().Add("user_id = ?", user).Add(TargetPredicate(target.type), target.id), mask,
      absl::StrCat("user ", user.value, " has no reaction to ", TargetText(target)));
}

absl::StatusOr<bool> ReactionRepository::Exists(const RequestContext& ctx, ReactionId id) const {
  return ReactionTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> ReactionRepository::Count(const RequestContext& ctx,
                                                  const ReactionFilter& filter) const {
  Violations v;
  if (filter.user_id) v.Id("user_id", filter.user_id->value);
  if (filter.target) CheckTarget(*filter.target, v);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("count reactions"));
  Conditions c;
  c.IfSet("user_id = ?", filter.user_id);
  if (filter.target) c.Add(TargetPredicate(filter.target->type), filter.target->id);
  c.IfSet("reaction = ?", filter.reaction);
  return ReactionTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<ReactionRecord>> ReactionRepository::ListByTarget(const RequestContext& ctx,
                                                                             ReactionTarget target,
                                                                             const query::PageRequest& page,
                                                                             ReactionFieldMask mask) const {
  Violations v;
  CheckTarget(target, v);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("list reactions"));
  return ReactionTable().List(deps_, ctx, absl::StrCat(ToAbsl(model::ToString(target.type)), ":", target.id),
                              Conditions().Add(TargetPredicate(target.type), target.id),
                              query::SortOrder::kDescending, page, mask);
}

}  // namespace daira::inline v0::services
