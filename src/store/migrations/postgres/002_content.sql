-- 002_content (PostgreSQL): posts, videos, threaded comments.

CREATE TABLE posts (
  id             BIGINT PRIMARY KEY,
  author_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content        TEXT    NOT NULL DEFAULT '',
  media_urls     TEXT[] NOT NULL DEFAULT '{}',
  hashtags       TEXT[] NOT NULL DEFAULT '{}',
  mentions       BIGINT[] NOT NULL DEFAULT '{}',
  likes_count    BIGINT NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
  comments_count BIGINT NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
  status         TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'HIDDEN', 'DELETED')),
  visibility     TEXT    NOT NULL DEFAULT 'PUBLIC' CHECK (visibility IN ('PUBLIC', 'FOLLOWERS', 'PRIVATE')),
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  deleted_at     BIGINT
);
-- Ids are time-ordered, so (author_id, id DESC) is "an author's posts, newest first".
CREATE INDEX posts_author_idx ON posts (author_id, id DESC);
CREATE INDEX posts_status_idx ON posts (status, id DESC);

CREATE TABLE videos (
  id             BIGINT PRIMARY KEY,
  author_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title          TEXT    NOT NULL DEFAULT '',
  description    TEXT    NOT NULL DEFAULT '',
  hashtags       TEXT[] NOT NULL DEFAULT '{}',
  source_key     TEXT,
  thumbnail_url  TEXT,
  hls_url        TEXT,
  duration_ms    BIGINT NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
  resolution     TEXT,
  views_count    BIGINT NOT NULL DEFAULT 0 CHECK (views_count >= 0),
  likes_count    BIGINT NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
  comments_count BIGINT NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
  status         TEXT    NOT NULL DEFAULT 'UPLOADING'
                 CHECK (status IN ('UPLOADING', 'PROCESSING', 'PUBLISHED', 'FAILED')),
  visibility     TEXT    NOT NULL DEFAULT 'PUBLIC' CHECK (visibility IN ('PUBLIC', 'FOLLOWERS', 'PRIVATE')),
  error          TEXT,
  -- Packed little-endian float32 vector (the recommendation embedding), NULL until computed.
  embedding      BYTEA,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  published_at   BIGINT,
  deleted_at     BIGINT
);
CREATE INDEX videos_author_idx ON videos (author_id, id DESC);
CREATE INDEX videos_status_published_idx ON videos (status, published_at DESC);

CREATE TABLE comments (
  id            BIGINT PRIMARY KEY,
  post_id       BIGINT REFERENCES posts (id) ON DELETE CASCADE,
  video_id      BIGINT REFERENCES videos (id) ON DELETE CASCADE,
  parent_id     BIGINT REFERENCES comments (id) ON DELETE CASCADE,
  author_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content       TEXT    NOT NULL CHECK (length(content) >= 1),
  mentions      BIGINT[] NOT NULL DEFAULT '{}',
  likes_count   BIGINT NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
  replies_count BIGINT NOT NULL DEFAULT 0 CHECK (replies_count >= 0),
  status        TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'HIDDEN', 'DELETED')),
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  deleted_at    BIGINT,
  -- A comment belongs to exactly one post or one video.
  CHECK (num_nonnulls(post_id, video_id) = 1)
);
CREATE INDEX comments_post_idx ON comments (post_id, id) WHERE post_id IS NOT NULL;
CREATE INDEX comments_video_idx ON comments (video_id, id) WHERE video_id IS NOT NULL;
CREATE INDEX comments_parent_idx ON comments (parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_author_idx ON comments (author_id, id);
