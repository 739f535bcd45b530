// ReportRepository, ModerationReviewRepository and AuditLogRepository on every SQL backend: field
// masks, batch loads in one statement, the one-report-per-reporter key, partial updates, validation
// that writes nothing, text round trips, keyset lists, and the append-only audit log.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "daira/core/json.h"
#include "daira/query/statement_budget.h"
#include "daira/services/audit_log_repository.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/report_repository.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using model::AuditLog;
using model::AuditLogField;
using model::ContentReport;
using model::ContentReportField;
using model::ModerationDecision;
using model::ModerationReview;
using model::ModerationReviewField;
using model::ReportContentType;
using model::ReportSeverity;
using model::ReportStatus;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string JsonField(const std::string& text, std::string_view key) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  if (!v.ok() || v->Get(key) == nullptr) return "";
  return v->Get(key)->AsString();
}

std::string JsonObjectWith(std::string_view key, const std::string& value) {
  JsonValue::Object obj;
  obj.emplace_back(std::string(key), JsonValue::String(value));
  return JsonValue::MakeObject(std::move(obj)).Serialize();
}

// Printable hostile text: SQL metacharacters, placeholders, escapes, unicode (no control characters,
// which single-line fields refuse).
const std::vector<std::string>& HostileTexts() {
  static const auto* kTexts = new std::vector<std::string>{
      "'; DROP TABLE content_reports; --",
      "\" OR 1=1 -- ? $1 %s %_ \\\\ \\' `",
      "Zoë 🌍 مرحبا 中文 ☃ e\u0301",
      "\u00ff\u00fe\ufffd\U0010FFFF \\x00\\xff 0x00FF",
  };
  return *kTexts;
}

class ModerationRepositoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    deps_ = ServiceDeps{.db = &tdb_->db(), .clock = &clock_};
    reports_ = std::make_unique<ReportRepository>(deps_);
    reviews_ = std::make_unique<ModerationReviewRepository>(deps_);
    audit_ = std::make_unique<AuditLogRepository>(deps_);
  }

  std::vector<UserId> MakeUsers(int n) {
    std::vector<UserId> ids;
    EXPECT_OK(tdb_->db().RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
      ids.clear();
      for (int i = 0; i < n; ++i) {
        const int64_t id = next_user_++;
        DAIRA_RETURN_IF_ERROR(
            c.Execute("INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
                      {id, absl::StrCat("u", id), deps_.NowMicros(), deps_.NowMicros()})
                .status());
        ids.push_back(UserId{id});
      }
      return absl::OkStatus();
    }));
    return ids;
  }

  ContentReport MakeReport(UserId reporter, int64_t content_id,
                           ReportSeverity severity = ReportSeverity::kLow) {
    return Must(reports_->Create(ctx_, {.reporter_id = reporter,
                                        .content_type = ReportContentType::kPost,
                                        .content_id = content_id,
                                        .reason = "SPAM",
                                        .severity = severity}));
  }

  int64_t Rows(std::string_view table) {
    auto rs = tdb_->db().Execute(ctx_, absl::StrCat("SELECT count(*) FROM ", ToAbsl(table)));
    EXPECT_TRUE(rs.ok()) << rs.status();
    return rs.ok() ? rs->front().Int64(0) : -1;
  }

  RequestContext ctx_{RequestContextOptions{.correlation_id = "req-7f3a"}};
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<TestDatabase> tdb_;
  ServiceDeps deps_;
  std::unique_ptr<ReportRepository> reports_;
  std::unique_ptr<ModerationReviewRepository> reviews_;
  std::unique_ptr<AuditLogRepository> audit_;
  int64_t next_user_ = 1000;
};

// ---- reports --------------------------------------------------------------------------------------

TEST_P(ModerationRepositoryTest, ReportCreateMasksAndFindByReporter) {
  UserId u = MakeUsers(1)[0];
  ASSERT_OK_AND_ASSIGN(ContentReport r,
                       reports_->Create(ctx_, {.reporter_id = u,
                                               .content_type = ReportContentType::kComment,
                                               .content_id = 42,
                                               .reason = "HARASSMENT",
                                               .description = "line one\nline two",
                                               .severity = ReportSeverity::kHigh,
                                               .evidence = R"({"screenshot":"https://x.io/s.png"})"}));
  EXPECT_EQ(r.status, ReportStatus::kPending);
  EXPECT_EQ(r.severity, ReportSeverity::kHigh);
  EXPECT_EQ(r.content_type, ReportContentType::kComment);
  EXPECT_EQ(r.description, "line one\nline two");
  EXPECT_FALSE(r.resolved_at.has_value());
  EXPECT_EQ(r.created_at, clock_.Now());
  EXPECT_EQ(JsonField(*r.evidence, "screenshot"), "https://x.io/s.png");

  const ContentReportFieldMask mask{ContentReportField::kStatus, ContentReportField::kReason};
  EXPECT_EQ(ContentReportColumns().SelectList(mask), "id, reason, status");
  ASSERT_OK_AND_ASSIGN(ContentReport got, reports_->Get(ctx_, r.id, mask));
  EXPECT_EQ(got.reason, "HARASSMENT");
  EXPECT_EQ(got.status, ReportStatus::kPending);
  EXPECT_FALSE(got.reporter_id.has_value());
  EXPECT_FALSE(got.description.has_value());
  EXPECT_FALSE(got.evidence.has_value());
  EXPECT_FALSE(got.created_at.has_value());

  ASSERT_OK_AND_ASSIGN(got, reports_->FindByReporterAndContent(ctx_, u, ReportContentType::kComment, 42));
  EXPECT_EQ(got.id, r.id);
  EXPECT_EQ(got.reporter_id, u);
  EXPECT_THAT(
      reports_->FindByReporterAndContent(ctx_, u, ReportContentType::kPost, 42),
      StatusIs(absl::StatusCode::kNotFound, "content_reports: no report by reporter_id 1000 of POST 42"));
  EXPECT_THAT(reports_->Get(ctx_, ReportId{5}),
              StatusIs(absl::StatusCode::kNotFound, "content_reports: report 5 not found"));
}

TEST_P(ModerationRepositoryTest, ReportOncePerReporterAndTarget) {
  std::vector<UserId> u = MakeUsers(2);
  MakeReport(u[0], 42);
  auto dup = reports_->Create(
      ctx_,
      {.reporter_id = u[0], .content_type = ReportContentType::kPost, .content_id = 42, .reason = "HARASSMENT"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists,
                            "create report: content_id is already reported by this reporter"));
  EXPECT_EQ(StatusField(dup.status()), "content_id");
  // Another reporter, or another kind of target with the same id, is another report.
  MakeReport(u[1], 42);
  ASSERT_OK(reports_
                ->Create(ctx_, {.reporter_id = u[0],
                                .content_type = ReportContentType::kVideo,
                                .content_id = 42,
                                .reason = "SPAM"})
                .status());
  EXPECT_EQ(Rows("content_reports"), 3);
  EXPECT_EQ(Must(reports_->Count(ctx_, {.content_type = ReportContentType::kPost, .content_id = 42})), 2);
  // No such reporter: the foreign key refuses it.
  EXPECT_THAT(reports_->Create(ctx_, {.reporter_id = UserId{99}, .content_id = 1, .reason = "SPAM"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(ModerationRepositoryTest, ReportBadInputNamesTheFieldAndWritesNothing) {
  UserId u = MakeUsers(1)[0];
  const NewReport ok{.reporter_id = u, .content_id = 1, .reason = "SPAM"};
  auto with = [&](auto change) {
    NewReport r = ok;
    change(r);
    return r;
  };
  const std::vector<std::pair<NewReport, std::string>> cases = {
      {with([](NewReport& r) { r.reporter_id = UserId{0}; }), "reporter_id"},
      {with([](NewReport& r) { r.content_id = -4; }), "content_id"},
      {with([](NewReport& r) { r.content_type = static_cast<ReportContentType>(8); }), "content_type"},
      {with([](NewReport& r) { r.severity = static_cast<ReportSeverity>(8); }), "severity"},
      {with([](NewReport& r) { r.reason = ""; }), "reason"},
      {with([](NewReport& r) { r.reason = " \u00a0 "; }), "reason"},
      {with([](NewReport& r) { r.reason = "two\nlines"; }), "reason"},
      {with([](NewReport& r) { r.reason = std::string(65, 'x'); }), "reason"},
      {with([](NewReport& r) { r.description = std::string(1001, 'd'); }), "description"},
      {with([](NewReport& r) { r.description = "bell\a"; }), "description"},
      {with([](NewReport& r) { r.description = "\xff\xfe"; }), "description"},
      {with([](NewReport& r) { r.evidence = "[]"; }), "evidence"},
      {with([](NewReport& r) { r.evidence = "{"; }), "evidence"},
  };
  for (const auto& [row, field] : cases) {
    auto s = reports_->Create(ctx_, row);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << field;
    EXPECT_EQ(StatusField(s.status()), field);
  }
  // 1000 characters of 4-byte text is within the limit: lengths are characters, not bytes.
  std::string long_unicode;
  for (int i = 0; i < 1000; ++i) long_unicode += "🌍";
  ASSERT_OK(reports_->Create(ctx_, with([&](NewReport& r) { r.description = long_unicode; })).status());
  EXPECT_EQ(Rows("content_reports"), 1);
}

TEST_P(ModerationRepositoryTest, ReportTextRoundTripsAndUpdateWritesOnlyTheGivenFields) {
  std::vector<UserId> u = MakeUsers(2);
  int64_t content = 1;
  for (const std::string& text : HostileTexts()) {
    ASSERT_OK_AND_ASSIGN(ContentReport r, reports_->Create(ctx_, {.reporter_id = u[0],
                                                                  .content_id = content++,
                                                                  .reason = "OTHER",
                                                                  .description = text + "\n" + text,
                                                                  .evidence = JsonObjectWith("note", text)}));
    ASSERT_OK_AND_ASSIGN(ContentReport back, reports_->Get(ctx_, r.id));
    EXPECT_EQ(back.reason, "OTHER");  // a closed list since migration 017; hostile text in the free fields
    EXPECT_EQ(back.description, text + "\n" + text);
    EXPECT_EQ(JsonField(*back.evidence, "note"), text);
  }

  ContentReport r = MakeReport(u[1], 500);
  ContentReport other = MakeReport(u[1], 501);
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_OK(reports_->Update(ctx_, r.id, {.status = ReportStatus::kResolved, .resolved_at = clock_.Now()}));
  ASSERT_OK_AND_ASSIGN(ContentReport got, reports_->Get(ctx_, r.id));
  EXPECT_EQ(got.status, ReportStatus::kResolved);
  EXPECT_EQ(got.resolved_at, clock_.Now());
  EXPECT_EQ(got.updated_at, clock_.Now());
  EXPECT_EQ(got.severity, ReportSeverity::kLow);
  EXPECT_EQ(got.reason, "SPAM");
  ASSERT_OK(reports_->Update(ctx_, r.id, {.description = "added later"}));
  ASSERT_OK_AND_ASSIGN(got,
                       reports_->Get(ctx_, r.id, ContentReportFieldMask{ContentReportField::kDescription}));
  EXPECT_EQ(got.description, "added later");
  ASSERT_OK(reports_->Update(ctx_, r.id, {.description = ""}));
  ASSERT_OK_AND_ASSIGN(got, reports_->Get(ctx_, r.id));
  EXPECT_FALSE(got.description.has_value());
  EXPECT_EQ(got.status, ReportStatus::kResolved);
  ASSERT_OK_AND_ASSIGN(ContentReport untouched, reports_->Get(ctx_, other.id));
  EXPECT_EQ(untouched.status, ReportStatus::kPending);
  EXPECT_EQ(untouched.updated_at, other.updated_at);

  EXPECT_EQ(StatusField(reports_->Update(ctx_, r.id, {})), "patch");
  EXPECT_EQ(StatusField(reports_->Update(ctx_, r.id, {.evidence = "1"})), "evidence");
  EXPECT_EQ(StatusField(reports_->Update(ctx_, r.id, {.status = static_cast<ReportStatus>(10)})), "status");
  EXPECT_THAT(reports_->Update(ctx_, ReportId{3}, {.severity = ReportSeverity::kHigh}),
              StatusIs(absl::StatusCode::kNotFound, "content_reports: report 3 not found"));
}

TEST_P(ModerationRepositoryTest, ReportQueueByStatusGetManyAndDeleteWithReviews) {
  std::vector<UserId> u = MakeUsers(1);
  std::vector<ContentReport> made;
  for (int i = 0; i < 12; ++i) {
    made.push_back(MakeReport(u[0], 100 + i, i % 3 == 0 ? ReportSeverity::kCritical : ReportSeverity::kLow));
  }
  ASSERT_OK(reports_->Update(ctx_, made[1].id, {.status = ReportStatus::kDismissed}));

  // Pending queue, oldest first, one statement a page.
  std::vector<ReportId> seen;
  query::PageRequest req{.limit = 5};
  query::StatementBudget budget(ctx_);
  for (int page = 0; page < 4; ++page) {
    ASSERT_OK_AND_ASSIGN(auto p,
                         reports_->ListByStatus(ctx_, ReportStatus::kPending, {}, req,
                                                ContentReportFieldMask{ContentReportField::kSeverity}));
    for (const ContentReport& r : p.items) {
      seen.push_back(r.id);
      EXPECT_TRUE(r.severity.has_value());
      EXPECT_FALSE(r.status.has_value());
    }
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(budget.used(), 3);
  std::vector<ReportId> want;
  for (const ContentReport& r : made) {
    if (r.id != made[1].id) want.push_back(r.id);
  }
  EXPECT_EQ(seen, want);
  ASSERT_OK_AND_ASSIGN(auto critical, reports_->ListByStatus(ctx_, ReportStatus::kPending,
                                                             ReportSeverity::kCritical, {.limit = 10}));
  ASSERT_EQ(critical.items.size(), 4u);
  EXPECT_EQ(critical.items[0].id, made[0].id);
  EXPECT_EQ(critical.items[3].id, made[9].id);
  ASSERT_OK_AND_ASSIGN(auto dismissed, reports_->ListByStatus(ctx_, ReportStatus::kDismissed));
  ASSERT_EQ(dismissed.items.size(), 1u);
  EXPECT_EQ(StatusField(reports_->ListByStatus(ctx_, ReportStatus::kPending, {}, {.limit = 1000}).status()),
            "limit");

  EXPECT_EQ(Must(reports_->Count(ctx_)), 12);
  EXPECT_EQ(Must(reports_->Count(ctx_, {.status = ReportStatus::kPending})), 11);
  EXPECT_EQ(
      Must(reports_->Count(ctx_, {.status = ReportStatus::kPending, .severity = ReportSeverity::kCritical})),
      4);
  EXPECT_EQ(Must(reports_->Exists(ctx_, made[2].id)), true);

  std::vector<ReportId> ask = {made[11].id, ReportId{1}, made[0].id, made[11].id};
  budget.Reset();
  ASSERT_OK_AND_ASSIGN(ReportBatch batch, reports_->GetMany(ctx_, ask, ContentReportFieldMask{}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.reports.size(), 2u);
  EXPECT_EQ(batch.reports[0].id, made[11].id);
  EXPECT_EQ(batch.reports[1].id, made[0].id);
  EXPECT_FALSE(batch.reports[0].reason.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(ReportId{1}));

  // Deleting a report deletes its reviews.
  ASSERT_OK(reviews_->Create(ctx_, {.report_id = made[0].id, .reviewer_id = u[0]}).status());
  ASSERT_OK(reports_->Delete(ctx_, made[0].id));
  EXPECT_EQ(Must(reports_->Exists(ctx_, made[0].id)), false);
  EXPECT_EQ(Rows("moderation_reviews"), 0);
  EXPECT_THAT(reports_->Delete(ctx_, made[0].id), StatusIs(absl::StatusCode::kNotFound));
}

// ---- reviews --------------------------------------------------------------------------------------

TEST_P(ModerationRepositoryTest, ReviewLifecycle) {
  std::vector<UserId> u = MakeUsers(2);
  ContentReport report = MakeReport(u[0], 7);
  ASSERT_OK_AND_ASSIGN(ModerationReview r, reviews_->Create(ctx_, {.report_id = report.id,
                                                                   .reviewer_id = u[1],
                                                                   .decision = ModerationDecision::kWarn,
                                                                   .action_taken = "warning sent",
                                                                   .reason = "first offence\nwatch"}));
  EXPECT_EQ(r.decision, ModerationDecision::kWarn);
  EXPECT_EQ(r.report_id, report.id);
  EXPECT_EQ(r.reviewer_id, u[1]);
  EXPECT_EQ(r.created_at, clock_.Now());
  ASSERT_OK_AND_ASSIGN(
      ModerationReview got,
      reviews_->Get(ctx_, r.id, ModerationReviewFieldMask{ModerationReviewField::kDecision}));
  EXPECT_EQ(got.decision, ModerationDecision::kWarn);
  EXPECT_FALSE(got.reason.has_value());
  EXPECT_FALSE(got.report_id.has_value());

  for (const std::string& text : HostileTexts()) {
    ASSERT_OK(reviews_->Update(ctx_, r.id, {.action_taken = text, .reason = text + "\r\n\t" + text}));
    ASSERT_OK_AND_ASSIGN(got, reviews_->Get(ctx_, r.id));
    EXPECT_EQ(got.action_taken, text);
    EXPECT_EQ(got.reason, text + "\r\n\t" + text);
    EXPECT_EQ(got.decision, ModerationDecision::kWarn);
  }
  ASSERT_OK(reviews_->Update(ctx_, r.id, {.decision = ModerationDecision::kBan, .reason = ""}));
  ASSERT_OK_AND_ASSIGN(got, reviews_->Get(ctx_, r.id));
  EXPECT_EQ(got.decision, ModerationDecision::kBan);
  EXPECT_FALSE(got.reason.has_value());
  EXPECT_EQ(got.action_taken, HostileTexts().back());

  EXPECT_EQ(StatusField(reviews_->Update(ctx_, r.id, {})), "patch");
  EXPECT_EQ(StatusField(reviews_->Update(ctx_, r.id, {.action_taken = "a\nb"})), "action_taken");
  EXPECT_EQ(StatusField(reviews_->Update(ctx_, r.id, {.reason = std::string(1001, 'n')})), "reason");
  EXPECT_THAT(reviews_->Update(ctx_, ReviewId{4}, {.decision = ModerationDecision::kApproved}),
              StatusIs(absl::StatusCode::kNotFound, "moderation_reviews: review 4 not found"));

  const std::vector<std::pair<NewReview, std::string>> bad = {
      {{.report_id = ReportId{0}, .reviewer_id = u[1]}, "report_id"},
      {{.report_id = report.id, .reviewer_id = UserId{-1}}, "reviewer_id"},
      {{.report_id = report.id, .reviewer_id = u[1], .decision = static_cast<ModerationDecision>(5)},
       "decision"},
      {{.report_id = report.id, .reviewer_id = u[1], .action_taken = std::string(201, 'a')}, "action_taken"},
      {{.report_id = report.id, .reviewer_id = u[1], .reason = "\x01"}, "reason"},
  };
  for (const auto& [row, field] : bad) {
    auto s = reviews_->Create(ctx_, row);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << field;
    EXPECT_EQ(StatusField(s.status()), field);
  }
  EXPECT_EQ(Rows("moderation_reviews"), 1);
  EXPECT_THAT(reviews_->Create(ctx_, {.report_id = ReportId{123}, .reviewer_id = u[1]}),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // A second opinion, a page of the report's reviews (oldest first), counts, batch load, delete.
  ASSERT_OK_AND_ASSIGN(
      ModerationReview second,
      reviews_->Create(
          ctx_, {.report_id = report.id, .reviewer_id = u[0], .decision = ModerationDecision::kRejected}));
  ASSERT_OK_AND_ASSIGN(auto page, reviews_->ListByReport(ctx_, report.id, {.limit = 1}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, r.id);
  ASSERT_OK_AND_ASSIGN(page,
                       reviews_->ListByReport(ctx_, report.id, {.limit = 1, .cursor = page.next_cursor}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, second.id);
  EXPECT_EQ(Must(reviews_->Count(ctx_, {.report_id = report.id})), 2);
  EXPECT_EQ(Must(reviews_->Count(ctx_, {.reviewer_id = u[1], .decision = ModerationDecision::kBan})), 1);
  std::vector<ReviewId> ask = {second.id, ReviewId{9}, r.id};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(ReviewBatch batch, reviews_->GetMany(ctx_, ask));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.reviews.size(), 2u);
  EXPECT_EQ(batch.reviews[0].decision, ModerationDecision::kRejected);
  EXPECT_THAT(batch.missing, ElementsAre(ReviewId{9}));
  ASSERT_OK(reviews_->Delete(ctx_, second.id));
  EXPECT_EQ(Must(reviews_->Exists(ctx_, second.id)), false);
  EXPECT_THAT(reviews_->Delete(ctx_, second.id), StatusIs(absl::StatusCode::kNotFound));
}

// ---- audit log ------------------------------------------------------------------------------------

TEST_P(ModerationRepositoryTest, AuditLogAppendsReadsAndNeverChanges) {
  std::vector<UserId> u = MakeUsers(2);
  ASSERT_OK_AND_ASSIGN(AuditLog e,
                       audit_->Create(ctx_, {.actor_id = u[0],
                                             .action = "user.ban",
                                             .resource_type = "user",
                                             .resource_id = u[1].value,
                                             .changes = R"({"status":"BANNED"})",
                                             .ip_address = "2001:db8::1",
                                             .user_agent = "Mozilla/5.0 (X11; Linux) «ünïcode»"}));
  EXPECT_EQ(e.correlation_id, "req-7f3a");  // from the request context
  EXPECT_EQ(e.created_at, clock_.Now());
  EXPECT_EQ(JsonField(*e.changes, "status"), "BANNED");
  ASSERT_OK_AND_ASSIGN(AuditLog got, audit_->Get(ctx_, e.id, AuditLogFieldMask{AuditLogField::kAction}));
  EXPECT_EQ(got.action, "user.ban");
  EXPECT_FALSE(got.actor_id.has_value());
  EXPECT_FALSE(got.changes.has_value());
  ASSERT_OK_AND_ASSIGN(got, audit_->Get(ctx_, e.id));
  EXPECT_EQ(got.user_agent, "Mozilla/5.0 (X11; Linux) «ünïcode»");
  EXPECT_EQ(got.ip_address, "2001:db8::1");

  // Append-only: no update, no delete, nothing touched.
  EXPECT_THAT(audit_->Update(ctx_, e.id),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("the audit log is append-only")));
  EXPECT_THAT(audit_->Delete(ctx_, e.id),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("is never deleted")));
  EXPECT_EQ(Must(audit_->Exists(ctx_, e.id)), true);

  // A system entry (no actor), explicit correlation id, hostile text.
  for (const std::string& text : HostileTexts()) {
    ASSERT_OK_AND_ASSIGN(AuditLog s, audit_->Create(ctx_, {.action = text,
                                                           .resource_type = "post",
                                                           .resource_id = 5,
                                                           .changes = JsonObjectWith("note", text),
                                                           .user_agent = text,
                                                           .correlation_id = "job-1"}));
    ASSERT_OK_AND_ASSIGN(AuditLog back, audit_->Get(ctx_, s.id));
    EXPECT_FALSE(back.actor_id.has_value());
    EXPECT_EQ(back.action, text);
    EXPECT_EQ(back.user_agent, text);
    EXPECT_EQ(back.correlation_id, "job-1");
    EXPECT_EQ(JsonField(*back.changes, "note"), text);
  }

  const std::vector<std::pair<NewAuditLog, std::string>> bad = {
      {{.actor_id = UserId{0}, .action = "a", .resource_type = "user"}, "actor_id"},
      {{.action = "", .resource_type = "user"}, "action"},
      {{.action = "a\tb", .resource_type = "user"}, "action"},
      {{.action = "a", .resource_type = std::string(65, 't')}, "resource_type"},
      {{.action = "a", .resource_type = "user", .resource_id = 0}, "resource_id"},
      {{.action = "a", .resource_type = "user", .changes = "\"text\""}, "changes"},
      {{.action = "a", .resource_type = "user", .ip_address = "10.0.0.1 "}, "ip_address"},
      {{.action = "a", .resource_type = "user", .user_agent = "x\ny"}, "user_agent"},
      {{.action = "a", .resource_type = "user", .correlation_id = "has space"}, "correlation_id"},
  };
  for (const auto& [row, field] : bad) {
    auto s = audit_->Create(ctx_, row);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << field;
    EXPECT_EQ(StatusField(s.status()), field);
  }
  EXPECT_EQ(Rows("audit_logs"), 1 + static_cast<int64_t>(HostileTexts().size()));
}

TEST_P(ModerationRepositoryTest, AuditLogListsByEntityAndActorNewestFirst) {
  std::vector<UserId> u = MakeUsers(2);
  std::vector<AuditLogId> about_post;
  for (int i = 0; i < 9; ++i) {
    ASSERT_OK_AND_ASSIGN(
        AuditLog e,
        audit_->Create(
            ctx_, {.actor_id = u[i % 2], .action = "post.edit", .resource_type = "post", .resource_id = 77}));
    about_post.push_back(e.id);
  }
  ASSERT_OK(
      audit_->Create(ctx_, {.actor_id = u[0], .action = "post.edit", .resource_type = "post", .resource_id = 78})
          .status());
  ASSERT_OK(
      audit_->Create(ctx_, {.actor_id = u[0], .action = "user.edit", .resource_type = "user", .resource_id = 77})
          .status());

  std::vector<AuditLogId> seen;
  query::PageRequest req{.limit = 4};
  for (int page = 0; page < 5; ++page) {
    query::StatementBudget budget(ctx_);
    ASSERT_OK_AND_ASSIGN(auto p, audit_->ListByEntity(ctx_, "post", 77, req, AuditLogFieldMask{}));
    EXPECT_EQ(budget.used(), 1);
    for (const AuditLog& e : p.items) seen.push_back(e.id);
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  EXPECT_EQ(seen, std::vector<AuditLogId>(about_post.rbegin(), about_post.rend()));
  // A cursor of one entity's list is refused by another's.
  ASSERT_OK_AND_ASSIGN(auto first, audit_->ListByEntity(ctx_, "post", 77, {.limit = 2}));
  EXPECT_EQ(
      StatusField(audit_->ListByEntity(ctx_, "user", 77, {.limit = 2, .cursor = first.next_cursor}).status()),
      "cursor");

  ASSERT_OK_AND_ASSIGN(auto mine, audit_->ListByActor(ctx_, u[1], {.limit = 10}));
  ASSERT_EQ(mine.items.size(), 4u);
  EXPECT_EQ(mine.items[0].id, about_post[7]);
  EXPECT_TRUE(mine.next_cursor.empty());

  EXPECT_EQ(Must(audit_->Count(ctx_)), 11);
  EXPECT_EQ(Must(audit_->Count(ctx_, {.resource_type = "post", .resource_id = 77})), 9);
  EXPECT_EQ(Must(audit_->Count(ctx_, {.actor_id = u[0], .action = "post.edit"})), 6);
  std::vector<AuditLogId> ask = {about_post[3], AuditLogId{2}, about_post[3], about_post[0]};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(AuditLogBatch batch, audit_->GetMany(ctx_, ask));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.entries.size(), 2u);
  EXPECT_EQ(batch.entries[0].id, about_post[3]);
  EXPECT_EQ(batch.entries[1].id, about_post[0]);
  EXPECT_THAT(batch.missing, ElementsAre(AuditLogId{2}));
}

TEST(ModerationModelTest, EnumsRoundTripAndUnknownSpellingsNameTheField) {
  for (auto t : {ReportContentType::kPost, ReportContentType::kVideo, ReportContentType::kComment,
                 ReportContentType::kUser}) {
    EXPECT_EQ(Must(model::ParseReportContentType(model::ToString(t))), t);
  }
  for (auto s :
       {ReportSeverity::kLow, ReportSeverity::kMedium, ReportSeverity::kHigh, ReportSeverity::kCritical}) {
    EXPECT_EQ(Must(model::ParseReportSeverity(model::ToString(s))), s);
  }
  for (auto s : {ReportStatus::kPending, ReportStatus::kReviewing, ReportStatus::kResolved,
                 ReportStatus::kDismissed}) {
    EXPECT_EQ(Must(model::ParseReportStatus(model::ToString(s))), s);
  }
  for (auto d : {ModerationDecision::kApproved, ModerationDecision::kRejected, ModerationDecision::kWarn,
                 ModerationDecision::kSuspend, ModerationDecision::kBan}) {
    EXPECT_EQ(Must(model::ParseModerationDecision(model::ToString(d))), d);
  }
  EXPECT_EQ(StatusField(model::ParseReportContentType("post").status()), "content_type");
  EXPECT_EQ(StatusField(model::ParseReportSeverity("SEVERE").status()), "severity");
  EXPECT_EQ(StatusField(model::ParseReportStatus("OPEN").status()), "status");
  EXPECT_EQ(StatusField(model::ParseModerationDecision("KICK").status()), "decision");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(ModerationRepositoryTest);

}  // namespace
}  // namespace daira::services
