#include "backends/postgres/postgres_driver.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "backends/postgres/postgres_connection.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends {

namespace {

// daira's own URL parameters (DatabaseOptions::FromUrl); never passed to libpq.
bool IsDairaParam(std::string_view key) {
  static constexpr std::string_view kDaira[] = {
      "pool_min",           "pool_max", "acquire_timeout_ms", "idle_timeout_ms", "validate_after_ms",
      "slow_statement_ms",  "replica",  "max_replica_lag_ms", "readers",         "busy_timeout_ms",
      "synchronous",        "connect_timeout_ms", "max_lifetime_ms", "statement_timeout_ms", "statement_cache_size"};
  return std::find(std::begin(kDaira), std::end(kDaira), key) != std::end(kDaira);
}

// Every keyword this libpq accepts in a conninfo (host, sslmode, options, application_name, ...).
const absl::flat_hash_set<std::string>& LibpqKeywords() {
  static const auto* keywords = [] {
    auto* set = new absl::flat_hash_set<std::string>();
    PQconninfoOption* options = PQconndefaults();
    if (options != nullptr) {
      for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) set->insert(o->keyword);
      PQconninfoFree(options);
    }
    return set;
  }();
  return *keywords;
}

class PostgresDriver final : public store::internal::Driver {
 public:
  store::Backend backend() const override { return store::Backend::kPostgres; }

  // Builds keyword/value arrays (never a concatenated conninfo string) from the URL: host, port,
  // user, password, dbname (the path), connect_timeout from options, and any libpq parameter in the
  // query string (options, sslmode, application_name, ... — e.g. `options=-c plan_cache_mode=...`),
  // which override the defaults here. daira's own parameters are skipped; other unknown parameters are
  // ignored (DatabaseOptions::FromUrl validates the URL).
  absl::StatusOr<std::unique_ptr<store::Connection>> Connect(const Url& url, const store::DatabaseOptions& options,
                                                             bool /*read_only*/,
                                                             store::internal::Deadline deadline) override {
    if (url.scheme != "postgres" && url.scheme != "postgresql") {
      return absl::InvalidArgumentError(
          absl::StrCat("postgres connect: url scheme is not postgres (got ", ToAbsl(url.scheme), ")"));
    }
    std::vector<std::pair<std::string, std::string>> params;
    auto set = [&params](std::string_view key, std::string value) {
      for (auto& [k, v] : params) {
        if (k == key) {
          v = std::move(value);
          return;
        }
      }
      params.emplace_back(std::string(key), std::move(value));
    };
    if (!url.host.empty()) set("host", url.host);
    if (url.port != 0) set("port", std::to_string(url.port));
    if (!url.user.empty()) set("user", url.user);
    if (url.has_password) set("password", url.password);
    if (!url.path.empty()) set("dbname", url.path);
    const int64_t timeout_s = std::max<int64_t>(1, (options.connect_timeout.count() + 999) / 1000);
    set("connect_timeout", std::to_string(timeout_s));
    set("client_encoding", "UTF8");
    set("fallback_application_name", "daira");
    // Dead peers are noticed without a statement running: TCP keepalives (first probe after 30 s idle,
    // then every 10 s, 3 misses) and tcp_user_timeout (sent data unacknowledged for 30 s drops the
    // connection). Each is a libpq parameter the URL may override.
    set("keepalives", "1");
    set("keepalives_idle", "30");
    set("keepalives_interval", "10");
    set("keepalives_count", "3");
    set("tcp_user_timeout", "30000");
    const auto& libpq = LibpqKeywords();
    for (const auto& [key, value] : url.params) {
      if (IsDairaParam(key)) continue;
      if (libpq.contains(key)) set(key, value);
    }

    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [k, v] : params) {
      keywords.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    // Non-blocking connect, polled until connect_timeout (all hosts of a host list together) or the
    // request's deadline, whichever is first: libpq's own connect_timeout has whole-second granularity.
    PGconn* conn = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
    if (conn == nullptr) {
      return absl::UnavailableError(absl::StrCat("postgres connect: ", url.Redacted(), ": out of memory"));
    }
    PQsetNoticeReceiver(conn, &PgNoticeReceiver, nullptr);
    auto until = std::chrono::steady_clock::now() + options.connect_timeout;
    bool by_deadline = false;
    if (deadline.has_value() && *deadline < until) {
      until = *deadline;
      by_deadline = true;
    }
    PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && poll_status != PGRES_POLLING_OK &&
           poll_status != PGRES_POLLING_FAILED) {
      const auto left = until - std::chrono::steady_clock::now();
      int ready = 0;
      if (left > std::chrono::steady_clock::duration::zero()) {
        pollfd p{PQsocket(conn), static_cast<short>(poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
        ready = ::poll(&p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count()));
        if (ready < 0 && errno == EINTR) continue;
      }
      if (ready == 0) {
        PQfinish(conn);
        std::string why = by_deadline ? std::string("request deadline reached")
                                      : absl::StrCat("no answer within connect_timeout_ms (",
                                                     options.connect_timeout.count(), " ms)");
        std::string text = absl::StrCat("postgres connect: ", url.Redacted(), ": ", why);
        return by_deadline ? absl::DeadlineExceededError(text) : absl::UnavailableError(text);
      }
      poll_status = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn);
      PQfinish(conn);
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      // libpq's message names host/port/user, never the password; redact it anyway in case.
      if (url.has_password && !url.password.empty()) {
        for (size_t pos; (pos = message.find(url.password)) != std::string::npos;) {
          message.replace(pos, url.password.size(), "***");
        }
      }
      return absl::UnavailableError(absl::StrCat("postgres connect: ", url.Redacted(), ": ", message));
    }
    PostgresSettings settings;
    settings.statement_timeout = options.statement_timeout;
    settings.statement_cache_size = options.statement_cache_size;
    return std::unique_ptr<store::Connection>(new PostgresConnection(conn, settings));
  }
};

}  // namespace

std::unique_ptr<store::internal::Driver> MakePostgresDriver() { return std::make_unique<PostgresDriver>(); }

}  // namespace daira::inline v0::backends
