// WalletRepository, TransactionRepository and PaymentRepository on every SQL backend: field masks,
// batch loads in one statement, unique keys, partial updates, validation that writes nothing, text
// round trips, and the money rule (no raw balance writes; the journal keeps completed rows).
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "daira/core/json.h"
#include "daira/query/statement_budget.h"
#include "daira/services/payment_repository.h"
#include "daira/services/transaction_repository.h"
#include "daira/services/wallet_repository.h"
#include "daira/store/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "migrated_test_base.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using model::Payment;
using model::PaymentField;
using model::PaymentStatus;
using model::Transaction;
using model::TransactionField;
using model::TransactionStatus;
using model::TransactionType;
using model::Wallet;
using model::WalletField;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The money rule, at compile time: no patch of a wallet can name a money column.
template <typename P>
concept NamesBalance = requires(P p) {
  p.balance;
};
template <typename P>
concept NamesTotals = requires(P p) {
  p.earned_total;
}
|| requires(P p) { p.spent_total; }
|| requires(P p) { p.tips_received; };
static_assert(!NamesBalance<WalletPatch> && !NamesTotals<WalletPatch>,
              "wallet balances change only via the journal");
static_assert(!NamesBalance<NewWallet> && !NamesTotals<NewWallet>, "a new wallet starts at zero");

class PaymentsRepositoryTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    wallets_ = std::make_unique<WalletRepository>(deps_);
    journal_ = std::make_unique<TransactionRepository>(deps_);
    payments_ = std::make_unique<PaymentRepository>(deps_);
  }

  // n users with ids 1000.. (one transaction).
  std::vector<UserId> MakeUsers(int n) {
    std::vector<UserId> ids;
    EXPECT_OK(tdb_->db().RunInTransaction(ctx_, [&](store::Connection& c) -> absl::Status {
      ids.clear();
      for (int i = 0; i < n; ++i) {
        const int64_t id = next_user_++;
        DAIRA_RETURN_IF_ERROR(
            c.Execute("INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
                      {id, absl::StrCat("u", id), deps_.NowMicros(), deps_.NowMicros()})
                .status());
        ids.push_back(UserId{id});
      }
      return absl::OkStatus();
    }));
    return ids;
  }

  // A wallet per new user.
  std::vector<Wallet> MakeWallets(int n, std::string currency = "USD") {
    std::vector<Wallet> out;
    for (UserId u : MakeUsers(n))
      out.push_back(Must(wallets_->Create(ctx_, {.user_id = u, .currency = currency})));
    return out;
  }

  // What the wallet service does when money moves (the repositories cannot): sets a balance directly.
  void SetBalance(WalletId id, int64_t balance) {
    ASSERT_OK(tdb_->db()
                  .Execute(ctx_, "UPDATE wallets SET balance = ? WHERE id = ?", {balance, id.value})
                  .status());
  }

  int64_t Rows(std::string_view table) {
    auto rs = tdb_->db().Execute(ctx_, absl::StrCat("SELECT count(*) FROM ", ToAbsl(table)));
    EXPECT_TRUE(rs.ok()) << rs.status();
    return rs.ok() ? rs->front().Int64(0) : -1;
  }

  std::unique_ptr<WalletRepository> wallets_;
  std::unique_ptr<TransactionRepository> journal_;
  std::unique_ptr<PaymentRepository> payments_;
  int64_t next_user_ = 1000;
};

// ---- wallets --------------------------------------------------------------------------------------

TEST_P(PaymentsRepositoryTest, WalletFieldMasksSelectOnlyTheRequestedColumns) {
  Wallet w = MakeWallets(1, "EGP")[0];
  const WalletFieldMask mask{WalletField::kBalance, WalletField::kCurrency};
  EXPECT_EQ(WalletColumns().SelectList(mask), "id, balance, currency");
  ASSERT_OK_AND_ASSIGN(Wallet got, wallets_->Get(ctx_, w.id, mask));
  EXPECT_EQ(got.id, w.id);
  EXPECT_EQ(got.balance, 0);
  EXPECT_EQ(got.currency, "EGP");
  EXPECT_FALSE(got.user_id.has_value());
  EXPECT_FALSE(got.earned_total.has_value());
  EXPECT_FALSE(got.created_at.has_value());
  EXPECT_FALSE(got.updated_at.has_value());

  ASSERT_OK_AND_ASSIGN(got, wallets_->Get(ctx_, w.id));
  EXPECT_EQ(got.user_id, w.user_id);
  EXPECT_EQ(got.earned_total, 0);
  EXPECT_EQ(got.spent_total, 0);
  EXPECT_EQ(got.tips_received, 0);
  EXPECT_FALSE(got.last_payout_at.has_value());  // NULL
  EXPECT_EQ(got.created_at, clock_.Now());
  EXPECT_EQ(got.updated_at, clock_.Now());

  ASSERT_OK_AND_ASSIGN(auto parsed, WalletColumns().Parse("balance, tips_received"));
  EXPECT_EQ(parsed, (WalletFieldMask{WalletField::kBalance, WalletField::kTipsReceived}));
  EXPECT_EQ(StatusField(WalletColumns().Parse("balance,secret").status()), "fields");
  EXPECT_THAT(wallets_->Get(ctx_, WalletId{424242}),
              StatusIs(absl::StatusCode::kNotFound, "wallets: wallet 424242 not found"));
}

TEST_P(PaymentsRepositoryTest, WalletGetManyIsOneStatementInCallerOrderWithMissingReported) {
  std::vector<Wallet> made = MakeWallets(40);
  std::vector<WalletId> ask;
  for (const Wallet& w : made) ask.push_back(w.id);
  std::shuffle(ask.begin(), ask.end(), std::mt19937(11));
  ask.insert(ask.begin() + 5, WalletId{7});  // missing
  ask.push_back(ask[2]);                     // duplicate
  ask.push_back(WalletId{8});                // missing
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(WalletBatch batch,
                       wallets_->GetMany(ctx_, ask, WalletFieldMask{WalletField::kUserId}));
  EXPECT_EQ(budget.used(), 1);
  std::vector<WalletId> want;
  for (WalletId id : ask) {
    if (id.value > 100 && std::find(want.begin(), want.end(), id) == want.end()) want.push_back(id);
  }
  ASSERT_EQ(batch.wallets.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(batch.wallets[i].id, want[i]);
    EXPECT_TRUE(batch.wallets[i].user_id.has_value());
    EXPECT_FALSE(batch.wallets[i].balance.has_value());
  }
  EXPECT_THAT(batch.missing, ElementsAre(WalletId{7}, WalletId{8}));

  budget.Reset();
  ASSERT_OK_AND_ASSIGN(batch, wallets_->GetMany(ctx_, {}));
  EXPECT_EQ(budget.used(), 0);
  EXPECT_TRUE(batch.wallets.empty());
}

TEST_P(PaymentsRepositoryTest, WalletFindByUserExistsAndCount) {
  std::vector<Wallet> made = MakeWallets(3);
  MakeWallets(2, "EUR");
  ASSERT_OK_AND_ASSIGN(Wallet w, wallets_->FindByUserId(ctx_, *made[1].user_id, WalletFieldMask{}));
  EXPECT_EQ(w.id, made[1].id);
  EXPECT_FALSE(w.currency.has_value());
  EXPECT_THAT(wallets_->FindByUserId(ctx_, UserId{5}),
              StatusIs(absl::StatusCode::kNotFound, "wallets: no wallet with user_id 5"));
  EXPECT_EQ(Must(wallets_->Exists(ctx_, made[0].id)), true);
  EXPECT_EQ(Must(wallets_->Exists(ctx_, WalletId{5})), false);
  EXPECT_EQ(Must(wallets_->Count(ctx_)), 5);
  EXPECT_EQ(Must(wallets_->Count(ctx_, "EUR")), 2);
  EXPECT_EQ(Must(wallets_->Count(ctx_, "' OR '1'='1")), 0);
}

TEST_P(PaymentsRepositoryTest, WalletCreateRejectsBadInputAndDuplicatesWritingNothing) {
  UserId u = MakeUsers(1)[0];
  auto bad = wallets_->Create(ctx_, {.user_id = UserId{0}});
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user_id")));
  EXPECT_EQ(StatusField(bad.status()), "user_id");
  for (const char* currency : {"usd", "US", "USDX", "U$D", "", "ÜSD"}) {
    bad = wallets_->Create(ctx_, {.user_id = u, .currency = currency});
    EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument)) << currency;
    EXPECT_EQ(StatusField(bad.status()), "currency") << currency;
  }
  EXPECT_EQ(Rows("wallets"), 0);

  ASSERT_OK_AND_ASSIGN(Wallet w, wallets_->Create(ctx_, {.user_id = u, .currency = "JPY"}));
  EXPECT_EQ(w.balance, 0);
  EXPECT_EQ(w.currency, "JPY");
  auto dup = wallets_->Create(ctx_, {.user_id = u, .currency = "JPY"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists,
                            "create wallet: user_id already has a wallet in this currency"));
  EXPECT_EQ(StatusField(dup.status()), "user_id");
  // No such user: the foreign key refuses it.
  EXPECT_THAT(wallets_->Create(ctx_, {.user_id = UserId{999999}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Rows("wallets"), 1);
}

TEST_P(PaymentsRepositoryTest, WalletUpdateWritesOnlyTheGivenFields) {
  std::vector<Wallet> made = MakeWallets(2);
  clock_.Advance(std::chrono::seconds(5));
  const Clock::TimePoint payout = clock_.Now() - std::chrono::hours(1);
  ASSERT_OK(wallets_->Update(ctx_, made[0].id, {.last_payout_at = payout}));
  ASSERT_OK_AND_ASSIGN(Wallet after, wallets_->Get(ctx_, made[0].id));
  EXPECT_EQ(after.last_payout_at, payout);
  EXPECT_EQ(after.currency, "USD");
  EXPECT_EQ(after.created_at, made[0].created_at);
  EXPECT_EQ(after.updated_at, clock_.Now());
  ASSERT_OK(wallets_->Update(ctx_, made[0].id, {.currency = "GBP"}));
  ASSERT_OK_AND_ASSIGN(after, wallets_->Get(ctx_, made[0].id));
  EXPECT_EQ(after.currency, "GBP");
  EXPECT_EQ(after.last_payout_at, payout);
  ASSERT_OK_AND_ASSIGN(Wallet untouched, wallets_->Get(ctx_, made[1].id));
  EXPECT_EQ(untouched.currency, "USD");
  EXPECT_FALSE(untouched.last_payout_at.has_value());
  EXPECT_EQ(untouched.updated_at, made[1].updated_at);

  auto empty = wallets_->Update(ctx_, made[0].id, {});
  EXPECT_THAT(empty,
              StatusIs(absl::StatusCode::kInvalidArgument, "update wallet: patch names no field to change"));
  EXPECT_EQ(StatusField(empty), "patch");
  auto bad = wallets_->Update(ctx_, made[0].id, {.currency = "gbp'; --"});
  EXPECT_EQ(StatusField(bad), "currency");
  EXPECT_THAT(wallets_->Update(ctx_, WalletId{3}, {.currency = "EUR"}),
              StatusIs(absl::StatusCode::kNotFound, "wallets: wallet 3 not found"));
  ASSERT_OK_AND_ASSIGN(after, wallets_->Get(ctx_, made[0].id));
  EXPECT_EQ(after.currency, "GBP");
}

TEST_P(PaymentsRepositoryTest, WalletHoldingMoneyKeepsItsCurrencyAndRow) {
  Wallet w = MakeWallets(1)[0];
  SetBalance(w.id, 1250);
  auto s = wallets_->Update(ctx_, w.id, {.currency = "EUR"});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "update wallet: balance must be 0 to change the currency"));
  EXPECT_EQ(StatusField(s), "balance");
  // The same patch without the currency is fine.
  ASSERT_OK(wallets_->Update(ctx_, w.id, {.last_payout_at = clock_.Now()}));
  s = wallets_->Delete(ctx_, w.id);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "delete wallet: balance must be 0 to delete a wallet"));
  EXPECT_EQ(StatusField(s), "balance");
  ASSERT_OK_AND_ASSIGN(Wallet after, wallets_->Get(ctx_, w.id));
  EXPECT_EQ(after.balance, 1250);
  EXPECT_EQ(after.currency, "USD");

  SetBalance(w.id, 0);
  ASSERT_OK(wallets_->Delete(ctx_, w.id));
  EXPECT_EQ(Must(wallets_->Exists(ctx_, w.id)), false);
  EXPECT_THAT(wallets_->Delete(ctx_, w.id), StatusIs(absl::StatusCode::kNotFound));
}

// ---- transactions ---------------------------------------------------------------------------------

// The string value of `key` in the JSON object `text` ("" when absent): JSONB reorders keys, so tests
// compare values, not spellings.
std::string JsonField(const std::string& text, std::string_view key) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  if (!v.ok() || v->Get(key) == nullptr) return "";
  return v->Get(key)->AsString();
}

// Text that must survive every layer unchanged: SQL metacharacters, placeholders, escapes, and unicode.
const std::vector<std::string>& HostileTexts() {
  static const auto* kTexts = new std::vector<std::string>{
      "'; DROP TABLE wallets; --",
      "\" OR 1=1 -- ? $1 %s %_ \\\\ \\' `",
      "Zoë 🌍 مرحبا 中文 ☃ \u200b e\u0301",
      "\u00ff\u00fe\ufffd\U0010FFFF \\x00\\xff 0x00FF",
  };
  return *kTexts;
}

TEST_P(PaymentsRepositoryTest, TransactionCreateMasksAndTheWalletUntouched) {
  std::vector<Wallet> w = MakeWallets(2);
  ASSERT_OK_AND_ASSIGN(Transaction t, journal_->Create(ctx_, {.wallet_id = w[0].id,
                                                              .counterparty_wallet_id = w[1].id,
                                                              .type = TransactionType::kTip,
                                                              .amount = 500,
                                                              .currency = "USD",
                                                              .metadata = R"({"note":"thanks"})",
                                                              .idempotency_key = "tip-0001"}));
  EXPECT_EQ(t.status, TransactionStatus::kPending);
  EXPECT_EQ(t.type, TransactionType::kTip);
  EXPECT_EQ(t.amount, 500);
  EXPECT_EQ(t.counterparty_wallet_id, w[1].id);
  EXPECT_FALSE(t.balance_after.has_value());
  EXPECT_FALSE(t.completed_at.has_value());
  EXPECT_EQ(t.created_at, clock_.Now());
  EXPECT_EQ(JsonField(*t.metadata, "note"), "thanks");

  const TransactionFieldMask mask{TransactionField::kAmount, TransactionField::kStatus};
  EXPECT_EQ(TransactionColumns().SelectList(mask), "id, status, amount");
  ASSERT_OK_AND_ASSIGN(Transaction got, journal_->Get(ctx_, t.id, mask));
  EXPECT_EQ(got.amount, 500);
  EXPECT_EQ(got.status, TransactionStatus::kPending);
  EXPECT_FALSE(got.wallet_id.has_value());
  EXPECT_FALSE(got.type.has_value());
  EXPECT_FALSE(got.metadata.has_value());
  EXPECT_FALSE(got.idempotency_key.has_value());
  ASSERT_OK_AND_ASSIGN(got, journal_->Get(ctx_, t.id));
  EXPECT_EQ(got.wallet_id, w[0].id);
  EXPECT_EQ(got.idempotency_key, "tip-0001");
  EXPECT_EQ(got.currency, "USD");

  // A completed row gets completed_at; appending never moves money by itself.
  ASSERT_OK_AND_ASSIGN(Transaction done, journal_->Create(ctx_, {.wallet_id = w[0].id,
                                                                 .type = TransactionType::kDeposit,
                                                                 .status = TransactionStatus::kCompleted,
                                                                 .amount = 900,
                                                                 .balance_after = 900}));
  EXPECT_EQ(done.completed_at, clock_.Now());
  EXPECT_FALSE(done.idempotency_key.has_value());
  ASSERT_OK_AND_ASSIGN(Wallet after, wallets_->Get(ctx_, w[0].id));
  EXPECT_EQ(after.balance, 0);
  EXPECT_THAT(journal_->Get(ctx_, TransactionId{12}),
              StatusIs(absl::StatusCode::kNotFound, "transactions: transaction 12 not found"));
}

TEST_P(PaymentsRepositoryTest, TransactionIdempotencyKeyIsUniquePerWallet) {
  std::vector<Wallet> w = MakeWallets(2);
  ASSERT_OK_AND_ASSIGN(
      Transaction t,
      journal_->Create(ctx_, {.wallet_id = w[0].id, .amount = 100, .idempotency_key = "dep-abc_123"}));
  ASSERT_OK_AND_ASSIGN(Transaction found,
                       journal_->FindByIdempotencyKey(ctx_, w[0].id, "dep-abc_123", TransactionFieldMask{}));
  EXPECT_EQ(found.id, t.id);
  EXPECT_FALSE(found.amount.has_value());
  EXPECT_THAT(journal_->FindByIdempotencyKey(ctx_, w[1].id, "dep-abc_123"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("idempotency_key \"dep-abc_123\"")));
  EXPECT_THAT(journal_->FindByIdempotencyKey(ctx_, w[0].id, "x' OR '1'='1"),
              StatusIs(absl::StatusCode::kNotFound));

  auto dup = journal_->Create(ctx_, {.wallet_id = w[0].id, .amount = 100, .idempotency_key = "dep-abc_123"});
  EXPECT_THAT(dup,
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("create transaction: idempotency_key")));
  EXPECT_EQ(StatusField(dup.status()), "idempotency_key");
  // The same key on another wallet is another request.
  ASSERT_OK(journal_->Create(ctx_, {.wallet_id = w[1].id, .amount = 100, .idempotency_key = "dep-abc_123"})
                .status());
  EXPECT_EQ(Rows("transactions"), 2);
  // No such wallet: the foreign key refuses it.
  EXPECT_THAT(journal_->Create(ctx_, {.wallet_id = WalletId{4}, .amount = 1}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(PaymentsRepositoryTest, TransactionBadInputNamesTheFieldAndWritesNothing) {
  Wallet w = MakeWallets(1)[0];
  struct Case {
    NewTransaction row;
    std::string field;
  };
  const NewTransaction ok{.wallet_id = w.id, .amount = 100};
  auto with = [&](auto change) {
    NewTransaction r = ok;
    change(r);
    return r;
  };
  const std::vector<Case> cases = {
      {with([](NewTransaction& r) { r.wallet_id = WalletId{0}; }), "wallet_id"},
      {with([](NewTransaction& r) { r.amount = 0; }), "amount"},
      {with([](NewTransaction& r) { r.amount = -5; }), "amount"},
      {with([](NewTransaction& r) { r.amount = kMaxTransferAmount + 1; }), "amount"},
      {with([](NewTransaction& r) { r.currency = "usd"; }), "currency"},
      {with([](NewTransaction& r) { r.currency = "EURO"; }), "currency"},
      {with([&](NewTransaction& r) { r.counterparty_wallet_id = w.id; }), "counterparty_wallet_id"},
      {with([](NewTransaction& r) { r.counterparty_wallet_id = WalletId{-1}; }), "counterparty_wallet_id"},
      {with([](NewTransaction& r) { r.type = static_cast<TransactionType>(99); }), "type"},
      {with([](NewTransaction& r) { r.status = static_cast<TransactionStatus>(7); }), "status"},
      {with([](NewTransaction& r) { r.balance_after = -1; }), "balance_after"},
      {with([](NewTransaction& r) { r.metadata = "[1, 2]"; }), "metadata"},
      {with([](NewTransaction& r) { r.metadata = "{'a': 1}"; }), "metadata"},
      {with([](NewTransaction& r) { r.metadata = std::string(kMaxPaymentMetadataLength + 1, ' '); }),
       "metadata"},
      {with([](NewTransaction& r) { r.idempotency_key = "short"; }), "idempotency_key"},
      {with([](NewTransaction& r) { r.idempotency_key = "has a space!"; }), "idempotency_key"},
      {with([](NewTransaction& r) { r.idempotency_key = "ключ-ключ-ключ"; }), "idempotency_key"},
  };
  for (const Case& c : cases) {
    auto s = journal_->Create(ctx_, c.row);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field))) << c.field;
    EXPECT_EQ(StatusField(s.status()), c.field);
  }
  EXPECT_EQ(Rows("transactions"), 0);
}

TEST_P(PaymentsRepositoryTest, TransactionMetadataRoundTripsHostileText) {
  Wallet w = MakeWallets(1)[0];
  for (const std::string& text : HostileTexts()) {
    JsonValue::Object obj;
    obj.emplace_back("note", JsonValue::String(text));
    const std::string metadata = JsonValue::MakeObject(std::move(obj)).Serialize();
    ASSERT_OK_AND_ASSIGN(Transaction t,
                         journal_->Create(ctx_, {.wallet_id = w.id, .amount = 1, .metadata = metadata}));
    ASSERT_OK_AND_ASSIGN(Transaction back,
                         journal_->Get(ctx_, t.id, TransactionFieldMask{TransactionField::kMetadata}));
    EXPECT_EQ(JsonField(*back.metadata, "note"), text);
  }
}

TEST_P(PaymentsRepositoryTest, TransactionOnlyPendingRowsChangeAndCompletedRowsStay) {
  Wallet w = MakeWallets(1)[0];
  ASSERT_OK_AND_ASSIGN(Transaction t, journal_->Create(ctx_, {.wallet_id = w.id, .amount = 700}));
  clock_.Advance(std::chrono::seconds(3));
  ASSERT_OK(journal_->Update(ctx_, t.id, {.balance_after = 700}));
  ASSERT_OK_AND_ASSIGN(Transaction got, journal_->Get(ctx_, t.id));
  EXPECT_EQ(got.balance_after, 700);
  EXPECT_EQ(got.status, TransactionStatus::kPending);
  EXPECT_FALSE(got.completed_at.has_value());
  EXPECT_EQ(got.updated_at, clock_.Now());
  EXPECT_EQ(got.amount, 700);
  ASSERT_OK(
      journal_->Update(ctx_, t.id, {.status = TransactionStatus::kCompleted, .completed_at = clock_.Now()}));
  ASSERT_OK_AND_ASSIGN(got, journal_->Get(ctx_, t.id));
  EXPECT_EQ(got.status, TransactionStatus::kCompleted);
  EXPECT_EQ(got.completed_at, clock_.Now());
  EXPECT_EQ(got.balance_after, 700);

  // Final rows never change, and completed ones are never deleted.
  auto s = journal_->Update(ctx_, t.id, {.status = TransactionStatus::kFailed});
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("only a PENDING transaction changes")));
  EXPECT_EQ(StatusField(s), "status");
  s = journal_->Delete(ctx_, t.id);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("journal keeps completed")));
  EXPECT_EQ(StatusField(s), "status");
  ASSERT_OK_AND_ASSIGN(got, journal_->Get(ctx_, t.id));
  EXPECT_EQ(got.status, TransactionStatus::kCompleted);

  EXPECT_EQ(StatusField(journal_->Update(ctx_, t.id, {})), "patch");
  EXPECT_EQ(StatusField(journal_->Update(ctx_, t.id, {.balance_after = -3})), "balance_after");
  EXPECT_THAT(journal_->Update(ctx_, TransactionId{5}, {.status = TransactionStatus::kFailed}),
              StatusIs(absl::StatusCode::kNotFound, "transactions: transaction 5 not found"));

  // PENDING and FAILED rows may go.
  ASSERT_OK_AND_ASSIGN(Transaction p, journal_->Create(ctx_, {.wallet_id = w.id, .amount = 1}));
  ASSERT_OK_AND_ASSIGN(Transaction f, journal_->Create(ctx_, {.wallet_id = w.id, .amount = 2}));
  ASSERT_OK(journal_->Update(ctx_, f.id, {.status = TransactionStatus::kFailed}));
  ASSERT_OK(journal_->Delete(ctx_, p.id));
  ASSERT_OK(journal_->Delete(ctx_, f.id));
  EXPECT_THAT(journal_->Delete(ctx_, f.id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Rows("transactions"), 1);
  // A wallet with journal rows cannot be deleted (the foreign key is RESTRICT).
  EXPECT_THAT(wallets_->Delete(ctx_, w.id), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(PaymentsRepositoryTest, TransactionGetManyCountAndHistoryPages) {
  std::vector<Wallet> w = MakeWallets(2);
  std::vector<TransactionId> ids;
  for (int i = 0; i < 25; ++i) {
    ASSERT_OK_AND_ASSIGN(
        Transaction t,
        journal_->Create(ctx_, {.wallet_id = w[0].id,
                                .type = i % 5 == 0 ? TransactionType::kRefund : TransactionType::kEarning,
                                .amount = 10 + i}));
    ids.push_back(t.id);
  }
  ASSERT_OK(journal_->Create(ctx_, {.wallet_id = w[1].id, .amount = 1}).status());

  std::vector<TransactionId> ask = {ids[7], TransactionId{3}, ids[2], ids[7], ids[20]};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(TransactionBatch batch,
                       journal_->GetMany(ctx_, ask, TransactionFieldMask{TransactionField::kAmount}));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.transactions.size(), 3u);
  EXPECT_EQ(batch.transactions[0].id, ids[7]);
  EXPECT_EQ(batch.transactions[0].amount, 17);
  EXPECT_EQ(batch.transactions[1].id, ids[2]);
  EXPECT_EQ(batch.transactions[2].id, ids[20]);
  EXPECT_FALSE(batch.transactions[2].type.has_value());
  EXPECT_THAT(batch.missing, ElementsAre(TransactionId{3}));

  EXPECT_EQ(Must(journal_->Count(ctx_)), 26);
  EXPECT_EQ(Must(journal_->Count(ctx_, {.wallet_id = w[0].id})), 25);
  EXPECT_EQ(Must(journal_->Count(ctx_, {.wallet_id = w[0].id, .type = TransactionType::kRefund})), 5);
  EXPECT_EQ(Must(journal_->Count(ctx_, {.status = TransactionStatus::kCompleted})), 0);
  EXPECT_EQ(Must(journal_->Exists(ctx_, ids[0])), true);
  EXPECT_EQ(Must(journal_->Exists(ctx_, TransactionId{3})), false);

  // Newest first, one statement a page, only this wallet's rows.
  std::vector<TransactionId> seen;
  query::PageRequest req{.limit = 10};
  for (int page = 0; page < 5; ++page) {
    budget.Reset();
    ASSERT_OK_AND_ASSIGN(auto p, journal_->ListByWallet(ctx_, w[0].id, req, TransactionFieldMask{}));
    EXPECT_EQ(budget.used(), 1);
    for (const Transaction& t : p.items) {
      seen.push_back(t.id);
      EXPECT_FALSE(t.amount.has_value());
    }
    if (p.next_cursor.empty()) break;
    req.cursor = p.next_cursor;
  }
  std::vector<TransactionId> want(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, want);
  EXPECT_EQ(StatusField(journal_->ListByWallet(ctx_, w[0].id, {.limit = 0}).status()), "limit");
  EXPECT_EQ(StatusField(journal_->ListByWallet(ctx_, w[0].id, {.limit = 5, .cursor = "bogus"}).status()),
            "cursor");
  // A cursor of one wallet's list is refused by another's.
  ASSERT_OK_AND_ASSIGN(auto first, journal_->ListByWallet(ctx_, w[0].id, {.limit = 5}));
  EXPECT_EQ(
      StatusField(journal_->ListByWallet(ctx_, w[1].id, {.limit = 5, .cursor = first.next_cursor}).status()),
      "cursor");
}

// ---- payments -------------------------------------------------------------------------------------

TEST_P(PaymentsRepositoryTest, PaymentCreateFindAndUniqueExternalId) {
  Wallet w = MakeWallets(1)[0];
  ASSERT_OK_AND_ASSIGN(Payment p, payments_->Create(ctx_, {.user_id = *w.user_id,
                                                           .provider = model::PaymentProvider::kFawry,
                                                           .amount = 2500,
                                                           .currency = "EGP",
                                                           .external_id = "FWR-0001",
                                                           .wallet_id = w.id}));
  EXPECT_EQ(p.status, PaymentStatus::kPending);
  EXPECT_EQ(p.provider, model::PaymentProvider::kFawry);
  EXPECT_FALSE(p.transaction_id.has_value());
  EXPECT_FALSE(p.error.has_value());
  EXPECT_EQ(JsonField(*p.metadata, "x"), "");

  ASSERT_OK_AND_ASSIGN(Payment found,
                       payments_->FindByExternalId(ctx_, model::PaymentProvider::kFawry, "FWR-0001",
                                                   PaymentFieldMask{PaymentField::kAmount}));
  EXPECT_EQ(found.id, p.id);
  EXPECT_EQ(found.amount, 2500);
  EXPECT_FALSE(found.currency.has_value());
  EXPECT_FALSE(found.provider.has_value());
  EXPECT_THAT(
      payments_->FindByExternalId(ctx_, model::PaymentProvider::kStripe, "FWR-0001"),
      StatusIs(absl::StatusCode::kNotFound, "payments: no STRIPE payment with external_id \"FWR-0001\""));

  auto dup = payments_->Create(ctx_, {.user_id = *w.user_id,
                                      .provider = model::PaymentProvider::kFawry,
                                      .amount = 1,
                                      .external_id = "FWR-0001"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists,
                            "create payment: external_id is already recorded for this provider"));
  EXPECT_EQ(StatusField(dup.status()), "external_id");
  ASSERT_OK(payments_
                ->Create(ctx_, {.user_id = *w.user_id,
                                .provider = model::PaymentProvider::kPaypal,
                                .amount = 1,
                                .external_id = "FWR-0001"})
                .status());
  // Without an external id yet, any number of payments.
  ASSERT_OK(payments_->Create(ctx_, {.user_id = *w.user_id, .amount = 1}).status());
  ASSERT_OK(payments_->Create(ctx_, {.user_id = *w.user_id, .amount = 2}).status());
  EXPECT_EQ(Must(payments_->Count(ctx_)), 4);
  EXPECT_EQ(Must(payments_->Count(ctx_, {.provider = model::PaymentProvider::kStripe})), 2);
  EXPECT_EQ(Must(payments_->Count(ctx_, {.user_id = *w.user_id, .status = PaymentStatus::kPending})), 4);
  EXPECT_EQ(Must(payments_->Count(ctx_, {.user_id = UserId{1}})), 0);
}

TEST_P(PaymentsRepositoryTest, PaymentBadInputNamesTheFieldAndWritesNothing) {
  UserId u = MakeUsers(1)[0];
  const NewPayment ok{.user_id = u, .amount = 100};
  auto with = [&](auto change) {
    NewPayment r = ok;
    change(r);
    return r;
  };
  const std::vector<std::pair<NewPayment, std::string>> cases = {
      {with([](NewPayment& r) { r.user_id = UserId{0}; }), "user_id"},
      {with([](NewPayment& r) { r.amount = 0; }), "amount"},
      {with([](NewPayment& r) { r.currency = "€UR"; }), "currency"},
      {with([](NewPayment& r) { r.provider = static_cast<model::PaymentProvider>(9); }), "provider"},
      {with([](NewPayment& r) { r.status = static_cast<PaymentStatus>(9); }), "status"},
      {with([](NewPayment& r) { r.external_id = ""; }), "external_id"},
      {with([](NewPayment& r) { r.external_id = "has space"; }), "external_id"},
      {with([](NewPayment& r) { r.external_id = std::string(256, 'x'); }), "external_id"},
      {with([](NewPayment& r) { r.wallet_id = WalletId{0}; }), "wallet_id"},
      {with([](NewPayment& r) { r.transaction_id = TransactionId{-2}; }), "transaction_id"},
      {with([](NewPayment& r) { r.metadata = "null"; }), "metadata"},
  };
  for (const auto& [row, field] : cases) {
    auto s = payments_->Create(ctx_, row);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << field;
    EXPECT_EQ(StatusField(s.status()), field);
  }
  EXPECT_EQ(Rows("payments"), 0);
}

TEST_P(PaymentsRepositoryTest, PaymentUpdateWritesOnlyTheGivenFieldsAndKeepsText) {
  std::vector<UserId> u = MakeUsers(1);
  ASSERT_OK_AND_ASSIGN(Payment p, payments_->Create(ctx_, {.user_id = u[0], .amount = 100}));
  ASSERT_OK_AND_ASSIGN(Payment other, payments_->Create(ctx_, {.user_id = u[0], .amount = 200}));
  clock_.Advance(std::chrono::seconds(9));
  ASSERT_OK(payments_->Update(ctx_, p.id, {.status = PaymentStatus::kFailed, .external_id = "pi_9!~{}"}));
  ASSERT_OK_AND_ASSIGN(Payment got, payments_->Get(ctx_, p.id));
  EXPECT_EQ(got.status, PaymentStatus::kFailed);
  EXPECT_EQ(got.external_id, "pi_9!~{}");
  EXPECT_EQ(got.amount, 100);
  EXPECT_EQ(got.updated_at, clock_.Now());
  EXPECT_EQ(got.created_at, p.created_at);

  std::vector<std::string> texts = HostileTexts();
  texts.push_back("line1\nline2\ttab \x01\x02\x1f\x7f\xc2\x80");  // control characters, NUL-free
  for (const std::string& text : texts) {
    ASSERT_OK(payments_->Update(ctx_, p.id, {.error = text}));
    ASSERT_OK_AND_ASSIGN(got, payments_->Get(ctx_, p.id, PaymentFieldMask{PaymentField::kError}));
    EXPECT_EQ(got.error, text);
    EXPECT_FALSE(got.status.has_value());
  }
  ASSERT_OK(payments_->Update(ctx_, p.id, {.error = ""}));  // clears
  ASSERT_OK_AND_ASSIGN(got, payments_->Get(ctx_, p.id));
  EXPECT_FALSE(got.error.has_value());
  ASSERT_OK_AND_ASSIGN(Payment untouched, payments_->Get(ctx_, other.id));
  EXPECT_EQ(untouched.status, PaymentStatus::kPending);
  EXPECT_EQ(untouched.updated_at, other.updated_at);

  EXPECT_EQ(StatusField(payments_->Update(ctx_, p.id, {})), "patch");
  EXPECT_EQ(StatusField(payments_->Update(ctx_, p.id, {.error = std::string("a\0b", 3)})), "error");
  EXPECT_EQ(StatusField(payments_->Update(ctx_, p.id, {.error = "\xc3\x28"})), "error");
  EXPECT_EQ(StatusField(payments_->Update(ctx_, p.id, {.metadata = "[]"})), "metadata");
  EXPECT_EQ(StatusField(payments_->Update(ctx_, p.id, {.external_id = "a b"})), "external_id");
  EXPECT_THAT(payments_->Update(ctx_, PaymentId{77}, {.status = PaymentStatus::kCompleted}),
              StatusIs(absl::StatusCode::kNotFound, "payments: payment 77 not found"));
  ASSERT_OK(payments_->Update(ctx_, other.id, {.external_id = "dup-ref"}));
  auto dup = payments_->Update(ctx_, p.id, {.external_id = "dup-ref"});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(StatusField(dup), "external_id");
  ASSERT_OK_AND_ASSIGN(got, payments_->Get(ctx_, p.id));
  EXPECT_EQ(got.external_id, "pi_9!~{}");
}

TEST_P(PaymentsRepositoryTest, PaymentDeleteOnlyWhenNothingWentThroughAndListsPerUser) {
  std::vector<UserId> u = MakeUsers(2);
  std::vector<PaymentId> mine;
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK_AND_ASSIGN(Payment p, payments_->Create(ctx_, {.user_id = u[0], .amount = 100 + i}));
    mine.push_back(p.id);
  }
  ASSERT_OK_AND_ASSIGN(Payment theirs, payments_->Create(ctx_, {.user_id = u[1], .amount = 5}));
  ASSERT_OK(payments_->Update(ctx_, mine[0], {.status = PaymentStatus::kCompleted}));
  auto s = payments_->Delete(ctx_, mine[0]);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "delete payment: status must be PENDING or FAILED to delete a payment"));
  EXPECT_EQ(StatusField(s), "status");
  ASSERT_OK(payments_->Delete(ctx_, mine[6]));
  mine.pop_back();
  EXPECT_THAT(payments_->Delete(ctx_, PaymentId{1}), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(auto page, payments_->ListByUser(ctx_, u[0], {.limit = 4}));
  ASSERT_EQ(page.items.size(), 4u);
  EXPECT_EQ(page.items[0].id, mine[5]);
  EXPECT_EQ(page.items[3].id, mine[2]);
  ASSERT_FALSE(page.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(page, payments_->ListByUser(ctx_, u[0], {.limit = 4, .cursor = page.next_cursor}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[1].id, mine[0]);
  EXPECT_EQ(page.items[1].status, PaymentStatus::kCompleted);

  std::vector<PaymentId> ask = {theirs.id, mine[3], PaymentId{2}, theirs.id};
  query::StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(PaymentBatch batch, payments_->GetMany(ctx_, ask));
  EXPECT_EQ(budget.used(), 1);
  ASSERT_EQ(batch.payments.size(), 2u);
  EXPECT_EQ(batch.payments[0].user_id, u[1]);
  EXPECT_EQ(batch.payments[1].amount, 103);
  EXPECT_THAT(batch.missing, ElementsAre(PaymentId{2}));
  EXPECT_EQ(Must(payments_->Exists(ctx_, theirs.id)), true);
}

TEST(PaymentsModelTest, EnumsRoundTripAndUnknownSpellingsNameTheField) {
  for (auto t : {TransactionType::kDeposit, TransactionType::kWithdrawal, TransactionType::kTip,
                 TransactionType::kEarning, TransactionType::kRefund}) {
    EXPECT_EQ(Must(model::ParseTransactionType(model::ToString(t))), t);
  }
  for (auto s : {TransactionStatus::kPending, TransactionStatus::kCompleted, TransactionStatus::kFailed}) {
    EXPECT_EQ(Must(model::ParseTransactionStatus(model::ToString(s))), s);
  }
  for (auto p : {model::PaymentProvider::kStripe, model::PaymentProvider::kPaypal,
                 model::PaymentProvider::kFawry, model::PaymentProvider::kInstapay}) {
    EXPECT_EQ(Must(model::ParsePaymentProvider(model::ToString(p))), p);
  }
  for (auto s : {PaymentStatus::kPending, PaymentStatus::kProcessing, PaymentStatus::kCompleted,
                 PaymentStatus::kFailed, PaymentStatus::kRefunded}) {
    EXPECT_EQ(Must(model::ParsePaymentStatus(model::ToString(s))), s);
  }
  EXPECT_EQ(StatusField(model::ParseTransactionType("tip").status()), "type");
  EXPECT_EQ(StatusField(model::ParseTransactionStatus("DONE").status()), "status");
  EXPECT_EQ(StatusField(model::ParsePaymentProvider("VISA").status()), "provider");
  EXPECT_EQ(StatusField(model::ParsePaymentStatus("").status()), "status");
  EXPECT_EQ(model::ToString(static_cast<TransactionType>(42)), "");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PaymentsRepositoryTest);

}  // namespace
}  // namespace daira::services
