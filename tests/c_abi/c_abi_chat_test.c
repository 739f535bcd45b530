/* The C ABI's chat and notification calls from C99: a direct conversation (one per pair), a message that
 * a subscriber of the recipient's "user:{id}" channel pulls, history pages, read receipts and unread
 * counts, leaving; a notification grouped with a second actor, listed, counted and marked read; request
 * errors name their field.
 *
 *   c_abi_chat_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed; each failed check prints its line. Every handle, string and error is
 * freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "daira_c.h"

/* Registers `name` and copies its id into `id`. */
static void register_user(daira_platform_t* p, const char* name, char* id, size_t cap) {
  char request[256];
  char* out;
  snprintf(request, sizeof request,
           "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"correct horse battery\"}", name, name);
  out = RUN(daira_accounts_register, p, request);
  CHECK(json_string(out, "id", id, cap));
  daira_free(out);
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_subscription_t* inbox = NULL;
  daira_error_t* err = NULL;
  const char* options = "{\"password_cost\":\"test\",\"realtime\":\"memory:\"}";
  char alice[32], bob[32], carol[32], conv[32], again[32], msg[32], note[32], note2[32];
  char request[512];
  char* out;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  CHECK_CODE(daira_platform_open(argv[1], strlen(argv[1]), options, strlen(options), &p, &err), DAIRA_OK, err);
  daira_error_free(&err);
  if (p == NULL) return 1;
  register_user(p, "alice", alice, sizeof alice);
  register_user(p, "bob", bob, sizeof bob);
  register_user(p, "carol", carol, sizeof carol);

  /* One direct conversation per pair. */
  snprintf(request, sizeof request, "{\"creator_id\":\"%s\",\"member_ids\":[\"%s\"]}", alice, bob);
  out = RUN(daira_chat_create_conversation, p, request);
  CHECK(json_string(out, "id", conv, sizeof conv));
  EXPECT_CONTAINS(out, "\"kind\":\"DIRECT\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"creator_id\":\"%s\",\"member_ids\":[\"%s\"]}", bob, alice);
  out = RUN(daira_chat_create_conversation, p, request);
  CHECK(json_string(out, "id", again, sizeof again) && strcmp(conv, again) == 0);
  daira_free(out);

  /* Bob's inbox receives the message after it is stored. */
  snprintf(request, sizeof request, "{\"target\":\"user:%s\"}", bob);
  CHECK_CODE(daira_realtime_subscribe(p, request, strlen(request), &inbox, &err), DAIRA_OK, err);
  daira_error_free(&err);
  snprintf(request, sizeof request, "{\"conversation_id\":\"%s\",\"sender_id\":\"%s\",\"body\":\"hi bob\"}", conv,
           alice);
  out = RUN(daira_chat_send, p, request);
  CHECK(json_string(out, "id", msg, sizeof msg));
  EXPECT_CONTAINS(out, "\"body\":\"hi bob\"");
  daira_free(out);
  out = NULL;
  CHECK_CODE(daira_subscription_next(inbox, 5000, &out, &err), DAIRA_OK, err);
  daira_error_free(&err);
  EXPECT_CONTAINS(out, "chat.message");
  EXPECT_CONTAINS(out, "hi bob");
  daira_free(out);
  snprintf(request, sizeof request, "{\"conversation_id\":\"%s\",\"sender_id\":\"%s\",\"body\":\"second\"}", conv,
           alice);
  daira_free(RUN(daira_chat_send, p, request));

  snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\",\"limit\":1}", bob, conv);
  out = RUN(daira_chat_history, p, request);
  EXPECT_CONTAINS(out, "\"body\":\"second\"");
  EXPECT_CONTAINS(out, "\"has_more\":true");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"conversation_id\":\"%s\"}", bob, conv);
  out = RUN(daira_chat_unread_count, p, request);
  EXPECT_CONTAINS(out, "\"unread\":2");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"conversation_id\":\"%s\",\"message_id\":\"%s\"}", bob,
           conv, msg);
  daira_free(RUN(daira_chat_mark_read, p, request));
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"conversation_id\":\"%s\"}", bob, conv);
  out = RUN(daira_chat_unread_count, p, request);
  EXPECT_CONTAINS(out, "\"unread\":1");
  daira_free(out);
  /* Not a member: NOT_FOUND naming the conversation. */
  snprintf(request, sizeof request, "{\"conversation_id\":\"%s\",\"sender_id\":\"%s\",\"body\":\"x\"}", conv, carol);
  EXPECT_ERROR(daira_chat_send, p, request, DAIRA_NOT_FOUND, "conversation_id");
  snprintf(request, sizeof request, "{\"conversation_id\":\"%s\",\"sender_id\":\"%s\",\"body\":\"\"}", conv, alice);
  EXPECT_ERROR(daira_chat_send, p, request, DAIRA_INVALID_ARGUMENT, "body");
  /* Edit and delete one's own message; around a message; the members. */
  snprintf(request, sizeof request, "{\"editor_id\":\"%s\",\"message_id\":\"%s\",\"body\":\"hi bob!\"}", alice, msg);
  out = RUN(daira_chat_edit, p, request);
  EXPECT_CONTAINS(out, "\"body\":\"hi bob!\"");
  CHECK(!contains(out, "\"edited_at\":null"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"editor_id\":\"%s\",\"message_id\":\"%s\",\"body\":\"mine\"}", bob, msg);
  EXPECT_ERROR(daira_chat_edit, p, request, DAIRA_PERMISSION_DENIED, "sender_id");
  snprintf(request, sizeof request,
           "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\",\"message_id\":\"%s\",\"before\":1,\"after\":1}", bob,
           conv, msg);
  out = RUN(daira_chat_around, p, request);
  EXPECT_CONTAINS(out, "\"body\":\"hi bob!\"");
  EXPECT_CONTAINS(out, "\"body\":\"second\"");
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\",\"message_id\":\"%s\",\"before\":101}", bob, conv,
           msg);
  EXPECT_ERROR(daira_chat_around, p, request, DAIRA_INVALID_ARGUMENT, "before");
  snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\"}", bob, conv);
  out = RUN(daira_chat_members, p, request);
  EXPECT_CONTAINS(out, "\"role\":\"OWNER\"");
  EXPECT_CONTAINS(out, "\"role\":\"MEMBER\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"message_id\":\"%s\"}", alice, msg);
  daira_free(RUN(daira_chat_delete, p, request));
  daira_free(RUN(daira_chat_delete, p, request)); /* idempotent */
  snprintf(request, sizeof request,
           "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\",\"message_id\":\"%s\",\"before\":0,\"after\":0}", bob,
           conv, msg);
  out = RUN(daira_chat_around, p, request);
  EXPECT_CONTAINS(out, "\"deleted\":true");
  daira_free(out);
  /* A group: the owner adds and removes a member; a direct conversation takes no one else. */
  {
    char group[32];
    snprintf(request, sizeof request,
             "{\"creator_id\":\"%s\",\"member_ids\":[\"%s\"],\"kind\":\"GROUP\",\"title\":\"team\"}", alice, bob);
    out = RUN(daira_chat_create_conversation, p, request);
    CHECK(json_string(out, "id", group, sizeof group));
    daira_free(out);
    snprintf(request, sizeof request, "{\"actor_id\":\"%s\",\"conversation_id\":\"%s\",\"user_id\":\"%s\"}", alice,
             group, carol);
    daira_free(RUN(daira_chat_add_member, p, request));
    snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\"}", carol, group);
    out = RUN(daira_chat_members, p, request);
    EXPECT_CONTAINS(out, carol);
    daira_free(out);
    snprintf(request, sizeof request, "{\"actor_id\":\"%s\",\"conversation_id\":\"%s\",\"user_id\":\"%s\"}", alice,
             group, carol);
    daira_free(RUN(daira_chat_remove_member, p, request));
    snprintf(request, sizeof request, "{\"viewer_id\":\"%s\",\"conversation_id\":\"%s\"}", carol, group);
    EXPECT_ERROR(daira_chat_members, p, request, DAIRA_NOT_FOUND, "conversation_id");
    snprintf(request, sizeof request,
             "{\"actor_id\":\"%s\",\"conversation_id\":\"%s\",\"user_id\":\"%s\",\"role\":\"BOSS\"}", alice, group,
             carol);
    EXPECT_ERROR(daira_chat_add_member, p, request, DAIRA_INVALID_ARGUMENT, "role");
    snprintf(request, sizeof request, "{\"actor_id\":\"%s\",\"conversation_id\":\"%s\",\"user_id\":\"%s\"}", alice,
             conv, carol);
    EXPECT_ERROR(daira_chat_add_member, p, request, DAIRA_FAILED_PRECONDITION, NULL);
  }

  /* Leaving: sends refused. */
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"conversation_id\":\"%s\"}", bob, conv);
  daira_free(RUN(daira_chat_leave, p, request));
  snprintf(request, sizeof request, "{\"conversation_id\":\"%s\",\"sender_id\":\"%s\",\"body\":\"x\"}", conv, bob);
  EXPECT_ERROR(daira_chat_send, p, request, DAIRA_FAILED_PRECONDITION, "sender_id");

  /* Notifications: two likes of one post fold into one row. */
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"kind\":\"LIKE\",\"actor_id\":\"%s\",\"target_type\":\"POST\",\"target_id\":\"7\","
           "\"payload\":{\"k\":1}}",
           alice, bob);
  out = RUN(daira_notifications_notify, p, request);
  CHECK(json_string(out, "id", note, sizeof note));
  daira_free(out);
  snprintf(request, sizeof request,
           "{\"user_id\":\"%s\",\"kind\":\"LIKE\",\"actor_id\":\"%s\",\"target_type\":\"POST\",\"target_id\":\"7\"}",
           alice, carol);
  out = RUN(daira_notifications_notify, p, request);
  CHECK(json_string(out, "id", note2, sizeof note2) && strcmp(note, note2) == 0);
  EXPECT_CONTAINS(out, "\"actor_count\":2");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"limit\":10}", alice);
  out = RUN(daira_notifications_list, p, request);
  EXPECT_CONTAINS(out, "\"kind\":\"LIKE\"");
  EXPECT_CONTAINS(out, "\"payload\":{\"k\"");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_notifications_unread_count, p, request);
  EXPECT_CONTAINS(out, "\"unread\":1");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"notification_id\":\"%s\"}", bob, note);
  EXPECT_ERROR(daira_notifications_mark_read, p, request, DAIRA_NOT_FOUND, "notification_id");
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"notification_id\":\"%s\"}", alice, note);
  daira_free(RUN(daira_notifications_mark_read, p, request));
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  out = RUN(daira_notifications_mark_all_read, p, request);
  EXPECT_CONTAINS(out, "\"changed\":0");
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\",\"kind\":\"POKE\"}", alice);
  EXPECT_ERROR(daira_notifications_notify, p, request, DAIRA_INVALID_ARGUMENT, "kind");

  CHECK_CODE(daira_subscription_close(&inbox, &err), DAIRA_OK, err);
  daira_error_free(&err);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
  printf("c_abi_chat_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
