-- 001_users (PostgreSQL): accounts, profiles, sessions, and the user search index.
-- Conventions (docs/schema.md): ids are app-generated 64-bit time-ordered BIGINTs (no sequences);
-- timestamps are BIGINT microseconds since the Unix epoch; booleans are SMALLINT 0/1 (as on SQLite);
-- arrays are TEXT[] / BIGINT[] and JSON documents are JSONB.

CREATE TABLE users (
  id            BIGINT PRIMARY KEY,
  username      TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
  email         TEXT,
  phone         TEXT,
  password_hash TEXT,
  avatar_url    TEXT,
  is_verified   SMALLINT NOT NULL DEFAULT 0 CHECK (is_verified IN (0, 1)),
  is_private    SMALLINT NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
  status        TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'BANNED', 'DELETED')),
  role          TEXT    NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'CREATOR', 'MODERATOR', 'ADMIN')),
  last_login_at BIGINT,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  deleted_at    BIGINT
);
-- Usernames are stored lower-cased by the accounts service, so plain unique indexes serve lookups.
CREATE UNIQUE INDEX users_username_uidx ON users (username);
CREATE UNIQUE INDEX users_email_uidx ON users (email);
CREATE UNIQUE INDEX users_phone_uidx ON users (phone);
CREATE INDEX users_status_idx ON users (status, id);

CREATE TABLE user_profiles (
  user_id              BIGINT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  display_name         TEXT,
  bio                  TEXT,
  location             TEXT,
  website              TEXT,
  followers_count      BIGINT NOT NULL DEFAULT 0 CHECK (followers_count >= 0),
  following_count      BIGINT NOT NULL DEFAULT 0 CHECK (following_count >= 0),
  posts_count          BIGINT NOT NULL DEFAULT 0 CHECK (posts_count >= 0),
  videos_count         BIGINT NOT NULL DEFAULT 0 CHECK (videos_count >= 0),
  likes_received_count BIGINT NOT NULL DEFAULT 0 CHECK (likes_received_count >= 0),
  trust_score          DOUBLE PRECISION NOT NULL DEFAULT 0.5 CHECK (trust_score >= 0 AND trust_score <= 1),
  badges               TEXT[] NOT NULL DEFAULT '{}',
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL
);

CREATE TABLE user_sessions (
  id                 BIGINT PRIMARY KEY,
  user_id            BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id          BIGINT NOT NULL,
  refresh_token_hash TEXT    NOT NULL,
  device_type        TEXT,
  device_name        TEXT,
  ip_address         TEXT,
  user_agent         TEXT,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  last_used_at       BIGINT,
  expires_at         BIGINT NOT NULL,
  revoked_at         BIGINT,
  replaced_by        BIGINT REFERENCES user_sessions (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX user_sessions_token_uidx ON user_sessions (refresh_token_hash);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, id);
CREATE INDEX user_sessions_family_idx ON user_sessions (family_id);
CREATE INDEX user_sessions_replaced_by_idx ON user_sessions (replaced_by);

-- User search over username and display name: expression GIN indexes over 'simple' tsvectors
-- (no extension needed). Postgres only; SQLite has the users_fts FTS5 table instead (docs/schema.md).
CREATE INDEX users_search_idx ON users USING gin (to_tsvector('simple', username));
CREATE INDEX user_profiles_search_idx ON user_profiles USING gin (to_tsvector('simple', coalesce(display_name, '')));
