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
  c.def(
       "deposit",
       [](MoneyApi& a, int64_t user, int64_t amount, const std::string& currency, const std::string& provider,
          const std::string& key, TxState* tx) {
         auto mv = CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.wallet_service().Deposit(ctx, {.user_id = user,
                                                   .amount = amount,
                                                   .currency = currency,
                                                   .provider = provider,
                                                   .idempotency_key = key});
         });
         return MovementDict(mv);
       },
       py::arg("user_id"), py::kw_only(), py::arg("amount"), py::arg("currency") = "USD", py::arg("provider"),
       py::arg("idempotency_key"), py::arg("tx") = py::none(), "Starts a deposit → PENDING movement.")
      .def(
          "confirm_deposit",
          [](MoneyApi& a, int64_t id, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().ConfirmDeposit(ctx, TransactionId{id});
            }));
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("tx") = py::none(), "Credits a PENDING deposit.")
      .def(
          "fail_deposit",
          [](MoneyApi& a, int64_t id, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().FailDeposit(ctx, TransactionId{id});
            }));
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "withdraw",
          [](MoneyApi& a, int64_t user, int64_t amount, const std::string& currency,
             const std::string& provider, const std::string& key, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().Withdraw(ctx, {.user_id = user,
                                                       .amount = amount,
                                                       .currency = currency,
                                                       .provider = provider,
                                                       .idempotency_key = key});
            }));
          },
          py::arg("user_id"), py::kw_only(), py::arg("amount"), py::arg("currency") = "USD",
          py::arg("provider"), py::arg("idempotency_key"), py::arg("tx") = py::none(),
          "Holds the amount at once → PENDING movement.")
      .def(
          "complete_withdrawal",
          [](MoneyApi& a, int64_t id, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().CompleteWithdrawal(ctx, TransactionId{id});
            }));
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "fail_withdrawal",
          [](MoneyApi& a, int64_t id, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().FailWithdrawal(ctx, TransactionId{id});
            }));
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("tx") = py::none())
      .def(
          "tip",
          [](MoneyApi& a, int64_t sender, int64_t receiver, int64_t amount, const std::string& currency,
             const std::string& key, std::optional<std::string> note, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().Tip(ctx, {.sender_id = sender,
                                                  .receiver_id = receiver,
                                                  .amount = amount,
                                                  .currency = currency,
                                                  .idempotency_key = key,
                                                  .note = note});
            }));
          },
          py::arg("sender_id"), py::arg("receiver_id"), py::kw_only(), py::arg("amount"),
          py::arg("currency") = "USD", py::arg("idempotency_key"), py::arg("note") = py::none(),
          py::arg("tx") = py::none(), "Moves money at once (minus the platform fee) → COMPLETED movement.")
      .def(
          "earn",
          [](MoneyApi& a, int64_t user, int64_t amount, const std::string& currency, const std::string& key,
             std::optional<std::string> description, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().Earn(ctx, {.user_id = user,
                                                   .amount = amount,
                                                   .currency = currency,
                                                   .idempotency_key = key,
                                                   .description = description});
            }));
          },
          py::arg("user_id"), py::kw_only(), py::arg("amount"), py::arg("currency") = "USD",
          py::arg("idempotency_key"), py::arg("description") = py::none(), py::arg("tx") = py::none())
      .def(
          "refund",
          [](MoneyApi& a, int64_t id, int64_t amount, const std::string& key,
             std::optional<std::string> reason, std::optional<int64_t> actor_id, TxState* tx) {
            return MovementDict(CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().Refund(ctx, {.transaction_id = id,
                                                     .amount = amount,
                                                     .idempotency_key = key,
                                                     .reason = reason,
                                                     .actor_id = actor_id});
            }));
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("amount"), py::arg("idempotency_key"),
          py::arg("reason") = py::none(), py::arg("actor_id") = py::none(), py::arg("tx") = py::none(),
          "Refunds part of a COMPLETED deposit, tip or earning (never more than remains); its audit row\n"
          "names actor_id (an admin; None: the system).")
      .def(
          "balance",
          [](MoneyApi& a, int64_t user, const std::string& currency, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallet_service().Balance(ctx, UserId{user}, currency);
            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("currency") = "USD", py::arg("tx") = py::none())
      .def(
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
