#include "backends/redis/redis_reply.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {

absl::Status ErrorReplyStatus(std::string_view what, const RedisReply& reply) {
  const absl::string_view text = ToAbsl(reply.str);
  const std::string message = absl::StrCat("redis ", ToAbsl(what), ": ", text);
  auto starts = [&](absl::string_view code) { return absl::StartsWith(text, code); };
  if (starts("NOAUTH") || starts("WRONGPASS")) return absl::UnauthenticatedError(message);
  if (starts("NOPERM")) return absl::PermissionDeniedError(message);
  if (starts("OOM")) return absl::ResourceExhaustedError(message);
  if (starts("LOADING") || starts("BUSY") || starts("MASTERDOWN") || starts("TRYAGAIN") ||
      starts("CLUSTERDOWN")) {
    return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

}  // namespace daira::inline v0::backends::redis
