#include "daira/services/listing_requests.h"

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

TEST(PageRequestTest, Rules) {
  EXPECT_THAT(PageRequest{}.Validate(), IsOk());
  EXPECT_THAT((PageRequest{.limit = 100, .cursor = Repeat("c", 512)}.Validate()), IsOk());
  EXPECT_THAT((PageRequest{.limit = 0}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument, "page: limit must be between 1 and 100 (got 0)"));
  EXPECT_THAT(Fields((PageRequest{.limit = 101, .cursor = Repeat("c", 513)}.Validate())),
              ElementsAre("limit", "cursor"));
  EXPECT_THAT(Fields((PageRequest{.cursor = "has space"}.Validate())), ElementsAre("cursor"));
}

TEST(SearchRequestTest, Rules) {
  EXPECT_THAT((SearchRequest{.query = "caf\xC3\xA9", .scope = "USERS"}.Validate()), IsOk());
  EXPECT_THAT((SearchRequest{.query = Repeat(testing::kCjk, 100)}.Validate()), IsOk());
  EXPECT_THAT((SearchRequest{.query = "  ", .limit = 500}.Validate()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "search: query must not be blank; limit must be between 1 and 100 (got 500)"));
  absl::Status s =
      SearchRequest{.query = Repeat(testing::kCjk, 101), .scope = "PEOPLE", .limit = -1, .cursor = "\x01"}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("query", "scope", "limit", "cursor"));
  EXPECT_EQ(MessageFor(s, "query"), "must be 1 to 100 characters (got 101)");
  EXPECT_THAT(Fields((SearchRequest{.query = "a\nb"}.Validate())), ElementsAre("query"));
  EXPECT_THAT(Fields((SearchRequest{.query = "\xFF"}.Validate())), ElementsAre("query"));
}

TEST(MarkNotificationsReadRequestTest, Rules) {
  EXPECT_THAT((MarkNotificationsReadRequest{.user_id = 1, .notification_ids = {5, 6}}.Validate()), IsOk());
  EXPECT_THAT((MarkNotificationsReadRequest{.user_id = 1, .all = true}.Validate()), IsOk());
  EXPECT_THAT(Fields((MarkNotificationsReadRequest{.user_id = 1}.Validate())), ElementsAre("notification_ids"));
  EXPECT_EQ(MessageFor((MarkNotificationsReadRequest{.user_id = 1, .notification_ids = {5}, .all = true}.Validate()),
                       "notification_ids"),
            "must be empty when all is true");
  absl::Status s = MarkNotificationsReadRequest{.user_id = 0, .notification_ids = {5, -1, 5}}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("user_id", "notification_ids[1]", "notification_ids[2]"));
  std::vector<int64_t> many(501);
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<int64_t>(i) + 1;
  EXPECT_THAT(Fields((MarkNotificationsReadRequest{.user_id = 1, .notification_ids = many}.Validate())),
              ElementsAre("notification_ids"));
}

}  // namespace
}  // namespace daira::services
