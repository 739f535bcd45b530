// The platform's rate limiter (docs/ratelimit.md) behind one JSON call, and the open option that
// configures its endpoints ("rate_limits": [{endpoint, count, window_ms, algorithm}]).
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/ratelimit/rate_limiter.h"
#include "internal.h"

using daira::JsonWriter;

namespace daira::cabi {

absl::Status ParseRateLimits(std::string_view op, Request& r, PlatformRateLimitOptions& out) {
  std::optional<std::vector<std::string>> texts = r.OptObjectListTexts("rate_limits");
  if (!texts) return absl::OkStatus();
  for (size_t i = 0; i < texts->size(); ++i) {
    const std::string at = absl::StrCat("rate_limits[", i, "]");
    DAIRA_ASSIGN_OR_RETURN(Request item, Request::Parse(op, (*texts)[i], at));
    const std::string endpoint = item.String("endpoint");
    const std::optional<int64_t> count = item.OptInt("count");
    const std::optional<int64_t> window_ms = item.OptInt("window_ms");
    const std::string algorithm = item.String("algorithm", "sliding_window");
    DAIRA_RETURN_IF_ERROR(item.Finish());
    if (!count) return InvalidField(op, at + ".count", "is required (units per window)");
    if (!window_ms) return InvalidField(op, at + ".window_ms", "is required (milliseconds)");
    const std::optional<ratelimit::Algorithm> parsed = ratelimit::ParseAlgorithm(algorithm);
    if (!parsed) {
      return InvalidField(op, at + ".algorithm",
                          absl::StrCat("must be \"sliding_window\" or \"gcra\" (got \"", algorithm, "\")"));
    }
    const ratelimit::Limit limit{
        .count = *count, .window = std::chrono::milliseconds(*window_ms), .algorithm = *parsed};
    absl::Status set = out.Set(endpoint, limit);
    if (!set.ok()) return InvalidField(op, at, std::string(set.message()));
  }
  return absl::OkStatus();
}

}  // namespace daira::cabi

DAIRA_CABI_CALL(daira_rate_limit_check, "rate_limits.check") {
  const std::string key = r.String("key");
  if (!r.Has("key")) r.Fail("key", "is required");
  const std::string endpoint = r.String("endpoint");
  if (!r.Has("endpoint")) r.Fail("endpoint", "is required");
  const int64_t cost = r.OptInt("cost").value_or(1);
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(daira::ratelimit::Decision d, p.rate_limits().Check(key, endpoint, cost));
  JsonWriter w;
  w.BeginObject()
      .Key("allowed")
      .Bool(d.allowed)
      .Key("remaining")
      .Int(d.remaining)
      .Key("limit")
      .Int(d.limit)
      .Key("retry_after_ms")
      .Int(d.retry_after.count())
      .Key("reset_after_ms")
      .Int(d.reset_after.count())
      .Key("degraded")
      .Bool(d.degraded)
      .EndObject();
  return w.Take();
}
