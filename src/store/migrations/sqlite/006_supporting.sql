-- 006_supporting (SQLite): notifications, chat, hashtags, media, analytics, outbox, jobs, idempotency.

CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL CHECK (kind IN ('FOLLOW', 'FOLLOW_REQUEST', 'LIKE', 'COMMENT', 'REPLY', 'MENTION',
                                               'TIP', 'VIDEO_PUBLISHED', 'MESSAGE', 'SYSTEM')),
  actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  entity_type TEXT,
  entity_id   INTEGER,
  payload     TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  read_at     INTEGER,
  created_at  INTEGER NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;

CREATE TABLE conversations (
  id              INTEGER PRIMARY KEY,
  kind            TEXT    NOT NULL DEFAULT 'DIRECT' CHECK (kind IN ('DIRECT', 'GROUP')),
  title           TEXT,
  created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
  last_message_id INTEGER,
  last_message_at INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX conversations_last_message_idx ON conversations (last_message_at DESC);

CREATE TABLE conversation_members (
  conversation_id      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role                 TEXT    NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
  last_read_message_id INTEGER,
  is_muted             INTEGER NOT NULL DEFAULT 0 CHECK (is_muted IN (0, 1)),
  joined_at            INTEGER NOT NULL,
  left_at              INTEGER,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id, conversation_id);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  sender_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
  reply_to_id     INTEGER REFERENCES messages (id) ON DELETE SET NULL,
  body            TEXT    NOT NULL DEFAULT '',
  attachments     TEXT_JSON NOT NULL DEFAULT '[]' CHECK (json_type(attachments) = 'array'),
  created_at      INTEGER NOT NULL,
  edited_at       INTEGER,
  deleted_at      INTEGER
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

CREATE TABLE hashtags (
  id           INTEGER PRIMARY KEY,
  tag          TEXT    NOT NULL CHECK (length(tag) BETWEEN 1 AND 100),
  posts_count  INTEGER NOT NULL DEFAULT 0 CHECK (posts_count >= 0),
  videos_count INTEGER NOT NULL DEFAULT 0 CHECK (videos_count >= 0),
  last_used_at INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX hashtags_tag_uidx ON hashtags (tag);
CREATE INDEX hashtags_trending_idx ON hashtags (posts_count DESC, id);
CREATE INDEX hashtags_last_used_idx ON hashtags (last_used_at DESC);

CREATE TABLE post_hashtags (
  post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  hashtag_id INTEGER NOT NULL REFERENCES hashtags (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (post_id, hashtag_id)
);
CREATE INDEX post_hashtags_hashtag_idx ON post_hashtags (hashtag_id, post_id DESC);

CREATE TABLE media_assets (
  id           INTEGER PRIMARY KEY,
  owner_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         TEXT    NOT NULL CHECK (kind IN ('IMAGE', 'VIDEO', 'AUDIO', 'FILE')),
  storage_key  TEXT    NOT NULL,
  content_type TEXT    NOT NULL,
  bytes        INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  checksum     TEXT,
  status       TEXT    NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'READY', 'FAILED', 'DELETED')),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX media_assets_storage_key_uidx ON media_assets (storage_key);
CREATE INDEX media_assets_owner_idx ON media_assets (owner_id, id);

-- Counters per metric, entity and time bucket; writers upsert with count = count + excluded.count.
CREATE TABLE analytics_buckets (
  metric       TEXT    NOT NULL,
  entity_type  TEXT    NOT NULL DEFAULT '',
  entity_id    INTEGER NOT NULL DEFAULT 0,
  bucket_start INTEGER NOT NULL,
  count        INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (metric, entity_type, entity_id, bucket_start)
);
CREATE INDEX analytics_buckets_time_idx ON analytics_buckets (metric, bucket_start);

-- Events written in the same transaction as the change they announce; a relay publishes them.
CREATE TABLE outbox (
  id             INTEGER PRIMARY KEY,
  topic          TEXT    NOT NULL,
  aggregate_id   INTEGER,
  payload        TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  correlation_id TEXT,
  attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at     INTEGER NOT NULL,
  published_at   INTEGER
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE jobs (
  id             INTEGER PRIMARY KEY,
  queue          TEXT    NOT NULL,
  kind           TEXT    NOT NULL DEFAULT '',
  payload        TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  status         TEXT    NOT NULL DEFAULT 'QUEUED'
                 CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'DEAD')),
  priority       INTEGER NOT NULL DEFAULT 0,
  attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts   INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  run_at         INTEGER NOT NULL,
  locked_by      TEXT,
  locked_until   INTEGER,
  last_error     TEXT,
  errors         TEXT_JSON NOT NULL DEFAULT '[]' CHECK (json_type(errors) = 'array'),
  dedupe_key     TEXT,
  correlation_id TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  finished_at    INTEGER
);
CREATE INDEX jobs_queue_idx ON jobs (queue, status, run_at);
CREATE INDEX jobs_running_idx ON jobs (locked_until) WHERE status = 'RUNNING';
CREATE UNIQUE INDEX jobs_dedupe_uidx ON jobs (queue, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE idempotency_keys (
  scope         TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  user_id       INTEGER,
  request_hash  TEXT    NOT NULL,
  status        TEXT    NOT NULL DEFAULT 'IN_PROGRESS' CHECK (status IN ('IN_PROGRESS', 'COMPLETED')),
  response_code INTEGER,
  response      TEXT_JSON CHECK (response IS NULL OR json_valid(response)),
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
