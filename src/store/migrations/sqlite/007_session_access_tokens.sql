-- 007_session_access_tokens (SQLite): each session also holds its short-lived access token, stored
-- only as a hash (BLAKE2b-256 hex of the whole token), and that token's expiry. The accounts service
-- looks a session up by id (the token is "<session id>.<secret>") and compares hashes in constant time;
-- the unique index also serves lookups by hash.
ALTER TABLE user_sessions ADD COLUMN access_token_hash TEXT;
ALTER TABLE user_sessions ADD COLUMN access_expires_at INTEGER;
CREATE UNIQUE INDEX user_sessions_access_token_uidx ON user_sessions (access_token_hash);
