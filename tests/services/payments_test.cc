// services::Payments on every SQL backend: webhook signatures (good, bad, stale, replayed), deposits
// settled through the local provider's signed webhooks, duplicate and out-of-order deliveries.
#include "daira/services/payments.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

class PaymentsTest : public MigratedServicesTest {
 protected:
  void SetUp() override {
    MigratedServicesTest::SetUp();
    if (HasFatalFailure()) return;
    local_ = std::make_unique<LocalProvider>(LocalProviderOptions{.secret = "whsec_test", .clock = &clock_});
    wallets_ = std::make_unique<Wallets>(deps_);
    payments_ = std::make_unique<Payments>(deps_, *wallets_, PaymentsOptions{.providers = {local_.get()}});
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

  const int64_t user_ = 500;
  std::unique_ptr<LocalProvider> local_;
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

DAIRA_INSTANTIATE_SQL_BACKENDS(PaymentsTest);

}  // namespace
}  // namespace daira::services
