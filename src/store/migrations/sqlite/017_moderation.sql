-- 017_moderation (SQLite): the seed's column names for mutes, reviews and the audit log; report
-- reasons constrained to the seed's list; the audit log hash-chained and append-only.
--
-- Renames carry their data (ALTER TABLE ... RENAME COLUMN rewrites CHECKs and indexes too).
ALTER TABLE mutes RENAME COLUMN kind TO mute_type;

ALTER TABLE moderation_reviews RENAME COLUMN moderator_id TO reviewer_id;
ALTER TABLE moderation_reviews RENAME COLUMN notes TO reason;
DROP INDEX moderation_reviews_moderator_idx;
CREATE INDEX moderation_reviews_reviewer_idx ON moderation_reviews (reviewer_id, id);

-- content_reports.reason: SPAM | HARASSMENT | HATE_SPEECH | VIOLENCE | OTHER. Existing free-text
-- reasons are mapped (case-insensitively; SCAM counts as SPAM); any other value becomes OTHER and is
-- kept at the front of the description ("reported as NUDITY: <old description>"), so nothing is lost.
UPDATE content_reports SET
  description = CASE
    WHEN upper(trim(reason)) IN ('SPAM', 'SCAM', 'HARASSMENT', 'HATE_SPEECH', 'VIOLENCE', 'OTHER') THEN description
    ELSE substr('reported as ' || reason || CASE WHEN description IS NULL THEN '' ELSE ': ' || description END,
                1, 1000)
  END,
  reason = CASE upper(trim(reason))
    WHEN 'SPAM' THEN 'SPAM' WHEN 'SCAM' THEN 'SPAM' WHEN 'HARASSMENT' THEN 'HARASSMENT'
    WHEN 'HATE_SPEECH' THEN 'HATE_SPEECH' WHEN 'VIOLENCE' THEN 'VIOLENCE' ELSE 'OTHER'
  END;
-- SQLite cannot add a CHECK to an existing table without rebuilding it, and rebuilding
-- content_reports would cascade-delete its reviews; two triggers enforce the same rule.
CREATE TRIGGER content_reports_reason_insert BEFORE INSERT ON content_reports
WHEN new.reason NOT IN ('SPAM', 'HARASSMENT', 'HATE_SPEECH', 'VIOLENCE', 'OTHER') BEGIN
  SELECT RAISE(ABORT, 'CHECK constraint failed: content_reports.reason');
END;
CREATE TRIGGER content_reports_reason_update BEFORE UPDATE OF reason ON content_reports
WHEN new.reason NOT IN ('SPAM', 'HARASSMENT', 'HATE_SPEECH', 'VIOLENCE', 'OTHER') BEGIN
  SELECT RAISE(ABORT, 'CHECK constraint failed: content_reports.reason');
END;

-- audit_logs, rebuilt (no other table references it): resource_type/resource_id (were
-- entity_type/entity_id), a reason, and the hash chain — seq (the chain position, 1, 2, ...),
-- prev_hash and hash (hex SHA-256; docs/moderation.md gives the canonical row content). Rows written
-- before this migration keep seq/prev_hash/hash NULL (unchained). actor_id no longer references users:
-- a chained row never changes, so it keeps the actor's id after the account is deleted.
CREATE TABLE audit_logs_017 (
  id             INTEGER PRIMARY KEY,
  actor_id       INTEGER,
  action         TEXT    NOT NULL,
  resource_type  TEXT    NOT NULL,
  resource_id    INTEGER,
  changes        TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(changes)),
  ip_address     TEXT,
  user_agent     TEXT,
  correlation_id TEXT,
  created_at     INTEGER NOT NULL,
  reason         TEXT,
  seq            INTEGER,
  prev_hash      TEXT,
  hash           TEXT
);
INSERT INTO audit_logs_017 (id, actor_id, action, resource_type, resource_id, changes, ip_address, user_agent,
                            correlation_id, created_at)
  SELECT id, actor_id, action, entity_type, entity_id, changes, ip_address, user_agent, correlation_id, created_at
  FROM audit_logs;
DROP TABLE audit_logs;
ALTER TABLE audit_logs_017 RENAME TO audit_logs;
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_type, resource_id, id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, id);
CREATE UNIQUE INDEX audit_logs_seq_uidx ON audit_logs (seq);

-- Append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs BEGIN
  SELECT RAISE(ABORT, 'audit_logs is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs BEGIN
  SELECT RAISE(ABORT, 'audit_logs is append-only: DELETE refused');
END;
