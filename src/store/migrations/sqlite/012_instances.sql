-- 012_instances (SQLite): what several app instances sharing one database coordinate through
-- (docs/reliability.md, "Ids and cursor keys across instances").
--
-- instance_nodes: the live id-generator nodes. Each running Platform holds one row (a lease): its
-- node id (the 10-bit node part of every id it issues), who holds it, a heartbeat and an expiry. A row
-- whose expires_at has passed may be taken over by another instance (store::NodeLease); `token` is
-- the holder's random fencing token, so a holder whose row was taken over finds out at its next
-- heartbeat. source: LEASED (picked from the free ids) or CONFIGURED (node_id= in the config).
CREATE TABLE instance_nodes (
  node_id      INTEGER PRIMARY KEY CHECK (node_id BETWEEN 0 AND 1023),
  token        INTEGER NOT NULL,
  source       TEXT    NOT NULL CHECK (source IN ('LEASED', 'CONFIGURED')),
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);

-- cursor_keys: the keys cursor tokens are signed with (32 random bytes each, HMAC keys). The row with
-- the largest id is the current key (signs); older rows verify until retired_at + the grace period.
-- The first key is created at the first Platform::Open / `daira migrate`; `daira keys rotate` adds one.
CREATE TABLE cursor_keys (
  id         INTEGER PRIMARY KEY,
  secret     BLOB    NOT NULL CHECK (length(secret) = 32),
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);
