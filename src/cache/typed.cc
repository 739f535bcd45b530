#include "daira/cache/typed.h"

#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/json.h"
#include "daira/core/status.h"

namespace daira::inline v0::cache {

namespace {

// Small helpers over JsonWriter / JsonValue for the optional model fields.
void OptText(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v.has_value()) w.Key(key).String(*v);
}
void OptBool(JsonWriter& w, std::string_view key, const std::optional<bool>& v) {
  if (v.has_value()) w.Key(key).Bool(*v);
}
void OptTime(JsonWriter& w, std::string_view key, const std::optional<Clock::TimePoint>& v) {
  if (v.has_value()) w.Key(key).Int(ToUnixMicros(*v));
}
std::optional<std::string> ReadText(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.Get(key);
  if (v == nullptr || v->type() != JsonValue::Type::kString) return std::nullopt;
  return v->AsString();
}
std::optional<bool> ReadBool(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.Get(key);
  if (v == nullptr || v->type() != JsonValue::Type::kBool) return std::nullopt;
  return v->AsBool();
}
std::optional<Clock::TimePoint> ReadTime(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.Get(key);
  if (v == nullptr || v->type() != JsonValue::Type::kInt) return std::nullopt;
  return FromUnixMicros(v->AsInt());
}
int64_t ReadInt(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.Get(key);
  return v == nullptr ? 0 : v->AsInt();
}
absl::StatusOr<JsonValue> ParseObject(std::string_view body, std::string_view what) {
  DAIRA_ASSIGN_OR_RETURN(JsonValue v, ParseJson(body));
  if (v.type() != JsonValue::Type::kObject) {
    return absl::DataLossError(absl::StrCat("cache: decode ", ToAbsl(what), ": not a JSON object"));
  }
  return v;
}

}  // namespace

std::string Frame(std::string_view tag, int version, std::string_view body) {
  return absl::StrCat(ToAbsl(tag), ":v", version, ":", ToAbsl(body));
}

std::optional<std::string_view> Unframe(std::string_view tag, int version, std::string_view bytes) {
  const std::string head = absl::StrCat(ToAbsl(tag), ":v", version, ":");
  if (bytes.size() < head.size() || bytes.substr(0, head.size()) != head) return std::nullopt;
  return bytes.substr(head.size());
}

std::string Codec<model::User>::Encode(const model::User& u) {
  JsonWriter w;
  w.BeginObject().Key("id").Int(u.id.value);
  OptText(w, "username", u.username);
  OptText(w, "email", u.email);
  OptText(w, "phone", u.phone);
  OptText(w, "avatar_url", u.avatar_url);
  OptBool(w, "is_verified", u.is_verified);
  OptBool(w, "is_private", u.is_private);
  if (u.status.has_value()) w.Key("status").String(model::ToString(*u.status));
  if (u.role.has_value()) w.Key("role").String(model::ToString(*u.role));
  OptTime(w, "last_login_at", u.last_login_at);
  OptTime(w, "created_at", u.created_at);
  OptTime(w, "updated_at", u.updated_at);
  OptTime(w, "deleted_at", u.deleted_at);
  // password_hash is never cached.
  w.EndObject();
  return w.Take();
}

absl::StatusOr<model::User> Codec<model::User>::Decode(std::string_view body) {
  DAIRA_ASSIGN_OR_RETURN(JsonValue o, ParseObject(body, "user"));
  model::User u;
  u.id = UserId(ReadInt(o, "id"));
  u.username = ReadText(o, "username");
  u.email = ReadText(o, "email");
  u.phone = ReadText(o, "phone");
  u.avatar_url = ReadText(o, "avatar_url");
  u.is_verified = ReadBool(o, "is_verified");
  u.is_private = ReadBool(o, "is_private");
  if (auto s = ReadText(o, "status")) {
    DAIRA_ASSIGN_OR_RETURN(u.status, model::ParseUserStatus(*s));
  }
  if (auto r = ReadText(o, "role")) {
    DAIRA_ASSIGN_OR_RETURN(u.role, model::ParseUserRole(*r));
  }
  u.last_login_at = ReadTime(o, "last_login_at");
  u.created_at = ReadTime(o, "created_at");
  u.updated_at = ReadTime(o, "updated_at");
  u.deleted_at = ReadTime(o, "deleted_at");
  return u;
}

std::string Codec<model::UserProfile>::Encode(const model::UserProfile& p) {
  JsonWriter w;
  w.BeginObject().Key("user_id").Int(p.user_id.value);
  OptText(w, "display_name", p.display_name);
  OptText(w, "bio", p.bio);
  OptText(w, "location", p.location);
  OptText(w, "website", p.website);
  w.Key("followers_count").Int(p.followers_count);
  w.Key("following_count").Int(p.following_count);
  w.Key("posts_count").Int(p.posts_count);
  w.Key("videos_count").Int(p.videos_count);
  w.Key("likes_received_count").Int(p.likes_received_count);
  w.Key("trust_score").Double(p.trust_score);
  w.Key("badges").BeginArray();
  for (const std::string& b : p.badges) w.String(b);
  w.EndArray();
  w.Key("created_at").Int(ToUnixMicros(p.created_at));
  w.Key("updated_at").Int(ToUnixMicros(p.updated_at));
  w.EndObject();
  return w.Take();
}

absl::StatusOr<model::UserProfile> Codec<model::UserProfile>::Decode(std::string_view body) {
  DAIRA_ASSIGN_OR_RETURN(JsonValue o, ParseObject(body, "user_profile"));
  model::UserProfile p;
  p.user_id = UserId(ReadInt(o, "user_id"));
  p.display_name = ReadText(o, "display_name");
  p.bio = ReadText(o, "bio");
  p.location = ReadText(o, "location");
  p.website = ReadText(o, "website");
  p.followers_count = ReadInt(o, "followers_count");
  p.following_count = ReadInt(o, "following_count");
  p.posts_count = ReadInt(o, "posts_count");
  p.videos_count = ReadInt(o, "videos_count");
  p.likes_received_count = ReadInt(o, "likes_received_count");
  if (const JsonValue* t = o.Get("trust_score")) p.trust_score = t->AsDouble();
  if (const JsonValue* b = o.Get("badges")) {
    for (const JsonValue& e : b->AsArray()) p.badges.push_back(e.AsString());
  }
  p.created_at = FromUnixMicros(ReadInt(o, "created_at"));
  p.updated_at = FromUnixMicros(ReadInt(o, "updated_at"));
  return p;
}

std::string Codec<model::UserSession>::Encode(const model::UserSession& s) {
  JsonWriter w;
  w.BeginObject()
      .Key("id")
      .Int(s.id.value)
      .Key("user_id")
      .Int(s.user_id.value)
      .Key("family_id")
      .Int(s.family_id);
  OptText(w, "device_type", s.device_type);
  OptText(w, "device_name", s.device_name);
  OptText(w, "ip_address", s.ip_address);
  OptText(w, "user_agent", s.user_agent);
  w.Key("created_at").Int(ToUnixMicros(s.created_at));
  OptTime(w, "last_used_at", s.last_used_at);
  w.Key("expires_at").Int(ToUnixMicros(s.expires_at));
  w.Key("access_expires_at").Int(ToUnixMicros(s.access_expires_at));
  OptTime(w, "revoked_at", s.revoked_at);
  if (s.replaced_by.has_value()) w.Key("replaced_by").Int(s.replaced_by->value);
  w.EndObject();
  return w.Take();
}

absl::StatusOr<model::UserSession> Codec<model::UserSession>::Decode(std::string_view body) {
  DAIRA_ASSIGN_OR_RETURN(JsonValue o, ParseObject(body, "user_session"));
  model::UserSession s;
  s.id = SessionId(ReadInt(o, "id"));
  s.user_id = UserId(ReadInt(o, "user_id"));
  s.family_id = ReadInt(o, "family_id");
  s.device_type = ReadText(o, "device_type");
  s.device_name = ReadText(o, "device_name");
  s.ip_address = ReadText(o, "ip_address");
  s.user_agent = ReadText(o, "user_agent");
  s.created_at = FromUnixMicros(ReadInt(o, "created_at"));
  s.last_used_at = ReadTime(o, "last_used_at");
  s.expires_at = FromUnixMicros(ReadInt(o, "expires_at"));
  s.access_expires_at = FromUnixMicros(ReadInt(o, "access_expires_at"));
  s.revoked_at = ReadTime(o, "revoked_at");
  if (const JsonValue* r = o.Get("replaced_by")) s.replaced_by = SessionId(r->AsInt());
  return s;
}

}  // namespace daira::inline v0::cache
