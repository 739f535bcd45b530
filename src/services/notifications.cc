#include "daira/services/notifications.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daira/core/clock.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/store/connection.h"
#include "daira/store/value.h"
#include "query/keyset_shapes.h"
#include "services/chat_internal.h"

namespace daira::inline v0::services {
namespace {

using internal::FieldError;
using store::Connection;
using store::ResultSet;
using store::Value;

constexpr char kColumns[] =
    "SELECT id, user_id, kind, actor_id, entity_type, entity_id, payload, read_at, created_at, actor_count, "
    "latest_actors, updated_at FROM notifications";
constexpr size_t kMaxPayloadBytes = 4096;
constexpr auto kMaxGroupWindow = std::chrono::hours(24 * 30);

std::vector<int64_t> ParseIds(std::string_view json) {
  std::vector<int64_t> out;
  if (absl::StatusOr<JsonValue> v = ParseJson(json); v.ok()) {
    for (const JsonValue& e : v->AsArray()) out.push_back(e.AsInt());
  }
  return out;
}

std::string IdsJson(const std::vector<int64_t>& ids) {
  JsonWriter w;
  w.BeginArray();
  for (int64_t id : ids) w.Int(id);
  w.EndArray();
  return w.Take();
}

Notification FromRow(const store::Row& r) {
  Notification n;
  n.id = NotificationId{r.Int64("id")};
  n.user_id = UserId{r.Int64("user_id")};
  n.kind = r.Text("kind");
  if (!r.IsNull("actor_id")) n.actor_id = UserId{r.Int64("actor_id")};
  if (!r.IsNull("entity_type")) n.target_type = r.Text("entity_type");
  if (!r.IsNull("entity_id")) n.target_id = r.Int64("entity_id");
  n.actor_count = r.Int64("actor_count");
  for (int64_t id : ParseIds(r.Text("latest_actors"))) n.latest_actors.push_back(UserId{id});
  n.payload = r.Text("payload");
  n.read = !r.IsNull("read_at");
  n.created_at = FromUnixMicros(r.Int64("created_at"));
  n.updated_at = FromUnixMicros(r.IsNull("updated_at") ? r.Int64("created_at") : r.Int64("updated_at"));
  return n;
}

std::string NotificationJson(const Notification& n) {
  JsonWriter w;
  w.BeginObject().Key("type").String("notification").Key("notification").BeginObject();
  w.Key("id")
      .String(absl::StrCat(n.id.value))
      .Key("user_id")
      .String(absl::StrCat(n.user_id.value))
      .Key("kind")
      .String(n.kind);
  w.Key("actor_id");
  if (n.actor_id)
    w.String(absl::StrCat(n.actor_id->value));
  else
    w.Null();
  w.Key("target_type");
  if (n.target_type)
    w.String(*n.target_type);
  else
    w.Null();
  w.Key("target_id");
  if (n.target_id)
    w.String(absl::StrCat(*n.target_id));
  else
    w.Null();
  w.Key("actor_count").Int(n.actor_count).Key("latest_actors").BeginArray();
  for (UserId a : n.latest_actors) w.String(absl::StrCat(a.value));
  w.EndArray();
  w.Key("payload");
  if (ParseJson(n.payload).ok())
    w.Raw(n.payload);
  else
    w.String(n.payload);
  w.Key("read").Bool(n.read);
  w.Key("created_at").Int(ToUnixMicros(n.created_at)).Key("updated_at").Int(ToUnixMicros(n.updated_at));
  w.EndObject().EndObject();
  return w.Take();
}

absl::StatusOr<int64_t> CountUnread(Connection& c, UserId user) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs,
      c.Execute("SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", {user.value}));
  return rs.front().Int64(0);
}

std::string ReadEvent(std::optional<NotificationId> id, int64_t unread) {
  JsonWriter w;
  w.BeginObject().Key("type").String("notification.read");
  if (id)
    w.Key("id").String(absl::StrCat(id->value));
  else
    w.Key("all").Bool(true);
  w.Key("unread").Int(unread).EndObject();
  return w.Take();
}

}  // namespace

absl::Status NotificationsOptions::Validate() const {
  Violations v;
  if (group_window.count() < 0 || group_window > kMaxGroupWindow) {
    v.Add("group_window", absl::StrCat("must be in [0, 30 days] (got ", group_window.count(), " ms)"));
  }
  v.Range("latest_actors", static_cast<int64_t>(latest_actors), 1, 20);
  return v.ToStatus("notifications options");
}

absl::Status NotifyRequest::Validate() const {
  Violations v;
  v.Id("user_id", user_id);
  v.OneOf("kind", kind, kNotificationKinds);
  if (actor_id.has_value() && v.Id("actor_id", *actor_id) && *actor_id == user_id) {
    v.Add("actor_id", absl::StrCat("must differ from user_id (got ", *actor_id, ")"));
  }
  if (target_type.has_value()) {
    const bool ok = !target_type->empty() && target_type->size() <= 32 &&
                    std::all_of(target_type->begin(), target_type->end(),
                                [](char ch) { return (ch >= 'A' && ch <= 'Z') || ch == '_'; });
    if (!ok)
      v.Add("target_type", absl::StrCat("must be 1-32 characters A-Z or _ (got \"", *target_type, "\")"));
  }
  if (target_id.has_value()) v.Id("target_id", *target_id);
  if (payload.size() > kMaxPayloadBytes) {
    v.Add("payload", absl::StrCat("must be at most ", kMaxPayloadBytes, " bytes (got ", payload.size(), ")"));
  } else {
    v.JsonObject("payload", payload);
  }
  return v.ToStatus("notify");
}

std::string Notifications::Channel(UserId user) { return absl::StrCat("user:", user.value); }

absl::StatusOr<Notification> Notifications::Notify(const RequestContext& ctx, const NotifyRequest& request) {
  constexpr std::string_view kOp = "notify";
  DAIRA_RETURN_IF_ERROR(request.Validate());
  Notification out;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    // The recipient, locked: grouping is serialized per recipient (Postgres; SQLite's writer lock already
    // is).
    std::string lock = "SELECT status FROM users WHERE id = ?";
    if (c.backend() == store::Backend::kPostgres) lock += " FOR NO KEY UPDATE";
    DAIRA_ASSIGN_OR_RETURN(ResultSet user, c.Execute(lock, {request.user_id}));
    if (user.empty() || user.front().Text(0) == "DELETED") {
      return FieldError(absl::StatusCode::kNotFound, kOp, "user_id",
                        absl::StrCat("not found (got ", request.user_id, ")"));
    }
    if (request.actor_id.has_value()) {
      DAIRA_ASSIGN_OR_RETURN(ResultSet actor,
                             c.Execute("SELECT 1 FROM users WHERE id = ?", {*request.actor_id}));
      if (actor.empty()) {
        return FieldError(absl::StatusCode::kNotFound, kOp, "actor_id",
                          absl::StrCat("not found (got ", *request.actor_id, ")"));
      }
    }
    const int64_t now = deps_.NowMicros();
    const Value target_type = request.target_type ? Value(*request.target_type) : Value();
    const Value target_id = request.target_id ? Value(*request.target_id) : Value();
    const Value actor = request.actor_id ? Value(*request.actor_id) : Value();
    Value group_key;
    int64_t row_id = 0;
    if (request.actor_id.has_value() && options_.group_window.count() > 0) {
      group_key = absl::StrCat(request.kind, "|", request.target_type.value_or(""), "|",
                               request.target_id ? absl::StrCat(*request.target_id) : "");
      const int64_t since =
          now - std::chrono::duration_cast<std::chrono::microseconds>(options_.group_window).count();
      DAIRA_ASSIGN_OR_RETURN(
          ResultSet g, c.Execute("SELECT id, actor_count, latest_actors FROM notifications "
                                 "WHERE user_id = ? AND group_key = ? AND read_at IS NULL AND created_at > ? "
                                 "ORDER BY id DESC LIMIT 1",
                                 {request.user_id, group_key, since}));
      if (!g.empty()) {
        row_id = g.front().Int64("id");
        std::vector<int64_t> latest = ParseIds(g.front().Text("latest_actors"));
        auto it = std::find(latest.begin(), latest.end(), *request.actor_id);
        int64_t count = g.front().Int64("actor_count");
        if (it != latest.end()) {
          latest.erase(it);
        } else {
          ++count;
        }
        latest.insert(latest.begin(), *request.actor_id);
        if (latest.size() > options_.latest_actors) latest.resize(options_.latest_actors);
        DAIRA_RETURN_IF_ERROR(
            c.Execute("UPDATE notifications SET actor_id = ?, actor_count = ?, latest_actors = ?, "
                      "updated_at = ? WHERE id = ?",
                      {*request.actor_id, count, IdsJson(latest), now, row_id})
                .status());
      }
    }
    if (row_id == 0) {
      DAIRA_ASSIGN_OR_RETURN(row_id, deps_.NextId());
      const std::vector<int64_t> latest =
          request.actor_id ? std::vector<int64_t>{*request.actor_id} : std::vector<int64_t>{};
      DAIRA_RETURN_IF_ERROR(
          c.Execute(
               "INSERT INTO notifications (id, user_id, kind, actor_id, entity_type, entity_id, payload, "
               "created_at, group_key, actor_count, latest_actors, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
               {row_id, request.user_id, request.kind, actor, target_type, target_id,
                Value::Json(request.payload), now, group_key, IdsJson(latest), now})
              .status());
    }
    DAIRA_ASSIGN_OR_RETURN(ResultSet row, c.Execute(absl::StrCat(kColumns, " WHERE id = ?"), {row_id}));
    if (row.empty()) return absl::InternalError("notify: the row just written is missing");
    out = FromRow(row.front());
    internal::PublishAfterCommit(hub_, ctx, {{Channel(out.user_id), NotificationJson(out)}});
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<query::Page<Notification>> Notifications::List(const RequestContext& ctx, UserId user,
                                                              const query::PageRequest& page,
                                                              bool unread_only) {
  if (user.value <= 0) {
    return InvalidField("list_notifications", "user_id", absl::StrCat("must be > 0 (got ", user.value, ")"));
  }
  DAIRA_RETURN_IF_ERROR(page.Validate());
  query::KeysetQuery q{.scope = absl::StrCat("notifications:", user.value, unread_only ? ":unread" : ""),
                       .select = {},
                       .params = {user.value},
                       .keys = {}};
  static auto* shapes = new query::KeysetShapes();
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(unread_only ? 1 : 0, q.params.size(), [&] {
    return query::KeysetQuery{.scope = {},
                              .select = kColumns,
                              .where = unread_only ? "user_id = ? AND read_at IS NULL" : "user_id = ?",
                              .keys = {{.column = "updated_at"}, {.column = "id"}},
                              .order = query::SortOrder::kDescending};
  }));
  const query::CursorCodec codec = deps_.cursor_codec();
  return query::FetchPage(*deps_.db, ctx, q, page, FromRow, {.codec = &codec});
}

absl::StatusOr<int64_t> Notifications::UnreadCount(const RequestContext& ctx, UserId user) {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead,
                               [&](Connection& c) { return CountUnread(c, user); });
}

absl::Status Notifications::MarkRead(const RequestContext& ctx, UserId user, NotificationId id) {
  constexpr std::string_view kOp = "mark_notification_read";
  if (id.value <= 0)
    return InvalidField(kOp, "notification_id", absl::StrCat("must be > 0 (got ", id.value, ")"));
  return deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(ResultSet upd,
                           c.Execute("UPDATE notifications SET read_at = ? "
                                     "WHERE id = ? AND user_id = ? AND read_at IS NULL RETURNING id",
                                     {deps_.NowMicros(), id.value, user.value}));
    if (upd.empty()) {
      DAIRA_ASSIGN_OR_RETURN(
          ResultSet mine,
          c.Execute("SELECT 1 FROM notifications WHERE id = ? AND user_id = ?", {id.value, user.value}));
      if (mine.empty()) {
        return FieldError(absl::StatusCode::kNotFound, kOp, "notification_id",
                          absl::StrCat("not found for user ", user.value, " (got ", id.value, ")"));
      }
      return absl::OkStatus();
    }
    DAIRA_ASSIGN_OR_RETURN(int64_t unread, CountUnread(c, user));
    internal::PublishAfterCommit(hub_, ctx, {{Channel(user), ReadEvent(id, unread)}});
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> Notifications::MarkAllRead(const RequestContext& ctx, UserId user) {
  int64_t changed = 0;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet upd, c.Execute("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL "
                                 "RETURNING id",
                                 {deps_.NowMicros(), user.value}));
    changed = static_cast<int64_t>(upd.size());
    if (changed > 0) internal::PublishAfterCommit(hub_, ctx, {{Channel(user), ReadEvent(std::nullopt, 0)}});
    return absl::OkStatus();
  }));
  return changed;
}

}  // namespace daira::inline v0::services
