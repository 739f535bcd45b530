/* The C ABI's money calls from C99 (docs/money.md): daira_money_deposit / _confirm_deposit, _tip (the
 * same idempotency key replays the first movement; another request with it is FAILED_PRECONDITION naming
 * "idempotency_key"), _refund (never more than remains), _withdraw / _fail_withdrawal (the hold released),
 * _balance, _statement; refused calls name their field.
 *
 *   c_abi_money_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed. Every handle, string and error is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "daira_c.h"

/* Registers `name` and stores its id. */
static void user(daira_platform_t* p, const char* name, char* id, size_t cap) {
  char request[256];
  char* out;
  snprintf(request, sizeof request,
           "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"correct horse battery\"}", name,
           name);
  out = RUN(daira_accounts_register, p, request);
  CHECK(out != NULL && json_string(out, "id", id, cap));
  daira_free(out);
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  const char* options = "{\"password_cost\":\"test\",\"cache\":\"memory:\",\"realtime\":\"memory:\"}";
  char alice[32] = "", bob[32] = "", dep[32] = "", tip[32] = "", wd[32] = "", request[512];
  char *out, *again;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  CHECK_CODE(daira_platform_open(argv[1], strlen(argv[1]), options, strlen(options), &p, &err), DAIRA_OK,
             err);
  if (p == NULL) {
    daira_error_free(&err);
    return 1;
  }
  user(p, "alice", alice, sizeof alice);
  user(p, "bob", bob, sizeof bob);

  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":2500,\"provider\":\"STRIPE\",\"idempotency_key\":\"dep-c-0001\"}",
           alice);
  out = RUN(daira_money_deposit, p, request);
  EXPECT_CONTAINS(out, "\"status\":\"PENDING\"");
  CHECK(json_string(out, "id", dep, sizeof dep));
  daira_free(out);
  snprintf(request, sizeof request, "{\"transaction_id\":\"%s\"}", dep);
  out = RUN(daira_money_confirm_deposit, p, request);
  EXPECT_CONTAINS(out, "\"status\":\"COMPLETED\"");
  EXPECT_CONTAINS(out, "\"balance_after\":2500");
  daira_free(out);

  snprintf(request, sizeof request,
           "{\"sender_id\":\"%s\",\"receiver_id\":\"%s\",\"amount\":500,\"idempotency_key\":\"tip-c-0001\","
           "\"note\":\"thanks\"}",
           alice, bob);
  out = RUN(daira_money_tip, p, request);
  EXPECT_CONTAINS(out, "\"type\":\"TIP\"");
  EXPECT_CONTAINS(out, "\"description\":\"thanks\"");
  CHECK(json_string(out, "id", tip, sizeof tip));
  again = RUN(daira_money_tip, p, request);
  CHECK(out != NULL && again != NULL && strcmp(out, again) == 0); /* the first result, byte for byte */
  daira_free(out);
  daira_free(again);
  snprintf(request, sizeof request,
           "{\"sender_id\":\"%s\",\"receiver_id\":\"%s\",\"amount\":501,\"idempotency_key\":\"tip-c-0001\"}",
           alice, bob);
  EXPECT_ERROR(daira_money_tip, p, request, DAIRA_FAILED_PRECONDITION, "idempotency_key");

  snprintf(request, sizeof request,
           "{\"transaction_id\":\"%s\",\"amount\":600,\"idempotency_key\":\"ref-c-0001\"}", tip);
  EXPECT_ERROR(daira_money_refund, p, request, DAIRA_FAILED_PRECONDITION, "amount");
  snprintf(request, sizeof request,
           "{\"transaction_id\":\"%s\",\"amount\":500,\"idempotency_key\":\"ref-c-0002\"}", tip);
  out = RUN(daira_money_refund, p, request);
  EXPECT_CONTAINS(out, "\"type\":\"REFUND\"");
  daira_free(out);

  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":1000,\"provider\":\"PAYPAL\",\"idempotency_key\":\"wd-c-0001\"}",
           alice);
  out = RUN(daira_money_withdraw, p, request);
  EXPECT_CONTAINS(out, "\"balance_after\":1500");
  CHECK(json_string(out, "id", wd, sizeof wd));
  daira_free(out);
  snprintf(request, sizeof request, "{\"transaction_id\":\"%s\"}", wd);
  daira_free(RUN(daira_money_fail_withdrawal, p, request));

  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_money_balance, p, request);
  EXPECT_CONTAINS(out, "\"balance\":2500");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"limit\":2}", alice);
  out = RUN(daira_money_statement, p, request);
  EXPECT_CONTAINS(out, "\"amount\":1000");
  EXPECT_CONTAINS(out, "\"next_cursor\":\"");
  daira_free(out);

  /* An earning, paid by the platform account; the same key again moves nothing. */
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":300,\"idempotency_key\":\"earn-c-0001\",\"description\":\"bonus\"}",
           alice);
  out = RUN(daira_money_earn, p, request);
  EXPECT_CONTAINS(out, "\"type\":\"EARNING\"");
  EXPECT_CONTAINS(out, "\"balance_after\":2800");
  daira_free(out);
  daira_free(RUN(daira_money_earn, p, request));
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_money_balance, p, request);
  EXPECT_CONTAINS(out, "\"balance\":2800");
  daira_free(out);
  EXPECT_ERROR(daira_money_earn, p, "{\"amount\":1,\"idempotency_key\":\"earn-c-0002\"}", DAIRA_INVALID_ARGUMENT,
               "user_id");

  snprintf(request, sizeof request,
           "{\"sender_id\":\"%s\",\"receiver_id\":\"%s\",\"amount\":1,\"idempotency_key\":\"tip-c-self\"}",
           alice, alice);
  EXPECT_ERROR(daira_money_tip, p, request, DAIRA_INVALID_ARGUMENT, "receiver_id");
  snprintf(
      request, sizeof request,
      "{\"user_id\":\"%s\",\"amount\":5,\"currency\":\"usd\",\"provider\":\"STRIPE\",\"idempotency_key\":"
      "\"dep-c-0002\"}",
      alice);
  EXPECT_ERROR(daira_money_deposit, p, request, DAIRA_INVALID_ARGUMENT, "currency");

  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
  printf("c_abi_money_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
