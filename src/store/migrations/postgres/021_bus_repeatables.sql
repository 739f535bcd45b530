-- 021_bus_repeatables (PostgreSQL): repeatable job definitions of the event bus (docs/bus.md
-- "Repeatable jobs"). A scheduler tick enqueues the due occurrence and moves next_run_at in one
-- transaction, by UPDATE ... WHERE next_run_at = <the value it read>, so concurrent schedulers enqueue
-- it once.
-- Also the cooperative cancel of a running job: jobs.cancel_requested, set by Cancel on an ACTIVE job and
-- read by its worker with the lease renewal; and the per-queue rate limit (bus_queues.rate_window,
-- rate_started).

CREATE TABLE bus_repeatables (
  queue        TEXT    NOT NULL,
  repeat_key   TEXT    NOT NULL,
  name         TEXT    NOT NULL DEFAULT '',
  payload      JSONB   NOT NULL DEFAULT '{}',
  schedule     TEXT    NOT NULL CHECK (schedule LIKE 'every:%' OR schedule LIKE 'cron:%'),
  priority     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 0 CHECK (max_attempts >= 0),
  next_run_at  BIGINT  NOT NULL,
  last_run_at  BIGINT,
  created_at   BIGINT  NOT NULL,
  updated_at   BIGINT  NOT NULL,
  PRIMARY KEY (queue, repeat_key)
);
-- The tick: a queue's definitions by due time.
CREATE INDEX bus_repeatables_due_idx ON bus_repeatables (queue, next_run_at);

-- Cancel of a running job (a cooperative signal): 1 once Cancel was called while it was ACTIVE.
ALTER TABLE jobs ADD COLUMN cancel_requested SMALLINT NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1));

-- Per-queue rate limit (QueueSettings::rate_limit): the current fixed window's index and how many jobs it
-- started; a claim reserves a start with one conditional upsert of this row.
ALTER TABLE bus_queues ADD COLUMN rate_window BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bus_queues ADD COLUMN rate_started INTEGER NOT NULL DEFAULT 0;
