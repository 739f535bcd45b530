#include "daira/services/moderation_requests.h"

#include "../support/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "request_test_util.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Fields;
using testing::MessageFor;
using testing::Repeat;

ReportRequest GoodReport() {
  return ReportRequest{.reporter_id = 3, .content_type = "POST", .content_id = 42, .reason = "SPAM",
                       .evidence = R"({"screenshot":"https://x.io/s.png"})"};
}

TEST(ReportRequestTest, ValidRequestsPass) {
  EXPECT_THAT(GoodReport().Validate(), IsOk());
  ReportRequest other = GoodReport();
  other.reason = "OTHER";
  other.description = "Sells fake tickets";
  other.severity = "CRITICAL";
  other.content_type = "USER";
  EXPECT_THAT(other.Validate(), IsOk());
}

TEST(ReportRequestTest, EveryViolationNamed) {
  ReportRequest r{.reporter_id = 0, .content_type = "STORY", .content_id = 0, .reason = "boring",
                  .description = Repeat("d", 1001), .severity = "URGENT", .evidence = "not json"};
  absl::Status s = r.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("reporter_id", "content_type", "content_id", "reason", "description",
                                     "severity", "evidence"));
  EXPECT_EQ(MessageFor(s, "severity"), "must be one of LOW, MEDIUM, HIGH, CRITICAL (got \"URGENT\")");
  EXPECT_EQ(MessageFor(s, "content_type"), "must be one of POST, VIDEO, COMMENT, USER (got \"STORY\")");
  EXPECT_THAT(MessageFor(s, "evidence"), HasSubstr("must be a JSON object"));
}

TEST(ReportRequestTest, OtherNeedsADescription) {
  ReportRequest r = GoodReport();
  r.reason = "OTHER";
  EXPECT_THAT(r.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "report: description is required when reason is OTHER"));
  r.description = "  ";
  EXPECT_EQ(MessageFor(r.Validate(), "description"), "must not be blank");
}

TEST(ReportRequestTest, CannotReportYourself) {
  ReportRequest r = GoodReport();
  r.content_type = "USER";
  r.content_id = r.reporter_id;
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("content_id"));
}

TEST(ReportRequestTest, EvidenceMustBeAnObject) {
  ReportRequest r = GoodReport();
  r.evidence = "[]";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("evidence"));
  r.evidence = "{}";
  EXPECT_THAT(r.Validate(), IsOk());
  r.evidence = "{\"a\":\"\xC0\x80\"}";  // invalid UTF-8 inside
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("evidence"));
}

TEST(ReviewReportRequestTest, Rules) {
  for (std::string_view d : kReviewDecisions) {
    EXPECT_THAT((ReviewReportRequest{.report_id = 1, .reviewer_id = 2, .decision = std::string(d)}.Validate()), IsOk());
  }
  EXPECT_THAT((ReviewReportRequest{.report_id = 1, .reviewer_id = 2, .decision = "BAN",
                                   .action_taken = "account banned", .reason = Repeat(testing::kCjk, 1000)}
                   .Validate()),
              IsOk());
  absl::Status s = ReviewReportRequest{.report_id = 0, .reviewer_id = 0, .decision = "approved",
                                       .action_taken = Repeat("a", 201), .reason = Repeat("n", 1001)}
                       .Validate();
  EXPECT_THAT(Fields(s), ElementsAre("report_id", "reviewer_id", "decision", "action_taken", "reason"));
  EXPECT_EQ(MessageFor(s, "decision"), "must be one of APPROVED, REJECTED, WARN, SUSPEND, BAN (got \"approved\")");
  EXPECT_EQ(MessageFor(s, "reason"), "must be at most 1000 characters (got 1001)");
}

}  // namespace
}  // namespace daira::services
