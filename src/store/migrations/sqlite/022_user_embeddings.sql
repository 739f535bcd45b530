-- 022_user_embeddings (SQLite): a user's recommendation embedding, packed little-endian float32 (as
-- videos.embedding), one row per user. services::Vectors reads it through the cache as vector:{user}.

CREATE TABLE user_embeddings (
  user_id     INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  dims        INTEGER NOT NULL CHECK (dims BETWEEN 1 AND 4096),
  embedding   BLOB    NOT NULL CHECK (length(embedding) = 4 * dims),
  updated_at  INTEGER NOT NULL
);
