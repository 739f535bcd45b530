-- 022_user_embeddings (PostgreSQL): a user's recommendation embedding, packed little-endian float32 (as
-- videos.embedding), one row per user. services::Vectors reads it through the cache as vector:{user}.

CREATE TABLE user_embeddings (
  user_id     BIGINT  NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  dims        INTEGER NOT NULL CHECK (dims BETWEEN 1 AND 4096),
  embedding   BYTEA   NOT NULL CHECK (length(embedding) = 4 * dims),
  updated_at  BIGINT  NOT NULL
);
