-- 020_moderation_effects (PostgreSQL): moderation takes effect on videos and reaches the warned user.
--
-- videos.hidden_at: set (micros) while moderation hides the video (auto-hide threshold, or an upheld
-- report), NULL otherwise. A column beside status, not a status value, because status is the upload
-- pipeline (UPLOADING → PROCESSING → PUBLISHED | FAILED) and restoring a video must give back exactly
-- the state it had. Every listing (search, trending) shows only videos with hidden_at NULL.
ALTER TABLE videos ADD COLUMN hidden_at BIGINT;

-- notifications.kind gains MODERATION (a WARN, SUSPEND or BAN decision, sent to the user it is about).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('FOLLOW', 'FOLLOW_REQUEST', 'LIKE', 'COMMENT', 'REPLY', 'MENTION', 'TIP', 'VIDEO_PUBLISHED', 'MESSAGE', 'SYSTEM', 'MODERATION'));
