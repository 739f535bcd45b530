// A short, deterministic fuzz run of the C ABI's JSON entry points: for a fixed number of iterations,
// pick an entry point and feed it a valid request for it, a mutation of one (bytes flipped, inserted,
// deleted, truncated, values swapped for other types), or random JSON built from the calls' field
// names. Record calls (the typed repositories) also get a field mask: none, a valid one, a mutation of
// it, or random names. Every call must return a code in 0..16 with out_json set exactly on success (and valid JSON),
// an error object exactly on failure (with a message), and never crash or leak (ASan build).
//
//   c_abi_fuzz [--iterations=N] [--seed=S] <database url>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "daira/core/json.h"
#include "daira_c.h"

namespace {

struct EntryPoint {
  const char* name;
  daira_call_fn fn;  // null for a record call
  std::string seed;  // a valid request; $A / $B / $P / $W / $R: two user ids, a post, a wallet, a report
  daira_record_fn record = nullptr;  // a record call (takes `fields`)
  const char* fields = nullptr;      // a valid field mask for it
};

std::vector<EntryPoint> EntryPoints() {
  return {
      {"accounts.register", daira_accounts_register,
       R"({"username":"fuzzer","email":"f@example.com","password":"long enough pw","display_name":"F"})"},
      {"accounts.login", daira_accounts_login, R"({"identifier":"alice","password":"correct horse battery"})"},
      {"accounts.refresh", daira_accounts_refresh, R"({"refresh_token":"abcdefghijklmnopqrstuvwxyz"})"},
      {"accounts.logout", daira_accounts_logout, R"({"token":"abc.def"})"},
      {"accounts.logout_everywhere", daira_accounts_logout_everywhere, R"({"user_id":"$B"})"},
      {"accounts.check_token", daira_accounts_check_token, R"({"access_token":"1.abc"})"},
      {"accounts.change_password", daira_accounts_change_password,
       R"({"user_id":"$B","current_password":"x","new_password":"yyyyyyyyy"})"},
      {"users.get", daira_users_get, R"({"id":"$A"})"},
      {"users.get_many", daira_users_get_many, R"({"ids":["$A","$B",3]})"},
      {"users.find_by_username", daira_users_find_by_username, R"({"username":"alice"})"},
      {"users.find_by_email", daira_users_find_by_email, R"({"email":"alice@example.com"})"},
      {"users.count", daira_users_count, R"({"status":"ACTIVE"})"},
      {"profiles.get", daira_profiles_get, R"({"user_id":"$A"})"},
      {"profiles.update", daira_profiles_update, R"({"user_id":"$A","bio":"hi","is_private":false})"},
      {"profiles.stats", daira_profiles_stats, R"({"user_id":"$A"})"},
      {"social.follow", daira_social_follow, R"({"follower_id":"$B","followee_id":"$A"})"},
      {"social.accept_follow", daira_social_accept_follow, R"({"followee_id":"$A","follower_id":"$B"})"},
      {"social.reject_follow", daira_social_reject_follow, R"({"followee_id":"$A","follower_id":"$B"})"},
      {"social.unfollow", daira_social_unfollow, R"({"follower_id":"$B","followee_id":"$A"})"},
      {"social.block", daira_social_block, R"({"blocker_id":"$B","blocked_id":"$A","reason":"r"})"},
      {"social.unblock", daira_social_unblock, R"({"blocker_id":"$B","blocked_id":"$A"})"},
      {"social.is_blocked", daira_social_is_blocked, R"({"a":"$A","b":"$B"})"},
      {"social.mute", daira_social_mute, R"({"muter_id":"$B","muted_id":"$A","mute_type":"HIDE_POSTS"})"},
      {"social.unmute", daira_social_unmute, R"({"muter_id":"$B","muted_id":"$A"})"},
      {"social.followers", daira_social_followers, R"({"user_id":"$A","limit":5,"cursor":""})"},
      {"social.following", daira_social_following, R"({"user_id":"$B","limit":5})"},
      {"social.pending_requests", daira_social_pending_requests, R"({"user_id":"$A"})"},
      {"social.mutual_follows", daira_social_mutual_follows, R"({"user_id":"$A"})"},
      {"content.create_post", daira_content_create_post,
       R"({"author_id":"$A","content":"fuzz #tag @bob","media_urls":["https://x.io/a.png"],"visibility":"PUBLIC"})"},
      {"content.get_post", daira_content_get_post, R"({"post_id":"$P"})"},
      {"content.edit_post", daira_content_edit_post, R"({"post_id":"$P","editor_id":"$A","content":"edited"})"},
      {"content.delete_post", daira_content_delete_post, R"({"actor_id":"$B","post_id":"$P"})"},
      {"content.create_comment", daira_content_create_comment, R"({"author_id":"$B","post_id":"$P","content":"c"})"},
      {"content.get_comment", daira_content_get_comment, R"({"comment_id":"1"})"},
      {"content.delete_comment", daira_content_delete_comment, R"({"actor_id":"$B","comment_id":"1"})"},
      {"content.list_comments", daira_content_list_comments, R"({"post_id":"$P","limit":3})"},
      {"content.react", daira_content_react,
       R"({"user_id":"$B","target_type":"POST","target_id":"$P","reaction":"SAD"})"},
      {"content.unreact", daira_content_unreact, R"({"user_id":"$B","target_type":"POST","target_id":"$P"})"},
      {"content.reactions_summary", daira_content_reactions_summary, R"({"target_type":"POST","target_id":"$P"})"},
      {"content.create_video", daira_content_create_video,
       R"({"author_id":"$A","title":"t","duration_ms":1000,"resolution":"720p"})"},
      {"content.get_video", daira_content_get_video, R"({"video_id":"1"})"},
      {"content.transition_video", daira_content_transition_video, R"({"video_id":"1","status":"PROCESSING"})"},
      {"bus.enqueue", daira_bus_enqueue,
       R"({"queue":"feed.fanout","name":"f","payload":{"k":[1]},"priority":2,"delay_ms":0,"idempotency_key":"fz"})"},
      {"bus.enqueue_many", daira_bus_enqueue_many, R"({"jobs":[{"queue":"search.index"},{"queue":"feed.fanout"}]})"},
      {"bus.next", daira_bus_next, R"({"queue":"feed.fanout","worker":"fz"})"},
      {"bus.complete", daira_bus_complete, R"({"id":"1","lease_token":"1","result":{}})"},
      {"bus.fail", daira_bus_fail, R"({"id":"1","lease_token":"1","message":"m"})"},
      {"bus.progress", daira_bus_progress, R"({"id":"1","lease_token":"1","progress":{"p":1}})"},
      {"bus.get", daira_bus_get, R"({"id":"1"})"},
      {"bus.counts", daira_bus_counts, R"({"queue":"feed.fanout"})"},
      {"bus.pause", daira_bus_pause, R"({"queue":"search.index"})"},
      {"bus.resume", daira_bus_resume, R"({"queue":"search.index"})"},
      {"bus.dead_letters", daira_bus_dead_letters, R"({"queue":"feed.fanout","limit":5})"},
      {"bus.replay", daira_bus_replay, R"({"queue":"feed.fanout","ids":["1"]})"},
      {"bus.cancel", daira_bus_cancel, R"({"id":"1"})"},
      {"bus.cancel_requested", daira_bus_cancel_requested, R"({"id":"1","lease_token":"1"})"},
      {"bus.repeatable_add", daira_bus_repeatable_add,
       R"({"queue":"feed.fanout","key":"fz","name":"n","payload":{"a":1},"cron":"*/5 1-3 * * 1,5","priority":1})"},
      {"bus.repeatable_list", daira_bus_repeatable_list, R"({"queue":"feed.fanout"})"},
      {"bus.repeatable_remove", daira_bus_repeatable_remove, R"({"queue":"feed.fanout","key":"fz"})"},
      {"realtime.publish", daira_realtime_publish, R"({"channel":"topic:fuzz","payload":"p"})"},
      {"realtime.recover", daira_realtime_recover, R"({"channel":"topic:fuzz","since":{"epoch":"1","sequence":0}})"},
      {"presence.heartbeat", daira_presence_heartbeat, R"({"user_id":"$A","device":"d","status":"away"})"},
      {"presence.disconnect", daira_presence_disconnect, R"({"user_id":"$A","device":"d"})"},
      {"presence.get_many", daira_presence_get_many, R"({"user_ids":["$A","$B"]})"},
      {"typing.start", daira_typing_start, R"({"conversation_id":"7","user_id":"$A"})"},
      {"typing.stop", daira_typing_stop, R"({"conversation_id":"7","user_id":"$A"})"},
      {"chat.create_conversation", daira_chat_create_conversation, R"({"creator_id":"$A","member_ids":["$B"]})"},
      {"chat.send", daira_chat_send, R"({"conversation_id":"7","sender_id":"$A","body":"hi","attachments":[]})"},
      {"chat.history", daira_chat_history, R"({"viewer_id":"$A","conversation_id":"7","limit":5})"},
      {"chat.mark_read", daira_chat_mark_read, R"({"user_id":"$A","conversation_id":"7","message_id":"9"})"},
      {"chat.unread_count", daira_chat_unread_count, R"({"user_id":"$A","conversation_id":"7"})"},
      {"chat.leave", daira_chat_leave, R"({"user_id":"$A","conversation_id":"7"})"},
      {"chat.edit", daira_chat_edit, R"({"editor_id":"$A","message_id":"9","body":"hi"})"},
      {"chat.delete", daira_chat_delete, R"({"user_id":"$A","message_id":"9"})"},
      {"chat.around", daira_chat_around,
       R"({"viewer_id":"$A","conversation_id":"7","message_id":"9","before":2,"after":2})"},
      {"chat.members", daira_chat_members, R"({"viewer_id":"$A","conversation_id":"7"})"},
      {"chat.add_member", daira_chat_add_member,
       R"({"actor_id":"$A","conversation_id":"7","user_id":"$B","role":"ADMIN"})"},
      {"chat.remove_member", daira_chat_remove_member, R"({"actor_id":"$A","conversation_id":"7","user_id":"$B"})"},
      {"rate_limits.check", daira_rate_limit_check, R"({"key":"$A","endpoint":"login","cost":1})"},
      {"vectors.put", daira_vectors_put, R"({"user_id":"$A","embedding":[0.5,-1,3.25]})"},
      {"vectors.get", daira_vectors_get, R"({"user_id":"$A"})"},
      {"vectors.delete", daira_vectors_delete, R"({"user_id":"$A"})"},
      {"money.earn", daira_money_earn, R"({"user_id":"$A","amount":5,"idempotency_key":"fuzz-earn-1"})"},
      {"payment_service.start_deposit", daira_payment_service_start_deposit,
       R"({"user_id":"$A","amount":5,"provider":"STRIPE","idempotency_key":"fuzz-dep-1","external_id":"pi_f"})"},
      {"payment_service.handle_webhook", daira_payment_service_handle_webhook,
       R"({"provider":"STRIPE","payload":"{\"id\":\"evt_f\",\"type\":\"payment_intent.succeeded\",)"
       R"(\"data\":{\"object\":{\"id\":\"pi_f\"}}}","signature":"t=1700000000,v1=00"})"},
      {"payment_service.settle", daira_payment_service_settle,
       R"({"external_id":"pi_f","succeeded":false,"provider":"STRIPE"})"},
      {"payment_service.refund", daira_payment_service_refund,
       R"({"transaction_id":"7","amount":5,"idempotency_key":"fuzz-ref-1","reason":"r","actor_id":"$A"})"},
      {"payment_service.get_refund", daira_payment_service_get_refund, R"({"transaction_id":"7"})"},
      {"notifications.notify", daira_notifications_notify,
       R"({"user_id":"$A","kind":"LIKE","actor_id":"$B","target_type":"POST","target_id":"7","payload":{"k":1}})"},
      {"notifications.list", daira_notifications_list, R"({"user_id":"$A","limit":5,"unread_only":true})"},
      {"notifications.unread_count", daira_notifications_unread_count, R"({"user_id":"$A"})"},
      {"notifications.mark_read", daira_notifications_mark_read, R"({"user_id":"$A","notification_id":"9"})"},
      {"notifications.mark_all_read", daira_notifications_mark_all_read, R"({"user_id":"$A"})"},
      {"cache.get", daira_cache_get, R"({"key":"fuzz:k"})"},
      {"cache.set", daira_cache_set, R"({"key":"fuzz:k","value":"v","ttl_ms":60000})"},
      {"cache.delete", daira_cache_delete, R"({"keys":["fuzz:k","fuzz:j"]})"},
      {"cache.mget", daira_cache_mget, R"({"keys":["fuzz:k","fuzz:j"]})"},
      {"blob.exists", daira_blob_exists, R"({"key":"fuzz/a.bin"})"},
      {"blob.stat", daira_blob_stat, R"({"key":"fuzz/a.bin"})"},
      {"blob.list", daira_blob_list, R"({"prefix":"fuzz/","limit":2})"},
      {"blob.url", daira_blob_url, R"({"key":"fuzz/a.bin","expiry_s":60})"},
      {"blob.delete", daira_blob_delete, R"({"key":"fuzz/a.bin"})"},
      {"feed.home", daira_feed_home, R"({"viewer_id":"$B","limit":10})"},
      {"feed.timeline", daira_feed_timeline, R"({"viewer_id":"$B","author_id":"$A"})"},
      {"feed.hashtag", daira_feed_hashtag, R"({"viewer_id":"$B","tag":"#tag"})"},
      {"search.users", daira_search_users, R"({"query":"ali","scope":"USERS","limit":5})"},
      {"search.posts", daira_search_posts, R"({"query":"hello world","limit":5})"},
      {"search.hashtags", daira_search_hashtags, R"({"query":"#dai","limit":5})"},
      {"trending.videos", daira_trending_videos, R"({"window_s":86400,"limit":5})"},
      {"trending.hashtags", daira_trending_hashtags, R"({"window_s":86400,"limit":5})"},
      // typed repositories
      {"wallets.get", nullptr, R"({"id":"$W"})", daira_wallets_get, "id,balance,currency"},
      {"wallets.get_many", nullptr, R"(["$W",2,"3"])", daira_wallets_get_many, "user_id"},
      {"wallets.count", daira_wallets_count, R"({"currency":"USD"})"},
      {"wallets.exists", daira_wallets_exists, R"({"id":"$W"})"},
      {"wallets.find_by_user", nullptr, R"({"user_id":"$A"})", daira_wallets_find_by_user, "balance"},
      {"wallets.create", daira_wallets_create, R"({"user_id":"$B","currency":"EUR"})"},
      {"wallets.update", daira_wallets_update, R"({"id":"$W","last_payout_at":"2026-11-29T10:00:00Z"})"},
      {"wallets.delete", daira_wallets_delete, R"({"id":"$W"})"},
      {"transactions.get", nullptr, R"({"id":"1"})", daira_transactions_get, "amount,status"},
      {"transactions.get_many", nullptr, R"([1,"2"])", daira_transactions_get_many, "metadata"},
      {"transactions.count", daira_transactions_count, R"({"wallet_id":"$W","type":"TIP","status":"PENDING"})"},
      {"transactions.exists", daira_transactions_exists, R"({"id":"1"})"},
      {"transactions.find_by_idempotency_key", nullptr, R"({"wallet_id":"$W","idempotency_key":"fuzz-key-1"})",
       daira_transactions_find_by_idempotency_key, "type"},
      {"transactions.list_by_wallet", nullptr, R"({"wallet_id":"$W","limit":3})", daira_transactions_list_by_wallet,
       "amount,created_at"},
      {"transactions.create", daira_transactions_create,
       R"({"wallet_id":"$W","type":"DEPOSIT","amount":100,"metadata":{"k":[1]},"idempotency_key":"fuzz-key-1"})"},
      {"transactions.update", daira_transactions_update, R"({"id":"1","status":"COMPLETED","balance_after":100})"},
      {"transactions.delete", daira_transactions_delete, R"({"id":"1"})"},
      {"payments.get", nullptr, R"({"id":"1"})", daira_payments_get, "status,error"},
      {"payments.get_many", nullptr, R"(["1"])", daira_payments_get_many, nullptr},
      {"payments.count", daira_payments_count, R"({"user_id":"$A","provider":"FAWRY"})"},
      {"payments.exists", daira_payments_exists, R"({"id":"1"})"},
      {"payments.find_by_external_id", nullptr, R"({"provider":"STRIPE","external_id":"pi_fuzz"})",
       daira_payments_find_by_external_id, "amount"},
      {"payments.list_by_user", nullptr, R"({"user_id":"$A","limit":2})", daira_payments_list_by_user, "provider"},
      {"payments.create", daira_payments_create,
       R"({"user_id":"$A","provider":"STRIPE","amount":250,"external_id":"pi_fuzz","wallet_id":"$W"})"},
      {"payments.update", daira_payments_update, R"({"id":"1","status":"FAILED","error":"declined"})"},
      {"payments.delete", daira_payments_delete, R"({"id":"1"})"},
      {"reports.get", nullptr, R"({"id":"$R"})", daira_reports_get, "reason,evidence"},
      {"reports.get_many", nullptr, R"(["$R"])", daira_reports_get_many, "status"},
      {"reports.count", daira_reports_count, R"({"status":"PENDING","content_type":"POST","content_id":"$P"})"},
      {"reports.exists", daira_reports_exists, R"({"id":"$R"})"},
      {"reports.find_by_reporter_and_content", nullptr,
       R"({"reporter_id":"$B","content_type":"POST","content_id":"$P"})", daira_reports_find_by_reporter_and_content,
       "severity"},
      {"reports.list_by_status", nullptr, R"({"status":"PENDING","severity":"LOW","limit":4})",
       daira_reports_list_by_status, "content_id"},
      {"reports.create", daira_reports_create,
       R"({"reporter_id":"$A","content_type":"USER","content_id":"$B","reason":"HARASSMENT","evidence":{}})"},
      {"reports.update", daira_reports_update, R"({"id":"$R","status":"RESOLVED","resolved_at":"2026-11-29T10:00:00Z"})"},
      {"reports.delete", daira_reports_delete, R"({"id":"$R"})"},
      {"reviews.get", nullptr, R"({"id":"1"})", daira_reviews_get, "decision"},
      {"reviews.get_many", nullptr, R"([1])", daira_reviews_get_many, "reason"},
      {"reviews.count", daira_reviews_count, R"({"report_id":"$R","decision":"WARN"})"},
      {"reviews.exists", daira_reviews_exists, R"({"id":"1"})"},
      {"reviews.list_by_report", nullptr, R"({"report_id":"$R"})", daira_reviews_list_by_report, "reviewer_id"},
      {"reviews.create", daira_reviews_create, R"({"report_id":"$R","reviewer_id":"$A","decision":"BAN"})"},
      {"reviews.update", daira_reviews_update, R"({"id":"1","reason":"n"})"},
      {"reviews.delete", daira_reviews_delete, R"({"id":"1"})"},
      {"audit_logs.get", nullptr, R"({"id":"1"})", daira_audit_logs_get, "action"},
      {"audit_logs.get_many", nullptr, R"(["1",2])", daira_audit_logs_get_many, "changes"},
      {"audit_logs.count", daira_audit_logs_count, R"({"actor_id":"$A","action":"user.ban"})"},
      {"audit_logs.exists", daira_audit_logs_exists, R"({"id":"1"})"},
      {"audit_logs.list_by_entity", nullptr, R"({"resource_type":"user","resource_id":"$B"})",
       daira_audit_logs_list_by_entity, "actor_id"},
      {"audit_logs.list_by_actor", nullptr, R"({"actor_id":"$A","limit":2})", daira_audit_logs_list_by_actor,
       "resource_id"},
      {"audit_logs.create", daira_audit_logs_create,
       R"({"actor_id":"$A","action":"user.ban","resource_type":"user","resource_id":"$B","changes":{"a":1}})"},
      {"audit_logs.update", daira_audit_logs_update, R"({"id":"1"})"},
      {"audit_logs.delete", daira_audit_logs_delete, R"({"id":"1"})"},
      {"moderation.report", daira_moderation_report,
       R"({"reporter_id":"$A","content_type":"USER","content_id":"$B","reason":"SPAM","severity":"HIGH"})"},
      {"moderation.queue", daira_moderation_queue, R"({"limit":3})"},
      {"moderation.decide", daira_moderation_decide, R"({"report_id":"$R","reviewer_id":"$A","decision":"WARN"})"},
      {"audit.append", daira_audit_append, R"({"action":"a.b","resource_type":"user","reason":"r"})"},
      {"audit.verify", daira_audit_verify, R"({"batch":10})"},
      {"posts.get", nullptr, R"({"id":"$P"})", daira_posts_get, "id,content,likes_count"},
      {"posts.get_many", nullptr, R"(["$P",1])", daira_posts_get_many, "hashtags"},
      {"posts.count", daira_posts_count, R"({"author_id":"$A","status":"ACTIVE"})"},
      {"posts.exists", daira_posts_exists, R"({"id":"$P"})"},
      {"posts.list_by_author", nullptr, R"({"author_id":"$A","limit":2})", daira_posts_list_by_author, "status"},
      {"videos.get", nullptr, R"({"id":"1"})", daira_videos_get, "title"},
      {"videos.get_many", nullptr, R"([1])", daira_videos_get_many, "status"},
      {"videos.count", daira_videos_count, R"({"status":"PUBLISHED"})"},
      {"videos.exists", daira_videos_exists, R"({"id":"1"})"},
      {"videos.list_by_author", nullptr, R"({"author_id":"$A"})", daira_videos_list_by_author, "views_count"},
      {"comments.get", nullptr, R"({"id":"1"})", daira_comments_get, "content"},
      {"comments.get_many", nullptr, R"([1,"2"])", daira_comments_get_many, "mentions"},
      {"comments.count", daira_comments_count, R"({"post_id":"$P","status":"ACTIVE"})"},
      {"comments.exists", daira_comments_exists, R"({"id":"1"})"},
      {"comments.list_by_post", nullptr, R"({"post_id":"$P"})", daira_comments_list_by_post, "parent_id"},
      {"comments.list_by_video", nullptr, R"({"video_id":"1"})", daira_comments_list_by_video, "video_id"},
      {"comments.list_replies", nullptr, R"({"parent_id":"1"})", daira_comments_list_replies, "replies_count"},
      {"follows.get", nullptr, R"({"id":"1"})", daira_follows_get, "status"},
      {"follows.get_many", nullptr, R"([1,"2"])", daira_follows_get_many, "follower_id"},
      {"follows.count", daira_follows_count, R"({"followee_id":"$B","status":"ACTIVE"})"},
      {"follows.exists", daira_follows_exists, R"({"id":"1"})"},
      {"follows.find_by_pair", nullptr, R"({"follower_id":"$A","followee_id":"$B"})", daira_follows_find_by_pair,
       "created_at"},
      {"follows.list_by_followee", nullptr, R"({"followee_id":"$B","limit":2})", daira_follows_list_by_followee,
       "follower_id"},
      {"follows.list_by_follower", nullptr, R"({"follower_id":"$A"})", daira_follows_list_by_follower, "status"},
      {"blocks.get", nullptr, R"({"id":"1"})", daira_blocks_get, "reason"},
      {"blocks.get_many", nullptr, R"([1])", daira_blocks_get_many, "blocked_id"},
      {"blocks.count", daira_blocks_count, R"({"blocker_id":"$A"})"},
      {"blocks.exists", daira_blocks_exists, R"({"id":"1"})"},
      {"blocks.find_by_pair", nullptr, R"({"blocker_id":"$A","blocked_id":"$B"})", daira_blocks_find_by_pair, "id"},
      {"blocks.list_by_blocker", nullptr, R"({"blocker_id":"$A"})", daira_blocks_list_by_blocker, "reason"},
      {"mutes.get", nullptr, R"({"id":"1"})", daira_mutes_get, "mute_type"},
      {"mutes.get_many", nullptr, R"([1])", daira_mutes_get_many, "expires_at"},
      {"mutes.count", daira_mutes_count, R"({"muter_id":"$A","mute_type":"MUTE"})"},
      {"mutes.exists", daira_mutes_exists, R"({"id":"1"})"},
      {"mutes.find_by_pair", nullptr, R"({"muter_id":"$A","muted_id":"$B"})", daira_mutes_find_by_pair, "mute_type"},
      {"mutes.list_by_muter", nullptr, R"({"muter_id":"$A","limit":3})", daira_mutes_list_by_muter, "muted_id"},
      {"reactions.get", nullptr, R"({"id":"1"})", daira_reactions_get, "reaction"},
      {"reactions.get_many", nullptr, R"([1,2])", daira_reactions_get_many, "post_id"},
      {"reactions.count", daira_reactions_count, R"({"target_type":"POST","target_id":"$P","reaction":"LIKE"})"},
      {"reactions.exists", daira_reactions_exists, R"({"id":"1"})"},
      {"reactions.find_by_user_and_target", nullptr, R"({"user_id":"$A","target_type":"POST","target_id":"$P"})",
       daira_reactions_find_by_user_and_target, "reaction"},
      {"reactions.list_by_target", nullptr, R"({"target_type":"POST","target_id":"$P"})",
       daira_reactions_list_by_target, "user_id"},
      {"sessions.get", nullptr, R"({"id":"1"})", daira_sessions_get, "device_type,refresh_token_hash"},
      {"sessions.get_many", nullptr, R"([1])", daira_sessions_get_many, "expires_at"},
      {"sessions.count", daira_sessions_count, R"({"user_id":"$A","revoked":false})"},
      {"sessions.exists", daira_sessions_exists, R"({"id":"1"})"},
      {"sessions.list_by_user", nullptr, R"({"user_id":"$A"})", daira_sessions_list_by_user, "access_token_hash"},
      {"sessions.list_by_family", nullptr, R"({"family_id":"1"})", daira_sessions_list_by_family, "family_id"},
      {"user_profiles.get", nullptr, R"({"user_id":"$A"})", daira_user_profiles_get, "trust_score,badges"},
      {"user_profiles.get_many", nullptr, R"(["$A","$B"])", daira_user_profiles_get_many, "followers_count"},
      {"user_profiles.count", daira_user_profiles_count, R"({"min_followers_count":0,"trust_score_below":0.5})"},
      {"user_profiles.exists", daira_user_profiles_exists, R"({"user_id":"$B"})"},
      {"search.videos", daira_search_videos, R"({"query":"nile sunset","scope":"VIDEOS","limit":5})"},
  };
}

const char* const kFieldNames[] = {"id", "ids", "user_id", "username", "email", "password", "identifier",
                                   "follower_id", "followee_id", "post_id", "video_id", "parent_id",
                                   "content", "limit", "cursor", "tag", "query", "status", "kind", "mute_type",
                                   "target_type", "target_id", "media_urls", "window_s", "viewer_id",
                                   "wallet_id", "amount", "currency", "balance", "provider", "external_id",
                                   "metadata", "idempotency_key", "type", "reporter_id", "content_type",
                                   "content_id", "reason", "severity", "evidence", "report_id", "reviewer_id",
                                   "decision", "action", "resource_type", "resource_id", "changes",
                                   "author_id", "last_payout_at", "completed_at", "balance_after", "blocker_id",
                                   "blocked_id", "muter_id", "muted_id", "family_id", "revoked",
                                   "min_followers_count", "trust_score_below", "scope"};

const char* const kAtoms[] = {"null", "true", "false", "0", "-1", "1", "9223372036854775807",
                              "-9223372036854775808", "18446744073709551615", "1e308", "-0.5", "\"\"",
                              "\"0\"", "\"-3\"", "\"99999999999999999999\"", "\"POST\"", "\"#\"",
                              "\"\\u0000\"", "\"\\ud800\"", "\"\xc3\xa9\"", "[]", "{}", "[[[[]]]]"};

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }

  std::string RandomValue(int depth) {
    switch (Below(depth > 2 ? 2 : 5)) {
      case 0:
        return kAtoms[Below(std::size(kAtoms))];
      case 1: {
        std::string s = "\"";
        for (size_t i = 0, n = Below(12); i < n; ++i) {
          char ch = static_cast<char>(32 + Below(95));
          if (ch == '"' || ch == '\\') ch = 'q';
          s += ch;
        }
        return s + "\"";
      }
      case 2:
        return std::to_string(static_cast<int64_t>(rng_()));
      case 3: {
        std::string s = "[";
        for (size_t i = 0, n = Below(4); i < n; ++i) s += (i ? "," : "") + RandomValue(depth + 1);
        return s + "]";
      }
      default:
        return RandomObject(depth + 1);
    }
  }

  std::string RandomObject(int depth) {
    std::string s = "{";
    for (size_t i = 0, n = Below(5); i < n; ++i) {
      s += (i ? "," : "");
      s += "\"";
      s += kFieldNames[Below(std::size(kFieldNames))];
      s += "\":" + RandomValue(depth);
    }
    return s + "}";
  }

  std::string Mutate(std::string s) {
    for (size_t round = 0, rounds = 1 + Below(4); round < rounds && !s.empty(); ++round) {
      const size_t at = Below(s.size());
      switch (Below(6)) {
        case 0: s[at] = static_cast<char>(rng_()); break;                        // flip a byte
        case 1: s.insert(at, 1, "{}[]\",:\\0\xff"[Below(11)]); break;             // insert a token byte
        case 2: s.erase(at, 1 + Below(4)); break;                                 // delete bytes
        case 3: s.resize(at); break;                                              // truncate
        case 4: {                                                                 // swap a value's type
          const size_t colon = s.find(':', at);
          if (colon != std::string::npos) {
            const size_t end = s.find_first_of(",}", colon);
            s.replace(colon + 1, (end == std::string::npos ? s.size() : end) - colon - 1, RandomValue(1));
          }
          break;
        }
        default: s.insert(at, s.substr(at, Below(16))); break;                    // duplicate a span
      }
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

std::string Substitute(std::string s, const std::string& a, const std::string& b, const std::string& post,
                       const std::string& wallet, const std::string& report) {
  for (auto [key, value] : {std::pair<std::string, const std::string*>{"$A", &a}, {"$B", &b}, {"$P", &post},
                            {"$W", &wallet}, {"$R", &report}}) {
    for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at)) s.replace(at, 2, *value);
  }
  return s;
}

// The typed single-id calls (daira_<call>_by_id and _by_id_into): fuzzed with ids (valid, 0, negative,
// random) and buffers (NULL, too small, exact, large) after the JSON entry points, with their own
// count, so the JSON run's sequence stays what it was.
struct IdEntryPoint {
  const char* name;
  daira_id_call_fn by_id;
  daira_id_into_fn into;
  char id;  // which seeded id is valid for it: 'A', 'B' (users) or 'P' (a post); 0 for none
};

const IdEntryPoint kIdEntryPoints[] = {
    {"users.get_by_id", daira_users_get_by_id, daira_users_get_by_id_into, 'A'},
    {"profiles.get_by_id", daira_profiles_get_by_id, daira_profiles_get_by_id_into, 'B'},
    {"profiles.stats_by_id", daira_profiles_stats_by_id, daira_profiles_stats_by_id_into, 'A'},
    {"content.get_post_by_id", daira_content_get_post_by_id, daira_content_get_post_by_id_into, 'P'},
    {"content.get_comment_by_id", daira_content_get_comment_by_id, daira_content_get_comment_by_id_into, 0},
    {"content.get_video_by_id", daira_content_get_video_by_id, daira_content_get_video_by_id_into, 0},
};

// The "id" string of a JSON record, or "".
std::string IdOf(const char* json) {
  auto v = daira::ParseJson(json == nullptr ? "" : json);
  if (!v.ok() || v->Get("id") == nullptr) return "";
  return v->Get("id")->AsString();
}

int failures = 0;

void Expect(bool ok, const char* name, const std::string& input, const char* what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "c_abi_fuzz: %s: %s (input %zu bytes: %.200s)\n", name, what, input.size(),
               input.c_str());
}
void Expect(bool ok, const EntryPoint& e, const std::string& input, const char* what) {
  Expect(ok, e.name, input, what);
}

// One typed single-id call: a code in range; on success no error and the record (valid JSON) of the
// length reported, within cap; RESOURCE_EXHAUSTED for a record longer than cap, with its length; any
// other failure an error object and length 0. Nothing written past cap (guard bytes after it).
void FuzzIdCall(daira_platform_t* p, const IdEntryPoint& e, int64_t id, Fuzzer& fuzz, long codes[17]) {
  daira_error_t* err = nullptr;
  const std::string input = "id " + std::to_string(id);
  const int c = static_cast<int>(fuzz.Below(2));
  daira_code code;
  if (c == 0) {
    char* out = reinterpret_cast<char*>(0x1);  // must be overwritten
    size_t len = 12345;
    code = e.by_id(p, id, &out, &len, &err);
    if (code == DAIRA_OK) {
      Expect(out != nullptr && std::strlen(out) == len, e.name, input, "out_json and out_len disagree");
      Expect(out != nullptr && daira::ParseJson(out).ok(), e.name, input,
             "success without a valid JSON record");
      daira_free(out);
    } else {
      Expect(out == nullptr && len == 0, e.name, input, "out_json / out_len set on failure");
    }
  } else {
    static const size_t kCaps[] = {0, 1, 16, 64, 200, 4096};
    const size_t cap = kCaps[fuzz.Below(std::size(kCaps))];
    const bool null_buf = cap == 0 && fuzz.Below(2) == 0;
    std::vector<char> buf(cap + 64, '#');
    size_t len = 12345;
    code = e.into(p, id, null_buf ? nullptr : buf.data(), cap, &len, &err);
    bool guard = true;
    for (size_t i = cap; i < buf.size(); ++i) guard &= buf[i] == '#';
    Expect(guard, e.name, input + " cap " + std::to_string(cap), "written past cap");
    if (code == DAIRA_OK) {
      Expect(len <= cap && daira::ParseJson(std::string(buf.data(), len)).ok(), e.name, input,
             "success without a valid JSON record");
    } else if (code == DAIRA_RESOURCE_EXHAUSTED) {
      Expect(len > cap, e.name, input, "RESOURCE_EXHAUSTED without the size needed");
    } else {
      Expect(len == 0, e.name, input, "len set on failure");
    }
  }
  const int k = static_cast<int>(code);
  Expect(k >= 0 && k <= 16, e.name, input, "code out of range");
  if (k >= 0 && k <= 16) ++codes[k];
  if (code == DAIRA_OK) {
    Expect(err == nullptr, e.name, input, "error object left on success");
  } else {
    Expect(err != nullptr && daira_error_code(err) == code, e.name, input,
           "no error object matching the code");
    Expect(err != nullptr && std::strlen(daira_error_message(err)) > 0, e.name, input, "empty error message");
    Expect(code != DAIRA_INTERNAL && code != DAIRA_UNKNOWN, e.name, input, daira_error_message(err));
  }
  daira_error_free(&err);
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 4000;
  uint64_t seed = 1;
  const char* url = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--iterations=", 13) == 0) {
      iterations = std::strtol(argv[i] + 13, nullptr, 10);
    } else if (std::strncmp(argv[i], "--seed=", 7) == 0) {
      seed = std::strtoull(argv[i] + 7, nullptr, 10);
    } else {
      url = argv[i];
    }
  }
  if (url == nullptr) {
    std::fprintf(stderr, "usage: %s [--iterations=N] [--seed=S] <database url>\n", argv[0]);
    return 2;
  }
  // A local payment provider, so the payment service's calls get past "not configured".
  const std::string options =
      R"({"password_cost":"test","payments":[{"provider":"STRIPE","secret":"whsec_fuzz"}]})";
  daira_platform_t* p = nullptr;
  daira_error_t* err = nullptr;
  if (daira_platform_open(url, std::strlen(url), options.data(), options.size(), &p, &err) != DAIRA_OK) {
    std::fprintf(stderr, "open: %s\n", daira_error_message(err));
    daira_error_free(&err);
    return 1;
  }
  // Two users and a post, so valid requests reach the services' deeper paths.
  std::string ids[2];
  const char* users[] = {R"({"username":"alice","email":"alice@example.com","password":"correct horse battery"})",
                         R"({"username":"bob","email":"bob@example.com","password":"correct horse battery"})"};
  for (int i = 0; i < 2; ++i) {
    char* out = nullptr;
    daira_accounts_register(p, users[i], std::strlen(users[i]), &out, &err);
    ids[i] = IdOf(out);
    daira_free(out);
  }
  std::string post_request = R"({"author_id":")" + ids[0] + R"(","content":"seed post #tag"})";
  char* out = nullptr;
  daira_content_create_post(p, post_request.data(), post_request.size(), &out, &err);
  const std::string post = IdOf(out);
  daira_free(out);
  // A wallet and a report for the typed-repository calls.
  std::string wallet_request = R"({"user_id":")" + ids[0] + R"("})";
  out = nullptr;
  daira_wallets_create(p, wallet_request.data(), wallet_request.size(), &out, &err);
  const std::string wallet = IdOf(out);
  daira_free(out);
  std::string report_request =
      R"({"reporter_id":")" + ids[1] + R"(","content_type":"POST","content_id":")" + post + R"(","reason":"SPAM"})";
  out = nullptr;
  daira_reports_create(p, report_request.data(), report_request.size(), &out, &err);
  const std::string report = IdOf(out);
  daira_free(out);
  if (ids[0].empty() || ids[1].empty() || post.empty() || wallet.empty() || report.empty()) {
    std::fprintf(stderr, "c_abi_fuzz: setup failed: %s\n", daira_error_message(err));
    daira_error_free(&err);
    daira_platform_close(&p, nullptr);
    return 1;
  }

  const std::vector<EntryPoint> entries = EntryPoints();
  Fuzzer fuzz(seed);
  long codes[17] = {};
  for (long i = 0; i < iterations; ++i) {
    const EntryPoint& e = entries[fuzz.Below(entries.size())];
    const std::string valid = Substitute(e.seed, ids[0], ids[1], post, wallet, report);
    std::string input;
    switch (fuzz.Below(4)) {
      case 0: input = valid; break;
      case 1:
      case 2: input = fuzz.Mutate(valid); break;
      default: input = valid[0] == '[' ? fuzz.RandomValue(0) : fuzz.RandomObject(0); break;
    }
    // Exactly `input.size()` bytes, in a buffer of that size (ASan sees any read past the end).
    std::vector<char> bytes(input.begin(), input.end());
    char* result = reinterpret_cast<char*>(0x1);  // must be overwritten
    daira_code code;
    if (e.record != nullptr) {
      // The mask: none, the valid one, a mutation of it, or random names (NUL-terminated).
      std::string fields = e.fields == nullptr ? "" : e.fields;
      const size_t pick = fuzz.Below(4);
      if (pick == 2) fields = fuzz.Mutate(fields);
      if (pick == 3) {
        fields.clear();
        for (size_t k = 0, n = fuzz.Below(4); k < n; ++k) fields += std::string(k ? "," : "") + kFieldNames[fuzz.Below(std::size(kFieldNames))];
      }
      fields = fields.c_str();  // up to an inserted NUL
      input += " [fields " + fields + "]";
      code = e.record(p, bytes.data(), bytes.size(), pick == 0 ? nullptr : fields.c_str(), &result, &err);
    } else {
      code = e.fn(p, bytes.data(), bytes.size(), &result, &err);
    }
    const int c = static_cast<int>(code);
    Expect(c >= 0 && c <= 16, e, input, "code out of range");
    if (c >= 0 && c <= 16) ++codes[c];
    if (code == DAIRA_OK) {
      Expect(err == nullptr, e, input, "error object left on success");
      Expect(result != nullptr && daira::ParseJson(result).ok(), e, input, "success without a valid JSON record");
      Expect(result == nullptr || std::strstr(result, "token_hash") == nullptr, e, input, "a session token hash left");
      Expect(code != DAIRA_INTERNAL, e, input, "INTERNAL");
      daira_free(result);
    } else {
      Expect(result == nullptr, e, input, "out_json not NULL on failure");
      Expect(err != nullptr && daira_error_code(err) == code, e, input, "no error object matching the code");
      Expect(err != nullptr && std::strlen(daira_error_message(err)) > 0, e, input, "empty error message");
      Expect(code != DAIRA_INTERNAL && code != DAIRA_UNKNOWN, e, input, daira_error_message(err));
    }
  }
  // The typed single-id calls, a quarter as many.
  const long id_calls = iterations / 4;
  for (long i = 0; i < id_calls; ++i) {
    const IdEntryPoint& e = kIdEntryPoints[fuzz.Below(std::size(kIdEntryPoints))];
    int64_t id = 0;
    switch (fuzz.Below(4)) {
      case 0:
        id = std::strtoll((e.id == 'P' ? post : ids[e.id == 'B' ? 1 : 0]).c_str(), nullptr, 10);
        break;
      case 1:
        id = static_cast<int64_t>(fuzz.Below(3)) - 1;
        break;  // -1, 0, 1
      case 2:
        id = fuzz.Below(2) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
        break;
      default:
        id = static_cast<int64_t>(fuzz.Below(size_t{1} << 62)) * (fuzz.Below(2) ? 1 : -1);
        break;
    }
    FuzzIdCall(p, e, id, fuzz, codes);
  }
  daira_error_free(&err);
  daira_platform_close(&p, nullptr);
  std::printf("c_abi_fuzz: %ld calls + %ld typed id calls", iterations, id_calls);
  std::printf(" (seed %llu):", static_cast<unsigned long long>(seed));
  for (int c = 0; c <= 16; ++c) {
    if (codes[c] != 0) std::printf(" %s=%ld", daira_code_name(static_cast<daira_code>(c)), codes[c]);
  }
  std::printf("; %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
