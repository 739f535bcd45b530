// Real-time channel names and patterns.
//
//   realtime::ValidateChannel("user:42");             // OK
//   realtime::ValidateChannel("topic:sports.live");   // OK
//   realtime::ValidatePattern("conversation:*");      // OK
//   realtime::PatternMatches("topic:sports.*", "topic:sports.live");   // true
//   realtime::ValidateChannel("user:bob");            // InvalidArgument naming the channel
//
// A channel is one of
//   user:{id}            id: 1-20 decimal digits
//   conversation:{id}    id: 1-20 decimal digits
//   topic:{name}         name: 1-128 of [A-Za-z0-9._-]
// A pattern is one of those kinds whose id/name part also contains '*' (any run of characters,
// possibly empty), e.g. `user:*`, `topic:sports.*`, `conversation:12*`. The character sets are closed
// so that a pattern means the same in-process and as a Redis PSUBSCRIBE glob.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace daira::inline v0::realtime {

// OK, or InvalidArgument "realtime: channel <name> …" saying what is wrong.
absl::Status ValidateChannel(std::string_view channel);
// OK, or InvalidArgument "realtime: pattern <p> …". A pattern must contain at least one '*'.
absl::Status ValidatePattern(std::string_view pattern);
// True when `target` contains '*' (is meant as a pattern).
bool IsPattern(std::string_view target);
// True when `channel` matches `pattern` ('*' matches any run of characters). Both assumed valid.
bool PatternMatches(std::string_view pattern, std::string_view channel);

}  // namespace daira::inline v0::realtime
