// p.social: follows (with requests for private accounts), blocks, mutes and the graph's lists.
#include "daira/services/social.h"

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/model/mute.h"
#include "module.h"
#include "page.h"
#include "service_call.h"
#include "transaction.h"

namespace daira::python {
namespace {

using ListFn = absl::StatusOr<query::Page<services::FollowEntry>> (services::Social::*)(
    const RequestContext&, UserId, const query::PageRequest&);

PyPage GraphPage(SocialApi& s, ListFn fn, int64_t user, int limit, const std::string& cursor) {
  auto fetch = [fn, user, limit](Platform& p, const std::string& c) {
    query::PageRequest req{.limit = limit, .cursor = c};
    return (p.social().*fn)(Ctx(), UserId{user}, req);
  };
  return FetchPage(s.core, fetch, cursor);
}

}  // namespace

void RegisterSocial(py::module_& m) {
  py::class_<SocialApi> c(m, "Social", "The social graph: follows, blocks, mutes and their lists.");
  using services::Social;
  constexpr auto kSocial = &Platform::social;
  DefCall<kSocial, &Social::Follow>(
      c, "follow", py::arg("follower_id"), py::arg("followee_id"), py::kw_only(), TxArg(),
      "follower follows followee → Follow (ACTIVE, or PENDING when followee is private). AlreadyExists when\n"
      "the edge exists; FailedPrecondition when either blocks the other; NotFound naming the missing id.");
  DefCall<kSocial, &Social::AcceptFollow>(c, "accept_follow", py::arg("followee_id"), py::arg("follower_id"),
                                          py::kw_only(), TxArg(),
                                          "followee accepts follower's PENDING request.");
  DefCall<kSocial, &Social::RejectFollow>(c, "reject_follow", py::arg("followee_id"), py::arg("follower_id"),
                                          py::kw_only(), TxArg(),
                                          "followee rejects (deletes) follower's PENDING request.");
  DefCall<kSocial, &Social::Unfollow>(c, "unfollow", py::arg("follower_id"), py::arg("followee_id"),
                                      py::kw_only(), TxArg());
  DefCall<kSocial, &Social::Block>(c, "block", py::arg("blocker_id"), py::arg("blocked_id"), py::kw_only(),
                                   py::arg("reason") = py::none(), TxArg(),
                                   "Blocks (removing follows both ways) → Block.");
  DefCall<kSocial, &Social::Unblock>(c, "unblock", py::arg("blocker_id"), py::arg("blocked_id"),
                                     py::kw_only(), TxArg());
  DefCall<kSocial, &Social::IsBlocked>(c, "is_blocked", py::arg("a"), py::arg("b"), py::kw_only(), TxArg(),
                                       "Whether either user blocks the other.");
  DefCall<kSocial, &Social::Unmute>(c, "unmute", py::arg("muter_id"), py::arg("muted_id"), py::kw_only(),
                                    TxArg());
  c.def(
       "mute",
       [](SocialApi& s, int64_t muter, int64_t muted, const std::string& mute_type, py::object expires_at,
          TxState* tx) {
         model::MuteKind k = Unwrap(model::ParseMuteKind(mute_type));
         std::optional<Clock::TimePoint> until;
         if (!expires_at.is_none()) until = FromDatetime(expires_at);
         return CallIn(s.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.social().Mute(ctx, UserId{muter}, UserId{muted}, k, until);
         });
       },
       py::arg("muter_id"), py::arg("muted_id"), py::kw_only(), py::arg("mute_type") = "MUTE",
       py::arg("expires_at") = py::none(), py::arg("tx") = py::none(),
       "Mutes (MUTE | HIDE_STORIES | HIDE_POSTS), replacing an existing mute's mute_type; expires_at is a\n"
       "datetime (naive = UTC) or None.")
      .def(
          "followers",
          [](SocialApi& s, int64_t user, int limit, const std::string& cursor) {
            return GraphPage(s, &services::Social::Followers, user, limit, cursor);
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          "ACTIVE followers, newest first → Page[FollowEntry].")
      .def(
          "following",
          [](SocialApi& s, int64_t user, int limit, const std::string& cursor) {
            return GraphPage(s, &services::Social::Following, user, limit, cursor);
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          "Users this user follows (ACTIVE), newest first → Page[FollowEntry].")
      .def(
          "pending_requests",
          [](SocialApi& s, int64_t user, int limit, const std::string& cursor) {
            return GraphPage(s, &services::Social::PendingRequests, user, limit, cursor);
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          "PENDING requests to follow this user → Page[FollowEntry].")
      .def(
          "mutual_follows",
          [](SocialApi& s, int64_t user, int limit, const std::string& cursor) {
            return GraphPage(s, &services::Social::MutualFollows, user, limit, cursor);
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          "Users followed by and following this user → Page[FollowEntry].")
      .def(
          "follows_each",
          [](SocialApi& s, int64_t user, const std::vector<int64_t>& others) {
            std::vector<UserId> ids;
            ids.reserve(others.size());
            for (int64_t id : others) ids.emplace_back(id);
            return s.core->Call([&](Platform& p) { return p.social().FollowsEach(Ctx(), UserId{user}, ids); });
          },
          py::arg("user_id"), py::arg("others"),
          "For each id in others, whether user follows it (one statement).")
      .def(
          "hidden_authors_for",
          [](SocialApi& s, int64_t viewer) {
            std::vector<UserId> ids =
                s.core->Call([&](Platform& p) { return p.social().HiddenAuthorsFor(Ctx(), UserId{viewer}); });
            std::vector<int64_t> out;
            out.reserve(ids.size());
            for (UserId id : ids) out.push_back(id.value);
            return out;
          },
          py::arg("viewer_id"), "Authors viewer must not see in feeds (blocks both ways, MUTE/HIDE_POSTS).")
      .def("__repr__", [](const SocialApi&) { return std::string("<daira.Social>"); });
}

}  // namespace daira::python
