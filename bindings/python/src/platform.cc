// daira.open() and Platform: opening, closing (safe while other threads are inside calls), the
// context manager, the service accessors; plus the time conversions every wrapper uses and the
// native helpers for tests (_admin_execute) and the overhead benchmark (_bench_user_get).
#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <string>
#include <tuple>

#include "blobs.h"
#include "common.h"
#include "daira/core/config.h"
#include "daira/core/status.h"
#include "daira/store/database.h"
#include "module.h"
#include "transaction.h"

namespace daira::python {

Core::~Core() {
  // The last reference may go away while the GIL is held (Python's garbage collection): closing
  // pooled connections can block, so let other Python threads run meanwhile.
  if (Py_IsInitialized() && PyGILState_Check()) {
    py::gil_scoped_release release;
    std::unique_lock lock(mu_);
    platform_.reset();
  } else {
    std::unique_lock lock(mu_);
    platform_.reset();
  }
}

void Core::Close() {
  py::gil_scoped_release release;
  std::unique_lock lock(mu_);  // waits for the calls in flight (they hold it shared)
  if (platform_ == nullptr) return;
  {
    // Transactions still open go back to the pool rolled back, before the pool is destroyed.
    std::lock_guard g(txs_mu_);
    for (TxState* tx : txs_) {
      std::lock_guard t(tx->mu());
      if (!tx->active()) continue;
      (void)tx->Finish(/*commit=*/false);
      tx->MarkRolledBackByClose();
    }
  }
  (void)platform_->Close();
  platform_.reset();
}

bool Core::closed() const {
  std::shared_lock lock(mu_);
  return platform_ == nullptr;
}

py::object ToDatetime(Clock::TimePoint t) {
  py::module_ dt = py::module_::import("datetime");
  static const int64_t kMicrosPerDay = 86400LL * 1000000;
  int64_t us = ToUnixMicros(t);
  int64_t days = us / kMicrosPerDay;
  int64_t rem = us % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  py::object utc = dt.attr("timezone").attr("utc");
  py::object epoch = dt.attr("datetime")(1970, 1, 1, py::arg("tzinfo") = utc);
  py::object delta = dt.attr("timedelta")(py::arg("days") = days, py::arg("microseconds") = rem);
  return epoch + delta;
}

py::object ToDatetime(const std::optional<Clock::TimePoint>& t) {
  return t.has_value() ? ToDatetime(*t) : py::none();
}

Clock::TimePoint FromDatetime(const py::handle& value) {
  py::module_ dt = py::module_::import("datetime");
  if (!py::isinstance(value, dt.attr("datetime"))) {
    throw py::type_error("expected a datetime.datetime (got " + Repr(value) + ")");
  }
  py::object utc = dt.attr("timezone").attr("utc");
  py::object v = py::reinterpret_borrow<py::object>(value);
  if (v.attr("tzinfo").is_none()) v = v.attr("replace")(py::arg("tzinfo") = utc);
  py::object epoch = dt.attr("datetime")(1970, 1, 1, py::arg("tzinfo") = utc);
  py::object delta = v - epoch;
  int64_t us = py::cast<int64_t>(delta.attr("__floordiv__")(dt.attr("timedelta")(py::arg("microseconds") = 1)));
  return FromUnixMicros(us);
}

std::string Repr(const py::handle& h) { return py::cast<std::string>(py::repr(h)); }

namespace {

struct PyPlatform {
  CorePtr core;
  AccountsApi accounts;
  UsersApi users;
  ProfilesApi profiles;
  SocialApi social;
  ContentApi content;
  FeedApi feed;
  SearchApi search;
  TrendingApi trending;
  WalletsApi wallets;
  JournalApi transactions;
  PaymentsApi payments;
  ReportsApi reports;
  ReviewsApi reviews;
  AuditLogsApi audit_logs;
  PostsApi posts;
  VideosApi videos;
  CommentsApi comments;
  FollowsApi follows;
  BlocksApi blocks;
  MutesApi mutes;
  ReactionsApi reactions;
  SessionsApi sessions;
  UserProfilesApi user_profiles;
  BusApi bus;
  CacheApi cache;
  RateLimitsApi rate_limits;
  RealtimeApi realtime;
  PresenceApi presence;
  TypingApi typing;
  ChatApi chat;
  NotificationsApi notifications;
  BlobsApi blobs;
  MoneyApi money;  // money.cc

  explicit PyPlatform(CorePtr c)
      : core(c), accounts{c}, users{c}, profiles{c}, social{c}, content{c}, feed{c}, search{c}, trending{c},
        wallets{c}, transactions{c}, payments{c}, reports{c}, reviews{c}, audit_logs{c}, posts{c}, videos{c},
        comments{c}, follows{c}, blocks{c}, mutes{c}, reactions{c}, sessions{c}, user_profiles{c}, bus{c}, cache{c},
        rate_limits{c}, realtime{c}, presence{c}, typing{c}, chat{c}, notifications{c}, blobs{c}, money{c} {}
};

std::string BackendOf(const std::string& url) {
  auto colon = url.find(':');
  std::string scheme = colon == std::string::npos ? url : url.substr(0, colon);
  return scheme == "postgresql" ? "postgres" : scheme;
}

PyPlatform Open(const std::string& url, bool migrate, const std::string& password_cost,
                std::optional<int> node_id, std::optional<std::string> cursor_key, std::optional<std::string> cache,
                std::optional<std::string> bus, std::optional<std::string> realtime,
                std::optional<std::string> blobs, std::optional<py::dict> rate_limits,
                std::optional<py::dict> payments,
                std::optional<int64_t> moderation_auto_hide_threshold, std::optional<int64_t> tip_fee_bps,
                std::optional<int64_t> money_idempotency_retention_s, std::optional<int64_t> money_max_attempts) {
  Config config;
  // Service options (Config entries; upper bounds checked by Platform::Open, naming the option).
  for (auto [name, value, field] :
       {std::tuple{"moderation_auto_hide_threshold", moderation_auto_hide_threshold,
                   &Config::moderation_auto_hide_threshold},
        std::tuple{"tip_fee_bps", tip_fee_bps, &Config::tip_fee_bps},
        std::tuple{"money_idempotency_retention_s", money_idempotency_retention_s,
                   &Config::money_idempotency_retention_s},
        std::tuple{"money_max_attempts", money_max_attempts, &Config::money_max_attempts}}) {
    if (!value.has_value()) continue;
    if (*value < 0) Throw(InvalidField("open", name, "must be >= 0 (got " + std::to_string(*value) + ")"));
    config.*field = *value;
  }
  config.database = url;
  // Every other concern's URL; None keeps Config's embedded default (docs/configuration.md).
  if (cache.has_value()) config.cache = *cache;
  if (bus.has_value()) config.bus = *bus;
  if (realtime.has_value()) config.realtime = *realtime;
  if (blobs.has_value()) config.blobs = *blobs;
  if (node_id.has_value()) {
    if (*node_id < 0 || *node_id > 1023) {
      Throw(InvalidField("open", "node_id", "must be in [0, 1023] (got " + std::to_string(*node_id) + ")"));
    }
    config.node_id = *node_id;
  }
  if (cursor_key.has_value()) {
    if (cursor_key->empty()) Throw(InvalidField("open", "cursor_key", "must be 64 hex digits (got an empty string)"));
    config.cursor_key = *cursor_key;
  }
  PlatformOptions options;
  options.migrate = migrate;
  if (rate_limits.has_value()) ApplyRateLimits(*rate_limits, options.rate_limits);
  if (payments.has_value()) ApplyPayments(*payments, options.payments);
  if (password_cost == "test") {
    options.accounts = services::AccountsOptions::ForTesting();
  } else if (password_cost != "default") {
    Throw(InvalidField("open", "password_cost",
                       "must be \"default\" or \"test\" (got \"" + password_cost + "\")"));
  }
  std::unique_ptr<Platform> platform;
  {
    py::gil_scoped_release release;
    platform = Unwrap(Platform::Open(config, options));
  }
  return PyPlatform(std::make_shared<Core>(std::move(platform), BackendOf(url)));
}

}  // namespace

void RegisterPlatform(py::module_& m) {
  py::class_<PyPlatform>(m, "Platform",
                         "An open daira platform: every service over one database.\n\n"
                         "Use daira.open() to get one; close() it (or use `with`) when done. Safe to share\n"
                         "between threads; close() waits for calls in flight, and any call after it raises\n"
                         "daira.FailedPrecondition('platform is closed').")
      .def_readonly("accounts", &PyPlatform::accounts, "Registration, login, sessions, passwords.")
      .def_readonly("users", &PyPlatform::users, "Typed access to user rows.")
      .def_readonly("profiles", &PyPlatform::profiles, "Profiles, badges, trust score, stats.")
      .def_readonly("social", &PyPlatform::social, "Follows, blocks, mutes and the social graph.")
      .def_readonly("content", &PyPlatform::content, "Posts, videos, comments, reactions.")
      .def_readonly("feed", &PyPlatform::feed, "Home, timeline and hashtag feeds.")
      .def_readonly("search", &PyPlatform::search, "User search.")
      .def_readonly("trending", &PyPlatform::trending, "Trending videos and hashtags.")
      .def_readonly("wallets", &PyPlatform::wallets, "Typed access to wallets (no balance writes).")
      .def_readonly("transactions", &PyPlatform::transactions, "The append-only money journal.")
      .def_readonly("payments", &PyPlatform::payments, "Payments with providers: rows, start_deposit, handle_webhook, settle.")
      .def_readonly("reports", &PyPlatform::reports, "Content reports and the moderation queue.")
      .def_readonly("reviews", &PyPlatform::reviews, "Moderators' reviews of reports.")
      .def_readonly("audit_logs", &PyPlatform::audit_logs, "The append-only audit log.")
      // --- moderation (moderation_service.cc) ---
      .def_property_readonly(
          "moderation", [](const PyPlatform& p) { return ModerationServiceApi{p.core}; },
          "Reports, the review queue and decisions that take effect.")
      .def_property_readonly(
          "audit", [](const PyPlatform& p) { return AuditApi{p.core}; },
          "The tamper-evident audit log: append, verify.")
      .def_readonly("posts", &PyPlatform::posts, "Read-only typed access to posts.")
      .def_readonly("videos", &PyPlatform::videos, "Read-only typed access to videos.")
      .def_readonly("comments", &PyPlatform::comments, "Read-only typed access to comments.")
      .def_readonly("follows", &PyPlatform::follows, "Read-only typed access to follow edges.")
      .def_readonly("blocks", &PyPlatform::blocks, "Read-only typed access to blocks.")
      .def_readonly("mutes", &PyPlatform::mutes, "Read-only typed access to mutes.")
      .def_readonly("reactions", &PyPlatform::reactions, "Read-only typed access to reactions (likes).")
      .def_readonly("sessions", &PyPlatform::sessions, "Read-only typed access to login sessions (no token hashes).")
      .def_readonly("user_profiles", &PyPlatform::user_profiles, "Read-only typed access to profile rows.")
      .def_readonly("bus", &PyPlatform::bus, "The event bus (bus= URL): enqueue, workers, dead letters.")
      .def_readonly("cache", &PyPlatform::cache, "The cache (cache= URL): get/set/delete/mget with TTLs.")
      .def_readonly("rate_limits", &PyPlatform::rate_limits, "The rate limiter: check(key, endpoint).")
      .def_property_readonly(
          "vectors", [](const PyPlatform& p) { return VectorsApi{p.core}; },
          "Users' recommendation embeddings (float32), read through the cache: get, put, delete.")
      .def_readonly("realtime", &PyPlatform::realtime, "Pub/sub with recovery (realtime= URL).")
      .def_readonly("presence", &PyPlatform::presence, "Online presence: heartbeat, get, get_many.")
      .def_readonly("typing", &PyPlatform::typing, "Typing indicators: start, stop, typists.")
      .def_readonly("chat", &PyPlatform::chat, "Conversations, messages, read receipts (events on user:{id}).")
      .def_readonly("notifications", &PyPlatform::notifications, "Notifications, grouped; pushed on user:{id}.")
      .def_readonly("blobs", &PyPlatform::blobs, "The blob store (blobs= URL): put/get/list/url.")
      .def_readonly("money", &PyPlatform::money, "Wallets over the double-entry ledger (docs/money.md).")
      .def(
          "transaction",
          [](PyPlatform& p, const std::string& isolation) { return BeginTransaction(p.core, isolation); },
          py::kw_only(), py::arg("isolation") = "default",
          "Begins a database transaction on one write connection → Transaction. Use it as\n"
          "`with p.transaction() as tx:` and pass tx=tx to repository calls: commit on a normal exit,\n"
          "rollback when the block raises. isolation: default | read_committed | repeatable_read |\n"
          "serializable. On SQLite it holds the single write lock until it ends.")
      .def_property_readonly("backend", [](const PyPlatform& p) { return p.core->backend(); },
                             "'sqlite' or 'postgres'")
      .def_property_readonly("closed", [](const PyPlatform& p) { return p.core->closed(); })
      .def(
          "ping", [](PyPlatform& p) { p.core->Call([](Platform& pl) { return pl.Ping(Ctx()); }); },
          "One round trip to the database; raises (Unavailable, …) when it fails.")
      .def(
          "close", [](PyPlatform& p) { p.core->Close(); },
          "Waits for calls in flight, then releases every connection. Idempotent.")
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__",
          [](PyPlatform& p, py::object, py::object, py::object) {
            p.core->Close();
            return false;
          },
          py::arg("exc_type"), py::arg("exc"), py::arg("tb"))
      .def("__repr__", [](const PyPlatform& p) {
        return "Platform(backend=" + Repr(py::str(p.core->backend())) +
               ", closed=" + (p.core->closed() ? "True" : "False") + ")";
      });

  m.def("open", &Open, py::arg("url"), py::kw_only(), py::arg("migrate") = true,
        py::arg("password_cost") = "default", py::arg("node_id") = py::none(), py::arg("cursor_key") = py::none(),
        py::arg("cache") = py::none(), py::arg("bus") = py::none(), py::arg("realtime") = py::none(),
        py::arg("blobs") = py::none(), py::arg("rate_limits") = py::none(), py::arg("payments") = py::none(),
        py::arg("moderation_auto_hide_threshold") = py::none(), py::arg("tip_fee_bps") = py::none(),
        py::arg("money_idempotency_retention_s") = py::none(), py::arg("money_max_attempts") = py::none(),
        "Opens a platform on a database URL: 'sqlite:PATH', 'sqlite::memory:' or 'postgres://…'.\n\n"
        "migrate: apply the embedded schema (idempotent). password_cost: 'default' (argon2id\n"
        "interactive) or 'test' (the cheapest cost; for tests only). node_id: this instance's id\n"
        "node id in [0, 1023] (default None: lease a free one from the database). cursor_key: the\n"
        "cursor signing key as 64 hex digits (default None: the keys kept in the database). Raises\n"
        "InvalidArgument for a malformed URL or option, Unavailable when the database cannot be\n"
        "reached, FailedPrecondition when node_id is held by another live instance,\n"
        "ResourceExhausted when every node id is leased.\n\n"
        "cache, bus, realtime, blobs: each concern's URL (None: the embedded default — cache 'memory:',\n"
        "bus 'sqlite:' = the database's own backend, realtime 'memory:', blobs 'file:./daira-blobs');\n"
        "e.g. cache='redis://127.0.0.1:6379/0', bus='postgres:', blobs='s3://…'. A malformed URL\n"
        "raises InvalidArgument and an unreachable Redis Unavailable, naming the concern.\n\n"
        "rate_limits: {endpoint: (count, window_seconds[, 'sliding_window' | 'gcra'])} for\n"
        "p.rate_limits.check(); 'login' and 'post.create' replace the defaults (10 and 30 per minute;\n"
        "count 0 turns one off).\n\n"
        "payments: {provider: secret | {'secret': str, 'tolerance': seconds}} — a built-in local\n"
        "provider per name ('STRIPE' | 'PAYPAL' | 'FAWRY' | 'INSTAPAY') for p.payments: its webhooks are\n"
        "verified with `secret` (HMAC-SHA256, replay window `tolerance`, default 300 s), so a webhook\n"
        "the real provider signs with that endpoint secret is accepted too.\n"
        "moderation_auto_hide_threshold (0 = never, default 3), tip_fee_bps (0-9999, default 0),\n"
        "money_idempotency_retention_s (>= 86400), money_max_attempts (1-1000): the Config entries of\n"
        "the same names (docs/configuration.md, \"Service options\"); None keeps the default. Out of\n"
        "range: InvalidArgument naming the option.");

  // Test support: one statement on a fresh single-connection database handle (e.g. CREATE SCHEMA).
  m.def(
      "_admin_execute",
      [](const std::string& url, const std::string& sql) {
        py::gil_scoped_release release;
        store::DatabaseOptions options = Unwrap(store::DatabaseOptions::FromUrl(url));
        options.pool.pool_min = 0;
        options.pool.pool_max = 1;
        std::unique_ptr<store::Database> db = Unwrap(store::Database::Open(options));
        RequestContext ctx;
        Unwrap(db->Execute(ctx, sql).status());
      },
      py::arg("url"), py::arg("sql"));

  // Bench support: the direct C++ cost of users().Get (fresh RequestContext per call, as the binding
  // does), looped `n` times with the GIL released. Returns nanoseconds per call.
  m.def(
      "_bench_user_get",
      [](PyPlatform& p, int64_t user_id, int64_t n) {
        return p.core->Call([&](Platform& pl) -> absl::StatusOr<double> {
          auto start = std::chrono::steady_clock::now();
          for (int64_t i = 0; i < n; ++i) {
            RequestContext ctx;
            absl::StatusOr<model::User> u = pl.users().Get(ctx, UserId{user_id});
            if (!u.ok()) return u.status();
          }
          auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
          return static_cast<double>(ns.count()) / static_cast<double>(n);
        });
      },
      py::arg("platform"), py::arg("user_id"), py::arg("n"));

  // Bench support: the binding's fixed cost alone — argument conversion, GIL release/re-acquire and
  // the close lock around a daira call that does nothing.
  m.def(
      "_bench_noop",
      [](PyPlatform& p, int64_t) { p.core->Call([](Platform&) { return absl::OkStatus(); }); },
      py::arg("platform"), py::arg("user_id"));
}

}  // namespace daira::python
