/* The C ABI's transactions from C99: daira_transaction_begin / _commit / _rollback and every other call
 * made with a transaction handle. Commit makes several writes (register, follow, create_post, a wallet
 * and a record read) visible together; rollback discards them; a call that fails inside undoes only
 * itself and the rest commits; the transaction's calls see its uncommitted writes and the platform's
 * calls do not; threads sharing one transaction take turns; shutdown (also while threads call on the
 * transaction) and close with a transaction open roll it back (its commit is FAILED_PRECONDITION and
 * nothing was written); bad options; close/shutdown on a transaction handle, commit on a platform handle,
 * nesting, and NULL arguments are refused.
 *
 *   c_abi_transaction_test <database url>   (tests/c_abi/c_abi_runner makes an isolated database)
 *
 * Exit 0 when every check passed; each failed check prints its line. Runs under valgrind
 * --leak-check=full too: every handle, string and error is freed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_abi_check.h"
#include "c_abi_record_check.h"
#include "daira_c.h"

static const char* kOptions = "{\"password_cost\":\"test\"}";

/* Begins a transaction that must begin (NULL on failure, counted). */
static daira_platform_t* begin(daira_platform_t* p, const char* options) {
  daira_platform_t* tx = NULL;
  daira_error_t* err = NULL;
  CHECK_CODE(daira_transaction_begin(p, options, options == NULL ? 0 : strlen(options), &tx, &err), DAIRA_OK, err);
  CHECK(err == NULL);
  daira_error_free(&err);
  return tx;
}

static void register_request(const char* username, char* request, size_t cap) {
  snprintf(request, cap,
           "{\"username\":\"%s\",\"email\":\"%s@example.com\",\"password\":\"correct horse battery\"}", username,
           username);
}

/* Expects users_find_by_username on `p` (a platform or transaction handle) to be OK (`want`) or
 * NOT_FOUND. */
static void expect_user(daira_platform_t* p, const char* username, int want, int line) {
  char request[128];
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got;
  snprintf(request, sizeof request, "{\"username\":\"%s\"}", username);
  got = call(daira_users_find_by_username, p, request, &out, &err);
  ++checks;
  if (got != (want ? DAIRA_OK : DAIRA_NOT_FOUND)) {
    fprintf(stderr, "line %d: %s: got %s (%s), want %s\n", line, username, daira_code_name(got),
            daira_error_message(err), want ? "OK" : "NOT_FOUND");
    ++failures;
  }
  daira_free(out);
  daira_error_free(&err);
}
#define EXPECT_USER(p, username, want) expect_user(p, username, want, __LINE__)

/* Expects `fn(p, request)` to return `want`. */
static void expect_code(daira_call_fn fn, daira_platform_t* p, const char* request, daira_code want, int line) {
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_code got = call(fn, p, request, &out, &err);
  ++checks;
  if (got != want) {
    fprintf(stderr, "line %d: %s: got %s (%s), want %s\n", line, request, daira_code_name(got),
            daira_error_message(err), daira_code_name(want));
    ++failures;
  }
  daira_free(out);
  daira_error_free(&err);
}
#define EXPECT_CODE(fn, p, request, want) expect_code(fn, p, request, want, __LINE__)

/* Several writes in one commit: none visible outside before COMMIT, all after. */
static void test_commit(daira_platform_t* p, const char* alice) {
  char carol[32], post[32], wallet[32], request[256];
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_platform_t* tx = begin(p, NULL);
  if (tx == NULL) return;

  register_request("carol", request, sizeof request);
  create(daira_accounts_register, tx, request, carol, sizeof carol);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", carol, alice);
  CHECK_CODE(call(daira_social_follow, tx, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"status\":\"ACTIVE\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"hello from a #transaction\"}", carol);
  create(daira_content_create_post, tx, request, post, sizeof post);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", carol);
  create(daira_wallets_create, tx, request, wallet, sizeof wallet);

  /* The transaction sees its own writes, through service calls, record calls and get_many. */
  EXPECT_USER(tx, "carol", 1);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", carol);
  out = FETCH(daira_wallets_find_by_user, tx, request, "id,balance");
  CHECK(contains(out, wallet) && contains(out, "\"balance\":0"));
  daira_free(out);
  snprintf(request, sizeof request, "[\"%s\"]", post);
  out = FETCH(daira_posts_get_many, tx, request, "content");
  CHECK(contains(out, "#transaction") && contains(out, "\"missing\":[]"));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", carol);
  CHECK_CODE(call(daira_profiles_stats, tx, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"following\":1") && contains(out, "\"posts\":1"));
  daira_free(out);
  CHECK_CODE(daira_platform_ping(tx, &err), DAIRA_OK, err);

  /* The platform sees none of it yet. */
  EXPECT_USER(p, "carol", 0);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  EXPECT_CODE(daira_content_get_post, p, request, DAIRA_NOT_FOUND);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", carol);
  EXPECT_RECORD(daira_wallets_find_by_user, p, request, NULL, DAIRA_NOT_FOUND, "");

  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_OK, err);
  CHECK(tx == NULL);

  /* All of it, together. */
  EXPECT_USER(p, "carol", 1);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  EXPECT_CODE(daira_content_get_post, p, request, DAIRA_OK);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", carol, alice);
  out = FETCH(daira_follows_find_by_pair, p, request, "status");
  CHECK(contains(out, "\"status\":\"ACTIVE\""));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", carol);
  out = FETCH(daira_wallets_find_by_user, p, request, "id");
  CHECK(contains(out, wallet));
  daira_free(out);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  CHECK_CODE(call(daira_profiles_stats, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"followers\":1"));
  daira_free(out);
  daira_error_free(&err);
}

/* Rollback discards every write of the transaction. */
static void test_rollback(daira_platform_t* p, const char* alice) {
  char dave[32], post[32], request[256];
  daira_error_t* err = NULL;
  daira_platform_t* tx = begin(p, "{\"isolation\":\"default\"}");
  if (tx == NULL) return;
  register_request("dave", request, sizeof request);
  create(daira_accounts_register, tx, request, dave, sizeof dave);
  snprintf(request, sizeof request, "{\"follower_id\":\"%s\",\"followee_id\":\"%s\"}", dave, alice);
  EXPECT_CODE(daira_social_follow, tx, request, DAIRA_OK);
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"never seen\"}", dave);
  create(daira_content_create_post, tx, request, post, sizeof post);
  CHECK_CODE(daira_transaction_rollback(&tx, &err), DAIRA_OK, err);
  CHECK(tx == NULL);

  EXPECT_USER(p, "dave", 0);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  EXPECT_CODE(daira_content_get_post, p, request, DAIRA_NOT_FOUND);
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", alice);
  {
    char* out = NULL;
    CHECK_CODE(call(daira_profiles_stats, p, request, &out, &err), DAIRA_OK, err);
    CHECK(contains(out, "\"followers\":1")); /* carol's only */
    daira_free(out);
  }
  daira_error_free(&err);
}

/* A call that fails inside undoes only itself (a savepoint): the transaction goes on and commits. */
static void test_failed_call_inside(daira_platform_t* p) {
  char erin[32], post[32], request[256];
  char* out = NULL;
  daira_error_t* err = NULL;
  daira_platform_t* tx = begin(p, NULL);
  if (tx == NULL) return;
  register_request("erin", request, sizeof request);
  create(daira_accounts_register, tx, request, erin, sizeof erin);
  /* A duplicate username, then a malformed request and a missing row: each fails alone. */
  register_request("alice", request, sizeof request);
  EXPECT_CALL(daira_accounts_register, tx, request, DAIRA_ALREADY_EXISTS, "username");
  EXPECT_CALL(daira_accounts_register, tx, "{\"username\":", DAIRA_INVALID_ARGUMENT, "request_json");
  EXPECT_RECORD(daira_wallets_get, tx, "{\"id\":987654321}", NULL, DAIRA_NOT_FOUND, "");
  /* A single statement that fails in the database (a unique violation, no transaction of its own in
   * the service): without the per-call savepoint Postgres would refuse every later statement. */
  snprintf(request, sizeof request, "{\"user_id\":\"%s\"}", erin);
  EXPECT_CODE(daira_wallets_create, tx, request, DAIRA_OK);
  EXPECT_CALL(daira_wallets_create, tx, request, DAIRA_ALREADY_EXISTS, "user_id");
  snprintf(request, sizeof request, "{\"wallet_id\":\"%s\",\"amount\":1}", "987654321");
  EXPECT_CALL(daira_transactions_create, tx, request, DAIRA_FAILED_PRECONDITION, "");
  /* The transaction is still usable (on Postgres too: the savepoint was rolled back, not the whole). */
  snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"after an error\"}", erin);
  create(daira_content_create_post, tx, request, post, sizeof post);
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_OK, err);
  CHECK(tx == NULL);
  EXPECT_USER(p, "erin", 1);
  snprintf(request, sizeof request, "{\"post_id\":\"%s\"}", post);
  CHECK_CODE(call(daira_content_get_post, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "after an error"));
  daira_free(out);
  /* Exactly one alice: the failed register left nothing. */
  CHECK_CODE(call(daira_users_count, p, "{}", &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":4")); /* alice, bob, carol, erin */
  daira_free(out);
  daira_error_free(&err);
}

/* Bad options, wrong handles, NULL arguments. */
static void test_refusals(daira_platform_t* p) {
  static const char* const kLevels[] = {"{\"isolation\":\"default\"}", "{\"isolation\":\"read_committed\"}",
                                        "{\"isolation\":\"repeatable_read\"}", "{\"isolation\":\"serializable\"}", "",
                                        "{}"};
  daira_platform_t* tx = NULL;
  daira_platform_t* nested = NULL;
  daira_platform_t* none = NULL;
  daira_error_t* err = NULL;
  size_t i;
  const char* bad;

  /* Every isolation level begins (and reads) on every backend. */
  for (i = 0; i < sizeof kLevels / sizeof kLevels[0]; ++i) {
    tx = begin(p, kLevels[i]);
    EXPECT_USER(tx, "alice", 1);
    CHECK_CODE(daira_transaction_rollback(&tx, &err), DAIRA_OK, err);
  }
  bad = "{\"isolation\":\"chaos\"}";
  CHECK_CODE(daira_transaction_begin(p, bad, strlen(bad), &tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "isolation");
  CHECK(contains(daira_error_message(err), "chaos") && tx == NULL);
  bad = "{\"isolation\":4}";
  CHECK_CODE(daira_transaction_begin(p, bad, strlen(bad), &tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "isolation");
  bad = "{\"isolaton\":\"default\"}";
  CHECK_CODE(daira_transaction_begin(p, bad, strlen(bad), &tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "isolaton");
  bad = "[\"serializable\"]";
  CHECK_CODE(daira_transaction_begin(p, bad, strlen(bad), &tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "options_json");
  CHECK(tx == NULL);

  /* NULL arguments. */
  CHECK_CODE(daira_transaction_begin(NULL, NULL, 0, &tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK(tx == NULL);
  CHECK_CODE(daira_transaction_begin(p, NULL, 0, NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "out_tx");
  CHECK_CODE(daira_transaction_begin(p, NULL, 4, &tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "options_json");
  CHECK_CODE(daira_transaction_commit(NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "tx");
  CHECK_CODE(daira_transaction_commit(&none, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "tx");
  CHECK_CODE(daira_transaction_rollback(NULL, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "tx");
  CHECK_CODE(daira_transaction_rollback(&none, &err), DAIRA_OK, err);
  CHECK(err == NULL);
  /* err may be NULL: the code still comes back. */
  CHECK(daira_transaction_commit(NULL, NULL) == DAIRA_INVALID_ARGUMENT);

  /* A platform handle is no transaction, and a transaction handle no platform. */
  CHECK_CODE(daira_transaction_commit(&p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "tx");
  CHECK(p != NULL);
  CHECK_CODE(daira_transaction_rollback(&p, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "tx");
  CHECK(p != NULL);
  tx = begin(p, NULL);
  if (tx == NULL) return;
  CHECK_CODE(daira_platform_close(&tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK(tx != NULL && contains(daira_error_message(err), "daira_transaction_commit"));
  CHECK_CODE(daira_platform_shutdown(tx, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK_CODE(daira_transaction_begin(tx, NULL, 0, &nested, &err), DAIRA_INVALID_ARGUMENT, err);
  CHECK_FIELD(err, "platform");
  CHECK(nested == NULL);
  /* Still open and usable after all that. */
  EXPECT_USER(tx, "alice", 1);
  EXPECT_CALL(daira_users_get, tx, "{\"id\":true}", DAIRA_INVALID_ARGUMENT, "id");
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_OK, err);
  CHECK(tx == NULL);
  daira_error_free(&err);
}

/* Threads sharing one transaction take turns; all their writes commit together. */
#define kTxWorkers 4
#define kPostsPerWorker 5

struct tx_worker {
  daira_platform_t* tx;
  const char* author;
  int failed;
};

static void* tx_worker_main(void* arg) {
  struct tx_worker* w = (struct tx_worker*)arg;
  char request[256];
  int i;
  for (i = 0; i < kPostsPerWorker; ++i) {
    char* out = NULL;
    daira_error_t* err = NULL;
    snprintf(request, sizeof request, "{\"author_id\":\"%s\",\"content\":\"threaded %d\"}", w->author, i);
    if (call(daira_content_create_post, w->tx, request, &out, &err) != DAIRA_OK) {
      fprintf(stderr, "tx worker: %s\n", daira_error_message(err));
      ++w->failed;
    }
    daira_free(out);
    daira_error_free(&err);
  }
  return NULL;
}

static void test_threads_share_a_transaction(daira_platform_t* p, const char* bob) {
  pthread_t threads[kTxWorkers];
  struct tx_worker workers[kTxWorkers];
  char request[128];
  char* out = NULL;
  daira_error_t* err = NULL;
  int i;
  daira_platform_t* tx = begin(p, NULL);
  if (tx == NULL) return;
  for (i = 0; i < kTxWorkers; ++i) {
    workers[i].tx = tx;
    workers[i].author = bob;
    workers[i].failed = 0;
    CHECK(pthread_create(&threads[i], NULL, tx_worker_main, &workers[i]) == 0);
  }
  for (i = 0; i < kTxWorkers; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].failed == 0);
  }
  snprintf(request, sizeof request, "{\"author_id\":\"%s\"}", bob);
  CHECK_CODE(call(daira_posts_count, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":0"));
  daira_free(out);
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_OK, err);
  CHECK_CODE(call(daira_posts_count, p, request, &out, &err), DAIRA_OK, err);
  CHECK(contains(out, "\"count\":20"));
  daira_free(out);
  daira_error_free(&err);
}

/* Postgres: two serializable transactions in write skew (each counts the users, then registers one):
 * one of them fails with ABORTED — at a call or at its commit — and the commit frees its handle all the
 * same; at most one of the two users exists afterwards. SQLite runs one write transaction at a time (a
 * second begin waits for the first), so there is nothing to conflict: declared, not run. */
static void test_serialization_conflict(daira_platform_t* p, const char* url) {
  daira_platform_t* t1;
  daira_platform_t* t2;
  daira_error_t* err = NULL;
  char request[256];
  daira_code codes[6];
  int i, aborted = 0, committed = 0;
  if (strncmp(url, "postgres", 8) != 0) {
    printf("c_abi_transaction_test: serialization conflict: postgres only (SQLite has one writer)\n");
    return;
  }
  t1 = begin(p, "{\"isolation\":\"serializable\"}");
  t2 = begin(p, "{\"isolation\":\"serializable\"}");
  if (t1 == NULL || t2 == NULL) {
    daira_transaction_rollback(&t1, NULL);
    daira_transaction_rollback(&t2, NULL);
    return;
  }
  codes[0] = call(daira_users_count, t1, "{}", NULL, &err);
  codes[1] = call(daira_users_count, t2, "{}", NULL, &err);
  register_request("skew1", request, sizeof request);
  codes[2] = call(daira_accounts_register, t1, request, NULL, &err);
  register_request("skew2", request, sizeof request);
  codes[3] = call(daira_accounts_register, t2, request, NULL, &err);
  codes[4] = daira_transaction_commit(&t1, &err);
  codes[5] = daira_transaction_commit(&t2, &err);
  CHECK(t1 == NULL && t2 == NULL);
  for (i = 0; i < 6; ++i) {
    if (codes[i] == DAIRA_ABORTED) ++aborted;
    CHECK(codes[i] == DAIRA_OK || codes[i] == DAIRA_ABORTED);
  }
  CHECK(aborted >= 1);
  CHECK(codes[4] == DAIRA_ABORTED || codes[5] == DAIRA_ABORTED);
  committed = (codes[4] == DAIRA_OK) + (codes[5] == DAIRA_OK);
  CHECK(committed <= 1);
  EXPECT_USER(p, "skew1", codes[4] == DAIRA_OK && codes[2] == DAIRA_OK);
  EXPECT_USER(p, "skew2", codes[5] == DAIRA_OK && codes[3] == DAIRA_OK);
  daira_error_free(&err);
}

/* Shutdown with transactions open rolls them back: their calls and commits fail, their rollbacks are
 * OK, nothing was written. Then close with transactions open: the handles stay valid until they end. */
static void test_shutdown_and_close(const char* url) {
  daira_platform_t* p = NULL;
  daira_platform_t* tx = NULL;
  daira_platform_t* tx2 = NULL;
  daira_error_t* err = NULL;
  char id[32], request[256];
  CHECK_CODE(daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  tx = begin(p, NULL);
  register_request("frank", request, sizeof request);
  create(daira_accounts_register, tx, request, id, sizeof id);
  CHECK_CODE(daira_platform_shutdown(p, &err), DAIRA_OK, err);
  EXPECT_CODE(daira_users_count, tx, "{}", DAIRA_FAILED_PRECONDITION);
  CHECK_CODE(daira_platform_ping(tx, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK_CODE(daira_transaction_begin(p, NULL, 0, &tx2, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK(tx2 == NULL);
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK(tx == NULL && contains(daira_error_message(err), "nothing was written"));
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);

  /* Nothing of frank. Close with a transaction open: its handle stays valid until it ends, and ending
   * it (commit, then in a second round rollback) frees the platform (valgrind: no leak, no invalid
   * access). One transaction at a time: SQLite has one writer connection. */
  CHECK_CODE(daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  EXPECT_USER(p, "frank", 0);
  tx = begin(p, "{\"isolation\":\"read_committed\"}");
  if (tx != NULL) {
    register_request("grace", request, sizeof request);
    create(daira_accounts_register, tx, request, id, sizeof id);
  }
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  CHECK(p == NULL);
  EXPECT_CODE(daira_users_count, tx, "{}", DAIRA_FAILED_PRECONDITION);
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK(tx == NULL);

  CHECK_CODE(daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  EXPECT_USER(p, "grace", 0);
  tx2 = begin(p, NULL);
  if (tx2 != NULL) {
    register_request("ivan", request, sizeof request);
    create(daira_accounts_register, tx2, request, id, sizeof id);
  }
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  CHECK_CODE(daira_transaction_rollback(&tx2, &err), DAIRA_OK, err);
  CHECK(tx2 == NULL);

  CHECK_CODE(daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  EXPECT_USER(p, "ivan", 0);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
}

/* Shutdown while threads call on a transaction: every call is OK or FAILED_PRECONDITION, then the
 * commit is FAILED_PRECONDITION and nothing was written. No sleeps: the main thread shuts down once
 * each worker has completed a call. */
static pthread_mutex_t started_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t started_cv = PTHREAD_COND_INITIALIZER;
static int started = 0;

struct closing_worker {
  daira_platform_t* tx;
  int unexpected;
};

static void* closing_worker_main(void* arg) {
  struct closing_worker* w = (struct closing_worker*)arg;
  daira_error_t* err = NULL;
  int announced = 0;
  int closed = 0;
  while (!closed && w->unexpected == 0) {
    char* out = NULL;
    daira_code code = call(daira_users_find_by_username, w->tx, "{\"username\":\"alice\"}", &out, &err);
    if (code == DAIRA_FAILED_PRECONDITION) {
      closed = 1;
    } else if (code != DAIRA_OK) {
      fprintf(stderr, "closing worker: unexpected %s: %s\n", daira_code_name(code), daira_error_message(err));
      ++w->unexpected;
    }
    daira_free(out);
    if (!announced) {
      announced = 1;
      pthread_mutex_lock(&started_mu);
      ++started;
      pthread_cond_broadcast(&started_cv);
      pthread_mutex_unlock(&started_mu);
    }
  }
  daira_error_free(&err);
  return NULL;
}

static void test_shutdown_during_transaction_calls(const char* url) {
  pthread_t threads[kTxWorkers];
  struct closing_worker workers[kTxWorkers];
  daira_platform_t* p = NULL;
  daira_platform_t* tx = NULL;
  daira_error_t* err = NULL;
  char id[32], request[256];
  int i;
  CHECK_CODE(daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  tx = begin(p, NULL);
  if (tx == NULL) {
    daira_platform_close(&p, NULL);
    return;
  }
  register_request("heidi", request, sizeof request);
  create(daira_accounts_register, tx, request, id, sizeof id);
  started = 0;
  for (i = 0; i < kTxWorkers; ++i) {
    workers[i].tx = tx;
    workers[i].unexpected = 0;
    CHECK(pthread_create(&threads[i], NULL, closing_worker_main, &workers[i]) == 0);
  }
  pthread_mutex_lock(&started_mu);
  while (started < kTxWorkers) pthread_cond_wait(&started_cv, &started_mu);
  pthread_mutex_unlock(&started_mu);
  CHECK_CODE(daira_platform_shutdown(p, &err), DAIRA_OK, err);
  for (i = 0; i < kTxWorkers; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].unexpected == 0);
  }
  CHECK_CODE(daira_transaction_commit(&tx, &err), DAIRA_FAILED_PRECONDITION, err);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  CHECK_CODE(daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err), DAIRA_OK, err);
  if (p == NULL) return;
  EXPECT_USER(p, "heidi", 0);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  daira_error_free(&err);
}

int main(int argc, char** argv) {
  daira_platform_t* p = NULL;
  daira_error_t* err = NULL;
  char alice[32], bob[32], request[256];
  const char* url;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <database url>\n", argv[0]);
    return 2;
  }
  url = argv[1];
  if (daira_platform_open(url, strlen(url), kOptions, strlen(kOptions), &p, &err) != DAIRA_OK) {
    fprintf(stderr, "open failed: %s\n", daira_error_message(err));
    daira_error_free(&err);
    return 1;
  }
  register_request("alice", request, sizeof request);
  create(daira_accounts_register, p, request, alice, sizeof alice);
  register_request("bob", request, sizeof request);
  create(daira_accounts_register, p, request, bob, sizeof bob);

  test_commit(p, alice);
  test_rollback(p, alice);
  test_failed_call_inside(p);
  test_refusals(p);
  test_threads_share_a_transaction(p, bob);
  test_serialization_conflict(p, url);
  CHECK_CODE(daira_platform_close(&p, &err), DAIRA_OK, err);
  CHECK(p == NULL);
  daira_error_free(&err);

  test_shutdown_and_close(url);
  test_shutdown_during_transaction_calls(url);

  printf("c_abi_transaction_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
