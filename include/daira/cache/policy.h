// cache::Policy: the TTL table of the cache layer, one row per key namespace, with the seed's defaults
// (docs/cache.md, "Policies"). A key's namespace is the text before its first ':' ("profile:42" →
// "profile"). Every row can be overridden from the cache URL (`ttl_profile_ms=600000`, `jitter=0.2`,
// `list_max_feed=500`) or in code.
//
//   cache::Policy policy = cache::Policy::Defaults();
//   policy.Set("profile", {.ttl = std::chrono::minutes(10), .jitter = 0.05});
//   std::chrono::milliseconds ttl = policy.TtlFor("profile:42");   // in (9.5 min, 10 min]
//   DAIRA_RETURN_IF_ERROR(policy.ApplyParam("ttl_session_ms", "3600000"));
//
// Jitter keeps entries written together from expiring together: a TTL drawn from the policy is
// ttl * (1 - jitter * u) with u uniform in [0, 1), so it is never longer than the stated TTL and never
// shorter than ttl * (1 - jitter).
//
// Thread-safety: a const Policy is safe to use from any number of threads (TtlFor included); Set and
// ApplyParam must not race with readers (configure first, then share).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace daira::inline v0::cache {

struct NamespacePolicy {
  // Lifetime of an entry written without an explicit TTL. 0 = no expiry.
  std::chrono::milliseconds ttl{0};
  // Fraction in [0, 1) by which a drawn TTL may be shortened (see above). Default 0.1.
  double jitter = 0.1;
  // Lists in this namespace are trimmed to this many newest values on every push. 0 = unbounded.
  int64_t max_list_length = 0;
};

class Policy {
 public:
  // The seed's table: session 24 h · feed 1 h (lists capped at 1,000) · profile 1 h · vector 30 days ·
  // ratelimit 1 h · analytics 24 h · custom: no default TTL (the caller passes one per key) ·
  // any other namespace: 1 h. Jitter 0.1 everywhere.
  static Policy Defaults();

  // The namespaces the default table names, in order.
  static const std::vector<std::string>& KnownNamespaces();
  // "profile" for "profile:42"; the whole key when it has no ':'.
  static std::string_view NamespaceOf(std::string_view key);

  // The row for `ns` (the fallback row when there is none).
  const NamespacePolicy& For(std::string_view ns) const;
  // Replaces (or adds) the row for `ns`. InvalidArgument when jitter is outside [0, 1) or a number is
  // negative.
  absl::Status Set(std::string_view ns, const NamespacePolicy& row);

  // A TTL for a new entry under `key`, jittered (thread-local random draw). 0 = no expiry.
  std::chrono::milliseconds TtlFor(std::string_view key) const;
  // The same with the random draw given (u in [0, 1)), for tests and reproducible callers.
  std::chrono::milliseconds TtlFor(std::string_view key, double u) const;

  // Applies one URL parameter: `ttl_<ns>_ms` (milliseconds, 0 = no expiry), `jitter` (every row),
  // `jitter_<ns>`, `list_max_<ns>`. Sets *applied (when given) to whether `name` is a policy
  // parameter; a non-policy name is left alone and returns OK. InvalidArgument naming the parameter
  // on a bad value.
  absl::Status ApplyParam(std::string_view name, std::string_view value, bool* applied = nullptr);

  // One line per row, for `daira stats` and logs: "profile ttl=3600000ms jitter=0.1 list_max=0".
  std::vector<std::string> Describe() const;

 private:
  std::map<std::string, NamespacePolicy, std::less<>> rows_;
  NamespacePolicy fallback_{.ttl = std::chrono::hours(1)};
};

}  // namespace daira::inline v0::cache
