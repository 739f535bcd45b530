-- 023_bus_metrics (SQLite): the event bus's run-time metrics (docs/bus.md "Metrics"), kept by the bus
-- itself so another process (`daira queues`) reads them and they need no finished job to be retained.
-- jobs.started_at: when the current (or last) attempt was claimed (µs), set by every claim.
-- bus_metrics: per queue, minute (unix µs / 60e6, the minute an attempt ended) and writer (one per
-- thread, so concurrent finishing transactions never wait on each other's rows), a counter per series
-- ('w' due → start, 'c' start → finish of a completed attempt, 'f' of a failed one) and latency bucket
-- (src/backends/bus_metrics.h: 0 under 100 µs, then half-octaves). Upserted in the transaction
-- that finishes the attempts; minutes older than 62 are deleted by the bus.

ALTER TABLE jobs ADD COLUMN started_at INTEGER;

CREATE TABLE bus_metrics (
  queue  TEXT    NOT NULL,
  minute INTEGER NOT NULL,
  writer INTEGER NOT NULL,
  series TEXT    NOT NULL CHECK (series IN ('w', 'c', 'f')),
  bucket INTEGER NOT NULL CHECK (bucket >= 0),
  n      INTEGER NOT NULL,
  PRIMARY KEY (queue, minute, writer, series, bucket)
) WITHOUT ROWID;
-- Pruning by age.
CREATE INDEX bus_metrics_minute_idx ON bus_metrics (minute);
