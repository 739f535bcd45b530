// payments: the wallets, transactions (the journal) and payments repositories. The money rule is the
// C++ side's (docs/services/payments.md): no call here can write a balance or a total, journal rows
// change only while PENDING, and completed money is never deleted; their errors pass through as is.
#include "daira/services/payment_repository.h"
#include "daira/services/transaction_repository.h"
#include "daira/services/wallet_repository.h"
#include "records.h"

namespace {
using daira::Platform;
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

DAIRA_CABI_CALL(daira_wallets_count, "wallets.count") {
  const std::optional<std::string> currency = r.OptString("currency");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, currency ? p.wallets().Count(ctx, *currency) : p.wallets().Count(ctx));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_CALL(daira_wallets_find_by_user, "wallets.find_by_user", WalletKind) {
  const daira::UserId user(r.Id("user_id"));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Wallet wallet, p.wallets().FindByUserId(ctx, user, mask));
  return RecordOf<WalletKind>(wallet, mask);
}

DAIRA_CABI_CALL(daira_wallets_create, "wallets.create") {
  services::NewWallet wallet;
  wallet.user_id = daira::UserId(r.Id("user_id"));
  wallet.currency = r.String("currency", "USD");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Wallet created, p.wallets().Create(ctx, wallet));
  return RecordOf<WalletKind>(created, WalletKind::Columns().All());
}

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

DAIRA_CABI_CALL(daira_transactions_count, "transactions.count") {
  services::TransactionFilter filter;
  filter.wallet_id = OptIdOf<daira::WalletId>(r, "wallet_id");
  filter.type = OptEnum<model::TransactionType>(r, "type", model::kTransactionTypeNames);
  filter.status = OptEnum<model::TransactionStatus>(r, "status", model::kTransactionStatusNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.transactions().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_CALL(daira_transactions_find_by_idempotency_key, "transactions.find_by_idempotency_key",
                       TransactionKind) {
  const daira::WalletId wallet(r.Id("wallet_id"));
  const std::string key = r.String("idempotency_key");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Transaction row, p.transactions().FindByIdempotencyKey(ctx, wallet, key, mask));
  return RecordOf<TransactionKind>(row, mask);
}

DAIRA_CABI_RECORD_CALL(daira_transactions_list_by_wallet, "transactions.list_by_wallet", TransactionKind) {
  return daira::cabi::ListBy<TransactionKind, daira::WalletId>(p, r, mask, ctx, "wallet_id", &services::TransactionRepository::ListByWallet);
}

DAIRA_CABI_CALL(daira_transactions_create, "transactions.create") {
  services::NewTransaction row;
  row.wallet_id = daira::WalletId(r.Id("wallet_id"));
  row.counterparty_wallet_id = OptIdOf<daira::WalletId>(r, "counterparty_wallet_id");
  row.type = OptEnum<model::TransactionType>(r, "type", model::kTransactionTypeNames).value_or(row.type);
  row.status = OptEnum<model::TransactionStatus>(r, "status", model::kTransactionStatusNames).value_or(row.status);
  row.amount = r.Int("amount", 0);
  row.currency = r.String("currency", "USD");
  row.balance_after = r.OptInt("balance_after");
  row.metadata = r.OptObjectText("metadata").value_or("{}");
  row.idempotency_key = r.OptString("idempotency_key");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Transaction created, p.transactions().Create(ctx, row));
  return RecordOf<TransactionKind>(created, TransactionKind::Columns().All());
}

DAIRA_CABI_CALL(daira_transactions_update, "transactions.update") {
  const daira::TransactionId id(r.Id("id"));
  services::TransactionPatch patch;
  patch.status = OptEnum<model::TransactionStatus>(r, "status", model::kTransactionStatusNames);
  patch.completed_at = r.OptTime("completed_at");
  patch.balance_after = r.OptInt("balance_after");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.transactions().Update(ctx, id, patch));
  return daira::cabi::EmptyJson();
}

// ---- payments ----

DAIRA_CABI_RECORD_READS(daira_payments, PaymentKind, "payments")
DAIRA_CABI_RECORD_DELETE(daira_payments, PaymentKind, "payments")

DAIRA_CABI_CALL(daira_payments_count, "payments.count") {
  services::PaymentFilter filter;
  filter.user_id = OptIdOf<daira::UserId>(r, "user_id");
  filter.provider = OptEnum<model::PaymentProvider>(r, "provider", model::kPaymentProviderNames);
  filter.status = OptEnum<model::PaymentStatus>(r, "status", model::kPaymentStatusNames);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(int64_t n, p.payments().Count(ctx, filter));
  return daira::cabi::CountJson(n);
}

DAIRA_CABI_RECORD_CALL(daira_payments_find_by_external_id, "payments.find_by_external_id", PaymentKind) {
  const std::optional<model::PaymentProvider> provider =
      OptEnum<model::PaymentProvider>(r, "provider", model::kPaymentProviderNames);
  const std::string external_id = r.String("external_id");
  DAIRA_CABI_CHECK(r);
  if (!provider) return daira::InvalidField(r.op(), "provider", "is required");
  DAIRA_ASSIGN_OR_RETURN(model::Payment payment, p.payments().FindByExternalId(ctx, *provider, external_id, mask));
  return RecordOf<PaymentKind>(payment, mask);
}

DAIRA_CABI_RECORD_CALL(daira_payments_list_by_user, "payments.list_by_user", PaymentKind) {
  return daira::cabi::ListBy<PaymentKind, daira::UserId>(p, r, mask, ctx, "user_id", &services::PaymentRepository::ListByUser);
}

DAIRA_CABI_CALL(daira_payments_create, "payments.create") {
  services::NewPayment payment;
  payment.user_id = daira::UserId(r.Id("user_id"));
  payment.provider = OptEnum<model::PaymentProvider>(r, "provider", model::kPaymentProviderNames).value_or(payment.provider);
  payment.amount = r.Int("amount", 0);
  payment.currency = r.String("currency", "USD");
  payment.external_id = r.OptString("external_id");
  payment.wallet_id = OptIdOf<daira::WalletId>(r, "wallet_id");
  payment.transaction_id = OptIdOf<daira::TransactionId>(r, "transaction_id");
  payment.status = OptEnum<model::PaymentStatus>(r, "status", model::kPaymentStatusNames).value_or(payment.status);
  payment.metadata = r.OptObjectText("metadata").value_or("{}");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(model::Payment created, p.payments().Create(ctx, payment));
  return RecordOf<PaymentKind>(created, PaymentKind::Columns().All());
}

DAIRA_CABI_CALL(daira_payments_update, "payments.update") {
  const daira::PaymentId id(r.Id("id"));
  services::PaymentPatch patch;
  patch.status = OptEnum<model::PaymentStatus>(r, "status", model::kPaymentStatusNames);
  patch.external_id = r.OptString("external_id");
  patch.error = r.OptString("error");
  patch.wallet_id = OptIdOf<daira::WalletId>(r, "wallet_id");
  patch.transaction_id = OptIdOf<daira::TransactionId>(r, "transaction_id");
  patch.metadata = r.OptObjectText("metadata");
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.payments().Update(ctx, id, patch));
  return daira::cabi::EmptyJson();
}
