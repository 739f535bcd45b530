/* The C ABI's real-time calls from C99: a subscription (channel and pattern) receives what
 * daira_realtime_publish publishes, in sequence order, through daira_subscription_next and a pollable
 * daira_subscription_fd; an empty queue gives {"message":null}; daira_realtime_recover returns exactly
 * the messages after a position; resume_from replays them into a new subscription; the disconnect
 * slow-consumer policy closes a full subscription (RESOURCE_EXHAUSTED once drained); presence heartbeat,
 * get_many and disconnect; typing start (throttled) and stop, seen on a pattern subscription; a
 * subscription outliving its platform reports FAILED_PRECONDITION and still closes cleanly; request
 * errors name their field.
 *
 *   c_abi_realtime_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed; each failed check prints its line. Runs under valgrind
 * --leak-check=full too: every handle, string and error is freed. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "daira_c.h"


static daira_subscription_t* subscribe(daira_platform_t* p, const char* request, int line) {
  daira_subscription_t* sub = NULL;
  daira_error_t* err = NULL;
  daira_code got = daira_realtime_subscribe(p, request, strlen(request), &sub, &err);
  ++checks;
  if (got != DAIRA_OK || sub == NULL) {
    fprintf(stderr, "line %d: subscribe %s: %s (%s)\n", line, request, daira_code_name(got),
            daira_error_message(err));
    ++failures;
  }
  daira_error_free(&err);
  return sub;
}
#define SUBSCRIBE(p, request) subscribe(p, request, __LINE__)

/* daira_subscription_next(sub, timeout): the JSON (caller frees), expecting `want`. */
static char* next(daira_subscription_t* sub, int timeout_ms, daira_code want, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = daira_subscription_next(sub, timeout_ms, &out, &err);
  ++checks;
  if (got != want) {
    fprintf(stderr, "line %d: next: got %s (%s), want %s\n", line, daira_code_name(got),
            daira_error_message(err), daira_code_name(want));
    ++failures;
  }
  daira_error_free(&err);
  return out;
}
#define NEXT(sub, timeout) next(sub, timeout, DAIRA_OK, __LINE__)

static void close_sub(daira_subscription_t** sub) {
  daira_error_t* err = NULL;
  CHECK_CODE(daira_subscription_close(sub, &err), DAIRA_OK, err);
  CHECK(*sub == NULL);
  daira_error_free(&err);
}

static void test_publish_subscribe(daira_platform_t* p) {
  daira_subscription_t* sub = SUBSCRIBE(p, "{\"target\":\"topic:room.1\"}");
  daira_subscription_t* pattern = SUBSCRIBE(p, "{\"target\":\"topic:room.*\",\"queue_size\":16}");
  struct pollfd pfd;
  char* out;
  char epoch[32];
  char request[256];

  /* Nothing queued: {"message":null} at once; the fd does not poll readable. */
  out = NEXT(sub, 0);
  EXPECT_CONTAINS(out, "\"message\":null");
  daira_free(out);
  pfd.fd = daira_subscription_fd(sub);
  pfd.events = POLLIN;
  pfd.revents = 0;
  CHECK(pfd.fd >= 0);
  CHECK(poll(&pfd, 1, 0) == 0);

  out = RUN(daira_realtime_publish, p,
            "{\"channel\":\"topic:room.1\",\"payload\":\"{\\\"text\\\":\\\"hi\\\"}\"}");
  EXPECT_CONTAINS(out, "\"sequence\":\"1\"");
  CHECK(json_string(out, "epoch", epoch, sizeof epoch));
  daira_free(out);
  daira_free(RUN(daira_realtime_publish, p, "{\"channel\":\"topic:room.1\",\"payload\":\"second\"}"));
  daira_free(RUN(daira_realtime_publish, p, "{\"channel\":\"topic:room.2\",\"payload\":\"other room\"}"));

  /* The fd polls readable now; the messages come in sequence order. */
  CHECK(poll(&pfd, 1, 1000) == 1);
  out = NEXT(sub, 1000);
  EXPECT_CONTAINS(out, "\"channel\":\"topic:room.1\"");
  EXPECT_CONTAINS(out, "\"sequence\":\"1\"");
  EXPECT_CONTAINS(out, "\"payload\":\"{\\\"text\\\":\\\"hi\\\"}\"");
  EXPECT_CONTAINS(out, "\"dropped\":0");
  daira_free(out);
  out = NEXT(sub, 1000);
  EXPECT_CONTAINS(out, "\"payload\":\"second\"");
  EXPECT_CONTAINS(out, "\"sequence\":\"2\"");
  daira_free(out);
  out = NEXT(sub, 0);
  EXPECT_CONTAINS(out, "\"message\":null"); /* topic:room.2 is not this channel */
  daira_free(out);

  /* The pattern sees both rooms. */
  out = NEXT(pattern, 1000);
  EXPECT_CONTAINS(out, "\"payload\":\"{\\\"text\\\":\\\"hi\\\"}\"");
  daira_free(out);
  out = NEXT(pattern, 1000);
  EXPECT_CONTAINS(out, "\"payload\":\"second\"");
  daira_free(out);
  out = NEXT(pattern, 1000);
  EXPECT_CONTAINS(out, "\"channel\":\"topic:room.2\"");
  daira_free(out);

  /* Recovery: exactly what came after sequence 1. */
  snprintf(request, sizeof request,
           "{\"channel\":\"topic:room.1\",\"since\":{\"epoch\":\"%s\",\"sequence\":1}}", epoch);
  out = RUN(daira_realtime_recover, p, request);
  EXPECT_CONTAINS(out, "\"payload\":\"second\"");
  CHECK(!contains(out, "\"sequence\":\"1\""));
  daira_free(out);
  /* A new subscription resuming from sequence 1 gets message 2 first. */
  snprintf(request, sizeof request,
           "{\"target\":\"topic:room.1\",\"resume_from\":{\"epoch\":\"%s\",\"sequence\":\"1\"}}", epoch);
  {
    daira_subscription_t* resumed = SUBSCRIBE(p, request);
    out = NEXT(resumed, 1000);
    EXPECT_CONTAINS(out, "\"payload\":\"second\"");
    daira_free(out);
    close_sub(&resumed);
  }
  /* A position from another epoch cannot be recovered. */
  EXPECT_ERROR(daira_realtime_recover, p,
               "{\"channel\":\"topic:room.1\",\"since\":{\"epoch\":1,\"sequence\":1}}", DAIRA_OUT_OF_RANGE,
               NULL);
  close_sub(&sub);
  close_sub(&pattern);
}

static void test_slow_consumer(daira_platform_t* p) {
  daira_subscription_t* sub =
      SUBSCRIBE(p, "{\"target\":\"topic:slow\",\"queue_size\":1,\"slow_consumer\":\"disconnect\"}");
  char* out;
  daira_free(RUN(daira_realtime_publish, p, "{\"channel\":\"topic:slow\",\"payload\":\"a\"}"));
  daira_free(RUN(daira_realtime_publish, p, "{\"channel\":\"topic:slow\",\"payload\":\"b\"}"));
  out = NEXT(sub, 1000); /* the queued message is still readable */
  EXPECT_CONTAINS(out, "\"payload\":\"a\"");
  daira_free(out);
  daira_free(next(sub, 0, DAIRA_RESOURCE_EXHAUSTED, __LINE__));
  close_sub(&sub);
}

static void test_presence_typing(daira_platform_t* p) {
  daira_subscription_t* events = SUBSCRIBE(p, "{\"target\":\"conversation:*\"}");
  char* out;
  daira_free(RUN(daira_presence_heartbeat, p, "{\"user_id\":\"42\",\"device\":\"phone\"}"));
  daira_free(
      RUN(daira_presence_heartbeat, p, "{\"user_id\":\"43\",\"device\":\"laptop\",\"status\":\"away\"}"));
  out = RUN(daira_presence_get_many, p, "{\"user_ids\":[\"42\",43,\"44\"]}");
  EXPECT_CONTAINS(out, "{\"user_id\":\"42\",\"status\":\"online\",\"devices\":1");
  EXPECT_CONTAINS(out, "{\"user_id\":\"43\",\"status\":\"away\",\"devices\":1");
  EXPECT_CONTAINS(out, "{\"user_id\":\"44\",\"status\":\"offline\",\"devices\":0,\"last_seen\":null}");
  daira_free(out);
  daira_free(RUN(daira_presence_disconnect, p, "{\"user_id\":\"42\",\"device\":\"phone\"}"));
  out = RUN(daira_presence_get_many, p, "{\"user_ids\":[\"42\"]}");
  EXPECT_CONTAINS(out, "\"status\":\"offline\"");
  daira_free(out);

  out = RUN(daira_typing_start, p, "{\"conversation_id\":\"7\",\"user_id\":\"42\"}");
  EXPECT_CONTAINS(out, "\"published\":true");
  daira_free(out);
  out = RUN(daira_typing_start, p, "{\"conversation_id\":\"7\",\"user_id\":\"42\"}");
  EXPECT_CONTAINS(out, "\"published\":false"); /* throttled */
  daira_free(out);
  out = RUN(daira_typing_stop, p, "{\"conversation_id\":\"7\",\"user_id\":\"42\"}");
  EXPECT_CONTAINS(out, "\"published\":true");
  daira_free(out);
  out = NEXT(events, 1000);
  EXPECT_CONTAINS(out, "\"channel\":\"conversation:7\"");
  EXPECT_CONTAINS(out, "start");
  daira_free(out);
  out = NEXT(events, 1000);
  EXPECT_CONTAINS(out, "stop");
  daira_free(out);
  close_sub(&events);
}

static void test_errors(daira_platform_t* p) {
  daira_subscription_t* sub = NULL;
  daira_subscription_t* none = NULL;
  daira_error_t* err = NULL;
  char* out = NULL;
  EXPECT_ERROR(daira_realtime_publish, p, "{\"payload\":\"x\"}", DAIRA_INVALID_ARGUMENT, "channel");
  EXPECT_ERROR(daira_realtime_publish, p, "{\"channel\":\"topic:a\",\"payload\":{}}", DAIRA_INVALID_ARGUMENT,
               "payload");
  EXPECT_ERROR(daira_realtime_recover, p, "{\"channel\":\"topic:a\",\"since\":{\"epoch\":-1,\"sequence\":1}}",
               DAIRA_INVALID_ARGUMENT, "since.epoch");
  EXPECT_ERROR(daira_presence_heartbeat, p, "{\"user_id\":\"1\",\"device\":\"d\",\"status\":\"busy\"}",
               DAIRA_INVALID_ARGUMENT, "status");
  EXPECT_ERROR(daira_presence_get_many, p, "{}", DAIRA_INVALID_ARGUMENT, "user_ids");
  CHECK_CODE(daira_realtime_subscribe(p, "{\"target\":\"topic:a\",\"queue_size\":0}",
                                      strlen("{\"target\":\"topic:a\",\"queue_size\":0}"), &sub, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "queue_size");
  CHECK(sub == NULL);
  CHECK_CODE(daira_realtime_subscribe(p, "{\"target\":\"topic:a\",\"slow_consumer\":\"x\"}",
                                      strlen("{\"target\":\"topic:a\",\"slow_consumer\":\"x\"}"), &sub, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "slow_consumer");
  CHECK_CODE(daira_realtime_subscribe(p, "{}", strlen("{}"), &sub, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "target");
  CHECK_CODE(daira_realtime_subscribe(NULL, "{\"target\":\"topic:a\"}", strlen("{\"target\":\"topic:a\"}"),
                                      &sub, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(
      daira_realtime_subscribe(p, "{\"target\":\"topic:a\"}", strlen("{\"target\":\"topic:a\"}"), NULL, &err),
      DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "out");
  CHECK_CODE(daira_subscription_next(NULL, 0, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "subscription");
  CHECK(out == NULL);
  CHECK(daira_subscription_fd(NULL) == -1);
  CHECK_CODE(daira_subscription_close(&none, &err), DAIRA_OK, err);
  CHECK_CODE(daira_subscription_close(NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  sub = SUBSCRIBE(p, "{\"target\":\"topic:a\"}");
  CHECK_CODE(daira_subscription_next(sub, 60001, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "timeout_ms");
  close_sub(&sub);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_subscription_t* orphan = NULL;
  daira_error_t* err = NULL;
  const char* options = "{\"password_cost\":\"test\",\"realtime\":\"memory:\"}";
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
  test_publish_subscribe(p);
  test_slow_consumer(p);
  test_presence_typing(p);
  test_errors(p);
  /* A subscription may outlive its platform: closed (FAILED_PRECONDITION), then freed cleanly. */
  orphan = SUBSCRIBE(p, "{\"target\":\"topic:orphan\"}");
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_free(next(orphan, 0, DAIRA_FAILED_PRECONDITION, __LINE__));
  close_sub(&orphan);
  daira_error_free(&err);
  printf("c_abi_realtime_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
