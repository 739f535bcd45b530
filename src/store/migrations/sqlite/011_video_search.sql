-- 011_video_search (SQLite): full-text index over videos' title and description for Search::Videos
-- (docs/services/search.md).
--
-- videos_fts is an external-content FTS5 table (rowid = videos.id, the text lives only in videos)
-- that indexes PUBLISHED videos only, as posts_fts does ACTIVE posts: a video enters the index when it
-- is published, leaves it if it stops being PUBLISHED or is deleted, and follows title and
-- description edits. The 'delete' command must be given exactly the text that was indexed, which is
-- why the triggers look at old.status. Postgres has a GIN expression index instead of this table
-- (schema_parity_test lists the difference).
CREATE VIRTUAL TABLE videos_fts USING fts5 (title, description, content = 'videos', content_rowid = 'id',
                                            tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO videos_fts (rowid, title, description)
  SELECT id, title, description FROM videos WHERE status = 'PUBLISHED';

CREATE TRIGGER videos_fts_insert AFTER INSERT ON videos WHEN new.status = 'PUBLISHED' BEGIN
  INSERT INTO videos_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
-- One trigger with both steps, in this order (two triggers would fire in an unspecified order).
CREATE TRIGGER videos_fts_update AFTER UPDATE OF title, description, status ON videos BEGIN
  INSERT INTO videos_fts (videos_fts, rowid, title, description)
    SELECT 'delete', old.id, old.title, old.description WHERE old.status = 'PUBLISHED';
  INSERT INTO videos_fts (rowid, title, description)
    SELECT new.id, new.title, new.description WHERE new.status = 'PUBLISHED';
END;
CREATE TRIGGER videos_fts_delete AFTER DELETE ON videos WHEN old.status = 'PUBLISHED' BEGIN
  INSERT INTO videos_fts (videos_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
END;
