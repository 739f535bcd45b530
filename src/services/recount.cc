#include "daira/services/recount.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/connection.h"
#include "services/feed_cache.h"

namespace daira::inline v0::services {
namespace {

// One counter: `table.column` must equal its recount. The check joins `table` to `grouped` (one
// GROUP BY pass over the counted rows: columns k = the counted row's key, n = the count; hash
// aggregates on both backends, so a check costs one scan whatever the table size). The repair sets
// just the disagreeing rows from `actual`, a count correlated with the unaliased outer `table`.
struct CounterSpec {
  const char* table;
  const char* key;  // the row's key column
  const char* column;
  const char* actual;
  const char* grouped;
  // Money is never "repaired" from here: a wallet balance that differs from its ledger lines is
  // reported (and must be investigated), not overwritten (docs/money.md).
  bool report_only = false;
};

// Keep in step with recount.h's table and with what the services maintain.
constexpr CounterSpec kCounters[] = {
    {"user_profiles", "user_id", "followers_count",
     "(SELECT count(*) FROM follows f WHERE f.followee_id = user_profiles.user_id AND f.status = 'ACTIVE')",
     "SELECT followee_id AS k, count(*) AS n FROM follows WHERE status = 'ACTIVE' GROUP BY "
     "followee_id"},
    {"user_profiles", "user_id", "following_count",
     "(SELECT count(*) FROM follows f WHERE f.follower_id = user_profiles.user_id AND f.status = 'ACTIVE')",
     "SELECT follower_id AS k, count(*) AS n FROM follows WHERE status = 'ACTIVE' GROUP BY "
     "follower_id"},
    {"user_profiles", "user_id", "posts_count",
     "(SELECT count(*) FROM posts x WHERE x.author_id = user_profiles.user_id AND x.status <> 'DELETED')",
     "SELECT author_id AS k, count(*) AS n FROM posts WHERE status <> 'DELETED' GROUP BY author_id"},
    {"user_profiles", "user_id", "videos_count",
     "(SELECT count(*) FROM videos x WHERE x.author_id = user_profiles.user_id AND x.deleted_at IS NULL)",
     "SELECT author_id AS k, count(*) AS n FROM videos WHERE deleted_at IS NULL GROUP BY author_id"},
    {"user_profiles", "user_id", "likes_received_count",
     "((SELECT count(*) FROM likes l JOIN posts x ON x.id = l.post_id WHERE x.author_id = user_profiles.user_id) + "
     "(SELECT count(*) FROM likes l JOIN videos x ON x.id = l.video_id WHERE x.author_id = user_profiles.user_id) + "
     "(SELECT count(*) FROM likes l JOIN comments x ON x.id = l.comment_id "
     "WHERE x.author_id = user_profiles.user_id))",
     "SELECT k, CAST(sum(n) AS BIGINT) AS n FROM (SELECT x.author_id AS k, count(*) AS n FROM likes l "
     "JOIN posts x ON x.id = l.post_id GROUP BY x.author_id UNION ALL SELECT x.author_id AS k, "
     "count(*) AS n FROM likes l JOIN videos x ON x.id = l.video_id GROUP BY x.author_id UNION ALL "
     "SELECT x.author_id AS k, count(*) AS n FROM likes l JOIN comments x ON x.id = l.comment_id "
     "GROUP BY x.author_id) u GROUP BY k"},
    {"posts", "id", "likes_count", "(SELECT count(*) FROM likes l WHERE l.post_id = posts.id)",
     "SELECT post_id AS k, count(*) AS n FROM likes WHERE post_id IS NOT NULL GROUP BY post_id"},
    {"posts", "id", "comments_count",
     "(SELECT count(*) FROM comments c WHERE c.post_id = posts.id AND c.status <> 'DELETED')",
     "SELECT post_id AS k, count(*) AS n FROM comments WHERE post_id IS NOT NULL AND status <> "
     "'DELETED' GROUP BY post_id"},
    {"videos", "id", "likes_count", "(SELECT count(*) FROM likes l WHERE l.video_id = videos.id)",
     "SELECT video_id AS k, count(*) AS n FROM likes WHERE video_id IS NOT NULL GROUP BY video_id"},
    {"videos", "id", "comments_count",
     "(SELECT count(*) FROM comments c WHERE c.video_id = videos.id AND c.status <> 'DELETED')",
     "SELECT video_id AS k, count(*) AS n FROM comments WHERE video_id IS NOT NULL AND status <> "
     "'DELETED' GROUP BY video_id"},
    {"comments", "id", "likes_count", "(SELECT count(*) FROM likes l WHERE l.comment_id = comments.id)",
     "SELECT comment_id AS k, count(*) AS n FROM likes WHERE comment_id IS NOT NULL GROUP BY "
     "comment_id"},
    {"comments", "id", "replies_count",
     "(SELECT count(*) FROM comments r WHERE r.parent_id = comments.id AND r.status <> 'DELETED')",
     "SELECT parent_id AS k, count(*) AS n FROM comments WHERE parent_id IS NOT NULL AND status <> "
     "'DELETED' GROUP BY parent_id"},
    {"hashtags", "id", "posts_count", "(SELECT count(*) FROM post_hashtags ph WHERE ph.hashtag_id = hashtags.id)",
     "SELECT hashtag_id AS k, count(*) AS n FROM post_hashtags GROUP BY hashtag_id"},
    // Not a count: a wallet's balance is the sum of its ledger lines (migration 016, services::Wallets).
    {"wallets", "id", "balance",
     "(SELECT coalesce(sum(l.amount), 0) FROM ledger_lines l WHERE l.wallet_id = wallets.id)",
     "SELECT wallet_id AS k, CAST(sum(amount) AS BIGINT) AS n FROM ledger_lines WHERE wallet_id IS NOT NULL "
     "GROUP BY wallet_id",
     /*report_only=*/true},
};

std::string CheckSql(const CounterSpec& s) {
  return absl::StrCat("SELECT t.", s.key, " AS id, t.", s.column, " AS stored, coalesce(a.n, 0) AS actual FROM ",
                      s.table, " t LEFT JOIN (", s.grouped, ") a ON a.k = t.", s.key, " WHERE t.", s.column,
                      " <> coalesce(a.n, 0) ORDER BY t.", s.key);
}

// Binds the array of the disagreeing rows' keys.
std::string RepairSql(const CounterSpec& s, const store::Dialect& d) {
  return absl::StrCat("UPDATE ", s.table, " SET ", s.column, " = ", s.actual, " WHERE ",
                      d.InArray(absl::StrCat(s.table, ".", s.key)));
}

absl::Status Check(store::Connection& c, RecountReport& report) {
  for (const CounterSpec& s : kCounters) {
    absl::StatusOr<store::ResultSet> rs = c.Execute(CheckSql(s));
    if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("recount: ", s.table, ".", s.column));
    for (const store::Row& r : *rs) {
      report.discrepancies.push_back(
          {.table = s.table, .id = r.Int64(0), .column = s.column, .stored = r.Int64(1), .actual = r.Int64(2)});
    }
    ++report.counters_checked;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RecountedCounters() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const CounterSpec& s : kCounters) out.emplace_back(s.table, s.column);
  return out;
}

absl::StatusOr<RecountReport> Recount(store::Database& db, const RequestContext& ctx, const RecountOptions& options) {
  RecountReport report;
  if (!options.repair) {
    DAIRA_RETURN_IF_ERROR(store::WithConnection(db, ctx, store::Access::kRead,
                                                [&](store::Connection& c) { return Check(c, report); }));
    return report;
  }
  // Repeatable read on Postgres: a counter bumped concurrently after our snapshot makes the repair's
  // UPDATE of that row fail with a serialization error (retried) instead of writing a stale count.
  store::Database::TransactionOptions txo;
  txo.isolation = db.backend() == store::Backend::kPostgres ? store::IsolationLevel::kRepeatableRead
                                                            : store::IsolationLevel::kDefault;
  txo.max_attempts = 10;
  DAIRA_RETURN_IF_ERROR(db.RunInTransaction(
      ctx,
      [&](store::Connection& c) -> absl::Status {
        report = RecountReport{};  // a retried attempt starts over
        DAIRA_RETURN_IF_ERROR(Check(c, report));
        if (report.discrepancies.empty()) return absl::OkStatus();
        for (const CounterSpec& s : kCounters) {
          if (s.report_only) continue;
          std::vector<int64_t> ids;
          for (const auto& d : report.discrepancies) {
            if (d.table == s.table && d.column == s.column) ids.push_back(d.id);
          }
          if (ids.empty()) continue;
          const std::vector<store::Value> params = {store::Value(std::move(ids))};
          absl::StatusOr<store::ResultSet> rs = c.Execute(RepairSql(s, c.dialect()), params);
          if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("recount: ", s.table, ".", s.column));
        }
        return absl::OkStatus();
      },
      txo));
  report.repaired = true;
  return report;
}

absl::StatusOr<RecountReport> Recount(const ServiceDeps& deps, const RequestContext& ctx,
                                      const RecountOptions& options) {
  DAIRA_ASSIGN_OR_RETURN(RecountReport report, Recount(*deps.db, ctx, options));
  if (!report.repaired || !internal::FeedCacheOn(deps)) return report;
  // The repair committed: authors it moved across the fan-out threshold are handled as the live path
  // handles a follow or unfollow that moves them (social.cc).
  const int64_t threshold = deps.feed_cache.fanout_max_followers;
  std::vector<int64_t> fell_below, rose_above;
  for (const CounterDiscrepancy& d : report.discrepancies) {
    if (d.table != "user_profiles" || d.column != "followers_count") continue;
    if (d.stored >= threshold && d.actual < threshold) fell_below.push_back(d.id);
    if (d.stored < threshold && d.actual >= threshold) rose_above.push_back(d.id);
  }
  internal::InvalidateFollowerFeedsAfterCommit(deps, ctx, std::move(fell_below), std::move(rose_above));
  return report;
}

}  // namespace daira::inline v0::services
