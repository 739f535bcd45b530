// Placeholder until the shared Redis client lands (replaced by backends/redis/redis_hub.cc).
#include "daira/realtime/hub.h"

namespace daira::inline v0::realtime {
absl::StatusOr<std::unique_ptr<Hub>> OpenRedisHub(std::string_view, const HubOptions&) {
  return absl::UnimplementedError("realtime: open: redis:// is not available yet");
}
}  // namespace daira::inline v0::realtime
