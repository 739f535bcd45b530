/* C ABI limits (issue 9), C99, run by c_abi_runner on SQLite and Postgres:
 *   - requests over the max_request_bytes open option (default 1 MiB) are INVALID_ARGUMENT naming it,
 *     checked before parsing; the option itself is range-checked;
 *   - token TTLs up to INT64_MAX are refused at open, naming the option (no expiry in the past);
 *   - a limit of INT64_MAX is reported as given, not as a clamped number;
 *   - login device fields are validated (a huge or invalid value is INVALID_ARGUMENT naming it). */
#include <stdint.h>
#include <stdlib.h>

#include "c_abi_check.h"

/* A JSON object {"id":"1"} padded with spaces to exactly `size` bytes (malloc'd). */
static char* padded_request(size_t size) {
  static const char head[] = "{\"id\":\"1\"";
  char* buf = (char*)malloc(size + 1);
  size_t i;
  if (buf == NULL) return NULL;
  memcpy(buf, head, sizeof head - 1);
  for (i = sizeof head - 1; i + 1 < size; ++i) buf[i] = ' ';
  buf[size - 1] = '}';
  buf[size] = '\0';
  return buf;
}

static void test_open_options(const char* url) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  const char* bad[][2] = {
      {"{\"password_cost\":\"test\",\"max_request_bytes\":0}", "max_request_bytes"},
      {"{\"password_cost\":\"test\",\"max_request_bytes\":-1}", "max_request_bytes"},
      {"{\"password_cost\":\"test\",\"max_request_bytes\":9223372036854775807}", "max_request_bytes"},
      {"{\"password_cost\":\"test\",\"max_request_bytes\":\"big\"}", "max_request_bytes"},
      {"{\"password_cost\":\"test\",\"access_token_ttl_s\":9223372036854775807}", "access_token_ttl_s"},
      {"{\"password_cost\":\"test\",\"refresh_token_ttl_s\":9223372036854775807}", "refresh_token_ttl_s"},
      {"{\"password_cost\":\"test\",\"refresh_token_ttl_s\":0}", "refresh_token_ttl_s"},
      {"{\"password_cost\":\"test\",\"refresh_reuse_grace_s\":100000}", "refresh_reuse_grace_s"},
      {"{\"password_cost\":\"test\",\"max_concurrent_password_hashes\":-3}", "max_concurrent_password_hashes"},
      /* the service options (Config entries of the same names) */
      {"{\"password_cost\":\"test\",\"moderation_auto_hide_threshold\":-1}", "moderation_auto_hide_threshold"},
      {"{\"password_cost\":\"test\",\"moderation_auto_hide_threshold\":\"3\"}", "moderation_auto_hide_threshold"},
      {"{\"password_cost\":\"test\",\"tip_fee_bps\":10000}", "tip_fee_bps"},
      {"{\"password_cost\":\"test\",\"money_idempotency_retention_s\":3600}", "money_idempotency_retention_s"},
      {"{\"password_cost\":\"test\",\"money_max_attempts\":0}", "money_max_attempts"},
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    CHECK_CODE(daira_platform_open(url, strlen(url), bad[i][0], strlen(bad[i][0]), &p, &err), DAIRA_INVALID_ARGUMENT,
               err);
    CHECK(p == NULL);
    CHECK_FIELD(err, bad[i][1]);
  }
  {
    const char* good =
        "{\"password_cost\":\"test\",\"moderation_auto_hide_threshold\":0,\"tip_fee_bps\":9999,"
        "\"money_idempotency_retention_s\":86400,\"money_max_attempts\":1}";
    CHECK_CODE(daira_platform_open(url, strlen(url), good, strlen(good), &p, &err), DAIRA_OK, err);
    if (p != NULL) CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  }
  daira_error_free(&err);
}

static void test_request_size(const char* url) {
  static const char options[] = "{\"password_cost\":\"test\",\"max_request_bytes\":1024}";
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  char* out = NULL;
  char* req;
  CHECK_CODE(daira_platform_open(url, strlen(url), NULL, 0, &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  /* Default: 1 MiB. Exactly 1 MiB is parsed (the user does not exist), one byte more is refused. */
  req = padded_request((size_t)1 << 20);
  CHECK_CODE(daira_users_get(p, req, (size_t)1 << 20, &out, &err), DAIRA_NOT_FOUND, err);
  free(req);
  req = padded_request(((size_t)1 << 20) + 1);
  CHECK_CODE(daira_users_get(p, req, ((size_t)1 << 20) + 1, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK(contains(daira_error_message(err), "max_request_bytes"));
  CHECK(contains(daira_error_message(err), "1048577 bytes"));
  CHECK(out == NULL);
  /* Every JSON entry point shares the check, record calls included. */
  CHECK_CODE(daira_accounts_login(p, req, ((size_t)1 << 20) + 1, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK(contains(daira_error_message(err), "max_request_bytes"));
  CHECK_CODE(daira_follows_list_by_followee(p, req, ((size_t)1 << 20) + 1, NULL, &out, &err), DAIRA_INVALID_ARGUMENT,
             err);
  CHECK(contains(daira_error_message(err), "max_request_bytes"));
  free(req);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);

  /* A smaller cap from the options. */
  CHECK_CODE(daira_platform_open(url, strlen(url), options, strlen(options), &p, &err), DAIRA_OK, err);
  if (p != NULL) {
    req = padded_request(1024);
    CHECK_CODE(daira_users_get(p, req, 1024, &out, &err), DAIRA_NOT_FOUND, err);
    free(req);
    req = padded_request(1025);
    CHECK_CODE(daira_users_get(p, req, 1025, &out, &err), DAIRA_INVALID_ARGUMENT, err);
    CHECK(contains(daira_error_message(err), "(1024;"));
    free(req);
    CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  }
  daira_error_free(&err);
}

static void test_limits_and_devices(daira_platform_t* p) {
  daira_error_t* err = NULL;
  char* out = NULL;
  char* big;
  size_t n, i;
  static const char max_limit[] = "{\"followee_id\":1,\"limit\":9223372036854775807}";
  static const char min_limit[] = "{\"followee_id\":1,\"limit\":-9223372036854775807}";
  static const char reg[] = "{\"email\":\"lim@example.com\",\"username\":\"limits\",\"password\":\"long enough pw\"}";
  /* A limit of INT64_MAX is reported as given. */
  CHECK_CODE(call(daira_social_followers, p, "{\"user_id\":1,\"limit\":9223372036854775807}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "limit");
  CHECK(contains(daira_error_message(err), "(got 9223372036854775807)"));
  CHECK(!contains(daira_error_message(err), "1000000"));
  CHECK_CODE(daira_follows_list_by_followee(p, max_limit, strlen(max_limit), NULL, &out, &err), DAIRA_INVALID_ARGUMENT,
             err);
  CHECK_FIELD(err, "limit");
  CHECK(contains(daira_error_message(err), "(got 9223372036854775807)"));
  CHECK_CODE(daira_follows_list_by_followee(p, min_limit, strlen(min_limit), NULL, &out, &err), DAIRA_INVALID_ARGUMENT,
             err);
  CHECK(contains(daira_error_message(err), "(got -9223372036854775807)"));

  /* Device fields: a 100 KB device_name and a bad ip_address are INVALID_ARGUMENT naming them. */
  CHECK_CODE(call(daira_accounts_register, p, reg, &out, &err), DAIRA_OK, err);
  daira_free(out);
  out = NULL;
  n = 100000;
  big = (char*)malloc(n + 200);
  if (big != NULL) {
    i = (size_t)sprintf(big, "{\"identifier\":\"limits\",\"password\":\"long enough pw\",\"device_name\":\"");
    memset(big + i, 'x', n);
    strcpy(big + i + n, "\"}");
    CHECK_CODE(call(daira_accounts_login, p, big, &out, &err), DAIRA_INVALID_ARGUMENT, err);
    CHECK_FIELD(err, "device_name");
    free(big);
  }
  CHECK_CODE(call(daira_accounts_login, p,
                  "{\"identifier\":\"limits\",\"password\":\"long enough pw\",\"ip_address\":\"1.2.3.999\"}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "ip_address");
  CHECK_CODE(call(daira_accounts_login, p,
                  "{\"identifier\":\"limits\",\"password\":\"long enough pw\",\"ip_address\":\"::1\"}", &out, &err),
             DAIRA_OK, err);
  daira_free(out);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  const char* options = "{\"password_cost\":\"test\"}";
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  const char* url;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  url = argv[1];
  test_open_options(url);
  test_request_size(url);
  CHECK_CODE(daira_platform_open(url, strlen(url), options, strlen(options), &p, &err), DAIRA_OK, err);
  if (p != NULL) {
    test_limits_and_devices(p);
    CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  }
  daira_error_free(&err);
  printf("c_abi_limits_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
