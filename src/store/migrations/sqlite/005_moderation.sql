-- 005_moderation (SQLite): reports, reviews, the audit log.

CREATE TABLE content_reports (
  id           INTEGER PRIMARY KEY,
  reporter_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
  content_type TEXT    NOT NULL CHECK (content_type IN ('POST', 'VIDEO', 'COMMENT', 'USER')),
  content_id   INTEGER NOT NULL,
  reason       TEXT    NOT NULL,
  description  TEXT,
  severity     TEXT    NOT NULL DEFAULT 'LOW' CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  status       TEXT    NOT NULL DEFAULT 'PENDING'
               CHECK (status IN ('PENDING', 'REVIEWING', 'RESOLVED', 'DISMISSED')),
  evidence     TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  resolved_at  INTEGER
);
CREATE INDEX content_reports_status_idx ON content_reports (status, severity, id);
CREATE INDEX content_reports_content_idx ON content_reports (content_type, content_id);
-- One open report per reporter and target (a reporter whose account is gone no longer counts).
CREATE UNIQUE INDEX content_reports_reporter_uidx ON content_reports (reporter_id, content_type, content_id);

CREATE TABLE moderation_reviews (
  id           INTEGER PRIMARY KEY,
  report_id    INTEGER NOT NULL REFERENCES content_reports (id) ON DELETE CASCADE,
  moderator_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  decision     TEXT    NOT NULL CHECK (decision IN ('APPROVED', 'REJECTED', 'WARN', 'SUSPEND', 'BAN')),
  action_taken TEXT,
  notes        TEXT,
  created_at   INTEGER NOT NULL
);
CREATE INDEX moderation_reviews_report_idx ON moderation_reviews (report_id, id);
CREATE INDEX moderation_reviews_moderator_idx ON moderation_reviews (moderator_id, id);

-- The audit log outlives the people in it: a deleted actor becomes NULL, the entry stays.
CREATE TABLE audit_logs (
  id             INTEGER PRIMARY KEY,
  actor_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
  action         TEXT    NOT NULL,
  entity_type    TEXT    NOT NULL,
  entity_id      INTEGER,
  changes        TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(changes)),
  ip_address     TEXT,
  user_agent     TEXT,
  correlation_id TEXT,
  created_at     INTEGER NOT NULL
);
CREATE INDEX audit_logs_entity_idx ON audit_logs (entity_type, entity_id, id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, id);
