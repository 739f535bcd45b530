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
};
struct ProfilesTraits {
  using Api = UserProfilesApi;
  using Id = UserId;
  static constexpr const char* kIdArg = "user_id";
  static services::ProfileRepository& Repo(Platform& p) { return p.user_profiles(); }
  static const auto& Columns() { return services::ProfileColumns(); }
  static auto& Items(services::ProfileBatch& b) { return b.profiles; }
};

// A page of `fetch(repo, ctx, id, request, mask)` for one user id — the shape of most lists here.
template <typename Traits, typename Fetch>
PyPage ListOf(typename Traits::Api& a, int64_t id, int limit, const std::string& cursor, const py::object& fields,
              TxState* tx, Fetch fetch) {
  auto mask = ParseFields(Traits::Columns(), fields);
  return ListPage(a.core, tx, limit, cursor,
                  [id, mask, fetch](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                    return fetch(Traits::Repo(p), ctx, id, r, mask);
                  });
}

// Binds find_by_pair(a, b) and list_by_<side>(user_id) for follows, blocks and mutes.
template <typename Traits>
void BindPairFinder(py::class_<typename Traits::Api>& c, const char* first, const char* second) {
  using Api = typename Traits::Api;
  c.def(
      "find_by_pair",
      [](Api& a, int64_t x, int64_t y, py::object fields, TxState* tx) {
        auto mask = ParseFields(Traits::Columns(), fields);
        return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
          return Traits::Repo(p).FindByPair(ctx, UserId{x}, UserId{y}, mask);
        });
      },
      py::arg(first), py::arg(second), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
      "The row for this pair of users; NotFound otherwise.");
}

constexpr const char* kListDoc = "A Page of the rows, newest first.";

void BindFollows(py::module_& m) {
  py::class_<FollowsApi> c(m, "Follows", "Read-only follow edges → FollowRecord (write through p.social).");
  BindReads<FollowsTraits>(c);
  BindPairFinder<FollowsTraits>(c, "follower_id", "followee_id");
  c.def(
       "count",
       [](FollowsApi& a, std::optional<int64_t> follower_id, std::optional<int64_t> followee_id,
          std::optional<std::string> status, TxState* tx) {
         services::FollowFilter f{.follower_id = OptId<UserId>(follower_id),
                                  .followee_id = OptId<UserId>(followee_id),
                                  .status = OptEnumArg<model::FollowStatus>("count follows", "status", status)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.follows().Count(ctx, f); });
       },
       py::kw_only(), py::arg("follower_id") = py::none(), py::arg("followee_id") = py::none(),
       py::arg("status") = py::none(), py::arg("tx") = py::none(), "Number of edges matching every filter given.")
      .def(
          "list_by_followee",
          [](FollowsApi& a, int64_t id, int limit, std::string cursor, py::object fields, TxState* tx) {
            return ListOf<FollowsTraits>(a, id, limit, cursor, fields, tx,
                                         [](auto& repo, const RequestContext& ctx, int64_t u, const auto& r, auto mask) {
                                           return repo.ListByFollowee(ctx, UserId{u}, r, mask);
                                         });
          },
          py::arg("followee_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the user's follower edges.")
      .def(
          "list_by_follower",
          [](FollowsApi& a, int64_t id, int limit, std::string cursor, py::object fields, TxState* tx) {
            return ListOf<FollowsTraits>(a, id, limit, cursor, fields, tx,
                                         [](auto& repo, const RequestContext& ctx, int64_t u, const auto& r, auto mask) {
                                           return repo.ListByFollower(ctx, UserId{u}, r, mask);
                                         });
          },
          py::arg("follower_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the edges the user follows with.")
      .def("__repr__", [](const FollowsApi&) { return std::string("<daira.Follows>"); });
}

void BindBlocks(py::module_& m) {
  py::class_<BlocksApi> c(m, "Blocks", "Read-only blocks → BlockRecord (write through p.social).");
  BindReads<BlocksTraits>(c);
  BindPairFinder<BlocksTraits>(c, "blocker_id", "blocked_id");
  c.def(
       "count",
       [](BlocksApi& a, std::optional<int64_t> blocker_id, std::optional<int64_t> blocked_id, TxState* tx) {
         services::BlockFilter f{.blocker_id = OptId<UserId>(blocker_id), .blocked_id = OptId<UserId>(blocked_id)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.blocks().Count(ctx, f); });
       },
       py::kw_only(), py::arg("blocker_id") = py::none(), py::arg("blocked_id") = py::none(), py::arg("tx") = py::none(),
       "Number of blocks matching every filter given.")
      .def(
          "list_by_blocker",
          [](BlocksApi& a, int64_t id, int limit, std::string cursor, py::object fields, TxState* tx) {
            return ListOf<BlocksTraits>(a, id, limit, cursor, fields, tx,
                                        [](auto& repo, const RequestContext& ctx, int64_t u, const auto& r, auto mask) {
                                          return repo.ListByBlocker(ctx, UserId{u}, r, mask);
                                        });
          },
          py::arg("blocker_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), kListDoc)
      .def("__repr__", [](const BlocksApi&) { return std::string("<daira.Blocks>"); });
}

void BindMutes(py::module_& m) {
  py::class_<MutesApi> c(m, "Mutes", "Read-only mutes → MuteRecord (write through p.social).");
  BindReads<MutesTraits>(c);
  BindPairFinder<MutesTraits>(c, "muter_id", "muted_id");
  c.def(
       "count",
       [](MutesApi& a, std::optional<int64_t> muter_id, std::optional<int64_t> muted_id,
          std::optional<std::string> mute_type, TxState* tx) {
         services::MuteFilter f{.muter_id = OptId<UserId>(muter_id),
                                .muted_id = OptId<UserId>(muted_id),
                                .mute_type = OptEnumArg<model::MuteKind>("count mutes", "mute_type", mute_type)};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.mutes().Count(ctx, f); });
       },
       py::kw_only(), py::arg("muter_id") = py::none(), py::arg("muted_id") = py::none(), py::arg("mute_type") = py::none(),
       py::arg("tx") = py::none(), "Number of mutes matching every filter given.")
      .def(
          "list_by_muter",
          [](MutesApi& a, int64_t id, int limit, std::string cursor, py::object fields, TxState* tx) {
            return ListOf<MutesTraits>(a, id, limit, cursor, fields, tx,
                                       [](auto& repo, const RequestContext& ctx, int64_t u, const auto& r, auto mask) {
                                         return repo.ListByMuter(ctx, UserId{u}, r, mask);
                                       });
          },
          py::arg("muter_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), kListDoc)
      .def("__repr__", [](const MutesApi&) { return std::string("<daira.Mutes>"); });
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

// sessions.* `fields`: the token hashes are never read into Python.
services::SessionFieldMask SessionFields(const py::object& fields) {
  services::SessionFieldMask mask = ParseFields(services::SessionColumns(), fields);
  if (mask.Has(model::UserSessionField::kRefreshTokenHash) || mask.Has(model::UserSessionField::kAccessTokenHash)) {
    Throw(InvalidField("field mask", "fields", "names a token hash, which is never returned to Python"));
  }
  return mask;
}

void BindSessions(py::module_& m) {
  py::class_<SessionsApi> c(m, "Sessions",
                            "Read-only login sessions → SessionRecord (never the token hashes; p.accounts writes).");
  // Not BindReads: every read goes through SessionFields.
  c.def(
       "get",
       [](SessionsApi& a, int64_t id, py::object fields, TxState* tx) {
         auto mask = SessionFields(fields);
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.sessions().Get(ctx, SessionId{id}, mask);
         });
       },
       py::arg("session_id"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
       "The session with this id (only `fields`; the others read None); NotFound otherwise.")
      .def(
          "get_many",
          [](SessionsApi& a, const std::vector<int64_t>& ids, py::object fields, TxState* tx) {
            auto mask = SessionFields(fields);
            std::vector<SessionId> typed = IdsOf<SessionId>(ids);
            auto batch = CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.sessions().GetMany(ctx, typed, mask);
            });
            return ToBatch(batch.sessions, batch.missing);
          },
          py::arg("ids"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
          "The sessions with these ids in one statement → Batch.")
      .def(
          "exists",
          [](SessionsApi& a, int64_t id, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.sessions().Exists(ctx, SessionId{id});
            });
          },
          py::arg("session_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "count",
          [](SessionsApi& a, std::optional<int64_t> user_id, std::optional<int64_t> family_id, TxState* tx) {
            services::SessionFilter f{.user_id = OptId<UserId>(user_id), .family_id = family_id};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.sessions().Count(ctx, f); });
          },
          py::kw_only(), py::arg("user_id") = py::none(), py::arg("family_id") = py::none(), py::arg("tx") = py::none(),
          "Number of sessions matching every filter given.")
      .def(
          "list_by_user",
          [](SessionsApi& a, int64_t id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = SessionFields(fields);
            return ListPage(a.core, tx, limit, cursor,
                            [id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.sessions().ListByUser(ctx, UserId{id}, r, mask);
                            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the user's sessions.")
      .def(
          "list_by_family",
          [](SessionsApi& a, int64_t family_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = SessionFields(fields);
            return ListPage(a.core, tx, limit, cursor,
                            [family_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.sessions().ListByFamily(ctx, family_id, r, mask);
                            });
          },
          py::arg("family_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of one login's rotation family.")
      .def("__repr__", [](const SessionsApi&) { return std::string("<daira.Sessions>"); });
}

void BindUserProfiles(py::module_& m) {
  py::class_<UserProfilesApi> c(m, "UserProfiles",
                                "Read-only profile rows by user id → UserProfileRecord (p.profiles writes).");
  BindReads<ProfilesTraits>(c);
  c.def(
       "count",
       [](UserProfilesApi& a, std::optional<int64_t> min_followers_count, std::optional<double> trust_score_below,
          TxState* tx) {
         services::ProfileFilter f{.min_followers_count = min_followers_count, .trust_score_below = trust_score_below};
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.user_profiles().Count(ctx, f); });
       },
       py::kw_only(), py::arg("min_followers_count") = py::none(), py::arg("trust_score_below") = py::none(),
       py::arg("tx") = py::none(), "Number of profiles matching every filter given.")
      .def("__repr__", [](const UserProfilesApi&) { return std::string("<daira.UserProfiles>"); });
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
