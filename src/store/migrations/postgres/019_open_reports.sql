-- 019_open_reports (PostgreSQL): one OPEN report per reporter and target (the design's rule). 005 made the pair
-- unique for ever, so a reporter could never report a target again after a decision; now the unique
-- index covers PENDING and REVIEWING reports only.

DROP INDEX content_reports_reporter_uidx;
CREATE UNIQUE INDEX content_reports_reporter_uidx ON content_reports (reporter_id, content_type, content_id)
  WHERE status IN ('PENDING', 'REVIEWING');
