/* The check macros and JSON peeking helpers the C99 test programs share (c_abi_test.c,
 * c_abi_records_test.c, the bus/realtime/cache_blobs tests). Include once per program: the counters are the
 * program's own.
 *
 *   CHECK_CODE(call(daira_users_get, p, "{\"id\":\"9\"}", &out, &err), DAIRA_NOT_FOUND, err);
 *   CHECK_FIELD(err, "id");
 *   printf("%d checks, %d failed\n", checks, failures);
 *
 * Single-threaded use only (the counters are plain ints). */
#ifndef DAIRA_TESTS_C_ABI_CHECK_H_
#define DAIRA_TESTS_C_ABI_CHECK_H_

#include <stdio.h>
#include <string.h>

#include "daira_c.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    ++checks;                                                              \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

/* Checks that `got` == `want`, printing the error when not. */
#define CHECK_CODE(got, want, err)                                                                  \
  do {                                                                                              \
    daira_code got_ = (got);                                                                        \
    ++checks;                                                                                       \
    if (got_ != (want)) {                                                                           \
      fprintf(stderr, "%s:%d: got %s, want %s: %s\n", __FILE__, __LINE__, daira_code_name(got_),    \
              daira_code_name(want), daira_error_message(err));                                     \
      ++failures;                                                                                   \
    }                                                                                               \
  } while (0)

#define CHECK_FIELD(err, want)                                                                        \
  do {                                                                                                \
    ++checks;                                                                                         \
    if (strcmp(daira_error_field(err), (want)) != 0) {                                                \
      fprintf(stderr, "%s:%d: field \"%s\", want \"%s\" (%s)\n", __FILE__, __LINE__, daira_error_field(err), \
              (want), daira_error_message(err));                                                      \
      ++failures;                                                                                     \
    }                                                                                                 \
  } while (0)

static inline daira_code call(daira_call_fn fn, daira_platform_t* p, const char* request, char** out,
                              daira_error_t** err) {
  return fn(p, request, strlen(request), out, err);
}

/* Copies the string value of the first "key":"…" in `json` into `buf` (no escapes expected). */
static inline int json_string(const char* json, const char* key, char* buf, size_t cap) {
  char pattern[64];
  const char* at;
  const char* end;
  size_t n;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  at = json == NULL ? NULL : strstr(json, pattern);
  if (at == NULL) return 0;
  at += strlen(pattern);
  end = strchr(at, '"');
  if (end == NULL) return 0;
  n = (size_t)(end - at);
  if (n + 1 > cap) return 0;
  memcpy(buf, at, n);
  buf[n] = '\0';
  return 1;
}

static inline int contains(const char* s, const char* part) { return s != NULL && strstr(s, part) != NULL; }


/* Runs `fn(p, request)` expecting `want` (and, when `field` is not NULL, an error naming it); returns
 * the output (the caller frees it) or NULL. RUN expects OK; EXPECT_ERROR frees the output. */
static inline char* run_call(daira_call_fn fn, daira_platform_t* p, const char* request, daira_code want,
                             const char* field, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = call(fn, p, request, &out, &err);
  ++checks;
  if (got != want) {
    fprintf(stderr, "line %d: %s: got %s (%s), want %s\n", line, request, daira_code_name(got),
            daira_error_message(err), daira_code_name(want));
    ++failures;
  } else if (field != NULL && strcmp(daira_error_field(err), field) != 0) {
    fprintf(stderr, "line %d: %s: field \"%s\", want \"%s\" (%s)\n", line, request, daira_error_field(err),
            field, daira_error_message(err));
    ++failures;
  }
  daira_error_free(&err);
  return out;
}
#define RUN(fn, p, request) run_call(fn, p, request, DAIRA_OK, NULL, __LINE__)
#define EXPECT_ERROR(fn, p, request, want, field) daira_free(run_call(fn, p, request, want, field, __LINE__))

/* Expects `json` to contain `part`. */
static inline void expect_contains(const char* json, const char* part, int line) {
  ++checks;
  if (!contains(json, part)) {
    fprintf(stderr, "line %d: %s does not contain %s\n", line, json == NULL ? "(null)" : json, part);
    ++failures;
  }
}
#define EXPECT_CONTAINS(json, part) expect_contains(json, part, __LINE__)

#endif /* DAIRA_TESTS_C_ABI_CHECK_H_ */
