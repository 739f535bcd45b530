// Issue 9: rows that drifted from what the model knows (an enum spelling it does not know, a number
// column holding text or NaN) are DataLoss naming the table and column when a typed repository reads
// them, not a default value or a zero. Both SQL backends; the drift is planted with raw SQL (the
// schema's CHECK constraints are lifted first, as a newer build or a hand edit would).
#include <string>

#include "daira/services/mute_repository.h"
#include "daira/services/profile_repository.h"
#include "gmock/gmock.h"
#include "migrated_test_base.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class RowDriftTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    for (int64_t id : {1, 2}) {
      ASSERT_OK(tdb_->db().Execute(ctx_, "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, 0, 0)",
                                   {id, "u" + std::to_string(id)}));
      ASSERT_OK(tdb_->db().Execute(ctx_, "INSERT INTO user_profiles (user_id, created_at, updated_at) VALUES (?, 0, 0)",
                                   {id}));
    }
    ASSERT_OK(tdb_->db().Execute(ctx_, "INSERT INTO mutes (id, muter_id, muted_id, created_at) VALUES (10, 1, 2, 0)"));
    if (GetParam() == "sqlite") {
      ASSERT_OK(tdb_->db().Execute(ctx_, "PRAGMA ignore_check_constraints = ON"));
    } else {
      ASSERT_OK(tdb_->db().Execute(ctx_, "ALTER TABLE mutes DROP CONSTRAINT mutes_kind_check"));
      ASSERT_OK(tdb_->db().Execute(ctx_, "ALTER TABLE user_profiles DROP CONSTRAINT user_profiles_trust_score_check"));
    }
  }
};

TEST_P(RowDriftTest, UnknownEnumSpellingIsDataLossNamingTableAndColumn) {
  ASSERT_OK(tdb_->db().Execute(ctx_, "UPDATE mutes SET kind = 'SNOOZE' WHERE id = 10"));
  MuteRepository mutes(deps_);
  EXPECT_THAT(mutes.Get(ctx_, MuteId{10}),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("mutes"), HasSubstr("column kind"),
                                                          HasSubstr("SNOOZE"))));
}

TEST_P(RowDriftTest, NonNumericNumberIsDataLossNamingTableAndColumn) {
  // SQLite keeps text in a REAL column as text; Postgres stores a real NaN.
  ASSERT_OK(tdb_->db().Execute(ctx_, GetParam() == "sqlite"
                                         ? "UPDATE user_profiles SET trust_score = 'high' WHERE user_id = 1"
                                         : "UPDATE user_profiles SET trust_score = 'NaN' WHERE user_id = 1"));
  ProfileRepository profiles(deps_);
  EXPECT_THAT(profiles.Get(ctx_, UserId{1}),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("user_profiles"), HasSubstr("column trust_score"))));
  EXPECT_OK(profiles.Get(ctx_, UserId{2}).status());
  if (GetParam() == "sqlite") {
    ASSERT_OK(tdb_->db().Execute(ctx_, "UPDATE mutes SET created_at = 'yesterday' WHERE id = 10"));
    MuteRepository mutes(deps_);
    EXPECT_THAT(mutes.Get(ctx_, MuteId{10}),
                StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("mutes"), HasSubstr("column created_at"))));
  }
}

DAIRA_INSTANTIATE_SQL_BACKENDS(RowDriftTest);

}  // namespace
}  // namespace daira::services
