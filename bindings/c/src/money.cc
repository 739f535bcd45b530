// daira_money_*: services::Wallets over JSON (docs/money.md, include/daira_c.h "money").
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/services/wallets.h"
#include "internal.h"
#include "service_call.h"

using daira::JsonWriter;

namespace {
namespace services = daira::services;
using daira::cabi::Request;
using daira::cabi::WriteId;
using daira::cabi::WriteTime;

void WriteOptId(JsonWriter& w, const char* key, const std::optional<int64_t>& id) {
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
  WriteOptId(
      w, "counterparty_wallet_id",
      m.counterparty_wallet_id ? std::optional<int64_t>(m.counterparty_wallet_id->value) : std::nullopt);
  w.Key("amount").Int(m.amount).Key("fee").Int(m.fee).Key("currency").String(m.currency);
  w.Key("balance_after").Int(m.balance_after);
  WriteOptId(w, "refund_of", m.refund_of ? std::optional<int64_t>(m.refund_of->value) : std::nullopt);
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

namespace {
using daira::TransactionId;
using namespace daira::cabi::fields;  // NOLINT: the readers and encoders of the descriptions below

constexpr auto kWallets = &daira::Platform::wallet_service;
}  // namespace

services::DepositRequest daira::cabi::ReadDepositRequest(Request& r) {
  static const auto kRead = Struct<services::DepositRequest>(
      Set{&services::DepositRequest::user_id, Id{"user_id"}},
      Set{&services::DepositRequest::amount, Int{"amount"}},
      Set{&services::DepositRequest::currency, Str{"currency", "USD"}},
      Set{&services::DepositRequest::provider, Str{"provider"}},
      Set{&services::DepositRequest::idempotency_key, Str{"idempotency_key"}});
  return kRead(r);
}

services::RefundRequest daira::cabi::ReadRefundRequest(Request& r) {
  static const auto kRead =
      Struct<services::RefundRequest>(Set{&services::RefundRequest::transaction_id, Id{"transaction_id"}},
                                      Set{&services::RefundRequest::amount, Int{"amount"}},
                                      Set{&services::RefundRequest::idempotency_key, Str{"idempotency_key"}},
                                      Set{&services::RefundRequest::reason, OptStr{"reason"}},
                                      Set{&services::RefundRequest::actor_id, OptId{"actor_id"}});
  return kRead(r);
}

DAIRA_CABI_SERVICE_CALL(daira_money_deposit, "money.deposit", kWallets, &services::Wallets::Deposit,
                        MovementJson, daira::cabi::ReadDepositRequest)

DAIRA_CABI_SERVICE_CALL(daira_money_confirm_deposit, "money.confirm_deposit", kWallets,
                        &services::Wallets::ConfirmDeposit, MovementJson,
                        IdAs<TransactionId>{"transaction_id"})

DAIRA_CABI_SERVICE_CALL(daira_money_fail_deposit, "money.fail_deposit", kWallets,
                        &services::Wallets::FailDeposit, MovementJson, IdAs<TransactionId>{"transaction_id"})

DAIRA_CABI_SERVICE_CALL(daira_money_withdraw, "money.withdraw", kWallets, &services::Wallets::Withdraw,
                        MovementJson,
                        Struct<services::WithdrawRequest>(
                            Set{&services::WithdrawRequest::user_id, Id{"user_id"}},
                            Set{&services::WithdrawRequest::amount, Int{"amount"}},
                            Set{&services::WithdrawRequest::currency, Str{"currency", "USD"}},
                            Set{&services::WithdrawRequest::provider, Str{"provider"}},
                            Set{&services::WithdrawRequest::idempotency_key, Str{"idempotency_key"}}))

DAIRA_CABI_SERVICE_CALL(daira_money_complete_withdrawal, "money.complete_withdrawal", kWallets,
                        &services::Wallets::CompleteWithdrawal, MovementJson,
                        IdAs<TransactionId>{"transaction_id"})

DAIRA_CABI_SERVICE_CALL(daira_money_fail_withdrawal, "money.fail_withdrawal", kWallets,
                        &services::Wallets::FailWithdrawal, MovementJson,
                        IdAs<TransactionId>{"transaction_id"})

DAIRA_CABI_SERVICE_CALL(
    daira_money_tip, "money.tip", kWallets, &services::Wallets::Tip, MovementJson,
    Struct<services::TipRequest>(Set{&services::TipRequest::sender_id, Id{"sender_id"}},
                                 Set{&services::TipRequest::receiver_id, Id{"receiver_id"}},
                                 Set{&services::TipRequest::amount, Int{"amount"}},
                                 Set{&services::TipRequest::currency, Str{"currency", "USD"}},
                                 Set{&services::TipRequest::idempotency_key, Str{"idempotency_key"}},
                                 Set{&services::TipRequest::note, OptStr{"note"}}))

DAIRA_CABI_SERVICE_CALL(
    daira_money_earn, "money.earn", kWallets, &services::Wallets::Earn, MovementJson,
    Struct<services::EarningRequest>(Set{&services::EarningRequest::user_id, Id{"user_id"}},
                                     Set{&services::EarningRequest::amount, Int{"amount"}},
                                     Set{&services::EarningRequest::currency, Str{"currency", "USD"}},
                                     Set{&services::EarningRequest::idempotency_key, Str{"idempotency_key"}},
                                     Set{&services::EarningRequest::description, OptStr{"description"}}))

DAIRA_CABI_SERVICE_CALL(daira_money_refund, "money.refund", kWallets, &services::Wallets::Refund,
                        MovementJson, daira::cabi::ReadRefundRequest)

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
