#include "daira/services/social.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/status.h"
#include "daira/services/social_requests.h"
#include "daira/store/connection.h"
#include "daira/store/value.h"
#include "query/keyset_shapes.h"
#include "services/feed_cache.h"
#include "services/profile_cache.h"

namespace daira::inline v0::services {
namespace {

using store::Connection;
using store::ResultSet;
using store::Value;

// NotFound naming `field`: "<op>: <field> not found (got <id>)", the field riding as a payload.
absl::Status NotFoundField(std::string_view op, std::string_view field, int64_t id) {
  absl::Status s = absl::NotFoundError(absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " not found (got ", id, ")"));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

// The two ends of an edge, locked (Postgres: FOR NO KEY UPDATE, in id order so that concurrent
// follow/block operations on overlapping pairs neither deadlock nor interleave; SQLite: the writer
// lock already serializes). The lock is what keeps Follow and Block from racing into a follow
// across a block. Missing or DELETED users → NotFound naming the field.
struct Pair {
  bool second_private = false;
};
absl::StatusOr<Pair> LockPair(Connection& c, std::string_view op, std::string_view first_field, UserId first,
                              std::string_view second_field, UserId second) {
  std::string sql = "SELECT id, is_private, status FROM users WHERE id IN (?, ?) ORDER BY id";
  if (c.backend() == store::Backend::kPostgres) sql += " FOR NO KEY UPDATE";
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute(sql, {first.value, second.value}));
  bool first_found = false, second_found = false;
  Pair pair;
  for (const store::Row& r : rs) {
    if (r.Text(2) == "DELETED") continue;
    if (r.Int64(0) == first.value) first_found = true;
    if (r.Int64(0) == second.value) {
      second_found = true;
      pair.second_private = r.Int64(1) != 0;
    }
  }
  if (!first_found) return NotFoundField(op, first_field, first.value);
  if (!second_found) return NotFoundField(op, second_field, second.value);
  return pair;
}

// Counter changes for one user's profile.
struct Delta {
  int64_t followers = 0;
  int64_t following = 0;
};

// Applies the deltas, one atomic UPDATE per user, in user-id order (a consistent lock order across
// all transactions). A decrement never drives a counter below 0 (the CHECK would reject the whole
// operation); a counter that drifted is the recount tool's business.
absl::Status ApplyDeltas(Connection& c, const std::map<int64_t, Delta>& deltas, int64_t now, const ServiceDeps& deps,
                         const RequestContext& ctx) {
  static constexpr std::string_view kSql =
      "UPDATE user_profiles SET "
      "followers_count = CASE WHEN followers_count + ? < 0 THEN 0 ELSE followers_count + ? END, "
      "following_count = CASE WHEN following_count + ? < 0 THEN 0 ELSE following_count + ? END, "
      "updated_at = ? WHERE user_id = ? RETURNING followers_count";
  std::vector<int64_t> users;             // cached profiles show these counters
  std::vector<int64_t> readers;           // their followees changed: their cached feeds are stale
  std::vector<int64_t> fell_below;        // now under the fan-out threshold (their readers' lists lack posts)
  std::vector<int64_t> rose_above;        // now at it (their readers' large-account sets lack them)
  for (const auto& [user, d] : deltas) {  // std::map: ascending user id
    if (d.followers == 0 && d.following == 0) continue;
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                           c.Execute(kSql, {d.followers, d.followers, d.following, d.following, now, user}));
    users.push_back(user);
    if (d.following != 0) readers.push_back(user);
    const int64_t threshold = deps.feed_cache.fanout_max_followers;
    if (d.followers < 0 && !rs.empty() && rs.front().Int64(0) < threshold &&
        rs.front().Int64(0) - d.followers >= threshold) {
      fell_below.push_back(user);
    }
    if (d.followers > 0 && !rs.empty() && rs.front().Int64(0) >= threshold &&
        rs.front().Int64(0) - d.followers < threshold) {
      rose_above.push_back(user);
    }
  }
  // All after the transaction commits.
  internal::InvalidateProfilesAfterCommit(deps, ctx, std::move(users));
  internal::InvalidateFeedsAfterCommit(deps, ctx, std::move(readers));
  internal::InvalidateFollowerFeedsAfterCommit(deps, ctx, std::move(fell_below), std::move(rose_above));
  return absl::OkStatus();
}

void AddEdge(std::map<int64_t, Delta>& deltas, int64_t follower, int64_t followee, int64_t sign) {
  deltas[follower].following += sign;
  deltas[followee].followers += sign;
}

model::Follow FollowFromRow(const store::Row& r) {
  model::Follow f;
  f.id = r.Int64("edge_id");
  f.follower_id = UserId{r.Int64("follower_id")};
  f.followee_id = UserId{r.Int64("followee_id")};
  f.status = r.Text("status") == "PENDING" ? model::FollowStatus::kPending : model::FollowStatus::kActive;
  f.created_at = FromUnixMicros(r.Int64("created_at"));
  f.updated_at = FromUnixMicros(r.Int64("updated_at"));
  return f;
}

FollowEntry EntryFromRow(const store::Row& r) {
  FollowEntry e;
  e.edge = FollowFromRow(r);
  e.user.id = UserId{r.Int64("user_id")};
  e.user.username = r.Text("username");
  if (!r.IsNull("display_name")) e.user.display_name = r.Text("display_name");
  if (!r.IsNull("avatar_url")) e.user.avatar_url = r.Text("avatar_url");
  e.user.is_verified = r.Int64("is_verified") != 0;
  e.user.is_private = r.Int64("is_private") != 0;
  return e;
}

// The edge columns plus the other end's public fields; `other` is the follows column naming the user
// shown ("follower_id" or "followee_id").
std::string ListSelect(std::string_view other) {
  return absl::StrCat(
      "SELECT f.id AS edge_id, f.follower_id, f.followee_id, f.status, f.created_at, f.updated_at, "
      "u.id AS user_id, u.username, u.avatar_url, u.is_verified, u.is_private, p.display_name "
      "FROM follows f JOIN users u ON u.id = f.",
      ToAbsl(other), " LEFT JOIN user_profiles p ON p.user_id = u.id");
}

// The follow lists, each paged newest edge first.
enum class FollowList { kFollowers, kFollowing, kPending, kMutual };

// A list's shape: the edges it holds (its one parameter is the user whose list it is) and the end shown.
query::KeysetQuery FollowListShape(FollowList list) {
  std::string where;
  std::string_view shown;
  switch (list) {
    case FollowList::kFollowers:
      where = "f.followee_id = ? AND f.status = 'ACTIVE'";
      shown = "follower_id";
      break;
    case FollowList::kFollowing:
      where = "f.follower_id = ? AND f.status = 'ACTIVE'";
      shown = "followee_id";
      break;
    case FollowList::kPending:
      where = "f.followee_id = ? AND f.status = 'PENDING'";
      shown = "follower_id";
      break;
    case FollowList::kMutual:
      where =
          "f.follower_id = ? AND f.status = 'ACTIVE' AND EXISTS (SELECT 1 FROM follows b "
          "WHERE b.follower_id = f.followee_id AND b.followee_id = f.follower_id AND b.status = 'ACTIVE')";
      shown = "followee_id";
      break;
  }
  return query::KeysetQuery{.scope = {},
                            .select = ListSelect(shown),
                            .where = std::move(where),
                            .keys = {{.column = "f.id", .type = query::KeyType::kInt64, .result_column = "edge_id"}},
                            .order = query::SortOrder::kDescending};
}

absl::StatusOr<query::Page<FollowEntry>> FetchList(store::Database& db, const RequestContext& ctx, FollowList list,
                                                   std::string scope, UserId user, const query::PageRequest& page,
                                                   const query::CursorCodec* codec) {
  query::KeysetQuery q{.scope = std::move(scope), .select = {}, .params = {user.value}, .keys = {}};
  static auto* shapes = new query::KeysetShapes();
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(static_cast<uint64_t>(list), q.params.size(),
                                              [&] { return FollowListShape(list); }));
  return query::FetchPage(db, ctx, q, page, EntryFromRow, {.codec = codec});
}

}  // namespace

absl::StatusOr<model::Follow> Social::Follow(const RequestContext& ctx, UserId follower, UserId followee) {
  DAIRA_RETURN_IF_ERROR((FollowRequest{.follower_id = follower.value, .followee_id = followee.value}.Validate()));
  model::Follow out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(Pair pair, LockPair(c, "follow", "follower_id", follower, "followee_id", followee));
    DAIRA_ASSIGN_OR_RETURN(ResultSet blocked,
                           c.Execute("SELECT count(*) FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) "
                                     "OR (blocker_id = ? AND blocked_id = ?)",
                                     {follower.value, followee.value, followee.value, follower.value}));
    if (blocked.front().Int64(0) > 0) return absl::FailedPreconditionError("follow: blocked");
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
    const model::FollowStatus status = pair.second_private ? model::FollowStatus::kPending
                                                           : model::FollowStatus::kActive;
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet ins,
        c.Execute("INSERT INTO follows (id, follower_id, followee_id, status, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (follower_id, followee_id) DO NOTHING RETURNING id",
                  {id, follower.value, followee.value, model::ToString(status), now, now}));
    if (ins.empty()) {
      return absl::AlreadyExistsError(absl::StrCat("follow: followee_id already followed or requested (got ",
                                                   followee.value, ")"));
    }
    if (status == model::FollowStatus::kActive) {
      std::map<int64_t, Delta> deltas;
      AddEdge(deltas, follower.value, followee.value, +1);
      DAIRA_RETURN_IF_ERROR(ApplyDeltas(c, deltas, now, deps_, ctx));
    }
    out = model::Follow{.id = id,
                        .follower_id = follower,
                        .followee_id = followee,
                        .status = status,
                        .created_at = FromUnixMicros(now),
                        .updated_at = FromUnixMicros(now)};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<model::Follow> Social::AcceptFollow(const RequestContext& ctx, UserId followee, UserId follower) {
  DAIRA_RETURN_IF_ERROR((FollowRequest{.follower_id = follower.value, .followee_id = followee.value}.Validate()));
  model::Follow out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet rs,
        c.Execute("UPDATE follows SET status = 'ACTIVE', updated_at = ? "
                  "WHERE follower_id = ? AND followee_id = ? AND status = 'PENDING' "
                  "RETURNING id AS edge_id, follower_id, followee_id, status, created_at, updated_at",
                  {now, follower.value, followee.value}));
    if (rs.empty()) return NotFoundField("accept follow", "follower_id", follower.value);
    out = FollowFromRow(rs.front());
    std::map<int64_t, Delta> deltas;
    AddEdge(deltas, follower.value, followee.value, +1);
    return ApplyDeltas(c, deltas, now, deps_, ctx);
  }));
  return out;
}

absl::Status Social::RejectFollow(const RequestContext& ctx, UserId followee, UserId follower) {
  DAIRA_RETURN_IF_ERROR((FollowRequest{.follower_id = follower.value, .followee_id = followee.value}.Validate()));
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs, deps_.db->Execute(ctx,
                                      "DELETE FROM follows WHERE follower_id = ? AND followee_id = ? "
                                      "AND status = 'PENDING' RETURNING id",
                                      {follower.value, followee.value}));
  if (rs.empty()) return NotFoundField("reject follow", "follower_id", follower.value);
  return absl::OkStatus();
}

absl::Status Social::Unfollow(const RequestContext& ctx, UserId follower, UserId followee) {
  DAIRA_RETURN_IF_ERROR((FollowRequest{.follower_id = follower.value, .followee_id = followee.value}.Validate()));
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                           c.Execute("DELETE FROM follows WHERE follower_id = ? AND followee_id = ? RETURNING status",
                                     {follower.value, followee.value}));
    if (rs.empty()) {
      return NotFoundField("unfollow", "followee_id", followee.value);
    }
    if (rs.front().Text(0) != "ACTIVE") return absl::OkStatus();
    std::map<int64_t, Delta> deltas;
    AddEdge(deltas, follower.value, followee.value, -1);
    return ApplyDeltas(c, deltas, deps_.NowMicros(), deps_, ctx);
  });
}

absl::StatusOr<model::Block> Social::Block(const RequestContext& ctx, UserId blocker, UserId blocked,
                                           std::optional<std::string> reason) {
  DAIRA_RETURN_IF_ERROR(
      (BlockRequest{.blocker_id = blocker.value, .blocked_id = blocked.value, .reason = reason}.Validate()));
  model::Block out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(LockPair(c, "block", "blocker_id", blocker, "blocked_id", blocked).status());
    const int64_t now = deps_.NowMicros();
    DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet ins,
        c.Execute("INSERT INTO blocks (id, blocker_id, blocked_id, reason, created_at) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT (blocker_id, blocked_id) DO NOTHING RETURNING id",
                  {id, blocker.value, blocked.value, reason.has_value() ? Value(*reason) : Value(), now}));
    if (ins.empty()) {
      return absl::AlreadyExistsError(absl::StrCat("block: blocked_id already blocked (got ", blocked.value, ")"));
    }
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet gone,
        c.Execute("DELETE FROM follows WHERE (follower_id = ? AND followee_id = ?) "
                  "OR (follower_id = ? AND followee_id = ?) RETURNING follower_id, followee_id, status",
                  {blocker.value, blocked.value, blocked.value, blocker.value}));
    std::map<int64_t, Delta> deltas;
    for (const store::Row& r : gone) {
      if (r.Text(2) == "ACTIVE") AddEdge(deltas, r.Int64(0), r.Int64(1), -1);
    }
    DAIRA_RETURN_IF_ERROR(ApplyDeltas(c, deltas, now, deps_, ctx));
    // Whom each side's home feed shows changed (the follows above cover most of it; a pair without
    // an ACTIVE edge changes nothing, but the cached authors are cheap to refill).
    internal::InvalidateHomeAuthorsAfterCommit(deps_, ctx, {blocker.value, blocked.value});
    out = model::Block{
        .id = id, .blocker_id = blocker, .blocked_id = blocked, .reason = reason, .created_at = FromUnixMicros(now)};
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Social::Unblock(const RequestContext& ctx, UserId blocker, UserId blocked) {
  DAIRA_RETURN_IF_ERROR((BlockRequest{.blocker_id = blocker.value, .blocked_id = blocked.value}.Validate()));
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs, deps_.db->Execute(ctx, "DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ? RETURNING id",
                                      {blocker.value, blocked.value}));
  if (rs.empty()) return NotFoundField("unblock", "blocked_id", blocked.value);
  internal::InvalidateHomeAuthorsAfterCommit(deps_, ctx, {blocker.value, blocked.value});
  return absl::OkStatus();
}

absl::StatusOr<bool> Social::IsBlocked(const RequestContext& ctx, UserId a, UserId b) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         deps_.db->Read(ctx,
                                        "SELECT count(*) FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) "
                                        "OR (blocker_id = ? AND blocked_id = ?)",
                                        {a.value, b.value, b.value, a.value}));
  return rs.front().Int64(0) > 0;
}

absl::StatusOr<model::Mute> Social::Mute(const RequestContext& ctx, UserId muter, UserId muted, model::MuteKind mute_type,
                                         std::optional<std::chrono::system_clock::time_point> expires_at) {
  DAIRA_RETURN_IF_ERROR((MuteRequest{.muter_id = muter.value,
                                     .muted_id = muted.value,
                                     .mute_type = std::string(model::ToString(mute_type))}
                             .Validate()));
  model::Mute out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(ResultSet users,
                           c.Execute("SELECT id FROM users WHERE id IN (?, ?) AND status <> 'DELETED'",
                                     {muter.value, muted.value}));
    bool muter_found = false, muted_found = false;
    for (const store::Row& r : users) {
      muter_found |= r.Int64(0) == muter.value;
      muted_found |= r.Int64(0) == muted.value;
    }
    if (!muter_found) return NotFoundField("mute", "muter_id", muter.value);
    if (!muted_found) return NotFoundField("mute", "muted_id", muted.value);
    const int64_t now = deps_.NowMicros();
    const Value expires = expires_at.has_value() ? Value(ToUnixMicros(*expires_at)) : Value();
    DAIRA_ASSIGN_OR_RETURN(const int64_t mute_id, deps_.NextId());
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet rs,
        c.Execute("INSERT INTO mutes (id, muter_id, muted_id, mute_type, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (muter_id, muted_id) DO UPDATE SET mute_type = excluded.mute_type, "
                  "expires_at = excluded.expires_at RETURNING id, created_at",
                  {mute_id, muter.value, muted.value, model::ToString(mute_type), now, expires}));
    out = model::Mute{.id = rs.front().Int64(0),
                      .muter_id = muter,
                      .muted_id = muted,
                      .mute_type = mute_type,
                      .created_at = FromUnixMicros(rs.front().Int64(1)),
                      .expires_at = expires_at};
    // The muter's home feed shows the muted author no more (its cached authors: feed_cache.h).
    internal::InvalidateHomeAuthorsAfterCommit(deps_, ctx, {muter.value});
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Social::Unmute(const RequestContext& ctx, UserId muter, UserId muted) {
  DAIRA_RETURN_IF_ERROR((MuteRequest{.muter_id = muter.value, .muted_id = muted.value}.Validate()));
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs, deps_.db->Execute(ctx, "DELETE FROM mutes WHERE muter_id = ? AND muted_id = ? RETURNING id",
                                      {muter.value, muted.value}));
  if (rs.empty()) return NotFoundField("unmute", "muted_id", muted.value);
  internal::InvalidateHomeAuthorsAfterCommit(deps_, ctx, {muter.value});
  return absl::OkStatus();
}

absl::StatusOr<query::Page<FollowEntry>> Social::Followers(const RequestContext& ctx, UserId user,
                                                           const query::PageRequest& page) {
  return FetchList(*deps_.db, ctx, FollowList::kFollowers, absl::StrCat("followers:", user.value), user, page,
                   deps_.cursors);
}

absl::StatusOr<query::Page<FollowEntry>> Social::Following(const RequestContext& ctx, UserId user,
                                                           const query::PageRequest& page) {
  return FetchList(*deps_.db, ctx, FollowList::kFollowing, absl::StrCat("following:", user.value), user, page,
                   deps_.cursors);
}

absl::StatusOr<query::Page<FollowEntry>> Social::PendingRequests(const RequestContext& ctx, UserId user,
                                                                 const query::PageRequest& page) {
  return FetchList(*deps_.db, ctx, FollowList::kPending, absl::StrCat("follow-requests:", user.value), user, page,
                   deps_.cursors);
}

absl::StatusOr<query::Page<FollowEntry>> Social::MutualFollows(const RequestContext& ctx, UserId user,
                                                               const query::PageRequest& page) {
  return FetchList(*deps_.db, ctx, FollowList::kMutual, absl::StrCat("mutual:", user.value), user, page,
                   deps_.cursors);
}

absl::StatusOr<std::vector<bool>> Social::FollowsEach(const RequestContext& ctx, UserId user,
                                                      std::span<const UserId> others) {
  std::vector<bool> out(others.size(), false);
  if (others.empty()) return out;
  std::vector<int64_t> ids;
  ids.reserve(others.size());
  for (UserId u : others) ids.push_back(u.value);
  const std::string sql =
      "SELECT followee_id FROM follows WHERE follower_id = ? AND status = 'ACTIVE' AND " +
      deps_.db->dialect().InArray("followee_id");
  const std::vector<Value> params = {user.value, std::move(ids)};
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, deps_.db->Read(ctx, sql, params));
  std::vector<int64_t> followed;
  followed.reserve(rs.size());
  for (const store::Row& r : rs) followed.push_back(r.Int64(0));
  std::sort(followed.begin(), followed.end());
  for (size_t i = 0; i < others.size(); ++i) {
    out[i] = std::binary_search(followed.begin(), followed.end(), others[i].value);
  }
  return out;
}

absl::StatusOr<std::vector<UserId>> Social::HiddenAuthorsFor(const RequestContext& ctx, UserId viewer) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs,
      deps_.db->Read(ctx,
                     "SELECT blocked_id AS uid FROM blocks WHERE blocker_id = ? "
                     "UNION SELECT blocker_id FROM blocks WHERE blocked_id = ? "
                     "UNION SELECT muted_id FROM mutes WHERE muter_id = ? AND mute_type IN ('MUTE', 'HIDE_POSTS') "
                     "AND (expires_at IS NULL OR expires_at > ?) ORDER BY 1",
                     {viewer.value, viewer.value, viewer.value, deps_.NowMicros()}));
  std::vector<UserId> out;
  out.reserve(rs.size());
  for (const store::Row& r : rs) out.emplace_back(r.Int64(0));
  return out;
}

}  // namespace daira::inline v0::services
