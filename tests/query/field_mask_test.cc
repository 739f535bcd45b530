#include "daira/query/field_mask.h"

#include <string>
#include <vector>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/statement_budget.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::query {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

enum class UserField { kId, kUsername, kEmail, kAvatarUrl, kPasswordHash, kCreatedAt };
using UserMask = FieldMask<UserField>;

const FieldTable<UserField>& UserColumns() {
  static const auto* table = new FieldTable<UserField>({
      {UserField::kId, "id", kPrimaryKey},
      {UserField::kUsername, "username"},
      {UserField::kEmail, "email"},
      {UserField::kAvatarUrl, "avatar_url"},
      {UserField::kPasswordHash, "password_hash", kSensitive},
      {UserField::kCreatedAt, "created_at"},
  });
  return *table;
}

TEST(FieldMaskTest, SetOperations) {
  constexpr UserMask a{UserField::kUsername, UserField::kEmail};
  constexpr UserMask b{UserField::kEmail, UserField::kAvatarUrl};
  static_assert(a.Has(UserField::kUsername) && !a.Has(UserField::kAvatarUrl));
  EXPECT_EQ(a | b, (UserMask{UserField::kUsername, UserField::kEmail, UserField::kAvatarUrl}));
  EXPECT_EQ(a & b, UserMask{UserField::kEmail});
  EXPECT_EQ((a | UserField::kId).size(), 3);
  EXPECT_TRUE(UserMask{}.empty());
  EXPECT_EQ(a.Without(UserField::kEmail), UserMask{UserField::kUsername});
  EXPECT_TRUE((a | b).Contains(a));
  EXPECT_FALSE(a.Contains(b));
  UserMask c = a;
  c |= b;
  c &= UserMask{UserField::kAvatarUrl};
  EXPECT_EQ(c, UserMask{UserField::kAvatarUrl});
}

TEST(FieldMaskTest, SelectListAlwaysHasThePrimaryKeyInTableOrder) {
  const auto& t = UserColumns();
  // Asked in any order, selected in table order: the statement text is stable for a given mask.
  EXPECT_EQ(t.SelectList(UserMask{UserField::kAvatarUrl, UserField::kUsername}), "id, username, avatar_url");
  EXPECT_EQ(t.SelectList(UserMask{}), "id");
  EXPECT_THAT(t.Columns(UserMask{UserField::kCreatedAt}), ElementsAre("id", "created_at"));
}

TEST(FieldMaskTest, SensitiveFieldsOnlyWhenNamed) {
  const auto& t = UserColumns();
  EXPECT_FALSE(t.All().Has(UserField::kPasswordHash));
  EXPECT_EQ(t.SelectList(t.All()), "id, username, email, avatar_url, created_at");
  EXPECT_EQ(t.SelectList(t.All() | UserField::kPasswordHash),
            "id, username, email, avatar_url, password_hash, created_at");
  EXPECT_EQ(t.SelectList(UserMask{UserField::kPasswordHash}), "id, password_hash");
}

TEST(FieldMaskTest, ParsesFieldListsFromRequests) {
  const auto& t = UserColumns();
  ASSERT_OK_AND_ASSIGN(UserMask m, t.Parse(" username , email"));
  EXPECT_EQ(m, (UserMask{UserField::kUsername, UserField::kEmail}));
  ASSERT_OK_AND_ASSIGN(UserMask all, t.Parse(""));
  EXPECT_EQ(all, t.All());
  auto bad = t.Parse("username,salary");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"salary\"")));
  EXPECT_EQ(StatusField(bad.status()), "fields");
  EXPECT_EQ(t.Name(UserField::kAvatarUrl), "avatar_url");
}

TEST(FieldMaskTest, QualifiedAndAliasedColumnsKeepExternalNames) {
  enum class PostField { kId, kAuthor, kBody };
  const FieldTable<PostField> t({{PostField::kId, "p.id", kPrimaryKey},
                                 {PostField::kAuthor, "u.username AS author"},
                                 {PostField::kBody, "p.content", kNoFlags, "body"}});
  ASSERT_OK_AND_ASSIGN(auto m, t.Parse("author,body"));
  EXPECT_EQ(t.SelectList(m), "p.id, u.username AS author, p.content");
  EXPECT_EQ(t.Name(PostField::kId), "id");
}

// The generated list runs on every backend, and a masked read returns exactly those columns.
class FieldMaskSqlTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FieldMaskSqlTest, SelectsExactlyTheMaskedColumns) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  RequestContext ctx;
  ASSERT_OK(tdb->db().Execute(ctx, "CREATE TABLE users (id BIGINT PRIMARY KEY, username TEXT, email TEXT, "
                                   "avatar_url TEXT, password_hash TEXT, created_at BIGINT)").status());
  ASSERT_OK(tdb->db().Execute(ctx, "INSERT INTO users VALUES (1, 'alice', 'a@x.io', 'a.png', 'secret', 7)").status());
  const auto& t = UserColumns();
  ASSERT_OK_AND_ASSIGN(auto rs, tdb->db().Read(ctx, "SELECT " + t.SelectList(UserMask{UserField::kEmail}) +
                                                        " FROM users WHERE id = ?", {int64_t{1}}));
  EXPECT_THAT(rs.columns(), ElementsAre("id", "email"));
  EXPECT_EQ(rs.front().Text("email"), "a@x.io");
  ASSERT_OK_AND_ASSIGN(auto all, tdb->db().Read(ctx, "SELECT " + t.SelectList(t.All()) + " FROM users"));
  EXPECT_FALSE(all.ColumnIndex("password_hash").has_value());
  EXPECT_EQ(all.column_count(), 5);
}

TEST_P(FieldMaskSqlTest, StatementBudgetCountsAndChecks) {
  ASSERT_OK_AND_ASSIGN(auto tdb, TestDatabase::Create(GetParam()));
  RequestContext ctx;
  StatementBudget budget(ctx, /*max=*/2);
  EXPECT_EQ(budget.used(), 0);
  ASSERT_OK(tdb->db().Read(ctx, "SELECT 1").status());
  ASSERT_OK(tdb->db().Read(ctx, "SELECT 2").status());
  EXPECT_EQ(budget.used(), 2);
  EXPECT_OK(budget.Check("two reads"));
  ASSERT_OK(tdb->db().Read(ctx, "SELECT 3").status());
  EXPECT_TRUE(budget.exceeded());
  EXPECT_THAT(budget.Check("three reads"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("three reads: statement budget exceeded (got 3, max 2)")));
  budget.Reset();
  EXPECT_EQ(budget.used(), 0);
  RequestContext other;  // another request's statements do not count
  ASSERT_OK(tdb->db().Read(other, "SELECT 4").status());
  EXPECT_EQ(budget.used(), 0);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(FieldMaskSqlTest);

}  // namespace
}  // namespace daira::query
