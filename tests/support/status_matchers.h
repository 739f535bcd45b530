// gMock matchers for absl::Status / StatusOr (Debian's Abseil ships none).
//
//   EXPECT_THAT(db->Execute(ctx, "SELECT 1"), IsOk());
//   EXPECT_THAT(Register(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")));
//   ASSERT_OK_AND_ASSIGN(auto rs, conn.Execute("SELECT 1"));
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) { return s.status(); }

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(absl::StatusCodeToString(code))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(absl::StatusCodeToString(code))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message().data(), s.message().size()));
}

}  // namespace daira::testing

#define DAIRA_TEST_CONCAT_INNER_(a, b) a##b
#define DAIRA_TEST_CONCAT_(a, b) DAIRA_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::daira::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::daira::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(DAIRA_TEST_CONCAT_(daira_sor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, rexpr)                 \
  auto tmp = (rexpr);                                               \
  ASSERT_TRUE(tmp.ok()) << "status is " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()
