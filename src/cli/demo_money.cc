// The money part of `daira demo`: an earning credited to a creator, a tip with a 5% platform fee moving
// it to a fan over the double-entry ledger, the same tip retried with its idempotency key (money moves
// once), and the ledger checked (docs/money.md).
#include <cstdlib>
#include <string>

#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/services/wallets.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

std::string Usd(int64_t cents) {
  return fmt::format("{}{}.{:02d} USD", cents < 0 ? "-" : "", std::abs(cents) / 100, std::abs(cents) % 100);
}

}  // namespace

absl::Status DemoMoney(store::Database& db) {
  RequestContext ctx(
      {.correlation_id = "demo-money", .caller = "cli:demo", .timeout = std::chrono::milliseconds(0)});
  const services::ServiceDeps deps{.db = &db};
  services::Wallets wallets(deps, {.tip_fee_bps = 500});
  fmt::print("\nmoney  (daira::services::Wallets, one transaction per movement; docs/money.md)\n");
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet picks,
      db.Read(ctx,
              "SELECT a.id, b.id FROM users a JOIN users b ON b.id > a.id WHERE a.status = 'ACTIVE' AND "
              "b.status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM blocks k WHERE (k.blocker_id = a.id AND "
              "k.blocked_id = b.id) OR (k.blocker_id = b.id AND k.blocked_id = a.id)) ORDER BY a.id, b.id "
              "LIMIT 1"));
  if (picks.empty() || picks.front().IsNull(0) || picks.front().IsNull(1)) {
    fmt::print("  (needs two active users: nothing to show)\n");
    return absl::OkStatus();
  }
  const int64_t fan = picks.front().Int64(0);
  const int64_t creator = picks.front().Int64(1);
  Stopwatch sw;
  DAIRA_RETURN_IF_ERROR(wallets
                            .Earn(ctx, {.user_id = fan,
                                        .amount = 10'000,
                                        .idempotency_key = "demo-earning-1",
                                        .description = "demo: referral bonus"})
                            .status());
  fmt::print("  earning   user {} +{}  ({})\n", fan, Usd(10'000), FormatDuration(sw.Elapsed()));
  const services::TipRequest tip{.sender_id = fan,
                                 .receiver_id = creator,
                                 .amount = 500,
                                 .idempotency_key = "demo-tip-1",
                                 .note = "great post"};
  sw.Restart();
  DAIRA_ASSIGN_OR_RETURN(services::Movement first, wallets.Tip(ctx, tip));
  const auto took = sw.Elapsed();
  DAIRA_ASSIGN_OR_RETURN(services::Movement again, wallets.Tip(ctx, tip));  // a retry: same key, same answer
  fmt::print("  tip       user {} → user {}: {} (platform fee {})  ({}); retried with its key: {}\n", fan,
             creator, Usd(first.amount), Usd(first.fee), FormatDuration(took),
             again == first ? "the same movement, no money moved" : "A DIFFERENT MOVEMENT (bug)");
  DAIRA_ASSIGN_OR_RETURN(services::WalletBalance fan_balance, wallets.Balance(ctx, UserId{fan}, "USD"));
  DAIRA_ASSIGN_OR_RETURN(services::WalletBalance creator_balance,
                         wallets.Balance(ctx, UserId{creator}, "USD"));
  DAIRA_ASSIGN_OR_RETURN(int64_t platform, wallets.PlatformBalance(ctx, "USD"));
  fmt::print("      balances: user {} {} · user {} {} (tips received {}) · platform {}\n", fan,
             Usd(fan_balance.balance), creator, Usd(creator_balance.balance),
             Usd(creator_balance.tips_received), Usd(platform));
  DAIRA_ASSIGN_OR_RETURN(services::Wallets::LedgerReport report, wallets.CheckLedger(ctx));
  fmt::print(
      "      ledger: {} wallet differences, {} unbalanced movements (every movement's lines sum to zero)\n",
      report.wallets.size(), report.unbalanced.size());
  if (again != first || !report.wallets.empty() || !report.unbalanced.empty()) {
    return absl::InternalError("demo: money: the ledger does not balance");
  }
  return absl::OkStatus();
}

}  // namespace daira::inline v0::cli
