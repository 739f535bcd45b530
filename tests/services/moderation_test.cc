// services::Moderation on every SQL backend: reports (one per reporter and target), the review queue
// (severity, then age; keyset pages), the auto-hide threshold, and every decision with its effect in
// one transaction — content removed or restored, a user warned, suspended (sessions revoked, login
// refused) or banned — with the review, the resolved report and the audit row; the self-review
// refusal; one decision per report.
#include "daira/services/moderation.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daira/services/accounts.h"
#include "daira/services/audit_log.h"
#include "daira/services/content.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using model::ReportStatus;
using ::testing::HasSubstr;

class ModerationTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    accounts_ = std::make_unique<Accounts>(deps_, AccountsOptions::ForTesting());
    content_ = std::make_unique<Content>(deps_);
    moderation_ = std::make_unique<Moderation>(deps_, ModerationOptions{.auto_hide_threshold = 3});
    audit_ = std::make_unique<AuditLog>(deps_);
    alice_ = Register("alice");
    bob_ = Register("bob");
    mod_ = Register("mod");
  }

  int64_t Register(const std::string& name) {
    auto u =
        accounts_->Register(ctx_, {.email = name + "@example.com", .username = name, .password = kPassword});
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? u->id.value : 0;
  }
  int64_t Post(int64_t author, const std::string& text = "hello") {
    auto p = content_->CreatePost(ctx_, {.author_id = author, .content = text});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->id.value : 0;
  }
  std::string Text(const std::string& sql, std::vector<store::Value> params) {
    auto rs = tdb_->db().Execute(ctx_, sql, params);
    EXPECT_TRUE(rs.ok()) << rs.status();
    return rs.ok() && !rs->empty() ? rs->front().Text(0) : std::string("<none>");
  }
  int64_t Int(const std::string& sql, std::vector<store::Value> params = {}) {
    auto rs = tdb_->db().Execute(ctx_, sql, params);
    EXPECT_TRUE(rs.ok()) << rs.status();
    return rs.ok() && !rs->empty() ? rs->front().Int64(0) : -1;
  }
  std::string PostStatus(int64_t post) { return Text("SELECT status FROM posts WHERE id = ?", {post}); }
  std::string UserStatus(int64_t user) { return Text("SELECT status FROM users WHERE id = ?", {user}); }
  model::ContentReport ReportPost(int64_t reporter, int64_t post, std::string severity = "LOW") {
    return Must(moderation_->Report(ctx_, {.reporter_id = reporter,
                                           .content_type = "POST",
                                           .content_id = post,
                                           .reason = "SPAM",
                                           .severity = std::move(severity)}));
  }
  model::ContentReport ReportUser(int64_t reporter, int64_t user) {
    return Must(moderation_->Report(ctx_, {.reporter_id = reporter,
                                           .content_type = "USER",
                                           .content_id = user,
                                           .reason = "HARASSMENT",
                                           .severity = "HIGH"}));
  }
  void ExpectChainHolds() {
    ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
    EXPECT_TRUE(v.ok()) << v.problem;
  }

  static constexpr const char* kPassword = "correct horse battery";
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<Content> content_;
  std::unique_ptr<Moderation> moderation_;
  std::unique_ptr<AuditLog> audit_;
  int64_t alice_ = 0, bob_ = 0, mod_ = 0;
};

TEST_P(ModerationTest, ReportIsPendingOncePerReporterAndTargetAndNeedsATarget) {
  const int64_t post = Post(alice_);
  model::ContentReport r = ReportPost(bob_, post, "HIGH");
  EXPECT_EQ(r.status, ReportStatus::kPending);
  EXPECT_EQ(r.reporter_id, UserId{bob_});
  auto dup = moderation_->Report(
      ctx_, {.reporter_id = bob_, .content_type = "POST", .content_id = post, .reason = "VIOLENCE"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(StatusField(dup.status()), "content_id");
  auto missing = moderation_->Report(
      ctx_, {.reporter_id = bob_, .content_type = "POST", .content_id = 987654321, .reason = "SPAM"});
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("content_id 987654321")));
  EXPECT_EQ(StatusField(missing.status()), "content_id");
  auto bad = moderation_->Report(
      ctx_, {.reporter_id = bob_, .content_type = "POST", .content_id = post, .reason = "NUDITY"});
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StatusField(bad.status()), "reason");
  EXPECT_EQ(Int("SELECT count(*) FROM content_reports"), 1);
  // One OPEN report per reporter and target (migration 019): once decided, the target can be reported again.
  ASSERT_OK(moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "REJECTED"})
                .status());
  ASSERT_OK_AND_ASSIGN(model::ContentReport again,
                       moderation_->Report(ctx_, {.reporter_id = bob_,
                                                  .content_type = "POST",
                                                  .content_id = post,
                                                  .reason = "VIOLENCE"}));
  EXPECT_EQ(again.status, ReportStatus::kPending);
  EXPECT_THAT(moderation_->Report(
                  ctx_, {.reporter_id = bob_, .content_type = "POST", .content_id = post, .reason = "SPAM"}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Int("SELECT count(*) FROM content_reports"), 2);
}

TEST_P(ModerationTest, QueueIsMostSevereFirstThenOldestAndPages) {
  std::vector<int64_t> posts;
  for (int i = 0; i < 5; ++i) posts.push_back(Post(alice_, "p" + std::to_string(i)));
  std::vector<model::ContentReport> r;
  const char* severities[] = {"LOW", "CRITICAL", "MEDIUM", "CRITICAL", "HIGH"};
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    r.push_back(ReportPost(bob_, posts[i], severities[i]));
  }
  // A decided report leaves the queue.
  model::ContentReport decided = ReportPost(mod_, posts[0], "CRITICAL");
  ASSERT_OK(
      moderation_->Decide(ctx_, {.report_id = decided.id.value, .reviewer_id = bob_, .decision = "REJECTED"})
          .status());
  std::vector<ReportId> got;
  query::PageRequest page{.limit = 2};
  for (int guard = 0; guard < 10; ++guard) {
    ASSERT_OK_AND_ASSIGN(auto p, moderation_->Queue(ctx_, page));
    for (const auto& x : p.items) got.push_back(x.id);
    if (p.next_cursor.empty()) break;
    page.cursor = p.next_cursor;
  }
  EXPECT_EQ(got, (std::vector<ReportId>{r[1].id, r[3].id, r[4].id, r[2].id, r[0].id}));
  EXPECT_THAT(moderation_->Queue(ctx_, {.limit = 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ModerationTest, DistinctReportersReachingTheThresholdHideThePostAndRejectRestoresIt) {
  const int64_t post = Post(alice_);
  const int64_t carol = Register("carol");
  ReportPost(bob_, post);
  ReportPost(carol, post);
  EXPECT_EQ(PostStatus(post), "ACTIVE");  // 2 < 3
  model::ContentReport third = ReportPost(mod_, post);
  EXPECT_EQ(PostStatus(post), "HIDDEN");
  EXPECT_EQ(
      Int("SELECT count(*) FROM audit_logs WHERE action = 'content.auto_hide' AND resource_id = ?", {post}),
      1);
  // Rejecting one leaves 2 open reports, under the threshold: the post is restored.
  const int64_t dave = Register("dave");
  ASSERT_OK_AND_ASSIGN(auto d, moderation_->Decide(ctx_, {.report_id = third.id.value,
                                                          .reviewer_id = dave,
                                                          .decision = "REJECTED",
                                                          .reason = "not spam"}));
  EXPECT_TRUE(d.content_changed);
  EXPECT_EQ(d.report.status, ReportStatus::kDismissed);
  EXPECT_EQ(PostStatus(post), "ACTIVE");
  ExpectChainHolds();
}

TEST_P(ModerationTest, ApprovedRemovesTheContentResolvesAndAuditsInOneGo) {
  const int64_t post = Post(alice_);
  model::ContentReport r = ReportPost(bob_, post);
  ASSERT_OK_AND_ASSIGN(auto d, moderation_->Decide(ctx_, {.report_id = r.id.value,
                                                          .reviewer_id = mod_,
                                                          .decision = "APPROVED",
                                                          .reason = "spam link"}));
  EXPECT_TRUE(d.content_changed);
  EXPECT_EQ(PostStatus(post), "HIDDEN");
  EXPECT_EQ(d.report.status, ReportStatus::kResolved);
  EXPECT_TRUE(d.report.resolved_at.has_value());
  EXPECT_EQ(d.review.reviewer_id, UserId{mod_});
  EXPECT_EQ(d.review.reason, "spam link");
  EXPECT_EQ(d.review.action_taken, "content removed");
  EXPECT_EQ(d.audit.action, "moderation.approved");
  EXPECT_EQ(d.audit.resource_type, "content_report");
  EXPECT_EQ(d.audit.resource_id, r.id.value);
  EXPECT_EQ(d.audit.actor_id, UserId{mod_});
  EXPECT_EQ(d.audit.reason, "spam link");
  EXPECT_EQ(UserStatus(alice_), "ACTIVE");
  ExpectChainHolds();
}

TEST_P(ModerationTest, WarnRecordsTheWarningAndRemovesTheContentButLeavesTheUserActive) {
  const int64_t post = Post(alice_);
  model::ContentReport r = ReportPost(bob_, post);
  ASSERT_OK_AND_ASSIGN(
      auto d, moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "WARN"}));
  EXPECT_EQ(UserStatus(alice_), "ACTIVE");
  EXPECT_EQ(PostStatus(post), "HIDDEN");
  EXPECT_THAT(*d.review.action_taken, HasSubstr("warned"));
  EXPECT_THAT(*d.audit.changes, HasSubstr("warned_user"));
  EXPECT_OK(accounts_->Login(ctx_, {.identifier = "alice", .password = kPassword}).status());
}

TEST_P(ModerationTest, SuspendRevokesSessionsAndLoginIsRefused) {
  ASSERT_OK_AND_ASSIGN(Session s, accounts_->Login(ctx_, {.identifier = "alice", .password = kPassword}));
  ASSERT_OK(accounts_->CheckAccessToken(ctx_, s.access_token).status());
  model::ContentReport r = ReportUser(bob_, alice_);
  ASSERT_OK_AND_ASSIGN(auto d, moderation_->Decide(ctx_, {.report_id = r.id.value,
                                                          .reviewer_id = mod_,
                                                          .decision = "SUSPEND",
                                                          .reason = "harassment"}));
  EXPECT_EQ(d.sessions_revoked, 1);
  EXPECT_EQ(UserStatus(alice_), "SUSPENDED");
  EXPECT_EQ(Int("SELECT count(*) FROM user_sessions WHERE user_id = ? AND revoked_at IS NULL", {alice_}), 0);
  EXPECT_THAT(accounts_->Login(ctx_, {.identifier = "alice", .password = kPassword}),
              StatusIs(absl::StatusCode::kPermissionDenied, "login: account is suspended"));
  EXPECT_FALSE(accounts_->CheckAccessToken(ctx_, s.access_token).ok());
  EXPECT_THAT(*d.audit.changes, HasSubstr("SUSPENDED"));
  ExpectChainHolds();
}

TEST_P(ModerationTest, BanBansTheAuthorOfReportedContent) {
  const int64_t post = Post(alice_);
  model::ContentReport r = ReportPost(bob_, post);
  ASSERT_OK_AND_ASSIGN(
      auto d, moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "BAN"}));
  EXPECT_EQ(UserStatus(alice_), "BANNED");
  EXPECT_EQ(PostStatus(post), "HIDDEN");
  EXPECT_EQ(d.audit.action, "moderation.ban");
  EXPECT_THAT(accounts_->Login(ctx_, {.identifier = "alice", .password = kPassword}),
              StatusIs(absl::StatusCode::kPermissionDenied, "login: account is banned"));
}

TEST_P(ModerationTest, ASuspendNeverLiftsABan) {
  model::ContentReport first = ReportUser(bob_, alice_);
  ASSERT_OK(moderation_->Decide(ctx_, {.report_id = first.id.value, .reviewer_id = mod_, .decision = "BAN"})
                .status());
  const int64_t carol = Register("carol");
  model::ContentReport second = ReportUser(carol, alice_);
  ASSERT_OK(
      moderation_->Decide(ctx_, {.report_id = second.id.value, .reviewer_id = mod_, .decision = "SUSPEND"})
          .status());
  EXPECT_EQ(UserStatus(alice_), "BANNED");
}

TEST_P(ModerationTest, AReviewerCannotReviewAReportAboutThemselvesAndNothingIsWritten) {
  const int64_t post = Post(mod_);
  model::ContentReport about_post = ReportPost(bob_, post);
  model::ContentReport about_user = ReportUser(bob_, mod_);
  for (const auto& r : {about_post, about_user}) {
    EXPECT_THAT(
        moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "REJECTED"}),
        StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("about themselves")));
  }
  EXPECT_EQ(Int("SELECT count(*) FROM moderation_reviews"), 0);
  EXPECT_EQ(Int("SELECT count(*) FROM content_reports WHERE status = 'PENDING'"), 2);
  EXPECT_EQ(Int("SELECT count(*) FROM audit_logs"), 0);
}

TEST_P(ModerationTest, OneDecisionPerReport) {
  model::ContentReport r = ReportPost(bob_, Post(alice_));
  ASSERT_OK(moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "APPROVED"})
                .status());
  EXPECT_THAT(moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "BAN"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already decided")));
  EXPECT_EQ(Int("SELECT count(*) FROM moderation_reviews"), 1);
  EXPECT_EQ(UserStatus(alice_), "ACTIVE");  // the refused BAN changed nothing
  EXPECT_THAT(moderation_->Decide(ctx_, {.report_id = 987654321, .reviewer_id = mod_, .decision = "BAN"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "MAYBE"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ModerationTest, ConcurrentDecisionsOnOneReportLeaveExactlyOneReview) {
  model::ContentReport r = ReportPost(bob_, Post(alice_));
  constexpr int kThreads = 4;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;  // one per thread
      results[t] = moderation_
                       ->Decide(ctx, {.report_id = r.id.value,
                                      .reviewer_id = mod_,
                                      .decision = t % 2 == 0 ? "APPROVED" : "REJECTED"})
                       .status();
    });
  }
  for (auto& th : threads) th.join();
  int ok = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already decided")));
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Int("SELECT count(*) FROM moderation_reviews WHERE report_id = ?", {r.id.value}), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM audit_logs WHERE resource_id = ?", {r.id.value}), 1);
  ExpectChainHolds();
}

TEST_P(ModerationTest, AFailedDecisionRollsBackItsEffects) {
  // SUSPEND of a report whose author is gone (the post deleted by raw SQL): the report claim and the
  // content change are rolled back with the refusal.
  const int64_t post = Post(alice_);
  model::ContentReport r = ReportPost(bob_, post);
  ASSERT_OK(tdb_->db().Execute(ctx_, "DELETE FROM posts WHERE id = ?", {post}).status());
  EXPECT_THAT(
      moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "SUSPEND"}),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Text("SELECT status FROM content_reports WHERE id = ?", {r.id.value}), "PENDING");
  EXPECT_EQ(Int("SELECT count(*) FROM moderation_reviews"), 0);
  EXPECT_EQ(Int("SELECT count(*) FROM audit_logs"), 0);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ModerationTest);

}  // namespace
}  // namespace daira::services
