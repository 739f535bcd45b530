#include "daira/services/recount.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/store/connection.h"

namespace daira::inline v0::services {
namespace {

// One counter: `table.column` must equal `actual`, an SQL expression correlated with the unaliased
// outer `table` (so the same text serves the check's SELECT and the repair's UPDATE).
struct CounterSpec {
  const char* table;
  const char* key;  // the row's key column
  const char* column;
  const char* actual;
};

// Keep in step with recount.h's table and with what the services maintain.
constexpr CounterSpec kCounters[] = {
    {"user_profiles", "user_id", "followers_count",
     "(SELECT count(*) FROM follows f WHERE f.followee_id = user_profiles.user_id AND f.status = 'ACTIVE')"},
    {"user_profiles", "user_id", "following_count",
     "(SELECT count(*) FROM follows f WHERE f.follower_id = user_profiles.user_id AND f.status = 'ACTIVE')"},
    {"user_profiles", "user_id", "posts_count",
     "(SELECT count(*) FROM posts x WHERE x.author_id = user_profiles.user_id AND x.status <> 'DELETED')"},
    {"user_profiles", "user_id", "videos_count",
     "(SELECT count(*) FROM videos x WHERE x.author_id = user_profiles.user_id AND x.deleted_at IS NULL)"},
    {"user_profiles", "user_id", "likes_received_count",
     "((SELECT count(*) FROM likes l JOIN posts x ON x.id = l.post_id WHERE x.author_id = user_profiles.user_id) + "
     "(SELECT count(*) FROM likes l JOIN videos x ON x.id = l.video_id WHERE x.author_id = user_profiles.user_id) + "
     "(SELECT count(*) FROM likes l JOIN comments x ON x.id = l.comment_id "
     "WHERE x.author_id = user_profiles.user_id))"},
    {"posts", "id", "likes_count", "(SELECT count(*) FROM likes l WHERE l.post_id = posts.id)"},
    {"posts", "id", "comments_count",
     "(SELECT count(*) FROM comments c WHERE c.post_id = posts.id AND c.status <> 'DELETED')"},
    {"videos", "id", "likes_count", "(SELECT count(*) FROM likes l WHERE l.video_id = videos.id)"},
    {"videos", "id", "comments_count",
     "(SELECT count(*) FROM comments c WHERE c.video_id = videos.id AND c.status <> 'DELETED')"},
    {"comments", "id", "likes_count", "(SELECT count(*) FROM likes l WHERE l.comment_id = comments.id)"},
    {"comments", "id", "replies_count",
     "(SELECT count(*) FROM comments r WHERE r.parent_id = comments.id AND r.status <> 'DELETED')"},
    {"hashtags", "id", "posts_count", "(SELECT count(*) FROM post_hashtags ph WHERE ph.hashtag_id = hashtags.id)"},
};

std::string CheckSql(const CounterSpec& s) {
  return absl::StrCat("SELECT id, stored, actual FROM (SELECT ", s.table, ".", s.key, " AS id, ", s.table, ".",
                      s.column, " AS stored, ", s.actual, " AS actual FROM ", s.table,
                      ") x WHERE stored <> actual ORDER BY id");
}

std::string RepairSql(const CounterSpec& s) {
  return absl::StrCat("UPDATE ", s.table, " SET ", s.column, " = ", s.actual, " WHERE ", s.column, " <> ", s.actual);
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
    DAIRA_ASSIGN_OR_RETURN(store::ConnectionLease lease, db.Acquire(ctx, store::Access::kRead));
    DAIRA_RETURN_IF_ERROR(Check(*lease, report));
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
          bool any = false;
          for (const auto& d : report.discrepancies) any |= d.table == s.table && d.column == s.column;
          if (!any) continue;
          absl::StatusOr<store::ResultSet> rs = c.Execute(RepairSql(s));
          if (!rs.ok()) return Annotate(rs.status(), absl::StrCat("recount: ", s.table, ".", s.column));
        }
        return absl::OkStatus();
      },
      txo));
  report.repaired = true;
  return report;
}

}  // namespace daira::inline v0::services
