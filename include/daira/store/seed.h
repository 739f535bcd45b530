// A deterministic synthetic dataset for benchmarks, demos and tests: users with profiles, a power-law
// follow graph, posts with hashtags and mentions, videos, threaded comments and likes, with every
// denormalized counter exactly consistent with the rows it counts.
//
//   DAIRA_ASSIGN_OR_RETURN(auto migrator, store::Migrator::Create(*db));
//   DAIRA_RETURN_IF_ERROR(migrator->Migrate(ctx));
//   store::SeedOptions options;
//   options.users = 100000;
//   options.posts = 1000000;
//   DAIRA_ASSIGN_OR_RETURN(store::SeedReport report, store::Seed(*db, ctx, options));
//   std::printf("%lld posts in %lld ms\n", (long long)report.posts, (long long)report.elapsed.count());
//
// Same options (including `seed`) → the same rows, byte for byte, on any machine and either backend:
// ids and timestamps derive from `base_time` and each row's index (never from the wall clock), and
// randomness comes from std::mt19937_64 streams with hand-written sampling (no std:: distributions,
// whose output differs between standard libraries). Ids use daira's id layout (time-ordered): the
// node bits hold the entity kind, so ids are unique across tables.
//
// Popularity is Zipf-distributed (exponent zipf_s): who gets followed, who posts, which hashtags are
// used, which posts get comments and likes. No self-follows, no duplicate follows or likes. All
// follows are ACTIVE and all content ACTIVE / PUBLIC, except videos (mostly PUBLISHED, some still
// UPLOADING / PROCESSING or FAILED). Counters: followers_count / following_count (follows),
// posts_count, videos_count (all of a user's videos), likes_received_count (likes on the user's posts,
// videos and comments), posts/videos likes_count and comments_count (all comments, replies included),
// comments likes_count and replies_count (direct replies), hashtags posts_count and last_used_at.
//
// Thread-safety: Seed may run concurrently with other work on the database, but two seeds into one
// database conflict (same ids).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/store/database.h"

namespace daira::inline v0::store {

// How far a running Seed is, reported after every multi-row INSERT (SeedOptions::on_progress).
struct SeedProgress {
  std::string_view table;          // the table the last batch went to (valid during the call only)
  int64_t rows_written = 0;        // rows inserted so far, every table (profiles and wallets included)
  int64_t rows_total = 0;          // rows the whole seed inserts (exact: the structure is drawn first)
  std::chrono::steady_clock::duration elapsed{};  // since Seed started
};

struct SeedOptions {
  int64_t users = 1000;            // users, each with a profile and a wallet
  int64_t avg_following = 20;      // mean follows per user (each user follows 0..2×mean, capped at users-1)
  int64_t posts = 10000;           // posts
  int64_t videos = 1000;           // videos
  int64_t comments = 20000;        // comments on posts and videos (about 30% are replies)
  int64_t likes = 50000;           // likes on posts, videos and comments (fewer if targets run out)
  int64_t hashtags = 1000;         // hashtag vocabulary size
  uint64_t seed = 42;              // the random seed; same seed + options → same data
  double zipf_s = 1.1;             // Zipf exponent of every popularity distribution (> 0)
  // Start of the dataset's timeline, microseconds since the Unix epoch (default 2024-06-01T00:00:00Z).
  // Users are created first (one per minute), then posts, videos, comments and likes (one per second).
  int64_t base_time = 1717200000000000;
  int64_t batch_rows = 500;        // rows per multi-row INSERT statement
  // Rows inserted per transaction. 0 (default): the whole seed is one transaction, so it is all or
  // nothing (a failure leaves every table empty, the database still seedable). A positive value commits
  // every that many rows (bounded WAL on huge loads) and gives up that guarantee.
  int64_t rows_per_transaction = 0;
  // SQLite: page cache (MiB) for the seeding connection while it loads (restored afterwards); 0 keeps
  // the connection's setting. Bulk loads into indexed tables need the index pages in memory.
  int64_t sqlite_cache_mb = 1024;
  // SQLite: skip per-row foreign-key checks while loading (the generated rows are consistent by
  // construction; re-enabled afterwards).
  bool sqlite_skip_fk_checks = true;
  // Called on the seeding thread after every batch (every `batch_rows` rows of a table); keep it cheap
  // (the CLI redraws a progress line at most every 200 ms). Empty: no reports.
  std::function<void(const SeedProgress&)> on_progress;

  // OK, or the InvalidArgument Seed would return for these options (check before migrating or
  // connecting: a bad request should cost nothing).
  absl::Status Validate() const;
};

struct SeedReport {
  int64_t users = 0;
  int64_t follows = 0;
  int64_t posts = 0;
  int64_t hashtags = 0;        // the whole vocabulary (unused tags have posts_count 0)
  int64_t post_hashtags = 0;
  int64_t videos = 0;
  int64_t comments = 0;
  int64_t likes = 0;
  std::chrono::milliseconds elapsed{0};
};

// Seeds a migrated, empty database. InvalidArgument for a count outside [0, 2^30], zipf_s <= 0,
// batch_rows outside [1, 1000], base_time before 2024-01-01, content without users, or comments without
// posts or videos; FailedPrecondition naming the first table it writes that is not empty ("seed: table
// hashtags is not empty (got 1000 rows); …"); otherwise the backend's error, prefixed "seed: <table>: ".
// With rows_per_transaction 0 (default) nothing stays after an error; with a positive value the rows
// committed before it do. With fewer than 2 users there are no follows.
absl::StatusOr<SeedReport> Seed(Database& db, const RequestContext& ctx, const SeedOptions& options);

}  // namespace daira::inline v0::store
