// Issue 9: rows that drifted from what the model knows (an enum spelling it does not know, a number
// column holding text or NaN) are DataLoss naming the table and column when a typed repository reads
// them, not a default value or a zero. Both SQL backends; the drift is planted with raw SQL (the
// schema's CHECK constraints are lifted first, as a newer build or a hand edit would).
#include <string>

#include "daira/services/content.h"
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
      for (const char* c : {"posts_status_check", "videos_visibility_check", "comments_status_check"}) {
        const std::string table = std::string(c).substr(0, std::string(c).find('_'));
        ASSERT_OK(tdb_->db().Execute(ctx_, "ALTER TABLE " + table + " DROP CONSTRAINT " + c));
      }
    }
  }
};

TEST_P(RowDriftTest, UnknownEnumSpellingIsDataLossNamingTableAndColumn) {
  ASSERT_OK(tdb_->db().Execute(ctx_, "UPDATE mutes SET mute_type = 'SNOOZE' WHERE id = 10"));
  MuteRepository mutes(deps_);
  EXPECT_THAT(mutes.Get(ctx_, MuteId{10}),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("mutes"), HasSubstr("column mute_type"),
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

// The content readers (posts, videos, comments) resolve columns once per result and read through the
// checked accessors: drift is DataLoss naming table and column, never a default.
TEST_P(RowDriftTest, ContentRowsWithDriftAreDataLossNamingTableAndColumn) {
  auto& db = tdb_->db();
  ASSERT_OK(db.Execute(ctx_, "INSERT INTO posts (id, author_id, content, created_at, updated_at) VALUES (100, 1, 'a', 1, 1)"));
  ASSERT_OK(db.Execute(ctx_, "INSERT INTO posts (id, author_id, content, created_at, updated_at) VALUES (101, 1, 'b', 2, 2)"));
  ASSERT_OK(db.Execute(ctx_, "INSERT INTO videos (id, author_id, title, created_at, updated_at) VALUES (200, 1, 'v', 1, 1)"));
  ASSERT_OK(db.Execute(ctx_, "INSERT INTO comments (id, post_id, author_id, content, created_at, updated_at) "
                             "VALUES (300, 101, 1, 'c', 1, 1)"));
  Content content(deps_);
  ASSERT_OK(content.GetPost(ctx_, PostId{100}).status());
  ASSERT_OK(content.GetVideo(ctx_, VideoId{200}).status());
  ASSERT_OK(content.GetComment(ctx_, CommentId{300}).status());

  ASSERT_OK(db.Execute(ctx_, "UPDATE posts SET status = 'LIMBO' WHERE id = 100"));
  ASSERT_OK(db.Execute(ctx_, "UPDATE videos SET visibility = 'SECRET' WHERE id = 200"));
  ASSERT_OK(db.Execute(ctx_, "UPDATE comments SET status = 'GONE' WHERE id = 300"));
  EXPECT_THAT(content.GetPost(ctx_, PostId{100}),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("posts.status"), HasSubstr("LIMBO"))));
  EXPECT_THAT(content.GetVideo(ctx_, VideoId{200}),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("videos.visibility"), HasSubstr("SECRET"))));
  EXPECT_THAT(content.GetComment(ctx_, CommentId{300}),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("comments.status"), HasSubstr("GONE"))));
  EXPECT_OK(content.GetPost(ctx_, PostId{101}).status());  // the rows next to it still read
  if (GetParam() == "sqlite") {  // SQLite keeps text in an INTEGER column as text; Postgres cannot hold it
    ASSERT_OK(db.Execute(ctx_, "UPDATE posts SET likes_count = 'many' WHERE id = 101"));
    EXPECT_THAT(content.GetPost(ctx_, PostId{101}),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("column likes_count")));
  }
}

DAIRA_INSTANTIATE_SQL_BACKENDS(RowDriftTest);

}  // namespace
}  // namespace daira::services
