// Trending service: decayed engagement scores for videos and hashtags over a time window.
#include "daira/services/trending.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/id.h"
#include "daira/core/status.h"
#include "daira/query/cursor.h"
#include "daira/store/column_indexes.h"
#include "services/content_internal.h"

namespace daira::inline v0::services {
namespace {

constexpr double kMicrosPerHour = 3600.0 * 1e6;

double Decay(int64_t now_us, int64_t at_us) {
  const double age_hours = std::max<double>(0.0, static_cast<double>(now_us - at_us) / kMicrosPerHour);
  return std::pow(age_hours + 2.0, 1.5);
}

// Scores are ≥ 0, and the bit patterns of non-negative doubles order like the doubles: the cursor
// carries the exact score as an int64.
int64_t ScoreKey(double score) { return std::bit_cast<int64_t>(score); }

// The smallest id generated at or after `unix_micros` (ids: 41 bits of ms since kIdEpochUnixMillis,
// then node and sequence bits).
int64_t SmallestIdAt(int64_t unix_micros) {
  const int64_t ms = unix_micros / 1000 - kIdEpochUnixMillis;
  if (ms <= 0) return 0;
  return ms << (kIdNodeBits + kIdSequenceBits);
}

}  // namespace

absl::Status TrendingRequest::Validate() const {
  if (window < std::chrono::hours(1) || window > std::chrono::hours(24 * 90)) {
    return InvalidField("trending", "window",
                        absl::StrCat("must be between 3600 and 7776000 seconds (got ", window.count(), ")"));
  }
  if (limit < 1 || limit > 100) {
    return InvalidField("trending", "limit", absl::StrCat("must be between 1 and 100 (got ", limit, ")"));
  }
  if (cursor.size() > 512) {
    return InvalidField("trending", "cursor", absl::StrCat("must be at most 512 characters (got ", cursor.size(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<query::Page<TrendingVideo>> Trending::Videos(const RequestContext& ctx, const TrendingRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const std::string scope = absl::StrCat("trending:videos:", request.window.count());
  const query::CursorCodec codec = deps_.cursor_codec();
  bool has_anchor = false;
  int64_t anchor_score = 0, anchor_id = 0;
  if (!request.cursor.empty()) {
    DAIRA_ASSIGN_OR_RETURN(query::Cursor c,
                           codec.Decode(request.cursor, scope, {query::KeyType::kInt64, query::KeyType::kInt64}));
    if (c.direction != query::Direction::kForward) {
      return InvalidField("trending", "cursor", "must be a next_cursor (got a backward cursor)");
    }
    has_anchor = true;
    anchor_score = std::get<int64_t>(c.keys[0]);
    anchor_id = std::get<int64_t>(c.keys[1]);
  }
  const int64_t now = deps_.NowMicros();
  const int64_t since = now - std::chrono::duration_cast<std::chrono::microseconds>(request.window).count();
  static const std::string kCandidatesSql =
      absl::StrCat("SELECT ", internal::kVideoColumns,
                   " FROM videos WHERE status = 'PUBLISHED' AND published_at >= ? AND published_at <= ?"
                   " AND visibility = 'PUBLIC' AND hidden_at IS NULL ORDER BY published_at DESC LIMIT ",
                   kTrendingVideoCandidates);
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rows, deps_.db->Read(ctx, kCandidatesSql, {since, now}));
  // (score key, id, row, score) of the candidates after the cursor; only the page's worth is sorted.
  struct Ranked {
    int64_t key, id;
    size_t row;
    double score;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(rows.size());
  // The scoring columns' indexes, resolved once for the 1,000 candidates (by name, each access
  // compared up to 19 column names: 0.95M of a call's 14M instructions).
  static constexpr std::string_view kScoring[] = {"views_count", "likes_count", "comments_count",
                                                  "published_at", "id"};
  store::ColumnIndexes col(kScoring);
  for (size_t i = 0; i < rows.size(); ++i) {
    const store::Row& r = rows.row(i);
    DAIRA_RETURN_IF_ERROR(col.Bind(r));
    const double engagement =
        static_cast<double>(r.Int64(col[0])) + 3.0 * r.Int64(col[1]) + 5.0 * r.Int64(col[2]);
    const double score = engagement / Decay(now, r.Int64(col[3]));
    const int64_t key = ScoreKey(score), id = r.Int64(col[4]);
    // Ranked after the cursor's video: strictly below it in (score, id), highest first.
    if (has_anchor && std::tie(key, id) >= std::tie(anchor_score, anchor_id)) continue;
    ranked.push_back({key, id, i, score});
  }
  const auto higher = [](const Ranked& a, const Ranked& b) {
    return std::tie(b.key, b.id) < std::tie(a.key, a.id);
  };
  const size_t end = std::min(ranked.size(), static_cast<size_t>(request.limit));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(end), ranked.end(), higher);
  query::Page<TrendingVideo> page;
  internal::VideoReader read_video;
  for (size_t k = 0; k < end; ++k) {
    DAIRA_ASSIGN_OR_RETURN(model::Video video, read_video(rows.row(ranked[k].row)));
    page.items.push_back(TrendingVideo{.video = std::move(video), .score = ranked[k].score});
  }
  page.has_more = end < ranked.size();
  if (page.has_more && end > 0) {
    page.next_cursor = codec.Encode(query::Cursor{.scope = scope,
                                                  .direction = query::Direction::kForward,
                                                  .keys = {ranked[end - 1].key, ranked[end - 1].id}});
  }
  return page;
}

absl::StatusOr<std::vector<TrendingHashtag>> Trending::Hashtags(const RequestContext& ctx,
                                                                const TrendingRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  if (!request.cursor.empty()) {
    return InvalidField("trending", "cursor", "must be empty for trending hashtags (a top-N list)");
  }
  const int64_t now = deps_.NowMicros();
  const int64_t since = now - std::chrono::duration_cast<std::chrono::microseconds>(request.window).count();
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rows,
      deps_.db->Read(
          ctx,
          absl::StrCat("SELECT h.id, h.tag, p.created_at FROM posts p"
                       " JOIN post_hashtags ph ON ph.post_id = p.id JOIN hashtags h ON h.id = ph.hashtag_id"
                       " WHERE p.id >= ? AND p.created_at >= ? AND p.created_at <= ?"
                       " AND p.status = 'ACTIVE' AND p.visibility = 'PUBLIC'"
                       " ORDER BY p.id DESC LIMIT ",
                       kTrendingHashtagCandidates),
          {SmallestIdAt(since), since, now}));
  std::unordered_map<int64_t, TrendingHashtag> by_id;
  for (size_t i = 0; i < rows.size(); ++i) {
    const store::Row& r = rows.row(i);
    TrendingHashtag& h = by_id[r.Int64("id")];
    if (h.id == 0) {
      h.id = r.Int64("id");
      h.tag = r.Text("tag");
    }
    ++h.uses;
    h.score += 1.0 / Decay(now, r.Int64("created_at"));
  }
  std::vector<TrendingHashtag> out;
  out.reserve(by_id.size());
  for (auto& [id, h] : by_id) out.push_back(std::move(h));
  std::sort(out.begin(), out.end(), [](const TrendingHashtag& a, const TrendingHashtag& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
  });
  if (out.size() > static_cast<size_t>(request.limit)) out.resize(static_cast<size_t>(request.limit));
  return out;
}

}  // namespace daira::inline v0::services
