// DatabaseOptions::FromUrl: the URL plus daira's pool/replica/SQLite parameters, validated.
//
// The URL itself is kept verbatim in DatabaseOptions::url: drivers re-parse it (the Postgres driver
// passes libpq's own parameters such as `options` or `sslmode` through and ignores daira's).

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/byte_size_internal.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/store/database.h"

namespace daira::inline v0::store {
namespace {

constexpr std::string_view kOp = "database url";

// daira's own parameters (every backend).
constexpr std::string_view kCommonParams[] = {
    "pool_min", "pool_max", "acquire_timeout_ms", "idle_timeout_ms", "validate_after_ms", "slow_statement_ms",
    "max_lifetime_ms", "statement_timeout_ms", "statement_cache_size",
};
// SQLite-only parameters.
constexpr std::string_view kSqliteParams[] = {"readers", "busy_timeout_ms", "synchronous", "mmap_size",
                                              "cache_size"};
// Postgres-only daira parameters.
constexpr std::string_view kPostgresParams[] = {"replica", "max_replica_lag_ms", "connect_timeout_ms"};
// libpq connection keywords passed through to the driver untouched.
constexpr std::string_view kLibpqParams[] = {
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding",
    "connect_timeout", "client_encoding", "options", "application_name", "fallback_application_name",
    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    "gssencmode", "sslmode", "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword",
    "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "krbsrvname", "gsslib", "service", "target_session_attrs",
};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view key) {
  return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

absl::Status Bad(std::string_view field, std::string_view what, std::string_view got) {
  return InvalidField(kOp, field, absl::StrCat(ToAbsl(what), " (got \"", ToAbsl(got), "\")"));
}

// Parses a decimal integer in [min, max]; InvalidArgument naming `field` otherwise.
absl::StatusOr<int64_t> ParseInt(std::string_view field, std::string_view text, int64_t min, int64_t max,
                                 std::string_view what) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < min || v > max) return Bad(field, what, text);
  return v;
}

constexpr int64_t kMaxMillis = int64_t{24} * 3600 * 1000 * 365;  // a year: anything longer is a typo

absl::Status SetMillis(const Url& url, std::string_view key, bool positive, std::chrono::milliseconds* out) {
  auto v = url.Param(key);
  if (!v.has_value()) return absl::OkStatus();
  DAIRA_ASSIGN_OR_RETURN(int64_t ms, ParseInt(key, *v, positive ? 1 : 0, kMaxMillis,
                                              positive ? "must be a positive integer of milliseconds"
                                                       : "must be a non-negative integer of milliseconds"));
  *out = std::chrono::milliseconds(ms);
  return absl::OkStatus();
}

absl::Status SetInt(const Url& url, std::string_view key, bool positive, int* out) {
  auto v = url.Param(key);
  if (!v.has_value()) return absl::OkStatus();
  DAIRA_ASSIGN_OR_RETURN(int64_t n, ParseInt(key, *v, positive ? 1 : 0, 100000,
                                             positive ? "must be a positive integer"
                                                      : "must be a non-negative integer"));
  *out = static_cast<int>(n);
  return absl::OkStatus();
}

template <size_t N>
std::string Join(const std::string_view (&list)[N]) {
  std::string out;
  for (std::string_view s : list) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// "database url: sqlite needs a file path (got ...)", with "path" as the field payload.
absl::Status NeedsPath(std::string_view got) {
  absl::Status s = absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(kOp), ": sqlite needs a file path (got \"", ToAbsl(got), "\")"));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("path"));
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Each SQLite connection holds up to three file descriptors (database, -wal, -shm). Readers beyond what
// RLIMIT_NOFILE allows would fail later as "unable to open database file": refuse them here, naming
// the limit. 64 descriptors are left for everything else the process has open.
absl::Status CheckReadersFitFdLimit(int readers) {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return absl::OkStatus();
  const int64_t limit = static_cast<int64_t>(rl.rlim_cur);
  const int64_t max_readers = std::max<int64_t>(1, (limit - 64) / 3 - 1);
  if (readers <= max_readers) return absl::OkStatus();
  return InvalidField(kOp, "readers",
                      absl::StrCat("must be at most ", max_readers, ": each reader connection holds up to 3 file "
                                   "descriptors and the process's open-file limit (RLIMIT_NOFILE) is ", limit,
                                   " (got ", readers, ")"));
}

}  // namespace

absl::StatusOr<DatabaseOptions> DatabaseOptions::FromUrl(std::string_view text) {
  // `sqlite:` alone (possibly with parameters) names no file; say so before the generic parser does.
  {
    std::string head = Lower(text.substr(0, std::min<size_t>(text.size(), 7)));
    if (head == "sqlite:") {
      std::string_view rest = text.substr(7);
      rest = rest.substr(0, rest.find('?'));
      if (rest.empty()) {
        return NeedsPath(text);
      }
    }
  }
  DAIRA_ASSIGN_OR_RETURN(Url url, ParseUrl(text));

  DatabaseOptions o;
  o.url = std::string(text);
  const bool sqlite = url.scheme == "sqlite";
  const bool postgres = url.scheme == "postgres" || url.scheme == "postgresql";
  if (!sqlite && !postgres) {
    return InvalidField(kOp, "scheme",
                        absl::StrCat("is not a SQL backend (known: sqlite, postgres) (got \"", url.scheme, "\")"));
  }
  if (sqlite && url.path.empty()) {
    return NeedsPath(url.Redacted());
  }
  // A NUL byte (%00) would cut the C string the driver sees: "a.db%00x" would silently open "a.db".
  auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  if (has_nul(url.path)) return InvalidField(kOp, "path", "must not contain a NUL byte (%00)");
  if (has_nul(url.host)) return InvalidField(kOp, "host", "must not contain a NUL byte (%00)");
  if (has_nul(url.user)) return InvalidField(kOp, "user", "must not contain a NUL byte (%00)");
  if (has_nul(url.password)) return InvalidField(kOp, "password", "must not contain a NUL byte (%00)");
  for (const auto& [key, value] : url.params) {
    if (has_nul(key) || has_nul(value)) return InvalidField(kOp, key, "must not contain a NUL byte (%00)");
  }

  for (const auto& [key, value] : url.params) {
    if (In(kCommonParams, key)) continue;
    if (sqlite && In(kSqliteParams, key)) continue;
    if (postgres && (In(kPostgresParams, key) || In(kLibpqParams, key))) continue;
    std::string known = Join(kCommonParams);
    if (sqlite) absl::StrAppend(&known, ", ", Join(kSqliteParams));
    if (postgres) absl::StrAppend(&known, ", ", Join(kPostgresParams), ", or a libpq parameter");
    return InvalidField(kOp, key,
                        absl::StrCat("is not a parameter of ", url.scheme, " database urls (known: ", known,
                                     ") (got \"", key, "=", IsSecretParam(key) || value.find('@') != std::string::npos ? "***" : value,
                                     "\")"));
  }

  DAIRA_RETURN_IF_ERROR(SetInt(url, "pool_min", /*positive=*/false, &o.pool.pool_min));
  DAIRA_RETURN_IF_ERROR(SetInt(url, "pool_max", /*positive=*/true, &o.pool.pool_max));
  if (o.pool.pool_min > o.pool.pool_max) {
    // Only an explicit pool_min can exceed pool_max; a small explicit pool_max lowers the default min.
    if (url.Param("pool_min").has_value()) {
      return InvalidField(kOp, "pool_min",
                          absl::StrCat("must not exceed pool_max ", o.pool.pool_max, " (got \"",
                                       *url.Param("pool_min"), "\")"));
    }
    o.pool.pool_min = o.pool.pool_max;
  }
  DAIRA_RETURN_IF_ERROR(SetMillis(url, "acquire_timeout_ms", false, &o.pool.acquire_timeout));
  DAIRA_RETURN_IF_ERROR(SetMillis(url, "idle_timeout_ms", false, &o.pool.idle_timeout));
  DAIRA_RETURN_IF_ERROR(SetMillis(url, "validate_after_ms", false, &o.pool.validate_after));
  DAIRA_RETURN_IF_ERROR(SetMillis(url, "slow_statement_ms", false, &o.pool.slow_statement));
  DAIRA_RETURN_IF_ERROR(SetMillis(url, "max_lifetime_ms", false, &o.pool.max_lifetime));
  DAIRA_RETURN_IF_ERROR(SetMillis(url, "statement_timeout_ms", false, &o.statement_timeout));
  DAIRA_RETURN_IF_ERROR(SetInt(url, "statement_cache_size", /*positive=*/true, &o.statement_cache_size));

  if (sqlite) {
    DAIRA_RETURN_IF_ERROR(SetInt(url, "readers", /*positive=*/false, &o.readers));
    DAIRA_RETURN_IF_ERROR(CheckReadersFitFdLimit(o.readers));
    DAIRA_RETURN_IF_ERROR(SetMillis(url, "busy_timeout_ms", false, &o.busy_timeout));
    if (auto s = url.Param("synchronous"); s.has_value()) {
      std::string v = Lower(*s);
      if (v != "off" && v != "normal" && v != "full" && v != "extra") {
        return Bad("synchronous", "must be one of off, normal, full, extra", *s);
      }
      o.synchronous = v;
    }
    // Sizes: "2GiB", "64MiB", "0" (mmap off / SQLite's default page cache), plain bytes.
    if (auto v = url.Param("mmap_size"); v.has_value()) {
      DAIRA_ASSIGN_OR_RETURN(o.mmap_size,
                             daira::internal::ParseByteSize(kOp, "mmap_size", *v, /*allow_zero=*/true));
    }
    if (auto v = url.Param("cache_size"); v.has_value()) {
      DAIRA_ASSIGN_OR_RETURN(o.cache_size,
                             daira::internal::ParseByteSize(kOp, "cache_size", *v, /*allow_zero=*/true));
    }
    // An in-memory database exists only inside its one connection: reads share the writer.
    if (url.path == ":memory:") o.readers = 0;
  } else {
    DAIRA_RETURN_IF_ERROR(SetMillis(url, "max_replica_lag_ms", false, &o.max_replica_lag));
    DAIRA_RETURN_IF_ERROR(SetMillis(url, "connect_timeout_ms", true, &o.connect_timeout));
    for (const std::string& r : url.Params("replica")) {
      auto parsed = ParseUrl(r);
      if (!parsed.ok()) {
        return InvalidField(kOp, "replica",
                            absl::StrCat("is not a valid URL: ", parsed.status().message()));
      }
      if (parsed->scheme != "postgres" && parsed->scheme != "postgresql") {
        return InvalidField(kOp, "replica",
                            absl::StrCat("must be a postgres:// URL (got \"", parsed->Redacted(), "\")"));
      }
      o.replicas.push_back(r);
    }
  }
  return o;
}

}  // namespace daira::inline v0::store
