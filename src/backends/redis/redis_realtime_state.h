// RedisRealtimeState: backends::RealtimeState in Redis keys, shared by every app instance.
//
//   <prefix>rt:presence:{<user>}   hash: d:<device> → "<status>:<expires_us>", last_seen → us
//   <prefix>rt:presence:expiry     sorted set: user → earliest device expiry (for Sweep)
//   <prefix>rt:typing:{<conv>}     hash: <user> → "<expires_us>:<last_event_us>"
//   <prefix>rt:typing:expiry       sorted set: "<conv>:<user>" → expiry
//
// Every update is one Lua script (atomic across instances); reads of many users are one pipeline.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "backends/realtime_state.h"
#include "backends/redis/redis_url.h"

namespace daira::inline v0::backends::redis {

// Opens its own pool on `url` (Unavailable / Unauthenticated when Redis cannot be used).
absl::StatusOr<std::unique_ptr<RealtimeState>> OpenRedisRealtimeState(const RedisUrl& url);

}  // namespace daira::inline v0::backends::redis
