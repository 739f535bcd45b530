/* The C ABI's cache and blob calls from C99: daira_cache_set/get (a miss is null; ttl_ms 0 never
 * expires), mget in order with nulls, delete counting what existed; daira_blob_put/get (binary bytes with
 * a NUL inside, a range), stat, exists, list with a prefix and pages, url, delete (idempotent), on a
 * file: store in a fresh temporary directory; daira_rate_limit_check against the "rate_limits" open
 * option (allowed, then refused with a retry-after; bad options and requests name their field);
 * daira_vectors_put/get/delete (float32 values read back in their shortest form, replaced, written in a
 * transaction: rolled back → unchanged, committed → seen outside it; bad embeddings name their field);
 * request errors name their field.
 *
 *   c_abi_cache_blobs_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed. Runs under valgrind --leak-check=full too. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c_abi_check.h"
#include "daira_c.h"


static void test_cache(daira_platform_t* p) {
  char* out;
  out = RUN(daira_cache_get, p, "{\"key\":\"c_abi:k1\"}");
  EXPECT_CONTAINS(out, "{\"value\":null}");
  daira_free(out);
  daira_free(RUN(daira_cache_set, p, "{\"key\":\"c_abi:k1\",\"value\":\"{\\\"n\\\":1}\",\"ttl_ms\":0}"));
  daira_free(RUN(daira_cache_set, p, "{\"key\":\"c_abi:k2\",\"value\":\"two\",\"ttl_ms\":600000}"));
  daira_free(RUN(daira_cache_set, p, "{\"key\":\"c_abi:k3\",\"value\":\"three\"}"));
  out = RUN(daira_cache_get, p, "{\"key\":\"c_abi:k1\"}");
  EXPECT_CONTAINS(out, "{\"value\":\"{\\\"n\\\":1}\"}");
  daira_free(out);
  out = RUN(daira_cache_mget, p, "{\"keys\":[\"c_abi:k2\",\"c_abi:missing\",\"c_abi:k3\"]}");
  EXPECT_CONTAINS(out, "{\"values\":[\"two\",null,\"three\"]}");
  daira_free(out);
  out = RUN(daira_cache_delete, p, "{\"keys\":[\"c_abi:k1\",\"c_abi:k2\",\"c_abi:missing\"]}");
  EXPECT_CONTAINS(out, "{\"deleted\":2}");
  daira_free(out);
  out = RUN(daira_cache_get, p, "{\"key\":\"c_abi:k1\"}");
  EXPECT_CONTAINS(out, "{\"value\":null}");
  daira_free(out);
  EXPECT_ERROR(daira_cache_get, p, "{}", DAIRA_INVALID_ARGUMENT, "key");
  EXPECT_ERROR(daira_cache_set, p, "{\"key\":\"c_abi:k\"}", DAIRA_INVALID_ARGUMENT, "value");
  EXPECT_ERROR(daira_cache_set, p, "{\"key\":\"c_abi:k\",\"value\":\"v\",\"ttl_ms\":-5}",
               DAIRA_INVALID_ARGUMENT, "ttl_ms");
  EXPECT_ERROR(daira_cache_mget, p, "{\"keys\":[1]}", DAIRA_INVALID_ARGUMENT, NULL);
  EXPECT_ERROR(daira_cache_delete, p, "{}", DAIRA_INVALID_ARGUMENT, "keys");
}

static void test_vectors(daira_platform_t* p) {
  char id[32];
  char request[256];
  char* out = NULL;
  char* big;
  size_t at;
  int i;
  daira_error_t* err = NULL;
  daira_platform_t* tx = NULL;
  CHECK_CODE(call(daira_accounts_register, p,
                  "{\"username\":\"vec\",\"email\":\"vec@example.com\",\"password\":\"correct horse battery\"}",
                  &out, &err),
             DAIRA_OK, err);
  CHECK(json_string(out, "id", id, sizeof id));
  daira_free(out);
  daira_error_free(&err);

  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", id);
  out = RUN(daira_vectors_get, p, request);
  EXPECT_CONTAINS(out, "{\"embedding\":null}");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":[0.1,-2.5,3e-05,1,0,16777217]}", id);
  daira_free(RUN(daira_vectors_put, p, request));
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", id);
  out = RUN(daira_vectors_get, p, request); /* 16777217 is not a float32: its nearest one is 16777216 */
  EXPECT_CONTAINS(out, "{\"embedding\":[0.1,-2.5,3e-05,1,0,16777216]}");
  daira_free(out);
  out = RUN(daira_vectors_get, p, request); /* again: from the cache on SQLite, the same answer */
  EXPECT_CONTAINS(out, "{\"embedding\":[0.1,-2.5,3e-05,1,0,16777216]}");
  daira_free(out);

  /* In a transaction: rolled back → unchanged; committed → seen by the next read outside it. */
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":[7]}", id);
  CHECK_CODE(daira_transaction_begin(p, NULL, 0, &tx, &err), DAIRA_OK, err);
  if (tx != NULL) {
    daira_free(RUN(daira_vectors_put, tx, request));
    CHECK_CODE(daira_transaction_rollback(&tx, &err), DAIRA_OK, err);
  }
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", id);
  out = RUN(daira_vectors_get, p, request);
  EXPECT_CONTAINS(out, "{\"embedding\":[0.1,-2.5,3e-05,1,0,16777216]}");
  daira_free(out);
  CHECK_CODE(daira_transaction_begin(p, NULL, 0, &tx, &err), DAIRA_OK, err);
  if (tx != NULL) {
    snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":[-4.75,2]}", id);
    daira_free(RUN(daira_vectors_put, tx, request));
    snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", id);
    out = RUN(daira_vectors_get, tx, request); /* the transaction sees its own write */
    EXPECT_CONTAINS(out, "{\"embedding\":[-4.75,2]}");
    daira_free(out);
    CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_OK, err);
  }
  out = RUN(daira_vectors_get, p, request);
  EXPECT_CONTAINS(out, "{\"embedding\":[-4.75,2]}");
  daira_free(out);

  /* Bad requests name their field and write nothing. */
  EXPECT_ERROR(daira_vectors_get, p, "{}", DAIRA_INVALID_ARGUMENT, "user_id");
  EXPECT_ERROR(daira_vectors_put, p, "{\"embedding\":[1]}", DAIRA_INVALID_ARGUMENT, "user_id");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", id);
  EXPECT_ERROR(daira_vectors_put, p, request, DAIRA_INVALID_ARGUMENT, "embedding");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":[]}", id);
  EXPECT_ERROR(daira_vectors_put, p, request, DAIRA_INVALID_ARGUMENT, "embedding");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":\"1,2\"}", id);
  EXPECT_ERROR(daira_vectors_put, p, request, DAIRA_INVALID_ARGUMENT, "embedding");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":[1,\"2\"]}", id);
  EXPECT_ERROR(daira_vectors_put, p, request, DAIRA_INVALID_ARGUMENT, "embedding[1]");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"embedding\":[1,1e39]}", id);
  EXPECT_ERROR(daira_vectors_put, p, request, DAIRA_INVALID_ARGUMENT, "embedding[1]");
  big = malloc(4097 * 2 + 64);
  CHECK(big != NULL);
  if (big != NULL) {
    at = (size_t)sprintf(big, "{\"user_id\":\"%s\",\"embedding\":[", id);
    for (i = 0; i < 4097; ++i) {
      if (i > 0) big[at++] = ',';
      big[at++] = '1';
    }
    strcpy(big + at, "]}");
    EXPECT_ERROR(daira_vectors_put, p, big, DAIRA_INVALID_ARGUMENT, "embedding");
    free(big);
  }
  EXPECT_ERROR(daira_vectors_put, p, "{\"user_id\":\"987654321\",\"embedding\":[1]}", DAIRA_NOT_FOUND, NULL);
  EXPECT_ERROR(daira_vectors_get, p, "{\"user_id\":\"987654321\"}", DAIRA_NOT_FOUND, NULL);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", id);
  out = RUN(daira_vectors_get, p, request);
  EXPECT_CONTAINS(out, "{\"embedding\":[-4.75,2]}");
  daira_free(out);

  out = RUN(daira_vectors_delete, p, request);
  EXPECT_CONTAINS(out, "{\"deleted\":true}");
  daira_free(out);
  out = RUN(daira_vectors_delete, p, request);
  EXPECT_CONTAINS(out, "{\"deleted\":false}");
  daira_free(out);
  out = RUN(daira_vectors_get, p, request);
  EXPECT_CONTAINS(out, "{\"embedding\":null}");
  daira_free(out);
  daira_error_free(&err);
}

static void test_blobs(daira_platform_t* p) {
  static const char kBytes[] = {'a', 'b', '\0', 'c', 'd', (char)0xff};
  const char* put = "{\"key\":\"media/one.bin\",\"content_type\":\"application/x-test\"}";
  char* out = NULL;
  char* data = NULL;
  size_t len = 99;
  daira_error_t* err = NULL;

  CHECK_CODE(daira_blob_put(p, put, strlen(put), kBytes, sizeof kBytes, &out, &err), DAIRA_OK, err);
  EXPECT_CONTAINS(out, "\"key\":\"media/one.bin\"");
  EXPECT_CONTAINS(out, "\"size\":6");
  daira_free(out);
  put = "{\"key\":\"media/two.txt\"}";
  CHECK_CODE(daira_blob_put(p, put, strlen(put), "hello", 5, NULL, &err), DAIRA_OK, err);
  put = "{\"key\":\"other/empty\"}";
  CHECK_CODE(daira_blob_put(p, put, strlen(put), NULL, 0, NULL, &err), DAIRA_OK, err);

  put = "{\"key\":\"media/one.bin\"}";
  CHECK_CODE(daira_blob_get(p, put, strlen(put), &data, &len, &err), DAIRA_OK, err);
  CHECK(len == sizeof kBytes && data != NULL && memcmp(data, kBytes, sizeof kBytes) == 0);
  daira_free(data);
  put = "{\"key\":\"media/one.bin\",\"offset\":3,\"length\":2}";
  CHECK_CODE(daira_blob_get(p, put, strlen(put), &data, &len, &err), DAIRA_OK, err);
  CHECK(len == 2 && data != NULL && memcmp(data, "cd", 2) == 0);
  daira_free(data);
  put = "{\"key\":\"other/empty\"}";
  CHECK_CODE(daira_blob_get(p, put, strlen(put), &data, &len, &err), DAIRA_OK, err);
  CHECK(len == 0 && data != NULL);
  daira_free(data);
  put = "{\"key\":\"media/none\"}";
  CHECK_CODE(daira_blob_get(p, put, strlen(put), &data, &len, &err), DAIRA_NOT_FOUND, err);
  CHECK(data == NULL && len == 0);
  CHECK_CODE(daira_blob_get(p, put, strlen(put), NULL, &len, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "out_data");
  CHECK_CODE(daira_blob_put(p, put, strlen(put), NULL, 3, NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "data");

  out = RUN(daira_blob_stat, p, "{\"key\":\"media/two.txt\"}");
  EXPECT_CONTAINS(out, "\"size\":5");
  daira_free(out);
  out = RUN(daira_blob_exists, p, "{\"key\":\"media/two.txt\"}");
  EXPECT_CONTAINS(out, "{\"exists\":true}");
  daira_free(out);
  out = RUN(daira_blob_list, p, "{\"prefix\":\"media/\",\"limit\":1}");
  EXPECT_CONTAINS(out, "\"key\":\"media/one.bin\"");
  CHECK(!contains(out, "media/two.txt"));
  CHECK(!contains(out, "\"next_token\":\"\""));
  {
    char token[256];
    char request[400];
    CHECK(json_string(out, "next_token", token, sizeof token));
    daira_free(out);
    snprintf(request, sizeof request, "{\"prefix\":\"media/\",\"limit\":1,\"page_token\":\"%s\"}", token);
    out = RUN(daira_blob_list, p, request);
    EXPECT_CONTAINS(out, "\"key\":\"media/two.txt\"");
    EXPECT_CONTAINS(out, "\"next_token\":\"\"");
    daira_free(out);
  }
  out = RUN(daira_blob_url, p, "{\"key\":\"media/two.txt\"}");
  EXPECT_CONTAINS(out, "\"url\":\"file://");
  daira_free(out);

  daira_free(RUN(daira_blob_delete, p, "{\"key\":\"media/one.bin\"}"));
  daira_free(RUN(daira_blob_delete, p, "{\"key\":\"media/one.bin\"}")); /* idempotent */
  daira_free(RUN(daira_blob_delete, p, "{\"key\":\"media/two.txt\"}"));
  daira_free(RUN(daira_blob_delete, p, "{\"key\":\"other/empty\"}"));
  out = RUN(daira_blob_exists, p, "{\"key\":\"media/one.bin\"}");
  EXPECT_CONTAINS(out, "{\"exists\":false}");
  daira_free(out);
  EXPECT_ERROR(daira_blob_stat, p, "{\"key\":\"media/one.bin\"}", DAIRA_NOT_FOUND, NULL);
  EXPECT_ERROR(daira_blob_list, p, "{\"limit\":0}", DAIRA_INVALID_ARGUMENT, "limit");
  EXPECT_ERROR(daira_blob_exists, p, "{}", DAIRA_INVALID_ARGUMENT, "key");
  daira_error_free(&err);
}

static void test_rate_limits(const char* url) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  char* out;
  const char* bad =
      "{\"password_cost\":\"test\",\"rate_limits\":[{\"endpoint\":\"api.search\",\"count\":0,\"window_ms\":1000}]}";
  const char* options =
      "{\"password_cost\":\"test\",\"rate_limits\":[{\"endpoint\":\"api.search\",\"count\":2,"
      "\"window_ms\":60000},{\"endpoint\":\"login\",\"count\":0,\"window_ms\":1000}]}";
  CHECK_CODE(daira_platform_open(url, strlen(url), bad, strlen(bad), &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "rate_limits[0]");
  CHECK(p == NULL);
  CHECK_CODE(daira_platform_open(url, strlen(url), options, strlen(options), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  out = RUN(daira_rate_limit_check, p, "{\"key\":\"alice\",\"endpoint\":\"api.search\"}");
  EXPECT_CONTAINS(out, "\"allowed\":true");
  EXPECT_CONTAINS(out, "\"remaining\":1");
  EXPECT_CONTAINS(out, "\"limit\":2");
  daira_free(out);
  daira_free(RUN(daira_rate_limit_check, p, "{\"key\":\"alice\",\"endpoint\":\"api.search\"}"));
  out = RUN(daira_rate_limit_check, p, "{\"key\":\"alice\",\"endpoint\":\"api.search\"}");
  EXPECT_CONTAINS(out, "\"allowed\":false");
  EXPECT_CONTAINS(out, "\"remaining\":0");
  CHECK(!contains(out, "\"retry_after_ms\":0,"));
  daira_free(out);
  out = RUN(daira_rate_limit_check, p, "{\"key\":\"bob\",\"endpoint\":\"api.search\",\"cost\":2}");
  EXPECT_CONTAINS(out, "\"allowed\":true");
  daira_free(out);
  EXPECT_ERROR(daira_rate_limit_check, p, "{\"endpoint\":\"api.search\"}", DAIRA_INVALID_ARGUMENT, "key");
  EXPECT_ERROR(daira_rate_limit_check, p, "{\"key\":\"a\"}", DAIRA_INVALID_ARGUMENT, "endpoint");
  EXPECT_ERROR(daira_rate_limit_check, p, "{\"key\":\"a\",\"endpoint\":\"nowhere\"}", DAIRA_INVALID_ARGUMENT, NULL);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  char dir[] = "/tmp/c_abi_blobs_XXXXXX";
  char options[256];
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(options, sizeof options,
           "{\"password_cost\":\"test\",\"cache\":\"memory:\",\"blobs\":\"file:%s\"}", dir);
  CHECK_CODE(daira_platform_open(argv[1], strlen(argv[1]), options, strlen(options), &p, &err), DAIRA_OK,
             err);
  if (p == NULL) {
    daira_error_free(&err);
    rmdir(dir);
    return 1;
  }
  test_cache(p);
  test_blobs(p);
  test_vectors(p);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  test_rate_limits(argv[1]);
  daira_error_free(&err);
  {
    /* The file: store leaves its (now empty) prefix directories behind. */
    char path[300];
    snprintf(path, sizeof path, "%s/media", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/other", dir);
    rmdir(path);
    if (rmdir(dir) != 0) fprintf(stderr, "note: %s not removed\n", dir);
  }
  printf("c_abi_cache_blobs_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
