// p.follows, p.blocks, p.mutes, p.reactions, p.sessions and p.user_profiles: field-masked, read-only
// access to the social, reaction and account tables, each call optionally inside a transaction (tx=).
// Writes go through the services that keep counters and rules in step (p.social, p.content,
// p.accounts, p.profiles). Session token hashes are never read into Python.
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/services/block_repository.h"
#include "daira/services/follow_repository.h"
#include "daira/services/mute_repository.h"
#include "daira/services/profile_repository.h"
#include "daira/services/reaction_repository.h"
#include "daira/services/session_repository.h"
#include "module.h"
#include "repository.h"
#include "service_call.h"

namespace daira::python {
namespace {

struct FollowsTraits {
  using Api = FollowsApi;
  using Id = FollowId;
  static constexpr const char* kIdArg = "follow_id";
  static services::FollowRepository& Repo(Platform& p) { return p.follows(); }
  static const auto& Columns() { return services::FollowColumns(); }
  static auto& Items(services::FollowBatch& b) { return b.follows; }
};
struct BlocksTraits {
  using Api = BlocksApi;
  using Id = BlockId;
  static constexpr const char* kIdArg = "block_id";
  static services::BlockRepository& Repo(Platform& p) { return p.blocks(); }
  static const auto& Columns() { return services::BlockColumns(); }
  static auto& Items(services::BlockBatch& b) { return b.blocks; }
};
struct MutesTraits {
  using Api = MutesApi;
  using Id = MuteId;
  static constexpr const char* kIdArg = "mute_id";
  static services::MuteRepository& Repo(Platform& p) { return p.mutes(); }
  static const auto& Columns() { return services::MuteColumns(); }
  static auto& Items(services::MuteBatch& b) { return b.mutes; }
};
struct ReactionsTraits {
  using Api = ReactionsApi;
  using Id = ReactionId;
  static constexpr const char* kIdArg = "reaction_id";
  static services::ReactionRepository& Repo(Platform& p) { return p.reactions(); }
  static const auto& Columns() { return services::ReactionColumns(); }
  static auto& Items(services::ReactionBatch& b) { return b.reactions; }
};
struct SessionsTraits {
  using Api = SessionsApi;
  using Id = SessionId;
  static constexpr const char* kIdArg = "session_id";
  static services::SessionRepository& Repo(Platform& p) { return p.sessions(); }
  static const auto& Columns() { return services::SessionColumns(); }
  static auto& Items(services::SessionBatch& b) { return b.sessions; }
  // `fields`: the token hashes are never read into Python.
  static services::SessionFieldMask Mask(const py::object& fields) {
    services::SessionFieldMask mask = ParseFields(Columns(), fields);
    if (mask.Has(model::UserSessionField::kRefreshTokenHash) ||
        mask.Has(model::UserSessionField::kAccessTokenHash)) {
      Throw(InvalidField("field mask", "fields", "names a token hash, which is never returned to Python"));
    }
    return mask;
  }
};
struct ProfilesTraits {
  using Api = UserProfilesApi;
  using Id = UserId;
  static constexpr const char* kIdArg = "user_id";
  static services::ProfileRepository& Repo(Platform& p) { return p.user_profiles(); }
  static const auto& Columns() { return services::ProfileColumns(); }
  static auto& Items(services::ProfileBatch& b) { return b.profiles; }
};

// Binds find_by_pair(a, b) for follows, blocks and mutes.
template <typename Traits>
void BindPairFinder(py::class_<typename Traits::Api>& c, const char* first, const char* second) {
  DefRepoCall<Traits, &RepoOf<Traits>::FindByPair>(c, "find_by_pair", py::arg(first), py::arg(second),
                                                   py::kw_only(), py::arg("fields") = py::none(), TxArg(),
                                                   "The row for this pair of users; NotFound otherwise.");
}

constexpr const char* kListDoc = "A Page of the rows, newest first.";

void BindFollows(py::module_& m) {
  using Repo = services::FollowRepository;
  using F = services::FollowFilter;
  py::class_<FollowsApi> c(m, "Follows", "Read-only follow edges → FollowRecord (write through p.social).");
  BindReads<FollowsTraits>(c);
  BindPairFinder<FollowsTraits>(c, "follower_id", "followee_id");
  DefRepoRequest<FollowsTraits, &Repo::Count, Fields<&F::follower_id, &F::followee_id, &F::status>>(
      c, Named{"count", "count follows"}, py::kw_only(), py::arg("follower_id") = py::none(),
      py::arg("followee_id") = py::none(), py::arg("status") = py::none(), TxArg(),
      "Number of edges matching every filter given.");
  DefList<FollowsTraits, &Repo::ListByFollowee>(c, "list_by_followee", py::arg("followee_id"),
                                                DAIRA_PY_LIST_ARGS, "A Page of the user's follower edges.");
  DefList<FollowsTraits, &Repo::ListByFollower>(c, "list_by_follower", py::arg("follower_id"),
                                                DAIRA_PY_LIST_ARGS,
                                                "A Page of the edges the user follows with.");
  c.def("__repr__", [](const FollowsApi&) { return std::string("<daira.Follows>"); });
}

void BindBlocks(py::module_& m) {
  using F = services::BlockFilter;
  py::class_<BlocksApi> c(m, "Blocks", "Read-only blocks → BlockRecord (write through p.social).");
  BindReads<BlocksTraits>(c);
  BindPairFinder<BlocksTraits>(c, "blocker_id", "blocked_id");
  DefRepoRequest<BlocksTraits, &services::BlockRepository::Count, Fields<&F::blocker_id, &F::blocked_id>>(
      c, "count", py::kw_only(), py::arg("blocker_id") = py::none(), py::arg("blocked_id") = py::none(),
      TxArg(), "Number of blocks matching every filter given.");
  DefList<BlocksTraits, &services::BlockRepository::ListByBlocker>(
      c, "list_by_blocker", py::arg("blocker_id"), DAIRA_PY_LIST_ARGS, kListDoc);
  c.def("__repr__", [](const BlocksApi&) { return std::string("<daira.Blocks>"); });
}

void BindMutes(py::module_& m) {
  using F = services::MuteFilter;
  py::class_<MutesApi> c(m, "Mutes", "Read-only mutes → MuteRecord (write through p.social).");
  BindReads<MutesTraits>(c);
  BindPairFinder<MutesTraits>(c, "muter_id", "muted_id");
  DefRepoRequest<MutesTraits, &services::MuteRepository::Count,
                 Fields<&F::muter_id, &F::muted_id, &F::mute_type>>(
      c, Named{"count", "count mutes"}, py::kw_only(), py::arg("muter_id") = py::none(),
      py::arg("muted_id") = py::none(), py::arg("mute_type") = py::none(), TxArg(),
      "Number of mutes matching every filter given.");
  DefList<MutesTraits, &services::MuteRepository::ListByMuter>(c, "list_by_muter", py::arg("muter_id"),
                                                               DAIRA_PY_LIST_ARGS, kListDoc);
  c.def("__repr__", [](const MutesApi&) { return std::string("<daira.Mutes>"); });
}

model::ReactionTarget TargetArg(std::string_view op, const std::string& type, int64_t id) {
  return model::ReactionTarget{EnumArg<model::ReactionTargetType>(op, "target_type", type), id};
}

void BindReactions(py::module_& m) {
  py::class_<ReactionsApi> c(m, "Reactions", "Read-only reactions (likes) → ReactionRecord (write through p.content).");
  BindReads<ReactionsTraits>(c);
  c.def(
       "find_by_user_and_target",
       [](ReactionsApi& a, int64_t user_id, std::string target_type, int64_t target_id, py::object fields,
          TxState* tx) {
         model::ReactionTarget t = TargetArg("find reaction", target_type, target_id);
         auto mask = ParseFields(services::ReactionColumns(), fields);
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.reactions().FindByUserAndTarget(ctx, UserId{user_id}, t, mask);
         });
       },
       py::arg("user_id"), py::arg("target_type"), py::arg("target_id"), py::kw_only(), py::arg("fields") = py::none(),
       py::arg("tx") = py::none(), "The user's reaction to a POST | VIDEO | COMMENT; NotFound otherwise.")
      .def(
          "count",
          [](ReactionsApi& a, std::optional<int64_t> user_id, std::optional<std::string> target_type,
             std::optional<int64_t> target_id, std::optional<std::string> reaction, TxState* tx) {
            if (target_type.has_value() != target_id.has_value()) {
              Throw(InvalidField("count reactions", "target_id", "target_type and target_id go together"));
            }
            services::ReactionFilter f{.user_id = OptId<UserId>(user_id),
                                       .reaction = OptEnumArg<model::Reaction>("count reactions", "reaction", reaction)};
            if (target_type.has_value()) f.target = TargetArg("count reactions", *target_type, *target_id);
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.reactions().Count(ctx, f); });
          },
          py::kw_only(), py::arg("user_id") = py::none(), py::arg("target_type") = py::none(),
          py::arg("target_id") = py::none(), py::arg("reaction") = py::none(), py::arg("tx") = py::none(),
          "Number of reactions matching every filter given.")
      .def(
          "list_by_target",
          [](ReactionsApi& a, std::string target_type, int64_t target_id, int limit, std::string cursor,
             py::object fields, TxState* tx) {
            model::ReactionTarget t = TargetArg("list reactions", target_type, target_id);
            auto mask = ParseFields(services::ReactionColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [t, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.reactions().ListByTarget(ctx, t, r, mask);
                            });
          },
          py::arg("target_type"), py::arg("target_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the target's reactions.")
      .def("__repr__", [](const ReactionsApi&) { return std::string("<daira.Reactions>"); });
}

void BindSessions(py::module_& m) {
  using Repo = services::SessionRepository;
  py::class_<SessionsApi> c(m, "Sessions",
                            "Read-only login sessions → SessionRecord (never the token hashes; p.accounts writes).");
  BindReads<SessionsTraits>(
      c, {.get = "The session with this id (only `fields`; the others read None); NotFound "
                 "otherwise.",
          .get_many = "The sessions with these ids in one statement → Batch.",
          .exists = nullptr});
  DefRepoRequest<SessionsTraits, &Repo::Count,
                 Fields<&services::SessionFilter::user_id, &services::SessionFilter::family_id>>(
      c, "count", py::kw_only(), py::arg("user_id") = py::none(), py::arg("family_id") = py::none(), TxArg(),
      "Number of sessions matching every filter given.");
  DefList<SessionsTraits, &Repo::ListByUser>(c, "list_by_user", py::arg("user_id"), DAIRA_PY_LIST_ARGS,
                                             "A Page of the user's sessions.");
  DefList<SessionsTraits, &Repo::ListByFamily>(c, "list_by_family", py::arg("family_id"), DAIRA_PY_LIST_ARGS,
                                               "A Page of one login's rotation family.");
  c.def("__repr__", [](const SessionsApi&) { return std::string("<daira.Sessions>"); });
}

void BindUserProfiles(py::module_& m) {
  using F = services::ProfileFilter;
  py::class_<UserProfilesApi> c(m, "UserProfiles",
                                "Read-only profile rows by user id → UserProfileRecord (p.profiles writes).");
  BindReads<ProfilesTraits>(c);
  DefRepoRequest<ProfilesTraits, &services::ProfileRepository::Count,
                 Fields<&F::min_followers_count, &F::trust_score_below>>(
      c, "count", py::kw_only(), py::arg("min_followers_count") = py::none(),
      py::arg("trust_score_below") = py::none(), TxArg(), "Number of profiles matching every filter given.");
  c.def("__repr__", [](const UserProfilesApi&) { return std::string("<daira.UserProfiles>"); });
}

}  // namespace

void RegisterSocialRepos(py::module_& m) {
  BindFollows(m);
  BindBlocks(m);
  BindMutes(m);
  BindReactions(m);
  BindSessions(m);
  BindUserProfiles(m);
}

}  // namespace daira::python
