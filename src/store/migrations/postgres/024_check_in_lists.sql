-- 024_check_in_lists (PostgreSQL): nothing to do. SQLite's 024 rewrites the CHECK constraints of
-- transactions and ledger_lines from IN lists to OR chains (an IN list costs SQLite an ephemeral index
-- per INSERT); PostgreSQL evaluates `col IN (…)` as `col = ANY (ARRAY[…])` in place. The file exists so
-- both backends apply the same migration names.
SELECT 1;
