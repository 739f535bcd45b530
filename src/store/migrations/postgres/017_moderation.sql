-- 017_moderation (PostgreSQL): the seed's column names for mutes, reviews and the audit log; report
-- reasons constrained to the seed's list; the audit log hash-chained and append-only.
--
-- Renames carry their data.
ALTER TABLE mutes RENAME COLUMN kind TO mute_type;

ALTER TABLE moderation_reviews RENAME COLUMN moderator_id TO reviewer_id;
ALTER TABLE moderation_reviews RENAME COLUMN notes TO reason;
ALTER INDEX moderation_reviews_moderator_idx RENAME TO moderation_reviews_reviewer_idx;

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
ALTER TABLE content_reports ADD CONSTRAINT content_reports_reason_check
  CHECK (reason IN ('SPAM', 'HARASSMENT', 'HATE_SPEECH', 'VIOLENCE', 'OTHER'));

-- audit_logs: resource_type/resource_id (were entity_type/entity_id), a reason, and the hash chain —
-- seq (the chain position, 1, 2, ...), prev_hash and hash (hex SHA-256; docs/moderation.md gives the
-- canonical row content). Rows written before this migration keep seq/prev_hash/hash NULL (unchained).
-- actor_id no longer references users: a chained row never changes, so it keeps the actor's id after
-- the account is deleted.
ALTER TABLE audit_logs RENAME COLUMN entity_type TO resource_type;
ALTER TABLE audit_logs RENAME COLUMN entity_id TO resource_id;
ALTER INDEX audit_logs_entity_idx RENAME TO audit_logs_resource_idx;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_actor_id_fkey;
ALTER TABLE audit_logs ADD COLUMN reason TEXT;
ALTER TABLE audit_logs ADD COLUMN seq BIGINT;
ALTER TABLE audit_logs ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_logs ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_logs_seq_uidx ON audit_logs (seq);

-- Append-only: the database itself refuses to change or remove an entry (restrict_violation).
CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();
