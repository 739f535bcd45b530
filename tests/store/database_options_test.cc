// DatabaseOptions::FromUrl: parameters parsed, validated and named in errors.

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/store/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::store {
namespace {

using ::daira::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DatabaseOptionsTest, SqliteDefaults) {
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o, DatabaseOptions::FromUrl("sqlite:./app.db"));
  EXPECT_EQ(o.url, "sqlite:./app.db");
  EXPECT_EQ(o.readers, 4);
  EXPECT_EQ(o.pool.pool_max, 50);
  EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(o.synchronous, "normal");
  EXPECT_TRUE(o.replicas.empty());
  EXPECT_EQ(o.clock, nullptr);
}

TEST(DatabaseOptionsTest, SqliteParameters) {
  ASSERT_OK_AND_ASSIGN(
      DatabaseOptions o,
      DatabaseOptions::FromUrl("sqlite:/tmp/x.db?readers=2&busy_timeout_ms=250&synchronous=FULL&slow_statement_ms=0"
                               "&acquire_timeout_ms=10&idle_timeout_ms=20&validate_after_ms=0"));
  EXPECT_EQ(o.url, "sqlite:/tmp/x.db?readers=2&busy_timeout_ms=250&synchronous=FULL&slow_statement_ms=0"
                   "&acquire_timeout_ms=10&idle_timeout_ms=20&validate_after_ms=0");
  EXPECT_EQ(o.readers, 2);
  EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(o.synchronous, "full");
  EXPECT_EQ(o.pool.slow_statement, std::chrono::milliseconds(0));
  EXPECT_EQ(o.pool.acquire_timeout, std::chrono::milliseconds(10));
  EXPECT_EQ(o.pool.idle_timeout, std::chrono::milliseconds(20));
  EXPECT_EQ(o.pool.validate_after, std::chrono::milliseconds(0));
}

TEST(DatabaseOptionsTest, SqliteMemoryHasNoReaders) {
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o, DatabaseOptions::FromUrl("sqlite::memory:"));
  EXPECT_EQ(o.readers, 0);
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o2, DatabaseOptions::FromUrl("sqlite::memory:?readers=3"));
  EXPECT_EQ(o2.readers, 0);
}

TEST(DatabaseOptionsTest, SqliteNeedsAPath) {
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("database url: sqlite needs a file path (got \"sqlite:\")")));
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:?readers=1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sqlite needs a file path")));
}

TEST(DatabaseOptionsTest, SqliteRejectsUnknownAndPostgresOnlyParameters) {
  auto s = DatabaseOptions::FromUrl("sqlite:./a.db?pool_size=3");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_size")));
  EXPECT_EQ(StatusField(s.status()), "pool_size");
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:./a.db?sslmode=disable"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sslmode")));
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:./a.db?replica=postgres://h/db"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replica")));
}

TEST(DatabaseOptionsTest, PostgresParametersAndReplicas) {
  const std::string r1 = "postgres://app@127.0.0.1:5434/app";
  const std::string r2 = "postgres://app@127.0.0.1:5435/app?sslmode=disable";
  const std::string url = "postgres://app:secret@127.0.0.1:5433/app?pool_min=2&pool_max=8&max_replica_lag_ms=250"
                          "&connect_timeout_ms=1500&replica=" + PercentEncode(r1) + "&replica=" + PercentEncode(r2) +
                          "&options=-csearch_path%3Dfoo&sslmode=disable&application_name=daira"
                          "&target_session_attrs=read-write&keepalives=1";
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o, DatabaseOptions::FromUrl(url));
  EXPECT_EQ(o.url, url);  // libpq parameters stay in the URL for the driver
  EXPECT_EQ(o.pool.pool_min, 2);
  EXPECT_EQ(o.pool.pool_max, 8);
  EXPECT_EQ(o.max_replica_lag, std::chrono::milliseconds(250));
  EXPECT_EQ(o.connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_THAT(o.replicas, ::testing::ElementsAre(r1, r2));
}

TEST(DatabaseOptionsTest, PostgresqlSchemeAccepted) {
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o, DatabaseOptions::FromUrl("postgresql://u@localhost/db"));
  EXPECT_EQ(o.url, "postgresql://u@localhost/db");
}

TEST(DatabaseOptionsTest, MalformedNumbersNameTheParameter) {
  auto s = DatabaseOptions::FromUrl("postgres://u@h/db?pool_max=x");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("database url: pool_max must be a positive integer (got \"x\")")));
  EXPECT_EQ(StatusField(s.status()), "pool_max");
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?pool_max=0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_max")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?pool_min=-1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_min")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?acquire_timeout_ms=5s"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("acquire_timeout_ms")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?idle_timeout_ms="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("idle_timeout_ms")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?connect_timeout_ms=0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("connect_timeout_ms")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?max_replica_lag_ms=1.5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_replica_lag_ms")));
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:a.db?readers=-2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("readers")));
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:a.db?busy_timeout_ms=99999999999999999999"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("busy_timeout_ms")));
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:a.db?synchronous=sometimes"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("synchronous"), HasSubstr("(got \"sometimes\")"))));
}

TEST(DatabaseOptionsTest, PoolMinMustNotExceedPoolMax) {
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?pool_min=9&pool_max=4"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("pool_min"), HasSubstr("pool_max"))));
  // A small explicit pool_max lowers the default pool_min instead of failing.
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o, DatabaseOptions::FromUrl("postgres://u@h/db?pool_max=3"));
  EXPECT_EQ(o.pool.pool_min, 3);
  EXPECT_EQ(o.pool.pool_max, 3);
}

TEST(DatabaseOptionsTest, PostgresRejectsUnknownParameter) {
  auto s = DatabaseOptions::FromUrl("postgres://u@h/db?poolmax=3");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("poolmax")));
  EXPECT_EQ(StatusField(s.status()), "poolmax");
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?readers=3"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("readers")));
}

TEST(DatabaseOptionsTest, BadReplicaUrl) {
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?replica=" + PercentEncode("redis://h:6379/0")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replica")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?replica="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replica")));
}

TEST(DatabaseOptionsTest, OtherSchemesAndGarbage) {
  EXPECT_THAT(DatabaseOptions::FromUrl("redis://127.0.0.1:6379/0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scheme")));
  EXPECT_THAT(DatabaseOptions::FromUrl(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DatabaseOptions::FromUrl("no scheme here"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DatabaseOptionsTest, PasswordNeverEchoed) {
  auto s = DatabaseOptions::FromUrl("postgres://u:hunter2@h/db?bogus=1");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), ::testing::Not(HasSubstr("hunter2")));
  auto s2 = DatabaseOptions::FromUrl("sqlite:a.db?password=hunter2");
  ASSERT_FALSE(s2.ok());
  EXPECT_THAT(std::string(s2.status().message()), ::testing::Not(HasSubstr("hunter2")));
}

TEST(DatabaseOptionsTest, OpenRejectsBadOptions) {
  DatabaseOptions o;
  o.url = "sqlite::memory:";
  o.pool.pool_max = 0;
  EXPECT_THAT(Database::Open(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_max")));
  o.pool.pool_max = 2;
  o.pool.pool_min = 3;
  EXPECT_THAT(Database::Open(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_min")));
  o.pool.pool_min = 1;
  o.statement_timeout = std::chrono::milliseconds(-1);
  EXPECT_THAT(Database::Open(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statement_timeout")));
  o.statement_timeout = std::chrono::milliseconds(0);
  o.pool.max_lifetime = std::chrono::milliseconds(-5);
  EXPECT_THAT(Database::Open(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_lifetime")));
  o.pool.max_lifetime = std::chrono::milliseconds(0);
  o.statement_cache_size = 0;
  EXPECT_THAT(Database::Open(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("statement_cache_size")));
  EXPECT_THAT(Database::Open("sqlite:"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("file path")));
  EXPECT_THAT(Database::Open("mysql://h/db"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DatabaseOptionsTest, SqliteMemoryMapAndPageCacheSizes) {
  ASSERT_OK_AND_ASSIGN(DatabaseOptions d, DatabaseOptions::FromUrl("sqlite:a.db"));
  EXPECT_EQ(d.mmap_size, int64_t{0x7fff0000});  // SQLite's ceiling on Debian: the whole of most files
  EXPECT_EQ(d.cache_size, 0);                   // SQLite's own default
  ASSERT_OK_AND_ASSIGN(DatabaseOptions o,
                       DatabaseOptions::FromUrl("sqlite:a.db?mmap_size=64MiB&cache_size=8MiB"));
  EXPECT_EQ(o.mmap_size, int64_t{64} << 20);
  EXPECT_EQ(o.cache_size, int64_t{8} << 20);
  ASSERT_OK_AND_ASSIGN(DatabaseOptions off,
                       DatabaseOptions::FromUrl("sqlite:a.db?mmap_size=0&cache_size=1000000"));
  EXPECT_EQ(off.mmap_size, 0);
  EXPECT_EQ(off.cache_size, 1000000);
  for (const char* bad :
       {"mmap_size=-1", "mmap_size=lots", "cache_size=1.5MiB", "cache_size=", "mmap_size=9GiBs"}) {
    auto s = DatabaseOptions::FromUrl(std::string("sqlite:a.db?") + bad);
    const std::string field = std::string(bad).substr(0, std::string(bad).find('='));
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << bad;
    EXPECT_EQ(StatusField(s.status()), field) << bad;
  }
  // SQLite knobs: not parameters of a Postgres URL.
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u@h/db?mmap_size=1GiB"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mmap_size")));
  DatabaseOptions neg;
  neg.url = "sqlite::memory:";
  neg.mmap_size = -1;
  EXPECT_THAT(Database::Open(neg), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mmap_size")));
}

// The sizes reach every connection: the writer and each reader report them back.
TEST(DatabaseOptionsTest, SqliteConnectionsRunTheMemoryMapAndPageCachePragmas) {
  const std::string file =
      (std::filesystem::temp_directory_path() / ("daira-mmap-" + std::to_string(::getpid()) + ".db"))
          .string();
  {
    ASSERT_OK_AND_ASSIGN(auto db,
                         Database::Open("sqlite:" + file + "?mmap_size=64MiB&cache_size=8MiB&readers=1"));
    RequestContext ctx;
    ASSERT_OK_AND_ASSIGN(ResultSet w_mmap, db->Execute(ctx, "PRAGMA mmap_size"));
    ASSERT_OK_AND_ASSIGN(ResultSet w_cache, db->Execute(ctx, "PRAGMA cache_size"));
    ASSERT_OK_AND_ASSIGN(ResultSet r_mmap, db->Read(ctx, "PRAGMA mmap_size"));
    ASSERT_OK_AND_ASSIGN(ResultSet r_cache, db->Read(ctx, "PRAGMA cache_size"));
    EXPECT_EQ(w_mmap.row(0).Int64(0), int64_t{64} << 20);
    EXPECT_EQ(r_mmap.row(0).Int64(0), int64_t{64} << 20);
    EXPECT_EQ(w_cache.row(0).Int64(0), -8192);  // negative: KiB
    EXPECT_EQ(r_cache.row(0).Int64(0), -8192);
    ASSERT_OK_AND_ASSIGN(auto dflt, Database::Open("sqlite:" + file));
    ASSERT_OK_AND_ASSIGN(ResultSet d_mmap, dflt->Read(ctx, "PRAGMA mmap_size"));
    EXPECT_EQ(d_mmap.row(0).Int64(0), int64_t{0x7fff0000});
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
}

TEST(DatabaseOptionsTest, MemoryDatabaseReadsThroughTheWriter) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open("sqlite::memory:"));
  RequestContext ctx;
  ASSERT_OK(db->Execute(ctx, "CREATE TABLE m (a BIGINT)"));
  ASSERT_OK(db->Execute(ctx, "INSERT INTO m (a) VALUES (?)", {int64_t{5}}));
  // A separate reader connection would see a different (empty) in-memory database.
  ASSERT_OK_AND_ASSIGN(ResultSet rs, db->Read(ctx, "SELECT a FROM m"));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.row(0).Int64(0), 5);
  ASSERT_EQ(db->Stats().size(), 1u);
  EXPECT_EQ(db->Stats()[0].open, 1);
  EXPECT_EQ(db->backend(), Backend::kSqlite);
  EXPECT_EQ(db->dialect().name(), "sqlite");
}

// Issue 9: "%00" would cut the path at the NUL byte and open another file.
TEST(DatabaseOptionsTest, NulByteInAnyComponentIsRefused) {
  const std::string dir = ::testing::TempDir();
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:" + dir + "/a.db%00evil"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("path"), HasSubstr("NUL"))));
  // Open refuses it too, and no file named by the truncated path appears.
  EXPECT_THAT(Database::Open("sqlite:" + dir + "/nul-cut.db%00x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/nul-cut.db"));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://u:p%00w@h/db"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password must not contain a NUL")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://h/db%00x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path")));
  EXPECT_THAT(DatabaseOptions::FromUrl("postgres://h/db?sslmode=re%00quire"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sslmode must not contain a NUL")));
}

// Issue 9: readers beyond the open-file limit used to fail later as "unable to open database file".
TEST(DatabaseOptionsTest, ReadersBoundedByTheFileDescriptorLimit) {
  struct rlimit rl {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur == RLIM_INFINITY) GTEST_FAIL() << "RLIMIT_NOFILE is unlimited here; the bound cannot apply";
  EXPECT_THAT(DatabaseOptions::FromUrl("sqlite:/tmp/x.db?readers=100000"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("readers must be at most"), HasSubstr("RLIMIT_NOFILE"),
                             HasSubstr("(got 100000)"))));
  EXPECT_OK(DatabaseOptions::FromUrl("sqlite:/tmp/x.db?readers=8").status());
}

// Issue 9: an unknown parameter's value is not echoed when it may be a secret.
TEST(DatabaseOptionsTest, UnknownSecretParameterValueNeverEchoed) {
  for (const char* url : {"sqlite:/tmp/x.db?sslpassword=Hunter2", "sqlite:/tmp/x.db?PASSWORD=Hunter2",
                          "sqlite:/tmp/x.db?note=u:Hunter2@host"}) {
    auto o = DatabaseOptions::FromUrl(url);
    EXPECT_THAT(o, StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("***"), Not(HasSubstr("Hunter2")))))
        << url;
  }
}

}  // namespace
}  // namespace daira::store
