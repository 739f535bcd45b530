// services::Payments on every SQL backend: webhook signatures (good, bad, stale, replayed), deposits
// settled through the local provider's signed webhooks, duplicate and out-of-order deliveries.
#include "daira/services/payments.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/services/audit_log.h"
#include "daira/services/payment_repository.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrated_test_base.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {
namespace {

using ::daira::testing::StatusIs;
using model::TransactionStatus;
using ::testing::HasSubstr;

TEST(WebhookVerifierTest, GoodBadStaleAndMalformedSignatures) {
  ManualClock clock{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  WebhookVerifier v("whsec_test", std::chrono::minutes(5), &clock);
  const std::string payload =
      R"({"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}})";
  const std::string header = v.Sign(payload, clock.Now());
  EXPECT_THAT(header, HasSubstr("t=1700000000,v1="));
  EXPECT_OK(v.Verify(payload, header));
  // Stripe sends one v1 per active secret: any one matching is enough.
  EXPECT_OK(
      v.Verify(payload, absl::StrCat("t=1700000000,v1=", std::string(64, '0'), ",", header.substr(13))));

  EXPECT_THAT(v.Verify(payload + " ", header),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not match")));
  WebhookVerifier other("whsec_other", std::chrono::minutes(5), &clock);
  EXPECT_THAT(other.Verify(payload, header), StatusIs(absl::StatusCode::kUnauthenticated));
  std::string flipped = header;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_THAT(v.Verify(payload, flipped), StatusIs(absl::StatusCode::kUnauthenticated));
  // The timestamp is signed: moving it breaks the signature.
  std::string moved = header;
  moved.replace(2, 10, "1700000100");
  EXPECT_THAT(v.Verify(payload, moved),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not match")));

  // Replayed later than the tolerance: refused even though the signature is right.
  clock.Advance(std::chrono::minutes(5));
  EXPECT_OK(v.Verify(payload, header));
  clock.Advance(std::chrono::seconds(1));
  EXPECT_THAT(v.Verify(payload, header),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("tolerance")));
  // From the future, too.
  EXPECT_THAT(v.Verify(payload, v.Sign(payload, clock.Now() + std::chrono::minutes(6))),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("tolerance")));

  for (const char* bad : {"", "t=1700000000", "v1=abc", "t=x,v1=abc", "garbage"}) {
    auto s = v.Verify(payload, bad);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_EQ(StatusField(s), "signature") << bad;
  }
}

// A provider that counts the refunds it is asked for (and otherwise is the local one).
class CountingProvider final : public PaymentProvider {
 public:
  explicit CountingProvider(LocalProvider& local) : local_(local) {}
  model::PaymentProvider provider() const override { return local_.provider(); }
  absl::StatusOr<PaymentIntent> CreateIntent(const RequestContext& ctx, int64_t amount,
                                             std::string_view currency, std::string_view reference) override {
    return local_.CreateIntent(ctx, amount, currency, reference);
  }
  absl::StatusOr<ProviderRefund> Refund(const RequestContext& ctx, std::string_view external_id,
                                        int64_t amount, std::string_view key) override {
    ++refunds;
    return local_.Refund(ctx, external_id, amount, key);
  }
  absl::StatusOr<WebhookEvent> ParseWebhook(std::string_view payload,
                                            std::string_view signature) const override {
    return local_.ParseWebhook(payload, signature);
  }
  std::atomic<int> refunds{0};

 private:
  LocalProvider& local_;
};

class PaymentsTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    local_ = std::make_unique<LocalProvider>(LocalProviderOptions{.secret = "whsec_test", .clock = &clock_});
    counting_ = std::make_unique<CountingProvider>(*local_);
    wallets_ = std::make_unique<Wallets>(deps_);
    payments_ = std::make_unique<Payments>(deps_, *wallets_, PaymentsOptions{.providers = {counting_.get()}});
    ASSERT_OK(tdb_->db()
                  .Execute(ctx_,
                           "INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           {user_, "payer", deps_.NowMicros(), deps_.NowMicros()})
                  .status());
  }
  int64_t Balance() { return Must(wallets_->Balance(ctx_, UserId{user_}, "USD")).balance; }
  int64_t Rows(std::string_view table) {
    auto rs = tdb_->db().Execute(ctx_, absl::StrCat("SELECT count(*) FROM ", ToAbsl(table)));
    return rs.ok() ? rs->front().Int64(0) : -1;
  }
  PaymentStart Start(std::string key, int64_t amount = 2500) {
    return Must(payments_->StartDeposit(ctx_, {.user_id = user_,
                                               .amount = amount,
                                               .currency = "USD",
                                               .provider = "STRIPE",
                                               .idempotency_key = key}));
  }
  absl::StatusOr<WebhookResult> Deliver(const SignedWebhook& hook) {
    return payments_->HandleWebhook(ctx_, model::PaymentProvider::kStripe, hook.payload, hook.signature);
  }

  // A deposit of `amount` started and settled through the provider's signed webhook.
  PaymentStart Paid(std::string key, int64_t amount) {
    PaymentStart s = Start(std::move(key), amount);
    EXPECT_OK(Deliver(local_->Settle(*s.payment.external_id, true)).status());
    return s;
  }
  absl::StatusOr<PaymentRefund> Refund(const PaymentStart& s, int64_t amount, std::string key) {
    return payments_->Refund(
        ctx_, {.transaction_id = s.movement.id.value, .amount = amount, .idempotency_key = std::move(key)});
  }
  absl::StatusOr<WebhookResult> Answer(const PaymentRefund& r, bool succeeded) {
    return Deliver(local_->SettleRefund(r.external_id, r.refund_id, succeeded));
  }
  int64_t Audits(std::string_view action) {
    auto rs = tdb_->db().Execute(ctx_, "SELECT count(*) FROM audit_logs WHERE action = ?", {action});
    return rs.ok() ? rs->front().Int64(0) : -1;
  }
  int64_t Account(std::string_view account) {
    auto rs = tdb_->db().Execute(ctx_, "SELECT COALESCE(SUM(amount), 0) FROM ledger_lines WHERE account = ?",
                                 {account});
    return rs.ok() ? rs->front().Int64(0) : -1;
  }
  // Every row count a refund could change.
  std::string Footprint() {
    return absl::StrCat(Rows("transactions"), "/", Rows("ledger_lines"), "/", Rows("idempotency_keys"), "/",
                        Rows("audit_logs"), "/", Balance(), "/", Account("HOLD"));
  }
  model::PaymentStatus PaymentStatusOf(const PaymentStart& s) {
    return Must(PaymentRepository(deps_).Get(ctx_, s.payment.id)).status.value();
  }
  void ExpectHealthyLedger() {
    ASSERT_OK_AND_ASSIGN(Wallets::LedgerReport ledger, wallets_->CheckLedger(ctx_));
    EXPECT_TRUE(ledger.wallets.empty());
    EXPECT_TRUE(ledger.unbalanced.empty());
    ASSERT_OK_AND_ASSIGN(AuditVerification chain, AuditLog(deps_).Verify(ctx_));
    EXPECT_TRUE(chain.ok()) << chain.problem;
  }

  const int64_t user_ = 500;
  std::unique_ptr<LocalProvider> local_;
  std::unique_ptr<CountingProvider> counting_;
  std::unique_ptr<Wallets> wallets_;
  std::unique_ptr<Payments> payments_;
};

TEST_P(PaymentsTest, SucceededWebhookCreditsOnceAndALateFailureChangesNothing) {
  PaymentStart s = Start("dep-pay-0001");
  EXPECT_EQ(s.movement.status, TransactionStatus::kPending);
  ASSERT_TRUE(s.payment.external_id.has_value());
  EXPECT_EQ(s.payment.status, model::PaymentStatus::kPending);
  EXPECT_FALSE(s.client_secret.empty());
  // StartDeposit retried with its key: the same movement and payment, no second intent.
  PaymentStart again = Start("dep-pay-0001");
  EXPECT_EQ(again.movement, s.movement);
  EXPECT_EQ(again.payment.id, s.payment.id);
  EXPECT_EQ(Rows("payments"), 1);

  const SignedWebhook ok = local_->Settle(*s.payment.external_id, /*succeeded=*/true);
  ASSERT_OK_AND_ASSIGN(WebhookResult r, Deliver(ok));
  EXPECT_EQ(r.outcome, WebhookResult::Outcome::kApplied);
  ASSERT_TRUE(r.movement.has_value());
  EXPECT_EQ(r.movement->status, TransactionStatus::kCompleted);
  EXPECT_EQ(Balance(), 2500);

  // Delivered twice: money moves once.
  ASSERT_OK_AND_ASSIGN(WebhookResult dup, Deliver(ok));
  EXPECT_EQ(dup.outcome, WebhookResult::Outcome::kDuplicate);
  EXPECT_EQ(Balance(), 2500);
  // Out of order: "failed" after "succeeded" is ignored.
  ASSERT_OK_AND_ASSIGN(WebhookResult late, Deliver(local_->Settle(*s.payment.external_id, false)));
  EXPECT_EQ(late.outcome, WebhookResult::Outcome::kIgnored);
  EXPECT_EQ(Balance(), 2500);
  PaymentRepository repo(deps_);
  EXPECT_EQ(Must(repo.Get(ctx_, s.payment.id)).status, model::PaymentStatus::kCompleted);
  // A second "succeeded" event (new id) for the same payment: still credited once.
  ASSERT_OK(Deliver(local_->Settle(*s.payment.external_id, true)).status());
  EXPECT_EQ(Balance(), 2500);
}

TEST_P(PaymentsTest, FailedWebhookFailsTheDepositAndALateSuccessIsNotCredited) {
  PaymentStart s = Start("dep-pay-0002", 900);
  ASSERT_OK_AND_ASSIGN(WebhookResult r, Deliver(local_->Settle(*s.payment.external_id, false)));
  EXPECT_EQ(r.outcome, WebhookResult::Outcome::kApplied);
  EXPECT_EQ(r.movement->status, TransactionStatus::kFailed);
  PaymentRepository repo(deps_);
  model::Payment p = Must(repo.Get(ctx_, s.payment.id));
  EXPECT_EQ(p.status, model::PaymentStatus::kFailed);
  EXPECT_EQ(p.error, "declined (local)");
  ASSERT_OK_AND_ASSIGN(WebhookResult late, Deliver(local_->Settle(*s.payment.external_id, true)));
  EXPECT_EQ(late.outcome, WebhookResult::Outcome::kIgnored);
  EXPECT_EQ(Balance(), 0);
  ASSERT_OK_AND_ASSIGN(Wallets::LedgerReport ledger, wallets_->CheckLedger(ctx_));
  EXPECT_TRUE(ledger.wallets.empty());
}

TEST_P(PaymentsTest, BadStaleOrUnknownWebhooksWriteNothing) {
  PaymentStart s = Start("dep-pay-0003");
  const int64_t keys = Rows("idempotency_keys");
  SignedWebhook hook = local_->Settle(*s.payment.external_id, true);

  SignedWebhook forged = hook;
  forged.payload.insert(forged.payload.size() - 1, " ");
  EXPECT_THAT(Deliver(forged), StatusIs(absl::StatusCode::kUnauthenticated));
  SignedWebhook stale = hook;
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_THAT(Deliver(stale), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("tolerance")));
  auto unknown = Deliver(local_->Settle("local_does_not_exist", true));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kNotFound, HasSubstr("external_id")));
  EXPECT_EQ(Rows("idempotency_keys"), keys);
  EXPECT_EQ(Balance(), 0);
  EXPECT_THAT(payments_->HandleWebhook(ctx_, model::PaymentProvider::kPaypal, hook.payload, hook.signature),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      payments_->StartDeposit(
          ctx_, {.user_id = user_, .amount = 5, .provider = "FAWRY", .idempotency_key = "dep-pay-0004"}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("provider FAWRY")));
}

// What the bindings configure by name: local providers Payments owns (SetLocal), found by local(), whose
// verifier accepts a webhook signed by anyone holding the secret; and RecordDeposit for an intent the
// application created itself at the provider.
TEST_P(PaymentsTest, OwnedLocalProvidersAndRecordedIntentsSettleThroughSignedWebhooks) {
  PaymentsOptions o;
  EXPECT_THAT(o.SetLocal("VISA", "whsec_x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(got \"VISA\")")));
  EXPECT_EQ(StatusField(o.SetLocal("PAYPAL", "")), "secret");
  EXPECT_EQ(StatusField(o.SetLocal("PAYPAL", "whsec_x", std::chrono::seconds(0))), "tolerance");
  EXPECT_TRUE(o.local.empty());
  ASSERT_OK(o.SetLocal("PAYPAL", "whsec_first"));
  ASSERT_OK(o.SetLocal("PAYPAL", "whsec_paypal"));  // replaces, never two for one provider
  ASSERT_EQ(o.local.size(), 1u);
  EXPECT_OK(o.Validate());
  PaymentsOptions twice = o;
  LocalProvider other({.provider = model::PaymentProvider::kPaypal});
  twice.providers = {&other};
  EXPECT_THAT(twice.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PAYPAL")));

  Payments payments(deps_, *wallets_, o);
  EXPECT_EQ(payments.local(model::PaymentProvider::kStripe), nullptr);
  LocalProvider* paypal = payments.local(model::PaymentProvider::kPaypal);
  ASSERT_NE(paypal, nullptr);
  ASSERT_OK_AND_ASSIGN(PaymentStart s, payments.RecordDeposit(ctx_,
                                                              {.user_id = user_,
                                                               .amount = 700,
                                                               .currency = "USD",
                                                               .provider = "PAYPAL",
                                                               .idempotency_key = "dep-pay-rec1"},
                                                              "PAYID-123"));
  EXPECT_EQ(s.payment.external_id, "PAYID-123");
  EXPECT_EQ(s.payment.provider, model::PaymentProvider::kPaypal);
  // Retried with the same key: the first result; with another external id: refused, nothing written.
  ASSERT_OK_AND_ASSIGN(PaymentStart again, payments.RecordDeposit(ctx_,
                                                                  {.user_id = user_,
                                                                   .amount = 700,
                                                                   .currency = "USD",
                                                                   .provider = "PAYPAL",
                                                                   .idempotency_key = "dep-pay-rec1"},
                                                                  "PAYID-123"));
  EXPECT_EQ(again.payment.id, s.payment.id);
  auto moved = payments.RecordDeposit(ctx_,
                                      {.user_id = user_,
                                       .amount = 700,
                                       .currency = "USD",
                                       .provider = "PAYPAL",
                                       .idempotency_key = "dep-pay-rec1"},
                                      "PAYID-999");
  EXPECT_THAT(moved, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(StatusField(moved.status()), "external_id");
  auto bad = payments.RecordDeposit(ctx_,
                                    {.user_id = user_,
                                     .amount = 5,
                                     .currency = "USD",
                                     .provider = "PAYPAL",
                                     .idempotency_key = "dep-pay-rec2"},
                                    "has space");
  EXPECT_EQ(StatusField(bad.status()), "external_id");
  EXPECT_EQ(Rows("payments"), 1);

  // A webhook signed elsewhere with the same secret (here: a verifier holding it, on the test clock).
  const std::string payload = absl::StrCat(
      R"({"id":"evt_ext_1","type":"payment_intent.succeeded","data":{"object":{"id":"PAYID-123"}}})");
  WebhookVerifier sender("whsec_paypal", std::chrono::minutes(5), &clock_);
  ASSERT_OK_AND_ASSIGN(WebhookResult r, payments.HandleWebhook(ctx_, model::PaymentProvider::kPaypal, payload,
                                                               sender.Sign(payload, clock_.Now())));
  EXPECT_EQ(r.outcome, WebhookResult::Outcome::kApplied);
  ASSERT_TRUE(r.payment.has_value());
  EXPECT_EQ(r.payment->status, model::PaymentStatus::kCompleted);
  EXPECT_EQ(Balance(), 700);
  // The owned provider signs on the service's clock: its Settle() is accepted now, refused 10 min later.
  SignedWebhook late = paypal->Settle("PAYID-123", false);
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_THAT(payments.HandleWebhook(ctx_, model::PaymentProvider::kPaypal, late.payload, late.signature),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("tolerance")));
  auto unconfigured = payments.HandleWebhook(ctx_, model::PaymentProvider::kFawry, payload, "t=1,v1=00");
  EXPECT_EQ(StatusField(unconfigured.status()), "provider");
  EXPECT_THAT(ParseProviderName("webhook", "BITCOIN"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(got \"BITCOIN\")")));
}

TEST_P(PaymentsTest, FullRefundIsHeldThenMovesOnceWhenTheProviderConfirms) {
  PaymentStart s = Paid("dep-ref-full1", 2500);
  ASSERT_EQ(Balance(), 2500);
  ASSERT_OK_AND_ASSIGN(PaymentRefund r, Refund(s, 2500, "ref-full-0001"));
  EXPECT_EQ(r.movement.type, model::TransactionType::kRefund);
  EXPECT_EQ(r.movement.status, TransactionStatus::kPending);
  EXPECT_EQ(r.movement.refund_of, s.movement.id);
  EXPECT_EQ(r.external_id, *s.payment.external_id);
  EXPECT_THAT(r.refund_id, ::testing::StartsWith("local_re_"));
  EXPECT_EQ(r.provider, model::PaymentProvider::kStripe);
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(counting_->refunds.load(), 1);
  // Held at once: the wallet cannot spend it while the provider works; the payment is not REFUNDED yet.
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(r.movement.balance_after, 0);
  EXPECT_EQ(Account("HOLD"), 2500);
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kCompleted);
  EXPECT_EQ(Audits("payment.refund"), 1);

  // The provider confirms: the money leaves to EXTERNAL, once.
  const SignedWebhook ok = local_->SettleRefund(r.external_id, r.refund_id, true);
  ASSERT_OK_AND_ASSIGN(WebhookResult applied, Deliver(ok));
  EXPECT_EQ(applied.outcome, WebhookResult::Outcome::kApplied);
  ASSERT_TRUE(applied.movement.has_value());
  EXPECT_EQ(applied.movement->id, r.movement.id);
  EXPECT_EQ(applied.movement->status, TransactionStatus::kCompleted);
  ASSERT_TRUE(applied.refund.has_value());
  EXPECT_EQ(applied.refund->refund_id, r.refund_id);
  ASSERT_TRUE(applied.payment.has_value());
  EXPECT_EQ(applied.payment->status, model::PaymentStatus::kRefunded);
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(Account("HOLD"), 0);
  EXPECT_EQ(Account("EXTERNAL"), 0);  // −2500 in, +2500 back out
  EXPECT_EQ(Audits("payment.refund.succeeded"), 1);

  // Delivered twice: nothing moves again; a second "succeeded" event and a late "failed" are ignored.
  ASSERT_OK_AND_ASSIGN(WebhookResult dup, Deliver(ok));
  EXPECT_EQ(dup.outcome, WebhookResult::Outcome::kDuplicate);
  ASSERT_OK_AND_ASSIGN(WebhookResult again, Answer(r, true));
  EXPECT_EQ(again.outcome, WebhookResult::Outcome::kIgnored);
  ASSERT_OK_AND_ASSIGN(WebhookResult late, Answer(r, false));
  EXPECT_EQ(late.outcome, WebhookResult::Outcome::kIgnored);
  EXPECT_EQ(late.refund->movement.status, TransactionStatus::kCompleted);
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(Rows("ledger_lines"), 6);  // deposit 2, hold 2, payout 2
  EXPECT_EQ(Audits("payment.refund.succeeded"), 1);
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kRefunded);
  // A late "succeeded" of the payment itself does not make it COMPLETED again.
  ASSERT_OK(Deliver(local_->Settle(*s.payment.external_id, true)).status());
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kRefunded);

  // Nothing remains: refused, and the provider is not asked.
  auto over = Refund(s, 1, "ref-full-0002");
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already fully refunded")));
  EXPECT_EQ(StatusField(over.status()), "transaction_id");
  EXPECT_EQ(counting_->refunds.load(), 1);
  // GetRefund: the refund as it stands now.
  ASSERT_OK_AND_ASSIGN(PaymentRefund now, payments_->GetRefund(ctx_, r.movement.id));
  EXPECT_EQ(now.movement.status, TransactionStatus::kCompleted);
  EXPECT_EQ(now.refund_id, r.refund_id);
  EXPECT_THAT(payments_->GetRefund(ctx_, s.movement.id), StatusIs(absl::StatusCode::kNotFound));
  ExpectHealthyLedger();
}

TEST_P(PaymentsTest, PartialRefundsAddUpToTheTotalAndNeverBeyond) {
  PaymentStart s = Paid("dep-ref-part1", 1000);
  ASSERT_OK_AND_ASSIGN(PaymentRefund a, Refund(s, 300, "ref-part-0001"));
  // A refund still PENDING counts against what remains.
  auto over = Refund(s, 701, "ref-part-0002");
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("remaining 700")));
  EXPECT_EQ(StatusField(over.status()), "amount");
  ASSERT_OK_AND_ASSIGN(PaymentRefund b, Refund(s, 700, "ref-part-0003"));
  EXPECT_NE(a.refund_id, b.refund_id);
  EXPECT_EQ(Balance(), 0);
  EXPECT_THAT(Refund(s, 1, "ref-part-0004"), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The wallet-level refund shares the limit.
  EXPECT_THAT(
      wallets_->Refund(
          ctx_, {.transaction_id = s.movement.id.value, .amount = 1, .idempotency_key = "ref-part-0005"}),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(counting_->refunds.load(), 2);

  ASSERT_OK_AND_ASSIGN(WebhookResult first, Answer(a, true));
  EXPECT_EQ(first.outcome, WebhookResult::Outcome::kApplied);
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kCompleted);  // 700 still out
  ASSERT_OK_AND_ASSIGN(WebhookResult second, Answer(b, true));
  EXPECT_EQ(second.outcome, WebhookResult::Outcome::kApplied);
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kRefunded);
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(Account("HOLD"), 0);
  EXPECT_EQ(Audits("payment.refund"), 2);
  EXPECT_EQ(Audits("payment.refund.succeeded"), 2);
  ExpectHealthyLedger();
}

TEST_P(PaymentsTest, AFailedRefundReleasesTheHoldAndSaysWhy) {
  PaymentStart s = Paid("dep-ref-fail1", 1000);
  ASSERT_OK_AND_ASSIGN(PaymentRefund r, Refund(s, 400, "ref-fail-0001"));
  EXPECT_EQ(Balance(), 600);
  ASSERT_OK_AND_ASSIGN(WebhookResult failed, Answer(r, false));
  EXPECT_EQ(failed.outcome, WebhookResult::Outcome::kApplied);
  EXPECT_EQ(failed.movement->status, TransactionStatus::kFailed);
  ASSERT_TRUE(failed.refund.has_value());
  EXPECT_EQ(failed.refund->error, "declined (local)");
  EXPECT_EQ(Balance(), 1000);
  EXPECT_EQ(Account("HOLD"), 0);
  EXPECT_EQ(Account("EXTERNAL"), -1000);  // nothing left daira
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kCompleted);
  ASSERT_OK_AND_ASSIGN(PaymentRefund now, payments_->GetRefund(ctx_, r.movement.id));
  EXPECT_EQ(now.movement.status, TransactionStatus::kFailed);
  EXPECT_EQ(now.error, "declined (local)");
  EXPECT_EQ(Audits("payment.refund.failed"), 1);
  // A late "succeeded" for the failed refund moves nothing.
  ASSERT_OK_AND_ASSIGN(WebhookResult late, Answer(r, true));
  EXPECT_EQ(late.outcome, WebhookResult::Outcome::kIgnored);
  EXPECT_EQ(Balance(), 1000);
  // A failed refund does not count: the whole deposit may still be refunded.
  ASSERT_OK_AND_ASSIGN(PaymentRefund whole, Refund(s, 1000, "ref-fail-0002"));
  EXPECT_EQ(Balance(), 0);
  ASSERT_OK(Answer(whole, true).status());
  EXPECT_EQ(PaymentStatusOf(s), model::PaymentStatus::kRefunded);
  ExpectHealthyLedger();
}

TEST_P(PaymentsTest, ForgedOrUnknownRefundWebhooksWriteNothing) {
  PaymentStart s = Paid("dep-ref-sig01", 800);
  ASSERT_OK_AND_ASSIGN(PaymentRefund r, Refund(s, 800, "ref-sig-00001"));
  const std::string before = Footprint();
  SignedWebhook forged = local_->SettleRefund(r.external_id, r.refund_id, true);
  forged.payload.insert(forged.payload.size() - 1, " ");
  EXPECT_THAT(Deliver(forged), StatusIs(absl::StatusCode::kUnauthenticated));
  WebhookVerifier other("whsec_other", std::chrono::minutes(5), &clock_);
  SignedWebhook wrong_secret = local_->SettleRefund(r.external_id, r.refund_id, true);
  wrong_secret.signature = other.Sign(wrong_secret.payload, clock_.Now());
  EXPECT_THAT(Deliver(wrong_secret), StatusIs(absl::StatusCode::kUnauthenticated));
  auto unknown = Deliver(local_->SettleRefund(r.external_id, "local_re_nope", true));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(StatusField(unknown.status()), "refund_id");
  EXPECT_EQ(Footprint(), before);
  ASSERT_OK_AND_ASSIGN(PaymentRefund still, payments_->GetRefund(ctx_, r.movement.id));
  EXPECT_EQ(still.movement.status, TransactionStatus::kPending);
  // A refund event without the payment it refunds is malformed.
  const std::string bad =
      R"({"id":"evt_x","type":"refund.updated","data":{"object":{"id":"re_1","object":"refund","status":"succeeded"}}})";
  EXPECT_THAT(payments_->HandleWebhook(ctx_, model::PaymentProvider::kStripe, bad,
                                       local_->verifier().Sign(bad, clock_.Now())),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Footprint(), before);
}

TEST_P(PaymentsTest, RefundKeysReplayTheFirstResultAndRefusedRefundsWriteNothing) {
  PaymentStart s = Paid("dep-ref-key01", 1000);
  ASSERT_OK_AND_ASSIGN(PaymentRefund first, Refund(s, 250, "ref-key-00001"));
  ASSERT_OK_AND_ASSIGN(PaymentRefund replay, Refund(s, 250, "ref-key-00001"));
  EXPECT_EQ(replay.movement, first.movement);
  EXPECT_EQ(replay.refund_id, first.refund_id);
  EXPECT_EQ(counting_->refunds.load(), 1);  // the provider is not asked again
  EXPECT_EQ(Balance(), 750);
  // Still the first result after the provider settled it.
  ASSERT_OK(Answer(first, true).status());
  ASSERT_OK_AND_ASSIGN(PaymentRefund later, Refund(s, 250, "ref-key-00001"));
  EXPECT_EQ(later.movement, first.movement);
  // The same key for another request (or a wallet refund): refused.
  auto other = Refund(s, 251, "ref-key-00001");
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(StatusField(other.status()), "idempotency_key");
  EXPECT_EQ(StatusField(wallets_
                            ->Refund(ctx_, {.transaction_id = s.movement.id.value,
                                            .amount = 250,
                                            .idempotency_key = "ref-key-00001"})
                            .status()),
            "idempotency_key");

  // Bad input, a short balance, a deposit not paid through a provider, a tip, a pending deposit.
  EXPECT_EQ(StatusField(Refund(s, 0, "ref-key-00002").status()), "amount");
  EXPECT_EQ(StatusField(Refund(s, 10, "bad key").status()), "idempotency_key");
  ASSERT_OK_AND_ASSIGN(Movement w, wallets_->Withdraw(ctx_, {.user_id = user_,
                                                             .amount = 700,
                                                             .currency = "USD",
                                                             .provider = "STRIPE",
                                                             .idempotency_key = "wd-ref-key01"}));
  auto short_balance = Refund(s, 100, "ref-key-00003");
  EXPECT_THAT(short_balance, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(StatusField(short_balance.status()), "amount");
  ASSERT_OK(wallets_->FailWithdrawal(ctx_, w.id).status());
  ASSERT_OK_AND_ASSIGN(Movement plain, wallets_->Deposit(ctx_, {.user_id = user_,
                                                                .amount = 50,
                                                                .currency = "USD",
                                                                .provider = "STRIPE",
                                                                .idempotency_key = "dep-ref-plain"}));
  EXPECT_EQ(StatusField(payments_
                            ->Refund(ctx_, {.transaction_id = plain.id.value,
                                            .amount = 10,
                                            .idempotency_key = "ref-key-00004"})
                            .status()),
            "transaction_id");  // PENDING
  ASSERT_OK(wallets_->ConfirmDeposit(ctx_, plain.id).status());
  auto not_provider = payments_->Refund(
      ctx_, {.transaction_id = plain.id.value, .amount = 10, .idempotency_key = "ref-key-00005"});
  EXPECT_THAT(not_provider, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("provider")));
  EXPECT_EQ(StatusField(not_provider.status()), "transaction_id");
  EXPECT_EQ(counting_->refunds.load(), 1);
  // None of the refused refunds left a key, a movement, a line or an audit row.
  EXPECT_EQ(Audits("payment.refund"), 1);
  auto keys = tdb_->db().Execute(
      ctx_,
      "SELECT count(*) FROM idempotency_keys WHERE key IN ('ref-key-00002', 'ref-key-00003', "
      "'ref-key-00004', 'ref-key-00005')");
  ASSERT_OK(keys.status());
  EXPECT_EQ(keys->front().Int64(0), 0);
  auto refunds = tdb_->db().Execute(ctx_, "SELECT count(*) FROM transactions WHERE type = 'REFUND'");
  ASSERT_OK(refunds.status());
  EXPECT_EQ(refunds->front().Int64(0), 1);
  ExpectHealthyLedger();
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PaymentsTest);

}  // namespace
}  // namespace daira::services
