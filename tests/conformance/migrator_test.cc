// Migrator conformance: embedded migrations apply, re-runs are no-ops, changed files are refused,
// failures leave nothing half-applied, and concurrent migrators each apply a migration once.
#include "daira/store/migrator.h"

#include <thread>

#include "daira/core/clock.h"
#include "daira/store/schema_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::HasSubstr;

TEST(MigrationChecksumTest, IsSha256Hex) {
  EXPECT_EQ(store::MigrationChecksum(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(store::MigrationChecksum("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(store::MigrationChecksum("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(store::MigrationChecksum(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

// Issue 9: the checksum moved from a hand-written SHA-256 to libsodium's; databases store the old
// values, so the embedded migrations must keep exactly the checksums the old code recorded.
TEST(MigrationChecksumTest, EmbeddedChecksumsUnchangedByLibsodium) {
  const std::pair<store::Backend, const char*> expected[] = {
      {store::Backend::kSqlite, "e8925df4262684215b1e8b270e4594d8257a74acd3e2fd409f0aaac4ed9b9599"},
      {store::Backend::kPostgres, "bb9412557d792358bdea057e7314b301268830ab3b14abb6a18f94d3add8cdee"},
  };
  for (const auto& [backend, sum] : expected) {
    auto list = store::EmbeddedMigrations(backend);
    ASSERT_FALSE(list.empty());
    EXPECT_EQ(list.front().name, "001_users");
    EXPECT_EQ(list.front().checksum, sum);
  }
  // Multi-block inputs across the 55/56/64-byte padding boundaries, as the old implementation hashed them.
  EXPECT_EQ(store::MigrationChecksum(std::string(55, 'x')),
            "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
  EXPECT_EQ(store::MigrationChecksum(std::string(64, 'x')),
            "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
  EXPECT_EQ(store::MigrationChecksum(std::string(119, 'x')),
            "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c");
}

TEST(EmbeddedMigrationsTest, BothBackendsHaveTheSameNames) {
  auto sqlite = store::EmbeddedMigrations(store::Backend::kSqlite);
  auto postgres = store::EmbeddedMigrations(store::Backend::kPostgres);
  ASSERT_FALSE(sqlite.empty());
  ASSERT_EQ(sqlite.size(), postgres.size());
  for (size_t i = 0; i < sqlite.size(); ++i) {
    EXPECT_EQ(sqlite[i].name, postgres[i].name);
    EXPECT_EQ(sqlite[i].checksum.size(), 64u);
  }
  EXPECT_EQ(sqlite.front().name, "001_users");
}

class MigratorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
  }
  store::Database& db() { return tdb_->db(); }
  int64_t CountRows(const std::string& sql) {
    auto rs = db().Execute(ctx_, sql);
    EXPECT_THAT(rs, IsOk());
    return rs.ok() && !rs->empty() ? rs->front().Int64(0) : -1;
  }
  absl::StatusOr<std::unique_ptr<store::Migrator>> Custom(std::vector<std::pair<std::string, std::string>> list) {
    store::MigratorOptions options;
    options.migrations.emplace();
    for (auto& [name, sql] : list) options.migrations->push_back(store::Migration::FromText(name, sql));
    options.clock = &clock_;
    return store::Migrator::Create(db(), options);
  }

  store::MigratorOptions WithClock() {
    store::MigratorOptions options;
    options.clock = &clock_;
    return options;
  }

  RequestContext ctx_;
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(MigratorTest, AppliesEmbeddedMigrations) {
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db()));
  ASSERT_OK_AND_ASSIGN(auto before, migrator->Status(ctx_));
  const size_t n = store::EmbeddedMigrations(db().backend()).size();
  ASSERT_GE(n, 6u);
  ASSERT_EQ(before.size(), n);
  for (const auto& m : before) EXPECT_FALSE(m.applied) << m.name;

  ASSERT_OK(migrator->Migrate(ctx_));
  ASSERT_OK_AND_ASSIGN(auto after, migrator->Status(ctx_));
  ASSERT_EQ(after.size(), n);
  for (const auto& m : after) {
    EXPECT_TRUE(m.applied) << m.name;
    EXPECT_FALSE(m.changed) << m.name;
    EXPECT_EQ(m.applied_checksum, m.checksum) << m.name;
  }
  ASSERT_OK_AND_ASSIGN(store::SchemaInfo schema, store::InspectSchema(db(), ctx_));
  for (const char* table : {"users", "user_profiles", "user_sessions", "posts", "videos", "comments", "follows",
                            "blocks", "mutes", "likes", "wallets", "transactions", "payments", "content_reports",
                            "moderation_reviews", "audit_logs", "notifications", "conversations",
                            "conversation_members", "messages", "hashtags", "post_hashtags", "media_assets",
                            "analytics_buckets", "outbox", "jobs", "idempotency_keys", "schema_migrations"}) {
    EXPECT_NE(schema.FindTable(table), nullptr) << table;
  }
}

TEST_P(MigratorTest, RerunIsANoOp) {
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(db(), WithClock()));
  ASSERT_OK(migrator->Migrate(ctx_));
  ASSERT_OK_AND_ASSIGN(auto first, migrator->Status(ctx_));
  clock_.Advance(std::chrono::hours(1));
  ASSERT_OK(migrator->Migrate(ctx_));
  // A fresh migrator (as after a restart) also finds nothing to do.
  ASSERT_OK_AND_ASSIGN(auto again, store::Migrator::Create(db(), WithClock()));
  ASSERT_OK(again->Migrate(ctx_));
  ASSERT_OK_AND_ASSIGN(auto second, again->Status(ctx_));
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].applied_at, second[i].applied_at) << first[i].name;
    EXPECT_EQ(first[i].applied_at, ToUnixMicros(Clock::TimePoint{std::chrono::seconds(1700000000)}));
  }
  EXPECT_EQ(CountRows("SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(store::EmbeddedMigrations(db().backend()).size()));
}

TEST_P(MigratorTest, AppliesInNameOrderWhateverTheListOrder) {
  // 002 depends on 001's table; listing it first must not matter.
  ASSERT_OK_AND_ASSIGN(auto migrator, Custom({{"002_b", "INSERT INTO a (x) VALUES (7)"},
                                              {"001_a", "CREATE TABLE a (x BIGINT NOT NULL)"}}));
  ASSERT_OK(migrator->Migrate(ctx_));
  EXPECT_EQ(CountRows("SELECT x FROM a"), 7);
}

TEST_P(MigratorTest, RefusesAnAppliedMigrationWhoseTextChanged) {
  ASSERT_OK_AND_ASSIGN(auto v1, Custom({{"001_a", "CREATE TABLE a (x BIGINT)"},
                                        {"002_content", "CREATE TABLE b (y BIGINT)"}}));
  ASSERT_OK(v1->Migrate(ctx_));

  ASSERT_OK_AND_ASSIGN(auto v2, Custom({{"001_a", "CREATE TABLE a (x BIGINT)"},
                                        {"002_content", "CREATE TABLE b (y BIGINT, z BIGINT)"},
                                        {"003_c", "CREATE TABLE c (w BIGINT)"}}));
  std::string old_sum = store::MigrationChecksum("CREATE TABLE b (y BIGINT)").substr(0, 12);
  std::string new_sum = store::MigrationChecksum("CREATE TABLE b (y BIGINT, z BIGINT)").substr(0, 12);
  EXPECT_THAT(v2->Migrate(ctx_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("migrate: 002_content was applied with checksum " + old_sum +
                                 "\xE2\x80\xA6 but the file now has " + new_sum)));
  // Nothing was applied: 003_c is still pending.
  ASSERT_OK_AND_ASSIGN(auto status, v2->Status(ctx_));
  ASSERT_EQ(status.size(), 3u);
  EXPECT_TRUE(status[1].changed);
  EXPECT_FALSE(status[2].applied);
  EXPECT_THAT(db().Execute(ctx_, "SELECT count(*) FROM c"), ::testing::Not(IsOk()));
}

TEST_P(MigratorTest, AFailingMigrationLeavesNothingHalfApplied) {
  ASSERT_OK_AND_ASSIGN(auto migrator, Custom({{"001_a", "CREATE TABLE a (x BIGINT)"},
                                              {"002_bad", "CREATE TABLE b (y BIGINT); INSERT INTO nowhere VALUES (1)"},
                                              {"003_c", "CREATE TABLE c (w BIGINT)"}}));
  absl::Status st = migrator->Migrate(ctx_);
  EXPECT_THAT(st, ::testing::Not(IsOk()));
  EXPECT_THAT(std::string(st.message()), HasSubstr("migrate: 002_bad"));
  ASSERT_OK_AND_ASSIGN(auto status, migrator->Status(ctx_));
  ASSERT_EQ(status.size(), 3u);
  EXPECT_TRUE(status[0].applied);
  EXPECT_FALSE(status[1].applied);
  EXPECT_FALSE(status[2].applied);
  // 002's first statement was rolled back with the rest of it.
  EXPECT_THAT(db().Execute(ctx_, "SELECT count(*) FROM b"), ::testing::Not(IsOk()));
  EXPECT_EQ(CountRows("SELECT count(*) FROM a"), 0);
}

TEST_P(MigratorTest, UnknownAppliedMigrationsAreRefusedUnlessAllowed) {
  ASSERT_OK_AND_ASSIGN(auto newer, Custom({{"001_a", "CREATE TABLE a (x BIGINT)"},
                                           {"002_b", "CREATE TABLE b (y BIGINT)"}}));
  ASSERT_OK(newer->Migrate(ctx_));
  ASSERT_OK_AND_ASSIGN(auto older, Custom({{"001_a", "CREATE TABLE a (x BIGINT)"}}));
  EXPECT_THAT(older->Migrate(ctx_), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("002_b")));
  ASSERT_OK_AND_ASSIGN(auto status, older->Status(ctx_));
  ASSERT_EQ(status.size(), 2u);
  EXPECT_TRUE(status[1].unknown);
  EXPECT_EQ(status[1].name, "002_b");

  store::MigratorOptions lenient;
  lenient.migrations = std::vector<store::Migration>{store::Migration::FromText("001_a", "CREATE TABLE a (x BIGINT)")};
  lenient.allow_unknown_applied = true;
  ASSERT_OK_AND_ASSIGN(auto tolerant, store::Migrator::Create(db(), lenient));
  EXPECT_OK(tolerant->Migrate(ctx_));
}

TEST_P(MigratorTest, RejectsDuplicateNames) {
  EXPECT_THAT(Custom({{"001_a", "SELECT 1"}, {"001_a", "SELECT 2"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("001_a")));
}

TEST_P(MigratorTest, ConcurrentMigratorsEachApplyAMigrationOnce) {
  // Two Databases on the same database (as two processes would have), migrating at once.
  constexpr int kMigrators = 3;
  std::vector<std::unique_ptr<store::Database>> dbs;
  for (int i = 0; i < kMigrators; ++i) {
    ASSERT_OK_AND_ASSIGN(store::DatabaseOptions options, store::DatabaseOptions::FromUrl(tdb_->url()));
    options.pool.pool_min = 1;
    options.pool.pool_max = 2;
    ASSERT_OK_AND_ASSIGN(auto d, store::Database::Open(options));
    dbs.push_back(std::move(d));
  }
  std::vector<absl::Status> results(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      RequestContext ctx;
      auto migrator = store::Migrator::Create(*dbs[i]);
      results[i] = migrator.ok() ? (*migrator)->Migrate(ctx) : migrator.status();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kMigrators; ++i) EXPECT_OK(results[i]) << "migrator " << i;
  // Applying any migration twice would have failed (CREATE TABLE of an existing table).
  const auto n = static_cast<int64_t>(store::EmbeddedMigrations(db().backend()).size());
  EXPECT_EQ(CountRows("SELECT count(*) FROM schema_migrations"), n);
  EXPECT_EQ(CountRows("SELECT count(DISTINCT name) FROM schema_migrations"), n);
  EXPECT_EQ(CountRows("SELECT count(*) FROM users"), 0);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(MigratorTest);

}  // namespace
}  // namespace daira
