-- 020_moderation_effects (SQLite): moderation takes effect on videos and reaches the warned user.
--
-- videos.hidden_at: set (micros) while moderation hides the video (auto-hide threshold, or an upheld
-- report), NULL otherwise. A column beside status, not a status value, because status is the upload
-- pipeline (UPLOADING → PROCESSING → PUBLISHED | FAILED) and restoring a video must give back exactly
-- the state it had. Every listing (search, trending) shows only videos with hidden_at NULL.
ALTER TABLE videos ADD COLUMN hidden_at INTEGER;

-- notifications.kind gains MODERATION (a WARN, SUSPEND or BAN decision, sent to the user it is
-- about). SQLite cannot change a CHECK in place; nothing references notifications, so the table is
-- rebuilt with every column and index it has since 018.
CREATE TABLE notifications_020 (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind          TEXT    NOT NULL
                CHECK (kind IN ('FOLLOW', 'FOLLOW_REQUEST', 'LIKE', 'COMMENT', 'REPLY', 'MENTION', 'TIP', 'VIDEO_PUBLISHED', 'MESSAGE', 'SYSTEM', 'MODERATION')),
  actor_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
  entity_type   TEXT,
  entity_id     INTEGER,
  payload       TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  read_at       INTEGER,
  created_at    INTEGER NOT NULL,
  group_key     TEXT,
  actor_count   INTEGER NOT NULL DEFAULT 1,
  latest_actors TEXT NOT NULL DEFAULT '[]',
  updated_at    INTEGER
);
INSERT INTO notifications_020 (id, user_id, kind, actor_id, entity_type, entity_id, payload, read_at, created_at,
                               group_key, actor_count, latest_actors, updated_at)
  SELECT id, user_id, kind, actor_id, entity_type, entity_id, payload, read_at, created_at, group_key, actor_count,
         latest_actors, updated_at
  FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_020 RENAME TO notifications;
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_group_idx ON notifications (user_id, group_key, id);
CREATE INDEX notifications_activity_idx ON notifications (user_id, updated_at, id);
