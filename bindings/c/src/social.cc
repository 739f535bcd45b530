// social: follow graph, blocks, mutes, and follower/following pages.
#include "internal.h"

using daira::JsonWriter;
using daira::cabi::RecordJson;

namespace {
using daira::UserId;
namespace services = daira::services;

daira::query::PageRequest PageOf(daira::cabi::Request& r) {
  daira::query::PageRequest page;
  // Out-of-int range limits are reported as given; in-range ones by the service's range check.
  page.limit = daira::cabi::IntLimit(r, "limit", static_cast<int>(services::kDefaultPageLimit));
  page.cursor = r.String("cursor");
  return page;
}

std::string EntriesJson(const daira::query::Page<services::FollowEntry>& page) {
  return daira::cabi::PageJson(page, daira::cabi::WriteFollowEntry);
}

}  // namespace

DAIRA_CABI_CALL(daira_social_follow, "social.follow") {
  const UserId follower(r.Id("follower_id"));
  const UserId followee(r.Id("followee_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::Follow f, p.social().Follow(ctx, follower, followee));
  return RecordJson(daira::cabi::WriteFollow, f);
}

DAIRA_CABI_CALL(daira_social_accept_follow, "social.accept_follow") {
  const UserId followee(r.Id("followee_id"));
  const UserId follower(r.Id("follower_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::Follow f, p.social().AcceptFollow(ctx, followee, follower));
  return RecordJson(daira::cabi::WriteFollow, f);
}

DAIRA_CABI_CALL(daira_social_reject_follow, "social.reject_follow") {
  const UserId followee(r.Id("followee_id"));
  const UserId follower(r.Id("follower_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.social().RejectFollow(ctx, followee, follower));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_social_unfollow, "social.unfollow") {
  const UserId follower(r.Id("follower_id"));
  const UserId followee(r.Id("followee_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.social().Unfollow(ctx, follower, followee));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_social_block, "social.block") {
  const UserId blocker(r.Id("blocker_id"));
  const UserId blocked(r.Id("blocked_id"));
  std::optional<std::string> reason = r.OptString("reason");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::Block b, p.social().Block(ctx, blocker, blocked, std::move(reason)));
  return RecordJson(daira::cabi::WriteBlock, b);
}

DAIRA_CABI_CALL(daira_social_unblock, "social.unblock") {
  const UserId blocker(r.Id("blocker_id"));
  const UserId blocked(r.Id("blocked_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.social().Unblock(ctx, blocker, blocked));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_social_is_blocked, "social.is_blocked") {
  const UserId a(r.Id("a"));
  const UserId b(r.Id("b"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bool blocked, p.social().IsBlocked(ctx, a, b));
  JsonWriter w;
  w.BeginObject().Key("blocked").Bool(blocked).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_social_mute, "social.mute") {
  const UserId muter(r.Id("muter_id"));
  const UserId muted(r.Id("muted_id"));
  const std::string kind_text = r.String("mute_type", "MUTE");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(daira::model::MuteKind mute_type, daira::model::ParseMuteKind(kind_text));
  DAIRA_ASSIGN_OR_RETURN(daira::model::Mute m, p.social().Mute(ctx, muter, muted, mute_type));
  return RecordJson(daira::cabi::WriteMute, m);
}

DAIRA_CABI_CALL(daira_social_unmute, "social.unmute") {
  const UserId muter(r.Id("muter_id"));
  const UserId muted(r.Id("muted_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.social().Unmute(ctx, muter, muted));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_social_followers, "social.followers") {
  const UserId user(r.Id("user_id"));
  daira::query::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.social().Followers(ctx, user, page));
  return EntriesJson(result);
}

DAIRA_CABI_CALL(daira_social_following, "social.following") {
  const UserId user(r.Id("user_id"));
  daira::query::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.social().Following(ctx, user, page));
  return EntriesJson(result);
}

DAIRA_CABI_CALL(daira_social_pending_requests, "social.pending_requests") {
  const UserId user(r.Id("user_id"));
  daira::query::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.social().PendingRequests(ctx, user, page));
  return EntriesJson(result);
}

DAIRA_CABI_CALL(daira_social_mutual_follows, "social.mutual_follows") {
  const UserId user(r.Id("user_id"));
  daira::query::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.social().MutualFollows(ctx, user, page));
  return EntriesJson(result);
}
