/* The C ABI's read-only record calls over the social and account tables from C99 — follows, blocks,
 * mutes, reactions, sessions, user_profiles: get, get_many, exists, count, the pair / user+target finders
 * and keyset lists with field masks — plus daira_search_videos; with their error paths: malformed JSON,
 * NULL arguments, unknown and secret field-mask names (session token hashes are refused and never
 * output), bad filters, not found.
 *
 *   c_abi_social_records_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed; each failed check prints its line. Runs under valgrind
 * --leak-check=full too: every string and error is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "c_abi_record_check.h"
#include "daira_c.h"

static void test_errors(daira_platform_t* p) {
  char* out = NULL;
  daira_error_t* err = NULL;
  CHECK_CODE(daira_follows_get(NULL, "{}", 2, NULL, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(daira_sessions_get(p, NULL, 4, NULL, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK_CODE(daira_user_profiles_exists(p, NULL, 2, &out, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "request_json");
  CHECK(out == NULL);
  daira_error_free(&err);
  EXPECT_RECORD(daira_blocks_get, p, "{\"id\":", NULL, DAIRA_INVALID_ARGUMENT, "request_json");
  EXPECT_RECORD(daira_mutes_get, p, "{\"id\":1,\"idd\":2}", NULL, DAIRA_INVALID_ARGUMENT, "idd");
  EXPECT_RECORD(daira_reactions_get_many, p, "[1,true]", NULL, DAIRA_INVALID_ARGUMENT, "ids_json[1]");
  EXPECT_RECORD(daira_user_profiles_get, p, "{\"id\":1}", NULL, DAIRA_INVALID_ARGUMENT, "id"); /* keyed by user_id */
  /* Unknown field names. */
  EXPECT_RECORD(daira_follows_get, p, "{\"id\":1}", "id,nope", DAIRA_INVALID_ARGUMENT, "fields");
  EXPECT_RECORD(daira_user_profiles_get_many, p, "[1]", "password_hash", DAIRA_INVALID_ARGUMENT, "fields");
  /* Secret fields: the session token hashes are refused on every session record call. */
  EXPECT_RECORD(daira_sessions_get, p, "{\"id\":1}", "refresh_token_hash", DAIRA_INVALID_ARGUMENT, "fields");
  EXPECT_RECORD(daira_sessions_get_many, p, "[1]", "id,access_token_hash", DAIRA_INVALID_ARGUMENT, "fields");
  EXPECT_RECORD(daira_sessions_list_by_user, p, "{\"user_id\":1}", "user_id, refresh_token_hash", DAIRA_INVALID_ARGUMENT,
                "fields");
  EXPECT_RECORD(daira_sessions_list_by_family, p, "{\"family_id\":1}", "access_token_hash", DAIRA_INVALID_ARGUMENT,
                "fields");
  /* Not found. */
  EXPECT_RECORD(daira_follows_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_blocks_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_mutes_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_reactions_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_sessions_get, p, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  EXPECT_RECORD(daira_user_profiles_get, p, "{\"user_id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  /* Bad finder keys and filters. */
  EXPECT_RECORD(daira_follows_find_by_pair, p, "{\"follower_id\":0,\"followee_id\":2}", NULL, DAIRA_INVALID_ARGUMENT,
                "follower_id");
  EXPECT_RECORD(daira_reactions_find_by_user_and_target, p, "{\"user_id\":1,\"target_type\":\"POLL\",\"target_id\":1}",
                NULL, DAIRA_INVALID_ARGUMENT, "target_type");
  EXPECT_RECORD(daira_reactions_list_by_target, p, "{\"target_id\":1}", NULL, DAIRA_INVALID_ARGUMENT, "target_type");
  EXPECT_RECORD(daira_blocks_list_by_blocker, p, "{\"blocker_id\":1,\"limit\":0}", NULL, DAIRA_INVALID_ARGUMENT, "limit");
  EXPECT_RECORD(daira_mutes_list_by_muter, p, "{\"muter_id\":1,\"cursor\":\"garbage\"}", NULL, DAIRA_INVALID_ARGUMENT,
                "cursor");
  EXPECT_CALL(daira_follows_count, p, "{\"status\":\"active\"}", DAIRA_INVALID_ARGUMENT, "status");
  EXPECT_CALL(daira_mutes_count, p, "{\"mute_type\":\"SNOOZE\"}", DAIRA_INVALID_ARGUMENT, "mute_type");
  EXPECT_CALL(daira_reactions_count, p, "{\"reaction\":\"MEH\"}", DAIRA_INVALID_ARGUMENT, "reaction");
  EXPECT_CALL(daira_sessions_count, p, "{\"revoked\":\"no\"}", DAIRA_INVALID_ARGUMENT, "revoked");
  EXPECT_CALL(daira_user_profiles_count, p, "{\"trust_score_below\":2}", DAIRA_INVALID_ARGUMENT, "trust_score_below");
  EXPECT_CALL(daira_user_profiles_count, p, "{\"trust_score_below\":\"x\"}", DAIRA_INVALID_ARGUMENT, "trust_score_below");
  EXPECT_CALL(daira_search_videos, p, "{\"query\":\"nile\",\"scope\":\"POSTS\"}", DAIRA_INVALID_ARGUMENT, "scope");
  EXPECT_CALL(daira_search_videos, p, "{\"query\":\"nile\",\"limit\":0}", DAIRA_INVALID_ARGUMENT, "limit");
  EXPECT_CALL(daira_search_videos, p, "[\"nile\"]", DAIRA_INVALID_ARGUMENT, "request_json");
}

static void count_is(daira_call_fn fn, daira_platform_t* p, const char* request, const char* want, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = call(fn, p, request, &out, &err);
  ++checks;
  if (got != DAIRA_OK || !contains(out, want)) {
    fprintf(stderr, "line %d: %s got %s %s (%s), want %s\n", line, request, daira_code_name(got),
            out == NULL ? "(null)" : out, daira_error_message(err), want);
    ++failures;
  }
  daira_free(out);
  daira_error_free(&err);
}
#define COUNT_IS(fn, p, request, want) count_is(fn, p, request, want, __LINE__)

static void test_social(daira_platform_t* p, const char* alice, const char* bob, const char* carol, const char* post) {
  char follow[32], follow_back[32], block[32], mute[32], reaction[32], cursor[256], request[512];
  char* out = NULL;

  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", alice, bob);
  create(daira_social_follow, p, request, follow, sizeof follow);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", bob, alice);
  create(daira_social_follow, p, request, follow_back, sizeof follow_back);
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", follow);
  out = FETCH(daira_follows_get, p, request, "status");
  CHECK(contains(out, follow) && contains(out, "\"status\":\"ACTIVE\"") && !contains(out, "follower_id"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", bob, alice);
  out = FETCH(daira_follows_find_by_pair, p, request, NULL);
  CHECK(contains(out, follow_back) && contains(out, "\"created_at\":\"") && contains(out, "\"updated_at\":"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", carol, alice);
  EXPECT_RECORD(daira_follows_find_by_pair, p, request, NULL, DAIRA_NOT_FOUND, "");
  snprintf(request, sizeof request, "[\"%s\",987654321,\"%s\"]", follow_back, follow);
  out = FETCH(daira_follows_get_many, p, request, "followee_id");
  CHECK(contains(out, "\"missing\":[\"987654321\"]") && out != NULL && strstr(out, follow_back) < strstr(out, follow + 0));
  daira_free(out);
  snprintf(request, sizeof request, "{\"followee_id\":\"%s\",\"limit\":1}", alice);
  out = FETCH(daira_follows_list_by_followee, p, request, "follower_id");
  CHECK(contains(out, follow_back) && contains(out, "\"has_more\":false"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\"}", alice);
  out = FETCH(daira_follows_list_by_follower, p, request, NULL);
  CHECK(contains(out, follow) && !contains(out, follow_back));
  daira_free(out);
  snprintf(request, sizeof request, "{\"followee_id\":\"%s\",\"status\":\"ACTIVE\"}", bob);
  COUNT_IS(daira_follows_count, p, request, "\"count\":1");
  COUNT_IS(daira_follows_count, p, "{}", "\"count\":2");
  COUNT_IS(daira_follows_count, p, "{\"status\":\"PENDING\"}", "\"count\":0");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", follow);
  COUNT_IS(daira_follows_exists, p, request, "\"exists\":true");

  snprintf(request, sizeof request, "{\"blocker_id\":\"%s\",\"blocked_id\":\"%s\",\"reason\":\"spam\"}", carol, bob);
  create(daira_social_block, p, request, block, sizeof block);
  snprintf(request, sizeof request, "{\"blocker_id\":\"%s\",\"blocked_id\":\"%s\"}", carol, bob);
  out = FETCH(daira_blocks_find_by_pair, p, request, "reason");
  CHECK(contains(out, block) && contains(out, "\"reason\":\"spam\"") && !contains(out, "blocker_id"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"blocker_id\":\"%s\",\"blocked_id\":\"%s\"}", bob, carol);
  EXPECT_RECORD(daira_blocks_find_by_pair, p, request, NULL, DAIRA_NOT_FOUND, ""); /* not the reverse one */
  snprintf(request, sizeof request, "{\"blocker_id\":\"%s\"}", carol);
  out = FETCH(daira_blocks_list_by_blocker, p, request, "blocked_id");
  CHECK(contains(out, block) && contains(out, bob));
  daira_free(out);
  snprintf(request, sizeof request, "{\"blocked_id\":\"%s\"}", bob);
  COUNT_IS(daira_blocks_count, p, request, "\"count\":1");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", block);
  out = FETCH(daira_blocks_get, p, request, "");
  CHECK(contains(out, "\"blocker_id\":\"") && contains(out, "\"created_at\":\""));
  daira_free(out);

  snprintf(request, sizeof request, "{\"muter_id\":\"%s\",\"muted_id\":\"%s\",\"mute_type\":\"HIDE_POSTS\"}", alice, carol);
  create(daira_social_mute, p, request, mute, sizeof mute);
  snprintf(request, sizeof request, "{\"muter_id\":\"%s\",\"muted_id\":\"%s\"}", alice, carol);
  out = FETCH(daira_mutes_find_by_pair, p, request, "mute_type,expires_at");
  CHECK(contains(out, mute) && contains(out, "\"mute_type\":\"HIDE_POSTS\"") && contains(out, "\"expires_at\":null"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"muter_id\":\"%s\",\"limit\":5}", alice);
  out = FETCH(daira_mutes_list_by_muter, p, request, NULL);
  CHECK(contains(out, mute) && contains(out, "\"muted_id\":\""));
  daira_free(out);
  COUNT_IS(daira_mutes_count, p, "{\"mute_type\":\"HIDE_POSTS\"}", "\"count\":1");
  COUNT_IS(daira_mutes_count, p, "{\"mute_type\":\"MUTE\"}", "\"count\":0");
  snprintf(request, sizeof request, "[\"%s\"]", mute);
  out = FETCH(daira_mutes_get_many, p, request, "muter_id");
  CHECK(contains(out, alice) && contains(out, "\"missing\":[]"));
  daira_free(out);

  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"target_type\":\"POST\",\"target_id\":\"%s\",\"reaction\":\"LOVE\"}",
           bob, post);
  CHECK_CODE(call(daira_content_react, p, request, &out, NULL), DAIRA_OK, NULL);
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"target_type\":\"POST\",\"target_id\":\"%s\"}", carol, post);
  CHECK_CODE(call(daira_content_react, p, request, &out, NULL), DAIRA_OK, NULL);
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"target_type\":\"POST\",\"target_id\":\"%s\"}", bob, post);
  out = FETCH(daira_reactions_find_by_user_and_target, p, request, "reaction,post_id,video_id");
  CHECK(contains(out, "\"reaction\":\"LOVE\"") && contains(out, post) && contains(out, "\"video_id\":null"));
  CHECK(json_string(out, "id", reaction, sizeof reaction));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"target_type\":\"VIDEO\",\"target_id\":\"%s\"}", bob, post);
  EXPECT_RECORD(daira_reactions_find_by_user_and_target, p, request, NULL, DAIRA_NOT_FOUND, "");
  snprintf(request, sizeof request, "{\"target_type\":\"POST\",\"target_id\":\"%s\",\"limit\":1}", post);
  out = FETCH(daira_reactions_list_by_target, p, request, "user_id");
  CHECK(contains(out, carol) && contains(out, "\"has_more\":true") && json_string(out, "next_cursor", cursor, sizeof cursor));
  daira_free(out);
  snprintf(request, sizeof request, "{\"target_type\":\"POST\",\"target_id\":\"%s\",\"limit\":1,\"cursor\":\"%s\"}", post,
           cursor);
  out = FETCH(daira_reactions_list_by_target, p, request, "user_id");
  CHECK(contains(out, reaction) && contains(out, "\"has_more\":false"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"target_type\":\"POST\",\"target_id\":\"%s\",\"reaction\":\"LIKE\"}", post);
  COUNT_IS(daira_reactions_count, p, request, "\"count\":1");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", bob);
  COUNT_IS(daira_reactions_count, p, request, "\"count\":1");
  snprintf(request, sizeof request, "{\"id\":%s}", reaction);
  COUNT_IS(daira_reactions_exists, p, request, "\"exists\":true");
  out = FETCH(daira_reactions_get, p, request, "created_at");
  CHECK(contains(out, reaction) && contains(out, "\"created_at\":\"") && !contains(out, "user_id"));
  daira_free(out);
}

static void test_accounts(daira_platform_t* p, const char* alice, const char* bob) {
  char session[32], session2[32], request[512];
  char* out = NULL;
  daira_error_t* err = NULL;

  CHECK_CODE(call(daira_accounts_login, p,
                  "{\"identifier\":\"alice\",\"password\":\"correct horse battery\",\"device_type\":\"phone\"}", &out, &err),
             DAIRA_OK, err);
  CHECK(json_string(out, "session_id", session, sizeof session));
  daira_free(out);
  CHECK_CODE(call(daira_accounts_login, p, "{\"identifier\":\"alice\",\"password\":\"correct horse battery\"}", &out, &err),
             DAIRA_OK, err);
  CHECK(json_string(out, "session_id", session2, sizeof session2));
  daira_free(out);
  daira_error_free(&err);

  snprintf(request, sizeof request, "{\"id\":\"%s\"}", session);
  out = FETCH(daira_sessions_get, p, request, NULL);
  CHECK(contains(out, "\"device_type\":\"phone\"") && contains(out, "\"revoked_at\":null") && contains(out, alice));
  CHECK(!contains(out, "token_hash") && !contains(out, "\"device_name\":\"phone\""));
  daira_free(out);
  out = FETCH(daira_sessions_get, p, request, "family_id,expires_at");
  CHECK(contains(out, "\"family_id\":") && contains(out, "\"expires_at\":\"") && !contains(out, "user_id"));
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\",\"%s\",987654321]", session2, session);
  out = FETCH(daira_sessions_get_many, p, request, "");
  CHECK(contains(out, "\"missing\":[\"987654321\"]") && !contains(out, "token_hash"));
  CHECK(out != NULL && strstr(out, session2) != NULL && strstr(out, session2) < strstr(out, "\"device_type\":\"phone\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = FETCH(daira_sessions_list_by_user, p, request, "device_type");
  CHECK(contains(out, session) && contains(out, session2) && !contains(out, "token_hash"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"family_id\":\"%s\"}", session);
  out = FETCH(daira_sessions_list_by_family, p, request, "user_id");
  CHECK(contains(out, session) && !contains(out, session2));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"revoked\":false}", alice);
  COUNT_IS(daira_sessions_count, p, request, "\"count\":2");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", bob);
  COUNT_IS(daira_sessions_count, p, request, "\"count\":0");
  snprintf(request, sizeof request, "{\"id\":\"%s\"}", session);
  COUNT_IS(daira_sessions_exists, p, request, "\"exists\":true");

  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = FETCH(daira_user_profiles_get, p, request, NULL);
  CHECK(contains(out, alice) && contains(out, "\"trust_score\":") && contains(out, "\"followers_count\":1"));
  CHECK(contains(out, "\"badges\":"));
  daira_free(out);
  out = FETCH(daira_user_profiles_get, p, request, "followers_count");
  CHECK(contains(out, "\"user_id\":\"") && contains(out, "\"followers_count\":1") && !contains(out, "bio"));
  daira_free(out);
  COUNT_IS(daira_user_profiles_exists, p, request, "\"exists\":true");
  COUNT_IS(daira_user_profiles_exists, p, "{\"user_id\":987654321}", "\"exists\":false");
  snprintf(request, sizeof request, "[\"%s\",987654321,\"%s\"]", bob, alice);
  out = FETCH(daira_user_profiles_get_many, p, request, "following_count");
  CHECK(contains(out, "\"missing\":[\"987654321\"]") && out != NULL && strstr(out, bob) < strstr(out, alice));
  daira_free(out);
  COUNT_IS(daira_user_profiles_count, p, "{\"min_followers_count\":1}", "\"count\":2");
  COUNT_IS(daira_user_profiles_count, p, "{}", "\"count\":3");
}

static void test_search_videos(daira_platform_t* p, const char* alice) {
  char video[32], hidden[32], request[512];
  char* out = NULL;
  daira_error_t* err = NULL;
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"title\":\"Nile sunset\",\"description\":\"felucca\",\"duration_ms\":9000}",
           alice);
  create(daira_content_create_video, p, request, video, sizeof video);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"title\":\"Nile at night\",\"duration_ms\":9000}", alice);
  create(daira_content_create_video, p, request, hidden, sizeof hidden); /* stays UPLOADING: never found */
  snprintf(request, sizeof request, "{\"video_id\":\"%s\",\"status\":\"PROCESSING\"}", video);
  CHECK_CODE(call(daira_content_transition_video, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  snprintf(request, sizeof request, "{\"video_id\":\"%s\",\"status\":\"PUBLISHED\",\"hls_url\":\"https://cdn.example.com/v.m3u8\"}",
           video);
  CHECK_CODE(call(daira_content_transition_video, p, request, &out, &err), DAIRA_OK, err);
  daira_free(out);
  daira_error_free(&err);
  out = NULL;
  CHECK_CODE(call(daira_search_videos, p, "{\"query\":\"nile\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, video) && !contains(out, hidden) && contains(out, "\"relevance\":1"));
  CHECK(contains(out, "\"title\":\"Nile sunset\"") && contains(out, "\"has_more\":false"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"query\":\"#nile felu\",\"viewer_id\":\"%s\",\"scope\":\"VIDEOS\",\"limit\":5}", alice);
  CHECK_CODE(call(daira_search_videos, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, video) && contains(out, "\"relevance\":1"));
  daira_free(out);
  CHECK_CODE(call(daira_search_videos, p, "{\"query\":\"danube\"}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"items\":[]"));
  daira_free(out);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  const char* options = "{\"password_cost\":\"test\"}";
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  char alice[32], bob[32], carol[32], post[32], request[256];
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
  create(daira_accounts_register, p,
         "{\"username\":\"carol\",\"email\":\"carol@example.com\",\"password\":\"correct horse battery\"}", carol,
         sizeof carol);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"social #records post\"}", alice);
  create(daira_content_create_post, p, request, post, sizeof post);

  test_errors(p);
  test_social(p, alice, bob, carol, post);
  test_accounts(p, alice, bob);
  test_search_videos(p, alice);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  CHECK(p == NULL);
  daira_error_free(&err);

  printf("c_abi_social_records_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
