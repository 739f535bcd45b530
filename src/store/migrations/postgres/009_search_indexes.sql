-- 009_search_indexes (PostgreSQL): prefix and full-text indexes for the search service
-- (docs/services/search.md).
--
-- Prefix search over usernames and hashtags is a range `col COLLATE "C" >= $1 AND col COLLATE "C" < $2`
-- (the bounds computed by the service). Only an index in the "C" collation serves that range: the
-- unique indexes use the database collation (byte order only when it is "C"), and `LIKE 'q%'` is an
-- index range only with a constant pattern -- under a generic plan of a prepared statement (used
-- after five executions) `LIKE $1` is a filter over every row. SQLite's BINARY unique indexes
-- already serve the same range, so these two are Postgres only (schema_parity_test lists them).
CREATE INDEX users_username_prefix_idx ON users (username COLLATE "C");
CREATE INDEX hashtags_tag_prefix_idx ON hashtags (tag COLLATE "C");

-- Post search: a GIN index over the 'simple' tsvector of ACTIVE posts' content (the partial predicate
-- and the expression are exactly those the search statement uses). SQLite has the posts_fts FTS5
-- table instead.
CREATE INDEX posts_content_search_idx ON posts USING gin (to_tsvector('simple', content)) WHERE status = 'ACTIVE';
