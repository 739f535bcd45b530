#include "daira/services/social_requests.h"

#include "daira/core/validation.h"
#include "services/request_rules.h"

namespace daira::inline v0::services {

using internal::Different;

absl::Status ReactRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  v.OneOf("target_type", target_type, kReactionTargets);
  v.Id("target_id", target_id);
  v.OneOf("reaction", reaction, kReactions);
  return v.ToStatus("react");
}

absl::Status FollowRequest::Validate() const {
  Violations v;
  v.Id("follower_id", follower_id);
  v.Id("followee_id", followee_id);
  Different(v, "follower_id", follower_id, "followee_id", followee_id);
  return v.ToStatus("follow");
}

absl::Status BlockRequest::Validate() const {
  Violations v;
  v.Id("blocker_id", blocker_id);
  v.Id("blocked_id", blocked_id);
  Different(v, "blocker_id", blocker_id, "blocked_id", blocked_id);
  if (reason.has_value()) {
    internal::BodyText(v, "reason", *reason, kMaxBlockReasonLength, /*multiline=*/true, /*required=*/false);
  }
  return v.ToStatus("block");
}

absl::Status MuteRequest::Validate() const {
  Violations v;
  v.Id("muter_id", muter_id);
  v.Id("muted_id", muted_id);
  Different(v, "muter_id", muter_id, "muted_id", muted_id);
  v.OneOf("mute_type", mute_type, kMuteKinds);
  return v.ToStatus("mute");
}

}  // namespace daira::inline v0::services
