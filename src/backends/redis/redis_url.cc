#include "backends/redis/redis_url.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/core/url.h"

namespace daira::inline v0::backends::redis {
namespace {

constexpr std::array<std::string_view, 5> kCommonParams = {"prefix", "connect_timeout_ms", "timeout_ms",
                                                           "pool_size", "reconnect_backoff_max_ms"};

absl::Status Bad(const std::string& redacted, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("redis url \"", redacted, "\": ", ToAbsl(what)));
}

// A whole non-negative decimal in [min, max], or an error naming `name`.
absl::StatusOr<long long> ParseBounded(const std::string& redacted, std::string_view name,
                                       std::string_view value, long long min, long long max) {
  long long out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || out < min || out > max) {
    return Bad(redacted, absl::StrCat(ToAbsl(name), " must be a whole number in [", min, ", ", max,
                                      "] (got \"", ToAbsl(value), "\")"));
  }
  return out;
}

}  // namespace

absl::StatusOr<RedisUrl> RedisUrl::Parse(std::string_view text,
                                         std::span<const std::string_view> extra_params) {
  auto parsed = ParseUrl(text);
  if (!parsed.ok()) return Annotate(parsed.status(), "redis url");
  RedisUrl url;
  url.redacted_ = parsed->Redacted();
  const std::string& r = url.redacted_;
  if (parsed->scheme == "rediss")
    return Bad(r, "TLS (rediss://) is not supported; use redis:// on a trusted network");
  if (parsed->scheme != "redis")
    return Bad(r, absl::StrCat("scheme must be redis:// (got \"", parsed->scheme, ":\")"));
  if (parsed->host.empty()) return Bad(r, "a host is required (redis://HOST[:PORT][/DB])");
  url.host = parsed->host;
  if (parsed->port != 0) url.port = parsed->port;
  if (!parsed->path.empty()) {
    DAIRA_ASSIGN_OR_RETURN(long long db,
                           ParseBounded(r, "the database index (path)", parsed->path, 0, 1 << 20));
    url.db = static_cast<int>(db);
  }
  url.username = parsed->user;
  url.password = parsed->password;
  if (!url.username.empty() && !parsed->has_password) url.username.clear();  // redis://default@host: no AUTH
  for (const auto& [key, value] : parsed->params) {
    const bool common = std::find(kCommonParams.begin(), kCommonParams.end(), key) != kCommonParams.end();
    const bool extra = std::find(extra_params.begin(), extra_params.end(), key) != extra_params.end();
    if (!common && !extra) {
      std::string known;
      for (std::string_view k : kCommonParams) absl::StrAppend(&known, known.empty() ? "" : ", ", ToAbsl(k));
      for (std::string_view k : extra_params) absl::StrAppend(&known, ", ", ToAbsl(k));
      return Bad(r, absl::StrCat("unknown parameter \"", key, "\" (known: ", known, ")"));
    }
    if (key == "prefix") {
      if (value.size() > 256) return Bad(r, "prefix is longer than 256 bytes");
      url.prefix = value;
    } else if (key == "connect_timeout_ms") {
      DAIRA_ASSIGN_OR_RETURN(long long ms, ParseBounded(r, key, value, 1, 600000));
      url.connect_timeout = std::chrono::milliseconds(ms);
    } else if (key == "timeout_ms") {
      DAIRA_ASSIGN_OR_RETURN(long long ms, ParseBounded(r, key, value, 1, 600000));
      url.command_timeout = std::chrono::milliseconds(ms);
    } else if (key == "pool_size") {
      DAIRA_ASSIGN_OR_RETURN(long long n, ParseBounded(r, key, value, 1, 1024));
      url.pool_size = static_cast<int>(n);
    } else if (key == "reconnect_backoff_max_ms") {
      DAIRA_ASSIGN_OR_RETURN(long long ms, ParseBounded(r, key, value, 100, 600000));
      url.reconnect_backoff_max = std::chrono::milliseconds(ms);
    } else {
      url.params[key] = value;
    }
  }
  return url;
}

}  // namespace daira::inline v0::backends::redis
