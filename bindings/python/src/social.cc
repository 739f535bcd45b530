// p.social: follows (with requests for private accounts), blocks, mutes and the graph's lists.
#include "daira/services/social.h"

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/model/mute.h"
#include "module.h"
#include "service_call.h"

namespace daira::python {
namespace {

// The argument conversions of p.social beyond ArgOf's: mute_type by model::ParseMuteKind (exact names,
// its own error).
struct SocialArgs {};

}  // namespace

template <>
struct ArgOf<SocialArgs, model::MuteKind> {
  using Py = std::string;
  static model::MuteKind From(const std::string& s, const Where&) { return Unwrap(model::ParseMuteKind(s)); }
};

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
  DefCall<kSocial, &Social::Mute, nullptr, SocialArgs>(
      c, "mute", py::arg("muter_id"), py::arg("muted_id"), py::kw_only(), py::arg("mute_type") = "MUTE",
      py::arg("expires_at") = py::none(), TxArg(),
      "Mutes (MUTE | HIDE_STORIES | HIDE_POSTS), replacing an existing mute's mute_type; expires_at is a\n"
      "datetime (naive = UTC) or None.");
  DefPage<kSocial, &Social::Followers, int>(c, NoTx{"followers"}, py::arg("user_id"), py::kw_only(),
                                            py::arg("limit") = 20, py::arg("cursor") = "",
                                            "ACTIVE followers, newest first → Page[FollowEntry].");
  DefPage<kSocial, &Social::Following, int>(
      c, NoTx{"following"}, py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
      "Users this user follows (ACTIVE), newest first → Page[FollowEntry].");
  DefPage<kSocial, &Social::PendingRequests, int>(
      c, NoTx{"pending_requests"}, py::arg("user_id"), py::kw_only(), py::arg("limit") = 20,
      py::arg("cursor") = "", "PENDING requests to follow this user → Page[FollowEntry].");
  DefPage<kSocial, &Social::MutualFollows, int>(
      c, NoTx{"mutual_follows"}, py::arg("user_id"), py::kw_only(), py::arg("limit") = 20,
      py::arg("cursor") = "", "Users followed by and following this user → Page[FollowEntry].");
  DefCall<kSocial, &Social::FollowsEach>(c, NoTx{"follows_each"}, py::arg("user_id"), py::arg("others"),
                                         "For each id in others, whether user follows it (one statement).");
  DefCall<kSocial, &Social::HiddenAuthorsFor, &IdValues<UserId>>(
      c, NoTx{"hidden_authors_for"}, py::arg("viewer_id"),
      "Authors viewer must not see in feeds (blocks both ways, MUTE/HIDE_POSTS).");
  c.def("__repr__", [](const SocialApi&) { return std::string("<daira.Social>"); });
}

}  // namespace daira::python
