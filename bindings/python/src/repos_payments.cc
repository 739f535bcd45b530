// p.wallets, p.transactions (the money journal) and p.payments: the payments repositories with field
// masks, batch reads, keyset lists, create / update (only the fields given) / delete, each call
// optionally inside a transaction (tx=). The money rule holds here as in C++: no call writes a
// balance (docs/services/payments.md).
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "common.h"
#include "daira/services/payment_repository.h"
#include "daira/services/transaction_repository.h"
#include "daira/services/wallet_repository.h"
#include "module.h"
#include "repository.h"

namespace daira::python {
namespace {

struct WalletsTraits {
  using Api = WalletsApi;
  using Id = WalletId;
  static constexpr const char* kIdArg = "wallet_id";
  static services::WalletRepository& Repo(Platform& p) { return p.wallets(); }
  static const auto& Columns() { return services::WalletColumns(); }
  static auto& Items(services::WalletBatch& b) { return b.wallets; }
};
struct JournalTraits {
  using Api = JournalApi;
  using Id = TransactionId;
  static constexpr const char* kIdArg = "transaction_id";
  static services::TransactionRepository& Repo(Platform& p) { return p.transactions(); }
  static const auto& Columns() { return services::TransactionColumns(); }
  static auto& Items(services::TransactionBatch& b) { return b.transactions; }
};
struct PaymentsTraits {
  using Api = PaymentsApi;
  using Id = PaymentId;
  static constexpr const char* kIdArg = "payment_id";
  static services::PaymentRepository& Repo(Platform& p) { return p.payments(); }
  static const auto& Columns() { return services::PaymentColumns(); }
  static auto& Items(services::PaymentBatch& b) { return b.payments; }
};

void BindWallets(py::module_& m) {
  py::class_<WalletsApi> c(m, "Wallets",
                           "Typed access to wallets. Balances and totals are never written here: they move only\n"
                           "with journal rows, in the wallet service's transactions (the money rule).");
  BindReads<WalletsTraits>(c);
  c.def(
       "find_by_user",
       [](WalletsApi& a, int64_t user_id, py::object fields, TxState* tx) {
         auto mask = ParseFields(services::WalletColumns(), fields);
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.wallets().FindByUserId(ctx, UserId{user_id}, mask);
         });
       },
       py::arg("user_id"), py::kw_only(), py::arg("fields") = py::none(), py::arg("tx") = py::none(),
       "The wallet of this user (one per user); NotFound otherwise.")
      .def(
          "count",
          [](WalletsApi& a, std::optional<std::string> currency, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallets().Count(ctx, currency.has_value() ? std::optional<std::string_view>(*currency)
                                                                 : std::nullopt);
            });
          },
          py::kw_only(), py::arg("currency") = py::none(), py::arg("tx") = py::none(),
          "Number of wallets, or of wallets in `currency`.")
      .def(
          "create",
          [](WalletsApi& a, int64_t user_id, std::string currency, TxState* tx) {
            services::NewWallet w{.user_id = UserId{user_id}, .currency = std::move(currency)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallets().Create(ctx, w);
            });
          },
          py::kw_only(), py::arg("user_id"), py::arg("currency") = "USD", py::arg("tx") = py::none(),
          "A new wallet at zero → Wallet. AlreadyExists (field user_id) when the user has one;\n"
          "FailedPrecondition when the user does not exist; InvalidArgument naming the field.")
      .def(
          "update",
          [](WalletsApi& a, int64_t id, std::optional<std::string> currency, py::object last_payout_at,
             TxState* tx) {
            services::WalletPatch patch{.currency = std::move(currency), .last_payout_at = OptTimeArg(last_payout_at)};
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallets().Update(ctx, WalletId{id}, patch);
            });
          },
          py::arg("wallet_id"), py::kw_only(), py::arg("currency") = py::none(), py::arg("last_payout_at") = py::none(),
          py::arg("tx") = py::none(),
          "Writes only the fields given (there are no money fields). InvalidArgument (field 'patch') when\n"
          "none is; NotFound; FailedPrecondition (field 'balance') changing the currency of a non-empty wallet.")
      .def(
          "delete",
          [](WalletsApi& a, int64_t id, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.wallets().Delete(ctx, WalletId{id});
            });
          },
          py::arg("wallet_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Deletes an empty wallet. NotFound; FailedPrecondition while it holds money or is referenced.")
      .def("__repr__", [](const WalletsApi&) { return std::string("<daira.Wallets>"); });
}

void BindJournal(py::module_& m) {
  py::class_<JournalApi> c(m, "TransactionJournal",
                           "The append-only money journal (p.transactions): only a PENDING row is settled\n"
                           "(status, completed_at, balance_after); a COMPLETED row is never deleted.");
  BindReads<JournalTraits>(c);
  c.def(
       "find_by_idempotency_key",
       [](JournalApi& a, int64_t wallet_id, std::string key, py::object fields, TxState* tx) {
         auto mask = ParseFields(services::TransactionColumns(), fields);
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.transactions().FindByIdempotencyKey(ctx, WalletId{wallet_id}, key, mask);
         });
       },
       py::arg("wallet_id"), py::arg("idempotency_key"), py::kw_only(), py::arg("fields") = py::none(),
       py::arg("tx") = py::none(), "The wallet's row with this idempotency key; NotFound otherwise.")
      .def(
          "count",
          [](JournalApi& a, std::optional<int64_t> wallet_id, std::optional<std::string> type,
             std::optional<std::string> status, TxState* tx) {
            services::TransactionFilter f{
                .wallet_id = OptId<WalletId>(wallet_id),
                .type = OptEnumArg<model::TransactionType>("count transactions", "type", type),
                .status = OptEnumArg<model::TransactionStatus>("count transactions", "status", status)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.transactions().Count(ctx, f);
            });
          },
          py::kw_only(), py::arg("wallet_id") = py::none(), py::arg("type") = py::none(), py::arg("status") = py::none(),
          py::arg("tx") = py::none(), "Number of rows matching every filter given.")
      .def(
          "list_by_wallet",
          [](JournalApi& a, int64_t wallet_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::TransactionColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [wallet_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.transactions().ListByWallet(ctx, WalletId{wallet_id}, r, mask);
                            });
          },
          py::arg("wallet_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the wallet's rows, newest first.")
      .def(
          "create",
          [](JournalApi& a, int64_t wallet_id, std::string type, int64_t amount, std::string currency,
             std::string status, std::optional<int64_t> counterparty, std::optional<int64_t> balance_after,
             py::object metadata, std::optional<std::string> key, TxState* tx) {
            services::NewTransaction row{
                .wallet_id = WalletId{wallet_id},
                .counterparty_wallet_id = OptId<WalletId>(counterparty),
                .type = EnumArg<model::TransactionType>("create transaction", "type", type),
                .status = EnumArg<model::TransactionStatus>("create transaction", "status", status),
                .amount = amount,
                .currency = std::move(currency),
                .balance_after = balance_after,
                .metadata = JsonArg(metadata),
                .idempotency_key = std::move(key)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.transactions().Create(ctx, row);
            });
          },
          py::kw_only(), py::arg("wallet_id"), py::arg("type"), py::arg("amount"), py::arg("currency") = "USD",
          py::arg("status") = "PENDING", py::arg("counterparty_wallet_id") = py::none(),
          py::arg("balance_after") = py::none(), py::arg("metadata") = "{}", py::arg("idempotency_key") = py::none(),
          py::arg("tx") = py::none(),
          "Appends a journal row → WalletTransaction (the wallet's balance is not touched). metadata: a\n"
          "JSON object (str, or a dict serialized for you). AlreadyExists (field idempotency_key);\n"
          "FailedPrecondition when a wallet does not exist; InvalidArgument naming the field.")
      .def(
          "update",
          [](JournalApi& a, int64_t id, std::optional<std::string> status, py::object completed_at,
             std::optional<int64_t> balance_after, TxState* tx) {
            services::TransactionPatch patch{
                .status = OptEnumArg<model::TransactionStatus>("update transaction", "status", status),
                .completed_at = OptTimeArg(completed_at),
                .balance_after = balance_after};
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.transactions().Update(ctx, TransactionId{id}, patch);
            });
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("status") = py::none(), py::arg("completed_at") = py::none(),
          py::arg("balance_after") = py::none(), py::arg("tx") = py::none(),
          "Settles a PENDING row, writing only the fields given. FailedPrecondition (field 'status') once\n"
          "it is COMPLETED or FAILED; NotFound; InvalidArgument (field 'patch') when no field is given.")
      .def(
          "delete",
          [](JournalApi& a, int64_t id, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.transactions().Delete(ctx, TransactionId{id});
            });
          },
          py::arg("transaction_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Deletes a row that never completed. FailedPrecondition (field 'status') for a COMPLETED row.")
      .def("__repr__", [](const JournalApi&) { return std::string("<daira.TransactionJournal>"); });
}

void BindPaymentsRepo(py::module_& m) {
  py::class_<PaymentsApi> c(m, "Payments", "Charges and payouts with an external provider.");
  BindReads<PaymentsTraits>(c);
  c.def(
       "find_by_external_id",
       [](PaymentsApi& a, std::string provider, std::string external_id, py::object fields, TxState* tx) {
         auto prov = EnumArg<model::PaymentProvider>("find payment", "provider", provider);
         auto mask = ParseFields(services::PaymentColumns(), fields);
         return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
           return p.payments().FindByExternalId(ctx, prov, external_id, mask);
         });
       },
       py::arg("provider"), py::arg("external_id"), py::kw_only(), py::arg("fields") = py::none(),
       py::arg("tx") = py::none(), "The payment the provider knows by this reference; NotFound otherwise.")
      .def(
          "count",
          [](PaymentsApi& a, std::optional<int64_t> user_id, std::optional<std::string> provider,
             std::optional<std::string> status, TxState* tx) {
            services::PaymentFilter f{
                .user_id = OptId<UserId>(user_id),
                .provider = OptEnumArg<model::PaymentProvider>("count payments", "provider", provider),
                .status = OptEnumArg<model::PaymentStatus>("count payments", "status", status)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.payments().Count(ctx, f);
            });
          },
          py::kw_only(), py::arg("user_id") = py::none(), py::arg("provider") = py::none(),
          py::arg("status") = py::none(), py::arg("tx") = py::none(), "Number of payments matching every filter given.")
      .def(
          "list_by_user",
          [](PaymentsApi& a, int64_t user_id, int limit, std::string cursor, py::object fields, TxState* tx) {
            auto mask = ParseFields(services::PaymentColumns(), fields);
            return ListPage(a.core, tx, limit, cursor,
                            [user_id, mask](Platform& p, const RequestContext& ctx, const query::PageRequest& r) {
                              return p.payments().ListByUser(ctx, UserId{user_id}, r, mask);
                            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("limit") = 20, py::arg("cursor") = "",
          py::arg("fields") = py::none(), py::arg("tx") = py::none(), "A Page of the user's payments, newest first.")
      .def(
          "create",
          [](PaymentsApi& a, int64_t user_id, int64_t amount, std::string provider, std::string currency,
             std::optional<std::string> external_id, std::optional<int64_t> wallet_id,
             std::optional<int64_t> transaction_id, std::string status, py::object metadata, TxState* tx) {
            services::NewPayment pay{
                .user_id = UserId{user_id},
                .provider = EnumArg<model::PaymentProvider>("create payment", "provider", provider),
                .amount = amount,
                .currency = std::move(currency),
                .external_id = std::move(external_id),
                .wallet_id = OptId<WalletId>(wallet_id),
                .transaction_id = OptId<TransactionId>(transaction_id),
                .status = EnumArg<model::PaymentStatus>("create payment", "status", status),
                .metadata = JsonArg(metadata)};
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.payments().Create(ctx, pay);
            });
          },
          py::kw_only(), py::arg("user_id"), py::arg("amount"), py::arg("provider") = "STRIPE",
          py::arg("currency") = "USD", py::arg("external_id") = py::none(), py::arg("wallet_id") = py::none(),
          py::arg("transaction_id") = py::none(), py::arg("status") = "PENDING", py::arg("metadata") = "{}",
          py::arg("tx") = py::none(),
          "Records a payment → Payment (no money moves). AlreadyExists (field external_id);\n"
          "FailedPrecondition when the user, wallet or transaction is missing; InvalidArgument naming the field.")
      .def(
          "update",
          [](PaymentsApi& a, int64_t id, std::optional<std::string> status, std::optional<std::string> external_id,
             std::optional<std::string> error, std::optional<int64_t> wallet_id,
             std::optional<int64_t> transaction_id, py::object metadata, TxState* tx) {
            services::PaymentPatch patch{
                .status = OptEnumArg<model::PaymentStatus>("update payment", "status", status),
                .external_id = std::move(external_id),
                .error = std::move(error),
                .wallet_id = OptId<WalletId>(wallet_id),
                .transaction_id = OptId<TransactionId>(transaction_id),
                .metadata = OptJsonArg(metadata)};
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.payments().Update(ctx, PaymentId{id}, patch);
            });
          },
          py::arg("payment_id"), py::kw_only(), py::arg("status") = py::none(), py::arg("external_id") = py::none(),
          py::arg("error") = py::none(), py::arg("wallet_id") = py::none(), py::arg("transaction_id") = py::none(),
          py::arg("metadata") = py::none(), py::arg("tx") = py::none(),
          "Writes only the fields given (error='' clears it). InvalidArgument (field 'patch') when none is;\n"
          "NotFound; AlreadyExists (field external_id).")
      .def(
          "delete",
          [](PaymentsApi& a, int64_t id, TxState* tx) {
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.payments().Delete(ctx, PaymentId{id});
            });
          },
          py::arg("payment_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Deletes a PENDING or FAILED payment; FailedPrecondition (field 'status') otherwise.")
      .def("__repr__", [](const PaymentsApi&) { return std::string("<daira.Payments>"); });
  AddPaymentFlow(c);  // start_deposit, handle_webhook, settle (payments_service.cc)
}

}  // namespace

void RegisterPaymentsRepos(py::module_& m) {
  BindWallets(m);
  BindJournal(m);
  BindPaymentsRepo(m);
}

}  // namespace daira::python
