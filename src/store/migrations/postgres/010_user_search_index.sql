-- 010_user_search_index (PostgreSQL): user search ranks its username-prefix candidates from an index
-- alone (docs/services/search.md). The partial index holds only ACTIVE users, in the "C" collation so
-- that the prefix range `username COLLATE "C" >= $1 AND username COLLATE "C" < $2` is an index range,
-- with id as a key column so that the bucket/tier of every candidate comes from an index-only scan;
-- only the page's rows are read afterwards.
CREATE INDEX users_active_username_idx ON users (username COLLATE "C", id) WHERE status = 'ACTIVE';
