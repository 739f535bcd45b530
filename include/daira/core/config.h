// Platform configuration: one URL per concern. Leaving everything out gives the embedded default.
//
//   auto cfg = daira::Config::Embedded("app.db");               // sqlite:app.db, memory cache/bus/realtime
//   auto cfg2 = daira::Config::FromUrls({"database=postgres://app@127.0.0.1:5433/app",
//                                        "cache=redis://127.0.0.1:6380/0"});
//   if (!cfg2.ok()) { /* InvalidArgument naming the concern and what is wrong */ }
//   auto cfg3 = daira::Config::FromUrls({"database=postgres://app@db/app", "node_id=7",
//                                        "cursor_key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"});
//
// Besides the concern URLs, a few instance options are given the same way (name=value); they say how
// this instance shares the database with others (docs/reliability.md, "Ids and cursor keys across
// instances"; every one is listed in docs/configuration.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::inline v0 {

struct Config {
  std::string database = "sqlite:./daira.db";  // sqlite:PATH | sqlite::memory: | postgres://...
  std::string cache = "memory:";               // memory: | redis://...
  std::string bus = "sqlite:";                 // sqlite: (same file as database) | postgres: | redis://...
  std::string realtime = "memory:";            // memory: | redis://...
  std::string blobs = "file:./daira-blobs";    // file:DIR | s3://...

  // ---- Instance options ----
  // node_id=N: this instance's id-generator node id, in [0, 1023], instead of leasing a free one from
  // the database. It is still registered there (a leased instance can never take it); Platform::Open
  // fails with FailedPrecondition while another live instance holds it. -1 (default): lease one.
  int node_id = -1;
  // cursor_key=HEX: the cursor signing key as 64 hex digits (32 bytes), instead of the keys kept in
  // the database. Every instance serving the same clients must then be given the same key. A secret:
  // never echoed in errors. "" (default): use the database's keys.
  std::string cursor_key;
  // node_lease_ttl_ms=: how long a node id lease lives without a heartbeat. Default 30 s.
  std::chrono::milliseconds node_lease_ttl{30000};
  // node_heartbeat_ms=: how often the lease is renewed (and the cursor keys re-read); at most half of
  // node_lease_ttl. Default 10 s.
  std::chrono::milliseconds node_heartbeat{10000};
  // cursor_key_grace_ms=: how long a rotated-out cursor key is still accepted. Default 7 days.
  std::chrono::milliseconds cursor_key_grace{std::chrono::hours(24 * 7)};

  // ---- Rate limits (docs/ratelimit.md, "Limits in the configuration") ----
  // One limit of `ratelimit=ENDPOINT:COUNT/WINDOW[:ALGORITHM],...`, e.g. "api.search:100/60s" or
  // "login:5/15m:gcra". Plain data (core knows nothing of the limiter): Platform::Open applies each
  // entry with PlatformRateLimitOptions::Set, over what the code set.
  struct RateLimitEntry {
    std::string endpoint;                // [A-Za-z0-9._-]+; "login" and "post.create" are the platform's
    int64_t count = 0;                   // units per window; 0 turns "login" / "post.create" off
    std::chrono::milliseconds window{0};  // COUNT/WINDOW: a whole number with ms, s, m, h or d (>= 1 ms)
    std::string algorithm = "sliding_window";  // "sliding_window" (default) or "gcra"
  };
  // ratelimit=: the limits, in the order given (an endpoint given twice is InvalidArgument).
  std::vector<RateLimitEntry> rate_limits;
  // ---- Service options (docs/configuration.md, "Service options") ----
  // Each overrides the matching PlatformOptions field when set (>= 0); -1 (default): PlatformOptions'
  // value stands. So a deployment can tune them in its configuration, next to the URLs.
  // moderation_auto_hide_threshold=N: ModerationOptions::auto_hide_threshold, in [0, 1000000] (0: never).
  int64_t moderation_auto_hide_threshold = -1;
  // tip_fee_bps=N: WalletsOptions::tip_fee_bps (PlatformOptions::money), in [0, 9999].
  int64_t tip_fee_bps = -1;
  // money_idempotency_retention_s=N: WalletsOptions::idempotency_retention in seconds, in [86400, 10 years].
  int64_t money_idempotency_retention_s = -1;
  // money_max_attempts=N: WalletsOptions::max_attempts, in [1, 1000].
  int64_t money_max_attempts = -1;

  // The embedded default on the SQLite file at `path`.
  static Config Embedded(std::string_view path);
  // Parses "concern=url" entries (database, cache, bus, realtime, blobs) and "option=value" entries
  // (node_id, cursor_key, node_lease_ttl_ms, node_heartbeat_ms, cursor_key_grace_ms, ratelimit, and the
  // service options above); unknown names, malformed URLs or out-of-range values are InvalidArgument
  // naming the entry.
  static absl::StatusOr<Config> FromUrls(const std::vector<std::string>& entries);
  // Checks the instance and service options (ranges, cursor_key's form, node_heartbeat <=
  // node_lease_ttl / 2): InvalidArgument naming the option. Platform::Open calls it.
  absl::Status ValidateInstanceOptions() const;
  // Parses the value of a `ratelimit=` entry (above): InvalidArgument naming the entry ("ratelimit")
  // and the limit at fault (a missing part, a bad count, window, unit, algorithm or endpoint name, an
  // endpoint given twice). Writes nothing on failure.
  static absl::StatusOr<std::vector<RateLimitEntry>> ParseRateLimits(std::string_view text);
};

}  // namespace daira::inline v0
