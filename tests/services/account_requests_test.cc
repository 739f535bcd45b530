#include "daira/services/account_requests.h"

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
using ::testing::Not;
using testing::Fields;
using testing::MessageFor;
using testing::Repeat;

RegisterRequest GoodRegister() {
  return RegisterRequest{.email = "alice@example.com", .username = "alice", .password = "correct horse"};
}

TEST(RegisterRequestTest, ValidRequestsPass) {
  EXPECT_THAT(GoodRegister().Validate(), IsOk());
  RegisterRequest by_phone{.phone = "+14155552671", .username = "Bob_99", .password = "12345678",
                           .display_name = "Bob"};
  EXPECT_THAT(by_phone.Validate(), IsOk());  // "Bob_99" normalizes to "bob_99"
}

TEST(RegisterRequestTest, EveryViolationIsReportedAtOnce) {
  RegisterRequest r{.email = "not-an-email", .phone = "555", .username = "ab", .password = "short",
                    .display_name = ""};
  absl::Status s = r.Validate();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("register: email must be a valid")));
  EXPECT_THAT(Fields(s), ElementsAre("email", "phone", "username", "password", "display_name"));
  EXPECT_EQ(MessageFor(s, "username"), "must be 3 to 30 characters (got 2)");
  EXPECT_EQ(MessageFor(s, "password"), "must be 8 to 128 characters (got 5)");
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("short")));  // the password is never echoed
}

TEST(RegisterRequestTest, EmailOrPhoneRequired) {
  RegisterRequest r{.username = "alice", .password = "12345678"};
  EXPECT_THAT(r.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "register: email or phone is required"));
}

TEST(RegisterRequestTest, UsernameRules) {
  RegisterRequest r = GoodRegister();
  r.username = "1alice";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("username"));
  r.username = Repeat("a", 31);
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("username"));
  r.username = "al-ice";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("username"));
  r.username = " ALICE ";
  EXPECT_THAT(r.Validate(), IsOk());
}

TEST(RegisterRequestTest, PasswordLengthCountsCharacters) {
  RegisterRequest r = GoodRegister();
  r.password = Repeat(testing::kEmoji, 8);  // 32 bytes, 8 characters
  EXPECT_THAT(r.Validate(), IsOk());
  r.password = Repeat(testing::kEmoji, 7);  // 28 bytes, 7 characters
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("password"));
  r.password = Repeat("x", 129);
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("password"));
  r.password = "1234567\xFF";
  EXPECT_EQ(MessageFor(r.Validate(), "password"), "must be valid UTF-8 (bad byte at offset 7)");
}

TEST(RegisterRequestTest, DisplayNameCountsCharactersNotBytes) {
  RegisterRequest r = GoodRegister();
  r.display_name = Repeat(testing::kEmoji, 50);  // 200 bytes
  EXPECT_THAT(r.Validate(), IsOk());
  r.display_name = Repeat(testing::kEmoji, 51);
  absl::Status s = r.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("display_name"));
  EXPECT_EQ(MessageFor(s, "display_name"), "must be 1 to 50 characters (got 51)");
  r.display_name = "two\nlines";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("display_name"));
  r.display_name = "   ";
  EXPECT_EQ(MessageFor(r.Validate(), "display_name"), "must not be blank");
}

TEST(ClassifyIdentifierTest, RecognizesEachKind) {
  EXPECT_EQ(ClassifyIdentifier("a@x.io"), IdentifierKind::kEmail);
  EXPECT_EQ(ClassifyIdentifier("+14155552671"), IdentifierKind::kPhone);
  EXPECT_EQ(ClassifyIdentifier("Alice"), IdentifierKind::kUsername);
  EXPECT_EQ(ClassifyIdentifier("a@x"), std::nullopt);
  EXPECT_EQ(ClassifyIdentifier("+1"), std::nullopt);
  EXPECT_EQ(ClassifyIdentifier("no spaces"), std::nullopt);
}

TEST(LoginRequestTest, Rules) {
  EXPECT_THAT((LoginRequest{.identifier = "alice", .password = "x"}.Validate()), IsOk());
  EXPECT_THAT((LoginRequest{.identifier = "a@x.io", .password = "x"}.Validate()), IsOk());
  absl::Status s = LoginRequest{.identifier = "bad id!", .password = ""}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("identifier", "password"));
  EXPECT_EQ(MessageFor(s, "identifier"),
            "must be an email address, an E.164 phone number or a username (got \"bad id!\")");
  EXPECT_EQ(MessageFor(s, "password"), "must not be empty");
  EXPECT_EQ(MessageFor(LoginRequest{.identifier = "", .password = "x"}.Validate(), "identifier"),
            "must not be empty");
}

TEST(RefreshRequestTest, Rules) {
  EXPECT_THAT(RefreshRequest{.refresh_token = Repeat("a", 43)}.Validate(), IsOk());
  EXPECT_THAT(Fields(RefreshRequest{.refresh_token = "short"}.Validate()), ElementsAre("refresh_token"));
  EXPECT_THAT(Fields(RefreshRequest{.refresh_token = Repeat("a", 513)}.Validate()), ElementsAre("refresh_token"));
  absl::Status s = RefreshRequest{.refresh_token = Repeat("a", 20) + " secret"}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("refresh_token"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("secret")));
}

TEST(UpdateProfileRequestTest, OnlyGivenFieldsAreValidated) {
  EXPECT_THAT(UpdateProfileRequest{.user_id = 1}.Validate(), IsOk());
  UpdateProfileRequest r{.user_id = 1,
                         .display_name = "Zo\xC3\xAB",
                         .bio = Repeat(testing::kCjk, 300),  // 300 CJK characters = 900 bytes
                         .location = "Cairo",
                         .avatar_url = "https://cdn.example.com/a.png"};
  EXPECT_THAT(r.Validate(), IsOk());
  r.avatar_url = "";  // removes the avatar
  EXPECT_THAT(r.Validate(), IsOk());
}

TEST(UpdateProfileRequestTest, EachRuleNamesItsField) {
  UpdateProfileRequest r{.user_id = 0,
                         .display_name = Repeat("x", 51),
                         .bio = Repeat(testing::kCjk, 301),
                         .location = Repeat("y", 101),
                         .avatar_url = "javascript:alert(1)"};
  absl::Status s = r.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("user_id", "display_name", "bio", "location", "avatar_url"));
  EXPECT_EQ(MessageFor(s, "bio"), "must be at most 300 characters (got 301)");
  UpdateProfileRequest bad_text{.user_id = 1, .bio = "ok\x07", .location = "a\nb"};
  EXPECT_THAT(Fields(bad_text.Validate()), ElementsAre("bio", "location"));
  UpdateProfileRequest bad_utf8{.user_id = 1, .bio = "\xED\xA0\x80"};
  EXPECT_THAT(Fields(bad_utf8.Validate()), ElementsAre("bio"));
}

TEST(ChangePasswordRequestTest, Rules) {
  EXPECT_THAT((ChangePasswordRequest{.user_id = 1, .current_password = "old", .new_password = "new-password"}
                   .Validate()),
              IsOk());
  absl::Status s = ChangePasswordRequest{.user_id = -1, .current_password = "", .new_password = "short"}.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("user_id", "current_password", "new_password"));
  absl::Status same =
      ChangePasswordRequest{.user_id = 1, .current_password = "same-password", .new_password = "same-password"}
          .Validate();
  EXPECT_THAT(same, StatusIs(absl::StatusCode::kInvalidArgument,
                             "change_password: new_password must differ from current_password"));
}

}  // namespace
}  // namespace daira::services
