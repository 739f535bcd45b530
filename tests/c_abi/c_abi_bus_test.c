/* The C ABI's event bus and concern URLs from C99: daira_platform_open's "cache"/"bus"/"realtime"/
 * "blobs" options (accepted, and a bad one refused naming it); daira_bus_enqueue (payload, priority,
 * idempotency key), _enqueue_many (all in order; a bad field named "jobs[i].<field>"), _next (a job
 * with its lease token, or null), _progress, _complete (fenced: a second complete with the same token
 * is FAILED_PRECONDITION), _fail (max_attempts 1: dead), _dead_letters, _replay, _counts,
 * _pause/_resume, _get, _repeatable_add/_list/_remove, _cancel (a running job:
 * _cancel_requested, then CANCELLED on fail), _next_batch and _finish_many (fenced per entry); enqueue on a transaction handle (rolled back: no job; committed: the job), and
 * the request errors naming their field.
 *
 *   c_abi_bus_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed; each failed check prints its line. Runs under valgrind
 * --leak-check=full too: every handle, string and error is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "daira_c.h"


/* Claims the next job of `queue` as `worker`: stores its id and lease token; 0 when there was none. */
static int next_job(daira_platform_t* p, const char* queue, const char* worker, char* id, char* token) {
  char request[256];
  char* out;
  int got;
  snprintf(request, sizeof request, "{\"queue\":\"%s\",\"worker\":\"%s\",\"timeout_ms\":0}", queue, worker);
  out = RUN(daira_bus_next, p, request);
  got = out != NULL && !contains(out, "\"job\":null");
  if (got) {
    CHECK(json_string(out, "id", id, 32));
    CHECK(json_string(out, "lease_token", token, 32));
    EXPECT_CONTAINS(out, "\"state\":\"ACTIVE\"");
  }
  daira_free(out);
  return got;
}

static void expect_count(daira_platform_t* p, const char* queue, const char* part, int line) {
  char request[128];
  char* out;
  snprintf(request, sizeof request, "{\"queue\":\"%s\"}", queue);
  out = RUN(daira_bus_counts, p, request);
  expect_contains(out, part, line);
  daira_free(out);
}
#define EXPECT_COUNT(p, queue, part) expect_count(p, queue, part, __LINE__)

static void test_open_options(const char* url) {
  daira_platform_t* q = NULL;
  daira_error_t* err = NULL;
  const char* bad = "{\"password_cost\":\"test\",\"cache\":\"bogus:\"}";
  const char* redis_bus = "{\"password_cost\":\"test\",\"bus\":\"redis://127.0.0.1:1\"}";
  const char* not_string = "{\"password_cost\":\"test\",\"realtime\":5}";
  CHECK_CODE(daira_platform_open(url, strlen(url), bad, strlen(bad), &q, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK(q == NULL);
  CHECK(contains(daira_error_message(err), "cache"));
  /* redis:// is a bus backend: an unreachable server (port 1) fails the open, naming the concern. */
  CHECK_CODE(daira_platform_open(url, strlen(url), redis_bus, strlen(redis_bus), &q, &err),
             DAIRA_UNAVAILABLE, err);
  CHECK(contains(daira_error_message(err), "bus"));
  CHECK_CODE(daira_platform_open(url, strlen(url), not_string, strlen(not_string), &q, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "realtime");
  CHECK(q == NULL);
  daira_error_free(&err);
}

static void test_lifecycle(daira_platform_t* p) {
  char id[32], token[32], request[256];
  char* out;
  out = RUN(daira_bus_enqueue, p,
            "{\"queue\":\"notification.push\",\"name\":\"welcome\",\"payload\":{\"user\":\"alice\",\"n\":1},"
            "\"priority\":5,\"correlation_id\":\"c-1\"}");
  EXPECT_CONTAINS(out, "\"deduplicated\":false");
  daira_free(out);
  EXPECT_COUNT(p, "notification.push", "\"waiting\":1");

  CHECK(next_job(p, "notification.push", "w1", id, token));
  EXPECT_COUNT(p, "notification.push", "\"active\":1");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", id);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"name\":\"welcome\"");
  EXPECT_CONTAINS(out, "\"user\":\"alice\"");
  EXPECT_CONTAINS(out, "\"lease_owner\":\"w1\"");
  EXPECT_CONTAINS(out, "\"correlation_id\":\"c-1\"");
  daira_free(out);

  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\",\"progress\":{\"pct\":50}}", id,
           token);
  daira_free(RUN(daira_bus_progress, p, request));
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\",\"result\":{\"sent\":true}}", id,
           token);
  daira_free(RUN(daira_bus_complete, p, request));
  /* The lease ended with the completion: the same token is fenced off. */
  EXPECT_ERROR(daira_bus_complete, p, request, DAIRA_FAILED_PRECONDITION, NULL);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", id);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"COMPLETED\"");
  EXPECT_CONTAINS(out, "\"sent\":true");
  daira_free(out);
  EXPECT_COUNT(p, "notification.push", "\"completed\":1");
  /* The bus's own metrics ride with the counts: one attempt completed in the last minute. */
  EXPECT_COUNT(p, "notification.push", "\"last_1m\":{\"span_s\":");
  EXPECT_COUNT(p, "notification.push", "\"completed\":1,\"failed\":0,\"throughput\":");
  EXPECT_COUNT(p, "notification.push", "\"wait\":{\"samples\":1,");
  EXPECT_COUNT(p, "notification.push", "\"last_5m\":{");

  /* Nothing left: next returns {"job":null} without waiting. */
  CHECK(!next_job(p, "notification.push", "w1", id, token));
}

static void test_dead_letters(daira_platform_t* p) {
  char id[32], token[32], request[256];
  char* out;
  daira_free(RUN(daira_bus_enqueue, p, "{\"queue\":\"feed.fanout\",\"name\":\"fan\",\"max_attempts\":1}"));
  CHECK(next_job(p, "feed.fanout", "w2", id, token));
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\",\"message\":\"boom\"}", id, token);
  out = RUN(daira_bus_fail, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"DEAD\"");
  EXPECT_CONTAINS(out, "\"message\":\"boom\"");
  daira_free(out);
  out = RUN(daira_bus_dead_letters, p, "{\"queue\":\"feed.fanout\"}");
  EXPECT_CONTAINS(out, id);
  daira_free(out);
  snprintf(request, sizeof request, "{\"queue\":\"feed.fanout\",\"ids\":[\"%s\"]}", id);
  out = RUN(daira_bus_replay, p, request);
  EXPECT_CONTAINS(out, "\"replayed\":1");
  daira_free(out);
  EXPECT_COUNT(p, "feed.fanout", "\"dead\":0");
  CHECK(next_job(p, "feed.fanout", "w2", id, token));
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\"}", id, token);
  daira_free(RUN(daira_bus_complete, p, request));
}

static void test_enqueue_many_and_dedup(daira_platform_t* p) {
  char first[32], second[32], id[32], token[32];
  char* out;
  out = RUN(daira_bus_enqueue, p, "{\"queue\":\"search.index\",\"name\":\"ix\",\"idempotency_key\":\"k1\"}");
  CHECK(json_string(out, "id", first, sizeof first));
  daira_free(out);
  out = RUN(daira_bus_enqueue, p, "{\"queue\":\"search.index\",\"name\":\"ix\",\"idempotency_key\":\"k1\"}");
  CHECK(json_string(out, "id", second, sizeof second));
  EXPECT_CONTAINS(out, "\"deduplicated\":true");
  CHECK(strcmp(first, second) == 0);
  daira_free(out);

  out =
      RUN(daira_bus_enqueue_many, p,
          "{\"jobs\":[{\"queue\":\"search.index\",\"name\":\"a\"},{\"queue\":\"search.index\",\"name\":\"b\","
          "\"group_key\":\"t1\"}]}");
  EXPECT_CONTAINS(out, "\"results\":[{\"id\":");
  daira_free(out);
  EXPECT_COUNT(p, "search.index", "\"waiting\":3");
  EXPECT_ERROR(daira_bus_enqueue_many, p,
               "{\"jobs\":[{\"queue\":\"search.index\"},{\"queue\":\"search.index\",\"bogus\":1}]}",
               DAIRA_INVALID_ARGUMENT, "jobs[1].bogus");
  EXPECT_ERROR(daira_bus_enqueue_many, p, "{\"jobs\":[{\"queue\":\"search.index\"},7]}",
               DAIRA_INVALID_ARGUMENT, "jobs[1]");
  EXPECT_ERROR(daira_bus_enqueue_many, p, "{}", DAIRA_INVALID_ARGUMENT, "jobs");
  EXPECT_ERROR(daira_bus_enqueue_many, p,
               "{\"jobs\":[{\"queue\":\"search.index\"},{\"queue\":\"no.such.queue\"}]}",
               DAIRA_INVALID_ARGUMENT, "jobs[1].queue");
  EXPECT_COUNT(p, "search.index", "\"waiting\":3"); /* nothing of the refused batches */

  /* Paused: no job until resumed. */
  daira_free(RUN(daira_bus_pause, p, "{\"queue\":\"search.index\"}"));
  EXPECT_COUNT(p, "search.index", "\"paused\":true");
  CHECK(!next_job(p, "search.index", "w3", id, token));
  daira_free(RUN(daira_bus_resume, p, "{\"queue\":\"search.index\"}"));
  CHECK(next_job(p, "search.index", "w3", id, token));
}

static void test_transaction(daira_platform_t* p) {
  daira_platform_t* tx = NULL;
  daira_error_t* err = NULL;
  CHECK_CODE(daira_transaction_begin(p, NULL, 0, &tx, &err), DAIRA_OK, err);
  daira_free(RUN(daira_bus_enqueue, tx, "{\"queue\":\"analytics.ingest\",\"name\":\"rolled back\"}"));
  CHECK_CODE(daira_transaction_rollback(&tx, &err), DAIRA_OK, err);
  EXPECT_COUNT(p, "analytics.ingest", "\"waiting\":0");

  CHECK_CODE(daira_transaction_begin(p, NULL, 0, &tx, &err), DAIRA_OK, err);
  daira_free(RUN(daira_bus_enqueue, tx, "{\"queue\":\"analytics.ingest\",\"name\":\"committed\"}"));
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_OK, err);
  EXPECT_COUNT(p, "analytics.ingest", "\"waiting\":1");
  daira_error_free(&err);
}

static void test_errors(daira_platform_t* p) {
  EXPECT_ERROR(daira_bus_enqueue, p, "{\"queue\":\"no.such.queue\",\"name\":\"x\"}", DAIRA_INVALID_ARGUMENT,
               "queue");
  EXPECT_ERROR(daira_bus_enqueue, p, "{\"queue\":\"feed.fanout\",\"payload\":[1]}", DAIRA_INVALID_ARGUMENT,
               "payload");
  EXPECT_ERROR(daira_bus_enqueue, p, "{\"queue\":\"feed.fanout\",\"delay\":5}", DAIRA_INVALID_ARGUMENT,
               "delay");
  EXPECT_ERROR(daira_bus_next, p, "{\"queue\":\"feed.fanout\"}", DAIRA_INVALID_ARGUMENT, "worker");
  EXPECT_ERROR(daira_bus_next, p, "{\"queue\":\"feed.fanout\",\"worker\":\"w\",\"timeout_ms\":70000}",
               DAIRA_INVALID_ARGUMENT, "timeout_ms");
  EXPECT_ERROR(daira_bus_complete, p, "{\"id\":\"1\"}", DAIRA_INVALID_ARGUMENT, "lease_token");
  EXPECT_ERROR(daira_bus_progress, p, "{\"id\":\"1\",\"lease_token\":\"1\"}", DAIRA_INVALID_ARGUMENT,
               "progress");
  EXPECT_ERROR(daira_bus_counts, p, "{}", DAIRA_INVALID_ARGUMENT, "queue");
  EXPECT_ERROR(daira_bus_get, p, "{\"id\":\"999999\"}", DAIRA_NOT_FOUND, NULL);
  EXPECT_ERROR(daira_bus_counts, NULL, "{\"queue\":\"feed.fanout\"}", DAIRA_INVALID_ARGUMENT, "platform");
}

/* Cancel: a running job gets the signal (daira_bus_cancel_requested), then its failed attempt ends
 * CANCELLED, not retried; a finished job cannot be cancelled. */
static void test_cancel(daira_platform_t* p) {
  char id[32], token[32], request[256];
  char* out;
  out = RUN(daira_bus_enqueue, p, "{\"queue\":\"media.cleanup\",\"name\":\"c\"}");
  daira_free(out);
  CHECK(next_job(p, "media.cleanup", "wc", id, token));
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\"}", id, token);
  out = RUN(daira_bus_cancel_requested, p, request);
  EXPECT_CONTAINS(out, "\"cancel_requested\":false");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", id);
  daira_free(RUN(daira_bus_cancel, p, request));
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\"}", id, token);
  out = RUN(daira_bus_cancel_requested, p, request);
  EXPECT_CONTAINS(out, "\"cancel_requested\":true");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\",\"lease_token\":\"%s\",\"message\":\"stopped\"}", id, token);
  out = RUN(daira_bus_fail, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"CANCELLED\"");
  EXPECT_CONTAINS(out, "\"cancel_requested\":true");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", id);
  EXPECT_ERROR(daira_bus_cancel, p, request, DAIRA_FAILED_PRECONDITION, NULL);
  EXPECT_ERROR(daira_bus_cancel, p, "{}", DAIRA_INVALID_ARGUMENT, "id");
  EXPECT_COUNT(p, "media.cleanup", "\"cancelled\":1");
}

/* Repeatables: add (every_ms and cron), list, replace, remove; a bad cron field named; NOT_FOUND after
 * removal. (The scheduling itself is proved by conformance_test with a manual clock.) */
static void test_repeatables(daira_platform_t* p) {
  char* out;
  out = RUN(daira_bus_repeatable_add, p,
            "{\"queue\":\"trending.refresh\",\"key\":\"nightly\",\"name\":\"refresh\",\"cron\":\"30 2 * * *\","
            "\"payload\":{\"scope\":\"all\"}}");
  EXPECT_CONTAINS(out, "\"key\":\"nightly\"");
  EXPECT_CONTAINS(out, "\"cron\":\"30 2 * * *\"");
  EXPECT_CONTAINS(out, "\"every_ms\":0");
  EXPECT_CONTAINS(out, "\"payload\":{\"scope\":\"all\"}");
  EXPECT_CONTAINS(out, "\"last_run_at\":null");
  daira_free(out);
  out = RUN(daira_bus_repeatable_add, p, "{\"queue\":\"analytics.ingest\",\"key\":\"tick\",\"every_ms\":30000}");
  EXPECT_CONTAINS(out, "\"every_ms\":30000");
  daira_free(out);
  out = RUN(daira_bus_repeatable_list, p, "{}");
  EXPECT_CONTAINS(out, "\"key\":\"tick\"");
  EXPECT_CONTAINS(out, "\"key\":\"nightly\"");
  daira_free(out);
  out = RUN(daira_bus_repeatable_list, p, "{\"queue\":\"analytics.ingest\"}");
  EXPECT_CONTAINS(out, "\"key\":\"tick\"");
  CHECK(!contains(out, "nightly"));
  daira_free(out);
  daira_free(RUN(daira_bus_repeatable_remove, p, "{\"queue\":\"analytics.ingest\",\"key\":\"tick\"}"));
  EXPECT_ERROR(daira_bus_repeatable_remove, p, "{\"queue\":\"analytics.ingest\",\"key\":\"tick\"}",
               DAIRA_NOT_FOUND, NULL);
  out = RUN(daira_bus_repeatable_list, p, "{\"queue\":\"analytics.ingest\"}");
  EXPECT_CONTAINS(out, "\"items\":[]");
  daira_free(out);
  EXPECT_ERROR(daira_bus_repeatable_add, p, "{\"queue\":\"trending.refresh\",\"key\":\"k\",\"cron\":\"0 24 * * *\"}",
               DAIRA_INVALID_ARGUMENT, "cron.hour");
  EXPECT_ERROR(daira_bus_repeatable_add, p, "{\"queue\":\"trending.refresh\",\"key\":\"k\"}",
               DAIRA_INVALID_ARGUMENT, "every");
  EXPECT_ERROR(daira_bus_repeatable_remove, p, "{\"queue\":\"trending.refresh\"}", DAIRA_INVALID_ARGUMENT, "key");
  daira_free(RUN(daira_bus_repeatable_remove, p, "{\"queue\":\"trending.refresh\",\"key\":\"nightly\"}"));
}

/* Counts the occurrences of `part` in `s`. */
static int count_of(const char* s, const char* part) {
  int n = 0;
  for (const char* at = s == NULL ? NULL : strstr(s, part); at != NULL; at = strstr(at + 1, part)) ++n;
  return n;
}

/* The `n`th (0-based) string value of `key` in `json`, into buf; 0 when there are fewer. */
static int nth_string(const char* json, const char* key, int n, char* buf, size_t cap) {
  char pattern[64];
  const char* at = json;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  for (int i = 0; at != NULL; ++i) {
    at = strstr(at, pattern);
    if (at == NULL) return 0;
    at += strlen(pattern);
    if (i == n) {
      size_t len = 0;
      while (at[len] != '\0' && at[len] != '"' && len + 1 < cap) ++len;
      memcpy(buf, at, len);
      buf[len] = '\0';
      return 1;
    }
  }
  return 0;
}

/* Batch consume and batched completion: three jobs claimed by one daira_bus_next_batch (max 5), then one
 * daira_bus_finish_many completing two and failing one, with a stale token among them refused alone. */
static void test_batch(daira_platform_t* p) {
  char ids[3][32], tokens[3][32], request[1024];
  char* out;
  daira_free(RUN(daira_bus_enqueue_many, p,
                 "{\"jobs\":[{\"queue\":\"webhooks.deliver\",\"payload\":{\"n\":1}},"
                 "{\"queue\":\"webhooks.deliver\",\"payload\":{\"n\":2}},"
                 "{\"queue\":\"webhooks.deliver\",\"payload\":{\"n\":3}}]}"));
  out = RUN(daira_bus_next_batch, p, "{\"queue\":\"webhooks.deliver\",\"worker\":\"wb\",\"max_jobs\":5}");
  CHECK(count_of(out, "\"state\":\"ACTIVE\"") == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(nth_string(out, "id", i, ids[i], sizeof ids[i]));
    CHECK(nth_string(out, "lease_token", i, tokens[i], sizeof tokens[i]));
  }
  daira_free(out);
  /* Nothing left: an empty batch. */
  out = RUN(daira_bus_next_batch, p, "{\"queue\":\"webhooks.deliver\",\"worker\":\"wb\",\"max_jobs\":5}");
  EXPECT_CONTAINS(out, "\"jobs\":[]");
  daira_free(out);
  /* The second entry carries a wrong token: refused alone (FAILED_PRECONDITION = 9), the others finish. */
  snprintf(request, sizeof request,
           "{\"outcomes\":[{\"id\":\"%s\",\"lease_token\":\"%s\",\"result\":{\"ok\":true}},"
           "{\"id\":\"%s\",\"lease_token\":\"1\"},"
           "{\"id\":\"%s\",\"lease_token\":\"%s\",\"failed\":true,\"message\":\"boom\"}]}",
           ids[0], tokens[0], ids[1], ids[2], tokens[2]);
  out = RUN(daira_bus_finish_many, p, request);
  CHECK(count_of(out, "\"ok\":true") == 2);
  EXPECT_CONTAINS(out, "\"ok\":false,\"code\":9");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", ids[0]);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"COMPLETED\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", ids[1]);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"ACTIVE\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", ids[2]);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "boom");
  daira_free(out);
  /* The stale one, now with its real token. */
  snprintf(request, sizeof request, "{\"outcomes\":[{\"id\":\"%s\",\"lease_token\":\"%s\"}]}", ids[1],
           tokens[1]);
  out = RUN(daira_bus_finish_many, p, request);
  EXPECT_CONTAINS(out, "\"ok\":true");
  daira_free(out);
  EXPECT_ERROR(daira_bus_next_batch, p, "{\"queue\":\"webhooks.deliver\",\"worker\":\"wb\",\"max_jobs\":0}",
               DAIRA_INVALID_ARGUMENT, "max_jobs");
  EXPECT_ERROR(daira_bus_finish_many, p, "{}", DAIRA_INVALID_ARGUMENT, "outcomes");
  EXPECT_ERROR(daira_bus_finish_many, p, "{\"outcomes\":[{\"id\":\"1\"}]}", DAIRA_INVALID_ARGUMENT,
               "outcomes[0].lease_token");
}

/* The fused call: two jobs claimed, then one daira_bus_finish_many_and_next_batch completing the first
 * (the second's entry carries a stale token: refused alone) and claiming the one job enqueued since,
 * with its own lease. Then a bad field of the claim part finishes nothing. */
static void test_finish_and_next_batch(daira_platform_t* p) {
  char ids[2][32], tokens[2][32], next_id[32], request[1024];
  char* out;
  daira_free(RUN(daira_bus_enqueue_many, p,
                 "{\"jobs\":[{\"queue\":\"webhooks.deliver\",\"payload\":{\"n\":1}},"
                 "{\"queue\":\"webhooks.deliver\",\"payload\":{\"n\":2}}]}"));
  out = RUN(daira_bus_next_batch, p, "{\"queue\":\"webhooks.deliver\",\"worker\":\"wf\",\"max_jobs\":2}");
  CHECK(count_of(out, "\"state\":\"ACTIVE\"") == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(nth_string(out, "id", i, ids[i], sizeof ids[i]));
    CHECK(nth_string(out, "lease_token", i, tokens[i], sizeof tokens[i]));
  }
  daira_free(out);
  daira_free(RUN(daira_bus_enqueue, p, "{\"queue\":\"webhooks.deliver\",\"payload\":{\"n\":3}}"));
  /* A bad max_jobs: INVALID_ARGUMENT, and the first job is still ACTIVE (nothing finished). */
  snprintf(request, sizeof request,
           "{\"outcomes\":[{\"id\":\"%s\",\"lease_token\":\"%s\"}],\"queue\":\"webhooks.deliver\","
           "\"worker\":\"wf\",\"max_jobs\":0}",
           ids[0], tokens[0]);
  EXPECT_ERROR(daira_bus_finish_many_and_next_batch, p, request, DAIRA_INVALID_ARGUMENT, "max_jobs");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", ids[0]);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"ACTIVE\"");
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"outcomes\":[{\"id\":\"%s\",\"lease_token\":\"%s\",\"result\":{\"ok\":1}},"
           "{\"id\":\"%s\",\"lease_token\":\"1\"}],"
           "\"queue\":\"webhooks.deliver\",\"worker\":\"wf\",\"max_jobs\":5}",
           ids[0], tokens[0], ids[1]);
  out = RUN(daira_bus_finish_many_and_next_batch, p, request);
  CHECK(count_of(out, "\"ok\":true") == 1);
  EXPECT_CONTAINS(out, "\"ok\":false,\"code\":9");
  CHECK(count_of(out, "\"state\":\"ACTIVE\"") == 1);
  EXPECT_CONTAINS(out, "\"payload\":{\"n\":3}");
  EXPECT_CONTAINS(out, "\"claim_error\":null");
  CHECK(nth_string(out, "id", 2, next_id, sizeof next_id)); /* results[0], results[1], then the job */
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", ids[0]);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"COMPLETED\"");
  daira_free(out);
  /* The second and the third with their real tokens, nothing left to claim. */
  out = RUN(daira_bus_next_batch, p, "{\"queue\":\"webhooks.deliver\",\"worker\":\"wf\",\"max_jobs\":5}");
  EXPECT_CONTAINS(out, "\"jobs\":[]");
  daira_free(out);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", next_id);
  out = RUN(daira_bus_get, p, request);
  EXPECT_CONTAINS(out, "\"state\":\"ACTIVE\"");
  EXPECT_CONTAINS(out, "\"lease_owner\":\"wf\"");
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"outcomes\":[{\"id\":\"%s\",\"lease_token\":\"%s\"}],\"queue\":\"webhooks.deliver\","
           "\"worker\":\"wf\"}",
           ids[1], tokens[1]);
  out = RUN(daira_bus_finish_many_and_next_batch, p, request);
  EXPECT_CONTAINS(out, "\"ok\":true");
  EXPECT_CONTAINS(out, "\"jobs\":[]");
  daira_free(out);
  EXPECT_ERROR(daira_bus_finish_many_and_next_batch, p, "{\"queue\":\"webhooks.deliver\",\"worker\":\"wf\"}",
               DAIRA_INVALID_ARGUMENT, "outcomes");
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  const char* options = "{\"password_cost\":\"test\",\"cache\":\"memory:\",\"realtime\":\"memory:\"}";
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  test_open_options(argv[1]);
  CHECK_CODE(daira_platform_open(argv[1], strlen(argv[1]), options, strlen(options), &p, &err), DAIRA_OK,
             err);
  if (p == NULL) {
    daira_error_free(&err);
    return 1;
  }
  test_lifecycle(p);
  test_dead_letters(p);
  test_enqueue_many_and_dedup(p);
  test_transaction(p);
  test_errors(p);
  test_repeatables(p);
  test_cancel(p);
  test_batch(p);
  test_finish_and_next_batch(p);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
  printf("c_abi_bus_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
