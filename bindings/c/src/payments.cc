// payments: the wallets, transactions (the journal) and payments repositories. The money rule is the
// C++ side's (docs/services/payments.md): no call here can write a balance or a total, journal rows
// change only while PENDING, and completed money is never deleted; their errors pass through as is.
#include "daira/services/payment_repository.h"
#include "daira/services/transaction_repository.h"
#include "daira/services/wallet_repository.h"
#include "records.h"

namespace {
using daira::Platform;
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables
using daira::cabi::MaskedWriter;
using daira::cabi::OptEnum;
using daira::cabi::OptIdOf;
using daira::cabi::RecordOf;
namespace model = daira::model;
namespace query = daira::query;
namespace services = daira::services;

struct WalletKind {
  using Model = model::Wallet;
  using Field = model::WalletField;
  using Id = daira::WalletId;
  using Batch = services::WalletBatch;
  static constexpr auto kItems = &Batch::wallets;
  static services::WalletRepository& Repo(Platform& p) { return p.wallets(); }
  static const query::FieldTable<Field>& Columns() { return services::WalletColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kUserId, "user_id", m.user_id);
    w.Field(Field::kBalance, "balance", m.balance).Field(Field::kCurrency, "currency", m.currency);
    w.Field(Field::kEarnedTotal, "earned_total", m.earned_total).Field(Field::kSpentTotal, "spent_total", m.spent_total);
    w.Field(Field::kTipsReceived, "tips_received", m.tips_received);
    w.Field(Field::kLastPayoutAt, "last_payout_at", m.last_payout_at);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
  }
};

struct TransactionKind {
  using Model = model::Transaction;
  using Field = model::TransactionField;
  using Id = daira::TransactionId;
  using Batch = services::TransactionBatch;
  static constexpr auto kItems = &Batch::transactions;
  static services::TransactionRepository& Repo(Platform& p) { return p.transactions(); }
  static const query::FieldTable<Field>& Columns() { return services::TransactionColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kWalletId, "wallet_id", m.wallet_id);
    w.Field(Field::kCounterpartyWalletId, "counterparty_wallet_id", m.counterparty_wallet_id);
    w.Field(Field::kType, "type", m.type).Field(Field::kStatus, "status", m.status);
    w.Field(Field::kAmount, "amount", m.amount).Field(Field::kCurrency, "currency", m.currency);
    w.Field(Field::kBalanceAfter, "balance_after", m.balance_after).Object(Field::kMetadata, "metadata", m.metadata);
    w.Field(Field::kIdempotencyKey, "idempotency_key", m.idempotency_key);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
    w.Field(Field::kCompletedAt, "completed_at", m.completed_at);
  }
};

struct PaymentKind {
  using Model = model::Payment;
  using Field = model::PaymentField;
  using Id = daira::PaymentId;
  using Batch = services::PaymentBatch;
  static constexpr auto kItems = &Batch::payments;
  static services::PaymentRepository& Repo(Platform& p) { return p.payments(); }
  static const query::FieldTable<Field>& Columns() { return services::PaymentColumns(); }
  static void Write(MaskedWriter<Field>& w, const Model& m) {
    w.Field(Field::kId, "id", m.id).Field(Field::kUserId, "user_id", m.user_id);
    w.Field(Field::kWalletId, "wallet_id", m.wallet_id).Field(Field::kTransactionId, "transaction_id", m.transaction_id);
    w.Field(Field::kProvider, "provider", m.provider).Field(Field::kExternalId, "external_id", m.external_id);
    w.Field(Field::kAmount, "amount", m.amount).Field(Field::kCurrency, "currency", m.currency);
    w.Field(Field::kStatus, "status", m.status).Field(Field::kError, "error", m.error);
    w.Object(Field::kMetadata, "metadata", m.metadata);
    w.Field(Field::kCreatedAt, "created_at", m.created_at).Field(Field::kUpdatedAt, "updated_at", m.updated_at);
  }
};

}  // namespace

std::string daira::cabi::PaymentJson(const model::Payment& payment) {
  return RecordOf<PaymentKind>(payment, PaymentKind::Columns().All());
}

// ---- wallets ----

DAIRA_CABI_RECORD_READS(daira_wallets, WalletKind, "wallets")
DAIRA_CABI_RECORD_DELETE(daira_wallets, WalletKind, "wallets")

DAIRA_CABI_SERVICE_CALL(daira_wallets_count, "wallets.count", &WalletKind::Repo,
                        &services::WalletRepository::Count, Count{"count"}, OptStr{"currency"})
DAIRA_CABI_RECORD_METHOD(daira_wallets_find_by_user, "wallets.find_by_user", WalletKind,
                         &services::WalletRepository::FindByUserId, IdAs<daira::UserId>{"user_id"})
DAIRA_CABI_SERVICE_CALL(
    daira_wallets_create, "wallets.create", &WalletKind::Repo, &services::WalletRepository::Create,
    FullRecord<WalletKind>,
    Struct<services::NewWallet>(Set{&services::NewWallet::user_id, IdAs<daira::UserId>{"user_id"}},
                                Set{&services::NewWallet::currency, Str{"currency", "USD"}}))

DAIRA_CABI_CALL(daira_wallets_update, "wallets.update") {
  // The money rule: balances and totals change only with journal rows, never through an update.
  for (std::string_view money : {"balance", "earned_total", "spent_total", "tips_received"}) {
    if (r.Has(money)) {
      return daira::InvalidField(r.op(), money,
                                 "cannot be written: money moves only with journal rows (the money rule)");
    }
  }
  const daira::WalletId id(r.Id("id"));
  services::WalletPatch patch;
  patch.currency = r.OptString("currency");
  patch.last_payout_at = r.OptTime("last_payout_at");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.wallets().Update(ctx, id, patch));
  return daira::cabi::EmptyJson();
}

// ---- transactions ----

DAIRA_CABI_RECORD_READS(daira_transactions, TransactionKind, "transactions")
DAIRA_CABI_RECORD_DELETE(daira_transactions, TransactionKind, "transactions")

using services::NewTransaction;
using services::PaymentPatch;
using services::TransactionFilter;
using services::TransactionPatch;
using services::TransactionRepository;

DAIRA_CABI_SERVICE_CALL(
    daira_transactions_count, "transactions.count", &TransactionKind::Repo, &TransactionRepository::Count,
    Count{"count"},
    Struct<TransactionFilter>(Set{&TransactionFilter::wallet_id, OptIdAs<daira::WalletId>{"wallet_id"}},
                              Set{&TransactionFilter::type,
                                  Enum<model::TransactionType>("type", model::kTransactionTypeNames)},
                              Set{&TransactionFilter::status,
                                  Enum<model::TransactionStatus>("status", model::kTransactionStatusNames)}))

DAIRA_CABI_RECORD_METHOD(daira_transactions_find_by_idempotency_key, "transactions.find_by_idempotency_key",
                         TransactionKind, &TransactionRepository::FindByIdempotencyKey,
                         IdAs<daira::WalletId>{"wallet_id"}, Str{"idempotency_key"})
DAIRA_CABI_RECORD_METHOD(daira_transactions_list_by_wallet, "transactions.list_by_wallet", TransactionKind,
                         &TransactionRepository::ListByWallet, IdAs<daira::WalletId>{"wallet_id"}, Page{})

DAIRA_CABI_SERVICE_CALL(
    daira_transactions_create, "transactions.create", &TransactionKind::Repo, &TransactionRepository::Create,
    FullRecord<TransactionKind>,
    Struct<NewTransaction>(
        Set{&NewTransaction::wallet_id, IdAs<daira::WalletId>{"wallet_id"}},
        Set{&NewTransaction::counterparty_wallet_id, OptIdAs<daira::WalletId>{"counterparty_wallet_id"}},
        Set{&NewTransaction::type,
            EnumOr("type", model::kTransactionTypeNames, model::TransactionType::kDeposit)},
        Set{&NewTransaction::status,
            EnumOr("status", model::kTransactionStatusNames, model::TransactionStatus::kPending)},
        Set{&NewTransaction::amount, Int{"amount"}}, Set{&NewTransaction::currency, Str{"currency", "USD"}},
        Set{&NewTransaction::balance_after, OptInt{"balance_after"}},
        Set{&NewTransaction::metadata, ObjectTextOr{"metadata"}},
        Set{&NewTransaction::idempotency_key, OptStr{"idempotency_key"}}))

DAIRA_CABI_SERVICE_CALL(
    daira_transactions_update, "transactions.update", &TransactionKind::Repo, &TransactionRepository::Update,
    Empty{}, IdAs<daira::TransactionId>{"id"},
    Struct<TransactionPatch>(Set{&TransactionPatch::status,
                                 Enum<model::TransactionStatus>("status", model::kTransactionStatusNames)},
                             Set{&TransactionPatch::completed_at, OptTime{"completed_at"}},
                             Set{&TransactionPatch::balance_after, OptInt{"balance_after"}}))

// ---- payments ----

DAIRA_CABI_RECORD_READS(daira_payments, PaymentKind, "payments")
DAIRA_CABI_RECORD_DELETE(daira_payments, PaymentKind, "payments")

DAIRA_CABI_SERVICE_CALL(daira_payments_count, "payments.count", &PaymentKind::Repo,
                        &services::PaymentRepository::Count, Count{"count"},
                        Struct<services::PaymentFilter>(
                            Set{&services::PaymentFilter::user_id, OptIdAs<daira::UserId>{"user_id"}},
                            Set{&services::PaymentFilter::provider,
                                Enum<model::PaymentProvider>("provider", model::kPaymentProviderNames)},
                            Set{&services::PaymentFilter::status,
                                Enum<model::PaymentStatus>("status", model::kPaymentStatusNames)}))

DAIRA_CABI_RECORD_CALL(daira_payments_find_by_external_id, "payments.find_by_external_id", PaymentKind) {
  const std::optional<model::PaymentProvider> provider =
      OptEnum<model::PaymentProvider>(r, "provider", model::kPaymentProviderNames);
  const std::string external_id = r.String("external_id");
  DAIRA_CABI_CHECK(r);
  if (!provider) return daira::InvalidField(r.op(), "provider", "is required");
  DAIRA_ASSIGN_OR_RETURN(model::Payment payment, p.payments().FindByExternalId(ctx, *provider, external_id, mask));
  return RecordOf<PaymentKind>(payment, mask);
}

DAIRA_CABI_RECORD_METHOD(daira_payments_list_by_user, "payments.list_by_user", PaymentKind,
                         &services::PaymentRepository::ListByUser, IdAs<daira::UserId>{"user_id"}, Page{})

using services::NewPayment;
DAIRA_CABI_SERVICE_CALL(
    daira_payments_create, "payments.create", &PaymentKind::Repo, &services::PaymentRepository::Create,
    FullRecord<PaymentKind>,
    Struct<NewPayment>(Set{&NewPayment::user_id, IdAs<daira::UserId>{"user_id"}},
                       Set{&NewPayment::provider,
                           EnumOr("provider", model::kPaymentProviderNames, model::PaymentProvider::kStripe)},
                       Set{&NewPayment::amount, Int{"amount"}},
                       Set{&NewPayment::currency, Str{"currency", "USD"}},
                       Set{&NewPayment::external_id, OptStr{"external_id"}},
                       Set{&NewPayment::wallet_id, OptIdAs<daira::WalletId>{"wallet_id"}},
                       Set{&NewPayment::transaction_id, OptIdAs<daira::TransactionId>{"transaction_id"}},
                       Set{&NewPayment::status,
                           EnumOr("status", model::kPaymentStatusNames, model::PaymentStatus::kPending)},
                       Set{&NewPayment::metadata, ObjectTextOr{"metadata"}}))

DAIRA_CABI_SERVICE_CALL(
    daira_payments_update, "payments.update", &PaymentKind::Repo, &services::PaymentRepository::Update,
    Empty{}, IdAs<daira::PaymentId>{"id"},
    Struct<PaymentPatch>(Set{&PaymentPatch::status,
                             Enum<model::PaymentStatus>("status", model::kPaymentStatusNames)},
                         Set{&PaymentPatch::external_id, OptStr{"external_id"}},
                         Set{&PaymentPatch::error, OptStr{"error"}},
                         Set{&PaymentPatch::wallet_id, OptIdAs<daira::WalletId>{"wallet_id"}},
                         Set{&PaymentPatch::transaction_id, OptIdAs<daira::TransactionId>{"transaction_id"}},
                         Set{&PaymentPatch::metadata, OptObjectText{"metadata"}}))
