#include "daira/core/status.h"

#include <string>

#include "../support/status_matchers.h"
#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

TEST(StatusTest, InvalidFieldCarriesTheFieldAsPayload) {
  absl::Status s = InvalidField("register", "email", "is not an address (got \"x\")");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "register: email is not an address (got \"x\")");
  EXPECT_EQ(StatusField(s), "email");
  auto payload = s.GetPayload(ToAbsl(kFieldPayloadUrl));
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload), "email");
  EXPECT_EQ(StatusField(absl::NotFoundError("x")), "");
  EXPECT_EQ(StatusField(absl::OkStatus()), "");
}

TEST(StatusTest, AnnotateKeepsCodeAndPayloads) {
  absl::Status inner = InvalidField("url", "port", "is not a number (got \"abc\")");
  inner.SetPayload("daira.dev/other", absl::Cord("v"));
  absl::Status outer = Annotate(inner, "config: cache");
  EXPECT_EQ(outer.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outer.message(), "config: cache: url: port is not a number (got \"abc\")");
  EXPECT_EQ(StatusField(outer), "port");
  ASSERT_TRUE(outer.GetPayload("daira.dev/other").has_value());
  EXPECT_EQ(std::string(*outer.GetPayload("daira.dev/other")), "v");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "op").ok());
  EXPECT_THAT(Annotate(absl::UnavailableError("down"), "pool"),
              StatusIs(absl::StatusCode::kUnavailable, "pool: down"));
}

TEST(StatusTest, StringViewConversions) {
  std::string_view s = "héllo";
  absl::string_view a = ToAbsl(s);
  EXPECT_EQ(a.data(), s.data());
  EXPECT_EQ(a.size(), s.size());
  EXPECT_EQ(ToStd(a), s);
}

absl::Status FailIf(bool fail) { return fail ? absl::AbortedError("retry") : absl::OkStatus(); }
absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::StatusOr<int> Quarter(int x, bool fail, int* steps) {
  DAIRA_RETURN_IF_ERROR(FailIf(fail));
  ++*steps;
  DAIRA_ASSIGN_OR_RETURN(int h, Half(x));
  ++*steps;
  DAIRA_ASSIGN_OR_RETURN(auto q, Half(h));
  ++*steps;
  return q;
}

TEST(StatusTest, PropagationMacros) {
  int steps = 0;
  ASSERT_OK_AND_ASSIGN(int q, Quarter(12, false, &steps));
  EXPECT_EQ(q, 3);
  EXPECT_EQ(steps, 3);
  steps = 0;
  EXPECT_THAT(Quarter(12, true, &steps), StatusIs(absl::StatusCode::kAborted, "retry"));
  EXPECT_EQ(steps, 0);
  steps = 0;
  EXPECT_THAT(Quarter(6, false, &steps), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_EQ(steps, 2);
  steps = 0;
  EXPECT_THAT(Quarter(5, false, &steps), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(steps, 1);
}

}  // namespace
}  // namespace daira
