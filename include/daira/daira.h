// The whole public API of daira in one include.
//
//   #include <daira/daira.h>
//
//   auto db = daira::store::Database::Open("sqlite:app.db");
//   if (!db.ok()) { std::cerr << db.status() << "\n"; return 1; }
//   daira::RequestContext ctx;
//   auto rs = (*db)->Read(ctx, "SELECT 1");
//
// Including it never exposes a driver's headers (sqlite3.h, libpq-fe.h, hiredis.h, simdjson.h):
// tests/structure/public_api_test.cc checks that.
//
// EVERY public header under include/daira/ must be listed here: when you add one, add its line in
// its layer's block (the `structure.umbrella` test fails until you do).
#pragma once

#include "daira/export.h"
#include "daira/version.h"

// core
#include "daira/core/clock.h"
#include "daira/core/config.h"
#include "daira/core/id.h"
#include "daira/core/json.h"
#include "daira/core/logging.h"
#include "daira/core/request_context.h"
#include "daira/core/shared_text.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/core/utf8.h"
#include "daira/core/validation.h"

// store
#include "daira/store/connection.h"
#include "daira/store/connection_lease.h"
#include "daira/store/cursor_keys.h"
#include "daira/store/database.h"
#include "daira/store/database_options.h"
#include "daira/store/dialect.h"
#include "daira/store/health.h"
#include "daira/store/migrator.h"
#include "daira/store/node_lease.h"
#include "daira/store/open_transaction.h"
#include "daira/store/pool_options.h"
#include "daira/store/pool_stats.h"
#include "daira/store/column_indexes.h"
#include "daira/store/result_set.h"
#include "daira/store/schema_info.h"
#include "daira/store/seed.h"
#include "daira/store/sql_text.h"
#include "daira/store/transaction.h"
#include "daira/store/value.h"

// cache (issue 11)
#include "daira/cache/cache.h"
#include "daira/cache/policy.h"
#include "daira/cache/stats.h"
#include "daira/cache/typed.h"
#include "daira/ratelimit/decision.h"
#include "daira/ratelimit/enforce.h"
#include "daira/ratelimit/limit.h"
#include "daira/ratelimit/rate_limiter.h"
#include "daira/resilience/circuit_breaker.h"
#include "daira/resilience/retry.h"
// blob (media storage)
#include "daira/blob/store.h"
// bus
#include "daira/bus/job.h"
#include "daira/bus/queue.h"
#include "daira/bus/queue_settings.h"
#include "daira/bus/repeatable.h"
#include "daira/bus/repeatable_schedule.h"
#include "daira/bus/worker_pool.h"

// query
#include "daira/query/batch_loader.h"
#include "daira/query/batcher.h"
#include "daira/query/cursor.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/query/page_request.h"
#include "daira/query/row_mapper.h"
#include "daira/query/statement_budget.h"

// model
#include "daira/model/block.h"
#include "daira/model/comment.h"
#include "daira/model/follow.h"
#include "daira/model/ids.h"
#include "daira/model/mute.h"
#include "daira/model/post.h"
#include "daira/model/reaction.h"
#include "daira/model/user.h"
#include "daira/model/user_profile.h"
#include "daira/model/user_session.h"
#include "daira/model/video.h"
// model: payments, moderation and field-masked records
#include "daira/model/account_records.h"
#include "daira/model/audit_log.h"
#include "daira/model/content_records.h"
#include "daira/model/content_report.h"
#include "daira/model/moderation_review.h"
#include "daira/model/payment.h"
#include "daira/model/post_record.h"
#include "daira/model/reaction_record.h"
#include "daira/model/social_records.h"
#include "daira/model/wallet.h"
#include "daira/model/wallet_transaction.h"

// services
#include "daira/services/account_requests.h"
#include "daira/services/accounts.h"
#include "daira/services/content.h"
#include "daira/services/content_requests.h"
#include "daira/services/feed.h"
#include "daira/services/feed_options.h"
#include "daira/services/listing_requests.h"
#include "daira/services/media_requests.h"
#include "daira/services/messaging_requests.h"
#include "daira/services/moderation_requests.h"
#include "daira/services/profiles.h"
#include "daira/services/recount.h"
#include "daira/services/search.h"
#include "daira/services/service_deps.h"
#include "daira/services/social.h"
#include "daira/services/social_requests.h"
#include "daira/services/trending.h"
#include "daira/services/user_repository.h"
#include "daira/services/vectors.h"
#include "daira/services/wallet_requests.h"
// services: money (docs/money.md)
#include "daira/services/payments.h"
#include "daira/services/wallets.h"
// services: typed repositories (payments, moderation, content, social graph, sessions, profiles)
#include "daira/services/audit_log.h"  // moderation: the hash-chained audit log
#include "daira/services/audit_log_repository.h"
#include "daira/services/block_repository.h"
#include "daira/services/comment_repository.h"
#include "daira/services/follow_repository.h"
#include "daira/services/moderation.h"  // moderation: reports, queue, decisions
#include "daira/services/moderation_review_repository.h"
#include "daira/services/mute_repository.h"
#include "daira/services/payment_repository.h"
#include "daira/services/post_repository.h"
#include "daira/services/profile_repository.h"
#include "daira/services/reaction_repository.h"
#include "daira/services/report_repository.h"
#include "daira/services/session_repository.h"
#include "daira/services/transaction_repository.h"
#include "daira/services/video_repository.h"
#include "daira/services/wallet_repository.h"
// Chat and notifications over the real-time hub (docs/realtime.md).
#include "daira/services/chat.h"
#include "daira/services/notifications.h"

// realtime (issue 13)
#include "daira/realtime/channel.h"
#include "daira/realtime/dispatcher.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/message.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/subscription.h"
#include "daira/realtime/typing.h"

// platform
#include "daira/platform/platform.h"
