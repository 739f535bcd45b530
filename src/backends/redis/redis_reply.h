// An owned copy of one Redis reply, and the mapping of Redis error replies to absl::Status
// (internal to the Redis backends; no hiredis type escapes redis_connection.cc).
//
//   DAIRA_ASSIGN_OR_RETURN(RedisReply r, conn->Command({"GET", key}));
//   if (r.IsNil()) return absl::NotFoundError(...);
//   use(r.str);
//
// A plain value type: thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace daira::inline v0::backends::redis {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;          // kString, kStatus, kError
  long long integer = 0;    // kInteger
  std::vector<RedisReply> elements;  // kArray

  bool IsNil() const { return type == Type::kNil; }
  bool IsError() const { return type == Type::kError; }
};

// The Status for an error reply, message "redis <what>: <error text>": NOAUTH/WRONGPASS → Unauthenticated,
// NOPERM → PermissionDenied, OOM → ResourceExhausted, LOADING/BUSY/MASTERDOWN/TRYAGAIN/CLUSTERDOWN →
// Unavailable, anything else → FailedPrecondition. `reply` must be IsError().
absl::Status ErrorReplyStatus(std::string_view what, const RedisReply& reply);

}  // namespace daira::inline v0::backends::redis
