-- 004_payments (SQLite): wallets, the transaction journal, external payments.
-- Money is integer minor units. Rows that money hangs off are never deleted by cascade (RESTRICT).

CREATE TABLE wallets (
  id             INTEGER PRIMARY KEY,
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  balance        INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
  currency       TEXT    NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  earned_total   INTEGER NOT NULL DEFAULT 0 CHECK (earned_total >= 0),
  spent_total    INTEGER NOT NULL DEFAULT 0 CHECK (spent_total >= 0),
  tips_received  INTEGER NOT NULL DEFAULT 0 CHECK (tips_received >= 0),
  last_payout_at INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX wallets_user_uidx ON wallets (user_id);

CREATE TABLE transactions (
  id                     INTEGER PRIMARY KEY,
  wallet_id              INTEGER NOT NULL REFERENCES wallets (id) ON DELETE RESTRICT,
  counterparty_wallet_id INTEGER REFERENCES wallets (id) ON DELETE RESTRICT,
  type                   TEXT    NOT NULL CHECK (type IN ('DEPOSIT', 'WITHDRAWAL', 'TIP', 'EARNING', 'REFUND')),
  status                 TEXT    NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
  amount                 INTEGER NOT NULL CHECK (amount > 0),
  currency               TEXT    NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  balance_after          INTEGER,
  metadata               TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  idempotency_key        TEXT,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  completed_at           INTEGER
);
CREATE INDEX transactions_wallet_idx ON transactions (wallet_id, id DESC);
CREATE INDEX transactions_counterparty_idx ON transactions (counterparty_wallet_id, id DESC)
  WHERE counterparty_wallet_id IS NOT NULL;
CREATE UNIQUE INDEX transactions_idempotency_uidx ON transactions (wallet_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE payments (
  id             INTEGER PRIMARY KEY,
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  wallet_id      INTEGER REFERENCES wallets (id) ON DELETE RESTRICT,
  transaction_id INTEGER REFERENCES transactions (id) ON DELETE RESTRICT,
  provider       TEXT    NOT NULL CHECK (provider IN ('STRIPE', 'PAYPAL', 'FAWRY', 'INSTAPAY')),
  external_id    TEXT,
  amount         INTEGER NOT NULL CHECK (amount > 0),
  currency       TEXT    NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  status         TEXT    NOT NULL DEFAULT 'PENDING'
                 CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REFUNDED')),
  error          TEXT,
  metadata       TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX payments_external_uidx ON payments (provider, external_id);
CREATE INDEX payments_user_idx ON payments (user_id, id DESC);
