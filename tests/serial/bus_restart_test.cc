// The Postgres bus across a restart of its server (a private one: scripts/lib/private_pg.sh): jobs
// committed before survive, and a worker blocked in Next resumes by itself — its instance's LISTEN
// connection reconnects and it is woken by the next enqueue from another instance, with no polling
// (idle_recheck is one hour, so only a wake-up can return the job in time).
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "daira/bus/queue.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_postgres.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira {
namespace {

using ::daira::testing::InCi;
using ::daira::testing::PrivatePostgres;

TEST(BusPostgresRestartTest, CommittedJobsSurviveAndABlockedWorkerResumesByItself) {
  if (!::daira::testing::PrivatePostgresAvailable()) {
    if (InCi()) FAIL() << "CI=true but no PostgreSQL server binaries for a private server";
    GTEST_SKIP() << "no PostgreSQL server binaries: the bus across a server restart is NOT covered";
  }
  ASSERT_OK_AND_ASSIGN(auto pg, PrivatePostgres::Start(false));
  const std::string url = pg->url() + "?validate_after_ms=0";
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto producer_db, store::Database::Open(url));
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(*producer_db));
  ASSERT_OK(migrator->Migrate(ctx));
  ASSERT_OK_AND_ASSIGN(auto producer,
                       bus::OpenQueue("postgres:?idle_recheck_ms=3600000", producer_db.get(), url));
  // The consumer is another instance: its own pool and its own LISTEN connection.
  ASSERT_OK_AND_ASSIGN(auto consumer_db, store::Database::Open(url));
  ASSERT_OK_AND_ASSIGN(auto consumer,
                       bus::OpenQueue("postgres:?idle_recheck_ms=3600000", consumer_db.get(), url));

  bus::EnqueueRequest r;
  r.queue = "search.index";
  r.payload = R"({"before":"restart"})";
  ASSERT_OK_AND_ASSIGN(auto before, producer->Enqueue(ctx, r));

  ASSERT_OK(pg->Restart());

  auto survived = consumer->Next(ctx, "search.index", "consumer", std::chrono::seconds(60));
  ASSERT_OK(survived.status());
  ASSERT_TRUE(survived->has_value());
  EXPECT_EQ((*survived)->id, before.id);
  ASSERT_OK(consumer->Complete(ctx, **survived));

  std::optional<bus::Job> got;
  std::thread worker([&] {
    RequestContext wctx;
    auto job = consumer->Next(wctx, "search.index", "consumer", std::chrono::seconds(120));
    ASSERT_OK(job.status());
    got = *job;
  });
  r.payload = R"({"after":"restart"})";
  ASSERT_OK_AND_ASSIGN(auto after, producer->Enqueue(ctx, r));
  worker.join();
  ASSERT_TRUE(got.has_value()) << "the blocked worker was not woken after the restart";
  EXPECT_EQ(got->id, after.id);
}

}  // namespace
}  // namespace daira
