// social records: the follows, blocks, mutes and reactions (likes) repositories — read-only, with field
// masks (writes go through the social and content calls, which keep counters and feeds in step).
#include "absl/strings/str_cat.h"
#include "daira/services/block_repository.h"
#include "daira/services/follow_repository.h"
#include "daira/services/mute_repository.h"
#include "daira/services/reaction_repository.h"
#include "records.h"

namespace {
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables
using daira::Platform;
using daira::UserId;
using daira::cabi::MaskedWriter;
using daira::cabi::OptIdOf;
namespace model = daira::model;
namespace query = daira::query;
namespace services = daira::services;

struct FollowKind {
  using Model = model::FollowRecord;
  using Field = model::FollowField;
  using Id = daira::FollowId;
  using Batch = services::FollowBatch;
  static constexpr auto kItems = &Batch::follows;
  static services::FollowRepository& Repo(Platform& p) { return p.follows(); }
  static const query::FieldTable<Field>& Columns() { return services::FollowColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kFollowerId, "follower_id", m.follower_id);
    w.Field(Field::kFolloweeId, "followee_id", m.followee_id).Field(Field::kStatus, "status", m.status);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
  }
};

struct BlockKind {
  using Model = model::BlockRecord;
  using Field = model::BlockField;
  using Id = daira::BlockId;
  using Batch = services::BlockBatch;
  static constexpr auto kItems = &Batch::blocks;
  static services::BlockRepository& Repo(Platform& p) { return p.blocks(); }
  static const query::FieldTable<Field>& Columns() { return services::BlockColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kBlockerId, "blocker_id", m.blocker_id);
    w.Field(Field::kBlockedId, "blocked_id", m.blocked_id).Field(Field::kReason, "reason", m.reason);
    w.Field(Field::kCreatedAt, "created_at", m.created_at);
  }
};

struct MuteKind {
  using Model = model::MuteRecord;
  using Field = model::MuteField;
  using Id = daira::MuteId;
  using Batch = services::MuteBatch;
  static constexpr auto kItems = &Batch::mutes;
  static services::MuteRepository& Repo(Platform& p) { return p.mutes(); }
  static const query::FieldTable<Field>& Columns() { return services::MuteColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kMuterId, "muter_id", m.muter_id);
    w.Field(Field::kMutedId, "muted_id", m.muted_id).Field(Field::kMuteType, "mute_type", m.mute_type);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kExpiresAt, "expires_at", m.expires_at);
  }
};

struct ReactionKind {
  using Model = model::ReactionRecord;
  using Field = model::ReactionField;
  using Id = daira::ReactionId;
  using Batch = services::ReactionBatch;
  static constexpr auto kItems = &Batch::reactions;
  static services::ReactionRepository& Repo(Platform& p) { return p.reactions(); }
  static const query::FieldTable<Field>& Columns() { return services::ReactionColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kUserId, "user_id", m.user_id);
    w.Field(Field::kPostId, "post_id", m.post_id).Field(Field::kVideoId, "video_id", m.video_id);
    w.Field(Field::kCommentId, "comment_id", m.comment_id).Field(Field::kReaction, "reaction", m.reaction);
    w.Field(Field::kCreatedAt, "created_at", m.created_at);
  }
};

// An optional enum by its stored spelling, for the enums without a names table (FollowStatus,
// MuteKind): InvalidArgument naming `field` with `expected` otherwise.
template <typename E>
std::optional<E> OptSpelled(daira::cabi::Request& r, std::string_view field, std::string_view expected) {
  std::optional<std::string> text = r.OptString(field);
  if (!text) return std::nullopt;
  E value;
  if (model::Parse(*text, &value)) return value;
  r.Fail(field, absl::StrCat("must be ", daira::ToAbsl(expected), " (got \"", text->substr(0, 64), "\")"));
  return std::nullopt;
}

// "target_type" + "target_id" (both required together; absent both: nullopt).
std::optional<model::ReactionTarget> OptTarget(daira::cabi::Request& r, bool required) {
  if (!required && !r.Has("target_type") && !r.Has("target_id")) return std::nullopt;
  const std::string type = r.String("target_type");
  model::ReactionTarget target;
  target.id = r.Id("target_id");
  if (!model::Parse(type, &target.type)) {
    r.Fail("target_type", absl::StrCat("must be POST, VIDEO or COMMENT (got \"", type.substr(0, 64), "\")"));
    return std::nullopt;
  }
  return target;
}

}  // namespace

DAIRA_CABI_RECORD_READS(daira_follows, FollowKind, "follows")
DAIRA_CABI_RECORD_READS(daira_blocks, BlockKind, "blocks")
DAIRA_CABI_RECORD_READS(daira_mutes, MuteKind, "mutes")
DAIRA_CABI_RECORD_READS(daira_reactions, ReactionKind, "reactions")

using services::FollowFilter;
DAIRA_CABI_SERVICE_CALL(daira_follows_count, "follows.count", &FollowKind::Repo,
                        &services::FollowRepository::Count, Count{"count"},
                        Struct<FollowFilter>(Set{&FollowFilter::follower_id, OptIdAs<UserId>{"follower_id"}},
                                             Set{&FollowFilter::followee_id, OptIdAs<UserId>{"followee_id"}},
                                             Set{&FollowFilter::status, [](daira::cabi::Request& r) {
                                                   return OptSpelled<model::FollowStatus>(
                                                       r, "status", "ACTIVE or PENDING");
                                                 }}))

using services::BlockFilter;
DAIRA_CABI_SERVICE_CALL(daira_blocks_count, "blocks.count", &BlockKind::Repo,
                        &services::BlockRepository::Count, Count{"count"},
                        Struct<BlockFilter>(Set{&BlockFilter::blocker_id, OptIdAs<UserId>{"blocker_id"}},
                                            Set{&BlockFilter::blocked_id, OptIdAs<UserId>{"blocked_id"}}))

using services::MuteFilter;
DAIRA_CABI_SERVICE_CALL(daira_mutes_count, "mutes.count", &MuteKind::Repo, &services::MuteRepository::Count,
                        Count{"count"},
                        Struct<MuteFilter>(Set{&MuteFilter::muter_id, OptIdAs<UserId>{"muter_id"}},
                                           Set{&MuteFilter::muted_id, OptIdAs<UserId>{"muted_id"}},
                                           Set{&MuteFilter::mute_type, [](daira::cabi::Request& r) {
                                                 return OptSpelled<model::MuteKind>(
                                                     r, "mute_type", "MUTE, HIDE_STORIES or HIDE_POSTS");
                                               }}))

DAIRA_CABI_CALL(daira_reactions_count, "reactions.count") {
  services::ReactionFilter filter;
  filter.user_id = OptIdOf<UserId>(r, "user_id");
  filter.target = OptTarget(r, /*required=*/false);
  filter.reaction = daira::cabi::OptEnum<model::Reaction>(r, "reaction", model::kReactionNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.reactions().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_METHOD(daira_follows_find_by_pair, "follows.find_by_pair", FollowKind,
                         &services::FollowRepository::FindByPair, IdAs<UserId>{"follower_id"},
                         IdAs<UserId>{"followee_id"})
DAIRA_CABI_RECORD_METHOD(daira_blocks_find_by_pair, "blocks.find_by_pair", BlockKind,
                         &services::BlockRepository::FindByPair, IdAs<UserId>{"blocker_id"},
                         IdAs<UserId>{"blocked_id"})
DAIRA_CABI_RECORD_METHOD(daira_mutes_find_by_pair, "mutes.find_by_pair", MuteKind,
                         &services::MuteRepository::FindByPair, IdAs<UserId>{"muter_id"},
                         IdAs<UserId>{"muted_id"})

DAIRA_CABI_RECORD_CALL(daira_reactions_find_by_user_and_target, "reactions.find_by_user_and_target", ReactionKind) {
  const UserId user(r.Id("user_id"));
  std::optional<model::ReactionTarget> target = OptTarget(r, /*required=*/true);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::ReactionRecord m, p.reactions().FindByUserAndTarget(ctx, user, *target, mask));
  return daira::cabi::RecordOf<ReactionKind>(m, mask);
}

DAIRA_CABI_RECORD_METHOD(daira_follows_list_by_followee, "follows.list_by_followee", FollowKind,
                         &services::FollowRepository::ListByFollowee, IdAs<UserId>{"followee_id"}, Page{})
DAIRA_CABI_RECORD_METHOD(daira_follows_list_by_follower, "follows.list_by_follower", FollowKind,
                         &services::FollowRepository::ListByFollower, IdAs<UserId>{"follower_id"}, Page{})
DAIRA_CABI_RECORD_METHOD(daira_blocks_list_by_blocker, "blocks.list_by_blocker", BlockKind,
                         &services::BlockRepository::ListByBlocker, IdAs<UserId>{"blocker_id"}, Page{})
DAIRA_CABI_RECORD_METHOD(daira_mutes_list_by_muter, "mutes.list_by_muter", MuteKind,
                         &services::MuteRepository::ListByMuter, IdAs<UserId>{"muter_id"}, Page{})

DAIRA_CABI_RECORD_CALL(daira_reactions_list_by_target, "reactions.list_by_target", ReactionKind) {
  std::optional<model::ReactionTarget> target = OptTarget(r, /*required=*/true);
  const query::PageRequest page = daira::cabi::PageOfRequest(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.reactions().ListByTarget(ctx, *target, page, mask));
  return daira::cabi::PageOf<ReactionKind>(result, mask);
}
