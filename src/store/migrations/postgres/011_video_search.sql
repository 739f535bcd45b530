-- 011_video_search (PostgreSQL): full-text index over videos' title and description for
-- Search::Videos (docs/services/search.md): a GIN expression index over PUBLISHED videos only. The
-- search's candidate match uses exactly this expression and predicate. SQLite has the videos_fts FTS5
-- table instead (schema_parity_test lists the difference).
CREATE INDEX videos_text_search_idx ON videos USING gin (to_tsvector('simple', title || ' ' || description))
  WHERE status = 'PUBLISHED';
