#include "daira/services/social_requests.h"

#include "../support/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "request_test_util.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using testing::Fields;
using testing::MessageFor;
using testing::Repeat;

TEST(ReactRequestTest, Rules) {
  for (std::string_view target : kReactionTargets) {
    for (std::string_view reaction : kReactions) {
      ReactRequest r{.user_id = 1, .target_type = std::string(target), .target_id = 2,
                     .reaction = std::string(reaction)};
      EXPECT_THAT(r.Validate(), IsOk()) << target << " " << reaction;
    }
  }
  absl::Status s = ReactRequest{.user_id = 0, .target_type = "USER", .target_id = 0, .reaction = "x"}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("user_id", "target_type", "target_id", "reaction"));
  EXPECT_EQ(MessageFor(s, "reaction"), "must be one of LIKE, LOVE, LAUGH, SAD, ANGRY (got \"x\")");
  EXPECT_EQ(MessageFor(s, "target_type"), "must be one of POST, VIDEO, COMMENT (got \"USER\")");
}

TEST(FollowRequestTest, Rules) {
  EXPECT_THAT((FollowRequest{.follower_id = 1, .followee_id = 2}.Validate()), IsOk());
  EXPECT_THAT((FollowRequest{.follower_id = 5, .followee_id = 5}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument, "follow: followee_id must differ from follower_id (got 5)"));
  EXPECT_THAT(Fields((FollowRequest{.follower_id = 0, .followee_id = -2}.Validate())),
              ElementsAre("follower_id", "followee_id"));
  EXPECT_THAT(Fields((FollowRequest{.follower_id = 0, .followee_id = 0}.Validate())),
              ElementsAre("follower_id", "followee_id"));  // not also "must differ"
}

TEST(BlockRequestTest, Rules) {
  EXPECT_THAT((BlockRequest{.blocker_id = 1, .blocked_id = 2, .reason = "spam\nand more"}.Validate()), IsOk());
  EXPECT_THAT((BlockRequest{.blocker_id = 1, .blocked_id = 2, .reason = Repeat(testing::kCjk, 500)}.Validate()),
              IsOk());
  absl::Status s = BlockRequest{.blocker_id = 3, .blocked_id = 3, .reason = Repeat(testing::kCjk, 501)}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("blocked_id", "reason"));
  EXPECT_EQ(MessageFor(s, "reason"), "must be at most 500 characters (got 501)");
  EXPECT_THAT(Fields((BlockRequest{.blocker_id = 0, .blocked_id = 1}.Validate())), ElementsAre("blocker_id"));
}

TEST(MuteRequestTest, Rules) {
  for (std::string_view mute_type : kMuteKinds) {
    EXPECT_THAT((MuteRequest{.muter_id = 1, .muted_id = 2, .mute_type = std::string(mute_type)}.Validate()), IsOk());
  }
  absl::Status s = MuteRequest{.muter_id = 4, .muted_id = 4, .mute_type = "SILENCE"}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("muted_id", "mute_type"));
  EXPECT_EQ(MessageFor(s, "mute_type"), "must be one of MUTE, HIDE_STORIES, HIDE_POSTS (got \"SILENCE\")");
  EXPECT_THAT(Fields((MuteRequest{.muter_id = 0, .muted_id = 1}.Validate())), ElementsAre("muter_id"));
}

}  // namespace
}  // namespace daira::services
