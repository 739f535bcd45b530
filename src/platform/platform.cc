#include "daira/platform/platform.h"

#include <atomic>
#include <optional>
#include <string>
#include <utility>

#include "daira/core/status.h"
#include "daira/store/migrator.h"
#include "platform/instance_keeper.h"

namespace daira::inline v0 {

struct Platform::Impl {
  Config config;
  std::unique_ptr<store::Database> db;
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
  std::optional<services::WalletRepository> wallets;
  std::optional<services::TransactionRepository> transactions;
  std::optional<services::PaymentRepository> payments;
  std::optional<services::ReportRepository> reports;
  std::optional<services::ModerationReviewRepository> reviews;
  std::optional<services::AuditLogRepository> audit_logs;
  std::optional<services::PostRepository> posts;
  std::optional<services::VideoRepository> videos;
  std::optional<services::CommentRepository> comments;
  std::optional<services::ReactionRepository> reactions;
  std::optional<services::FollowRepository> follows;
  std::optional<services::BlockRepository> blocks;
  std::optional<services::MuteRepository> mutes;
  std::optional<services::SessionRepository> sessions;
  std::optional<services::ProfileRepository> user_profiles;
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

// The concerns without a backend yet: their embedded default is accepted (there is nothing to wire),
// anything else is refused so that a production URL is never silently ignored.
absl::Status CheckNotYetWired(std::string_view concern, const std::string& url, std::string_view default_url) {
  if (url == default_url) return absl::OkStatus();
  const std::string scheme = url.substr(0, url.find(':'));
  return absl::UnimplementedError("platform: open: " + std::string(concern) + " backend '" + scheme +
                                  ":' is not available yet (only the embedded default '" +
                                  std::string(default_url) + "' is accepted)");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Platform>> Platform::Open(const Config& config, const PlatformOptions& options) {
  const Config defaults;
  DAIRA_RETURN_IF_ERROR(CheckNotYetWired("cache", config.cache, defaults.cache));
  DAIRA_RETURN_IF_ERROR(CheckNotYetWired("realtime", config.realtime, defaults.realtime));
  DAIRA_RETURN_IF_ERROR(CheckNotYetWired("blobs", config.blobs, defaults.blobs));
  DAIRA_RETURN_IF_ERROR(Annotate(options.accounts.Validate(), "platform: open: accounts options"));

  DAIRA_RETURN_IF_ERROR(Annotate(config.ValidateInstanceOptions(), "platform: open"));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  DAIRA_ASSIGN_OR_RETURN(store::DatabaseOptions db_options, store::DatabaseOptions::FromUrl(config.database));
  if (options.clock != nullptr) db_options.clock = options.clock;
  DAIRA_ASSIGN_OR_RETURN(impl->db, store::Database::Open(db_options));
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
  impl->deps = services::ServiceDeps{
      .db = impl->db.get(), .clock = options.clock, .ids = ids, .cursors = &impl->cursor_codec};
  impl->accounts.emplace(impl->deps, options.accounts);
  impl->profiles.emplace(impl->deps);
  impl->users.emplace(impl->deps);
  impl->social.emplace(impl->deps);
  impl->content.emplace(impl->deps);
  impl->feed.emplace(impl->deps);
  impl->search.emplace(impl->deps);
  impl->trending.emplace(impl->deps);
  impl->wallets.emplace(impl->deps);
  impl->transactions.emplace(impl->deps);
  impl->payments.emplace(impl->deps);
  impl->reports.emplace(impl->deps);
  impl->reviews.emplace(impl->deps);
  impl->audit_logs.emplace(impl->deps);
  impl->posts.emplace(impl->deps);
  impl->videos.emplace(impl->deps);
  impl->comments.emplace(impl->deps);
  impl->reactions.emplace(impl->deps);
  impl->follows.emplace(impl->deps);
  impl->blocks.emplace(impl->deps);
  impl->mutes.emplace(impl->deps);
  impl->sessions.emplace(impl->deps);
  impl->user_profiles.emplace(impl->deps);
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
services::UserRepository& Platform::users() { return *impl_->users; }
services::Social& Platform::social() { return *impl_->social; }
services::Content& Platform::content() { return *impl_->content; }
services::Feed& Platform::feed() { return *impl_->feed; }
services::Search& Platform::search() { return *impl_->search; }
services::Trending& Platform::trending() { return *impl_->trending; }
services::WalletRepository& Platform::wallets() { return *impl_->wallets; }
services::TransactionRepository& Platform::transactions() { return *impl_->transactions; }
services::PaymentRepository& Platform::payments() { return *impl_->payments; }
services::ReportRepository& Platform::reports() { return *impl_->reports; }
services::ModerationReviewRepository& Platform::reviews() { return *impl_->reviews; }
services::AuditLogRepository& Platform::audit_logs() { return *impl_->audit_logs; }
services::PostRepository& Platform::posts() { return *impl_->posts; }
services::VideoRepository& Platform::videos() { return *impl_->videos; }
services::CommentRepository& Platform::comments() { return *impl_->comments; }
services::ReactionRepository& Platform::reactions() { return *impl_->reactions; }
services::FollowRepository& Platform::follows() { return *impl_->follows; }
services::BlockRepository& Platform::blocks() { return *impl_->blocks; }
services::MuteRepository& Platform::mutes() { return *impl_->mutes; }
services::SessionRepository& Platform::sessions() { return *impl_->sessions; }
services::ProfileRepository& Platform::user_profiles() { return *impl_->user_profiles; }
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
  return absl::OkStatus();
}

}  // namespace daira::inline v0
