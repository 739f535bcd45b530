-- 003_social (PostgreSQL): follows, blocks, mutes, likes.

CREATE TABLE follows (
  id          BIGINT PRIMARY KEY,
  follower_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  followee_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status      TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PENDING')),
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  CHECK (follower_id <> followee_id)
);
CREATE UNIQUE INDEX follows_pair_uidx ON follows (follower_id, followee_id);
CREATE INDEX follows_followee_idx ON follows (followee_id, follower_id);

CREATE TABLE blocks (
  id         BIGINT PRIMARY KEY,
  blocker_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason     TEXT,
  created_at BIGINT NOT NULL,
  CHECK (blocker_id <> blocked_id)
);
CREATE UNIQUE INDEX blocks_pair_uidx ON blocks (blocker_id, blocked_id);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);

CREATE TABLE mutes (
  id         BIGINT PRIMARY KEY,
  muter_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  muted_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       TEXT    NOT NULL DEFAULT 'MUTE' CHECK (kind IN ('MUTE', 'HIDE_STORIES', 'HIDE_POSTS')),
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  CHECK (muter_id <> muted_id)
);
CREATE UNIQUE INDEX mutes_pair_uidx ON mutes (muter_id, muted_id);
CREATE INDEX mutes_muted_idx ON mutes (muted_id, muter_id);

-- A like targets exactly one of a post, a video or a comment. Uniqueness per user and target is three
-- partial unique indexes (identical on both backends); upserts name the index's predicate:
--   INSERT ... ON CONFLICT (user_id, post_id) WHERE post_id IS NOT NULL DO NOTHING
CREATE TABLE likes (
  id         BIGINT PRIMARY KEY,
  user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  post_id    BIGINT REFERENCES posts (id) ON DELETE CASCADE,
  video_id   BIGINT REFERENCES videos (id) ON DELETE CASCADE,
  comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
  reaction   TEXT    NOT NULL DEFAULT 'LIKE' CHECK (reaction IN ('LIKE', 'LOVE', 'LAUGH', 'SAD', 'ANGRY')),
  created_at BIGINT NOT NULL,
  CHECK (num_nonnulls(post_id, video_id, comment_id) = 1)
);
CREATE UNIQUE INDEX likes_user_post_uidx ON likes (user_id, post_id) WHERE post_id IS NOT NULL;
CREATE UNIQUE INDEX likes_user_video_uidx ON likes (user_id, video_id) WHERE video_id IS NOT NULL;
CREATE UNIQUE INDEX likes_user_comment_uidx ON likes (user_id, comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX likes_post_idx ON likes (post_id, id) WHERE post_id IS NOT NULL;
CREATE INDEX likes_video_idx ON likes (video_id, id) WHERE video_id IS NOT NULL;
CREATE INDEX likes_comment_idx ON likes (comment_id, id) WHERE comment_id IS NOT NULL;
