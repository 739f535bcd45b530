-- 015_bus (SQLite): the event bus (docs/bus.md). 006's `jobs` table was never used; it is replaced by
-- one with leases and fencing tokens, progress, results, group keys and a per-attempt error history,
-- plus per-queue state (paused).

DROP TABLE jobs;

CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  queue            TEXT    NOT NULL,
  name             TEXT    NOT NULL DEFAULT '',
  payload          TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  status           TEXT    NOT NULL DEFAULT 'WAITING'
                   CHECK (status IN ('WAITING', 'ACTIVE', 'COMPLETED', 'DEAD', 'CANCELLED')),
  priority         INTEGER NOT NULL DEFAULT 0,
  run_at           INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
  idempotency_key  TEXT,
  group_key        TEXT,
  correlation_id   TEXT,
  lease_owner      TEXT,
  lease_token      INTEGER,
  lease_expires_at INTEGER,
  progress         TEXT_JSON CHECK (progress IS NULL OR json_valid(progress)),
  result           TEXT_JSON CHECK (result IS NULL OR json_valid(result)),
  errors           TEXT_JSON NOT NULL DEFAULT '[]' CHECK (json_type(errors) = 'array'),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  finished_at      INTEGER
);
-- The claim: the next waiting job of a queue by priority, then due time, then id.
CREATE INDEX jobs_ready_idx ON jobs (queue, priority DESC, run_at, id) WHERE status = 'WAITING';
-- Stalled-job recovery: active jobs by lease expiry.
CREATE INDEX jobs_lease_idx ON jobs (queue, lease_expires_at) WHERE status = 'ACTIVE';
-- Counts, listings (dead-letter), retention.
CREATE INDEX jobs_state_idx ON jobs (queue, status, finished_at);
-- Dedup: one live key per queue (a key older than the queue's window is released when reused).
CREATE UNIQUE INDEX jobs_idempotency_uidx ON jobs (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE bus_queues (
  queue      TEXT    PRIMARY KEY,
  paused     INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  updated_at INTEGER NOT NULL
);

-- Groups served round-robin (QueueSettings::round_robin_groups): when each group was last served.
CREATE TABLE bus_groups (
  queue      TEXT    NOT NULL,
  group_key  TEXT    NOT NULL,
  served_seq INTEGER NOT NULL,
  PRIMARY KEY (queue, group_key)
);
-- The per-group concurrency limit counts a group's active jobs.
CREATE INDEX jobs_group_active_idx ON jobs (queue, group_key) WHERE status = 'ACTIVE';
