-- 001_users (SQLite): accounts, profiles, sessions, and the user search index.
-- Conventions (docs/schema.md): ids are app-generated 64-bit time-ordered integers; timestamps are
-- INTEGER microseconds since the Unix epoch; booleans are 0/1; arrays are JSON array text (declared
-- TEXT_ARRAY) and JSON documents are text (declared TEXT_JSON) -- both have TEXT affinity.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
  email         TEXT,
  phone         TEXT,
  password_hash TEXT,
  avatar_url    TEXT,
  is_verified   INTEGER NOT NULL DEFAULT 0 CHECK (is_verified IN (0, 1)),
  is_private    INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
  status        TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'BANNED', 'DELETED')),
  role          TEXT    NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'CREATOR', 'MODERATOR', 'ADMIN')),
  last_login_at INTEGER,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deleted_at    INTEGER
);
-- Usernames are stored lower-cased by the accounts service, so plain unique indexes serve lookups.
CREATE UNIQUE INDEX users_username_uidx ON users (username);
CREATE UNIQUE INDEX users_email_uidx ON users (email);
CREATE UNIQUE INDEX users_phone_uidx ON users (phone);
CREATE INDEX users_status_idx ON users (status, id);

CREATE TABLE user_profiles (
  user_id              INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  display_name         TEXT,
  bio                  TEXT,
  location             TEXT,
  website              TEXT,
  followers_count      INTEGER NOT NULL DEFAULT 0 CHECK (followers_count >= 0),
  following_count      INTEGER NOT NULL DEFAULT 0 CHECK (following_count >= 0),
  posts_count          INTEGER NOT NULL DEFAULT 0 CHECK (posts_count >= 0),
  videos_count         INTEGER NOT NULL DEFAULT 0 CHECK (videos_count >= 0),
  likes_received_count INTEGER NOT NULL DEFAULT 0 CHECK (likes_received_count >= 0),
  trust_score          REAL    NOT NULL DEFAULT 0.5 CHECK (trust_score >= 0 AND trust_score <= 1),
  badges               TEXT_ARRAY NOT NULL DEFAULT '[]' CHECK (json_type(badges) = 'array'),
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);

CREATE TABLE user_sessions (
  id                 INTEGER PRIMARY KEY,
  user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id          INTEGER NOT NULL,
  refresh_token_hash TEXT    NOT NULL,
  device_type        TEXT,
  device_name        TEXT,
  ip_address         TEXT,
  user_agent         TEXT,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  last_used_at       INTEGER,
  expires_at         INTEGER NOT NULL,
  revoked_at         INTEGER,
  replaced_by        INTEGER REFERENCES user_sessions (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX user_sessions_token_uidx ON user_sessions (refresh_token_hash);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, id);
CREATE INDEX user_sessions_family_idx ON user_sessions (family_id);
CREATE INDEX user_sessions_replaced_by_idx ON user_sessions (replaced_by);

-- Full-text search over username and display name (rowid = users.id), kept in sync by triggers.
-- SQLite only; Postgres has expression GIN indexes instead (docs/schema.md lists the difference).
CREATE VIRTUAL TABLE users_fts USING fts5 (username, display_name, tokenize = 'unicode61 remove_diacritics 2',
                                           prefix = '2 3');
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
  INSERT INTO users_fts (rowid, username, display_name) VALUES (new.id, new.username, '');
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF username ON users BEGIN
  UPDATE users_fts SET username = new.username WHERE rowid = new.id;
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
  DELETE FROM users_fts WHERE rowid = old.id;
END;
CREATE TRIGGER user_profiles_fts_insert AFTER INSERT ON user_profiles BEGIN
  UPDATE users_fts SET display_name = coalesce(new.display_name, '') WHERE rowid = new.user_id;
END;
CREATE TRIGGER user_profiles_fts_update AFTER UPDATE OF display_name ON user_profiles BEGIN
  UPDATE users_fts SET display_name = coalesce(new.display_name, '') WHERE rowid = new.user_id;
END;
CREATE TRIGGER user_profiles_fts_delete AFTER DELETE ON user_profiles BEGIN
  UPDATE users_fts SET display_name = '' WHERE rowid = old.user_id;
END;
