-- 018_chat (SQLite): one DIRECT conversation per pair, what a member who left still sees, and
-- notification grouping ("A and 3 others liked your post"). services::Chat / services::Notifications.

-- "<low user id>:<high user id>" for DIRECT conversations, NULL for groups: the unique index is what
-- makes creating the same direct conversation twice (even concurrently) return the same row.
ALTER TABLE conversations ADD COLUMN direct_key TEXT;
CREATE UNIQUE INDEX conversations_direct_key_uidx ON conversations (direct_key);

-- Set when a member leaves (or is removed): the conversation's last message id at that moment. A member
-- who left reads history up to it and nothing after.
ALTER TABLE conversation_members ADD COLUMN visible_until_message_id INTEGER;

-- Grouping: rows with the same group_key (kind + target) for a user, created within the window, fold
-- into one row; actor_count counts the distinct actors folded in, latest_actors (JSON array of ids,
-- newest first) names the latest few; updated_at is the last fold.
ALTER TABLE notifications ADD COLUMN group_key TEXT;
ALTER TABLE notifications ADD COLUMN actor_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notifications ADD COLUMN latest_actors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE notifications ADD COLUMN updated_at INTEGER;
CREATE INDEX notifications_group_idx ON notifications (user_id, group_key, id);
-- Lists are newest activity first: a row that folds in a new actor moves to the top.
UPDATE notifications SET updated_at = created_at WHERE updated_at IS NULL;
CREATE INDEX notifications_activity_idx ON notifications (user_id, updated_at, id);
