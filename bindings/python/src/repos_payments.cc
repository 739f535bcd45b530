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
#include "service_call.h"

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
  using Repo = services::WalletRepository;
  using Patch = services::WalletPatch;
  py::class_<WalletsApi> c(m, "Wallets",
                           "Typed access to wallets. Balances and totals are never written here: they move only\n"
                           "with journal rows, in the wallet service's transactions (the money rule).");
  BindReads<WalletsTraits>(c);
  DefRepoCall<WalletsTraits, &Repo::FindByUserId>(
      c, "find_by_user", py::arg("user_id"), py::kw_only(), py::arg("fields") = py::none(), TxArg(),
      "The wallet of this user (one per user); NotFound otherwise.");
  DefRepoCall<WalletsTraits, &Repo::Count>(c, "count", py::kw_only(), py::arg("currency") = py::none(),
                                           TxArg(), "Number of wallets, or of wallets in `currency`.");
  DefRepoRequest<WalletsTraits, &Repo::Create,
                 Fields<&services::NewWallet::user_id, &services::NewWallet::currency>>(
      c, "create", py::kw_only(), py::arg("user_id"), py::arg("currency") = "USD", TxArg(),
      "A new wallet at zero → Wallet. AlreadyExists (field user_id) when the user has one;\n"
      "FailedPrecondition when the user does not exist; InvalidArgument naming the field.");
  DefRepoRequest<WalletsTraits, &Repo::Update, Fields<&Patch::currency, &Patch::last_payout_at>>(
      c, "update", py::arg("wallet_id"), py::kw_only(), py::arg("currency") = py::none(),
      py::arg("last_payout_at") = py::none(), TxArg(),
      "Writes only the fields given (there are no money fields). InvalidArgument (field 'patch') when\n"
      "none is; NotFound; FailedPrecondition (field 'balance') changing the currency of a non-empty wallet.");
  DefRepoCall<WalletsTraits, &Repo::Delete>(
      c, "delete", py::arg("wallet_id"), py::kw_only(), TxArg(),
      "Deletes an empty wallet. NotFound; FailedPrecondition while it holds money or is referenced.");
  c.def("__repr__", [](const WalletsApi&) { return std::string("<daira.Wallets>"); });
}

void BindJournal(py::module_& m) {
  using Repo = services::TransactionRepository;
  using F = services::TransactionFilter;
  using Row = services::NewTransaction;
  using Patch = services::TransactionPatch;
  py::class_<JournalApi> c(m, "TransactionJournal",
                           "The append-only money journal (p.transactions): only a PENDING row is settled\n"
                           "(status, completed_at, balance_after); a COMPLETED row is never deleted.");
  BindReads<JournalTraits>(c);
  DefRepoCall<JournalTraits, &Repo::FindByIdempotencyKey>(
      c, "find_by_idempotency_key", py::arg("wallet_id"), py::arg("idempotency_key"), py::kw_only(),
      py::arg("fields") = py::none(), TxArg(),
      "The wallet's row with this idempotency key; NotFound otherwise.");
  DefRepoRequest<JournalTraits, &Repo::Count, Fields<&F::wallet_id, &F::type, &F::status>>(
      c, Named{"count", "count transactions"}, py::kw_only(), py::arg("wallet_id") = py::none(),
      py::arg("type") = py::none(), py::arg("status") = py::none(), TxArg(),
      "Number of rows matching every filter given.");
  DefList<JournalTraits, &Repo::ListByWallet>(c, "list_by_wallet", py::arg("wallet_id"), DAIRA_PY_LIST_ARGS,
                                              "A Page of the wallet's rows, newest first.");
  DefRepoRequest<
      JournalTraits, &Repo::Create,
      Fields<&Row::wallet_id, &Row::type, &Row::amount, &Row::currency, &Row::status,
             &Row::counterparty_wallet_id, &Row::balance_after, Json(&Row::metadata), &Row::idempotency_key>>(
      c, Named{"create", "create transaction"}, py::kw_only(), py::arg("wallet_id"), py::arg("type"),
      py::arg("amount"), py::arg("currency") = "USD", py::arg("status") = "PENDING",
      py::arg("counterparty_wallet_id") = py::none(), py::arg("balance_after") = py::none(),
      py::arg("metadata") = "{}", py::arg("idempotency_key") = py::none(), TxArg(),
      "Appends a journal row → WalletTransaction (the wallet's balance is not touched). metadata: a\n"
      "JSON object (str, or a dict serialized for you). AlreadyExists (field idempotency_key);\n"
      "FailedPrecondition when a wallet does not exist; InvalidArgument naming the field.");
  DefRepoRequest<JournalTraits, &Repo::Update,
                 Fields<&Patch::status, &Patch::completed_at, &Patch::balance_after>>(
      c, Named{"update", "update transaction"}, py::arg("transaction_id"), py::kw_only(),
      py::arg("status") = py::none(), py::arg("completed_at") = py::none(),
      py::arg("balance_after") = py::none(), TxArg(),
      "Settles a PENDING row, writing only the fields given. FailedPrecondition (field 'status') once\n"
      "it is COMPLETED or FAILED; NotFound; InvalidArgument (field 'patch') when no field is given.");
  DefRepoCall<JournalTraits, &Repo::Delete>(
      c, "delete", py::arg("transaction_id"), py::kw_only(), TxArg(),
      "Deletes a row that never completed. FailedPrecondition (field 'status') for a COMPLETED row.");
  c.def("__repr__", [](const JournalApi&) { return std::string("<daira.TransactionJournal>"); });
}

void BindPaymentsRepo(py::module_& m) {
  using Repo = services::PaymentRepository;
  using F = services::PaymentFilter;
  using Row = services::NewPayment;
  using Patch = services::PaymentPatch;
  py::class_<PaymentsApi> c(m, "Payments", "Charges and payouts with an external provider.");
  BindReads<PaymentsTraits>(c);
  DefRepoCall<PaymentsTraits, &Repo::FindByExternalId>(
      c, Named{"find_by_external_id", "find payment"}, py::arg("provider"), py::arg("external_id"),
      py::kw_only(), py::arg("fields") = py::none(), TxArg(),
      "The payment the provider knows by this reference; NotFound otherwise.");
  DefRepoRequest<PaymentsTraits, &Repo::Count, Fields<&F::user_id, &F::provider, &F::status>>(
      c, Named{"count", "count payments"}, py::kw_only(), py::arg("user_id") = py::none(),
      py::arg("provider") = py::none(), py::arg("status") = py::none(), TxArg(),
      "Number of payments matching every filter given.");
  DefList<PaymentsTraits, &Repo::ListByUser>(c, "list_by_user", py::arg("user_id"), DAIRA_PY_LIST_ARGS,
                                             "A Page of the user's payments, newest first.");
  DefRepoRequest<PaymentsTraits, &Repo::Create,
                 Fields<&Row::user_id, &Row::amount, &Row::provider, &Row::currency, &Row::external_id,
                        &Row::wallet_id, &Row::transaction_id, &Row::status, Json(&Row::metadata)>>(
      c, Named{"create", "create payment"}, py::kw_only(), py::arg("user_id"), py::arg("amount"),
      py::arg("provider") = "STRIPE", py::arg("currency") = "USD", py::arg("external_id") = py::none(),
      py::arg("wallet_id") = py::none(), py::arg("transaction_id") = py::none(),
      py::arg("status") = "PENDING", py::arg("metadata") = "{}", TxArg(),
      "Records a payment → Payment (no money moves). AlreadyExists (field external_id);\n"
      "FailedPrecondition when the user, wallet or transaction is missing; InvalidArgument naming the "
      "field.");
  DefRepoRequest<PaymentsTraits, &Repo::Update,
                 Fields<&Patch::status, &Patch::external_id, &Patch::error, &Patch::wallet_id,
                        &Patch::transaction_id, Json(&Patch::metadata)>>(
      c, Named{"update", "update payment"}, py::arg("payment_id"), py::kw_only(),
      py::arg("status") = py::none(), py::arg("external_id") = py::none(), py::arg("error") = py::none(),
      py::arg("wallet_id") = py::none(), py::arg("transaction_id") = py::none(),
      py::arg("metadata") = py::none(), TxArg(),
      "Writes only the fields given (error='' clears it). InvalidArgument (field 'patch') when none is;\n"
      "NotFound; AlreadyExists (field external_id).");
  DefRepoCall<PaymentsTraits, &Repo::Delete>(
      c, "delete", py::arg("payment_id"), py::kw_only(), TxArg(),
      "Deletes a PENDING or FAILED payment; FailedPrecondition (field 'status') otherwise.");
  c.def("__repr__", [](const PaymentsApi&) { return std::string("<daira.Payments>"); });
  AddPaymentFlow(c);  // start_deposit, handle_webhook, settle (payments_service.cc)
}

}  // namespace

void RegisterPaymentsRepos(py::module_& m) {
  BindWallets(m);
  BindJournal(m);
  BindPaymentsRepo(m);
}

}  // namespace daira::python
