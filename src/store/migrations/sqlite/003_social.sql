-- 003_social (SQLite): follows, blocks, mutes, likes.

CREATE TABLE follows (
  id          INTEGER PRIMARY KEY,
  follower_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  followee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status      TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PENDING')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  CHECK (follower_id <> followee_id)
);
CREATE UNIQUE INDEX follows_pair_uidx ON follows (follower_id, followee_id);
CREATE INDEX follows_followee_idx ON follows (followee_id, follower_id);

CREATE TABLE blocks (
  id         INTEGER PRIMARY KEY,
  blocker_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason     TEXT,
  created_at INTEGER NOT NULL,
  CHECK (blocker_id <> blocked_id)
);
CREATE UNIQUE INDEX blocks_pair_uidx ON blocks (blocker_id, blocked_id);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);

CREATE TABLE mutes (
  id         INTEGER PRIMARY KEY,
  muter_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  muted_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       TEXT    NOT NULL DEFAULT 'MUTE' CHECK (kind IN ('MUTE', 'HIDE_STORIES', 'HIDE_POSTS')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  CHECK (muter_id <> muted_id)
);
CREATE UNIQUE INDEX mutes_pair_uidx ON mutes (muter_id, muted_id);
CREATE INDEX mutes_muted_idx ON mutes (muted_id, muter_id);

-- A like targets exactly one of a post, a video or a comment. Uniqueness per user and target is three
-- partial unique indexes (identical on both backends); upserts name the index's predicate:
--   INSERT ... ON CONFLICT (user_id, post_id) WHERE post_id IS NOT NULL DO NOTHING
CREATE TABLE likes (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  post_id    INTEGER REFERENCES posts (id) ON DELETE CASCADE,
  video_id   INTEGER REFERENCES videos (id) ON DELETE CASCADE,
  comment_id INTEGER REFERENCES comments (id) ON DELETE CASCADE,
  reaction   TEXT    NOT NULL DEFAULT 'LIKE' CHECK (reaction IN ('LIKE', 'LOVE', 'LAUGH', 'SAD', 'ANGRY')),
  created_at INTEGER NOT NULL,
  CHECK ((post_id IS NOT NULL) + (video_id IS NOT NULL) + (comment_id IS NOT NULL) = 1)
);
CREATE UNIQUE INDEX likes_user_post_uidx ON likes (user_id, post_id) WHERE post_id IS NOT NULL;
CREATE UNIQUE INDEX likes_user_video_uidx ON likes (user_id, video_id) WHERE video_id IS NOT NULL;
CREATE UNIQUE INDEX likes_user_comment_uidx ON likes (user_id, comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX likes_post_idx ON likes (post_id, id) WHERE post_id IS NOT NULL;
CREATE INDEX likes_video_idx ON likes (video_id, id) WHERE video_id IS NOT NULL;
CREATE INDEX likes_comment_idx ON likes (comment_id, id) WHERE comment_id IS NOT NULL;
