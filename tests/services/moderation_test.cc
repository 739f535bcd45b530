// services::Moderation on every SQL backend: reports (one per reporter and target), the review queue
// (severity, then age; keyset pages), the auto-hide threshold, and every decision with its effect in
// one transaction — content removed or restored, a user warned, suspended (sessions revoked, login
// refused) or banned — with the review, the resolved report and the audit row; the self-review
// refusal; one decision per report; the MODERATION notification a WARN / SUSPEND / BAN sends (written
// in the decision's transaction, pushed after commit); videos hidden and restored like posts (hidden_at,
// migration 020) and left out of search and trending while hidden.
#include "daira/services/moderation.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daira/core/json.h"
#include "daira/realtime/hub.h"
#include "daira/services/accounts.h"
#include "daira/services/audit_log.h"
#include "daira/services/content.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/notifications.h"
#include "daira/services/report_repository.h"
#include "daira/services/search.h"
#include "daira/services/trending.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

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
    ASSERT_OK_AND_ASSIGN(hub_, realtime::OpenHub("memory:"));
    notifications_ = std::make_unique<Notifications>(deps_, hub_.get());
    moderation_ =
        std::make_unique<Moderation>(deps_, ModerationOptions{.auto_hide_threshold = 3}, notifications_.get());
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
  // A PUBLISHED video by `author`, titled `title`.
  int64_t Video(int64_t author, const std::string& title) {
    auto v = content_->CreateVideo(ctx_, {.author_id = author, .title = title, .duration_ms = 60000});
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok()) return 0;
    EXPECT_OK(content_->TransitionVideo(ctx_, v->id, model::VideoStatus::kProcessing).status());
    EXPECT_OK(content_->TransitionVideo(ctx_, v->id, model::VideoStatus::kPublished).status());
    return v->id.value;
  }
  model::ContentReport ReportVideo(int64_t reporter, int64_t video) {
    return Must(moderation_->Report(ctx_, {.reporter_id = reporter,
                                           .content_type = "VIDEO",
                                           .content_id = video,
                                           .reason = "VIOLENCE",
                                           .severity = "HIGH"}));
  }
  bool VideoHidden(int64_t video) {
    return Int("SELECT count(*) FROM videos WHERE id = ? AND hidden_at IS NOT NULL", {video}) == 1;
  }
  // The ids search (as `viewer`, for `words`) and trending (last day) return.
  std::vector<int64_t> SearchedVideos(int64_t viewer, const std::string& words) {
    Search search(deps_);
    std::vector<int64_t> ids;
    auto page = search.Videos(ctx_, UserId{viewer}, {.query = words, .scope = "VIDEOS"});
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const VideoHit& h : page->items) ids.push_back(h.video.id.value);
    }
    return ids;
  }
  std::vector<int64_t> TrendingVideos() {
    Trending trending(deps_);
    std::vector<int64_t> ids;
    auto page = trending.Videos(ctx_, {.window = std::chrono::hours(24)});
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const TrendingVideo& v : page->items) ids.push_back(v.video.id.value);
    }
    return ids;
  }
  // JSON as stored, respelled compactly (PostgreSQL's JSONB adds spaces), for substring checks.
  static std::string Compact(const std::string& json) {
    auto v = ParseJson(json);
    return v.ok() ? v->Serialize() : json;
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
  std::unique_ptr<realtime::Hub> hub_;
  std::unique_ptr<Notifications> notifications_;
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
  EXPECT_FALSE(d.notification.has_value());  // APPROVED acts on the content only
  EXPECT_EQ(Int("SELECT count(*) FROM notifications"), 0);
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
  // The suspended user is told, about the reported user (USER target).
  ASSERT_TRUE(d.notification.has_value());
  EXPECT_EQ(d.notification->user_id, UserId{alice_});
  EXPECT_EQ(d.notification->kind, "MODERATION");
  EXPECT_EQ(d.notification->target_type, "USER");
  EXPECT_EQ(d.notification->target_id, alice_);
  EXPECT_THAT(Compact(d.notification->payload), HasSubstr(R"("decision":"SUSPEND")"));
  EXPECT_THAT(Compact(d.notification->payload), HasSubstr(R"("reason":"harassment")"));
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
  ASSERT_TRUE(d.notification.has_value());
  EXPECT_EQ(d.notification->user_id, UserId{alice_});
  EXPECT_THAT(Compact(d.notification->payload), HasSubstr(R"("decision":"BAN")"));
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
  EXPECT_EQ(Int("SELECT count(*) FROM notifications"), 0);
}

TEST_P(ModerationTest, WarnNotifiesTheWarnedUserInTheDecisionsTransactionAndPushesItAfterCommit) {
  const int64_t post = Post(alice_);
  model::ContentReport r = ReportPost(bob_, post);
  ASSERT_OK_AND_ASSIGN(auto inbox, hub_->Subscribe(Notifications::Channel(UserId{alice_})));
  ASSERT_OK_AND_ASSIGN(auto d, moderation_->Decide(ctx_, {.report_id = r.id.value,
                                                          .reviewer_id = mod_,
                                                          .decision = "WARN",
                                                          .reason = "first warning: \"no spam\""}));
  ASSERT_TRUE(d.notification.has_value());
  EXPECT_EQ(d.notification->user_id, UserId{alice_});
  EXPECT_EQ(d.notification->kind, "MODERATION");
  EXPECT_FALSE(d.notification->actor_id.has_value());  // the reviewer stays anonymous
  EXPECT_EQ(d.notification->target_type, "POST");
  EXPECT_EQ(d.notification->target_id, post);
  ASSERT_OK_AND_ASSIGN(JsonValue payload, ParseJson(d.notification->payload));
  EXPECT_EQ(payload.Get("decision")->AsString(), "WARN");
  EXPECT_EQ(payload.Get("report_id")->AsInt(), r.id.value);
  EXPECT_EQ(payload.Get("report_reason")->AsString(), "SPAM");
  EXPECT_TRUE(payload.Get("content_removed")->AsBool());
  EXPECT_EQ(payload.Get("reason")->AsString(), "first warning: \"no spam\"");
  EXPECT_THAT(Compact(*d.audit.changes), HasSubstr(absl::StrCat(R"("notified_user":)", alice_)));
  // Persisted (alice's list and unread count) and pushed on her channel after the commit.
  ASSERT_OK_AND_ASSIGN(auto list, notifications_->List(ctx_, UserId{alice_}, {}));
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0].id, d.notification->id);
  EXPECT_EQ(Must(notifications_->UnreadCount(ctx_, UserId{alice_})), 1);
  ASSERT_OK_AND_ASSIGN(realtime::Message m, inbox->Next(std::chrono::seconds(5)));
  ASSERT_OK_AND_ASSIGN(JsonValue event, ParseJson(m.payload));
  EXPECT_EQ(event.Get("type")->AsString(), "notification");
  EXPECT_EQ(event.Get("notification")->Get("kind")->AsString(), "MODERATION");
  // Nobody else heard of it.
  EXPECT_EQ(Int("SELECT count(*) FROM notifications WHERE user_id <> ?", {alice_}), 0);
}

TEST_P(ModerationTest, AWarnRolledBackWithTheCallersTransactionNeitherPersistsNorPushes) {
  model::ContentReport r = ReportPost(bob_, Post(alice_));
  ASSERT_OK_AND_ASSIGN(auto inbox, hub_->Subscribe(Notifications::Channel(UserId{alice_})));
  absl::Status rolled = tdb_->db().RunInTransaction(ctx_, [&](store::Connection&) -> absl::Status {
    auto d = moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "WARN"});
    EXPECT_OK(d.status());
    EXPECT_TRUE(d.ok() && d->notification.has_value());
    return absl::InternalError("test: roll back");
  });
  EXPECT_FALSE(rolled.ok());
  EXPECT_FALSE(inbox->TryNext().has_value());
  EXPECT_EQ(Int("SELECT count(*) FROM notifications"), 0);
  EXPECT_EQ(Text("SELECT status FROM content_reports WHERE id = ?", {r.id.value}), "PENDING");
  // Decided for real afterwards: exactly one notification.
  ASSERT_OK(moderation_->Decide(ctx_, {.report_id = r.id.value, .reviewer_id = mod_, .decision = "WARN"}).status());
  EXPECT_EQ(Int("SELECT count(*) FROM notifications WHERE user_id = ? AND kind = 'MODERATION'", {alice_}), 1);
  ASSERT_OK_AND_ASSIGN(realtime::Message m, inbox->Next(std::chrono::seconds(5)));
  EXPECT_EQ(ParseJson(m.payload)->Get("notification")->Get("kind")->AsString(), "MODERATION");
}

TEST_P(ModerationTest, DistinctReportersReachingTheThresholdHideTheVideoAndRejectRestoresIt) {
  const int64_t video = Video(alice_, "nile sunset timelapse");
  const int64_t carol = Register("carol");
  EXPECT_THAT(SearchedVideos(bob_, "nile"), ::testing::ElementsAre(video));
  EXPECT_THAT(TrendingVideos(), ::testing::ElementsAre(video));
  ReportVideo(bob_, video);
  ReportVideo(carol, video);
  EXPECT_FALSE(VideoHidden(video));  // 2 < 3
  model::ContentReport third = ReportVideo(mod_, video);
  EXPECT_TRUE(VideoHidden(video));
  ASSERT_OK_AND_ASSIGN(model::Video hidden, content_->GetVideo(ctx_, VideoId{video}));
  EXPECT_TRUE(hidden.hidden_at.has_value());
  EXPECT_EQ(hidden.status, model::VideoStatus::kPublished);  // the pipeline state is kept
  EXPECT_EQ(Int("SELECT count(*) FROM audit_logs WHERE action = 'content.auto_hide' AND resource_type = 'VIDEO' "
                "AND resource_id = ?",
                {video}),
            1);
  // Hidden: out of search (for anyone, its author included) and trending; no new comments.
  EXPECT_THAT(SearchedVideos(bob_, "nile"), ::testing::IsEmpty());
  EXPECT_THAT(SearchedVideos(alice_, "sunset"), ::testing::IsEmpty());
  EXPECT_THAT(TrendingVideos(), ::testing::IsEmpty());
  auto comment = content_->CreateComment(ctx_, {.author_id = bob_, .video_id = video, .content = "wow"});
  EXPECT_THAT(comment, StatusIs(absl::StatusCode::kNotFound));
  // Rejecting one leaves 2 open reports, under the threshold: the video is back, still PUBLISHED.
  const int64_t dave = Register("dave");
  ASSERT_OK_AND_ASSIGN(auto d, moderation_->Decide(ctx_, {.report_id = third.id.value,
                                                          .reviewer_id = dave,
                                                          .decision = "REJECTED"}));
  EXPECT_TRUE(d.content_changed);
  EXPECT_THAT(Compact(*d.audit.changes), HasSubstr(R"("content_status":["HIDDEN","VISIBLE"])"));
  EXPECT_FALSE(VideoHidden(video));
  EXPECT_EQ(Must(content_->GetVideo(ctx_, VideoId{video})).status, model::VideoStatus::kPublished);
  EXPECT_THAT(SearchedVideos(bob_, "nile"), ::testing::ElementsAre(video));
  EXPECT_THAT(TrendingVideos(), ::testing::ElementsAre(video));
  EXPECT_OK(content_->CreateComment(ctx_, {.author_id = bob_, .video_id = video, .content = "wow"}).status());
  ExpectChainHolds();
}

TEST_P(ModerationTest, UpheldVideoReportsRemoveTheVideoAndActOnItsAuthor) {
  const int64_t video = Video(alice_, "dangerous stunt");
  const int64_t other = Video(bob_, "dangerous recipe");
  model::ContentReport r = ReportVideo(bob_, video);
  ASSERT_OK_AND_ASSIGN(auto d, moderation_->Decide(ctx_, {.report_id = r.id.value,
                                                          .reviewer_id = mod_,
                                                          .decision = "APPROVED",
                                                          .reason = "unsafe"}));
  EXPECT_TRUE(d.content_changed);
  EXPECT_EQ(*d.review.action_taken, "content removed");
  EXPECT_THAT(Compact(*d.audit.changes), HasSubstr(R"("content_status":["VISIBLE","HIDDEN"])"));
  EXPECT_TRUE(VideoHidden(video));
  EXPECT_FALSE(VideoHidden(other));
  EXPECT_THAT(SearchedVideos(mod_, "dangerous"), ::testing::ElementsAre(other));
  // A BAN on a second report of an already hidden video: it stays hidden, the author is banned and told.
  const int64_t carol = Register("carol");
  model::ContentReport again = ReportVideo(carol, video);
  ASSERT_OK_AND_ASSIGN(
      auto ban, moderation_->Decide(ctx_, {.report_id = again.id.value, .reviewer_id = mod_, .decision = "BAN"}));
  EXPECT_FALSE(ban.content_changed);
  EXPECT_TRUE(VideoHidden(video));
  EXPECT_EQ(UserStatus(alice_), "BANNED");
  ASSERT_TRUE(ban.notification.has_value());
  EXPECT_EQ(ban.notification->target_type, "VIDEO");
  EXPECT_EQ(ban.notification->target_id, video);
  EXPECT_THAT(Compact(ban.notification->payload), HasSubstr(R"("content_removed":false)"));
  ExpectChainHolds();
}

// Migration 020 on a database holding rows written before it: notifications (SQLite rebuilds the
// table) and videos keep every column; MODERATION becomes a valid kind, others stay refused.
class Migration020Test : public ::testing::TestWithParam<std::string> {};

TEST_P(Migration020Test, KeepsNotificationsAndVideosAndAllowsModerationNotifications) {
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto tdb, ::daira::testing::TestDatabase::Create(GetParam()));
  store::Database& db = tdb->db();
  std::vector<store::Migration> before;
  for (auto& m : store::EmbeddedMigrations(db.backend())) {
    if (m.name < "020") before.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(auto old, store::Migrator::Create(db, {.migrations = before}));
  ASSERT_OK(old->Migrate(ctx));
  auto exec = [&](const std::string& sql) { return db.Execute(ctx, sql).status(); };
  ASSERT_OK(exec("INSERT INTO users (id, username, created_at, updated_at) VALUES (1, 'a', 0, 0), (2, 'b', 0, 0)"));
  ASSERT_OK(exec(
      "INSERT INTO notifications (id, user_id, kind, actor_id, entity_type, entity_id, payload, read_at, "
      "created_at, group_key, actor_count, latest_actors, updated_at) "
      "VALUES (10, 1, 'LIKE', 2, 'POST', 7, '{\"x\":1}', 5, 3, 'LIKE:POST:7', 2, '[2,3]', 4)"));
  EXPECT_FALSE(exec("INSERT INTO notifications (id, user_id, kind, created_at) VALUES (11, 1, 'MODERATION', 0)").ok());
  ASSERT_OK(exec("INSERT INTO videos (id, author_id, title, status, created_at, updated_at) "
                 "VALUES (20, 1, 'clip', 'PUBLISHED', 0, 0)"));

  ASSERT_OK_AND_ASSIGN(auto all, store::Migrator::Create(db));
  ASSERT_OK(all->Migrate(ctx));
  auto text = [&](const std::string& sql) -> std::string {
    auto rs = db.Execute(ctx, sql);
    EXPECT_TRUE(rs.ok()) << rs.status();
    if (!rs.ok() || rs->empty()) return "<none>";
    std::string out;
    for (int c = 0; c < rs->column_count(); ++c) {
      if (c > 0) out += "|";
      out += rs->front().IsNull(c) ? "NULL" : rs->front().Text(c);
    }
    return out;
  };
  EXPECT_EQ(text("SELECT CAST(user_id AS TEXT), kind, CAST(actor_id AS TEXT), entity_type, CAST(entity_id AS TEXT), "
                 "CAST(read_at AS TEXT), CAST(created_at AS TEXT), group_key, CAST(actor_count AS TEXT), "
                 "latest_actors, CAST(updated_at AS TEXT) FROM notifications WHERE id = 10"),
            "1|LIKE|2|POST|7|5|3|LIKE:POST:7|2|[2,3]|4");
  EXPECT_THAT(text("SELECT CAST(payload AS TEXT) FROM notifications WHERE id = 10"), HasSubstr("\"x\""));
  EXPECT_EQ(text("SELECT status, CAST(hidden_at AS TEXT) FROM videos WHERE id = 20"), "PUBLISHED|NULL");
  ASSERT_OK(exec("INSERT INTO notifications (id, user_id, kind, created_at) VALUES (11, 1, 'MODERATION', 0)"));
  EXPECT_FALSE(exec("INSERT INTO notifications (id, user_id, kind, created_at) VALUES (12, 1, 'WARNING', 0)").ok());
  // The indexes are back (SQLite rebuilt the table).
  const std::string indexes =
      GetParam() == "sqlite"
          ? "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notifications' "
            "AND name LIKE 'notifications_%_idx'"
          : "SELECT count(*) FROM pg_indexes WHERE tablename = 'notifications' AND indexname LIKE "
            "'notifications_%_idx' AND schemaname = current_schema()";
  EXPECT_EQ(text(indexes), "4");
  // Deleting a user still cascades to their notifications.
  ASSERT_OK(exec("DELETE FROM users WHERE id = 1"));
  EXPECT_EQ(text("SELECT count(*) FROM notifications"), "0");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ModerationTest);
DAIRA_INSTANTIATE_SQL_BACKENDS(Migration020Test);

}  // namespace
}  // namespace daira::services
