-- 025_bus_lean_jobs (SQLite): fewer index entries and no ephemeral index per state move of a job
-- (docs/bus.md "Cost per job").
--
-- 1. jobs.status's CHECK says `status = 'WAITING' OR …` instead of `status IN ('WAITING', …)`: same rule,
--    same rows accepted, but SQLite evaluates an IN list of more than two constants in a CHECK through an
--    ephemeral index built on every row written (insert, claim, completion: ~3 per job), as 024 found for
--    the money tables. Same writable_schema procedure as 024 (the CREATE text only; no rebuild).
-- 2. Indexes: a claim (WAITING → ACTIVE) and a completion (ACTIVE → COMPLETED) each moved a row out of
--    and into jobs_state_idx (queue, status, finished_at) although only finished rows are read through it
--    (counts by status read each state through its own partial index), and every active row had two
--    entries (jobs_lease_idx for recovery, jobs_group_active_idx for the per-group limit). Now:
--    jobs_active_idx (queue, lease_expires_at, group_key) WHERE status = 'ACTIVE' serves both (recovery
--    ranges over its lease prefix, the group count reads group_key from it), and jobs_finished_idx
--    holds finished rows only (counts, dead-letter listing, retention). Index writes per job, enqueue →
--    claim → complete: 11 before (2 + 5 + 4), 5 now (1 + 2 + 2).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
         'CHECK (status IN (''WAITING'', ''ACTIVE'', ''COMPLETED'', ''DEAD'', ''CANCELLED''))',
         'CHECK (status = ''WAITING'' OR status = ''ACTIVE'' OR status = ''COMPLETED'' OR status = ''DEAD'' OR status = ''CANCELLED'')')
 WHERE type = 'table' AND name = 'jobs';
-- RESET also reloads this connection's schema (see 024).
PRAGMA writable_schema = RESET;
CREATE TABLE daira_migration_025_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO daira_migration_025_check (ok)
  SELECT count(*) = 0 FROM sqlite_schema WHERE type = 'table' AND name = 'jobs' AND sql LIKE '% IN (''%';
DROP TABLE daira_migration_025_check;

DROP INDEX jobs_state_idx;
DROP INDEX jobs_lease_idx;
DROP INDEX jobs_group_active_idx;
-- Stalled-job recovery and the next lease expiry (the lease prefix); the per-group limit (group_key).
CREATE INDEX jobs_active_idx ON jobs (queue, lease_expires_at, group_key) WHERE status = 'ACTIVE';
-- Counts, dead-letter listings, retention. The predicate is an OR chain so that a query's
-- `status = 'DEAD'` implies it (SQLite proves a partial index usable term by term).
CREATE INDEX jobs_finished_idx ON jobs (queue, status, finished_at)
  WHERE status = 'COMPLETED' OR status = 'DEAD' OR status = 'CANCELLED';
