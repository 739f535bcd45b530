// Money across a restart of its Postgres server (a private one: scripts/lib/private_pg.sh), in the
// middle of concurrent deposits, withdrawals and tips. A client whose call failed for a transient reason
// (connection lost, the server shutting down — including a COMMIT whose answer was lost) retries it with
// the same idempotency key, so every movement happens exactly once: afterwards the sum of balances plus
// the platform account equals confirmed deposits minus paid withdrawals, as tracked by the clients, no
// balance is negative, and every wallet equals its ledger lines.
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"
#include "daira/services/wallets.h"
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

// A business refusal is final (it wrote nothing); anything else may be the restart: retry.
bool Definitive(const absl::Status& s) {
  return s.ok() || absl::IsInvalidArgument(s) || absl::IsFailedPrecondition(s) || absl::IsNotFound(s);
}

// Calls `fn` until its answer is definitive (retry backoff 20 ms, at most 60 s: a policy for a server
// that is restarting, not a stand-in for synchronization).
std::atomic<int> g_retries{0};
template <typename F>
auto Retry(F&& fn) {
  auto r = fn();
  for (int i = 0; i < 3000 && !Definitive(r.status()); ++i) {
    ++g_retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    r = fn();
  }
  return r;
}

TEST(MoneyPostgresRestartTest, MoneyIsConservedAcrossARestartWithRetriedKeys) {
  if (!::daira::testing::PrivatePostgresAvailable()) {
    if (InCi()) FAIL() << "CI=true but no PostgreSQL server binaries for a private server";
    GTEST_SKIP() << "no PostgreSQL server binaries: money across a server restart is NOT covered";
  }
  ASSERT_OK_AND_ASSIGN(auto pg, PrivatePostgres::Start(false));
  const std::string url = pg->url() + "?validate_after_ms=0";
  RequestContext ctx;
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(url));
  ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(*db));
  ASSERT_OK(migrator->Migrate(ctx));
  constexpr int kUsers = 20, kThreads = 4, kOps = 150;
  for (int u = 1; u <= kUsers; ++u) {
    ASSERT_OK(db->Execute(ctx, "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, 0, 0)",
                          {int64_t{u}, absl::StrCat("u", u)})
                  .status());
  }
  services::Wallets wallets(services::ServiceDeps{.db = db.get()}, {.tip_fee_bps = 300});

  std::atomic<int64_t> deposits{0}, withdrawals{0}, progress{0}, tips{0};
  std::atomic<bool> stuck{false};
  auto worker = [&](int t) {
    RequestContext wctx;
    std::mt19937_64 rng(99 + t);
    auto user = [&] { return static_cast<int64_t>(1 + rng() % kUsers); };
    for (int i = 0; i < kOps; ++i, ++progress) {
      const std::string key = absl::StrCat("rs-", t, "-", i);
      const int64_t amount = 1 + static_cast<int64_t>(rng() % 300);
      const int kind = static_cast<int>(rng() % 3);
      const int64_t who = user();
      if (kind == 0) {
        auto d = Retry([&] {
          return wallets.Deposit(
              wctx, {.user_id = who, .amount = amount, .provider = "STRIPE", .idempotency_key = key});
        });
        if (!d.ok()) {
          stuck = stuck || !Definitive(d.status());
          continue;
        }
        auto c = Retry([&] { return wallets.ConfirmDeposit(wctx, d->id); });
        if (c.ok())
          deposits += amount;
        else
          stuck = true;
      } else if (kind == 1) {
        auto w = Retry([&] {
          return wallets.Withdraw(
              wctx, {.user_id = who, .amount = amount, .provider = "STRIPE", .idempotency_key = key});
        });
        if (!w.ok()) {
          stuck = stuck || !Definitive(w.status());
          continue;
        }
        auto c = Retry([&] { return wallets.CompleteWithdrawal(wctx, w->id); });
        if (c.ok())
          withdrawals += amount;
        else
          stuck = true;
      } else {
        const int64_t from = who, to = user();
        auto m = Retry([&] {
          return wallets.Tip(
              wctx, {.sender_id = from, .receiver_id = to, .amount = amount, .idempotency_key = key});
        });
        if (m.ok())
          ++tips;
        else
          stuck = stuck || !Definitive(m.status());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) pool.emplace_back(worker, t);
  // Restart once the clients are well under way.
  while (progress.load() < kThreads * kOps / 3) std::this_thread::yield();
  ASSERT_OK(pg->Restart());
  for (auto& th : pool) th.join();

  EXPECT_FALSE(stuck.load()) << "a call never got a definitive answer after the restart";
  EXPECT_GT(tips.load(), 0);
  ASSERT_OK_AND_ASSIGN(int64_t platform, wallets.PlatformBalance(ctx, "USD"));
  ASSERT_OK_AND_ASSIGN(auto sum, db->Execute(ctx,
                                             "SELECT COALESCE(SUM(balance), 0), COALESCE(MIN(balance), 0) "
                                             "FROM wallets"));
  EXPECT_EQ(sum.front().Int64(0) + platform, deposits.load() - withdrawals.load());
  EXPECT_GE(sum.front().Int64(1), 0);
  ASSERT_OK_AND_ASSIGN(services::Wallets::LedgerReport report, wallets.CheckLedger(ctx));
  EXPECT_TRUE(report.wallets.empty());
  EXPECT_TRUE(report.unbalanced.empty());
  RecordProperty("retried_calls", g_retries.load());  // how many calls the restart interrupted
}

}  // namespace
}  // namespace daira
