/* The C ABI from C99: the story (open, register, log in, follow, post, feeds, close), every status code
 * a caller can provoke mapped to its daira_code with the field named, NULL and malformed inputs,
 * calls after shutdown and close, shutdown while other threads are calling, and the error object's
 * reuse rules.
 *
 *   c_abi_test <database url>      (tests/c_abi/c_abi_runner makes an isolated database and passes it)
 *
 * Exit 0 when every check passed; each failed check prints its line. Run under ASan (the sanitize
 * build) and valgrind --leak-check=full: every string and error is freed, so both must be clean. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "daira_c.h"

/* Registers a user and returns its id in `id`. */
static void register_user(daira_platform_t* p, const char* username, char* id, size_t cap) {
  char request[256];
  char* out = NULL;
  daira_error_t* err = NULL;
  snprintf(request, sizeof request,
           "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"correct horse battery\"}", username,
           username);
  CHECK_CODE(call(daira_accounts_register, p, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "id", id, cap));
  CHECK(contains(out, "\"status\":\"ACTIVE\""));
  CHECK(!contains(out, "password"));
  daira_free(out);
  daira_error_free(&err);
}

static void test_library(void) {
  CHECK(strlen(daira_version()) > 0);
  CHECK(strcmp(daira_code_name(DAIRA_OK), "OK") == 0);
  CHECK(strcmp(daira_code_name(DAIRA_INVALID_ARGUMENT), "INVALID_ARGUMENT") == 0);
  CHECK(strcmp(daira_code_name(DAIRA_UNAUTHENTICATED), "UNAUTHENTICATED") == 0);
  CHECK(strcmp(daira_code_name((daira_code)99), "UNKNOWN") == 0);
  /* absl::StatusCode values. */
  CHECK(DAIRA_INVALID_ARGUMENT == 3 && DAIRA_NOT_FOUND == 5 && DAIRA_ALREADY_EXISTS == 6);
  CHECK(DAIRA_PERMISSION_DENIED == 7 && DAIRA_FAILED_PRECONDITION == 9 && DAIRA_ABORTED == 10);
  CHECK(DAIRA_INTERNAL == 13 && DAIRA_UNAVAILABLE == 14 && DAIRA_UNAUTHENTICATED == 16);
  /* NULL error objects are harmless to read and free. */
  CHECK(daira_error_code(NULL) == DAIRA_OK);
  CHECK(strcmp(daira_error_message(NULL), "") == 0);
  CHECK(strcmp(daira_error_field(NULL), "") == 0);
  CHECK(strcmp(daira_error_violations(NULL), "[]") == 0);
  daira_error_free(NULL);
  daira_free(NULL);
}

static void test_open_errors(const char* url) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  const char* bad_cost = "{\"password_cost\":\"cheap\"}";
  const char* bad_json = "{\"migrate\":";
  const char* unknown = "{\"migrat\":true}";
  const char* unreachable = "postgres://daira@127.0.0.1:1/daira";

  CHECK_CODE(daira_platform_open(url, strlen(url), NULL, 0, NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "out");
  CHECK_CODE(daira_platform_open(NULL, 3, NULL, 0, &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "url");
  CHECK(p == NULL);
  CHECK_CODE(daira_platform_open(url, strlen(url), bad_cost, strlen(bad_cost), &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "password_cost");
  CHECK_CODE(daira_platform_open(url, strlen(url), bad_json, strlen(bad_json), &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "options_json");
  CHECK_CODE(daira_platform_open(url, strlen(url), unknown, strlen(unknown), &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "migrat");
  CHECK_CODE(daira_platform_open(url, strlen(url), NULL, 7, &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "options_json");
  CHECK_CODE(daira_platform_open("nosuch://x", 10, NULL, 0, &p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK(p == NULL);
  /* Nothing listens on port 1: the database cannot be reached. */
  CHECK_CODE(daira_platform_open(unreachable, strlen(unreachable), NULL, 0, &p, &err), DAIRA_UNAVAILABLE, err);
  CHECK(p == NULL);
  /* Without an error object the code still comes back. */
  CHECK_CODE(daira_platform_open(url, strlen(url), bad_cost, strlen(bad_cost), &p, NULL), DAIRA_INVALID_ARGUMENT, err);
  daira_error_free(&err);
  CHECK(err == NULL);
}

/* Instances on one database: node_id / cursor_key open options; a cursor from one platform handle is
 * accepted by another (the keys live in the database). */
static void test_instances(const char* url) {
  const char* node11 = "{\"password_cost\":\"test\",\"node_id\":11}";
  const char* bad_node = "{\"password_cost\":\"test\",\"node_id\":5000}";
  const char* bad_key = "{\"password_cost\":\"test\",\"cursor_key\":\"TopSecret\"}";
  const char* plain = "{\"password_cost\":\"test\"}";
  daira_platform_t* a = NULL;
  daira_platform_t* b = NULL;
  daira_error_t* err = NULL;
  char* out = NULL;
  char author[32], cursor[512], request[768];
  int i;

  CHECK_CODE(daira_platform_open(url, strlen(url), bad_node, strlen(bad_node), &b, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "node_id");
  CHECK_CODE(daira_platform_open(url, strlen(url), bad_key, strlen(bad_key), &b, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "cursor_key");
  CHECK(!contains(daira_error_message(err), "TopSecret"));
  CHECK_CODE(daira_platform_open(url, strlen(url), node11, strlen(node11), &a, &err), DAIRA_OK, err);
  CHECK_CODE(daira_platform_open(url, strlen(url), node11, strlen(node11), &b, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK(contains(daira_error_message(err), "node_id 11 is in use"));
  CHECK(b == NULL);
  if (a == NULL) return;
  register_user(a, "pager", author, sizeof author);
  for (i = 0; i < 3; ++i) {
    snprintf(request, sizeof request, "{\"author_id\":%s,\"content\":\"post %d\"}", author, i);
    CHECK_CODE(call(daira_content_create_post, a, request, &out, &err), DAIRA_OK, err);
    daira_free(out);
    out = NULL;
  }
  snprintf(request, sizeof request, "{\"viewer_id\":%s,\"author_id\":%s,\"limit\":1}", author, author);
  CHECK_CODE(call(daira_feed_timeline, a, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "next_cursor", cursor, sizeof cursor));
  daira_free(out);
  out = NULL;
  CHECK_CODE(daira_platform_open(url, strlen(url), plain, strlen(plain), &b, &err), DAIRA_OK, err);
  if (b != NULL) {
    snprintf(request, sizeof request, "{\"viewer_id\":%s,\"author_id\":%s,\"limit\":1,\"cursor\":\"%s\"}", author,
             author, cursor);
    CHECK_CODE(call(daira_feed_timeline, b, request, &out, &err), DAIRA_OK, err);
    CHECK(contains(out, "post 1"));
    daira_free(out);
    CHECK_CODE(daira_platform_close(&b, &err), DAIRA_OK, err);
  }
  CHECK_CODE(daira_platform_close(&a, &err), DAIRA_OK, err);
  /* Closing released node id 11. */
  CHECK_CODE(daira_platform_open(url, strlen(url), node11, strlen(node11), &a, &err), DAIRA_OK, err);
  CHECK_CODE(daira_platform_close(&a, &err), DAIRA_OK, err);
  daira_error_free(&err);
}

static void test_story_and_codes(daira_platform_t* p) {
  char alice[32], bob[32], carol[32], post[32], comment[32], token[512], refresh[512];
  char request[1024];
  char* out = NULL;
  daira_error_t* err = NULL;

  register_user(p, "alice", alice, sizeof alice);
  register_user(p, "bob", bob, sizeof bob);
  register_user(p, "carol", carol, sizeof carol);

  /* AlreadyExists naming the field; InvalidArgument listing every violation. */
  CHECK_CODE(call(daira_accounts_register, p, "{\"username\":\"alice\",\"email\":\"other@example.com\",\"password\":\"long enough\"}",
                  &out, &err),
             DAIRA_ALREADY_EXISTS, err);
  CHECK_FIELD(err, "username");
  CHECK(out == NULL);
  CHECK_CODE(call(daira_accounts_register, p, "{\"username\":\"x\",\"email\":\"nope\",\"password\":\"short\"}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK(contains(daira_error_violations(err), "\"field\":\"password\""));
  CHECK(contains(daira_error_violations(err), "\"field\":\"username\""));
  CHECK(contains(daira_error_violations(err), "\"field\":\"email\""));
  CHECK(strlen(daira_error_field(err)) > 0);

  /* Login: Unauthenticated for a wrong password; then a session. */
  CHECK_CODE(call(daira_accounts_login, p, "{\"identifier\":\"alice\",\"password\":\"wrong password\"}", &out, &err),
             DAIRA_UNAUTHENTICATED, err);
  CHECK(contains(daira_error_message(err), "invalid credentials"));
  CHECK_CODE(call(daira_accounts_login, p, "{\"identifier\":\"alice@example.com\",\"password\":\"correct horse battery\",\"device_type\":\"c\"}",
                  &out, &err),
             DAIRA_OK, err);
  CHECK(err == NULL); /* a successful call frees the earlier error and clears the pointer */
  CHECK(json_string(out, "access_token", token, sizeof token));
  CHECK(json_string(out, "refresh_token", refresh, sizeof refresh));
  daira_free(out);
  snprintf(request, sizeof request, "{\"access_token\":\"%s\"}", token);
  CHECK_CODE(call(daira_accounts_check_token, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"username\":\"alice\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"refresh_token\":\"%s\"}", refresh);
  CHECK_CODE(call(daira_accounts_refresh, p, request, &out, &err), DAIRA_OK, err);
  {
    char next[128] = "";
    char next_request[256];
    CHECK(json_string(out, "refresh_token", next, sizeof next));
    daira_free(out);
    /* The rotated token presented again within the grace window (a retried refresh whose answer was
     * lost) returns the same successor... */
    CHECK_CODE(call(daira_accounts_refresh, p, request, &out, &err), DAIRA_OK, err);
    CHECK(contains(out, next));
    daira_free(out);
    /* ...until the successor itself is rotated: then it is reuse. */
    snprintf(next_request, sizeof next_request, "{\"refresh_token\":\"%s\"}", next);
    CHECK_CODE(call(daira_accounts_refresh, p, next_request, &out, &err), DAIRA_OK, err);
    daira_free(out);
  }
  CHECK_CODE(call(daira_accounts_refresh, p, request, &out, &err), DAIRA_UNAUTHENTICATED, err);
  CHECK_CODE(call(daira_accounts_check_token, p, "{\"access_token\":\"garbage.token\"}", &out, &err),
             DAIRA_UNAUTHENTICATED, err);

  /* Users: NotFound; lookups. */
  CHECK_CODE(call(daira_users_get, p, "{\"id\":\"999\"}", &out, &err), DAIRA_NOT_FOUND, err);
  snprintf(request, sizeof request, "{\"id\":%s}", alice); /* ids may come as numbers too */
  CHECK_CODE(call(daira_users_get, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"username\":\"alice\""));
  daira_free(out);
  CHECK_CODE(call(daira_users_find_by_username, p, "{\"username\":\"Bob\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, bob));
  daira_free(out);
  snprintf(request, sizeof request, "{\"ids\":[\"%s\",\"%s\",\"12345\"]}", bob, alice);
  CHECK_CODE(call(daira_users_get_many, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"missing\":[\"12345\"]"));
  CHECK(strstr(out, bob) < strstr(out, alice)); /* caller's order */
  daira_free(out);
  CHECK_CODE(call(daira_users_count, p, "{\"status\":\"ACTIVE\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":3"));
  daira_free(out);

  /* Social: follow; AlreadyExists; self-follow InvalidArgument; FailedPrecondition when blocked. */
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", bob, alice);
  CHECK_CODE(call(daira_social_follow, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"status\":\"ACTIVE\""));
  daira_free(out);
  CHECK_CODE(call(daira_social_follow, p, request, &out, &err), DAIRA_ALREADY_EXISTS, err);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", bob, bob);
  CHECK_CODE(call(daira_social_follow, p, request, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "followee_id");
  snprintf(request, sizeof request, "{\"blocker_id\":\"%s\",\"blocked_id\":\"%s\",\"reason\":\"spam\"}", carol, alice);
  CHECK_CODE(call(daira_social_block, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"reason\":\"spam\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", alice, carol);
  CHECK_CODE(call(daira_social_follow, p, request, &out, &err), DAIRA_FAILED_PRECONDITION, err);
  snprintf(request, sizeof request, "{\"a\":\"%s\",\"b\":\"%s\"}", alice, carol);
  CHECK_CODE(call(daira_social_is_blocked, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"blocked\":true"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"limit\":10}", alice);
  CHECK_CODE(call(daira_social_followers, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"username\":\"bob\""));
  CHECK(contains(out, "\"has_more\":false"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"limit\":0}", alice);
  CHECK_CODE(call(daira_social_followers, p, request, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "limit");

  /* Content: a post, PermissionDenied for another editor, a comment, a reaction. */
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"hello from C #daira @bob\"}", alice);
  CHECK_CODE(call(daira_content_create_post, p, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "id", post, sizeof post));
  CHECK(contains(out, "\"hashtags\":[\"daira\"]"));
  CHECK(contains(out, bob)); /* the mention */
  daira_free(out);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\",\"editor_id\":\"%s\",\"content\":\"mine now\"}", post, bob);
  CHECK_CODE(call(daira_content_edit_post, p, request, &out, &err), DAIRA_PERMISSION_DENIED, err);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"post_id\":\"%s\",\"content\":\"nice\"}", bob, post);
  CHECK_CODE(call(daira_content_create_comment, p, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "id", comment, sizeof comment));
  daira_free(out);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  CHECK_CODE(call(daira_content_list_comments, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"content\":\"nice\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"target_type\":\"POST\",\"target_id\":\"%s\",\"reaction\":\"LOVE\"}",
           bob, post);
  CHECK_CODE(call(daira_content_react, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"created\":true"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"target_type\":\"POST\",\"target_id\":\"%s\"}", post);
  CHECK_CODE(call(daira_content_reactions_summary, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"LOVE\":1"));
  daira_free(out);
  CHECK_CODE(call(daira_content_get_post, p, "{\"post_id\":\"1\"}", &out, &err), DAIRA_NOT_FOUND, err);

  /* Feeds: bob's home shows alice's post with its author. */
  snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"limit\":20}", bob);
  CHECK_CODE(call(daira_feed_home, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, post));
  CHECK(contains(out, "\"author\":{"));
  CHECK(contains(out, "\"username\":\"alice\""));
  CHECK(contains(out, "\"likes_count\":1"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"tag\":\"#daira\"}", bob);
  CHECK_CODE(call(daira_feed_hashtag, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, post));
  daira_free(out);
  snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"author_id\":\"%s\"}", bob, alice);
  CHECK_CODE(call(daira_feed_timeline, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, post));
  daira_free(out);
  snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"cursor\":\"not a cursor\"}", bob);
  CHECK_CODE(call(daira_feed_home, p, request, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "cursor");

  /* Profiles, search, trending. */
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  CHECK_CODE(call(daira_profiles_stats, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"followers\":1"));
  CHECK(contains(out, "\"posts\":1"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"bio\":\"Zo\xc3\xab \\\"quoted\\\"\"}", alice);
  CHECK_CODE(call(daira_profiles_update, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"bio\":\"Zo\xc3\xab \\\"quoted\\\"\""));
  daira_free(out);
  CHECK_CODE(call(daira_search_users, p, "{\"query\":\"ali\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"username\":\"alice\""));
  daira_free(out);
  CHECK_CODE(call(daira_search_users, p, "{\"query\":\"\"}", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "query");
  CHECK_CODE(call(daira_search_hashtags, p, "{\"query\":\"#dai\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"tag\":\"daira\""));
  daira_free(out);
  CHECK_CODE(call(daira_search_posts, p, "{\"query\":\"#daira\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"hashtags\":[\"daira\"]"));
  daira_free(out);
  CHECK_CODE(call(daira_search_posts, p, "{\"query\":\"\",\"viewer_id\":\"x\"}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_CODE(call(daira_search_hashtags, p, "{\"query\":\"dai\",\"limit\":0}", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "limit");
  CHECK_CODE(call(daira_trending_hashtags, p, "{\"limit\":5}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"tag\":\"daira\""));
  daira_free(out);
  CHECK_CODE(call(daira_trending_videos, p, "{}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"items\":[]"));
  daira_free(out);

  /* A result nobody wants: out_json may be NULL. */
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", bob, alice);
  CHECK_CODE(call(daira_social_unfollow, p, request, NULL, &err), DAIRA_OK, err);
  CHECK_CODE(call(daira_social_unfollow, p, request, NULL, &err), DAIRA_NOT_FOUND, err);
  daira_error_free(&err);
}

/* The typed single-id calls (daira_<call>_by_id, daira_<call>_by_id_into) against their JSON calls:
 * the same record byte for byte, its length, NOT_FOUND, a buffer too small (the size needed, nothing
 * written, then success with a buffer that large), the size query, NULL arguments naming their
 * parameter, and a call on a transaction handle. */
struct id_call {
  const char* name;
  daira_call_fn json;
  const char* field;
  daira_id_call_fn by_id;
  daira_id_into_fn into;
  char id[32];
};

static void check_id_call(daira_platform_t* p, const struct id_call* c) {
  char request[128];
  char* want = NULL;
  char* out = NULL;
  size_t len = 99;
  char buf[4096];
  size_t want_len;
  size_t i;
  int untouched = 1;
  daira_error_t* err = NULL;
  const int64_t id = (int64_t)strtoll(c->id, NULL, 10);

  snprintf(request, sizeof request, "{\"%s\":\"%s\"}", c->field, c->id);
  CHECK_CODE(call(c->json, p, request, &want, &err), DAIRA_OK, err);
  if (want == NULL) {
    fprintf(stderr, "%s: the JSON call failed\n", c->name);
    daira_error_free(&err);
    return;
  }
  want_len = strlen(want);
  CHECK(contains(want, c->id));

  /* _by_id: the same record, with its length. */
  CHECK_CODE(c->by_id(p, id, &out, &len, &err), DAIRA_OK, err);
  CHECK(err == NULL);
  CHECK(out != NULL && strcmp(out, want) == 0);
  CHECK(len == want_len);
  daira_free(out);
  CHECK_CODE(c->by_id(p, id, NULL, &len, &err), DAIRA_OK, err); /* the record not wanted: only its length */
  CHECK(len == want_len);
  CHECK_CODE(c->by_id(p, id, &out, NULL, &err), DAIRA_OK, err); /* the length not wanted */
  CHECK(out != NULL && strcmp(out, want) == 0);
  daira_free(out);

  /* _by_id_into: the same bytes, no NUL added. */
  memset(buf, '#', sizeof buf);
  CHECK_CODE(c->into(p, id, buf, sizeof buf, &len, &err), DAIRA_OK, err);
  CHECK(len == want_len && memcmp(buf, want, want_len) == 0);
  CHECK(len < sizeof buf && buf[len] == '#');
  /* Exactly the size needed fits. */
  memset(buf, '#', sizeof buf);
  CHECK_CODE(c->into(p, id, buf, want_len, &len, &err), DAIRA_OK, err);
  CHECK(len == want_len && memcmp(buf, want, want_len) == 0 && buf[want_len] == '#');
  /* One byte short: RESOURCE_EXHAUSTED naming buf, the size needed in len, nothing written. */
  memset(buf, '#', sizeof buf);
  len = 0;
  CHECK_CODE(c->into(p, id, buf, want_len - 1, &len, &err), DAIRA_RESOURCE_EXHAUSTED, err);
  CHECK_FIELD(err, "buf");
  CHECK(contains(daira_error_message(err), "too small"));
  CHECK(len == want_len);
  for (i = 0; i < sizeof buf; ++i) untouched &= buf[i] == '#';
  CHECK(untouched);
  /* The size query: NULL with cap 0. */
  len = 0;
  CHECK_CODE(c->into(p, id, NULL, 0, &len, &err), DAIRA_RESOURCE_EXHAUSTED, err);
  CHECK(len == want_len);

  /* Not found: the JSON call's code; nothing out. */
  snprintf(request, sizeof request, "{\"%s\":\"999\"}", c->field);
  CHECK_CODE(call(c->json, p, request, &out, &err), DAIRA_NOT_FOUND, err);
  out = (char*)"untouched";
  len = 7;
  CHECK_CODE(c->by_id(p, 999, &out, &len, &err), DAIRA_NOT_FOUND, err);
  CHECK(out == NULL && len == 0);
  len = 7;
  CHECK_CODE(c->into(p, 999, buf, sizeof buf, &len, &err), DAIRA_NOT_FOUND, err);
  CHECK(len == 0);

  /* NULL arguments name their parameter. */
  CHECK_CODE(c->by_id(NULL, id, &out, &len, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK(out == NULL);
  CHECK_CODE(c->into(NULL, id, buf, sizeof buf, &len, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(c->into(p, id, buf, sizeof buf, NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "len");
  len = 7;
  CHECK_CODE(c->into(p, id, NULL, 16, &len, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "buf");
  CHECK(len == 0);
  CHECK_CODE(c->into(p, id, buf, sizeof buf, &len, NULL), DAIRA_OK, NULL); /* err may be NULL */

  daira_free(want);
  daira_error_free(&err);
}

static void test_id_calls(daira_platform_t* p) {
  struct id_call calls[] = {
      {"users.get", daira_users_get, "id", daira_users_get_by_id, daira_users_get_by_id_into, ""},
      {"profiles.get", daira_profiles_get, "user_id", daira_profiles_get_by_id, daira_profiles_get_by_id_into,
       ""},
      {"profiles.stats", daira_profiles_stats, "user_id", daira_profiles_stats_by_id,
       daira_profiles_stats_by_id_into, ""},
      {"content.get_post", daira_content_get_post, "post_id", daira_content_get_post_by_id,
       daira_content_get_post_by_id_into, ""},
      {"content.get_comment", daira_content_get_comment, "comment_id", daira_content_get_comment_by_id,
       daira_content_get_comment_by_id_into, ""},
      {"content.get_video", daira_content_get_video, "video_id", daira_content_get_video_by_id,
       daira_content_get_video_by_id_into, ""},
  };
  char user[32], request[256];
  char* out = NULL;
  char buf[2048];
  size_t len = 0;
  size_t i;
  daira_platform_t* tx = NULL;
  daira_error_t* err = NULL;

  register_user(p, "dana", user, sizeof user);
  snprintf(calls[0].id, sizeof calls[0].id, "%s", user);
  snprintf(calls[1].id, sizeof calls[1].id, "%s", user);
  snprintf(calls[2].id, sizeof calls[2].id, "%s", user);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"typed \\\"ids\\\" #daira\"}", user);
  CHECK_CODE(call(daira_content_create_post, p, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "id", calls[3].id, sizeof calls[3].id));
  daira_free(out);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"post_id\":\"%s\",\"content\":\"a comment\"}",
           user, calls[3].id);
  CHECK_CODE(call(daira_content_create_comment, p, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "id", calls[4].id, sizeof calls[4].id));
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"author_id\":\"%s\",\"title\":\"t\",\"duration_ms\":1000,\"resolution\":\"720p\"}", user);
  CHECK_CODE(call(daira_content_create_video, p, request, &out, &err), DAIRA_OK, err);
  CHECK(json_string(out, "id", calls[5].id, sizeof calls[5].id));
  daira_free(out);

  for (i = 0; i < sizeof calls / sizeof calls[0]; ++i) check_id_call(p, &calls[i]);

  /* On a transaction handle the call runs inside the transaction: it sees the transaction's writes. */
  CHECK_CODE(daira_transaction_begin(p, NULL, 0, &tx, &err), DAIRA_OK, err);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"bio\":\"in a transaction\"}", user);
  CHECK_CODE(call(daira_profiles_update, tx, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  CHECK_CODE(
      daira_profiles_get_by_id_into(tx, (int64_t)strtoll(user, NULL, 10), buf, sizeof buf - 1, &len, &err),
      DAIRA_OK, err);
  buf[len] = '\0';
  CHECK(contains(buf, "\"bio\":\"in a transaction\""));
  CHECK_CODE(daira_transaction_rollback(&tx, &err), DAIRA_OK, err);
  CHECK_CODE(
      daira_profiles_get_by_id_into(p, (int64_t)strtoll(user, NULL, 10), buf, sizeof buf - 1, &len, &err),
      DAIRA_OK, err);
  buf[len] = '\0';
  CHECK(!contains(buf, "in a transaction"));
  daira_error_free(&err);
}

static void test_bad_inputs(daira_platform_t* p) {
  char* out = (char*)"untouched";
  daira_error_t* err = NULL;
  static const char invalid_utf8[] = "{\"username\":\"\xff\xfe\"}";

  CHECK_CODE(daira_users_get(NULL, "{}", 2, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK(out == NULL); /* set to NULL on failure */
  CHECK_CODE(daira_users_get(p, NULL, 5, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  /* NULL with length 0 is an empty request: the service then names what is missing. */
  CHECK_CODE(daira_social_follow(p, NULL, 0, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "follower_id");
  CHECK_CODE(call(daira_users_get, p, "{\"id\":", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK(contains(daira_error_message(err), "not valid JSON"));
  CHECK_CODE(call(daira_users_get, p, "[1,2]", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK_CODE(call(daira_users_get, p, "{\"id\":true}", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "id");
  CHECK_CODE(call(daira_users_get, p, "{\"id\":\"12x\"}", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "id");
  CHECK_CODE(call(daira_users_get, p, "{\"id\":1,\"idd\":2}", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "idd");
  CHECK_CODE(call(daira_users_get_many, p, "{\"ids\":[1,\"a\"]}", &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "ids[1]");
  CHECK_CODE(call(daira_content_create_post, p, "{\"author_id\":1,\"content\":\"x\",\"media_urls\":[3]}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "media_urls[0]");
  CHECK_CODE(call(daira_users_find_by_username, p, invalid_utf8, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  /* Embedded NUL bytes: the length, not a terminator, delimits the input. */
  CHECK_CODE(daira_users_get(p, "{\"id\":\"1\"}\0garbage", 18, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_CODE(call(daira_content_unreact, p, "{\"user_id\":1,\"target_type\":\"BLOG\",\"target_id\":1}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "target_type");
  CHECK_CODE(call(daira_social_mute, p, "{\"muter_id\":1,\"muted_id\":2,\"mute_type\":\"LOUD\"}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "mute_type");
  daira_error_free(&err);
}

static void test_after_close(daira_platform_t** pp) {
  char* out = NULL;
  daira_error_t* err = NULL;
  CHECK_CODE(daira_platform_ping(*pp, &err), DAIRA_OK, err);
  CHECK_CODE(daira_platform_shutdown(*pp, &err), DAIRA_OK, err);
  CHECK_CODE(daira_platform_shutdown(*pp, &err), DAIRA_OK, err); /* idempotent */
  CHECK_CODE(call(daira_users_find_by_username, *pp, "{\"username\":\"alice\"}", &out, &err),
             DAIRA_FAILED_PRECONDITION, err);
  CHECK(contains(daira_error_message(err), "platform is closed"));
  CHECK(out == NULL);
  CHECK_CODE(daira_platform_ping(*pp, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK_CODE(daira_platform_close(pp, &err), DAIRA_OK, err);
  CHECK(*pp == NULL);
  CHECK_CODE(daira_platform_close(pp, &err), DAIRA_OK, err); /* closing a NULL handle is a no-op */
  CHECK_CODE(daira_platform_close(NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(call(daira_users_find_by_username, *pp, "{\"username\":\"alice\"}", &out, &err),
             DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(daira_platform_ping(NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  daira_error_free(&err);
}

/* Shutdown while threads are calling: every call returns OK or FAILED_PRECONDITION, never anything else,
 * and every thread sees the platform closed in the end. No sleeps: the main thread shuts down once each
 * worker has completed a call (a condition variable), and the workers call until they see it closed. */
#define kWorkers 4

static pthread_mutex_t workers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t workers_cv = PTHREAD_COND_INITIALIZER;
static int workers_started = 0;

struct worker {
  daira_platform_t* platform;
  int ok_calls;
  int unexpected;  /* codes other than OK / FAILED_PRECONDITION */
  int saw_closed;
};

static void* worker_main(void* arg) {
  struct worker* w = (struct worker*)arg;
  daira_error_t* err = NULL;
  int announced = 0;
  while (!w->saw_closed && w->unexpected == 0) {
    char* out = NULL;
    daira_code code = call(daira_users_find_by_username, w->platform, "{\"username\":\"alice\"}", &out, &err);
    if (code == DAIRA_OK) {
      ++w->ok_calls;
      daira_free(out);
    } else if (code == DAIRA_FAILED_PRECONDITION && contains(daira_error_message(err), "platform is closed")) {
      w->saw_closed = 1;
    } else {
      fprintf(stderr, "worker: unexpected %s: %s\n", daira_code_name(code), daira_error_message(err));
      ++w->unexpected;
    }
    if (!announced) {
      announced = 1;
      pthread_mutex_lock(&workers_mu);
      ++workers_started;
      pthread_cond_broadcast(&workers_cv);
      pthread_mutex_unlock(&workers_mu);
    }
  }
  daira_error_free(&err);
  return NULL;
}

static void test_shutdown_during_calls(const char* url, const char* options) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  pthread_t threads[kWorkers];
  struct worker workers[kWorkers];
  int i;
  CHECK_CODE(daira_platform_open(url, strlen(url), options, strlen(options), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  workers_started = 0;
  for (i = 0; i < kWorkers; ++i) {
    workers[i].platform = p;
    workers[i].ok_calls = 0;
    workers[i].unexpected = 0;
    workers[i].saw_closed = 0;
    CHECK(pthread_create(&threads[i], NULL, worker_main, &workers[i]) == 0);
  }
  pthread_mutex_lock(&workers_mu);
  while (workers_started < kWorkers) pthread_cond_wait(&workers_cv, &workers_mu);
  pthread_mutex_unlock(&workers_mu);
  CHECK_CODE(daira_platform_shutdown(p, &err), DAIRA_OK, err);
  for (i = 0; i < kWorkers; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].unexpected == 0);
    CHECK(workers[i].saw_closed);
  }
  CHECK(workers[0].ok_calls + workers[1].ok_calls + workers[2].ok_calls + workers[3].ok_calls > 0);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
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

  test_library();
  test_open_errors(url);
  if (daira_platform_open(url, strlen(url), options, strlen(options), &p, &err) != DAIRA_OK) {
    fprintf(stderr, "open failed: %s\n", daira_error_message(err));
    daira_error_free(&err);
    return 1;
  }
  test_story_and_codes(p);
  test_id_calls(p);
  test_bad_inputs(p);
  test_after_close(&p);
  /* Reopening the same database sees the data written before. */
  CHECK_CODE(daira_platform_open(url, strlen(url), options, strlen(options), &p, &err), DAIRA_OK, err);
  if (p != NULL) {
    char* out = NULL;
    CHECK_CODE(call(daira_users_find_by_username, p, "{\"username\":\"carol\"}", &out, &err), DAIRA_OK, err);
    daira_free(out);
    CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  }
  daira_error_free(&err);
  test_shutdown_during_calls(url, options);
  test_instances(url);

  printf("c_abi_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
