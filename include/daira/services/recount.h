// The counter recount: proves every denormalized counter against the rows it counts, and repairs
// the ones that drifted (what `daira recount [--repair]` runs).
//
//   RequestContext ctx;
//   DAIRA_ASSIGN_OR_RETURN(services::RecountReport r, services::Recount(*db, ctx, {.repair = true}));
//   for (const auto& d : r.discrepancies) {
//     std::printf("%s %lld %s: stored %lld, actual %lld\n", d.table.c_str(), (long long)d.id,
//                 d.column.c_str(), (long long)d.stored, (long long)d.actual);
//   }
//   // r.repaired: the discrepancies were fixed in the same transaction that found them.
//
// What each counter counts (the same definitions store::Seed and the services maintain):
//   user_profiles.followers_count / following_count   ACTIVE follows to / from the user
//   user_profiles.posts_count                         the user's posts with status <> 'DELETED'
//   user_profiles.videos_count                        the user's videos with deleted_at IS NULL
//   user_profiles.likes_received_count                likes on the user's posts, videos and comments
//   posts.likes_count / videos.likes_count / comments.likes_count    likes on the target
//   posts.comments_count / videos.comments_count     its comments (replies included), status <> 'DELETED'
//   comments.replies_count                            direct replies (parent_id = the comment), not DELETED
//   hashtags.posts_count                              post_hashtags rows of the tag
//   wallets.balance                                   the sum of the wallet's ledger lines (migration 016);
//                                                     reported only, never repaired (money is investigated,
//                                                     not overwritten; docs/money.md)
// Each counter is checked by one set-based statement (the table LEFT JOIN one GROUP BY pass over the
// counted rows) and repaired by one UPDATE of just the disagreeing rows (their keys bound as one
// array, each recounted by a correlated count); the SQL is identical on SQLite and PostgreSQL.
//
// Thread-safety: Recount is reentrant. Repair runs in one transaction; concurrent writers keep
// counters exact themselves, so a repair never undoes their work (each UPDATE recomputes in place).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/services/service_deps.h"
#include "daira/store/database.h"

namespace daira::inline v0::services {

struct RecountOptions {
  bool repair = false;  // also set every disagreeing counter to its recount (one transaction). Default false.
};

// One counter that disagrees with the rows it counts.
struct CounterDiscrepancy {
  std::string table;   // "user_profiles", "posts", ...
  int64_t id = 0;      // the row's key (user_profiles.user_id, else id)
  std::string column;  // "followers_count", ...
  int64_t stored = 0;  // the counter's value when checked
  int64_t actual = 0;  // the recount
  friend bool operator==(const CounterDiscrepancy&, const CounterDiscrepancy&) = default;
};

struct RecountReport {
  std::vector<CounterDiscrepancy> discrepancies;  // ordered by counter (as listed above), then id
  int counters_checked = 0;                       // number of (table, column) counters checked
  bool repaired = false;                          // true when options.repair and the repair committed
};

// The (table, column) names of every counter Recount checks, in report order.
std::vector<std::pair<std::string, std::string>> RecountedCounters();

// Checks every counter of a migrated database (and repairs them when options.repair). Returns the
// report; database errors pass through prefixed "recount: <table>.<column>: ". With repair, the
// discrepancies listed are exactly those the transaction fixed, except wallets.balance (reported, never
// fixed).
absl::StatusOr<RecountReport> Recount(store::Database& db, const RequestContext& ctx,
                                      const RecountOptions& options = {});

// As above on deps.db; when deps has a feed cache (deps.cache and FeedCacheOptions::enabled) and the
// repair committed, every author whose followers_count the repair moved across
// deps.feed_cache.fanout_max_followers gets its readers' cached feeds dropped as a follow or unfollow
// would (docs/cache.md, "Feed cache"): falling below drops the readers' lists and large-account sets,
// rising to it drops their large-account sets. A failure to drop them is logged, not returned (they
// expire with the feed TTL).
absl::StatusOr<RecountReport> Recount(const ServiceDeps& deps, const RequestContext& ctx,
                                      const RecountOptions& options = {});

}  // namespace daira::inline v0::services
