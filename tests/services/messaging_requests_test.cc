#include "daira/services/messaging_requests.h"

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

TEST(SendMessageRequestTest, Rules) {
  EXPECT_THAT((SendMessageRequest{.conversation_id = 9, .sender_id = 1, .body = "hi\nthere"}.Validate()), IsOk());
  EXPECT_THAT((SendMessageRequest{.conversation_id = 9, .sender_id = 1, .attachments = {"https://x.io/f.pdf"}}
                   .Validate()),
              IsOk());
  EXPECT_THAT((SendMessageRequest{.conversation_id = 9, .sender_id = 1, .body = Repeat(testing::kEmoji, 4000)}
                   .Validate()),
              IsOk());
  EXPECT_THAT((SendMessageRequest{.conversation_id = 9, .sender_id = 1, .body = ""}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument, "send_message: body must not be empty"));
  std::vector<std::string> many(11, "https://x.io/f.pdf");
  many[0] = "file.pdf";
  absl::Status s = SendMessageRequest{.conversation_id = 0, .sender_id = 0, .body = Repeat(testing::kEmoji, 4001),
                                      .attachments = many, .reply_to_id = 0}
                       .Validate();
  EXPECT_THAT(Fields(s), ElementsAre("conversation_id", "sender_id", "body", "attachments", "attachments[0]",
                                     "reply_to_id"));
  EXPECT_EQ(MessageFor(s, "body"), "must be at most 4000 characters (got 4001)");
}

TEST(CreateConversationRequestTest, Rules) {
  EXPECT_THAT((CreateConversationRequest{.creator_id = 1, .member_ids = {2}}.Validate()), IsOk());
  std::vector<int64_t> group;
  for (int64_t i = 2; i < 2 + 256; ++i) group.push_back(i);
  EXPECT_THAT((CreateConversationRequest{.creator_id = 1, .member_ids = group, .kind = "GROUP", .title = "Team"}
                   .Validate()),
              IsOk());
  group.push_back(1000);
  EXPECT_EQ(MessageFor((CreateConversationRequest{.creator_id = 1, .member_ids = group, .kind = "GROUP"}.Validate()),
                       "member_ids"),
            "must have 1 to 256 items (got 257)");
  EXPECT_EQ(MessageFor((CreateConversationRequest{.creator_id = 1, .member_ids = {2, 3}}.Validate()), "member_ids"),
            "must have exactly 1 item (got 2)");
  EXPECT_THAT(Fields((CreateConversationRequest{.creator_id = 1, .member_ids = {}}.Validate())),
              ElementsAre("member_ids"));
}

TEST(CreateConversationRequestTest, MembersDistinctPositiveAndNotTheCreator) {
  CreateConversationRequest r{.creator_id = 1, .member_ids = {2, 0, 2, 1}, .kind = "GROUP", .title = ""};
  absl::Status s = r.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("member_ids[1]", "member_ids[2]", "member_ids[3]", "title"));
  EXPECT_EQ(MessageFor(s, "member_ids[2]"), "repeats member_ids[0] (got 2)");
  EXPECT_THAT(Fields((CreateConversationRequest{.creator_id = 0, .member_ids = {2}, .kind = "CHANNEL"}.Validate())),
              ElementsAre("creator_id", "kind"));
}

}  // namespace
}  // namespace daira::services
