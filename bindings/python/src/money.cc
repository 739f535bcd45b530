// p.money: wallets over the double-entry ledger (docs/money.md) — deposit (and confirm/fail), withdraw
// (and complete/fail), tip, earning, refund, balance and statement pages. Every call that moves money
// takes idempotency_key=; errors raise the daira.<Code> exception naming the field.
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/services/wallets.h"
#include "module.h"
#include "page.h"
#include "service_call.h"
#include "transaction.h"

namespace daira::python {

py::dict MovementDict(const services::Movement& m) {
  py::dict d;
  d["id"] = m.id.value;
  d["type"] = std::string(model::ToString(m.type));
  d["status"] = std::string(model::ToString(m.status));
  d["user_id"] = m.user_id.value;
  d["wallet_id"] = m.wallet_id.value;
  d["counterparty_wallet_id"] = m.counterparty_wallet_id
                                    ? py::object(py::int_(m.counterparty_wallet_id->value))
                                    : py::object(py::none());
  d["amount"] = m.amount;
  d["fee"] = m.fee;
  d["currency"] = m.currency;
  d["balance_after"] = m.balance_after;
  d["refund_of"] = m.refund_of ? py::object(py::int_(m.refund_of->value)) : py::object(py::none());
  d["description"] = m.description ? py::object(py::str(*m.description)) : py::object(py::none());
  d["created_at"] = ToDatetime(m.created_at);
  return d;
}

void RegisterMoney(py::module_& m) {
  py::class_<services::WalletBalance>(m, "WalletBalance",
                                      "A user's wallet in one currency (zeros before first use).")
      .def_property_readonly("wallet_id", [](const services::WalletBalance& b) { return b.wallet_id.value; })
      .def_readonly("currency", &services::WalletBalance::currency)
      .def_readonly("balance", &services::WalletBalance::balance)
      .def_readonly("earned_total", &services::WalletBalance::earned_total)
      .def_readonly("spent_total", &services::WalletBalance::spent_total)
      .def_readonly("tips_received", &services::WalletBalance::tips_received)
      .def("__repr__", [](const services::WalletBalance& b) {
        return "WalletBalance(" + b.currency + " " + std::to_string(b.balance) + ")";
      });
  py::class_<services::StatementLine>(m, "StatementLine", "One ledger line of a wallet (amount signed).")
      .def_readonly("line_id", &services::StatementLine::line_id)
      .def_property_readonly("transaction_id",
                             [](const services::StatementLine& l) { return l.transaction_id.value; })
      .def_property_readonly(
          "type", [](const services::StatementLine& l) { return std::string(model::ToString(l.type)); })
      .def_property_readonly(
          "status", [](const services::StatementLine& l) { return std::string(model::ToString(l.status)); })
      .def_readonly("amount", &services::StatementLine::amount)
      .def_readonly("currency", &services::StatementLine::currency)
      .def_readonly("description", &services::StatementLine::description)
      .def_property_readonly("created_at",
                             [](const services::StatementLine& l) { return ToDatetime(l.created_at); })
      .def("__repr__", [](const services::StatementLine& l) {
        return "StatementLine(" + std::string(model::ToString(l.type)) + " " + std::to_string(l.amount) + ")";
      });

  py::class_<MoneyApi> c(
      m, "Money",
      "Wallets over the double-entry ledger. Movements come back as dicts (id, type, status,\n"
      "user_id, wallet_id, counterparty_wallet_id, amount, fee, currency, balance_after,\n"
      "refund_of, description, created_at).");
  using services::Wallets;
  constexpr auto kWallets = &Platform::wallet_service;
  using Deposit = services::DepositRequest;
  using Withdraw = services::WithdrawRequest;
  using Tip = services::TipRequest;
  using Earn = services::EarningRequest;
  using Refund = services::RefundRequest;
  DefRequest<kWallets, &Wallets::Deposit,
             Fields<&Deposit::user_id, &Deposit::amount, &Deposit::currency, &Deposit::provider,
                    &Deposit::idempotency_key>,
             &MovementDict>(c, "deposit", py::arg("user_id"), py::kw_only(), py::arg("amount"),
                            py::arg("currency") = "USD", py::arg("provider"), py::arg("idempotency_key"),
                            TxArg(), "Starts a deposit → PENDING movement.");
  DefCall<kWallets, &Wallets::ConfirmDeposit, &MovementDict>(
      c, "confirm_deposit", py::arg("transaction_id"), py::kw_only(), TxArg(), "Credits a PENDING deposit.");
  DefCall<kWallets, &Wallets::FailDeposit, &MovementDict>(c, "fail_deposit", py::arg("transaction_id"),
                                                          py::kw_only(), TxArg());
  DefRequest<kWallets, &Wallets::Withdraw,
             Fields<&Withdraw::user_id, &Withdraw::amount, &Withdraw::currency, &Withdraw::provider,
                    &Withdraw::idempotency_key>,
             &MovementDict>(c, "withdraw", py::arg("user_id"), py::kw_only(), py::arg("amount"),
                            py::arg("currency") = "USD", py::arg("provider"), py::arg("idempotency_key"),
                            TxArg(), "Holds the amount at once → PENDING movement.");
  DefCall<kWallets, &Wallets::CompleteWithdrawal, &MovementDict>(
      c, "complete_withdrawal", py::arg("transaction_id"), py::kw_only(), TxArg());
  DefCall<kWallets, &Wallets::FailWithdrawal, &MovementDict>(c, "fail_withdrawal", py::arg("transaction_id"),
                                                             py::kw_only(), TxArg());
  DefRequest<kWallets, &Wallets::Tip,
             Fields<&Tip::sender_id, &Tip::receiver_id, &Tip::amount, &Tip::currency, &Tip::idempotency_key,
                    &Tip::note>,
             &MovementDict>(c, "tip", py::arg("sender_id"), py::arg("receiver_id"), py::kw_only(),
                            py::arg("amount"), py::arg("currency") = "USD", py::arg("idempotency_key"),
                            py::arg("note") = py::none(), TxArg(),
                            "Moves money at once (minus the platform fee) → COMPLETED movement.");
  DefRequest<
      kWallets, &Wallets::Earn,
      Fields<&Earn::user_id, &Earn::amount, &Earn::currency, &Earn::idempotency_key, &Earn::description>,
      &MovementDict>(c, "earn", py::arg("user_id"), py::kw_only(), py::arg("amount"),
                     py::arg("currency") = "USD", py::arg("idempotency_key"),
                     py::arg("description") = py::none(), TxArg());
  DefRequest<kWallets, &Wallets::Refund,
             Fields<&Refund::transaction_id, &Refund::amount, &Refund::idempotency_key, &Refund::reason,
                    &Refund::actor_id>,
             &MovementDict>(
      c, "refund", py::arg("transaction_id"), py::kw_only(), py::arg("amount"), py::arg("idempotency_key"),
      py::arg("reason") = py::none(), py::arg("actor_id") = py::none(), TxArg(),
      "Refunds part of a COMPLETED deposit, tip or earning (never more than remains); its audit row\n"
      "names actor_id (an admin; None: the system).");
  DefCall<kWallets, &Wallets::Balance>(c, "balance", py::arg("user_id"), py::kw_only(),
                                       py::arg("currency") = "USD", TxArg());
  c.def(
      "statement",
      [](MoneyApi& a, int64_t user, const std::string& currency, int limit, const std::string& cursor) {
        auto fetch = [user, currency, limit](Platform& p, const std::string& c) {
          return p.wallet_service().Statement(RequestContext(), UserId{user}, currency,
                                              {.limit = limit, .cursor = c});
        };
        return FetchPage(a.core, fetch, cursor);
      },
      py::arg("user_id"), py::kw_only(), py::arg("currency") = "USD", py::arg("limit") = 20,
      py::arg("cursor") = "", "The wallet's ledger lines, newest first → Page[StatementLine].");
}

}  // namespace daira::python
