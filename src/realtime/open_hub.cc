// OpenHub and the realtime URL: the one explicit registry of real-time backends, by URL scheme.
#include <charconv>
#include <string>

#include "backends/memory/memory_hub.h"
#include "backends/memory/memory_realtime_state.h"
#include "backends/redis/redis_breaker_params.h"
#include "backends/redis/redis_hub.h"
#include "backends/redis/redis_realtime_state.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "realtime/realtime_url_internal.h"

namespace daira::inline v0::realtime {
namespace internal {
namespace {

constexpr std::string_view kParams[] = {"history",         "history_ttl_ms",        "max_payload",
                                        "presence_ttl_ms", "presence_retention_ms", "typing_interval_ms",
                                        "typing_ttl_ms"};

absl::StatusOr<uint64_t> ParseCount(std::string_view name, std::string_view value, uint64_t min,
                                    uint64_t max) {
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < min || out > max) {
    return InvalidField("realtime: open", name,
                        "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                            "] (got '" + std::string(value) + "')");
  }
  return out;
}

constexpr uint64_t kMaxMs = uint64_t{1} << 40;

bool IsParam(std::string_view name) {
  return std::find(std::begin(kParams), std::end(kParams), name) != std::end(kParams) ||
         std::find(std::begin(backends::redis::kBreakerParams), std::end(backends::redis::kBreakerParams),
                   name) != std::end(backends::redis::kBreakerParams);
}

// Presence and typing state behind a circuit breaker: while it is open every call fails at once with
// Unavailable (the breaker's message) without reaching the state's backend.
class RealtimeStateBreakerWrapper final : public backends::RealtimeState {
 public:
  RealtimeStateBreakerWrapper(std::unique_ptr<backends::RealtimeState> inner,
                              std::shared_ptr<resilience::CircuitBreaker> breaker)
      : inner_(std::move(inner)), breaker_(std::move(breaker)) {}

  absl::StatusOr<PresenceChange> UpdatePresence(int64_t user, std::string_view device, int status,
                                                int64_t now_us, int64_t expires_us,
                                                int64_t retention_ms) override {
    return Guarded("realtime: presence: update", [&] {
      return inner_->UpdatePresence(user, device, status, now_us, expires_us, retention_ms);
    });
  }
  absl::StatusOr<std::vector<PresenceRow>> ReadPresence(std::span<const int64_t> users,
                                                        int64_t now_us) override {
    return Guarded("realtime: presence: read", [&] { return inner_->ReadPresence(users, now_us); });
  }
  absl::StatusOr<std::vector<int64_t>> PresenceExpired(int64_t now_us) override {
    return Guarded("realtime: presence: sweep", [&] { return inner_->PresenceExpired(now_us); });
  }
  absl::StatusOr<bool> TypingStart(int64_t conversation, int64_t user, int64_t now_us, int64_t expires_us,
                                   int64_t interval_us) override {
    return Guarded("realtime: typing: start",
                   [&] { return inner_->TypingStart(conversation, user, now_us, expires_us, interval_us); });
  }
  absl::StatusOr<bool> TypingStop(int64_t conversation, int64_t user, int64_t now_us) override {
    return Guarded("realtime: typing: stop", [&] { return inner_->TypingStop(conversation, user, now_us); });
  }
  absl::StatusOr<std::vector<int64_t>> Typists(int64_t conversation, int64_t now_us) override {
    return Guarded("realtime: typing: typists", [&] { return inner_->Typists(conversation, now_us); });
  }
  absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> TypingExpired(int64_t now_us) override {
    return Guarded("realtime: typing: sweep", [&] { return inner_->TypingExpired(now_us); });
  }

 private:
  template <typename F>
  auto Guarded(std::string_view op, F&& call) -> decltype(call()) {
    return backends::redis::Guarded(*breaker_, op, std::forward<F>(call));
  }

  std::unique_ptr<backends::RealtimeState> inner_;
  std::shared_ptr<resilience::CircuitBreaker> breaker_;
};

}  // namespace

absl::StatusOr<RealtimeUrl> ParseRealtimeUrl(std::string_view url) {
  const std::string_view scheme = url.substr(0, url.find(':'));
  RealtimeUrl out;
  if (scheme == "memory") {
    DAIRA_ASSIGN_OR_RETURN(Url parsed, ParseUrl(url));
    if (!parsed.host.empty() || !parsed.path.empty()) {
      return absl::InvalidArgumentError("realtime: open: memory: takes no path or host (got '" +
                                        parsed.Redacted() + "')");
    }
    for (const auto& [k, v] : parsed.params) {
      if (!IsParam(k)) {
        return InvalidField("realtime: open", k,
                            "is not a parameter of memory: (known: history, max_payload, presence_ttl_ms, "
                            "typing_interval_ms, typing_ttl_ms)");
      }
    }
    out.params = parsed.params;
    return out;
  }
  if (scheme == "redis") {
    std::vector<std::string_view> names(std::begin(kParams), std::end(kParams));
    names.insert(names.end(), std::begin(backends::redis::kBreakerParams),
                 std::end(backends::redis::kBreakerParams));
    auto parsed = backends::redis::RedisUrl::Parse(url, names);
    if (!parsed.ok()) return Annotate(parsed.status(), "realtime: open");
    out.redis = true;
    out.params.assign(parsed->params.begin(), parsed->params.end());
    out.redis_url = *std::move(parsed);
    return out;
  }
  return absl::InvalidArgumentError("realtime: open: unknown scheme '" + std::string(scheme) +
                                    ":' (known: memory:, redis://)");
}

absl::Status ApplyHubParams(const RealtimeUrl& url, HubOptions& options) {
  for (const auto& [key, value] : url.params) {
    if (key == "history") {
      DAIRA_ASSIGN_OR_RETURN(options.history, ParseCount(key, value, 0, 10000000));
    } else if (key == "max_payload") {
      DAIRA_ASSIGN_OR_RETURN(options.max_payload, ParseCount(key, value, 1, 512u << 20));
    } else if (key == "history_ttl_ms") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 1, kMaxMs));
      options.history_ttl = std::chrono::milliseconds(v);
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyPresenceParams(const RealtimeUrl& url, PresenceOptions& options) {
  for (const auto& [key, value] : url.params) {
    if (key == "presence_ttl_ms") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 1, kMaxMs));
      options.ttl = std::chrono::milliseconds(v);
    } else if (key == "presence_retention_ms") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 1, kMaxMs));
      options.retention = std::chrono::milliseconds(v);
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyTypingParams(const RealtimeUrl& url, TypingOptions& options) {
  for (const auto& [key, value] : url.params) {
    if (key == "typing_interval_ms") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 1, kMaxMs));
      options.interval = std::chrono::milliseconds(v);
    } else if (key == "typing_ttl_ms") {
      DAIRA_ASSIGN_OR_RETURN(uint64_t v, ParseCount(key, value, 1, kMaxMs));
      options.ttl = std::chrono::milliseconds(v);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<backends::RealtimeState>> OpenState(const RealtimeUrl& url, Hub& hub) {
  if (!url.redis) return backends::memory::NewMemoryRealtimeState();
  std::shared_ptr<resilience::CircuitBreaker> breaker;
  if (auto* redis_hub = dynamic_cast<backends::redis::RedisHub*>(&hub)) breaker = redis_hub->shared_breaker();
  if (breaker == nullptr) {
    resilience::CircuitBreakerOptions options{.name = "redis realtime state"};
    for (const auto& [name, value] : url.params) {
      DAIRA_RETURN_IF_ERROR(
          backends::redis::ApplyBreakerParam("realtime: open", name, value, options).status());
    }
    breaker = std::make_shared<resilience::CircuitBreaker>(std::move(options));
  }
  DAIRA_ASSIGN_OR_RETURN(auto state, backends::redis::OpenRedisRealtimeState(*url.redis_url));
  return std::unique_ptr<backends::RealtimeState>(
      new RealtimeStateBreakerWrapper(std::move(state), std::move(breaker)));
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Hub>> OpenHub(std::string_view url, const HubOptions& options) {
  DAIRA_ASSIGN_OR_RETURN(internal::RealtimeUrl parsed, internal::ParseRealtimeUrl(url));
  HubOptions opts = options;
  DAIRA_RETURN_IF_ERROR(internal::ApplyHubParams(parsed, opts));
  if (parsed.redis) {
    DAIRA_ASSIGN_OR_RETURN(auto hub, backends::redis::RedisHub::Open(*parsed.redis_url, opts));
    return std::unique_ptr<Hub>(std::move(hub));
  }
  DAIRA_ASSIGN_OR_RETURN(auto hub, backends::memory::MemoryHub::Open(opts));
  return std::unique_ptr<Hub>(std::move(hub));
}

}  // namespace daira::inline v0::realtime
