// Platform: daira's front door. One object opens the backends a Config names, applies the schema, and
// hands out every domain service and typed repository, all sharing one database, clock and id generator.
//
//   auto platform = daira::Platform::Open(daira::Config::Embedded("app.db"));
//   if (!platform.ok()) { std::cerr << platform.status() << "\n"; return 1; }
//   daira::RequestContext ctx;
//   auto alice = (*platform)->accounts().Register(ctx, {.email = "a@x.io", .username = "alice", .password =
//   pw});
//   (*platform)->social().Follow(ctx, bob_id, alice->id);
//   auto page = (*platform)->feed().Home(ctx, bob_id, {.limit = 20});   // page->items, page->next_cursor
//   (*platform)->Close();                                                 // or let the destructor do it
//
// What Open wires today: the `database` concern (sqlite: or postgres://), migrated to the embedded
// schema unless PlatformOptions::migrate is false, and every other concern: `cache` (memory: or
// redis://, docs/cache.md), `bus` (memory:, sqlite:, postgres:; the default sqlite: means the database's
// own backend, docs/bus.md), `realtime` (memory: or redis://…, docs/realtime.md) and `blobs` (file:DIR or
// s3://…, docs/storage.md). A URL a concern cannot serve yet (bus=redis://) is refused with
// Unimplemented naming the concern, never silently ignored.
//
// Many instances, one database (docs/reliability.md, "Ids and cursor keys across instances"): Open
// leases a free id-generator node id from the database (or registers the configured Config::node_id)
// so no two running instances issue the same ids, and keys its cursor codec from the database's
// cursor_keys (or Config::cursor_key) so every instance accepts every instance's cursors. A background
// thread renews the lease and re-reads the keys every Config::node_heartbeat; Close stops it and
// releases the lease. If the lease is lost (taken over after it expired, e.g. the process was paused
// longer than node_lease_ttl), ids stop under that node at once and a new lease is taken. A fork()ed
// child never issues ids under its parent's node id: it must open its own Platform.
//
// Lifetime: services returned by the accessors are owned by the Platform and live until it is
// destroyed. Close() closes the database's connections; the database object itself lives until the
// Platform is destroyed, so after Close() every operation on a service returns FailedPrecondition
// ("… is closed") instead of touching freed memory.
//
// Thread-safety: every accessor and every service is safe to call from any number of threads at once,
// Close() included (operations racing with it either finish or fail with FailedPrecondition).
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/cache/cache.h"
#include "daira/ratelimit/rate_limiter.h"
#include "daira/blob/store.h"
#include "daira/bus/queue.h"
#include "daira/core/clock.h"
#include "daira/core/config.h"
#include "daira/core/id.h"
#include "daira/core/request_context.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"
#include "daira/services/accounts.h"
#include "daira/services/audit_log.h"
#include "daira/services/audit_log_repository.h"
#include "daira/services/moderation.h"
#include "daira/services/block_repository.h"
#include "daira/services/chat.h"
#include "daira/services/comment_repository.h"
#include "daira/services/content.h"
#include "daira/services/feed.h"
#include "daira/services/follow_repository.h"
#include "daira/services/moderation_review_repository.h"
#include "daira/services/mute_repository.h"
#include "daira/services/notifications.h"
#include "daira/services/payment_repository.h"
#include "daira/services/post_repository.h"
#include "daira/services/profile_repository.h"
#include "daira/services/profiles.h"
#include "daira/services/reaction_repository.h"
#include "daira/services/report_repository.h"
#include "daira/services/search.h"
#include "daira/services/session_repository.h"
#include "daira/services/social.h"
#include "daira/services/transaction_repository.h"
#include "daira/services/trending.h"
#include "daira/services/user_repository.h"
#include "daira/services/vectors.h"
#include "daira/services/video_repository.h"
#include "daira/services/wallet_repository.h"
// money (docs/money.md)
#include "daira/services/payments.h"
#include "daira/services/wallets.h"
#include "daira/store/database.h"

namespace daira::inline v0 {

// Rate limits the platform applies (docs/ratelimit.md). The limiter follows the cache: `memory:` → the
// in-process limiter, `redis://…` → the Redis limiter on the same server and prefix (exact across
// instances), unless `backend` says otherwise.
struct PlatformRateLimitOptions {
  // "" (derive from the cache), "memory" (in-process even with a Redis cache) or "off" (no limits).
  std::string backend{};
  // Login attempts per "<identifier>|<ip>" (count 0 = not limited).
  ratelimit::Limit login{.count = 10, .window = std::chrono::minutes(1)};
  // Posts created per author (count 0 = not limited).
  ratelimit::Limit post_create{.count = 30, .window = std::chrono::minutes(1)};
  // Further endpoints for the application's own checks, the failure policy (default fail open) and the
  // clock (null: PlatformOptions::clock). "login" / "post.create" here are replaced by the two above.
  ratelimit::RateLimiterOptions limiter{};

  // Sets the limit of `endpoint`: "login" and "post.create" set the two fields above (count 0 turns
  // the limit off), any other name an entry of limiter.limits. InvalidArgument naming the endpoint
  // when it is empty, the count is negative (or 0 for an application endpoint) or the window is
  // shorter than 1 ms. The bindings' open options use it.
  absl::Status Set(std::string_view endpoint, ratelimit::Limit limit);
};

struct PlatformOptions {
  // Apply the embedded migrations at Open (idempotent; safe with concurrent openers). Default true.
  bool migrate = true;
  // Password hashing cost and token lifetimes (daira/services/accounts.h). Default: production costs.
  services::AccountsOptions accounts{};
  // Time source for every service; null: Clock::System(). Not owned; must outlive the Platform.
  const Clock* clock = nullptr;
  // Id generator for every service; null: the platform's own, bound to a node id leased from the
  // database (or Config::node_id). When given, no node id is leased: the caller answers for its node
  // id's uniqueness. Not owned; must outlive the Platform.
  IdGenerator* ids = nullptr;
  // Event bus queues and their settings (daira/bus/queue.h); `bus=` URL parameters override them.
  // Its clock, when null, is `clock` above.
  bus::BusOptions bus{};
  // Rate limits (login attempts, post creation, the application's own endpoints).
  PlatformRateLimitOptions rate_limits{};
  // The home feed's cache: fan-out on write, the large-account threshold, the rebuild depth
  // (docs/cache.md, "Feed cache"). InvalidArgument at Open naming a field out of range.
  services::FeedCacheOptions feed_cache{};
  // Chat and notifications (docs/realtime.md, "Notifications"): grouping window and actors kept. The
  // realtime URL's notify_group_window_ms= / notify_latest_actors= override them.
  services::NotificationsOptions notifications{};
  // --- moderation (docs/moderation.md) ---
  // The auto-hide threshold of moderation(); Open fails with InvalidArgument when it is invalid.
  services::ModerationOptions moderation{};
  // Money (docs/money.md): tip fee, idempotency-key retention, retries. Default: no fee, 24 h.
  services::WalletsOptions money{};
  // Payment providers and webhook event retention (docs/money.md). Default: none, so deposits through
  // payment_service() are refused until the application configures one (e.g. a services::LocalProvider
  // for embedded use and tests). The providers are not owned and must outlive the Platform; the local
  // ones of payments.local (what the bindings configure by name, SetLocal) are created and owned by
  // payment_service(). Open fails with InvalidArgument when two claim one provider (Validate).
  services::PaymentsOptions payments{};
};

class Platform {
 public:
  // Opens the backends `config` names and, unless options.migrate is false, migrates the database.
  // Fails with InvalidArgument (a malformed URL or option, naming it), Unavailable (the database, or the
  // realtime Redis, cannot be reached), FailedPrecondition (an applied migration changed; the configured node_id is held by
  // another live instance; the database lacks migration 012 and options.migrate is false),
  // ResourceExhausted (every node id is leased by a live instance) or Unimplemented (a concern URL
  // whose backend does not exist yet). A bad blobs URL is InvalidArgument naming the option (its
  // secret never shown); an s3 store is not contacted at Open unless it has create_bucket=1.
  static absl::StatusOr<std::unique_ptr<Platform>> Open(const Config& config, const PlatformOptions& options = {});
  // Shorthand: the database URL, every other concern at its embedded default.
  static absl::StatusOr<std::unique_ptr<Platform>> Open(std::string_view database_url,
                                                        const PlatformOptions& options = {});

  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;
  ~Platform();

  services::Accounts& accounts();
  services::Profiles& profiles();
  services::UserRepository& users();
  services::Social& social();
  services::Content& content();
  services::Feed& feed();
  services::Search& search();
  services::Trending& trending();
  // Users' recommendation embeddings, read through the cache as vector:{user} (docs/cache.md).
  services::Vectors& vectors();

  // Typed repositories (field masks, batch loads, keyset lists) over the same database. Payments:
  // wallets and the transaction journal never change a balance directly (docs/services/payments.md).
  services::WalletRepository& wallets();
  services::TransactionRepository& transactions();
  services::PaymentRepository& payments();
  // Money that moves (docs/money.md): wallets over the double-entry ledger, and provider payments /
  // webhooks. Built from PlatformOptions::money and ::payments.
  services::Wallets& wallet_service();
  services::Payments& payment_service();
  // Moderation: reports, reviews, and the append-only audit log (docs/services/moderation.md).
  services::ReportRepository& reports();
  services::ModerationReviewRepository& reviews();
  services::AuditLogRepository& audit_logs();
  // --- moderation (docs/moderation.md) ---
  // Reports, the review queue and decisions that take effect; the hash-chained audit log (append,
  // verify). Both write through the same database and the request's transaction.
  services::Moderation& moderation();
  services::AuditLog& audit();
  // Content, read-only (writes go through content(), which keeps hashtags and counters in step).
  services::PostRepository& posts();
  services::VideoRepository& videos();
  services::CommentRepository& comments();
  services::ReactionRepository& reactions();
  // Social graph, read-only (writes go through social(), which keeps the follow counters in step).
  services::FollowRepository& follows();
  services::BlockRepository& blocks();
  services::MuteRepository& mutes();
  // Accounts, read-only: sessions (token hashes only when asked by name; tokens are issued and
  // rotated by accounts()) and profile rows (validated writes go through profiles()).
  services::SessionRepository& sessions();
  services::ProfileRepository& user_profiles();

  // Real-time (docs/realtime.md), on the `realtime` concern (memory: or redis://…): pub/sub with
  // recovery, presence and typing indicators. Close() closes the hub (its subscriptions end).
  realtime::Hub& realtime();
  realtime::Presence& presence();
  realtime::Typing& typing();
  // Chat and notifications (docs/realtime.md) on the database, delivering in real time through
  // realtime() after commit: chat events on `conversation:{id}` and each member's `user:{id}`,
  // notifications on `user:{id}`.
  services::Chat& chat();
  services::Notifications& notifications();

  // The cache Config::cache names (`memory:` by default, or `redis://…`). Lives as long as the
  // Platform. The services read profiles and sessions through it when it is Redis, or when it is
  // in-process and the database is SQLite; an in-process cache on Postgres is the application's only
  // (instances would not see each other's invalidations). See docs/cache.md.
  cache::Cache& cache();

  // The rate limiter (PlatformRateLimitOptions; docs/ratelimit.md): in-process with a memory: cache,
  // on the cache's Redis with a redis:// one. With backend "off" an in-process limiter with no limits.
  ratelimit::RateLimiter& rate_limits();

  // Media storage: the blob store Config::blobs names (file:DIR by default, or s3://…). It does not
  // depend on the database and stays usable after Close() until the Platform is destroyed.
  blob::Store& blobs();

  // The event bus the `bus=` URL names (memory:, sqlite: / postgres: in the same database): enqueue
  // with a request context to join its transaction; bus::Worker / bus::WorkerPool consume.
  bus::Queue& bus();

  // The database every service uses (for transactions spanning services, health, stats).
  store::Database& database();
  const Config& config() const;
  const services::ServiceDeps& deps() const;

  // Checks the database with one round trip: OK, or the backend's error (Unavailable, …);
  // FailedPrecondition after Close().
  absl::Status Ping(const RequestContext& ctx);

  // One heartbeat now, as the background thread does every Config::node_heartbeat: renews the node
  // lease (re-taking a fresh one if it was lost) and re-reads the cursor keys (after a
  // `daira keys rotate`). Returns the first error; FailedPrecondition after Close().
  absl::Status Heartbeat();

  // Releases the node id lease, then closes every pooled connection (leased ones when they come back);
  // every later operation returns FailedPrecondition. Idempotent; returns OK.
  absl::Status Close();
  bool closed() const;

 private:
  struct Impl;
  explicit Platform(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace daira::inline v0
