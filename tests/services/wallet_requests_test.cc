#include "daira/services/wallet_requests.h"

#include "../support/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "request_test_util.h"

namespace daira::services {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::testing::ElementsAre;
using testing::Fields;
using testing::MessageFor;
using testing::Repeat;

TipRequest GoodTip() {
  return TipRequest{.sender_id = 1, .receiver_id = 2, .amount = 500, .currency = "USD",
                    .idempotency_key = "tip-7f3a9c21"};
}

TEST(TipRequestTest, ValidRequestsPass) {
  EXPECT_THAT(GoodTip().Validate(), IsOk());
  TipRequest max = GoodTip();
  max.amount = kMaxTransferAmount;
  max.note = Repeat(testing::kEmoji, 200);
  max.idempotency_key = Repeat("K", 128);
  EXPECT_THAT(max.Validate(), IsOk());
}

TEST(TipRequestTest, EveryViolationAtOnce) {
  TipRequest r{.sender_id = 9, .receiver_id = 9, .amount = 0, .currency = "usd", .idempotency_key = "short",
               .note = Repeat("n", 201)};
  absl::Status s = r.Validate();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "tip: receiver_id must differ from sender_id (got 9); amount must be greater than 0 (got 0); "
                          "currency must be a 3-letter upper-case currency code (got \"usd\"); idempotency_key must "
                          "be 8 to 128 characters (got 5); note must be at most 200 characters (got 201)"));
  EXPECT_THAT(Fields(s), ElementsAre("receiver_id", "amount", "currency", "idempotency_key", "note"));
}

TEST(TipRequestTest, EachRule) {
  TipRequest r = GoodTip();
  r.amount = kMaxTransferAmount + 1;
  EXPECT_EQ(MessageFor(r.Validate(), "amount"), "must be at most 100000000 (got 100000001)");
  r = GoodTip();
  r.amount = -5;
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("amount"));
  r = GoodTip();
  r.idempotency_key = "has spaces in it";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("idempotency_key"));
  r = GoodTip();
  r.idempotency_key = Repeat("k", 129);
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("idempotency_key"));
  r = GoodTip();
  r.sender_id = 0;
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("sender_id"));
  r = GoodTip();
  r.receiver_id = -1;
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("receiver_id"));
  r = GoodTip();
  r.note = "line\nbreak";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("note"));
  r = GoodTip();
  r.currency = "EURO";
  EXPECT_THAT(Fields(r.Validate()), ElementsAre("currency"));
}

TEST(DepositWithdrawRequestTest, Rules) {
  EXPECT_THAT((DepositRequest{.user_id = 1, .amount = 1000, .provider = "STRIPE", .idempotency_key = "dep-00000001"}
                   .Validate()),
              IsOk());
  EXPECT_THAT((WithdrawRequest{.user_id = 1, .amount = 1000, .currency = "EGP", .provider = "INSTAPAY",
                               .idempotency_key = "wd-00000001"}
                   .Validate()),
              IsOk());
  absl::Status d =
      DepositRequest{.user_id = 0, .amount = 0, .currency = "", .provider = "VISA", .idempotency_key = ""}.Validate();
  EXPECT_THAT(Fields(d), ElementsAre("user_id", "amount", "currency", "idempotency_key", "provider"));
  EXPECT_EQ(MessageFor(d, "provider"), "must be one of STRIPE, PAYPAL, FAWRY, INSTAPAY (got \"VISA\")");
  absl::Status w = WithdrawRequest{.user_id = -1, .amount = kMaxTransferAmount + 1, .currency = "US1",
                                   .provider = "paypal", .idempotency_key = "bad key!"}
                       .Validate();
  EXPECT_THAT(Fields(w), ElementsAre("user_id", "amount", "currency", "idempotency_key", "provider"));
}

TEST(PaymentRequestTest, Rules) {
  PaymentRequest good{.user_id = 1, .provider = "FAWRY", .amount = 25000, .currency = "EGP",
                      .idempotency_key = "pay_000000001", .external_id = "ch_3NxYz", .metadata = R"({"order":"A1"})"};
  EXPECT_THAT(good.Validate(), IsOk());
  PaymentRequest bad{.user_id = 1, .provider = "BITCOIN", .amount = 1, .currency = "EGP",
                     .idempotency_key = "pay_000000001", .external_id = "has space", .metadata = "[1]"};
  absl::Status s = bad.Validate();
  EXPECT_THAT(Fields(s), ElementsAre("provider", "external_id", "metadata"));
  EXPECT_EQ(MessageFor(s, "metadata"), "must be a JSON object (got \"[1]\")");
  bad = good;
  bad.metadata = "{broken";
  EXPECT_THAT(Fields(bad.Validate()), ElementsAre("metadata"));
  bad = good;
  bad.external_id = "";
  EXPECT_THAT(Fields(bad.Validate()), ElementsAre("external_id"));
  bad = good;
  bad.metadata = "{\"k\":\"" + Repeat("v", 16384) + "\"}";
  EXPECT_THAT(Fields(bad.Validate()), ElementsAre("metadata"));
}

}  // namespace
}  // namespace daira::services
