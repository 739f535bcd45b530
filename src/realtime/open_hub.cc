// OpenHub: the one explicit registry of real-time backends, by URL scheme.
#include <charconv>
#include <string>

#include "backends/memory/memory_hub.h"
#include "backends/redis/redis_hub.h"
#include "backends/redis/redis_url.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/realtime/hub.h"

namespace daira::inline v0::realtime {
namespace {

absl::StatusOr<uint64_t> ParseCount(std::string_view name, std::string_view value, uint64_t max) {
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out > max) {
    return InvalidField("realtime: open", name,
                        "must be an integer in [0, " + std::to_string(max) + "] (got '" + std::string(value) + "')");
  }
  return out;
}

}  // namespace

// Applies the hub parameters (docs/configuration.md, "Real-time") found in `params` to `options`.
absl::Status ApplyHubParams(const std::vector<std::pair<std::string, std::string>>& params, HubOptions& options,
                            bool redis) {
  for (const auto& [key, value] : params) {
    if (key == "history") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 10000000));
      options.history = v;
    } else if (key == "max_payload") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 512u << 20));
      if (v == 0) return InvalidField("realtime: open", key, "must be at least 1 (got '0')");
      options.max_payload = v;
    } else if (key == "history_ttl_ms" && redis) {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, uint64_t{1} << 40));
      if (v == 0) return InvalidField("realtime: open", key, "must be at least 1 (got '0')");
      options.history_ttl = std::chrono::milliseconds(v);
    } else if (!redis) {
      return InvalidField("realtime: open", key,
                          "is not a parameter of memory: (known: history, max_payload)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Hub>> OpenRedisHub(std::string_view url, const HubOptions& options) {
  static constexpr std::string_view kParams[] = {"history", "history_ttl_ms", "max_payload"};
  auto parsed = backends::redis::RedisUrl::Parse(url, kParams);
  if (!parsed.ok()) return Annotate(parsed.status(), "realtime: open");
  HubOptions opts = options;
  std::vector<std::pair<std::string, std::string>> params(parsed->params.begin(), parsed->params.end());
  DAIRA_RETURN_IF_ERROR(ApplyHubParams(params, opts, true));
  DAIRA_ASSIGN_OR_RETURN(auto hub, backends::redis::RedisHub::Open(*parsed, opts));
  return std::unique_ptr<Hub>(std::move(hub));
}

absl::StatusOr<std::unique_ptr<Hub>> OpenHub(std::string_view url, const HubOptions& options) {
  const std::string_view scheme = url.substr(0, url.find(':'));
  if (scheme == "memory") {
    DAIRA_ASSIGN_OR_RETURN(Url parsed, ParseUrl(url));
    if (!parsed.host.empty() || !parsed.path.empty()) {
      return absl::InvalidArgumentError("realtime: open: memory: takes no path or host (got '" + parsed.Redacted() +
                                        "')");
    }
    HubOptions opts = options;
    DAIRA_RETURN_IF_ERROR(ApplyHubParams(parsed.params, opts, false));
    DAIRA_ASSIGN_OR_RETURN(auto hub, backends::memory::MemoryHub::Open(opts));
    return std::unique_ptr<Hub>(std::move(hub));
  }
  if (scheme == "redis") return OpenRedisHub(url, options);
  return absl::InvalidArgumentError("realtime: open: unknown scheme '" + std::string(scheme) +
                                    ":' (known: memory:, redis://)");
}

}  // namespace daira::inline v0::realtime
