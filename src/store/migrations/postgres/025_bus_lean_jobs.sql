-- 025_bus_lean_jobs (PostgreSQL): fewer index entries per state move of a job (docs/bus.md "Cost per
-- job"). Every state move changes `status`, which the partial indexes' predicates read, so no such
-- UPDATE is HOT: each one inserts a new entry into every index whose predicate holds for the new row.
-- A claim (→ ACTIVE) wrote jobs_pkey, jobs_state_idx, jobs_lease_idx and jobs_group_active_idx; a
-- completion jobs_pkey and jobs_state_idx. Now jobs_active_idx (queue, lease_expires_at, group_key)
-- WHERE status = 'ACTIVE' serves recovery and the per-group limit, and jobs_finished_idx holds finished
-- rows only (counts read each state through its own partial index). Index entries written per job,
-- enqueue → claim → complete: 9 before (3 + 4 + 2), 6 now (2 + 2 + 2) — less to write, less to vacuum,
-- less bloat while a long transaction holds the horizon back (bench/bus_long_tx_bench.cc).
-- (SQLite's 025 also rewrites the status CHECK's IN list; PostgreSQL evaluates it in place.)
DROP INDEX jobs_state_idx;
DROP INDEX jobs_lease_idx;
DROP INDEX jobs_group_active_idx;
CREATE INDEX jobs_active_idx ON jobs (queue, lease_expires_at, group_key) WHERE status = 'ACTIVE';
CREATE INDEX jobs_finished_idx ON jobs (queue, status, finished_at)
  WHERE status = 'COMPLETED' OR status = 'DEAD' OR status = 'CANCELLED';
