-- 024_check_in_lists (SQLite): the CHECK constraints of transactions (type, status) and ledger_lines
-- (account) say `col = 'A' OR col = 'B' …` instead of `col IN ('A', 'B', …)`. Same rule, same rows
-- accepted; but SQLite evaluates an IN list of more than two constants through an ephemeral index built
-- on every execution — a temporary pager whose page cache is allocated and freed per INSERT, which with
-- glibc's malloc trims the heap and faults it back in: a large part of a tip's CPU (docs/money.md).
--
-- A CHECK constraint is not part of the stored rows, so only the table's CREATE text changes (SQLite's
-- documented writable_schema procedure for constraint changes that leave the file format alone; no
-- table rebuild, no foreign key touched). Creating and dropping the check table below bumps the
-- schema cookie, so every other open connection reloads the schema; its insert fails (and the migration with
-- it) if a table still holds an IN list, e.g. because its text was not the one 004/016 wrote.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(replace(sql,
         'CHECK (type IN (''DEPOSIT'', ''WITHDRAWAL'', ''TIP'', ''EARNING'', ''REFUND''))',
         'CHECK (type = ''DEPOSIT'' OR type = ''WITHDRAWAL'' OR type = ''TIP'' OR type = ''EARNING'' OR type = ''REFUND'')'),
         'CHECK (status IN (''PENDING'', ''COMPLETED'', ''FAILED''))',
         'CHECK (status = ''PENDING'' OR status = ''COMPLETED'' OR status = ''FAILED'')')
 WHERE type = 'table' AND name = 'transactions';
UPDATE sqlite_schema
   SET sql = replace(sql,
         'CHECK (account IN (''WALLET'', ''PLATFORM'', ''EXTERNAL'', ''HOLD''))',
         'CHECK (account = ''WALLET'' OR account = ''PLATFORM'' OR account = ''EXTERNAL'' OR account = ''HOLD'')')
 WHERE type = 'table' AND name = 'ledger_lines';
-- RESET (SQLite ≥ 3.33; older ones read it as OFF): also reloads this connection's schema, so the
-- connection that migrates uses the new CHECK text at once, not after it reconnects.
PRAGMA writable_schema = RESET;
CREATE TABLE daira_migration_024_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO daira_migration_024_check (ok)
  SELECT count(*) = 0 FROM sqlite_schema
   WHERE type = 'table' AND name IN ('transactions', 'ledger_lines') AND sql LIKE '% IN (''%';
DROP TABLE daira_migration_024_check;
