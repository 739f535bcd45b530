// Records out: each model type as one JSON object (ids as decimal strings, times as RFC 3339 UTC).
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daira/core/status.h"
#include "internal.h"

namespace daira::cabi {
namespace {

void OptString(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v) {
    w.String(*v);
  } else {
    w.Null();
  }
}

void OptBool(JsonWriter& w, std::string_view key, const std::optional<bool>& v) {
  w.Key(key);
  if (v) {
    w.Bool(*v);
  } else {
    w.Null();
  }
}

void OptTime(JsonWriter& w, std::string_view key, const std::optional<std::chrono::system_clock::time_point>& t) {
  w.Key(key);
  if (t) {
    WriteTime(w, *t);
  } else {
    w.Null();
  }
}

void Strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  w.Key(key).BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
}

template <typename Id>
void Ids(JsonWriter& w, std::string_view key, const std::vector<Id>& v) {
  w.Key(key).BeginArray();
  for (const Id& id : v) WriteId(w, id.value);
  w.EndArray();
}

void Author(JsonWriter& w, const std::optional<model::AuthorSummary>& a) {
  w.Key("author");
  if (!a) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Key("id");
  WriteId(w, a->id.value);
  w.Key("username").String(a->username).Key("display_name").String(a->display_name);
  w.Key("avatar_url").String(a->avatar_url).Key("is_verified").Bool(a->is_verified).EndObject();
}

}  // namespace

// RFC 3339 in UTC with milliseconds, "2026-11-29T18:04:05.123Z": the text absl::FormatTime(
// "%Y-%m-%d%ET%H:%M:%E3SZ", t, UTC) gives (the fraction truncated, not rounded), written by hand for
// years 1000–9999 (absl pads no year below 1000, "999-…", which this path leaves to absl). absl's general
// formatter (cctz: a format string walked per call, a std::string per call) cost about as much as the
// rest of a User record put together, which has three or four times.
void WriteTime(JsonWriter& w, std::chrono::system_clock::time_point t) {
  using std::chrono::milliseconds;
  const int64_t ms = std::chrono::floor<milliseconds>(t).time_since_epoch().count();
  constexpr int64_t kMsPerDay = 86'400'000;
  int64_t days = ms / kMsPerDay;
  int64_t ms_of_day = ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  // 1000-01-01 and 9999-12-31 as days since 1970-01-01.
  if (days < -354'285 || days > 2'932'896) {
    w.String(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::FromChrono(t), absl::UTCTimeZone()));
    return;
  }
  // Civil date from days since the epoch (H. Hinnant's days_from_civil inverse, proleptic Gregorian).
  const int64_t z = days + 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t doe = z - era * 146'097;                                        // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                       // [0, 11]
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;                              // [1, 12]
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const int64_t sec_of_day = ms_of_day / 1000;
  char buf[27] = "\"0000-00-00T00:00:00.000Z\"";
  auto put = [&buf](int at, int64_t value, int digits) {
    for (int i = at + digits - 1; i >= at; --i, value /= 10) buf[i] = static_cast<char>('0' + value % 10);
  };
  put(1, year, 4);
  put(6, month, 2);
  put(9, day, 2);
  put(12, sec_of_day / 3600, 2);
  put(15, sec_of_day / 60 % 60, 2);
  put(18, sec_of_day % 60, 2);
  put(21, ms_of_day % 1000, 3);
  w.Raw(std::string_view(buf, sizeof(buf) - 1));  // quoted already; nothing in it needs escaping
}

// The id as a JSON string of decimal digits, without a temporary std::string.
void WriteId(JsonWriter& w, int64_t id) {
  char buf[24];
  buf[0] = '"';
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 1, id);
  (void)ec;  // 20 characters at most: always fits
  *end++ = '"';
  w.Raw(std::string_view(buf, static_cast<size_t>(end - buf)));
}

void WriteUser(JsonWriter& w, const model::User& u) {
  w.BeginObject().Key("id");
  WriteId(w, u.id.value);
  OptString(w, "username", u.username);
  OptString(w, "email", u.email);
  OptString(w, "phone", u.phone);
  OptString(w, "avatar_url", u.avatar_url);
  OptBool(w, "is_verified", u.is_verified);
  OptBool(w, "is_private", u.is_private);
  w.Key("status");
  if (u.status) {
    w.String(model::ToString(*u.status));
  } else {
    w.Null();
  }
  w.Key("role");
  if (u.role) {
    w.String(model::ToString(*u.role));
  } else {
    w.Null();
  }
  OptTime(w, "last_login_at", u.last_login_at);
  OptTime(w, "created_at", u.created_at);
  OptTime(w, "updated_at", u.updated_at);
  OptTime(w, "deleted_at", u.deleted_at);
  w.EndObject();  // password_hash is never written
}

void WriteProfileView(JsonWriter& w, const services::ProfileView& v) {
  const model::UserProfile& p = v.profile;
  w.BeginObject().Key("user");
  WriteUser(w, v.user);
  w.Key("profile").BeginObject().Key("user_id");
  WriteId(w, p.user_id.value);
  OptString(w, "display_name", p.display_name);
  OptString(w, "bio", p.bio);
  OptString(w, "location", p.location);
  OptString(w, "website", p.website);
  w.Key("followers_count").Int(p.followers_count).Key("following_count").Int(p.following_count);
  w.Key("posts_count").Int(p.posts_count).Key("videos_count").Int(p.videos_count);
  w.Key("likes_received_count").Int(p.likes_received_count).Key("trust_score").Double(p.trust_score);
  Strings(w, "badges", p.badges);
  w.Key("created_at");
  WriteTime(w, p.created_at);
  w.Key("updated_at");
  WriteTime(w, p.updated_at);
  w.EndObject().EndObject();
}

void WriteStats(JsonWriter& w, const model::UserStats& s) {
  w.BeginObject().Key("user_id");
  WriteId(w, s.user_id.value);
  w.Key("followers").Int(s.followers).Key("following").Int(s.following).Key("posts").Int(s.posts);
  w.Key("videos").Int(s.videos).Key("likes_received").Int(s.likes_received).EndObject();
}

void WriteSession(JsonWriter& w, const services::Session& s) {
  w.BeginObject().Key("access_token").String(s.access_token).Key("refresh_token").String(s.refresh_token);
  w.Key("access_expires_at");
  WriteTime(w, s.access_expires_at);
  w.Key("refresh_expires_at");
  WriteTime(w, s.refresh_expires_at);
  w.Key("session_id");
  WriteId(w, s.session_id.value);
  w.Key("user");
  WriteUser(w, s.user);
  w.EndObject();
}

void WriteUserSession(JsonWriter& w, const model::UserSession& s) {
  w.BeginObject().Key("id");
  WriteId(w, s.id.value);
  w.Key("user_id");
  WriteId(w, s.user_id.value);
  w.Key("family_id");
  WriteId(w, s.family_id);
  OptString(w, "device_type", s.device_type);
  OptString(w, "device_name", s.device_name);
  OptString(w, "ip_address", s.ip_address);
  OptString(w, "user_agent", s.user_agent);
  w.Key("created_at");
  WriteTime(w, s.created_at);
  OptTime(w, "last_used_at", s.last_used_at);
  w.Key("expires_at");
  WriteTime(w, s.expires_at);
  w.Key("access_expires_at");
  WriteTime(w, s.access_expires_at);
  OptTime(w, "revoked_at", s.revoked_at);
  w.EndObject();
}

void WriteFollow(JsonWriter& w, const model::Follow& f) {
  w.BeginObject().Key("id");
  WriteId(w, f.id);
  w.Key("follower_id");
  WriteId(w, f.follower_id.value);
  w.Key("followee_id");
  WriteId(w, f.followee_id.value);
  w.Key("status").String(model::ToString(f.status)).Key("created_at");
  WriteTime(w, f.created_at);
  w.Key("updated_at");
  WriteTime(w, f.updated_at);
  w.EndObject();
}

void WriteFollowEntry(JsonWriter& w, const services::FollowEntry& e) {
  w.BeginObject().Key("edge");
  WriteFollow(w, e.edge);
  w.Key("user").BeginObject().Key("id");
  WriteId(w, e.user.id.value);
  w.Key("username").String(e.user.username);
  OptString(w, "display_name", e.user.display_name);
  OptString(w, "avatar_url", e.user.avatar_url);
  w.Key("is_verified").Bool(e.user.is_verified).Key("is_private").Bool(e.user.is_private);
  w.EndObject().EndObject();
}

void WriteBlock(JsonWriter& w, const model::Block& b) {
  w.BeginObject().Key("id");
  WriteId(w, b.id);
  w.Key("blocker_id");
  WriteId(w, b.blocker_id.value);
  w.Key("blocked_id");
  WriteId(w, b.blocked_id.value);
  OptString(w, "reason", b.reason);
  w.Key("created_at");
  WriteTime(w, b.created_at);
  w.EndObject();
}

void WriteMute(JsonWriter& w, const model::Mute& m) {
  w.BeginObject().Key("id");
  WriteId(w, m.id);
  w.Key("muter_id");
  WriteId(w, m.muter_id.value);
  w.Key("muted_id");
  WriteId(w, m.muted_id.value);
  w.Key("mute_type").String(model::ToString(m.mute_type)).Key("created_at");
  WriteTime(w, m.created_at);
  OptTime(w, "expires_at", m.expires_at);
  w.EndObject();
}

void WritePost(JsonWriter& w, const model::Post& p) {
  w.BeginObject().Key("id");
  WriteId(w, p.id.value);
  w.Key("author_id");
  WriteId(w, p.author_id.value);
  w.Key("content").String(p.content);
  Strings(w, "media_urls", p.media_urls);
  Strings(w, "hashtags", p.hashtags);
  Ids(w, "mentions", p.mentions);
  w.Key("likes_count").Int(p.likes_count).Key("comments_count").Int(p.comments_count);
  w.Key("status").String(model::ToString(p.status)).Key("visibility").String(model::ToString(p.visibility));
  w.Key("created_at");
  WriteTime(w, p.created_at);
  w.Key("updated_at");
  WriteTime(w, p.updated_at);
  OptTime(w, "deleted_at", p.deleted_at);
  Author(w, p.author);
  w.EndObject();
}

void WriteComment(JsonWriter& w, const model::Comment& c) {
  w.BeginObject().Key("id");
  WriteId(w, c.id.value);
  w.Key("target_type").String(model::ToString(c.target.type)).Key("target_id");
  WriteId(w, c.target.id);
  w.Key("parent_id");
  if (c.parent_id) {
    WriteId(w, c.parent_id->value);
  } else {
    w.Null();
  }
  w.Key("author_id");
  WriteId(w, c.author_id.value);
  w.Key("content").String(c.content);
  Ids(w, "mentions", c.mentions);
  w.Key("likes_count").Int(c.likes_count).Key("replies_count").Int(c.replies_count);
  w.Key("status").String(model::ToString(c.status)).Key("created_at");
  WriteTime(w, c.created_at);
  w.Key("updated_at");
  WriteTime(w, c.updated_at);
  OptTime(w, "deleted_at", c.deleted_at);
  Author(w, c.author);
  w.EndObject();
}

void WriteVideo(JsonWriter& w, const model::Video& v) {
  w.BeginObject().Key("id");
  WriteId(w, v.id.value);
  w.Key("author_id");
  WriteId(w, v.author_id.value);
  w.Key("title").String(v.title).Key("description").String(v.description);
  Strings(w, "hashtags", v.hashtags);
  OptString(w, "thumbnail_url", v.thumbnail_url);
  OptString(w, "hls_url", v.hls_url);
  w.Key("duration_ms").Int(v.duration_ms).Key("resolution").String(v.resolution);
  w.Key("views_count").Int(v.views_count).Key("likes_count").Int(v.likes_count);
  w.Key("comments_count").Int(v.comments_count);
  w.Key("status").String(model::ToString(v.status)).Key("visibility").String(model::ToString(v.visibility));
  OptString(w, "error", v.error);
  w.Key("created_at");
  WriteTime(w, v.created_at);
  w.Key("updated_at");
  WriteTime(w, v.updated_at);
  OptTime(w, "published_at", v.published_at);
  OptTime(w, "hidden_at", v.hidden_at);
  w.EndObject();
}

void WriteUserHit(JsonWriter& w, const services::UserHit& h) {
  w.BeginObject().Key("id");
  WriteId(w, h.id);
  w.Key("username").String(h.username).Key("display_name").String(h.display_name);
  OptString(w, "avatar_url", h.avatar_url);
  w.Key("is_verified").Bool(h.is_verified).Key("rank_bucket").Int(h.rank_bucket).EndObject();
}

}  // namespace daira::cabi
