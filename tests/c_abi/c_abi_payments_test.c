/* The C ABI's payment service from C99 (docs/money.md "Payments"): a local provider configured by the
 * open option "payments"; daira_payment_service_start_deposit, _settle and _handle_webhook (applied once,
 * a second delivery "duplicate", a late failure "ignored"); a webhook for an intent the application
 * recorded (external_id), signed by this test with libsodium's HMAC-SHA256 as the real provider would;
 * forged, stale and malformed signatures, unknown and unconfigured providers; bad open options; refunds
 * through the provider (daira_payment_service_refund: held, settled once by the signed refund webhook,
 * a failed one released with its reason, over-refunds and reused keys refused, a forged refund webhook
 * writing nothing, daira_payment_service_get_refund) — each refused call naming its field.
 *
 *   c_abi_payments_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed. Every handle, string and error is freed. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c_abi_check.h"
#include "daira_c.h"

#define SECRET "whsec_c_test_secret"

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

/* Copies the JSON string token of the first "key":"…" in `json`, quotes and escapes included, into
 * `buf` (so it can be spliced into another request unchanged). */
static int json_string_token(const char* json, const char* key, char* buf, size_t cap) {
  char pattern[64];
  const char* at;
  const char* end;
  size_t n;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  at = json == NULL ? NULL : strstr(json, pattern);
  if (at == NULL) return 0;
  at += strlen(pattern) - 1; /* the opening quote */
  for (end = at + 1; *end != '\0' && *end != '"'; ++end) {
    if (*end == '\\' && end[1] != '\0') ++end;
  }
  if (*end != '"') return 0;
  n = (size_t)(end - at + 1);
  if (n + 1 > cap) return 0;
  memcpy(buf, at, n);
  buf[n] = '\0';
  return 1;
}

/* The Stripe-Signature header for `payload` at unix time `t`, signed with `secret`:
 * t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>. */
static void sign(const char* secret, long long t, const char* payload, char* header, size_t cap) {
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%lld.", t);
  crypto_auth_hmacsha256_init(&st, (const unsigned char*)secret, strlen(secret));
  crypto_auth_hmacsha256_update(&st, (const unsigned char*)prefix, strlen(prefix));
  crypto_auth_hmacsha256_update(&st, (const unsigned char*)payload, strlen(payload));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  snprintf(header, cap, "t=%lld,v1=%s", t, hex);
}

/* A Stripe-shaped event about `external_id`, and the handle_webhook request that delivers it (the
 * payload escaped into a JSON string) with `header`. */
static void webhook_request(const char* provider, const char* payload, const char* header, char* request,
                            size_t cap) {
  char escaped[1024];
  size_t j = 0;
  const char* c;
  for (c = payload; *c != '\0' && j + 2 < sizeof escaped; ++c) {
    if (*c == '"') escaped[j++] = '\\';
    escaped[j++] = *c;
  }
  escaped[j] = '\0';
  snprintf(request, cap, "{\"provider\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", provider, escaped,
           header);
}

static void expect_open_error(const char* url, const char* options, const char* field) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  CHECK_CODE(daira_platform_open(url, strlen(url), options, strlen(options), &p, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, field);
  CHECK(p == NULL);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  const char* options =
      "{\"password_cost\":\"test\",\"cache\":\"memory:\",\"realtime\":\"memory:\",\"payments\":["
      "{\"provider\":\"STRIPE\",\"secret\":\"" SECRET
      "\"},"
      "{\"provider\":\"PAYPAL\",\"secret\":\"whsec_c_paypal\",\"tolerance_s\":60}]}";
  char alice[32] = "", dep[32] = "", refund[64] = "", refund2[64] = "", refund2_id[32] = "";
  char ext[64] = "", payload[1024] = "", signature[160] = "", header[160] = "";
  char request[2048], body[512];
  char *out, *settled;
  long long now = (long long)time(NULL);
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  if (sodium_init() < 0) return 1;

  /* Bad open options name the item and its field; nothing is opened. */
  expect_open_error(argv[1], "{\"payments\":[{\"provider\":\"VISA\",\"secret\":\"x\"}]}",
                    "payments[0].provider");
  expect_open_error(argv[1], "{\"payments\":[{\"provider\":\"STRIPE\"}]}", "payments[0].secret");
  expect_open_error(argv[1], "{\"payments\":[{\"provider\":\"STRIPE\",\"secret\":\"\"}]}",
                    "payments[0].secret");
  expect_open_error(argv[1], "{\"payments\":[{\"provider\":\"STRIPE\",\"secret\":\"x\",\"tolerance_s\":0}]}",
                    "payments[0].tolerance_s");
  expect_open_error(argv[1], "{\"payments\":[{\"provider\":\"STRIPE\",\"secret\":\"x\",\"tolerence_s\":9}]}",
                    "payments[0].tolerence_s");
  expect_open_error(argv[1], "{\"payments\":{\"provider\":\"STRIPE\"}}", "payments");

  CHECK_CODE(daira_platform_open(argv[1], strlen(argv[1]), options, strlen(options), &p, &err), DAIRA_OK,
             err);
  if (p == NULL) {
    daira_error_free(&err);
    return 1;
  }
  user(p, "alice", alice, sizeof alice);

  /* Start → settle (the local provider's signed webhook) → handle: the wallet is credited once. */
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":2500,\"provider\":\"STRIPE\",\"idempotency_key\":\"dep-cp-0001\"}",
           alice);
  out = RUN(daira_payment_service_start_deposit, p, request);
  EXPECT_CONTAINS(out, "\"movement\":{");
  EXPECT_CONTAINS(out, "\"status\":\"PENDING\"");
  EXPECT_CONTAINS(out, "\"provider\":\"STRIPE\"");
  EXPECT_CONTAINS(out, "\"client_secret\":\"local_secret_");
  CHECK(json_string(out, "external_id", ext, sizeof ext));
  CHECK(json_string(out, "id", dep, sizeof dep)); /* the movement's id comes first */
  daira_free(out);
  out = RUN(daira_payment_service_start_deposit, p, request); /* a replay: the same payment */
  EXPECT_CONTAINS(out, ext);
  daira_free(out);

  snprintf(request, sizeof request, "{\"external_id\":\"%s\"}", ext);
  settled = RUN(daira_payment_service_settle, p, request);
  CHECK(json_string_token(settled, "payload", payload, sizeof payload));
  CHECK(json_string_token(settled, "signature", signature, sizeof signature));
  daira_free(settled);
  snprintf(request, sizeof request, "{\"provider\":\"STRIPE\",\"payload\":%s,\"signature\":%s}", payload,
           signature);
  out = RUN(daira_payment_service_handle_webhook, p, request);
  EXPECT_CONTAINS(out, "\"outcome\":\"applied\"");
  EXPECT_CONTAINS(out, "\"status\":\"COMPLETED\"");
  EXPECT_CONTAINS(out, "\"balance_after\":2500");
  daira_free(out);
  out = RUN(daira_payment_service_handle_webhook, p, request); /* delivered twice */
  EXPECT_CONTAINS(out, "\"outcome\":\"duplicate\"");
  EXPECT_CONTAINS(out, "\"movement\":null");
  daira_free(out);
  snprintf(request, sizeof request, "{\"external_id\":\"%s\",\"succeeded\":false}", ext);
  settled = RUN(daira_payment_service_settle, p, request);
  CHECK(json_string_token(settled, "payload", payload, sizeof payload));
  CHECK(json_string_token(settled, "signature", signature, sizeof signature));
  daira_free(settled);
  snprintf(request, sizeof request, "{\"provider\":\"STRIPE\",\"payload\":%s,\"signature\":%s}", payload,
           signature);
  out = RUN(daira_payment_service_handle_webhook, p, request); /* failed after succeeded */
  EXPECT_CONTAINS(out, "\"outcome\":\"ignored\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_money_balance, p, request);
  EXPECT_CONTAINS(out, "\"balance\":2500");
  daira_free(out);

  /* An intent the application created at the provider, settled by a webhook signed here with the
   * endpoint's secret (as Stripe signs it). Forged, stale and malformed deliveries write nothing. */
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":700,\"provider\":\"STRIPE\",\"idempotency_key\":\"dep-cp-0002\","
           "\"external_id\":\"pi_c_3Pq\"}",
           alice);
  out = RUN(daira_payment_service_start_deposit, p, request);
  EXPECT_CONTAINS(out, "\"external_id\":\"pi_c_3Pq\"");
  EXPECT_CONTAINS(out, "\"client_secret\":\"\"");
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":700,\"provider\":\"STRIPE\",\"idempotency_key\":\"dep-cp-0002\","
           "\"external_id\":\"pi_c_other\"}",
           alice);
  EXPECT_ERROR(daira_payment_service_start_deposit, p, request, DAIRA_FAILED_PRECONDITION, "external_id");

  snprintf(body, sizeof body,
           "{\"id\":\"evt_c_1\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":{\"id\":\"pi_c_"
           "3Pq\"}}}");
  sign("whsec_wrong", now, body, header, sizeof header);
  webhook_request("STRIPE", body, header, request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_UNAUTHENTICATED, "signature");
  sign(SECRET, now - 600, body, header, sizeof header); /* outside the 300 s window */
  webhook_request("STRIPE", body, header, request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_UNAUTHENTICATED, "signature");
  sign("whsec_c_paypal", now - 120, body, header, sizeof header); /* PAYPAL's window is 60 s */
  webhook_request("PAYPAL", body, header, request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_UNAUTHENTICATED, "signature");
  webhook_request("STRIPE", body, "garbage", request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_INVALID_ARGUMENT, "signature");
  sign(SECRET, now, body, header, sizeof header);
  webhook_request("BITCOIN", body, header, request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_INVALID_ARGUMENT, "provider");
  webhook_request("FAWRY", body, header, request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_FAILED_PRECONDITION, "provider");
  EXPECT_ERROR(daira_payment_service_handle_webhook, p,
               "{\"provider\":\"STRIPE\",\"signature\":\"t=1,v1=00\"}", DAIRA_INVALID_ARGUMENT, "payload");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_money_balance, p, request);
  EXPECT_CONTAINS(out, "\"balance\":2500");
  daira_free(out);

  webhook_request("STRIPE", body, header, request, sizeof request); /* the real delivery */
  out = RUN(daira_payment_service_handle_webhook, p, request);
  EXPECT_CONTAINS(out, "\"outcome\":\"applied\"");
  EXPECT_CONTAINS(out, "\"balance_after\":3200");
  daira_free(out);

  /* A refund through the provider: held at once (3200 → 2200), settled once by its signed webhook. */
  snprintf(request, sizeof request,
           "{\"transaction_id\":\"%s\",\"amount\":1000,\"idempotency_key\":\"ref-cp-0001\",\"reason\":\"returned\"}",
           dep);
  out = RUN(daira_payment_service_refund, p, request);
  EXPECT_CONTAINS(out, "\"type\":\"REFUND\"");
  EXPECT_CONTAINS(out, "\"status\":\"PENDING\"");
  EXPECT_CONTAINS(out, "\"balance_after\":2200");
  EXPECT_CONTAINS(out, "\"refund_id\":\"local_re_");
  EXPECT_CONTAINS(out, "\"error\":null");
  CHECK(json_string(out, "refund_id", refund, sizeof refund));
  daira_free(out);
  out = RUN(daira_payment_service_refund, p, request); /* the same key: the first result */
  EXPECT_CONTAINS(out, refund);
  EXPECT_CONTAINS(out, "\"status\":\"PENDING\"");
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"transaction_id\":\"%s\",\"amount\":999,\"idempotency_key\":\"ref-cp-0001\"}", dep);
  EXPECT_ERROR(daira_payment_service_refund, p, request, DAIRA_FAILED_PRECONDITION, "idempotency_key");
  snprintf(request, sizeof request,
           "{\"transaction_id\":\"%s\",\"amount\":1501,\"idempotency_key\":\"ref-cp-0002\"}", dep);
  EXPECT_ERROR(daira_payment_service_refund, p, request, DAIRA_FAILED_PRECONDITION, "amount");
  EXPECT_ERROR(daira_payment_service_refund, p, "{\"amount\":5,\"idempotency_key\":\"ref-cp-0003\"}",
               DAIRA_INVALID_ARGUMENT, "transaction_id");

  /* A forged refund webhook (signed with another secret) writes nothing. */
  snprintf(body, sizeof body,
           "{\"id\":\"evt_c_r1\",\"type\":\"refund.updated\",\"data\":{\"object\":{\"id\":\"%s\","
           "\"object\":\"refund\",\"payment_intent\":\"%s\",\"status\":\"succeeded\"}}}",
           refund, ext);
  sign("whsec_wrong", now, body, header, sizeof header);
  webhook_request("STRIPE", body, header, request, sizeof request);
  EXPECT_ERROR(daira_payment_service_handle_webhook, p, request, DAIRA_UNAUTHENTICATED, "signature");

  snprintf(request, sizeof request, "{\"external_id\":\"%s\",\"refund_id\":\"%s\"}", ext, refund);
  settled = RUN(daira_payment_service_settle, p, request);
  CHECK(json_string_token(settled, "payload", payload, sizeof payload));
  CHECK(json_string_token(settled, "signature", signature, sizeof signature));
  daira_free(settled);
  snprintf(request, sizeof request, "{\"provider\":\"STRIPE\",\"payload\":%s,\"signature\":%s}", payload,
           signature);
  out = RUN(daira_payment_service_handle_webhook, p, request);
  EXPECT_CONTAINS(out, "\"outcome\":\"applied\"");
  EXPECT_CONTAINS(out, "\"refund\":{\"movement\":{");
  EXPECT_CONTAINS(out, "\"status\":\"COMPLETED\"");
  daira_free(out);
  out = RUN(daira_payment_service_handle_webhook, p, request); /* delivered twice */
  EXPECT_CONTAINS(out, "\"outcome\":\"duplicate\"");
  daira_free(out);

  /* A second refund that the provider declines: the hold is released and the refund says why. */
  snprintf(request, sizeof request,
           "{\"transaction_id\":\"%s\",\"amount\":500,\"idempotency_key\":\"ref-cp-0004\"}", dep);
  out = RUN(daira_payment_service_refund, p, request);
  EXPECT_CONTAINS(out, "\"balance_after\":1700");
  CHECK(json_string(out, "refund_id", refund2, sizeof refund2));
  CHECK(json_string(out, "id", refund2_id, sizeof refund2_id));
  daira_free(out);
  snprintf(request, sizeof request, "{\"external_id\":\"%s\",\"refund_id\":\"%s\",\"succeeded\":false}",
           ext, refund2);
  settled = RUN(daira_payment_service_settle, p, request);
  CHECK(json_string_token(settled, "payload", payload, sizeof payload));
  CHECK(json_string_token(settled, "signature", signature, sizeof signature));
  daira_free(settled);
  snprintf(request, sizeof request, "{\"provider\":\"STRIPE\",\"payload\":%s,\"signature\":%s}", payload,
           signature);
  out = RUN(daira_payment_service_handle_webhook, p, request);
  EXPECT_CONTAINS(out, "\"outcome\":\"applied\"");
  EXPECT_CONTAINS(out, "\"error\":\"declined (local)\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"transaction_id\":\"%s\"}", refund2_id);
  out = RUN(daira_payment_service_get_refund, p, request);
  EXPECT_CONTAINS(out, "\"status\":\"FAILED\"");
  EXPECT_CONTAINS(out, "\"error\":\"declined (local)\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"transaction_id\":\"%s\"}", dep);
  EXPECT_ERROR(daira_payment_service_get_refund, p, request, DAIRA_NOT_FOUND, "transaction_id");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_money_balance, p, request);
  EXPECT_CONTAINS(out, "\"balance\":2200");
  daira_free(out);

  /* settle needs a local provider; start_deposit a configured one. */
  EXPECT_ERROR(daira_payment_service_settle, p, "{\"external_id\":\"x\",\"provider\":\"FAWRY\"}",
               DAIRA_FAILED_PRECONDITION, "provider");
  EXPECT_ERROR(daira_payment_service_settle, p, "{\"provider\":\"STRIPE\"}", DAIRA_INVALID_ARGUMENT,
               "external_id");
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"amount\":5,\"provider\":\"INSTAPAY\",\"idempotency_key\":\"dep-cp-0003\"}",
           alice);
  EXPECT_ERROR(daira_payment_service_start_deposit, p, request, DAIRA_FAILED_PRECONDITION, "provider");

  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
  printf("c_abi_payments_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
