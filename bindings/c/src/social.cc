// social: follow graph, blocks, mutes, and follower/following pages — each call described by its service
// method and its fields (service_call.h); only mute, whose kind is parsed after the fields, keeps a body.
#include "internal.h"
#include "service_call.h"

using daira::cabi::RecordJson;

namespace {
using daira::UserId;
namespace services = daira::services;
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables

const Record<daira::model::Follow> kFollowJson{daira::cabi::WriteFollow};
const Record<daira::model::Block> kBlockJson{daira::cabi::WriteBlock};
const PageOf<services::FollowEntry> kEntriesJson{daira::cabi::WriteFollowEntry};
constexpr auto kSocial = &daira::Platform::social;

// {"blocked": bool}.
std::string BlockedJson(bool blocked) {
  daira::JsonWriter w;
  w.BeginObject().Key("blocked").Bool(blocked).EndObject();
  return w.Take();
}

}  // namespace

DAIRA_CABI_SERVICE_CALL(daira_social_follow, "social.follow", kSocial, &services::Social::Follow, kFollowJson,
                        IdAs<UserId>{"follower_id"}, IdAs<UserId>{"followee_id"})
DAIRA_CABI_SERVICE_CALL(daira_social_accept_follow, "social.accept_follow", kSocial,
                        &services::Social::AcceptFollow, kFollowJson, IdAs<UserId>{"followee_id"},
                        IdAs<UserId>{"follower_id"})
DAIRA_CABI_SERVICE_CALL(daira_social_reject_follow, "social.reject_follow", kSocial,
                        &services::Social::RejectFollow, Empty{}, IdAs<UserId>{"followee_id"},
                        IdAs<UserId>{"follower_id"})
DAIRA_CABI_SERVICE_CALL(daira_social_unfollow, "social.unfollow", kSocial, &services::Social::Unfollow,
                        Empty{}, IdAs<UserId>{"follower_id"}, IdAs<UserId>{"followee_id"})
DAIRA_CABI_SERVICE_CALL(daira_social_block, "social.block", kSocial, &services::Social::Block, kBlockJson,
                        IdAs<UserId>{"blocker_id"}, IdAs<UserId>{"blocked_id"}, OptStr{"reason"})
DAIRA_CABI_SERVICE_CALL(daira_social_unblock, "social.unblock", kSocial, &services::Social::Unblock, Empty{},
                        IdAs<UserId>{"blocker_id"}, IdAs<UserId>{"blocked_id"})
DAIRA_CABI_SERVICE_CALL(daira_social_is_blocked, "social.is_blocked", kSocial, &services::Social::IsBlocked,
                        BlockedJson, IdAs<UserId>{"a"}, IdAs<UserId>{"b"})

DAIRA_CABI_CALL(daira_social_mute, "social.mute") {
  const UserId muter(r.Id("muter_id"));
  const UserId muted(r.Id("muted_id"));
  const std::string kind_text = r.String("mute_type", "MUTE");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::MuteKind mute_type, daira::model::ParseMuteKind(kind_text));
  DAIRA_ASSIGN_OR_RETURN(daira::model::Mute m, p.social().Mute(ctx, muter, muted, mute_type));
  return RecordJson(daira::cabi::WriteMute, m);
}

DAIRA_CABI_SERVICE_CALL(daira_social_unmute, "social.unmute", kSocial, &services::Social::Unmute, Empty{},
                        IdAs<UserId>{"muter_id"}, IdAs<UserId>{"muted_id"})
DAIRA_CABI_SERVICE_CALL(daira_social_followers, "social.followers", kSocial, &services::Social::Followers,
                        kEntriesJson, IdAs<UserId>{"user_id"}, Page{})
DAIRA_CABI_SERVICE_CALL(daira_social_following, "social.following", kSocial, &services::Social::Following,
                        kEntriesJson, IdAs<UserId>{"user_id"}, Page{})
DAIRA_CABI_SERVICE_CALL(daira_social_pending_requests, "social.pending_requests", kSocial,
                        &services::Social::PendingRequests, kEntriesJson, IdAs<UserId>{"user_id"}, Page{})
DAIRA_CABI_SERVICE_CALL(daira_social_mutual_follows, "social.mutual_follows", kSocial,
                        &services::Social::MutualFollows, kEntriesJson, IdAs<UserId>{"user_id"}, Page{})
