-- 026_bus_finished_counts (PostgreSQL): the event bus's finished-state counts (docs/bus.md "Counts"),
-- so Queue::Counts reads a few rows per queue instead of every retained finished job.
-- bus_finished_counts: per queue, finished state (COMPLETED, DEAD, CANCELLED) and writer (one per
-- thread, as in bus_metrics: concurrent finishing transactions never wait on each other's rows), a
-- signed count delta; a state's count is the SUM over its writers. Kept by the transactions that move
-- jobs into or out of a finished state (completion, failure, cancel, recovery, replay, clean); writer 0
-- holds the seed below and what compaction folds into it.

CREATE TABLE bus_finished_counts (
  queue  TEXT   NOT NULL,
  state  TEXT   NOT NULL CHECK (state IN ('COMPLETED', 'DEAD', 'CANCELLED')),
  writer BIGINT NOT NULL,
  n      BIGINT NOT NULL,
  PRIMARY KEY (queue, state, writer)
);

INSERT INTO bus_finished_counts (queue, state, writer, n)
SELECT queue, status, 0, COUNT(*) FROM jobs WHERE status IN ('COMPLETED', 'DEAD', 'CANCELLED')
GROUP BY queue, status;
