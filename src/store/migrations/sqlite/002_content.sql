-- 002_content (SQLite): posts, videos, threaded comments.

CREATE TABLE posts (
  id             INTEGER PRIMARY KEY,
  author_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content        TEXT    NOT NULL DEFAULT '',
  media_urls     TEXT_ARRAY NOT NULL DEFAULT '[]' CHECK (json_type(media_urls) = 'array'),
  hashtags       TEXT_ARRAY NOT NULL DEFAULT '[]' CHECK (json_type(hashtags) = 'array'),
  mentions       TEXT_ARRAY NOT NULL DEFAULT '[]' CHECK (json_type(mentions) = 'array'),
  likes_count    INTEGER NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
  comments_count INTEGER NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
  status         TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'HIDDEN', 'DELETED')),
  visibility     TEXT    NOT NULL DEFAULT 'PUBLIC' CHECK (visibility IN ('PUBLIC', 'FOLLOWERS', 'PRIVATE')),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  deleted_at     INTEGER
);
-- Ids are time-ordered, so (author_id, id DESC) is "an author's posts, newest first".
CREATE INDEX posts_author_idx ON posts (author_id, id DESC);
CREATE INDEX posts_status_idx ON posts (status, id DESC);

CREATE TABLE videos (
  id             INTEGER PRIMARY KEY,
  author_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title          TEXT    NOT NULL DEFAULT '',
  description    TEXT    NOT NULL DEFAULT '',
  hashtags       TEXT_ARRAY NOT NULL DEFAULT '[]' CHECK (json_type(hashtags) = 'array'),
  source_key     TEXT,
  thumbnail_url  TEXT,
  hls_url        TEXT,
  duration_ms    INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
  resolution     TEXT,
  views_count    INTEGER NOT NULL DEFAULT 0 CHECK (views_count >= 0),
  likes_count    INTEGER NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
  comments_count INTEGER NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
  status         TEXT    NOT NULL DEFAULT 'UPLOADING'
                 CHECK (status IN ('UPLOADING', 'PROCESSING', 'PUBLISHED', 'FAILED')),
  visibility     TEXT    NOT NULL DEFAULT 'PUBLIC' CHECK (visibility IN ('PUBLIC', 'FOLLOWERS', 'PRIVATE')),
  error          TEXT,
  -- Packed little-endian float32 vector (the recommendation embedding), NULL until computed.
  embedding      BLOB,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  published_at   INTEGER,
  deleted_at     INTEGER
);
CREATE INDEX videos_author_idx ON videos (author_id, id DESC);
CREATE INDEX videos_status_published_idx ON videos (status, published_at DESC);

CREATE TABLE comments (
  id            INTEGER PRIMARY KEY,
  post_id       INTEGER REFERENCES posts (id) ON DELETE CASCADE,
  video_id      INTEGER REFERENCES videos (id) ON DELETE CASCADE,
  parent_id     INTEGER REFERENCES comments (id) ON DELETE CASCADE,
  author_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content       TEXT    NOT NULL CHECK (length(content) >= 1),
  mentions      TEXT_ARRAY NOT NULL DEFAULT '[]' CHECK (json_type(mentions) = 'array'),
  likes_count   INTEGER NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
  replies_count INTEGER NOT NULL DEFAULT 0 CHECK (replies_count >= 0),
  status        TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'HIDDEN', 'DELETED')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deleted_at    INTEGER,
  -- A comment belongs to exactly one post or one video.
  CHECK ((post_id IS NOT NULL) + (video_id IS NOT NULL) = 1)
);
CREATE INDEX comments_post_idx ON comments (post_id, id) WHERE post_id IS NOT NULL;
CREATE INDEX comments_video_idx ON comments (video_id, id) WHERE video_id IS NOT NULL;
CREATE INDEX comments_parent_idx ON comments (parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_author_idx ON comments (author_id, id);
