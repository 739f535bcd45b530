/* The C ABI's typed-repository calls from C99: wallets, transactions, payments, reports, reviews,
 * audit_logs, posts, videos and comments — get, get_many, exists, count, finds, keyset lists, field masks and
 * the writes — with their error paths: malformed JSON and id arrays, NULL arguments, unknown fields and
 * field-mask names, not found, the money rule (no balance writes, final journal rows, completed money
 * kept), the append-only audit log (UNIMPLEMENTED), and calls after shutdown.
 *
 *   c_abi_records_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed; each failed check prints its line. Runs under valgrind
 * --leak-check=full too: every string and error is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "c_abi_record_check.h"
#include "daira_c.h"

static void test_common_errors(daira_platform_t* p) {
  char* out = NULL;
  daira_error_t* err = NULL;
  /* NULL platform, NULL request text with a length, malformed JSON, unknown request fields. */
  CHECK_CODE(daira_wallets_get(NULL, "{}", 2, NULL, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK(out == NULL);
  CHECK_CODE(daira_wallets_get(p, NULL, 5, NULL, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK_CODE(daira_payments_get_many(p, NULL, 3, NULL, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK_CODE(daira_wallets_exists(NULL, "{}", 2, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(daira_wallets_create(p, NULL, 1, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  daira_error_free(&err);
  EXPECT_RECORD(daira_transactions_get, p, "{\"id\":", NULL, DAIRA_INVALID_ARGUMENT, "request_json");
  EXPECT_RECORD(daira_reports_get, p, "[1]", NULL, DAIRA_INVALID_ARGUMENT, "request_json");
  EXPECT_RECORD(daira_reviews_get, p, "{\"id\":1,\"idd\":2}", NULL, DAIRA_INVALID_ARGUMENT, "idd");
  EXPECT_RECORD(daira_posts_get, p, "{\"id\":true}", NULL, DAIRA_INVALID_ARGUMENT, "id");
  /* get_many: a JSON array of ids and nothing else. */
  EXPECT_RECORD(daira_videos_get_many, p, "{\"ids\":[1]}", NULL, DAIRA_INVALID_ARGUMENT, "ids_json");
  EXPECT_RECORD(daira_comments_get_many, p, "[1,", NULL, DAIRA_INVALID_ARGUMENT, "ids_json");
  EXPECT_RECORD(daira_audit_logs_get_many, p, "[\"12\",true]", NULL, DAIRA_INVALID_ARGUMENT, "ids_json[1]");
  EXPECT_RECORD(daira_wallets_get_many, p, "[\"1x\"]", NULL, DAIRA_INVALID_ARGUMENT, "ids_json[0]");
  /* Field masks: an unknown name is INVALID_ARGUMENT naming "fields" on every record call. */
  EXPECT_RECORD(daira_wallets_get, p, "{\"id\":1}", "id,balance,nope", DAIRA_INVALID_ARGUMENT, "fields");
  EXPECT_RECORD(daira_posts_get_many, p, "[1]", "likes", DAIRA_INVALID_ARGUMENT, "fields");
  EXPECT_RECORD(daira_comments_list_by_post, p, "{\"post_id\":1}", "password_hash", DAIRA_INVALID_ARGUMENT, "fields");
  EXPECT_RECORD(daira_audit_logs_list_by_actor, p, "{\"actor_id\":1}", "actor", DAIRA_INVALID_ARGUMENT, "fields");
  /* Not found on each repository's get. */
  EXPECT_RECORD(daira_wallets_get, p, "{\"id\":\"987654321\"}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_transactions_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_payments_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_reports_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_reviews_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_audit_logs_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_posts_get, p, "{\"id\":987654321}", "id", DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_videos_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_comments_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  /* An empty id list runs nothing and finds nothing. */
  out = FETCH(daira_transactions_get_many, p, "[]", NULL);
  CHECK(out != NULL && strcmp(out, "{\"items\":[],\"missing\":[]}") == 0);
  daira_free(out);
  /* Pages: limit out of range names "limit". */
  EXPECT_RECORD(daira_posts_list_by_author, p, "{\"author_id\":1,\"limit\":0}", NULL, DAIRA_INVALID_ARGUMENT, "limit");
  EXPECT_RECORD(daira_posts_list_by_author, p, "{\"author_id\":1,\"cursor\":\"garbage\"}", NULL,
                DAIRA_INVALID_ARGUMENT, "cursor");
  /* out_json may be NULL when the record is not wanted. */
  CHECK_CODE(daira_wallets_exists(p, "{\"id\":1}", 8, NULL, &err), DAIRA_OK, err);
  CHECK(err == NULL);
}

static void test_wallets_and_journal(daira_platform_t* p, const char* alice, const char* bob) {
  char wallet[32], wallet_b[32], t1[32], t2[32], pay1[32], pay2[32], cursor[256], request[512];
  char* out = NULL;
  daira_error_t* err = NULL;

  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  create(daira_wallets_create, p, request, wallet, sizeof wallet);
  EXPECT_CALL(daira_wallets_create, p, request, DAIRA_ALREADY_EXISTS, "user_id");
  snprintf(request, sizeof request, "{\"user_id\":%s,\"currency\":\"EUR\"}", bob);
  create(daira_wallets_create, p, request, wallet_b, sizeof wallet_b);
  EXPECT_CALL(daira_wallets_create, p, "{\"user_id\":987654321}", DAIRA_FAILED_PRECONDITION, "");
  CHECK_CODE(call(daira_wallets_count, p, "{}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":2"));
  daira_free(out);
  CHECK_CODE(call(daira_wallets_count, p, "{\"currency\":\"EUR\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  EXPECT_CALL(daira_wallets_create, p, "{\"user_id\":1,\"currency\":\"usd\"}", DAIRA_INVALID_ARGUMENT, "currency");

  /* Field masks: exactly the named fields plus id. */
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", wallet);
  out = FETCH(daira_wallets_get, p, request, "balance,currency");
  CHECK(contains(out, "\"balance\":0") && contains(out, "\"currency\":\"USD\"") && contains(out, wallet));
  CHECK(!contains(out, "user_id") && !contains(out, "created_at"));
  daira_free(out);
  out = FETCH(daira_wallets_get, p, request, NULL);
  CHECK(contains(out, "\"user_id\":\"") && contains(out, "\"last_payout_at\":null") && contains(out, "\"tips_received\":0"));
  daira_free(out);
  out = FETCH(daira_wallets_get, p, request, "");
  CHECK(contains(out, "\"earned_total\":0"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = FETCH(daira_wallets_find_by_user, p, request, "id");
  CHECK(contains(out, wallet) && !contains(out, "balance"));
  daira_free(out);
  EXPECT_RECORD(daira_wallets_find_by_user, p, "{\"user_id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  snprintf(request, sizeof request, "[\"%s\",987654321,%s,\"%s\"]", wallet_b, wallet, wallet_b);
  out = FETCH(daira_wallets_get_many, p, request, "currency");
  CHECK(contains(out, "\"missing\":[\"987654321\"]") && contains(out, "\"currency\":\"EUR\""));
  CHECK(out != NULL && strstr(out, wallet_b) < strstr(out, wallet)); /* the order given */
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":%s}", wallet);
  CHECK_CODE(call(daira_wallets_exists, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"exists\":true"));
  daira_free(out);
  CHECK_CODE(call(daira_wallets_exists, p, "{\"id\":987654321}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"exists\":false"));
  daira_free(out);

  /* Updates: the money rule rejects every money field; an empty patch names "patch". */
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"balance\":100000}", wallet);
  EXPECT_CALL(daira_wallets_update, p, request, DAIRA_INVALID_ARGUMENT, "balance");
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"tips_received\":5,\"currency\":\"EUR\"}", wallet);
  EXPECT_CALL(daira_wallets_update, p, request, DAIRA_INVALID_ARGUMENT, "tips_received");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", wallet);
  EXPECT_CALL(daira_wallets_update, p, request, DAIRA_INVALID_ARGUMENT, "patch");
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"last_payout_at\":\"yesterday\"}", wallet);
  EXPECT_CALL(daira_wallets_update, p, request, DAIRA_INVALID_ARGUMENT, "last_payout_at");
  EXPECT_CALL(daira_wallets_update, p, "{\"id\":987654321,\"currency\":\"GBP\"}", DAIRA_NOT_FOUND, "");
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"currency\":\"GBP\",\"last_payout_at\":\"2026-11-29T10:00:00.250Z\"}",
           wallet_b);
  CHECK_CODE(call(daira_wallets_update, p, request, &out, &err), DAIRA_OK, err);
  CHECK(out != NULL && strcmp(out, "{}") == 0);
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", wallet_b);
  out = FETCH(daira_wallets_get, p, request, "currency,last_payout_at");
  CHECK(contains(out, "\"currency\":\"GBP\"") && contains(out, "\"last_payout_at\":\"2026-11-29T10:00:00.250Z\""));
  daira_free(out);

  /* The journal: rows are appended; COMPLETED ones are final and kept. */
  snprintf(request, sizeof request,
           "{\"wallet_id\":\"%s\",\"type\":\"DEPOSIT\",\"status\":\"COMPLETED\",\"amount\":2500,"
           "\"balance_after\":2500,\"metadata\":{\"source\":\"card\"},\"idempotency_key\":\"dep-0001\"}",
           wallet);
  create(daira_transactions_create, p, request, t1, sizeof t1);
  EXPECT_CALL(daira_transactions_create, p, request, DAIRA_ALREADY_EXISTS, "idempotency_key");
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"counterparty_wallet_id\":\"%s\",\"type\":\"TIP\",\"amount\":300}",
           wallet, wallet_b);
  create(daira_transactions_create, p, request, t2, sizeof t2);
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"type\":\"GIFT\",\"amount\":1}", wallet);
  EXPECT_CALL(daira_transactions_create, p, request, DAIRA_INVALID_ARGUMENT, "type");
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"amount\":0}", wallet);
  EXPECT_CALL(daira_transactions_create, p, request, DAIRA_INVALID_ARGUMENT, "amount");
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"amount\":5,\"metadata\":\"text\"}", wallet);
  EXPECT_CALL(daira_transactions_create, p, request, DAIRA_INVALID_ARGUMENT, "metadata");
  EXPECT_CALL(daira_transactions_create, p, "{\"wallet_id\":987654321,\"amount\":5}", DAIRA_FAILED_PRECONDITION, "");

  snprintf(request, sizeof request, "{\"id\":\"%s\"}", t1);
  out = FETCH(daira_transactions_get, p, request, NULL);
  CHECK(contains(out, "\"metadata\":{\"source\":\"card\"}") && contains(out, "\"status\":\"COMPLETED\""));
  CHECK(contains(out, "\"amount\":2500") && contains(out, "\"counterparty_wallet_id\":null"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"idempotency_key\":\"dep-0001\"}", wallet);
  out = FETCH(daira_transactions_find_by_idempotency_key, p, request, "amount");
  CHECK(contains(out, t1) && contains(out, "\"amount\":2500") && !contains(out, "metadata"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"idempotency_key\":\"dep-9999\"}", wallet);
  EXPECT_RECORD(daira_transactions_find_by_idempotency_key, p, request, NULL, DAIRA_NOT_FOUND, "");
  /* Newest first, one row a page. */
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"limit\":1}", wallet);
  out = FETCH(daira_transactions_list_by_wallet, p, request, "type");
  CHECK(contains(out, t2) && !contains(out, t1) && contains(out, "\"has_more\":true"));
  CHECK(json_string(out, "next_cursor", cursor, sizeof cursor));
  daira_free(out);
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"limit\":1,\"cursor\":\"%s\"}", wallet, cursor);
  out = FETCH(daira_transactions_list_by_wallet, p, request, "type");
  CHECK(contains(out, t1) && contains(out, "\"type\":\"DEPOSIT\"") && contains(out, "\"has_more\":false"));
  daira_free(out);

  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"status\":\"PENDING\"}", wallet);
  CHECK_CODE(call(daira_transactions_count, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  EXPECT_CALL(daira_transactions_count, p, "{\"type\":\"GIFT\"}", DAIRA_INVALID_ARGUMENT, "type");
  /* The money rule on the journal: COMPLETED rows are final and never deleted; PENDING rows settle. */
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"status\":\"FAILED\"}", t1);
  EXPECT_CALL(daira_transactions_update, p, request, DAIRA_FAILED_PRECONDITION, "status");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", t1);
  EXPECT_CALL(daira_transactions_delete, p, request, DAIRA_FAILED_PRECONDITION, "status");
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"amount\":1}", t2);
  EXPECT_CALL(daira_transactions_update, p, request, DAIRA_INVALID_ARGUMENT, "amount");
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"status\":\"COMPLETED\",\"balance_after\":2200}", t2);
  CHECK_CODE(call(daira_transactions_update, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"status\":\"PENDING\"}", t2);
  EXPECT_CALL(daira_transactions_update, p, request, DAIRA_FAILED_PRECONDITION, "status");
  /* A wallet with journal rows is never deleted. */
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", wallet);
  EXPECT_CALL(daira_wallets_delete, p, request, DAIRA_FAILED_PRECONDITION, "");

  /* Payments. */
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"provider\":\"STRIPE\",\"amount\":2500,\"external_id\":\"pi_3Nf0x2\",\"wallet_id\":\"%s\","
           "\"metadata\":{\"card\":\"4242\"}}",
           alice, wallet);
  create(daira_payments_create, p, request, pay1, sizeof pay1);
  EXPECT_CALL(daira_payments_create, p, request, DAIRA_ALREADY_EXISTS, "external_id");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"provider\":\"VISA\",\"amount\":5}", alice);
  EXPECT_CALL(daira_payments_create, p, request, DAIRA_INVALID_ARGUMENT, "provider");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"provider\":\"FAWRY\",\"amount\":700,\"status\":\"FAILED\"}", bob);
  create(daira_payments_create, p, request, pay2, sizeof pay2);
  out = FETCH(daira_payments_find_by_external_id, p, "{\"provider\":\"STRIPE\",\"external_id\":\"pi_3Nf0x2\"}",
              "status,metadata");
  CHECK(contains(out, pay1) && contains(out, "\"status\":\"PENDING\"") && contains(out, "\"metadata\":{\"card\":\"4242\"}"));
  daira_free(out);
  EXPECT_RECORD(daira_payments_find_by_external_id, p, "{\"provider\":\"PAYPAL\",\"external_id\":\"pi_3Nf0x2\"}", NULL,
                DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_payments_find_by_external_id, p, "{\"external_id\":\"pi_3Nf0x2\"}", NULL, DAIRA_INVALID_ARGUMENT,
                "provider");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = FETCH(daira_payments_list_by_user, p, request, "amount");
  CHECK(contains(out, pay1) && !contains(out, pay2) && contains(out, "\"amount\":2500"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"provider\":\"STRIPE\"}", alice);
  CHECK_CODE(call(daira_payments_count, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"status\":\"COMPLETED\",\"transaction_id\":\"%s\"}", pay1, t1);
  CHECK_CODE(call(daira_payments_update, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", pay1);
  EXPECT_CALL(daira_payments_update, p, request, DAIRA_INVALID_ARGUMENT, "patch");
  /* Completed money is kept: a COMPLETED payment is never deleted. */
  EXPECT_CALL(daira_payments_delete, p, request, DAIRA_FAILED_PRECONDITION, "status");
  snprintf(request, sizeof request, "[\"%s\",\"%s\"]", pay1, pay2);
  out = FETCH(daira_payments_get_many, p, request, "transaction_id,status");
  CHECK(contains(out, "\"status\":\"COMPLETED\"") && contains(out, "\"status\":\"FAILED\"") && contains(out, t1));
  CHECK(contains(out, "\"transaction_id\":null") && contains(out, "\"missing\":[]"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", pay2);
  CHECK_CODE(call(daira_payments_delete, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  EXPECT_RECORD(daira_payments_get, p, request, NULL, DAIRA_NOT_FOUND, "");
  EXPECT_CALL(daira_payments_delete, p, request, DAIRA_NOT_FOUND, "");
  /* A wallet without money, rows or payments can go. */
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", wallet_b);
  EXPECT_CALL(daira_wallets_delete, p, request, DAIRA_FAILED_PRECONDITION, ""); /* t2's counterparty */
  daira_error_free(&err);
}

static void test_moderation(daira_platform_t* p, const char* alice, const char* bob, const char* post) {
  char report[32], review[32], entry[32], svc_report[32], request[512];
  char* out = NULL;
  daira_error_t* err = NULL;

  snprintf(request, sizeof request,
           "{\"reporter_id\":\"%s\",\"content_type\":\"POST\",\"content_id\":\"%s\",\"reason\":\"SPAM\","
           "\"severity\":\"HIGH\",\"evidence\":{\"links\":2}}",
           alice, post);
  create(daira_reports_create, p, request, report, sizeof report);
  EXPECT_CALL(daira_reports_create, p, request, DAIRA_ALREADY_EXISTS, "content_id");
  snprintf(request, sizeof request, "{\"reporter_id\":\"%s\",\"content_id\":\"%s\",\"reason\":\"\"}", bob, post);
  EXPECT_CALL(daira_reports_create, p, request, DAIRA_INVALID_ARGUMENT, "reason");
  snprintf(request, sizeof request, "{\"reporter_id\":\"%s\",\"content_id\":1,\"reason\":\"x\",\"severity\":\"URGENT\"}", bob);
  EXPECT_CALL(daira_reports_create, p, request, DAIRA_INVALID_ARGUMENT, "severity");
  snprintf(request, sizeof request, "{\"reporter_id\":\"%s\",\"content_type\":\"POST\",\"content_id\":\"%s\"}", alice, post);
  out = FETCH(daira_reports_find_by_reporter_and_content, p, request, "reason,severity,evidence");
  CHECK(contains(out, report) && contains(out, "\"severity\":\"HIGH\"") && contains(out, "\"evidence\":{\"links\":2}"));
  CHECK(!contains(out, "status"));
  daira_free(out);
  out = FETCH(daira_reports_list_by_status, p, "{\"status\":\"PENDING\",\"severity\":\"HIGH\"}", "status");
  CHECK(contains(out, report) && contains(out, "\"status\":\"PENDING\""));
  daira_free(out);
  out = FETCH(daira_reports_list_by_status, p, "{\"status\":\"PENDING\",\"severity\":\"LOW\"}", NULL);
  CHECK(!contains(out, report));
  daira_free(out);
  snprintf(request, sizeof request, "{\"content_type\":\"POST\",\"content_id\":\"%s\",\"status\":\"PENDING\"}", post);
  CHECK_CODE(call(daira_reports_count, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  EXPECT_RECORD(daira_reports_list_by_status, p, "{}", NULL, DAIRA_INVALID_ARGUMENT, "status");
  EXPECT_RECORD(daira_reports_list_by_status, p, "{\"status\":\"OPEN\"}", NULL, DAIRA_INVALID_ARGUMENT, "status");
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"status\":\"REVIEWING\",\"description\":\"looks automated\"}", report);
  CHECK_CODE(call(daira_reports_update, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  EXPECT_CALL(daira_reports_update, p, "{\"id\":987654321,\"status\":\"RESOLVED\"}", DAIRA_NOT_FOUND, "");

  /* Reviews of the report. */
  snprintf(request, sizeof request, "{\"report_id\":\"%s\",\"reviewer_id\":\"%s\",\"decision\":\"WARN\",\"reason\":\"first\"}",
           report, bob);
  create(daira_reviews_create, p, request, review, sizeof review);
  snprintf(request, sizeof request, "{\"report_id\":987654321,\"reviewer_id\":\"%s\"}", bob);
  EXPECT_CALL(daira_reviews_create, p, request, DAIRA_FAILED_PRECONDITION, "");
  snprintf(request, sizeof request, "{\"report_id\":\"%s\",\"reviewer_id\":\"%s\",\"decision\":\"MAYBE\"}", report, bob);
  EXPECT_CALL(daira_reviews_create, p, request, DAIRA_INVALID_ARGUMENT, "decision");
  snprintf(request, sizeof request, "{\"report_id\":\"%s\"}", report);
  out = FETCH(daira_reviews_list_by_report, p, request, "decision,reason");
  CHECK(contains(out, review) && contains(out, "\"decision\":\"WARN\"") && contains(out, "\"reason\":\"first\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"report_id\":\"%s\",\"decision\":\"WARN\"}", report);
  CHECK_CODE(call(daira_reviews_count, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"reason\":\"\",\"action_taken\":\"post hidden\"}", review);
  CHECK_CODE(call(daira_reviews_update, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\"]", review);
  out = FETCH(daira_reviews_get_many, p, request, NULL);
  CHECK(contains(out, "\"reason\":null") && contains(out, "\"action_taken\":\"post hidden\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", review);
  EXPECT_CALL(daira_reviews_update, p, request, DAIRA_INVALID_ARGUMENT, "patch");
  CHECK_CODE(call(daira_reviews_delete, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  EXPECT_RECORD(daira_reviews_get, p, request, NULL, DAIRA_NOT_FOUND, "");

  /* The audit log: appended, listed, never changed. */
  snprintf(request, sizeof request,
           "{\"actor_id\":\"%s\",\"action\":\"user.warn\",\"resource_type\":\"user\",\"resource_id\":\"%s\","
           "\"changes\":{\"warnings\":[0,1]},\"ip_address\":\"203.0.113.9\"}",
           bob, alice);
  create(daira_audit_logs_create, p, request, entry, sizeof entry);
  EXPECT_CALL(daira_audit_logs_create, p, "{\"action\":\"\",\"resource_type\":\"user\"}", DAIRA_INVALID_ARGUMENT, "action");
  EXPECT_CALL(daira_audit_logs_create, p, "{\"actor_id\":987654321,\"action\":\"x\",\"resource_type\":\"user\"}",
              DAIRA_FAILED_PRECONDITION, "");
  snprintf(request, sizeof request, "{\"resource_type\":\"user\",\"resource_id\":%s}", alice);
  out = FETCH(daira_audit_logs_list_by_entity, p, request, "action,changes");
  CHECK(contains(out, entry) && contains(out, "\"changes\":{\"warnings\":[0,1]}") && !contains(out, "ip_address"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"actor_id\":\"%s\"}", bob);
  out = FETCH(daira_audit_logs_list_by_actor, p, request, NULL);
  CHECK(contains(out, entry) && contains(out, "\"ip_address\":\"203.0.113.9\"") && contains(out, "\"user_agent\":null"));
  daira_free(out);
  CHECK_CODE(call(daira_audit_logs_count, p, "{\"action\":\"user.warn\",\"resource_type\":\"user\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"action\":\"user.ban\"}", entry);
  CHECK_CODE(call(daira_audit_logs_update, p, request, &out, &err), DAIRA_UNIMPLEMENTED, err);
  CHECK(contains(daira_error_message(err), "append-only"));
  CHECK(out == NULL);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", entry);
  CHECK_CODE(call(daira_audit_logs_delete, p, request, &out, &err), DAIRA_UNIMPLEMENTED, err);
  CHECK(contains(daira_error_message(err), "append-only"));
  out = FETCH(daira_audit_logs_get, p, request, "action");
  CHECK(contains(out, "\"action\":\"user.warn\""));
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\",\"%s\"]", entry, entry);
  out = FETCH(daira_audit_logs_get_many, p, request, "resource_id");
  CHECK(contains(out, entry) && strstr(strstr(out, entry) + 1, entry) == NULL); /* duplicates once */
  daira_free(out);

  /* The moderation service: report, queue, decide (the effect in one transaction), verify the chain. */
  snprintf(request, sizeof request,
           "{\"reporter_id\":\"%s\",\"content_type\":\"USER\",\"content_id\":\"%s\",\"reason\":\"HARASSMENT\","
           "\"severity\":\"CRITICAL\"}",
           bob, alice);
  create(daira_moderation_report, p, request, svc_report, sizeof svc_report);
  snprintf(request, sizeof request, "{\"reporter_id\":\"%s\",\"content_type\":\"USER\",\"content_id\":\"%s\",\"reason\":\"NUDITY\"}",
           alice, bob);
  EXPECT_CALL(daira_moderation_report, p, request, DAIRA_INVALID_ARGUMENT, "reason");
  CHECK_CODE(call(daira_moderation_queue, p, "{\"limit\":1}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, svc_report) && contains(out, "\"severity\":\"CRITICAL\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"report_id\":\"%s\",\"reviewer_id\":\"%s\",\"decision\":\"BAN\"}", svc_report, alice);
  EXPECT_CALL(daira_moderation_decide, p, request, DAIRA_PERMISSION_DENIED, "");
  snprintf(request, sizeof request, "{\"report_id\":\"%s\",\"reviewer_id\":\"%s\",\"decision\":\"WARN\",\"reason\":\"be kind\"}",
           svc_report, bob);
  CHECK_CODE(call(daira_moderation_decide, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"decision\":\"WARN\"") && contains(out, "\"action\":\"moderation.warn\"") &&
        contains(out, "\"status\":\"RESOLVED\"") && contains(out, "\"sessions_revoked\":0") &&
        contains(out, "\"notification_id\":\""));
  daira_free(out);
  /* The WARN reached alice (the reported user) as a MODERATION notification. */
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  CHECK_CODE(call(daira_notifications_list, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"kind\":\"MODERATION\"") && contains(out, "\"target_type\":\"USER\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"report_id\":\"%s\",\"reviewer_id\":\"%s\",\"decision\":\"WARN\",\"reason\":\"be kind\"}",
           svc_report, bob);
  EXPECT_CALL(daira_moderation_decide, p, request, DAIRA_FAILED_PRECONDITION, "");
  CHECK_CODE(call(daira_audit_append, p, "{\"action\":\"admin.note\",\"resource_type\":\"user\",\"reason\":\"x\"}", &out, &err),
             DAIRA_OK, err);
  CHECK(contains(out, "\"seq\":") && contains(out, "\"hash\":\""));
  daira_free(out);
  CHECK_CODE(call(daira_audit_verify, p, "{}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"ok\":true") && contains(out, "\"checked\":3"));
  daira_free(out);

  /* Deleting the report takes its reviews along. */
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", report);
  CHECK_CODE(call(daira_reports_delete, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  CHECK_CODE(call(daira_reports_exists, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"exists\":false"));
  daira_free(out);
  daira_error_free(&err);
}

static void test_content_records(daira_platform_t* p, const char* alice, const char* bob, const char* post) {
  char post2[32], video[32], comment[32], reply[32], vcomment[32], request[512], cursor[256];
  char* out = NULL;

  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"second #records post\"}", alice);
  create(daira_content_create_post, p, request, post2, sizeof post2);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", post);
  out = FETCH(daira_posts_get, p, request, "id,content,likes_count");
  CHECK(contains(out, "\"content\":\"first #records post\"") && contains(out, "\"likes_count\":0"));
  CHECK(!contains(out, "author_id") && !contains(out, "\"author\""));
  daira_free(out);
  out = FETCH(daira_posts_get, p, request, NULL);
  CHECK(contains(out, "\"hashtags\":[\"records\"]") && contains(out, "\"deleted_at\":null") && contains(out, "\"status\":\"ACTIVE\""));
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\",\"%s\",5]", post2, post);
  out = FETCH(daira_posts_get_many, p, request, "visibility");
  CHECK(out != NULL && strstr(out, post2) < strstr(out, post) && contains(out, "\"missing\":[\"5\"]"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"limit\":1}", alice);
  out = FETCH(daira_posts_list_by_author, p, request, "content");
  CHECK(contains(out, post2) && contains(out, "\"has_more\":true") && json_string(out, "next_cursor", cursor, sizeof cursor));
  daira_free(out);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"limit\":1,\"cursor\":\"%s\"}", alice, cursor);
  out = FETCH(daira_posts_list_by_author, p, request, "content");
  CHECK(contains(out, post) && contains(out, "\"has_more\":false"));
  daira_free(out);

  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"status\":\"ACTIVE\"}", alice);
  CHECK_CODE(call(daira_posts_count, p, request, &out, NULL), DAIRA_OK, NULL);
  CHECK(contains(out, "\"count\":2"));
  daira_free(out);
  EXPECT_CALL(daira_posts_count, p, "{\"status\":\"GONE\"}", DAIRA_INVALID_ARGUMENT, "status");
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"title\":\"records #clip\",\"duration_ms\":4000}", bob);
  create(daira_content_create_video, p, request, video, sizeof video);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", video);
  out = FETCH(daira_videos_get, p, request, "title,status,source_key");
  CHECK(contains(out, "\"title\":\"records #clip\"") && contains(out, "\"status\":\"UPLOADING\"") && contains(out, "\"source_key\":null"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\"}", bob);
  out = FETCH(daira_videos_list_by_author, p, request, "duration_ms");
  CHECK(contains(out, video) && contains(out, "\"duration_ms\":4000"));
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\"]", video);
  out = FETCH(daira_videos_get_many, p, request, "hashtags");
  CHECK(contains(out, "\"hashtags\":[\"clip\"]"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"status\":\"UPLOADING\"}", bob);
  CHECK_CODE(call(daira_videos_count, p, request, &out, NULL), DAIRA_OK, NULL);
  CHECK(contains(out, "\"count\":1"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", video);
  CHECK_CODE(call(daira_videos_exists, p, request, &out, NULL), DAIRA_OK, NULL);
  CHECK(contains(out, "\"exists\":true"));
  daira_free(out);

  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"post_id\":\"%s\",\"content\":\"nice\"}", bob, post);
  create(daira_content_create_comment, p, request, comment, sizeof comment);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"post_id\":\"%s\",\"parent_id\":\"%s\",\"content\":\"thanks\"}",
           alice, post, comment);
  create(daira_content_create_comment, p, request, reply, sizeof reply);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"video_id\":\"%s\",\"content\":\"great clip\"}", alice, video);
  create(daira_content_create_comment, p, request, vcomment, sizeof vcomment);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  out = FETCH(daira_comments_list_by_post, p, request, "content");
  CHECK(contains(out, comment) && contains(out, reply) && !contains(out, vcomment)); /* every depth */
  CHECK(out != NULL && strstr(out, comment) < strstr(out, reply));                   /* oldest first */
  daira_free(out);
  snprintf(request, sizeof request, "{\"parent_id\":\"%s\"}", comment);
  out = FETCH(daira_comments_list_replies, p, request, "parent_id");
  snprintf(request, sizeof request, "\"parent_id\":\"%s\"", comment);
  CHECK(contains(out, reply) && contains(out, request));
  daira_free(out);
  snprintf(request, sizeof request, "{\"video_id\":\"%s\"}", video);
  out = FETCH(daira_comments_list_by_video, p, request, "post_id,video_id");
  CHECK(contains(out, vcomment) && contains(out, "\"post_id\":null") && !contains(out, comment));
  daira_free(out);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  CHECK_CODE(call(daira_comments_count, p, request, &out, NULL), DAIRA_OK, NULL);
  CHECK(contains(out, "\"count\":2"));
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\",\"%s\"]", reply, comment);
  out = FETCH(daira_comments_get_many, p, request, "replies_count");
  CHECK(contains(out, "\"replies_count\":1") && contains(out, "\"replies_count\":0"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", reply);
  out = FETCH(daira_comments_get, p, request, NULL);
  CHECK(contains(out, "\"content\":\"thanks\"") && contains(out, comment) && contains(out, "\"video_id\":null"));
  daira_free(out);
}

static void test_after_shutdown(daira_platform_t* p) {
  daira_error_t* err = NULL;
  char* out = NULL;
  CHECK_CODE(daira_platform_shutdown(p, &err), DAIRA_OK, err);
  CHECK_CODE(rcall(daira_wallets_get, p, "{\"id\":1}", NULL, &out, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK(contains(daira_error_message(err), "platform is closed") && out == NULL);
  CHECK_CODE(rcall(daira_posts_get_many, p, "[1]", "id", &out, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK_CODE(call(daira_audit_logs_create, p, "{}", &out, &err), DAIRA_FAILED_PRECONDITION, err);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  const char* options = "{\"password_cost\":\"test\"}";
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  char alice[32], bob[32], post[32], request[256];
  char* out = NULL;
  const char* url;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  url = argv[1];
  if (daira_platform_open(url, strlen(url), options, strlen(options), &p, &err) != DAIRA_OK) {
    fprintf(stderr, "open failed: %s\n", daira_error_message(err));
    daira_error_free(&err);
    return 1;
  }
  create(daira_accounts_register, p,
         "{\"username\":\"alice\",\"email\":\"alice@example.com\",\"password\":\"correct horse battery\"}", alice,
         sizeof alice);
  create(daira_accounts_register, p,
         "{\"username\":\"bob\",\"email\":\"bob@example.com\",\"password\":\"correct horse battery\"}", bob, sizeof bob);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"first #records post\"}", alice);
  create(daira_content_create_post, p, request, post, sizeof post);

  test_common_errors(p);
  test_wallets_and_journal(p, alice, bob);
  test_moderation(p, alice, bob, post);
  test_content_records(p, alice, bob, post);
  test_after_shutdown(p);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  CHECK(p == NULL);
  daira_free(out);
  daira_error_free(&err);

  printf("c_abi_records_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
