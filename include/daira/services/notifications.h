// Notifications: persisted per user (kind, actor, target, read flag), grouped within a window ("A and 3
// others liked your post"), listed newest activity first, counted unread, pushed in real time.
//
//   services::Notifications notifications(deps, &hub, {.group_window = std::chrono::hours(1)});
//   DAIRA_ASSIGN_OR_RETURN(auto sub, hub.Subscribe(services::Notifications::Channel(alice)));   //
//   "user:{id}" DAIRA_ASSIGN_OR_RETURN(auto n, notifications.Notify(ctx, {.user_id = alice.value, .kind =
//   "LIKE",
//                                                             .actor_id = bob.value, .target_type = "POST",
//                                                             .target_id = post.value}));
//   // n.actor_count == 1; three more likes of that post within the hour fold into the same row (4).
//   auto event = sub->Next(std::chrono::seconds(1));     // {"type":"notification","notification":{…}}
//   DAIRA_ASSIGN_OR_RETURN(int64_t unread, notifications.UnreadCount(ctx, alice));
//   DAIRA_RETURN_IF_ERROR(notifications.MarkAllRead(ctx, alice).status());
//
// Grouping: a notification with an actor folds into the user's newest UNREAD row with the same kind and
// target (target_type, target_id; both may be absent, e.g. FOLLOW) created less than
// NotificationsOptions::group_window before it: that row's actor_count grows by one, the actor moves to
// the front of latest_actors (at most NotificationsOptions::latest_actors kept), actor_id becomes the
// actor, updated_at now. An actor already among latest_actors only moves to the front (no double count).
// Otherwise (no actor, window 0, the group read or older than the window) a new row starts. Grouping is
// serialized per recipient (Postgres: the recipient's users row is locked; SQLite: the writer lock), so
// concurrent notifications never start two rows of one group.
//
// Real time: after the transaction commits (store::AfterCommit; nothing for a rollback) the row, as it is
// now, is published on `user:{id}` as {"type":"notification","notification":{…}}; MarkRead/MarkAllRead
// publish {"type":"notification.read", "id": id | "all": true, "unread": n}.
//
// Errors: InvalidArgument naming the field (user_id, kind, actor_id, target_type, target_id, payload,
// notification_id, limit, cursor); NotFound naming user_id / actor_id for a user that does not exist,
// naming notification_id for a row that is not the user's. Database errors pass through.
//
// Thread-safety: a Notifications is immutable after construction and safe from any number of threads.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/query/keyset.h"
#include "daira/realtime/hub.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

// notifications.kind (the CHECK constraint in 006_supporting; MODERATION since 020: a WARN, SUSPEND
// or BAN decision sent to the user it is about, services/moderation.h).
inline constexpr std::array<std::string_view, 11> kNotificationKinds = {
    "FOLLOW", "FOLLOW_REQUEST",  "LIKE",    "COMMENT", "REPLY",     "MENTION",
    "TIP",    "VIDEO_PUBLISHED", "MESSAGE", "SYSTEM",  "MODERATION"};

// Every field is also a Platform URL parameter of the realtime concern (docs/configuration.md,
// "Chat and notifications").
struct NotificationsOptions {
  // notify_group_window_ms=: how long after a group's first notification later ones fold into it.
  // 0: never group. Default 1 h. At most 30 days.
  std::chrono::milliseconds group_window{std::chrono::hours(1)};
  // notify_latest_actors=: actors kept per grouped row (newest first), in [1, 20]. Default 3.
  size_t latest_actors = 3;
  // OK, or InvalidArgument naming the field.
  absl::Status Validate() const;
};

struct Notification {
  NotificationId id;
  UserId user_id;                            // the recipient
  std::string kind;                          // one of kNotificationKinds
  std::optional<UserId> actor_id{};          // the latest actor; null for SYSTEM-like notifications
  std::optional<std::string> target_type{};  // e.g. "POST", "VIDEO", "COMMENT", "USER"
  std::optional<int64_t> target_id{};
  int64_t actor_count = 1;              // actors folded into this row
  std::vector<UserId> latest_actors{};  // newest first, at most NotificationsOptions::latest_actors
  std::string payload = "{}";           // JSON object, as given by the first notification of the row
  bool read = false;
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point updated_at{};  // the last fold
};

struct NotifyRequest {
  int64_t user_id = 0;                       // > 0, the recipient
  std::string kind;                          // one of kNotificationKinds
  std::optional<int64_t> actor_id{};         // > 0 when given, not user_id
  std::optional<std::string> target_type{};  // 1–32 characters [A-Z_] when given
  std::optional<int64_t> target_id{};        // > 0 when given
  std::string payload = "{}";                // a JSON object, at most 4096 bytes
  absl::Status Validate() const;             // op "notify"
};

class Notifications {
 public:
  // `deps.db` must be migrated (018_chat; 020 for MODERATION) and outlive this object; `hub` (not owned, may
  // be null: no live push) too. `options` must be valid (NotificationsOptions::Validate; Platform checks it).
  Notifications(const ServiceDeps& deps, realtime::Hub* hub, const NotificationsOptions& options = {})
      : deps_(deps), hub_(hub), options_(options) {}

  // "user:{id}": where a user's notifications (and chat events, daira/services/chat.h) are pushed.
  static std::string Channel(UserId user);

  // Records a notification (a new row, or folded into a group: see the header comment) and pushes it
  // after commit. Returns the row as it now is.
  absl::StatusOr<Notification> Notify(const RequestContext& ctx, const NotifyRequest& request);

  // The user's notifications, newest activity first (updated_at, then id; keyset cursors). A row that
  // folds in a new actor moves to the head: a client paging meanwhile sees it again on its next refresh.
  absl::StatusOr<query::Page<Notification>> List(const RequestContext& ctx, UserId user,
                                                 const query::PageRequest& page, bool unread_only = false);
  // Unread rows (a group counts once). One statement.
  absl::StatusOr<int64_t> UnreadCount(const RequestContext& ctx, UserId user);
  // Marks one row read (idempotent). NotFound naming notification_id when it is not `user`'s.
  absl::Status MarkRead(const RequestContext& ctx, UserId user, NotificationId id);
  // Marks every unread row read; returns how many changed.
  absl::StatusOr<int64_t> MarkAllRead(const RequestContext& ctx, UserId user);

 private:
  ServiceDeps deps_;
  realtime::Hub* hub_;
  NotificationsOptions options_;
};

}  // namespace daira::inline v0::services
