-- 009_search_indexes (SQLite): full-text index over posts for the search service
-- (docs/services/search.md).
--
-- posts_fts is an external-content FTS5 table (rowid = posts.id, the text lives only in posts) that
-- indexes ACTIVE posts only: a post leaves the index when it is hidden or soft-deleted and comes back
-- if it becomes ACTIVE again. The 'delete' command must be given exactly the text that was indexed,
-- which is why the triggers look at old.status. Username / hashtag prefix search needs no new index
-- here: the BINARY unique indexes serve the range `col >= q AND col < q || x'FF'`. Postgres has a GIN
-- expression index instead of this table (schema_parity_test lists the difference).
CREATE VIRTUAL TABLE posts_fts USING fts5 (content, content = 'posts', content_rowid = 'id',
                                           tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_fts (rowid, content) SELECT id, content FROM posts WHERE status = 'ACTIVE';

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts WHEN new.status = 'ACTIVE' BEGIN
  INSERT INTO posts_fts (rowid, content) VALUES (new.id, new.content);
END;
-- One trigger with both steps, in this order (two triggers would fire in an unspecified order).
CREATE TRIGGER posts_fts_update AFTER UPDATE OF content, status ON posts BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, content) SELECT 'delete', old.id, old.content WHERE old.status = 'ACTIVE';
  INSERT INTO posts_fts (rowid, content) SELECT new.id, new.content WHERE new.status = 'ACTIVE';
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts WHEN old.status = 'ACTIVE' BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
