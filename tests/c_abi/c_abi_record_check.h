/* The helpers the C99 record-call test programs share (c_abi_records_test.c, c_abi_social_records_test.c):
 * rcall (a record call with a field mask), create (a service call that must succeed, keeping its "id"),
 * EXPECT_CALL / EXPECT_RECORD (an error code naming a field, no output), FETCH (a record call that must
 * succeed; the caller frees the JSON). Include after c_abi_check.h; static, one copy per program. */
#ifndef DAIRA_TESTS_C_ABI_RECORD_CHECK_H_
#define DAIRA_TESTS_C_ABI_RECORD_CHECK_H_

#include <stdio.h>
#include <string.h>

#include "c_abi_check.h"
#include "daira_c.h"

/* A record call with a field mask (NULL: every field). */
static daira_code rcall(daira_record_fn fn, daira_platform_t* p, const char* request, const char* fields,
                        char** out, daira_error_t** err) {
  return fn(p, request, strlen(request), fields, out, err);
}

/* Runs a call that must succeed and copies the "id" of its record into `id`. */
static void create(daira_call_fn fn, daira_platform_t* p, const char* request, char* id, size_t cap) {
  char* out = NULL;
  daira_error_t* err = NULL;
  CHECK_CODE(call(fn, p, request, &out, &err), DAIRA_OK, err);
  if (!json_string(out, "id", id, cap)) {
    fprintf(stderr, "create: no id in %s (request %s)\n", out == NULL ? "(null)" : out, request);
    ++failures;
    id[0] = '\0';
  }
  daira_free(out);
  daira_error_free(&err);
}

/* Expects `code` naming `field` from a service call. */
static void expect_call(daira_call_fn fn, daira_platform_t* p, const char* request, daira_code code,
                        const char* field, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = call(fn, p, request, &out, &err);
  ++checks;
  if (got != code || strcmp(daira_error_field(err), field) != 0 || out != NULL) {
    fprintf(stderr, "line %d: %s got %s field \"%s\" (%s), want %s field \"%s\"\n", line, request,
            daira_code_name(got), daira_error_field(err), daira_error_message(err), daira_code_name(code), field);
    ++failures;
  }
  daira_free(out);
  daira_error_free(&err);
}
#define EXPECT_CALL(fn, p, request, code, field) expect_call(fn, p, request, code, field, __LINE__)

/* Expects `code` naming `field` from a record call. */
static void expect_record(daira_record_fn fn, daira_platform_t* p, const char* request, const char* fields,
                          daira_code code, const char* field, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = rcall(fn, p, request, fields, &out, &err);
  ++checks;
  if (got != code || strcmp(daira_error_field(err), field) != 0 || out != NULL) {
    fprintf(stderr, "line %d: %s got %s field \"%s\" (%s), want %s field \"%s\"\n", line, request,
            daira_code_name(got), daira_error_field(err), daira_error_message(err), daira_code_name(code), field);
    ++failures;
  }
  daira_free(out);
  daira_error_free(&err);
}
#define EXPECT_RECORD(fn, p, request, fields, code, field) expect_record(fn, p, request, fields, code, field, __LINE__)

/* A record call that must succeed; returns its JSON (the caller frees it). */
static char* fetch(daira_record_fn fn, daira_platform_t* p, const char* request, const char* fields, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = rcall(fn, p, request, fields, &out, &err);
  ++checks;
  if (got != DAIRA_OK) {
    fprintf(stderr, "line %d: %s got %s: %s\n", line, request, daira_code_name(got), daira_error_message(err));
    ++failures;
  }
  daira_error_free(&err);
  return out;
}
#define FETCH(fn, p, request, fields) fetch(fn, p, request, fields, __LINE__)

#endif /* DAIRA_TESTS_C_ABI_RECORD_CHECK_H_ */
