/* daira_c.h — daira's C ABI: the whole SDK behind opaque handles, JSON records in and out, and a
 * per-call error object. It is what Go (cgo), Node (koffi) and any other FFI host load from
 * libdaira_c.so. Plain C99: no C++ in here, no other header of daira's needed.
 *
 *   daira_platform_t* p = NULL;
 *   daira_error_t* err = NULL;
 *   const char* url = "sqlite:/tmp/app.db";
 *   const char* opts = "{\"password_cost\":\"test\"}";
 *   if (daira_platform_open(url, strlen(url), opts, strlen(opts), &p, &err) != DAIRA_OK) {
 *     fprintf(stderr, "%s (field %s)\n", daira_error_message(err), daira_error_field(err));
 *     daira_error_free(&err);
 *     return 1;
 *   }
 *   const char* req = "{\"username\":\"alice\",\"email\":\"a@x.io\",\"password\":\"correct horse\"}";
 *   char* user = NULL;                               // {"id":"1234…","username":"alice",…}
 *   if (daira_accounts_register(p, req, strlen(req), &user, &err) == DAIRA_OK) daira_free(user);
 *   daira_platform_close(&p, NULL);                  // p is NULL afterwards
 *
 * RULES (they hold for every function below unless its comment says otherwise)
 *
 * Codes. Every fallible call returns a daira_code; DAIRA_OK (0) is success. The values equal
 * absl::StatusCode and gRPC's codes, so they never change meaning: DAIRA_INVALID_ARGUMENT = the
 * caller's input, DAIRA_NOT_FOUND, DAIRA_ALREADY_EXISTS, DAIRA_FAILED_PRECONDITION = fix the state
 * first (e.g. a closed platform), DAIRA_ABORTED = retry the transaction, DAIRA_UNAVAILABLE = retry
 * the call, DAIRA_UNAUTHENTICATED = bad credentials or token, DAIRA_PERMISSION_DENIED, DAIRA_INTERNAL
 * = a bug (an unexpected C++ exception is caught and reported as this, never thrown to the host).
 *
 * Errors. The last parameter of every fallible call is `daira_error_t** err`, a per-call error object,
 * never thread-local or per-handle state (a goroutine may resume on another thread between calls).
 * `err` may be NULL (the details are dropped; the code is still returned). Otherwise `*err` must be
 * NULL or an error an earlier call returned: on failure the call frees that earlier error and stores a
 * new one (code, message, field, violations) that the caller frees with daira_error_free(); on success
 * it frees the earlier error and sets `*err` to NULL. So one `daira_error_t* err = NULL` can be reused
 * across calls and freed once at the end.
 *
 * Strings in. Text parameters are `(const char* data, size_t len)` pairs of UTF-8 bytes; they need no
 * NUL terminator and are only read during the call (the library keeps no pointer to them). A NULL
 * data pointer with len 0 means "empty"; a NULL pointer with len > 0 is DAIRA_INVALID_ARGUMENT naming
 * the parameter.
 *
 * Records. Service calls take one JSON object as request (fields as documented per call and in
 * docs/bindings/c.md) and return one JSON object through `char** out_json`: NUL-terminated UTF-8,
 * allocated by the library, owned by the caller, freed with daira_free(). `out_json` may be NULL when
 * the caller does not want the record; on failure `*out_json` is set to NULL. A request that is not
 * JSON, is not an object, has a field of the wrong type, or has a field the call does not know is
 * DAIRA_INVALID_ARGUMENT naming that field ("request_json" when the text itself is malformed).
 *   - Ids are 64-bit. On output they are JSON strings of decimal digits ("id":"93127733524480000"),
 *     because JavaScript numbers lose integers above 2^53; on input an id may be a JSON integer or
 *     such a string.
 *   - Times are RFC 3339 UTC strings with milliseconds ("2026-11-29T18:04:05.123Z"); absent optional
 *     values are JSON null.
 *   - Pages are {"items":[…],"next_cursor":"…","has_more":true|false}; pass next_cursor back as
 *     "cursor" (with "limit", 1–100, default 20) for the next page. "" means no further page.
 *
 * Handles. daira_platform_t is opaque; daira_platform_open() creates it and daira_platform_close()
 * destroys it and sets the caller's pointer to NULL. Calls on a NULL handle are
 * DAIRA_INVALID_ARGUMENT naming "platform"; calls after daira_platform_shutdown() are
 * DAIRA_FAILED_PRECONDITION "… platform is closed". A transaction handle (daira_transaction_begin())
 * is a daira_platform_t too: every call taking `platform` accepts it and then runs inside that
 * transaction (see "transactions" below).
 *
 * Threading. A platform handle may be used from any number of threads at once. daira_platform_shutdown()
 * may run concurrently with calls: it waits for calls in flight, and later calls fail cleanly.
 * daira_platform_close() frees the handle, so no other thread may use it during or after that call:
 * hosts that share a handle across threads call shutdown, stop their threads, then close. Error
 * objects and returned strings belong to the caller and may move between threads.
 *
 * Nothing blocks on a callback into the host and no library thread ever calls into the host.
 * Evolution is additive only: new functions and new JSON fields may appear; existing ones keep their
 * meaning. Only symbols starting with daira_ are exported.
 */
#ifndef DAIRA_C_H_
#define DAIRA_C_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define DAIRA_C_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define DAIRA_C_EXPORT __attribute__((visibility("default")))
#else
#define DAIRA_C_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes; the values equal absl::StatusCode. */
typedef enum daira_code {
  DAIRA_OK = 0,
  DAIRA_CANCELLED = 1,
  DAIRA_UNKNOWN = 2,
  DAIRA_INVALID_ARGUMENT = 3,
  DAIRA_DEADLINE_EXCEEDED = 4,
  DAIRA_NOT_FOUND = 5,
  DAIRA_ALREADY_EXISTS = 6,
  DAIRA_PERMISSION_DENIED = 7,
  DAIRA_RESOURCE_EXHAUSTED = 8,
  DAIRA_FAILED_PRECONDITION = 9,
  DAIRA_ABORTED = 10,
  DAIRA_OUT_OF_RANGE = 11,
  DAIRA_UNIMPLEMENTED = 12,
  DAIRA_INTERNAL = 13,
  DAIRA_UNAVAILABLE = 14,
  DAIRA_DATA_LOSS = 15,
  DAIRA_UNAUTHENTICATED = 16
} daira_code;

/* Opaque handles. */
typedef struct daira_platform daira_platform_t;
typedef struct daira_error daira_error_t;
/* A real-time subscription (daira_realtime_subscribe); see "real-time" below. */
typedef struct daira_subscription daira_subscription_t;

/* ---- library ---------------------------------------------------------------------------------- */

/* The library version, e.g. "0.1.0". Static storage: never free it. */
DAIRA_C_EXPORT const char* daira_version(void);

/* The code's name as in absl ("OK", "INVALID_ARGUMENT", …; "UNKNOWN" for a value out of range).
 * Static storage: never free it. */
DAIRA_C_EXPORT const char* daira_code_name(daira_code code);

/* Frees a string the library returned through a `char**` (out_json). NULL is a no-op. Never pass
 * memory from another allocator, and never free library strings with free(). */
DAIRA_C_EXPORT void daira_free(void* ptr);

/* ---- errors ----------------------------------------------------------------------------------- */

/* The error's code (DAIRA_OK for a NULL error). */
DAIRA_C_EXPORT daira_code daira_error_code(const daira_error_t* err);
/* The message, "<operation>: <field> <what is wrong> (got <value>)". Owned by `err`: valid until
 * daira_error_free(); "" for a NULL error. */
DAIRA_C_EXPORT const char* daira_error_message(const daira_error_t* err);
/* The name of the field at fault ("username", "request_json", "platform"), or "" when the error names
 * none. Owned by `err`, as the message. */
DAIRA_C_EXPORT const char* daira_error_field(const daira_error_t* err);
/* Every violation of a rejected request as a JSON array [{"field":"…","message":"…"},…] ("[]" when
 * none). Owned by `err`, as the message. */
DAIRA_C_EXPORT const char* daira_error_violations(const daira_error_t* err);
/* Frees `*err` and sets it to NULL. NULL or a pointer to NULL is a no-op. */
DAIRA_C_EXPORT void daira_error_free(daira_error_t** err);

/* ---- platform --------------------------------------------------------------------------------- */

/* Opens the database `url` names ("sqlite:/path/app.db", "sqlite::memory:", "postgres://…") and, unless
 * options say otherwise, migrates it. `options_json` (may be NULL/0 for defaults) is an object with:
 *   "migrate": bool            apply the embedded migrations (default true)
 *   "password_cost": string    "interactive" (default, libsodium's INTERACTIVE argon2id preset) or
 *                              "test" (the cheapest cost: tests and examples only, never real users)
 *   "access_token_ttl_s": int  access token lifetime in seconds (default 900; 1 s to 10 years)
 *   "refresh_token_ttl_s": int refresh token lifetime in seconds (default 2592000; 1 s to 10 years)
 *   "max_request_bytes": int   longest request_json / ids_json accepted (default 1048576); a longer
 *                              one is INVALID_ARGUMENT (field "request_json") before it is parsed
 *   "max_concurrent_password_hashes": int  argon2id computations at once (default 0 = hardware threads)
 *   "password_hash_wait_ms": int           wait for a free slot, then RESOURCE_EXHAUSTED (default 1000)
 *   "refresh_reuse_grace_s": int           a rotated refresh token retried this soon returns the same
 *                                          successor instead of revoking the family (default 30; 0 off)
 *   "node_id": int             this instance's id node id, 0..1023 (default: lease a free one from the
 *                              database, so instances sharing it never issue the same ids)
 *   "cursor_key": string       the cursor signing key, 64 hex digits (default: the keys kept in the
 *                              database, shared by every instance on it); never echoed in errors
 *   "cache": string            the cache URL: "memory:" (default) or "redis://…" (docs/cache.md)
 *   "bus": string              the event bus URL: "sqlite:" (default: the database's own backend, so
 *                              "postgres:" on a Postgres database), "memory:" (docs/bus.md)
 *   "realtime": string         the real-time URL: "memory:" (default) or "redis://…" (docs/realtime.md)
 *   "blobs": string            the blob store URL: "file:DIR" (default "file:./daira-blobs") or
 *                              "s3://…" (docs/storage.md)
 *   "rate_limits": array       endpoint limits (docs/ratelimit.md): [{"endpoint": "api.search",
 *                              "count": 100, "window_ms": 60000, "algorithm": "sliding_window" | "gcra"}];
 *                              "login" / "post.create" replace the defaults (10 / 30 per minute;
 *                              count 0 turns one off)
 *   "payments": array          built-in local payment providers the platform owns (docs/money.md):
 *                              [{"provider": "STRIPE" | "PAYPAL" | "FAWRY" | "INSTAPAY", "secret":
 *                              "whsec_…" (webhook signing secret), "tolerance_s": 300 (replay window,
 *                              1..86400)}]; webhooks signed with the secret by anyone (the real provider
 *                              too) are accepted by daira_payment_service_handle_webhook
 *   "moderation_auto_hide_threshold": int  distinct reporters whose open reports hide content (default 3;
 *                              0 never); "tip_fee_bps": int (0..9999, default 0);
 *                              "money_idempotency_retention_s": int (>= 86400, default 86400);
 *                              "money_max_attempts": int (1..1000, default 10) — docs/configuration.md
 * On success stores a new handle in `*out` (the caller owns it: daira_platform_close()). Fails with
 * INVALID_ARGUMENT (bad URL or option, naming it), UNAVAILABLE (database unreachable),
 * FAILED_PRECONDITION (an applied migration changed; "node_id" held by another live instance),
 * RESOURCE_EXHAUSTED (every node id is leased). `out` must not be NULL. */
DAIRA_C_EXPORT daira_code daira_platform_open(const char* url, size_t url_len, const char* options_json,
                                              size_t options_len, daira_platform_t** out, daira_error_t** err);

/* Releases the backends (every pooled connection); the handle stays valid and every later call on it
 * fails with FAILED_PRECONDITION "platform is closed". Waits for calls in flight. Idempotent. */
DAIRA_C_EXPORT daira_code daira_platform_shutdown(daira_platform_t* platform, daira_error_t** err);

/* Shuts down (as above) and frees `*platform`, then sets `*platform` to NULL. `*platform` == NULL is a
 * no-op (OK); `platform` == NULL is INVALID_ARGUMENT. No other thread may use the handle any more. */
DAIRA_C_EXPORT daira_code daira_platform_close(daira_platform_t** platform, daira_error_t** err);

/* One round trip to the database: OK, or the backend's error; FAILED_PRECONDITION after shutdown. */
DAIRA_C_EXPORT daira_code daira_platform_ping(daira_platform_t* platform, daira_error_t** err);

/* ---- transactions ------------------------------------------------------------------------------ *
 * Several writes in one commit. A transaction handle IS a daira_platform_t: pass it instead of the
 * platform to any call below (service calls, record calls, get_many, ping) and the call runs inside
 * that one database transaction, on its one connection, seeing the transaction's own uncommitted
 * writes; the platform handle's calls see none of them until COMMIT.
 *
 *   daira_platform_t* tx = NULL;
 *   if (daira_transaction_begin(p, NULL, 0, &tx, &err) != DAIRA_OK) return fail(err);
 *   daira_code rc = daira_social_follow(tx, follow, strlen(follow), NULL, &err);
 *   if (rc == DAIRA_OK) rc = daira_content_create_post(tx, post, strlen(post), &out, &err);
 *   if (rc == DAIRA_OK) rc = daira_transaction_commit(&tx, &err);   // both writes, or neither
 *   else daira_transaction_rollback(&tx, NULL);                     // tx is NULL afterwards either way
 *
 * Each call inside runs as a SAVEPOINT: a call that fails (ALREADY_EXISTS, INVALID_ARGUMENT, …) undoes
 * only its own writes and the transaction stays usable — on PostgreSQL too. Calls on one transaction
 * handle are serialized (threads sharing it take turns); it holds one pooled write connection until it
 * ends, so keep it short and ALWAYS end it with daira_transaction_commit() or
 * daira_transaction_rollback() — which also free the handle. SQLite has one writer connection: a second
 * transaction, or a write on the platform handle, waits for the first to end (RESOURCE_EXHAUSTED after
 * the pool's acquire_timeout_ms, 5 s by default).
 * daira_platform_shutdown() (and so daira_platform_close()) rolls back every transaction still open:
 * later calls on its handle are FAILED_PRECONDITION, its commit is FAILED_PRECONDITION (nothing was
 * written), its rollback OK; the handle stays valid until then even after daira_platform_close().
 * daira_platform_shutdown()/daira_platform_close() on a transaction handle and a transaction begun on a
 * transaction handle (no nesting) are INVALID_ARGUMENT naming "platform". As with close, no other
 * thread may use a transaction handle during or after its commit or rollback. */

/* Begins a transaction on the platform handle `platform` (BEGIN; BEGIN IMMEDIATE on SQLite, taking
 * the write lock now so no later write in it waits for another writer). `options_json` (may be
 * NULL/0) is an object with:
 *   "isolation": string  "default" (the backend's: SQLite is serializable, PostgreSQL read committed),
 *                        "read_committed", "repeatable_read" or "serializable" (PostgreSQL; SQLite's
 *                        transactions are serializable whatever is asked)
 * On success stores the new transaction handle in `*out_tx` (end it with daira_transaction_commit()
 * or daira_transaction_rollback()). Fails with INVALID_ARGUMENT (an unknown option or isolation,
 * naming it; `platform` a transaction handle), FAILED_PRECONDITION (platform shut down), the pool's
 * errors (DEADLINE_EXCEEDED / UNAVAILABLE when no connection could be had). `out_tx` must not be NULL. */
DAIRA_C_EXPORT daira_code daira_transaction_begin(daira_platform_t* platform, const char* options_json,
                                                  size_t options_len, daira_platform_t** out_tx,
                                                  daira_error_t** err);

/* COMMITs the transaction `*tx`, then frees the handle and sets `*tx` to NULL — in every case, failure
 * included. A failed COMMIT rolls back: ABORTED (a serialization failure or lock conflict) means retry
 * the whole transaction; FAILED_PRECONDITION when shutdown already rolled it back (nothing was written).
 * `tx` == NULL or `*tx` == NULL, or `*tx` a platform handle, is INVALID_ARGUMENT naming "tx" (and the
 * handle is left alone). */
DAIRA_C_EXPORT daira_code daira_transaction_commit(daira_platform_t** tx, daira_error_t** err);

/* ROLLs BACK the transaction `*tx`, then frees the handle and sets `*tx` to NULL. OK when shutdown
 * already rolled it back; `*tx` == NULL is a no-op (OK), so cleanup paths need no check. `tx` == NULL or
 * `*tx` a platform handle is INVALID_ARGUMENT naming "tx". */
DAIRA_C_EXPORT daira_code daira_transaction_rollback(daira_platform_t** tx, daira_error_t** err);

/* ---- service calls ----------------------------------------------------------------------------- *
 * Every call below has the same shape:
 *   daira_code daira_<service>_<verb>(daira_platform_t* platform, const char* request_json,
 *                                     size_t request_len, char** out_json, daira_error_t** err);
 * The comment lists the request's fields (required ones marked *) and what `*out_json` holds.
 * Records: User {id, username, email, phone, avatar_url, is_verified, is_private, status, role,
 * last_login_at, created_at, updated_at, deleted_at}; Post {id, author_id, content, media_urls,
 * hashtags, mentions, likes_count, comments_count, status, visibility, created_at, updated_at,
 * deleted_at, author}; the others are listed in docs/bindings/c.md. */
typedef daira_code (*daira_call_fn)(daira_platform_t* platform, const char* request_json, size_t request_len,
                                    char** out_json, daira_error_t** err);

#define DAIRA_C_CALL(name)                                                                           \
  DAIRA_C_EXPORT daira_code name(daira_platform_t* platform, const char* request_json, size_t request_len, \
                                 char** out_json, daira_error_t** err)

/* accounts */
/* {email, phone, username*, password*, display_name} → User. INVALID_ARGUMENT listing violations;
 * ALREADY_EXISTS naming username/email/phone. */
DAIRA_C_CALL(daira_accounts_register);
/* {identifier* (email | E.164 phone | username), password*, device_type, device_name, ip_address,
 * user_agent} → Session {access_token, refresh_token, access_expires_at, refresh_expires_at,
 * session_id, user}. UNAUTHENTICATED "login: invalid credentials"; PERMISSION_DENIED (not ACTIVE). */
DAIRA_C_CALL(daira_accounts_login);
/* {refresh_token*} → Session (rotated). UNAUTHENTICATED for unknown/expired/revoked/reused tokens. */
DAIRA_C_CALL(daira_accounts_refresh);
/* {token*} (access or refresh) → {}. UNAUTHENTICATED when it matches no session. */
DAIRA_C_CALL(daira_accounts_logout);
/* {user_id*} → {"revoked": n}. */
DAIRA_C_CALL(daira_accounts_logout_everywhere);
/* {access_token*} → {user: User, session: {id, user_id, family_id, device_type, …, expires_at}}.
 * UNAUTHENTICATED when invalid. */
DAIRA_C_CALL(daira_accounts_check_token);
/* {user_id*, current_password*, new_password*} → {}. UNAUTHENTICATED when current_password is wrong. */
DAIRA_C_CALL(daira_accounts_change_password);

/* users (any status; secrets never returned) */
/* {id*} → User. NOT_FOUND. */
DAIRA_C_CALL(daira_users_get);
/* {ids*: [id,…]} → {users: [User,…] (order given, duplicates once), missing: [id,…]}. */
DAIRA_C_CALL(daira_users_get_many);
/* {username*} → User (normalized before lookup). NOT_FOUND. */
DAIRA_C_CALL(daira_users_find_by_username);
/* {email*} → User. NOT_FOUND. */
DAIRA_C_CALL(daira_users_find_by_email);
/* {status} (optional ACTIVE|SUSPENDED|BANNED|DELETED) → {"count": n}. */
DAIRA_C_CALL(daira_users_count);

/* profiles */
/* {user_id*} → {user: User, profile: Profile}. NOT_FOUND for unknown or deleted users. */
DAIRA_C_CALL(daira_profiles_get);
/* {user_id*, display_name, bio, location, avatar_url ("" removes), is_private} → {user, profile}. */
DAIRA_C_CALL(daira_profiles_update);
/* {user_id*} → {user_id, followers, following, posts, videos, likes_received}. */
DAIRA_C_CALL(daira_profiles_stats);

/* social */
/* {follower_id*, followee_id*} → Follow {id, follower_id, followee_id, status (ACTIVE|PENDING),
 * created_at, updated_at}. NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION "follow: blocked". */
DAIRA_C_CALL(daira_social_follow);
/* {followee_id*, follower_id*} → Follow (now ACTIVE). NOT_FOUND when no pending request. */
DAIRA_C_CALL(daira_social_accept_follow);
/* {followee_id*, follower_id*} → {}. */
DAIRA_C_CALL(daira_social_reject_follow);
/* {follower_id*, followee_id*} → {}. NOT_FOUND when there is no such edge. */
DAIRA_C_CALL(daira_social_unfollow);
/* {blocker_id*, blocked_id*, reason} → Block {id, blocker_id, blocked_id, reason, created_at}. */
DAIRA_C_CALL(daira_social_block);
/* {blocker_id*, blocked_id*} → {}. */
DAIRA_C_CALL(daira_social_unblock);
/* {a*, b*} → {"blocked": bool} (either direction). */
DAIRA_C_CALL(daira_social_is_blocked);
/* {muter_id*, muted_id*, mute_type (MUTE|HIDE_STORIES|HIDE_POSTS)} → Mute {id, muter_id, muted_id, mute_type,
 * created_at, expires_at}. */
DAIRA_C_CALL(daira_social_mute);
/* {muter_id*, muted_id*} → {}. */
DAIRA_C_CALL(daira_social_unmute);
/* {user_id*, limit, cursor} → page of {edge: Follow, user: {id, username, display_name, avatar_url,
 * is_verified, is_private}}: followers / following / pending requests / mutual follows. */
DAIRA_C_CALL(daira_social_followers);
DAIRA_C_CALL(daira_social_following);
DAIRA_C_CALL(daira_social_pending_requests);
DAIRA_C_CALL(daira_social_mutual_follows);

/* content */
/* {author_id*, content*, media_urls: [url,…], visibility (PUBLIC|FOLLOWERS|PRIVATE)} → Post. */
DAIRA_C_CALL(daira_content_create_post);
/* {post_id*} → Post (any status). NOT_FOUND. */
DAIRA_C_CALL(daira_content_get_post);
/* {post_id*, editor_id*, content, media_urls, visibility} → Post. PERMISSION_DENIED (not the author). */
DAIRA_C_CALL(daira_content_edit_post);
/* {actor_id*, post_id*} → {}. PERMISSION_DENIED (not the author). */
DAIRA_C_CALL(daira_content_delete_post);
/* {author_id*, post_id | video_id (exactly one), parent_id, content*} → Comment {id, target_type,
 * target_id, parent_id, author_id, content, mentions, likes_count, replies_count, status, created_at,
 * updated_at, deleted_at, author}. */
DAIRA_C_CALL(daira_content_create_comment);
/* {comment_id*} → Comment. */
DAIRA_C_CALL(daira_content_get_comment);
/* {actor_id*, comment_id*} → {}. */
DAIRA_C_CALL(daira_content_delete_comment);
/* {post_id | video_id (exactly one), parent_id, limit, cursor} → page of Comment (oldest first). */
DAIRA_C_CALL(daira_content_list_comments);
/* {user_id*, target_type* (POST|VIDEO|COMMENT), target_id*, reaction (LIKE|LOVE|LAUGH|SAD|ANGRY)}
 * → {created, changed, reaction}. */
DAIRA_C_CALL(daira_content_react);
/* {user_id*, target_type*, target_id*} → {"removed": bool}. */
DAIRA_C_CALL(daira_content_unreact);
/* {target_type*, target_id*} → {target_type, target_id, total, counts: {LIKE: n, …}}. */
DAIRA_C_CALL(daira_content_reactions_summary);
/* {author_id*, title*, description, duration_ms*, resolution, visibility, thumbnail_url} → Video
 * {id, author_id, title, description, hashtags, thumbnail_url, hls_url, duration_ms, resolution,
 * views_count, likes_count, comments_count, status, visibility, error, created_at, updated_at,
 * published_at}. */
DAIRA_C_CALL(daira_content_create_video);
/* {video_id*} → Video. */
DAIRA_C_CALL(daira_content_get_video);
/* {video_id*, status* (UPLOADING|PROCESSING|PUBLISHED|FAILED), hls_url, error} → Video.
 * FAILED_PRECONDITION for a move the state machine forbids. */
DAIRA_C_CALL(daira_content_transition_video);

/* feed (pages of Post, each with "author": {id, username, display_name, avatar_url, is_verified}) */
/* {viewer_id*, limit, cursor} → page of Post: followed accounts and the viewer, newest first. */
DAIRA_C_CALL(daira_feed_home);
/* {viewer_id*, author_id*, limit, cursor} → page of Post by one author as the viewer may see them. */
DAIRA_C_CALL(daira_feed_timeline);
/* {viewer_id*, tag* ("#daira" or "daira"), limit, cursor} → page of Post. */
DAIRA_C_CALL(daira_feed_hashtag);

/* search and trending */
/* {query*, scope (ALL|USERS), limit, cursor} → page of {id, username, display_name, avatar_url,
 * is_verified, rank_bucket}. */
DAIRA_C_CALL(daira_search_users);
/* {query* ("cairo nights", or "#cairo" for one tag's posts), viewer_id (absent: anonymous, PUBLIC posts
 * only), limit, cursor} → page of {post: Post with author, relevance}: whole-word matches first, then newest. */
DAIRA_C_CALL(daira_search_posts);
/* {query* ("nile sunset"; '#' is a separator: "#cairo" is the word "cairo"), viewer_id (absent: anonymous,
 * PUBLIC videos only), scope ("ALL" or "VIDEOS"), limit, cursor} → page of {video: Video, relevance}: PUBLISHED
 * videos the viewer may see whose title or description holds every word as a prefix, whole-word matches first. */
DAIRA_C_CALL(daira_search_videos);
/* {query* (a tag prefix, "#cai" or "cai"), limit, cursor} → page of {id, tag, posts_count, videos_count},
 * the exact tag first, then by use count. */
DAIRA_C_CALL(daira_search_hashtags);
/* {window_s (3600..7776000, default 7 days), limit, cursor} → page of {video: Video, score}. */
DAIRA_C_CALL(daira_trending_videos);
/* {window_s, limit} → {items: [{id, tag, uses, score},…]}. */
DAIRA_C_CALL(daira_trending_hashtags);

/* ---- typed single-id calls ---------------------------------------------------------------------- *
 * The single-record gets again, for hosts where the request JSON and the result allocation are the
 * cost (Node, Go): the id as an int64_t instead of a request to write and parse, and the record's
 * length returned. Each comes in two forms beside its JSON call (same service call, same record, same
 * errors: NOT_FOUND for an unknown id, INVALID_ARGUMENT from the service for an id it rejects):
 *
 *   daira_<call>_by_id(platform, id, &out_json, &out_len, &err)
 *     `*out_json` as the JSON call's (library-allocated, NUL-terminated, daira_free(); may be NULL when
 *     the record is not wanted) and its length without the NUL in `*out_len` (may be NULL).
 *   daira_<call>_by_id_into(platform, id, buf, cap, &len, &err)
 *     the record written into the caller's `buf` of `cap` bytes, WITHOUT a NUL terminator, and its
 *     length in `*len` (required: INVALID_ARGUMENT naming "len" when NULL). When it does not fit
 *     (length > cap): DAIRA_RESOURCE_EXHAUSTED naming "buf", `*len` = the size needed, nothing
 *     written — call again with a buffer that large. `buf` may be NULL only with `cap` 0 (a size
 *     query); NULL with cap > 0 is INVALID_ARGUMENT naming "buf". Nothing is ever written past `cap`.
 *     On any other failure `*len` is 0. A host keeps one buffer per thread and allocates nothing per call.
 *
 *   char buf[1024];
 *   size_t len = 0;
 *   if (daira_users_get_by_id_into(p, 385499981165711360, buf, sizeof buf, &len, &err) == DAIRA_OK)
 *     printf("%.*s\n", (int)len, buf);                        // {"id":"385499981165711360",…}
 *
 * On a transaction handle they run inside the transaction, like every call. */
typedef daira_code (*daira_id_call_fn)(daira_platform_t* platform, int64_t id, char** out_json,
                                       size_t* out_len, daira_error_t** err);
typedef daira_code (*daira_id_into_fn)(daira_platform_t* platform, int64_t id, char* buf, size_t cap,
                                       size_t* len, daira_error_t** err);

#define DAIRA_C_ID_CALL(name)                                                                                \
  DAIRA_C_EXPORT daira_code name##_by_id(daira_platform_t* platform, int64_t id, char** out_json,            \
                                         size_t* out_len, daira_error_t** err);                              \
  DAIRA_C_EXPORT daira_code name##_by_id_into(daira_platform_t* platform, int64_t id, char* buf, size_t cap, \
                                              size_t* len, daira_error_t** err)

/* daira_users_get_by_id(_into): daira_users_get {id} → User. */
DAIRA_C_ID_CALL(daira_users_get);
/* daira_profiles_get_by_id(_into): daira_profiles_get {user_id} → {user, profile}. */
DAIRA_C_ID_CALL(daira_profiles_get);
/* daira_profiles_stats_by_id(_into): daira_profiles_stats {user_id} → the counters. */
DAIRA_C_ID_CALL(daira_profiles_stats);
/* daira_content_get_post_by_id(_into): daira_content_get_post {post_id} → Post. */
DAIRA_C_ID_CALL(daira_content_get_post);
/* daira_content_get_comment_by_id(_into): daira_content_get_comment {comment_id} → Comment. */
DAIRA_C_ID_CALL(daira_content_get_comment);
/* daira_content_get_video_by_id(_into): daira_content_get_video {video_id} → Video. */
DAIRA_C_ID_CALL(daira_content_get_video);

/* ---- typed repositories ------------------------------------------------------------------------ *
 * Row-level access to wallets, transactions (the journal), payments, reports, reviews, audit_logs,
 * posts, videos, comments, follows, blocks, mutes, reactions, sessions and user_profiles, with field
 * masks, batch loads and keyset pages (docs/bindings/c.md lists every record's fields). Reads are
 * "record calls", with one more parameter than the service calls:
 *   daira_code daira_<repo>_<verb>(daira_platform_t* platform, const char* request_json,
 *                                  size_t request_len, const char* fields, char** out_json,
 *                                  daira_error_t** err);
 * `fields` is a NUL-terminated, comma-separated list of the record's field names ("id,balance,currency")
 * read only during the call; NULL or "" selects every field. The record then holds exactly the selected
 * fields (and "id", always); a selected field whose column is NULL is JSON null. An unknown name is
 * INVALID_ARGUMENT naming "fields", and so is a secret one (a session's token hashes). Ownership of
 * `*out_json` and `*err` is as for the service calls.
 *
 * For every <repo>:
 *   daira_<repo>_get       record call; {id*} → the record. NOT_FOUND "<table>: <entity> 9 not found".
 *   daira_<repo>_get_many  record call; request_json is a JSON ARRAY of ids ([1,"2",…], not an object)
 *                          → {items: [record,…] (order given, duplicates once), missing: [id,…]}.
 *                          INVALID_ARGUMENT naming "ids_json" (or "ids_json[i]") for anything else.
 *   daira_<repo>_exists    service call; {id*} → {"exists": bool}.
 *   daira_<repo>_count     service call; {the repository's filters, all optional} → {"count": n}.
 * Writes are service calls (no `fields`): create → the stored record with every field; update
 * ({id*, the fields to change}) → {}; delete ({id*}) → {}. Lists take {<key>*, limit, cursor} and return
 * pages as above. Posts, videos, comments and the six after them are read-only here (write through
 * daira_content_*, daira_social_*, daira_accounts_*). */
typedef daira_code (*daira_record_fn)(daira_platform_t* platform, const char* request_json, size_t request_len,
                                      const char* fields, char** out_json, daira_error_t** err);

#define DAIRA_C_RECORD_CALL(name)                                                                     \
  DAIRA_C_EXPORT daira_code name(daira_platform_t* platform, const char* request_json, size_t request_len, \
                                 const char* fields, char** out_json, daira_error_t** err)
#define DAIRA_C_RECORD_READS(repo)                \
  DAIRA_C_RECORD_CALL(daira_##repo##_get);        \
  DAIRA_C_RECORD_CALL(daira_##repo##_get_many);   \
  DAIRA_C_CALL(daira_##repo##_exists);            \
  DAIRA_C_CALL(daira_##repo##_count)

/* wallets: Wallet {id, user_id, balance, currency, earned_total, spent_total, tips_received,
 * last_payout_at, created_at, updated_at}; money in integer minor units. The money rule: no call writes a
 * balance or a total (they move only with journal rows, in the wallet service's transaction). */
/* count filters: {currency} */
DAIRA_C_RECORD_READS(wallets);
/* record call; {user_id*} → Wallet. NOT_FOUND "wallets: no wallet with user_id 7". */
DAIRA_C_RECORD_CALL(daira_wallets_find_by_user);
/* {user_id*, currency (3 upper-case letters, default "USD")} → Wallet (zero balance). ALREADY_EXISTS
 * naming user_id (one wallet per user); FAILED_PRECONDITION when the user does not exist. */
DAIRA_C_CALL(daira_wallets_create);
/* {id*, currency, last_payout_at (RFC 3339)} → {}. INVALID_ARGUMENT naming "patch" when neither is given,
 * naming balance / earned_total / spent_total / tips_received when the request tries to write money;
 * NOT_FOUND; FAILED_PRECONDITION naming "balance" when the currency changes while the balance is not 0. */
DAIRA_C_CALL(daira_wallets_update);
/* {id*} → {}. NOT_FOUND; FAILED_PRECONDITION while it holds money or journal rows / payments reference it. */
DAIRA_C_CALL(daira_wallets_delete);

/* transactions (the journal): Transaction {id, wallet_id, counterparty_wallet_id, type, status, amount,
 * currency, balance_after, metadata (a JSON object), idempotency_key, created_at, updated_at,
 * completed_at}. Appending a row does not touch the wallet's balance. */
/* count filters: {wallet_id, type, status} */
DAIRA_C_RECORD_READS(transactions);
/* record call; {wallet_id*, idempotency_key*} → Transaction. NOT_FOUND naming the key. */
DAIRA_C_RECORD_CALL(daira_transactions_find_by_idempotency_key);
/* record call; {wallet_id*, limit, cursor} → page of Transaction, newest first. */
DAIRA_C_RECORD_CALL(daira_transactions_list_by_wallet);
/* {wallet_id*, counterparty_wallet_id, type (DEPOSIT|WITHDRAWAL|TIP|EARNING|REFUND, default DEPOSIT),
 * status (PENDING|COMPLETED|FAILED, default PENDING), amount* (1..), currency, balance_after,
 * metadata (object), idempotency_key (8–128 of [A-Za-z0-9_-])} → Transaction. ALREADY_EXISTS naming
 * idempotency_key; FAILED_PRECONDITION when a wallet does not exist. */
DAIRA_C_CALL(daira_transactions_create);
/* {id*, status, completed_at, balance_after} → {}: settles a PENDING row. FAILED_PRECONDITION naming
 * "status" once the row is COMPLETED or FAILED (final); NOT_FOUND. */
DAIRA_C_CALL(daira_transactions_update);
/* {id*} → {}: a PENDING or FAILED row only. FAILED_PRECONDITION naming "status" for a COMPLETED row. */
DAIRA_C_CALL(daira_transactions_delete);

/* payments: Payment {id, user_id, wallet_id, transaction_id, provider, external_id, amount, currency,
 * status, error, metadata (a JSON object), created_at, updated_at}. */
/* count filters: {user_id, provider, status} */
DAIRA_C_RECORD_READS(payments);
/* record call; {provider* (STRIPE|PAYPAL|FAWRY|INSTAPAY), external_id*} → Payment. NOT_FOUND. */
DAIRA_C_RECORD_CALL(daira_payments_find_by_external_id);
/* record call; {user_id*, limit, cursor} → page of Payment, newest first. */
DAIRA_C_RECORD_CALL(daira_payments_list_by_user);
/* {user_id*, provider (default STRIPE), amount* (1..), currency, external_id, wallet_id, transaction_id,
 * status (PENDING|PROCESSING|COMPLETED|FAILED|REFUNDED, default PENDING), metadata (object)} → Payment.
 * ALREADY_EXISTS naming external_id; FAILED_PRECONDITION when the user, wallet or transaction is missing. */
DAIRA_C_CALL(daira_payments_create);
/* {id*, status, external_id, error ("" clears), wallet_id, transaction_id, metadata} → {}.
 * INVALID_ARGUMENT naming "patch" when empty; NOT_FOUND; ALREADY_EXISTS naming external_id. */
DAIRA_C_CALL(daira_payments_update);
/* {id*} → {}: a PENDING or FAILED payment only. FAILED_PRECONDITION naming "status" otherwise. */
DAIRA_C_CALL(daira_payments_delete);

/* reports: Report {id, reporter_id, content_type, content_id, reason, description, severity, status,
 * evidence (a JSON object), created_at, updated_at, resolved_at}. */
/* count filters: {status, severity, content_type, content_id} */
DAIRA_C_RECORD_READS(reports);
/* record call; {reporter_id*, content_type* (POST|VIDEO|COMMENT|USER), content_id*} → Report. NOT_FOUND. */
DAIRA_C_RECORD_CALL(daira_reports_find_by_reporter_and_content);
/* record call; {status* (PENDING|REVIEWING|RESOLVED|DISMISSED), severity (LOW|MEDIUM|HIGH|CRITICAL),
 * limit, cursor} → page of Report, oldest first (the moderation queue). */
DAIRA_C_RECORD_CALL(daira_reports_list_by_status);
/* {reporter_id*, content_type (default POST), content_id*, reason* (1–64 characters), description,
 * severity (default LOW), evidence (object)} → Report (PENDING). ALREADY_EXISTS naming content_id when the
 * reporter already reported it; FAILED_PRECONDITION when the reporter does not exist. */
DAIRA_C_CALL(daira_reports_create);
/* {id*, status, severity, description ("" clears), evidence, resolved_at} → {}. NOT_FOUND. */
DAIRA_C_CALL(daira_reports_update);
/* {id*} → {}: the report and its reviews. NOT_FOUND. */
DAIRA_C_CALL(daira_reports_delete);

/* reviews: Review {id, report_id, reviewer_id, decision, action_taken, reason, created_at}. */
/* count filters: {report_id, reviewer_id, decision} */
DAIRA_C_RECORD_READS(reviews);
/* record call; {report_id*, limit, cursor} → page of Review, oldest first. */
DAIRA_C_RECORD_CALL(daira_reviews_list_by_report);
/* {report_id*, reviewer_id*, decision (APPROVED|REJECTED|WARN|SUSPEND|BAN, default APPROVED),
 * action_taken, reason} → Review. FAILED_PRECONDITION when the report or moderator does not exist. */
DAIRA_C_CALL(daira_reviews_create);
/* {id*, decision, action_taken ("" clears), reason ("" clears)} → {}. NOT_FOUND. */
DAIRA_C_CALL(daira_reviews_update);
/* {id*} → {}. NOT_FOUND. */
DAIRA_C_CALL(daira_reviews_delete);

/* audit_logs (append-only, hash-chained; docs/moderation.md): AuditLog {id, actor_id, action, resource_type,
 * resource_id, changes (a JSON object), ip_address, user_agent, correlation_id, created_at, reason, seq,
 * prev_hash, hash}. */
/* count filters: {actor_id, action, resource_type, resource_id} */
DAIRA_C_RECORD_READS(audit_logs);
/* record call; {resource_type*, resource_id*, limit, cursor} → page of AuditLog, newest first. */
DAIRA_C_RECORD_CALL(daira_audit_logs_list_by_entity);
/* record call; {actor_id*, limit, cursor} → page of AuditLog, newest first. */
DAIRA_C_RECORD_CALL(daira_audit_logs_list_by_actor);
/* {actor_id (none: the system), action* ("user.ban"), resource_type* ("user"), resource_id, changes (object),
 * ip_address, user_agent, correlation_id, reason} → AuditLog (appended to the hash chain). FAILED_PRECONDITION when the actor does not exist. */
DAIRA_C_CALL(daira_audit_logs_create);
/* Always UNIMPLEMENTED "… the audit log is append-only …" (whatever the request holds); nothing changes. */
DAIRA_C_CALL(daira_audit_logs_update);
DAIRA_C_CALL(daira_audit_logs_delete);

/* ---- moderation, the service (docs/moderation.md) ---- */
/* {reporter_id*, content_type* (POST|VIDEO|COMMENT|USER), content_id*, reason* (SPAM|HARASSMENT|HATE_SPEECH|
 * VIOLENCE|OTHER), description, severity (LOW|MEDIUM|HIGH|CRITICAL, default LOW), evidence (object)} → Report
 * (PENDING). NOT_FOUND (content_id, reporter_id); ALREADY_EXISTS (content_id). May hide the target (the
 * auto-hide threshold) in the same transaction. */
DAIRA_C_CALL(daira_moderation_report);
/* {limit, cursor} → page of Report: the open reports, most severe first, then oldest. */
DAIRA_C_CALL(daira_moderation_queue);
/* {report_id*, reviewer_id*, decision* (APPROVED|REJECTED|WARN|SUSPEND|BAN), reason, action_taken} →
 * {report, review, audit, content_changed, sessions_revoked, notification_id}: the effect, the review,
 * the resolved report and the audit entry in one transaction; notification_id: the MODERATION
 * notification a WARN / SUSPEND / BAN sends the user it is about (null otherwise). PERMISSION_DENIED when the report is about the reviewer;
 * FAILED_PRECONDITION when it was already decided. */
DAIRA_C_CALL(daira_moderation_decide);
/* {actor_id, action*, resource_type*, resource_id, changes (object), reason} → AuditLog, appended to the
 * hash chain. */
DAIRA_C_CALL(daira_audit_append);
/* {batch (rows per statement, default 1000)} → {ok, checked, unchained[, first_bad_id, first_bad_seq,
 * problem]}: recomputes the audit log's hash chain; ok false names the first row that does not match. */
DAIRA_C_CALL(daira_audit_verify);

/* posts, videos, comments (read-only rows; Post/Video/Comment records as stored, without "author"):
 * PostRecord {id, author_id, content, media_urls, hashtags, mentions, likes_count, comments_count, status,
 * visibility, created_at, updated_at, deleted_at}; VideoRecord {id, author_id, title, description,
 * hashtags, source_key, thumbnail_url, hls_url, duration_ms, resolution, views_count, likes_count,
 * comments_count, status, visibility, error, created_at, updated_at, published_at, deleted_at};
 * CommentRecord {id, post_id, video_id, parent_id, author_id, content, mentions, likes_count,
 * replies_count, status, created_at, updated_at, deleted_at}. Every status is returned (deleted too). */
/* count filters: {author_id, status (ACTIVE|HIDDEN|DELETED)} */
DAIRA_C_RECORD_READS(posts);
/* record call; {author_id*, limit, cursor} → page of PostRecord, newest first. */
DAIRA_C_RECORD_CALL(daira_posts_list_by_author);
/* count filters: {author_id, status (UPLOADING|PROCESSING|PUBLISHED|FAILED)} */
DAIRA_C_RECORD_READS(videos);
/* record call; {author_id*, limit, cursor} → page of VideoRecord, newest first. */
DAIRA_C_RECORD_CALL(daira_videos_list_by_author);
/* count filters: {post_id, video_id, author_id, status} */
DAIRA_C_RECORD_READS(comments);
/* record calls; {post_id*} / {video_id*} / {parent_id*} with limit, cursor → page of CommentRecord,
 * oldest first: every comment of a post, of a video, or the direct replies to a comment. */
DAIRA_C_RECORD_CALL(daira_comments_list_by_post);
DAIRA_C_RECORD_CALL(daira_comments_list_by_video);
DAIRA_C_RECORD_CALL(daira_comments_list_replies);

/* follows: Follow {id, follower_id, followee_id, status ("ACTIVE" | "PENDING"), created_at, updated_at}.
 * Read-only (write through daira_social_*). count filters: {follower_id, followee_id, status} */
DAIRA_C_RECORD_READS(follows);
/* record call; {follower_id*, followee_id*} → Follow. NOT_FOUND "follows: user 1 does not follow user 2". */
DAIRA_C_RECORD_CALL(daira_follows_find_by_pair);
/* record calls; {followee_id* | follower_id*, limit, cursor} → page of Follow, newest first. */
DAIRA_C_RECORD_CALL(daira_follows_list_by_followee);
DAIRA_C_RECORD_CALL(daira_follows_list_by_follower);

/* blocks: Block {id, blocker_id, blocked_id, reason, created_at}. Read-only. count filters: {blocker_id,
 * blocked_id} */
DAIRA_C_RECORD_READS(blocks);
/* record call; {blocker_id*, blocked_id*} → Block (not the reverse one). NOT_FOUND "blocks: user 1 does not
 * block user 2". */
DAIRA_C_RECORD_CALL(daira_blocks_find_by_pair);
/* record call; {blocker_id*, limit, cursor} → page of Block, newest first. */
DAIRA_C_RECORD_CALL(daira_blocks_list_by_blocker);

/* mutes: Mute {id, muter_id, muted_id, mute_type ("MUTE" | "HIDE_STORIES" | "HIDE_POSTS"), created_at,
 * expires_at}. Read-only. count filters: {muter_id, muted_id, mute_type} */
DAIRA_C_RECORD_READS(mutes);
/* record call; {muter_id*, muted_id*} → Mute. NOT_FOUND "mutes: user 1 does not mute user 2". */
DAIRA_C_RECORD_CALL(daira_mutes_find_by_pair);
/* record call; {muter_id*, limit, cursor} → page of Mute, newest first. */
DAIRA_C_RECORD_CALL(daira_mutes_list_by_muter);

/* reactions (rows of `likes`): Reaction {id, user_id, post_id, video_id, comment_id (one of the three
 * set), reaction ("LIKE" | "LOVE" | "LAUGH" | "SAD" | "ANGRY"), created_at}. Read-only (write through
 * daira_content_react). count filters: {user_id, target_type + target_id, reaction} */
DAIRA_C_RECORD_READS(reactions);
/* record call; {user_id*, target_type* ("POST" | "VIDEO" | "COMMENT"), target_id*} → Reaction. NOT_FOUND
 * "likes: user 7 has no reaction to POST 42". */
DAIRA_C_RECORD_CALL(daira_reactions_find_by_user_and_target);
/* record call; {target_type*, target_id*, limit, cursor} → page of Reaction, newest first. */
DAIRA_C_RECORD_CALL(daira_reactions_list_by_target);

/* sessions (user_sessions): Session {id, user_id, family_id, device_type, device_name, ip_address,
 * user_agent, created_at, updated_at, last_used_at, expires_at, access_expires_at, revoked_at, replaced_by}.
 * Read-only. The token hashes are secret: `fields` naming refresh_token_hash or access_token_hash is
 * INVALID_ARGUMENT naming "fields", and no record carries them. count filters: {user_id, family_id,
 * revoked (bool)} */
DAIRA_C_RECORD_READS(sessions);
/* record calls; {user_id*, limit, cursor} → page of Session, newest first; {family_id*, limit, cursor} →
 * the rotation chain of one login, oldest first. */
DAIRA_C_RECORD_CALL(daira_sessions_list_by_user);
DAIRA_C_RECORD_CALL(daira_sessions_list_by_family);

/* user_profiles: UserProfile {user_id, display_name, bio, location, website, followers_count,
 * following_count, posts_count, videos_count, likes_received_count, trust_score (0..1), badges, created_at,
 * updated_at}. Keyed by the user: _get and _exists take {user_id*} (not {id}); _get_many an array of user
 * ids. Read-only. count filters: {min_followers_count (>= 0), trust_score_below (0..1)} */
DAIRA_C_RECORD_READS(user_profiles);

/* ---- event bus (docs/bus.md) -------------------------------------------------------------------- *
 * Durable job queues: producers enqueue, workers pull with daira_bus_next (there are no callbacks),
 * then complete, fail or report progress, fenced by the claim's lease_token. The queues are the
 * platform's configured ones (by default "video.transcode", "feed.fanout", "notification.push", … —
 * docs/bus.md lists them); another name is INVALID_ARGUMENT naming "queue".
 * Job {id, queue, name, payload, priority, state (WAITING|ACTIVE|COMPLETED|DEAD|CANCELLED), run_at,
 * attempt, max_attempts, idempotency_key, group_key, correlation_id, lease_owner, lease_expires_at,
 * lease_token (a string of digits), progress, result (compact JSON), errors: [{attempt, at, worker, message}],
 * created_at, updated_at, finished_at, cancel_requested}; payload/progress/result are JSON values (null
 * when unset). */
/* {queue*, name, payload (object, default {}), priority (higher first), delay_ms, max_attempts (0 = the
 * queue's), idempotency_key (an equal key within the queue's window returns the earlier job),
 * group_key (round-robin between groups when the queue is grouped), correlation_id} → {id,
 * deduplicated}. On a transaction handle (bus "sqlite:"/"postgres:") the job exists iff the
 * transaction commits. */
DAIRA_C_CALL(daira_bus_enqueue);
/* {jobs*: [enqueue request,…]} → {results: [{id, deduplicated},…]} in order; all or none. A bad field
 * of one is INVALID_ARGUMENT naming "jobs[i].<field>". */
DAIRA_C_CALL(daira_bus_enqueue_many);
/* {queue*, worker* (a stable id of this worker), timeout_ms (0..60000, default 0: do not wait)} →
 * {job: Job | null}: claims the next due job (its lease_token fences the calls below), waiting up to
 * timeout_ms for one (woken by an enqueue, also from another process on sqlite:/postgres:). The call
 * holds the platform meanwhile: daira_platform_shutdown() waits for it to return. */
DAIRA_C_CALL(daira_bus_next);
/* Batch consume: {queue*, worker*, max_jobs (1..1000, default 10), timeout_ms (as daira_bus_next)} →
 * {jobs: [Job,…]}: claims up to max_jobs due jobs in one round trip, in the order daira_bus_next would
 * (priority, FIFO, groups round-robin, limits), each with its own lease_token; waits up to timeout_ms
 * for at least one; [] when none. */
DAIRA_C_CALL(daira_bus_next_batch);
/* Batched completion: {outcomes*: [{id*, lease_token*, result (object)} | {id*, lease_token*, failed:
 * true, message},…]} → {results: [{id, ok, code, message},…]} in order: one transaction (sqlite,
 * postgres) or one script (redis) for the batch, fenced per job — an entry whose lease was lost gets
 * ok=false, code 9 (FAILED_PRECONDITION), and the others still finish (code is a daira_code). A bad
 * field is INVALID_ARGUMENT naming "outcomes[i].<field>" and finishes nothing. */
DAIRA_C_CALL(daira_bus_finish_many);
/* A worker's "done with these, give me the next ones" in one call: {outcomes* (as daira_bus_finish_many),
 * queue*, worker*, max_jobs (1..1000, default 10), timeout_ms (as daira_bus_next)} → {results: [as
 * daira_bus_finish_many], jobs: [Job,…] (as daira_bus_next_batch), claim_error: null | {code, message}}.
 * On sqlite:/postgres: (no rate limit, no round-robin groups) the finish and the first claim are one
 * transaction and one commit (on postgres one round trip); otherwise they run one after the other. The
 * finish is never held back by the wait. An error return means nothing was finished (a bad field of
 * either part); a claim that failed after the finish committed is claim_error (jobs then []). */
DAIRA_C_CALL(daira_bus_finish_many_and_next_batch);
/* {id*, lease_token*, result (object)} → {}. FAILED_PRECONDITION when the lease was lost (expired and
 * claimed again, or the job cancelled): the outcome is not recorded. */
DAIRA_C_CALL(daira_bus_complete);
/* {id*, lease_token*, message} → Job as it is now: waiting again (retry after backoff) or dead (its
 * last attempt). FAILED_PRECONDITION when the lease was lost. */
DAIRA_C_CALL(daira_bus_fail);
/* {id*, lease_token*, progress* (object)} → {}. FAILED_PRECONDITION when the lease was lost. */
DAIRA_C_CALL(daira_bus_progress);
/* {id*} → Job. NOT_FOUND. */
DAIRA_C_CALL(daira_bus_get);
/* {queue*} → {queue, waiting, delayed, active, completed, dead, cancelled, paused}. */
DAIRA_C_CALL(daira_bus_counts);
/* {queue*} → {}: daira_bus_next returns no job from a paused queue until it is resumed (enqueue still
 * works). */
DAIRA_C_CALL(daira_bus_pause);
DAIRA_C_CALL(daira_bus_resume);
/* {queue*, limit (1..10000, default 100)} → {items: [Job,…]}: the dead letters (jobs that failed
 * max_attempts times). */
DAIRA_C_CALL(daira_bus_dead_letters);
/* {queue*, ids ([id,…]; absent or empty: every dead job of the queue)} → {replayed: n}: dead jobs
 * waiting again with a fresh attempt count. */
DAIRA_C_CALL(daira_bus_replay);
/* {id*} → {}: a waiting job is CANCELLED at once; on a running one it sets cancel_requested, a signal its
 * worker reads with daira_bus_cancel_requested — the worker then stops and calls daira_bus_fail, and the
 * job ends CANCELLED (not retried). FAILED_PRECONDITION when the job is finished; NOT_FOUND. */
DAIRA_C_CALL(daira_bus_cancel);
/* {id*, lease_token*} → {cancel_requested: bool}: whether daira_bus_cancel was called on this running
 * job. FAILED_PRECONDITION when the lease was lost. */
DAIRA_C_CALL(daira_bus_cancel_requested);
/* Repeatable jobs (docs/bus.md "Repeatable jobs"): a definition enqueued on a schedule, each occurrence
 * exactly once across processes (any daira_bus_next on the queue runs the scheduler). Repeatable {queue,
 * key, name, payload, every_ms (0 for cron), cron ("" for every_ms), priority, max_attempts, next_run_at,
 * last_run_at (null: none yet), created_at, updated_at}. */
/* {queue*, key* (1..200 bytes; an existing key is replaced), name, payload (object), every_ms (>= 1000)
 * | cron ("min hour day-of-month month day-of-week", UTC; exactly one of the two), priority, max_attempts}
 * → Repeatable. A bad cron field is INVALID_ARGUMENT naming "cron.minute", "cron.hour", … */
DAIRA_C_CALL(daira_bus_repeatable_add);
/* {queue (absent: every queue)} → {items: [Repeatable,…]} by queue, then key. */
DAIRA_C_CALL(daira_bus_repeatable_list);
/* {queue*, key*} → {}: no further occurrences. NOT_FOUND naming the key. */
DAIRA_C_CALL(daira_bus_repeatable_remove);

/* ---- real-time (docs/realtime.md) ---------------------------------------------------------------- *
 * Channels with per-channel sequence numbers, subscriptions the host PULLS from (no callbacks: no
 * library thread calls into the host), recovery of missed messages, presence and typing. The hub is the
 * platform's "realtime" concern (memory: in this process, redis://… across instances). None of these
 * joins a transaction: on a transaction handle a publish happens at once, whatever the commit does.
 * Message {channel, epoch, sequence, payload, time}: epoch and sequence are strings of digits (64-bit
 * unsigned; (epoch, sequence) identifies a message, sequences are 1, 2, 3… per channel and epoch);
 * payload is the published string. A Position is {epoch, sequence} (integers or strings of digits). */
/* {channel*, payload* (string)} → {channel, epoch, sequence}. INVALID_ARGUMENT for a bad channel name or
 * an oversized payload; UNAVAILABLE when the backend cannot be reached (nothing published). */
DAIRA_C_CALL(daira_realtime_publish);
/* {channel*, since (Position; absent: the whole current epoch)} → {messages: [Message,…]}: exactly the
 * messages after `since`, oldest first. OUT_OF_RANGE when that is impossible (history trimmed or
 * expired, epoch changed): reload from the database instead. */
DAIRA_C_CALL(daira_realtime_recover);
/* {user_id*, device* (≤ 128 bytes), status ("online" default | "away")} → {}: the device is live until
 * now + the presence TTL (default 60 s). */
DAIRA_C_CALL(daira_presence_heartbeat);
/* {user_id*, device*} → {}: signs the device out at once. */
DAIRA_C_CALL(daira_presence_disconnect);
/* {user_ids*: [id,…] (at most 10000)} → {users: [{user_id, status (online|away|offline), devices,
 * last_seen (time or null)},…]} in the order asked. */
DAIRA_C_CALL(daira_presence_get_many);
/* {conversation_id*, user_id*} → {published: bool}: publishes a "start" typing event on the user's
 * conversation channel unless one was published within the throttle interval. */
DAIRA_C_CALL(daira_typing_start);
/* {conversation_id*, user_id*} → {published: bool}: publishes "stop" when the user was typing. */
DAIRA_C_CALL(daira_typing_stop);

/* Subscribes to a channel, or to a pattern when `target` contains '*'. request_json: {target*,
 * queue_size (1..1000000, default 1024), slow_consumer ("drop_oldest" default: a full queue drops its
 * oldest message and counts it | "disconnect": a full queue closes the subscription,
 * RESOURCE_EXHAUSTED), resume_from (Position; exact channels only: first every message after it, then
 * the live ones, no duplicate and no gap, or OUT_OF_RANGE)}. Returns once the subscription is live:
 * every message published after that is delivered (at most once). On success stores the handle in
 * `*out` (the caller closes it: daira_subscription_close()); `out` must not be NULL. */
DAIRA_C_EXPORT daira_code daira_realtime_subscribe(daira_platform_t* platform, const char* request_json,
                                                   size_t request_len, daira_subscription_t** out,
                                                   daira_error_t** err);
/* The next message, waiting at most `timeout_ms` (0..60000; 0: only what is queued now). `*out_json` is
 * {message: Message | null (none in time), dropped: n, interruptions: n} (messages dropped by the
 * drop_oldest policy so far; times live delivery was interrupted, redis:// reconnects — recover from the
 * last position seen when it grows). Once the subscription is closed and drained: FAILED_PRECONDITION
 * (the platform shut down) or RESOURCE_EXHAUSTED (a disconnected slow consumer). NULL subscription:
 * INVALID_ARGUMENT naming "subscription". One subscription may be read from several threads (each
 * message goes to one of them). */
DAIRA_C_EXPORT daira_code daira_subscription_next(daira_subscription_t* subscription, int timeout_ms,
                                                  char** out_json, daira_error_t** err);
/* A file descriptor that polls readable (POLLIN) while a message is queued or the subscription is
 * closed: event loops poll it, then drain with daira_subscription_next(sub, 0, …). Owned by the
 * subscription: never read or close it. -1 for NULL. */
DAIRA_C_EXPORT int daira_subscription_fd(const daira_subscription_t* subscription);
/* Unsubscribes, frees `*subscription` and sets it to NULL (`*subscription` == NULL: a no-op, OK;
 * `subscription` == NULL: INVALID_ARGUMENT). No other thread may use it during or after the call. A
 * subscription may be closed after its platform (it is then closed already: next returns
 * FAILED_PRECONDITION). */
DAIRA_C_EXPORT daira_code daira_subscription_close(daira_subscription_t** subscription, daira_error_t** err);

/* ---- chat and notifications (docs/realtime.md, "Chat", "Notifications") ---------------------------- *
 * Persisted in the database, then published after commit on the platform's hub: chat events on
 * "conversation:{id}" and on "user:{id}" of every member, notifications on "user:{id}" (subscribe with
 * daira_realtime_subscribe; payloads are JSON with a "type"). On a transaction handle the writes join it
 * and the events follow its commit (none after a rollback). Ids in outputs are strings of digits.
 * Conversation {id, kind, title, created_by, last_message_id, created_at}; ChatMessage {id,
 * conversation_id, sender_id, reply_to_id, body, attachments, created_at, edited_at, deleted};
 * Notification {id, user_id, kind, actor_id, target_type, target_id, actor_count, latest_actors,
 * payload (object), read, created_at, updated_at}. */
/* {creator_id*, member_ids*: [id,…], kind ("DIRECT" default | "GROUP"), title} → Conversation. DIRECT:
 * one per pair (asking again returns it). PERMISSION_DENIED across a block; NOT_FOUND naming member_ids. */
DAIRA_C_CALL(daira_chat_create_conversation);
/* {conversation_id*, sender_id*, body, attachments: [url,…], reply_to_id} → ChatMessage. NOT_FOUND naming
 * conversation_id (not a member); FAILED_PRECONDITION (the sender left); PERMISSION_DENIED (a block). */
DAIRA_C_CALL(daira_chat_send);
/* {viewer_id*, conversation_id*, limit (1..100, default 50), cursor} → {items: [ChatMessage,…] newest
 * first, next_cursor, has_more}. A member who left sees up to when they left. */
DAIRA_C_CALL(daira_chat_history);
/* {user_id*, conversation_id*, message_id*} → {}: read receipt (never moves back). */
DAIRA_C_CALL(daira_chat_mark_read);
/* {user_id*, conversation_id*} → {unread: n}: messages from others after the receipt, not deleted. */
DAIRA_C_CALL(daira_chat_unread_count);
/* {user_id*, conversation_id*} → {}: leaves (history up to now stays readable, nothing after). */
DAIRA_C_CALL(daira_chat_leave);
/* {editor_id*, message_id*, body*} → message: the sender edits their own message (PERMISSION_DENIED
 * naming sender_id for someone else's; FAILED_PRECONDITION for a deleted one). */
DAIRA_C_CALL(daira_chat_edit);
/* {user_id*, message_id*} → {}: the sender deletes their own message (it reads as deleted). Idempotent. */
DAIRA_C_CALL(daira_chat_delete);
/* {viewer_id*, conversation_id*, message_id*, before (0..100, default 10), after (0..100, default 10)}
 * → {items: [message,…]} oldest first, around the message. */
DAIRA_C_CALL(daira_chat_around);
/* {viewer_id*, conversation_id*} → {items: [{user_id, role, last_read_message_id, joined_at},…]}: the
 * current members, by join order. */
DAIRA_C_CALL(daira_chat_members);
/* {actor_id*, conversation_id*, user_id*, role ("MEMBER" default | "ADMIN")} → {}: GROUP only; the actor
 * is its OWNER or an ADMIN (only the OWNER adds an ADMIN). */
DAIRA_C_CALL(daira_chat_add_member);
/* {actor_id*, conversation_id*, user_id*} → {}: the OWNER removes anyone, an ADMIN removes MEMBERs. */
DAIRA_C_CALL(daira_chat_remove_member);
/* {user_id*, kind* (FOLLOW|FOLLOW_REQUEST|LIKE|COMMENT|REPLY|MENTION|TIP|VIDEO_PUBLISHED|MESSAGE|SYSTEM|MODERATION),
 * actor_id, target_type ([A-Z_]{1,32}), target_id, payload (object)} → Notification: a new row, or the
 * unread group of the same kind and target (within the platform's grouping window) it folded into. */
DAIRA_C_CALL(daira_notifications_notify);
/* {user_id*, limit (1..100, default 20), cursor, unread_only (bool)} → {items: [Notification,…] newest
 * activity first, next_cursor, has_more}. */
DAIRA_C_CALL(daira_notifications_list);
/* {user_id*} → {unread: n} (a group counts once). */
DAIRA_C_CALL(daira_notifications_unread_count);
/* {user_id*, notification_id*} → {}. NOT_FOUND naming notification_id when it is not the user's. */
DAIRA_C_CALL(daira_notifications_mark_read);
/* {user_id*} → {changed: n}. */
DAIRA_C_CALL(daira_notifications_mark_all_read);

/* ---- cache (docs/cache.md) ----------------------------------------------------------------------- *
 * The platform's "cache" concern (memory: in this process, redis://… shared by instances). Values are
 * strings (store JSON as its text). Not transactional: on a transaction handle the call happens at once.
 * A key the cache refuses is INVALID_ARGUMENT. */
/* {key*} → {value: string | null (a miss: absent or expired)}. */
DAIRA_C_CALL(daira_cache_get);
/* {key*, value* (string), ttl_ms (absent: the key namespace's policy TTL; 0: no expiry; > 0)} → {}. */
DAIRA_C_CALL(daira_cache_set);
/* {keys*: [key,…]} → {deleted: n} (how many existed). */
DAIRA_C_CALL(daira_cache_delete);
/* {keys*: [key,…]} → {values: [string | null,…]} in order (one round trip on Redis). */
DAIRA_C_CALL(daira_cache_mget);

/* ---- rate limits (docs/ratelimit.md) -------------------------------------------------------------- *
 * The platform's rate limiter (in-process with a memory: cache, on the cache's Redis with redis://…,
 * exact across instances). Endpoints come from the open option "rate_limits". */
/* {key*, endpoint*, cost (default 1)} → {allowed, remaining, limit, retry_after_ms, reset_after_ms,
 * degraded (the backend failed and the check was let through uncounted)}. A refused check is OK with
 * allowed false (nothing counted). An endpoint with no limit is INVALID_ARGUMENT naming it. */
DAIRA_C_CALL(daira_rate_limit_check);

/* ---- vectors (docs/cache.md) ---------------------------------------------------------------------- *
 * Users' recommendation embeddings: float32 vectors in the database (user_embeddings), read through the
 * cache's vector:{user} (30 days) and invalidated after commit. Transactional: on a transaction handle
 * the call runs inside it (reads bypass the cache; the invalidation waits for the commit, and a rollback
 * leaves the cache as it was). Values cross as JSON numbers; each read-back value is the shortest text
 * that parses to the same float32. NOT_FOUND naming the user for an unknown or deleted user. */
/* {user_id*} → {embedding: [number,…] | null (none stored)}. */
DAIRA_C_CALL(daira_vectors_get);
/* {user_id*, embedding*: [number,…] (1..4096 finite values, each within float32's range)} → {}: stores
 * (replaces) it. INVALID_ARGUMENT naming embedding (or embedding[i]); nothing is written then. */
DAIRA_C_CALL(daira_vectors_put);
/* {user_id*} → {deleted: bool} (whether there was one). */
DAIRA_C_CALL(daira_vectors_delete);

/* ---- blobs (docs/storage.md) ---------------------------------------------------------------------- *
 * The platform's "blobs" concern (file:DIR, s3://…). ObjectInfo {key, size, content_type, etag, modified}.
 * Not transactional. Put and get carry the bytes beside the JSON request. */
/* Stores `data_len` bytes at `data` (NULL with 0: empty) under {key*, content_type (default
 * application/octet-stream)}, replacing any object, atomically → ObjectInfo. */
DAIRA_C_EXPORT daira_code daira_blob_put(daira_platform_t* platform, const char* request_json, size_t request_len,
                                         const void* data, size_t data_len, char** out_json, daira_error_t** err);
/* {key*, offset, length (either given: that range; OUT_OF_RANGE when offset >= size)} → the bytes in
 * `*out_data` (library-allocated, NUL-appended for convenience, freed with daira_free) and their count in
 * `*out_len`. NOT_FOUND naming the key. `out_data` and `out_len` must not be NULL. */
DAIRA_C_EXPORT daira_code daira_blob_get(daira_platform_t* platform, const char* request_json, size_t request_len,
                                         char** out_data, size_t* out_len, daira_error_t** err);
/* {key*} → {} (OK when there was none). */
DAIRA_C_CALL(daira_blob_delete);
/* {key*} → {exists: bool}. */
DAIRA_C_CALL(daira_blob_exists);
/* {key*} → ObjectInfo. NOT_FOUND. */
DAIRA_C_CALL(daira_blob_stat);
/* {prefix, page_token, limit (1..1000, default 1000)} → {items: [ObjectInfo,…] (key order), next_token
 * ("" on the last page)}. */
DAIRA_C_CALL(daira_blob_list);
/* {key*, expiry_s (default 3600; S3: 1 s..7 days)} → {url}: a presigned GET on S3 (the object need not
 * exist), a file:// URL on file:. */
DAIRA_C_CALL(daira_blob_url);

/* money (docs/money.md; bindings/c/src/money.cc): wallets over the double-entry ledger. A movement is
 * {id, type (DEPOSIT|WITHDRAWAL|TIP|EARNING|REFUND), status (PENDING|COMPLETED|FAILED), user_id, wallet_id,
 * counterparty_wallet_id (or null), amount, fee, currency, balance_after, refund_of (or null), description
 * (or null), created_at}; ids are strings of digits, amounts integers in minor units. Every call that moves
 * money takes idempotency_key* (8-128 of [A-Za-z0-9_-]): the same key with the same request returns the
 * first movement and moves nothing; with another request FAILED_PRECONDITION naming "idempotency_key".
 * A refused call (INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION naming the field) writes nothing. */
/* {user_id*, amount*, currency (default "USD"), provider* (STRIPE|PAYPAL|FAWRY|INSTAPAY), idempotency_key*}
 * → movement (PENDING). */
DAIRA_C_CALL(daira_money_deposit);
/* {transaction_id*} → movement (COMPLETED, the wallet credited; again → the same). FAILED_PRECONDITION
 * naming "status" on a FAILED deposit. */
DAIRA_C_CALL(daira_money_confirm_deposit);
/* {transaction_id*} → movement (FAILED). FAILED_PRECONDITION on a COMPLETED deposit. */
DAIRA_C_CALL(daira_money_fail_deposit);
/* {user_id*, amount*, currency, provider*, idempotency_key*} → movement (PENDING: the amount held at once).
 * FAILED_PRECONDITION naming "amount" when the balance is short. */
DAIRA_C_CALL(daira_money_withdraw);
/* {transaction_id*} → movement (COMPLETED: paid out). */
DAIRA_C_CALL(daira_money_complete_withdrawal);
/* {transaction_id*} → movement (FAILED: the hold released). */
DAIRA_C_CALL(daira_money_fail_withdrawal);
/* {sender_id*, receiver_id*, amount*, currency, idempotency_key*, note} → movement (COMPLETED; fee = the
 * platform's part). */
DAIRA_C_CALL(daira_money_tip);
/* {user_id*, amount*, currency, idempotency_key*, description} → movement (EARNING, COMPLETED: paid by the
 * platform account, e.g. a creator payout or a referral bonus). */
DAIRA_C_CALL(daira_money_earn);
/* {transaction_id*, amount*, idempotency_key*, reason, actor_id (the admin named in the refund's audit
 * row; absent: the system)} → refund movement. FAILED_PRECONDITION naming
 * "amount" (more than remains) or "transaction_id" (not refundable, already fully refunded). */
DAIRA_C_CALL(daira_money_refund);
/* {user_id*, currency} → {wallet_id, currency, balance, earned_total, spent_total, tips_received}. */
DAIRA_C_CALL(daira_money_balance);
/* {user_id*, currency, limit, cursor} → {items: [{line_id, transaction_id, type, status, amount (signed),
 * currency, description, created_at}], next_cursor, prev_cursor, has_more}, newest first. */
DAIRA_C_CALL(daira_money_statement);

/* payment service (docs/money.md "Payments"; bindings/c/src/payment_service.cc): deposits through a
 * payment provider and its signed webhooks. Providers come from the open option "payments" (the
 * row-level daira_payments_* calls above are the repository). A payment is the daira_payments_get
 * record. */
/* {user_id*, amount*, currency (default "USD"), provider*, idempotency_key*, external_id (an intent the
 * application created itself at the provider; absent: the provider creates one)} → {movement (PENDING),
 * payment (PENDING), client_secret ("" on a replay or with external_id)}. FAILED_PRECONDITION naming
 * "provider" when none is configured for it; the same key with another external_id
 * FAILED_PRECONDITION naming "external_id". */
DAIRA_C_CALL(daira_payment_service_start_deposit);
/* {provider*, payload* (the request body exactly as received, as a JSON string), signature* (the
 * Stripe-Signature header: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>)} → {outcome
 * ("applied" | "duplicate": the event id was handled before, nothing moved | "ignored": a late or
 * unknown event that changed nothing), movement (or null), payment (or null), refund (refund events:
 * as daira_payment_service_refund returns it, or null)}. UNAUTHENTICATED naming
 * "signature" (bad signature, or a timestamp outside the replay window; nothing written);
 * INVALID_ARGUMENT naming "provider" (unknown name) or "signature" (malformed header); NOT_FOUND
 * naming "external_id"; FAILED_PRECONDITION naming "provider" when it is not configured. */
DAIRA_C_CALL(daira_payment_service_handle_webhook);
/* {external_id*, succeeded (default true), provider (default "STRIPE"), refund_id (that refund's event
 * instead of the payment's)} → {payload, signature}: the webhook the local provider would POST for that
 * payment or refund (moves nothing by itself; pass it to daira_payment_service_handle_webhook).
 * FAILED_PRECONDITION naming "provider" without a local one. */
DAIRA_C_CALL(daira_payment_service_settle);
/* {transaction_id* (a COMPLETED deposit started through a provider), amount*, idempotency_key*, reason,
 * actor_id (for the audit row "payment.refund")} → {movement (REFUND, PENDING: the amount is held),
 * provider, external_id, refund_id, error (null)}. The provider's signed refund webhook (settle with
 * refund_id) completes it once (outcome "applied", then "duplicate"/"ignored") or fails it (the hold is
 * released; error says why); handle_webhook's output then carries "refund". Never more than remains,
 * never twice; the same key returns the first output. FAILED_PRECONDITION naming "transaction_id",
 * "amount", "idempotency_key" or "provider"; nothing written on any error. */
DAIRA_C_CALL(daira_payment_service_refund);
/* {transaction_id*} → the refund as daira_payment_service_refund returns it, as it stands now (error
 * set once FAILED). NOT_FOUND naming "transaction_id" when it is no provider refund. */
DAIRA_C_CALL(daira_payment_service_get_refund);

#undef DAIRA_C_RECORD_READS
#undef DAIRA_C_RECORD_CALL
#undef DAIRA_C_CALL

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DAIRA_C_H_ */
