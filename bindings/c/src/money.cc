// daira_money_*: services::Wallets over JSON (docs/money.md, include/daira_c.h "money").
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/services/wallets.h"
#include "internal.h"

using daira::JsonWriter;

namespace {
namespace services = daira::services;
using daira::cabi::Request;
using daira::cabi::WriteId;
using daira::cabi::WriteTime;

void OptId(JsonWriter& w, const char* key, const std::optional<int64_t>& id) {
  w.Key(key);
  if (id)
    WriteId(w, *id);
  else
    w.Null();
}

}  // namespace

// Shared with payment_service.cc (internal.h).
std::string daira::cabi::MovementJson(const services::Movement& m) {
  JsonWriter w;
  w.BeginObject().Key("id");
  WriteId(w, m.id.value);
  w.Key("type").String(daira::model::ToString(m.type)).Key("status").String(daira::model::ToString(m.status));
  w.Key("user_id");
  WriteId(w, m.user_id.value);
  w.Key("wallet_id");
  WriteId(w, m.wallet_id.value);
  OptId(w, "counterparty_wallet_id",
        m.counterparty_wallet_id ? std::optional<int64_t>(m.counterparty_wallet_id->value) : std::nullopt);
  w.Key("amount").Int(m.amount).Key("fee").Int(m.fee).Key("currency").String(m.currency);
  w.Key("balance_after").Int(m.balance_after);
  OptId(w, "refund_of", m.refund_of ? std::optional<int64_t>(m.refund_of->value) : std::nullopt);
  w.Key("description");
  if (m.description)
    w.String(*m.description);
  else
    w.Null();
  w.Key("created_at");
  WriteTime(w, m.created_at);
  w.EndObject();
  return w.Take();
}

namespace {
using daira::cabi::MovementJson;

void WriteLine(JsonWriter& w, const services::StatementLine& l) {
  w.BeginObject().Key("line_id");
  WriteId(w, l.line_id);
  w.Key("transaction_id");
  WriteId(w, l.transaction_id.value);
  w.Key("type").String(daira::model::ToString(l.type)).Key("status").String(daira::model::ToString(l.status));
  w.Key("amount").Int(l.amount).Key("currency").String(l.currency).Key("description");
  if (l.description)
    w.String(*l.description);
  else
    w.Null();
  w.Key("created_at");
  WriteTime(w, l.created_at);
  w.EndObject();
}

}  // namespace

DAIRA_CABI_CALL(daira_money_deposit, "money.deposit") {
  services::DepositRequest req{.user_id = r.Id("user_id"),
                               .amount = r.Int("amount", 0),
                               .currency = r.String("currency", "USD"),
                               .provider = r.String("provider"),
                               .idempotency_key = r.String("idempotency_key")};
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().Deposit(ctx, req));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_confirm_deposit, "money.confirm_deposit") {
  const daira::TransactionId id(r.Id("transaction_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().ConfirmDeposit(ctx, id));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_fail_deposit, "money.fail_deposit") {
  const daira::TransactionId id(r.Id("transaction_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().FailDeposit(ctx, id));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_withdraw, "money.withdraw") {
  services::WithdrawRequest req{.user_id = r.Id("user_id"),
                                .amount = r.Int("amount", 0),
                                .currency = r.String("currency", "USD"),
                                .provider = r.String("provider"),
                                .idempotency_key = r.String("idempotency_key")};
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().Withdraw(ctx, req));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_complete_withdrawal, "money.complete_withdrawal") {
  const daira::TransactionId id(r.Id("transaction_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().CompleteWithdrawal(ctx, id));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_fail_withdrawal, "money.fail_withdrawal") {
  const daira::TransactionId id(r.Id("transaction_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().FailWithdrawal(ctx, id));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_tip, "money.tip") {
  services::TipRequest req{.sender_id = r.Id("sender_id"),
                           .receiver_id = r.Id("receiver_id"),
                           .amount = r.Int("amount", 0),
                           .currency = r.String("currency", "USD"),
                           .idempotency_key = r.String("idempotency_key"),
                           .note = r.OptString("note")};
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().Tip(ctx, req));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_earn, "money.earn") {
  services::EarningRequest req{.user_id = r.Id("user_id"),
                               .amount = r.Int("amount", 0),
                               .currency = r.String("currency", "USD"),
                               .idempotency_key = r.String("idempotency_key"),
                               .description = r.OptString("description")};
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().Earn(ctx, req));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_refund, "money.refund") {
  services::RefundRequest req{.transaction_id = r.Id("transaction_id"),
                              .amount = r.Int("amount", 0),
                              .idempotency_key = r.String("idempotency_key"),
                              .reason = r.OptString("reason"),
                              .actor_id = r.OptId("actor_id")};
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::Movement m, p.wallet_service().Refund(ctx, req));
  return MovementJson(m);
}

DAIRA_CABI_CALL(daira_money_balance, "money.balance") {
  const daira::UserId user(r.Id("user_id"));
  const std::string currency = r.String("currency", "USD");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(services::WalletBalance b, p.wallet_service().Balance(ctx, user, currency));
  JsonWriter w;
  w.BeginObject().Key("wallet_id");
  WriteId(w, b.wallet_id.value);
  w.Key("currency").String(b.currency).Key("balance").Int(b.balance).Key("earned_total").Int(b.earned_total);
  w.Key("spent_total").Int(b.spent_total).Key("tips_received").Int(b.tips_received).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_money_statement, "money.statement") {
  const daira::UserId user(r.Id("user_id"));
  const std::string currency = r.String("currency", "USD");
  daira::query::PageRequest page;
  page.limit = r.Int("limit", daira::query::kDefaultPageLimit);
  page.cursor = r.String("cursor");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.wallet_service().Statement(ctx, user, currency, page));
  return daira::cabi::PageJson(result, WriteLine);
}
