// services::FeedCacheOptions: how the home feed uses the cache (fan-out on write; docs/cache.md, "Feed
// cache").
//
//   PlatformOptions options;
//   options.feed_cache.fanout_max_followers = 5'000;   // larger accounts are merged at read time
//   options.feed_cache.rebuild_depth = 300;            // post ids loaded when a reader's list is rebuilt
//   auto platform = Platform::Open(config, options);
//
// The feed cache is used whenever the services have a cache (ServiceDeps::cache; the Platform sets it
// for a Redis cache, or an in-process cache on SQLite). Its answers are exactly the database path's.
//
// Thread-safety: a plain value; copy it before sharing.
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace daira::inline v0::services {

struct FeedCacheOptions {
  // false: Feed::Home always reads the database (no lists are kept, no fan-out).
  bool enabled = true;
  // Authors with at least this many followers are not fanned out: their recent posts are merged into
  // each reader's page at read time (the hybrid model). Must be > 0.
  int64_t fanout_max_followers = 10'000;
  // How many post ids a reader's `feed:` list is rebuilt with from the database (its first read, or
  // after it expired or was invalidated). Pages past them are read from the database. 1..1000 (the
  // feed namespace's list cap bounds it).
  int64_t rebuild_depth = 200;

  // InvalidArgument naming the field out of range.
  absl::Status Validate() const;
};

}  // namespace daira::inline v0::services
