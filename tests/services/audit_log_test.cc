// services::AuditLog on every SQL backend: the hash chain verifies after many appends (concurrent
// ones included, from several threads); the database refuses UPDATE and DELETE on audit_logs; a row
// changed or removed behind the triggers' back (raw SQL after dropping them) is found by Verify; and
// migration 017 keeps the rows written before it, under their new column names.
#include "daira/services/audit_log.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

class AuditLogTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    audit_ = std::make_unique<AuditLog>(deps_);
  }
  bool postgres() const { return tdb_->backend() == "postgres"; }
  absl::Status Exec(const std::string& sql, std::vector<store::Value> params = {}) {
    return tdb_->db().Execute(ctx_, sql, params).status();
  }
  absl::Status DropTrigger(const std::string& name) {
    return Exec(postgres() ? "DROP TRIGGER " + name + " ON audit_logs" : "DROP TRIGGER " + name);
  }
  std::vector<model::AuditLog> AppendMany(int n) {
    std::vector<model::AuditLog> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(Must(audit_->Append(
          ctx_, {.action = "test.append",
                 .resource_type = "post",
                 .resource_id = i + 1,
                 .changes = R"({"b": 2, "a": [1, "x"], "n": null})",
                 .ip_address = "203.0.113.9",
                 .reason = i % 2 == 0 ? std::optional<std::string>("why\nnot") : std::nullopt})));
    }
    return out;
  }
  std::unique_ptr<AuditLog> audit_;
};

TEST_P(AuditLogTest, AppendsChainFromGenesisAndVerify) {
  std::vector<model::AuditLog> rows = AppendMany(3);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].prev_hash, std::string(64, '0'));
  EXPECT_EQ(rows[1].prev_hash, rows[0].hash);
  EXPECT_EQ(rows[2].prev_hash, rows[1].hash);
  EXPECT_EQ(rows[2].seq, 3);
  EXPECT_EQ(rows[0].hash->size(), 64u);
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_TRUE(v.ok()) << v.problem;
  EXPECT_EQ(v.checked, 3);
  EXPECT_EQ(v.unchained, 0);
}

TEST_P(AuditLogTest, ChainHoldsAfterManyAppendsIncludingConcurrentOnes) {
  AppendMany(150);
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  std::vector<absl::Status> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RequestContext ctx;  // one per thread
      for (int i = 0; i < kEach && errors[t].ok(); ++i) {
        errors[t] =
            audit_
                ->Append(ctx, {.action = "test.concurrent", .resource_type = "thread", .resource_id = t + 1})
                .status();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_OK(e);
  // Verify in small pages so paging is exercised too.
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_, /*batch=*/7));
  EXPECT_TRUE(v.ok()) << v.problem;
  EXPECT_EQ(v.checked, 150 + kThreads * kEach);
}

TEST_P(AuditLogTest, TheDatabaseRefusesUpdateAndDelete) {
  std::vector<model::AuditLog> rows = AppendMany(2);
  EXPECT_THAT(Exec("UPDATE audit_logs SET action = 'x' WHERE id = ?", {rows[0].id.value}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("append-only")));
  EXPECT_THAT(Exec("DELETE FROM audit_logs WHERE id = ?", {rows[0].id.value}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("append-only")));
  if (postgres()) {
    EXPECT_THAT(Exec("TRUNCATE audit_logs"), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  ASSERT_OK_AND_ASSIGN(auto rs,
                       tdb_->db().Execute(ctx_, "SELECT count(*) FROM audit_logs WHERE action = 'x'"));
  EXPECT_EQ(rs.front().Int64(0), 0);
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_TRUE(v.ok()) << v.problem;
  EXPECT_EQ(v.checked, 2);
}

TEST_P(AuditLogTest, AnEditedRowIsFoundByVerify) {
  std::vector<model::AuditLog> rows = AppendMany(10);
  ASSERT_OK(DropTrigger("audit_logs_no_update"));
  ASSERT_OK(Exec("UPDATE audit_logs SET reason = 'nothing to see' WHERE id = ?", {rows[4].id.value}));
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_id, rows[4].id);
  EXPECT_EQ(v.first_bad_seq, 5);
  EXPECT_THAT(v.problem, HasSubstr("hash does not match"));
  EXPECT_EQ(v.checked, 4);
}

TEST_P(AuditLogTest, ARecomputedHashStillBreaksTheNextLink) {
  std::vector<model::AuditLog> rows = AppendMany(4);
  ASSERT_OK(DropTrigger("audit_logs_no_update"));
  // Forge row 2's hash too: the chain then breaks at row 3, whose prev_hash no longer matches.
  ASSERT_OK(Exec("UPDATE audit_logs SET hash = ? WHERE id = ?", {std::string(64, 'f'), rows[1].id.value}));
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_EQ(v.first_bad_id, rows[1].id);  // its own hash no longer matches its content
  EXPECT_FALSE(v.ok());
}

TEST_P(AuditLogTest, ADeletedRowIsFoundByVerify) {
  std::vector<model::AuditLog> rows = AppendMany(5);
  ASSERT_OK(DropTrigger("audit_logs_no_delete"));
  ASSERT_OK(Exec("DELETE FROM audit_logs WHERE id = ?", {rows[2].id.value}));
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_id, rows[3].id);
  EXPECT_EQ(v.first_bad_seq, 4);
  EXPECT_THAT(v.problem, HasSubstr("seq 3 is missing"));
}

TEST_P(AuditLogTest, AnAppendRolledBackWithItsTransactionLeavesNoGap) {
  AppendMany(2);
  absl::Status s = tdb_->db().RunInTransaction(
      ctx_,
      [&](store::Connection&) -> absl::Status {
        DAIRA_RETURN_IF_ERROR(
            audit_->Append(ctx_, {.action = "test.rolled_back", .resource_type = "x"}).status());
        return absl::AbortedError("changed my mind");
      },
      {.max_attempts = 1});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted));
  model::AuditLog next = Must(audit_->Append(ctx_, {.action = "test.after", .resource_type = "x"}));
  EXPECT_EQ(next.seq, 3);
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_TRUE(v.ok()) << v.problem;
}

TEST_P(AuditLogTest, AnUnknownActorIsRefusedAndADeletedActorIsKept) {
  EXPECT_THAT(audit_->Append(ctx_, {.actor_id = UserId{987654321}, .action = "a", .resource_type = "user"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("actor_id 987654321")));
  ASSERT_OK(Exec("INSERT INTO users (id, username, created_at, updated_at) VALUES (77, 'gone', 0, 0)"));
  model::AuditLog e =
      Must(audit_->Append(ctx_, {.actor_id = UserId{77}, .action = "a", .resource_type = "user"}));
  ASSERT_OK(Exec("DELETE FROM users WHERE id = 77"));
  model::AuditLog back = Must(audit_->repository().Get(ctx_, e.id));
  EXPECT_EQ(back.actor_id, UserId{77});
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit_->Verify(ctx_));
  EXPECT_TRUE(v.ok()) << v.problem;
}

// Migration 017 on a database holding rows written under 005's names.
class Migration017Test : public ::testing::TestWithParam<std::string> {};

TEST_P(Migration017Test, KeepsOldRowsUnderTheNewNames) {
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto tdb, ::daira::testing::TestDatabase::Create(GetParam()));
  store::Database& db = tdb->db();
  std::vector<store::Migration> before;
  for (auto& m : store::EmbeddedMigrations(db.backend())) {
    if (m.name < "017") before.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(auto old, store::Migrator::Create(db, {.migrations = before}));
  ASSERT_OK(old->Migrate(ctx));
  auto exec = [&](const std::string& sql) { return db.Execute(ctx, sql).status(); };
  ASSERT_OK(
      exec("INSERT INTO users (id, username, created_at, updated_at) VALUES (1, 'a', 0, 0), (2, 'b', 0, 0)"));
  ASSERT_OK(exec(
      "INSERT INTO mutes (id, muter_id, muted_id, kind, created_at) VALUES (10, 1, 2, 'HIDE_POSTS', 0)"));
  ASSERT_OK(
      exec("INSERT INTO content_reports (id, reporter_id, content_type, content_id, reason, description, "
           "created_at, updated_at) VALUES (20, 1, 'USER', 2, 'spam', NULL, 0, 0), "
           "(21, 1, 'POST', 5, 'NUDITY', 'see photo', 0, 0), (22, 2, 'USER', 1, 'SCAM', NULL, 0, 0)"));
  ASSERT_OK(
      exec("INSERT INTO moderation_reviews (id, report_id, moderator_id, decision, notes, created_at) "
           "VALUES (30, 20, 2, 'WARN', 'first offence', 0)"));
  ASSERT_OK(
      exec("INSERT INTO audit_logs (id, actor_id, action, entity_type, entity_id, created_at) "
           "VALUES (40, 2, 'user.warn', 'user', 1, 0)"));

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
  EXPECT_EQ(text("SELECT mute_type FROM mutes WHERE id = 10"), "HIDE_POSTS");
  EXPECT_EQ(text("SELECT CAST(reviewer_id AS TEXT), reason FROM moderation_reviews WHERE id = 30"),
            "2|first offence");
  EXPECT_EQ(text("SELECT CAST(actor_id AS TEXT), action, resource_type, CAST(resource_id AS TEXT), CAST(seq "
                 "AS TEXT) "
                 "FROM audit_logs WHERE id = 40"),
            "2|user.warn|user|1|NULL");
  EXPECT_EQ(text("SELECT reason, description FROM content_reports WHERE id = 20"), "SPAM|NULL");
  EXPECT_EQ(text("SELECT reason, description FROM content_reports WHERE id = 21"),
            "OTHER|reported as NUDITY: see photo");
  EXPECT_EQ(text("SELECT reason FROM content_reports WHERE id = 22"), "SPAM");
  // The new rules hold on the migrated database.
  EXPECT_FALSE(
      exec("INSERT INTO content_reports (id, reporter_id, content_type, content_id, reason, created_at, "
           "updated_at) VALUES (23, 2, 'POST', 9, 'NUDITY', 0, 0)")
          .ok());
  EXPECT_FALSE(exec("UPDATE content_reports SET reason = 'spam' WHERE id = 20").ok());
  EXPECT_FALSE(exec("UPDATE audit_logs SET action = 'x' WHERE id = 40").ok());
  // The old row stays unchained; new ones chain after it, and the chain verifies.
  ServiceDeps deps{.db = &db};
  AuditLog audit(deps);
  model::AuditLog e = Must(audit.Append(ctx, {.action = "after.migration", .resource_type = "user"}));
  EXPECT_EQ(e.seq, 1);
  ASSERT_OK_AND_ASSIGN(AuditVerification v, audit.Verify(ctx));
  EXPECT_TRUE(v.ok()) << v.problem;
  EXPECT_EQ(v.unchained, 1);
  EXPECT_EQ(v.checked, 1);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(AuditLogTest);
DAIRA_INSTANTIATE_SQL_BACKENDS(Migration017Test);

}  // namespace
}  // namespace daira::services
