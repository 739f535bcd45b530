#include "daira/platform/platform.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "backends/memory/memory_rate_limiter.h"
#include "backends/redis/redis_cache.h"
#include "backends/redis/redis_rate_limiter.h"
#include "cache/open_cache.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"
#include "daira/store/migrator.h"
#include "platform/instance_keeper.h"

namespace daira::inline v0 {

struct Platform::Impl {
  Config config;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<cache::Cache> cache;  // the cache concern (memory: or redis://)
  std::unique_ptr<ratelimit::RateLimiter> rate_limiter;  // follows the cache (PlatformRateLimitOptions)
  std::unique_ptr<blob::Store> blobs;  // Config::blobs (media storage)
  std::unique_ptr<bus::Queue> bus;  // the event bus (docs/bus.md); destroyed before the database
  services::ServiceDeps deps;
  std::optional<services::Accounts> accounts;
  std::optional<services::Profiles> profiles;
  std::optional<services::UserRepository> users;
  std::optional<services::Social> social;
  std::optional<services::Content> content;
  std::optional<services::Feed> feed;
  std::optional<services::Search> search;
  std::optional<services::Trending> trending;
  std::optional<services::Vectors> vectors;
  std::optional<services::WalletRepository> wallets;
  // money (docs/money.md)
  std::optional<services::Wallets> wallet_service;
  std::optional<services::Payments> payment_service;
  std::optional<services::TransactionRepository> transactions;
  std::optional<services::PaymentRepository> payments;
  std::optional<services::ReportRepository> reports;
  std::optional<services::ModerationReviewRepository> reviews;
  std::optional<services::AuditLogRepository> audit_logs;
  // --- moderation ---
  std::optional<services::Moderation> moderation;
  std::optional<services::AuditLog> audit;
  std::optional<services::PostRepository> posts;
  std::optional<services::VideoRepository> videos;
  std::optional<services::CommentRepository> comments;
  std::optional<services::ReactionRepository> reactions;
  std::optional<services::FollowRepository> follows;
  std::optional<services::BlockRepository> blocks;
  std::optional<services::MuteRepository> mutes;
  std::optional<services::SessionRepository> sessions;
  std::optional<services::ProfileRepository> user_profiles;
  // Real-time (docs/realtime.md): the hub first, presence and typing publish through it.
  std::unique_ptr<realtime::Hub> hub;
  std::unique_ptr<realtime::Presence> presence;
  std::unique_ptr<realtime::Typing> typing;
  // Chat and notifications: on the database, publishing through the hub.
  std::optional<services::Chat> chat;
  std::optional<services::Notifications> notifications;
  std::atomic<bool> closed{false};
  // Ids and cursors shared with the other instances on the database (docs/reliability.md).
  std::unique_ptr<IdGenerator> own_ids;               // unless PlatformOptions::ids was given
  query::CursorCodec cursor_codec = query::CursorCodec::Random();  // re-keyed at Open
  std::unique_ptr<internal::InstanceKeeper> keeper;   // declared last: stopped before the rest goes

  // Stops the heartbeat thread and releases the node lease, while the database is still open.
  void StopInstance() {
    if (keeper != nullptr) keeper->Stop();
  }
  ~Impl() { StopInstance(); }
};

namespace {

// Whether the services read profiles and sessions through `cache` (docs/cache.md, "Which caches the
// services use"): always through Redis (shared by every instance, so invalidations reach them all);
// through an in-process cache only on SQLite, the embedded single-process deployment. On Postgres
// several instances are the norm, and one instance's in-process cache would never see another's
// invalidations (a revoked session would stay valid there until its TTL).
bool ServicesReadThrough(const store::Database& db, const cache::Cache& cache) {
  return cache.Name() != "memory" || db.backend() == store::Backend::kSqlite;
}

// The rate limiter PlatformRateLimitOptions and the cache call for.
absl::StatusOr<std::unique_ptr<ratelimit::RateLimiter>> OpenRateLimiter(const PlatformRateLimitOptions& o,
                                                                        const Clock* clock,
                                                                        cache::Cache& cache) {
  if (o.backend != "" && o.backend != "memory" && o.backend != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "platform: open: rate_limits.backend must be \"\", \"memory\" or \"off\", not \"", o.backend, "\""));
  }
  ratelimit::RateLimiterOptions limiter = o.limiter;
  if (limiter.clock == nullptr) limiter.clock = clock;
  limiter.limits.erase("login");
  limiter.limits.erase("post.create");
  if (o.backend == "off") {
    limiter.limits.clear();
    limiter.default_limit.reset();
  } else {
    if (o.login.count > 0) limiter.limits["login"] = o.login;
    if (o.post_create.count > 0) limiter.limits["post.create"] = o.post_create;
  }
  if (o.backend == "" && cache.Name() == "redis") {
    auto* redis = dynamic_cast<backends::redis::RedisCache*>(&cache);
    if (redis != nullptr) {
      auto opened = backends::redis::RedisRateLimiter::Open(redis->url(), std::move(limiter));
      if (!opened.ok()) return opened.status();
      return std::unique_ptr<ratelimit::RateLimiter>(*std::move(opened));
    }
  }
  auto opened = backends::memory::MemoryRateLimiter::Open(std::move(limiter));
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<ratelimit::RateLimiter>(*std::move(opened));
}

// Chat and notifications: the realtime URL's notify_* parameters (docs/configuration.md, "Chat and
// notifications") applied to `options`, and the URL without them (for the hub, presence and typing,
// which refuse parameters they do not know).
absl::StatusOr<std::string> TakeNotificationParams(const std::string& url, services::NotificationsOptions& options) {
  const size_t q = url.find('?');
  if (q == std::string::npos) return url;
  std::string kept = url.substr(0, q);
  char sep = '?';
  size_t start = q + 1;
  while (start <= url.size()) {
    size_t end = url.find('&', start);
    if (end == std::string::npos) end = url.size();
    const std::string param = url.substr(start, end - start);
    const size_t eq = param.find('=');
    const std::string key = param.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : param.substr(eq + 1);
    if (key == "notify_group_window_ms" || key == "notify_latest_actors") {
      char* parse_end = nullptr;
      const long long n = std::strtoll(value.c_str(), &parse_end, 10);
      if (value.empty() || *parse_end != '\0' || n < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("platform: open: realtime: ", key, " must be a non-negative integer (got \"", value, "\")"));
      }
      if (key == "notify_group_window_ms") {
        options.group_window = std::chrono::milliseconds(n);
      } else {
        options.latest_actors = static_cast<size_t>(n);
      }
    } else if (!param.empty()) {
      kept += sep;
      kept += param;
      sep = '&';
    }
    start = end + 1;
  }
  return kept;
}

}  // namespace

absl::Status PlatformRateLimitOptions::Set(std::string_view endpoint, ratelimit::Limit limit) {
  constexpr std::string_view kOp = "rate limits";
  if (endpoint.empty()) return InvalidField(kOp, "endpoint", "is empty");
  const bool builtin = endpoint == "login" || endpoint == "post.create";
  if (limit.count < 0 || (!builtin && limit.count == 0)) {
    return InvalidField(kOp, endpoint,
                        absl::StrCat("count must be ", builtin ? ">= 0 (0 = off)" : "> 0", " (got ", limit.count, ")"));
  }
  if (limit.window < std::chrono::milliseconds(1)) {
    return InvalidField(kOp, endpoint, absl::StrCat("window must be >= 1 ms (got ", limit.window.count(), " ms)"));
  }
  if (endpoint == "login") {
    login = limit;
  } else if (endpoint == "post.create") {
    post_create = limit;
  } else {
    limiter.limits[std::string(endpoint)] = limit;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Platform>> Platform::Open(const Config& config, const PlatformOptions& options) {
  const Config defaults;
  DAIRA_RETURN_IF_ERROR(Annotate(options.accounts.Validate(), "platform: open: accounts options"));
  DAIRA_RETURN_IF_ERROR(Annotate(options.feed_cache.Validate(), "platform: open"));
  DAIRA_RETURN_IF_ERROR(Annotate(options.payments.Validate(), "platform: open"));

  DAIRA_RETURN_IF_ERROR(Annotate(config.ValidateInstanceOptions(), "platform: open"));
  // Service options given as Config entries win over PlatformOptions (docs/configuration.md).
  services::ModerationOptions moderation_options = options.moderation;
  if (config.moderation_auto_hide_threshold >= 0) {
    moderation_options.auto_hide_threshold = static_cast<int>(config.moderation_auto_hide_threshold);
  }
  services::WalletsOptions money_options = options.money;
  if (config.tip_fee_bps >= 0) money_options.tip_fee_bps = config.tip_fee_bps;
  if (config.money_idempotency_retention_s >= 0) {
    money_options.idempotency_retention = std::chrono::seconds(config.money_idempotency_retention_s);
  }
  if (config.money_max_attempts >= 0) money_options.max_attempts = static_cast<int>(config.money_max_attempts);
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  // Media storage first: a bad blobs URL fails before the database is touched.
  {
    auto blobs = blob::Store::Open(config.blobs);
    if (!blobs.ok()) return Annotate(blobs.status(), "platform: open: blobs");
    impl->blobs = *std::move(blobs);
  }
  DAIRA_ASSIGN_OR_RETURN(store::DatabaseOptions db_options, store::DatabaseOptions::FromUrl(config.database));
  if (options.clock != nullptr) db_options.clock = options.clock;
  DAIRA_ASSIGN_OR_RETURN(impl->db, store::Database::Open(db_options));
  {
    auto opened = cache::OpenCache(config.cache, {.clock = options.clock});
    if (!opened.ok()) return Annotate(opened.status(), "platform: open: cache");
    impl->cache = *std::move(opened);
  }
  {
    // The config's `ratelimit=` entries over the code's limits (as the URLs' parameters over the code's
    // options elsewhere).
    PlatformRateLimitOptions rate_limits = options.rate_limits;
    for (const Config::RateLimitEntry& e : config.rate_limits) {
      const std::optional<ratelimit::Algorithm> algorithm = ratelimit::ParseAlgorithm(e.algorithm);
      if (!algorithm.has_value()) {
        return InvalidField("platform: open: config ratelimit", e.endpoint,
                            absl::StrCat("algorithm must be sliding_window or gcra (got \"", e.algorithm, "\")"));
      }
      DAIRA_RETURN_IF_ERROR(
          Annotate(rate_limits.Set(e.endpoint, {.count = e.count, .window = e.window, .algorithm = *algorithm}),
                   "platform: open: config ratelimit"));
    }
    auto limiter = OpenRateLimiter(rate_limits, options.clock, *impl->cache);
    if (!limiter.ok()) return Annotate(limiter.status(), "platform: open: rate limits");
    impl->rate_limiter = *std::move(limiter);
  }
  if (options.migrate) {
    RequestContext ctx({.correlation_id = "", .caller = "platform:open", .timeout = std::chrono::milliseconds(0)});
    DAIRA_ASSIGN_OR_RETURN(auto migrator, store::Migrator::Create(*impl->db));
    DAIRA_RETURN_IF_ERROR(migrator->Migrate(ctx));
  }
  {
    // The event bus. The default `sqlite:` means "in the database": on a Postgres database, postgres:.
    std::string bus_url = config.bus;
    if (bus_url == defaults.bus && impl->db->backend() == store::Backend::kPostgres) bus_url = "postgres:";
    bus::BusOptions bus_options = options.bus;
    if (bus_options.clock == nullptr) bus_options.clock = options.clock;
    auto opened = bus::OpenQueue(bus_url, impl->db.get(), config.database, std::move(bus_options));
    if (!opened.ok()) return Annotate(opened.status(), "platform: open");
    impl->bus = *std::move(opened);
  }
  internal::InstanceKeeperOptions instance{.node_id = config.node_id,
                                           .ttl = config.node_lease_ttl,
                                           .heartbeat = config.node_heartbeat,
                                           .grace = config.cursor_key_grace,
                                           .clock = options.clock};
  IdGenerator* ids = options.ids;
  if (ids == nullptr) {
    impl->own_ids = std::make_unique<IdGenerator>(IdGeneratorOptions{.clock = options.clock});
    ids = impl->own_ids.get();
    instance.ids = ids;
  }
  if (config.cursor_key.empty()) {
    instance.codec = &impl->cursor_codec;
  } else {
    std::string key;
    for (size_t i = 0; i + 1 < config.cursor_key.size(); i += 2) {
      key.push_back(static_cast<char>(std::stoi(config.cursor_key.substr(i, 2), nullptr, 16)));
    }
    DAIRA_RETURN_IF_ERROR(impl->cursor_codec.Rekey(key, {}));
  }
  if (instance.ids != nullptr || instance.codec != nullptr) {
    auto keeper = internal::InstanceKeeper::Start(*impl->db, instance);
    if (!keeper.ok()) return Annotate(keeper.status(), "platform: open");
    impl->keeper = *std::move(keeper);
  }
  services::NotificationsOptions notification_options = options.notifications;
  DAIRA_ASSIGN_OR_RETURN(const std::string realtime_url,
                         TakeNotificationParams(config.realtime, notification_options));
  DAIRA_RETURN_IF_ERROR(Annotate(notification_options.Validate(), "platform: open: realtime"));
  {
    // realtime=memory: | redis://…: the hub, then presence and typing on the same URL.
    auto hub = realtime::OpenHub(realtime_url, {.clock = options.clock});
    if (!hub.ok()) return Annotate(hub.status(), "platform: open: realtime");
    impl->hub = *std::move(hub);
    auto presence = realtime::Presence::Open(realtime_url, *impl->hub, {.clock = options.clock});
    if (!presence.ok()) return Annotate(presence.status(), "platform: open: realtime");
    impl->presence = *std::move(presence);
    auto typing = realtime::Typing::Open(realtime_url, *impl->hub, {.clock = options.clock});
    if (!typing.ok()) return Annotate(typing.status(), "platform: open: realtime");
    impl->typing = *std::move(typing);
  }
  impl->deps = services::ServiceDeps{
      .db = impl->db.get(),
      .clock = options.clock,
      .ids = ids,
      .cursors = &impl->cursor_codec,
      .cache = ServicesReadThrough(*impl->db, *impl->cache) ? impl->cache.get() : nullptr,
      .blobs = impl->blobs.get(),
      .rate_limiter = impl->rate_limiter.get(),
      .feed_cache = options.feed_cache};
  impl->accounts.emplace(impl->deps, options.accounts);
  impl->profiles.emplace(impl->deps);
  impl->users.emplace(impl->deps);
  impl->social.emplace(impl->deps);
  impl->content.emplace(impl->deps);
  impl->feed.emplace(impl->deps);
  impl->search.emplace(impl->deps);
  impl->trending.emplace(impl->deps);
  impl->vectors.emplace(impl->deps);
  impl->wallets.emplace(impl->deps);
  impl->wallet_service.emplace(impl->deps, money_options);                               // money
  impl->payment_service.emplace(impl->deps, *impl->wallet_service, options.payments);    // money
  impl->transactions.emplace(impl->deps);
  impl->payments.emplace(impl->deps);
  impl->reports.emplace(impl->deps);
  impl->reviews.emplace(impl->deps);
  impl->audit_logs.emplace(impl->deps);
  // --- moderation (after notifications: a WARN / SUSPEND / BAN notifies the user) ---
  impl->notifications.emplace(impl->deps, impl->hub.get(), notification_options);
  DAIRA_RETURN_IF_ERROR(moderation_options.Validate());
  impl->moderation.emplace(impl->deps, moderation_options, &*impl->notifications);
  impl->audit.emplace(impl->deps);
  impl->posts.emplace(impl->deps);
  impl->videos.emplace(impl->deps);
  impl->comments.emplace(impl->deps);
  impl->reactions.emplace(impl->deps);
  impl->follows.emplace(impl->deps);
  impl->blocks.emplace(impl->deps);
  impl->mutes.emplace(impl->deps);
  impl->sessions.emplace(impl->deps);
  impl->user_profiles.emplace(impl->deps);
  impl->chat.emplace(impl->deps, impl->hub.get());
  return std::unique_ptr<Platform>(new Platform(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Platform>> Platform::Open(std::string_view database_url,
                                                         const PlatformOptions& options) {
  Config config;
  config.database = std::string(database_url);
  return Open(config, options);
}

Platform::Platform(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Platform::~Platform() { Close().IgnoreError(); }

services::Accounts& Platform::accounts() { return *impl_->accounts; }
services::Profiles& Platform::profiles() { return *impl_->profiles; }
services::Vectors& Platform::vectors() { return *impl_->vectors; }
services::UserRepository& Platform::users() { return *impl_->users; }
services::Social& Platform::social() { return *impl_->social; }
services::Content& Platform::content() { return *impl_->content; }
services::Feed& Platform::feed() { return *impl_->feed; }
services::Search& Platform::search() { return *impl_->search; }
services::Trending& Platform::trending() { return *impl_->trending; }
services::WalletRepository& Platform::wallets() { return *impl_->wallets; }
services::Wallets& Platform::wallet_service() { return *impl_->wallet_service; }
services::Payments& Platform::payment_service() { return *impl_->payment_service; }
services::TransactionRepository& Platform::transactions() { return *impl_->transactions; }
services::PaymentRepository& Platform::payments() { return *impl_->payments; }
services::ReportRepository& Platform::reports() { return *impl_->reports; }
services::ModerationReviewRepository& Platform::reviews() { return *impl_->reviews; }
services::AuditLogRepository& Platform::audit_logs() { return *impl_->audit_logs; }
// --- moderation ---
services::Moderation& Platform::moderation() { return *impl_->moderation; }
services::AuditLog& Platform::audit() { return *impl_->audit; }
services::PostRepository& Platform::posts() { return *impl_->posts; }
services::VideoRepository& Platform::videos() { return *impl_->videos; }
services::CommentRepository& Platform::comments() { return *impl_->comments; }
services::ReactionRepository& Platform::reactions() { return *impl_->reactions; }
services::FollowRepository& Platform::follows() { return *impl_->follows; }
services::BlockRepository& Platform::blocks() { return *impl_->blocks; }
services::MuteRepository& Platform::mutes() { return *impl_->mutes; }
services::SessionRepository& Platform::sessions() { return *impl_->sessions; }
services::ProfileRepository& Platform::user_profiles() { return *impl_->user_profiles; }
realtime::Hub& Platform::realtime() { return *impl_->hub; }
realtime::Presence& Platform::presence() { return *impl_->presence; }
realtime::Typing& Platform::typing() { return *impl_->typing; }
services::Chat& Platform::chat() { return *impl_->chat; }
services::Notifications& Platform::notifications() { return *impl_->notifications; }
cache::Cache& Platform::cache() { return *impl_->cache; }
ratelimit::RateLimiter& Platform::rate_limits() { return *impl_->rate_limiter; }
blob::Store& Platform::blobs() { return *impl_->blobs; }
store::Database& Platform::database() { return *impl_->db; }
bus::Queue& Platform::bus() { return *impl_->bus; }
const Config& Platform::config() const { return impl_->config; }
const services::ServiceDeps& Platform::deps() const { return impl_->deps; }
bool Platform::closed() const { return impl_->closed.load(std::memory_order_acquire); }

absl::Status Platform::Ping(const RequestContext& ctx) {
  if (closed()) return absl::FailedPreconditionError("platform: ping: platform is closed");
  return impl_->db->Read(ctx, "SELECT 1").status();
}

absl::Status Platform::Heartbeat() {
  if (closed()) return absl::FailedPreconditionError("platform: heartbeat: platform is closed");
  if (impl_->keeper == nullptr) return absl::OkStatus();
  return impl_->keeper->Beat();
}

absl::Status Platform::Close() {
  if (impl_ == nullptr || impl_->closed.exchange(true, std::memory_order_acq_rel)) return absl::OkStatus();
  impl_->StopInstance();  // the node lease is released while the database is still open
  // Services keep a pointer to the database: it stays alive until the Platform is destroyed, closed,
  // so every later call fails with FailedPrecondition instead of touching freed memory. Closing its
  // pools closes every idle connection now (a SQLite WAL file is checkpointed by its last connection).
  if (impl_->bus != nullptr) impl_->bus->Close();  // wakes blocked Next calls; refuses new ones
  impl_->db->Close();
  if (impl_->hub != nullptr) impl_->hub->Close().IgnoreError();  // subscriptions end with FailedPrecondition
  return absl::OkStatus();
}

}  // namespace daira::inline v0
