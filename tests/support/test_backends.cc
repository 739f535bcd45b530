#include "test_backends.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"
#include "daira/core/url.h"

namespace daira::testing {

std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

bool InCi() {
  std::string ci = EnvOr("CI");
  return ci == "true" || ci == "1";
}

std::vector<std::string> SqlBackends() {
  static const std::vector<std::string> kBackends = [] {
    std::vector<std::string> out = {"sqlite"};
    if (!EnvOr("DAIRA_TEST_PG").empty() || InCi()) {
      out.push_back("postgres");
    } else {
      std::fprintf(stderr,
                   "*** DAIRA_TEST_PG is not set: PostgreSQL is NOT covered by this run "
                   "(./scripts/test starts a server and sets it) ***\n");
    }
    return out;
  }();
  return kBackends;
}

namespace {
std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrCat(getpid(), "_", rng() % 1000000000);
}
std::string WithParam(const std::string& url, const std::string& kv) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + kv;
}
}  // namespace

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(std::string_view backend,
                                                                   const store::DatabaseOptions& base,
                                                                   bool with_replica) {
  std::unique_ptr<TestDatabase> t(new TestDatabase());
  t->backend_ = std::string(backend);
  t->options_ = base;
  RequestContext ctx;
  if (backend == "sqlite") {
    auto dir = std::filesystem::temp_directory_path() / "daira-tests";
    std::filesystem::create_directories(dir);
    t->file_ = (dir / absl::StrCat("t_", RandomSuffix(), ".db")).string();
    t->url_ = "sqlite:" + t->file_;
  } else if (backend == "postgres") {
    std::string pg = EnvOr("DAIRA_TEST_PG");
    if (pg.empty()) {
      return absl::FailedPreconditionError(
          "DAIRA_TEST_PG is not set but CI=true requires PostgreSQL coverage (run ./scripts/test)");
    }
    t->admin_url_ = pg;
    t->schema_ = "t_" + RandomSuffix();
    store::DatabaseOptions admin;
    admin.url = pg;
    admin.pool.pool_min = 0;
    admin.pool.pool_max = 1;
    auto admin_db = store::Database::Open(admin);
    if (!admin_db.ok()) return admin_db.status();
    auto created = (*admin_db)->Execute(ctx, "CREATE SCHEMA " + t->schema_);
    if (!created.ok()) return created.status();
    // libpq's `options` parameter: every connection of this database uses the fresh schema.
    t->url_ = WithParam(pg, "options=" + PercentEncode("-csearch_path=" + t->schema_));
    if (with_replica) {
      std::string replica = EnvOr("DAIRA_TEST_PG_REPLICA");
      if (replica.empty()) return absl::FailedPreconditionError("DAIRA_TEST_PG_REPLICA is not set");
      replica = WithParam(replica, "options=" + PercentEncode("-csearch_path=" + t->schema_));
      t->url_ = WithParam(t->url_, "replica=" + PercentEncode(replica));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown test backend ", std::string(backend)));
  }
  auto st = t->Reopen(base);
  if (!st.ok()) return st;
  return t;
}

absl::Status TestDatabase::Reopen(const store::DatabaseOptions& options) {
  db_.reset();
  auto parsed = store::DatabaseOptions::FromUrl(url_);
  if (!parsed.ok()) return parsed.status();
  store::DatabaseOptions o = options;
  o.url = parsed->url;
  o.replicas = parsed->replicas;
  if (backend_ == "postgres") {
    // Tests open many databases; keep each pool small unless a test asks otherwise.
    if (options.pool.pool_min == store::PoolOptions{}.pool_min) o.pool.pool_min = 1;
  }
  auto db = store::Database::Open(o);
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  return absl::OkStatus();
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (!file_.empty()) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file_ + suffix, ec);
  }
  if (!schema_.empty()) {
    store::DatabaseOptions admin;
    admin.url = admin_url_;
    admin.pool.pool_min = 0;
    admin.pool.pool_max = 1;
    auto admin_db = store::Database::Open(admin);
    if (admin_db.ok()) {
      RequestContext ctx;
      (void)(*admin_db)->Execute(ctx, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }
  }
}

}  // namespace daira::testing
