// The realtime URL (memory: or redis://…) parsed once for the hub, presence and typing: every
// realtime parameter is accepted by each (docs/configuration.md, "Real-time"), each applies its own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/realtime_state.h"
#include "backends/redis/redis_url.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"
#include "daira/realtime/typing.h"

namespace daira::inline v0::realtime::internal {

struct RealtimeUrl {
  bool redis = false;
  std::optional<backends::redis::RedisUrl> redis_url;
  std::vector<std::pair<std::string, std::string>> params;  // the realtime parameters
};

// InvalidArgument for an unknown scheme, a parameter that is not a realtime one, or a bad value.
absl::StatusOr<RealtimeUrl> ParseRealtimeUrl(std::string_view url);
absl::Status ApplyHubParams(const RealtimeUrl& url, HubOptions& options);
absl::Status ApplyPresenceParams(const RealtimeUrl& url, PresenceOptions& options);
absl::Status ApplyTypingParams(const RealtimeUrl& url, TypingOptions& options);
// The presence/typing state the URL names. On redis:// every call goes through `hub`'s circuit breaker
// when `hub` is a Redis hub (one breaker per hub), else through its own made from the URL's breaker_*.
absl::StatusOr<std::unique_ptr<backends::RealtimeState>> OpenState(const RealtimeUrl& url, Hub& hub);

}  // namespace daira::inline v0::realtime::internal
