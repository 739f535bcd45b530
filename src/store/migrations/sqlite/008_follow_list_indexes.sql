-- 008_follow_list_indexes: a user's followers / following are listed newest edge first with keyset
-- cursors on follows.id. These indexes serve each page as a short (user, id) range walk; without them a
-- page read every edge of the user and sorted (a 4k-follower account cost 7.6 ms per page on Postgres).
CREATE INDEX follows_followee_id_idx ON follows (followee_id, id);
CREATE INDEX follows_follower_id_idx ON follows (follower_id, id);
