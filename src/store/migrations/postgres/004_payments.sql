-- 004_payments (PostgreSQL): wallets, the transaction journal, external payments.
-- Money is integer minor units. Rows that money hangs off are never deleted by cascade (RESTRICT).

CREATE TABLE wallets (
  id             BIGINT PRIMARY KEY,
  user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  balance        BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
  currency       TEXT    NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  earned_total   BIGINT NOT NULL DEFAULT 0 CHECK (earned_total >= 0),
  spent_total    BIGINT NOT NULL DEFAULT 0 CHECK (spent_total >= 0),
  tips_received  BIGINT NOT NULL DEFAULT 0 CHECK (tips_received >= 0),
  last_payout_at BIGINT,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX wallets_user_uidx ON wallets (user_id);

CREATE TABLE transactions (
  id                     BIGINT PRIMARY KEY,
  wallet_id              BIGINT NOT NULL REFERENCES wallets (id) ON DELETE RESTRICT,
  counterparty_wallet_id BIGINT REFERENCES wallets (id) ON DELETE RESTRICT,
  type                   TEXT    NOT NULL CHECK (type IN ('DEPOSIT', 'WITHDRAWAL', 'TIP', 'EARNING', 'REFUND')),
  status                 TEXT    NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
  amount                 BIGINT NOT NULL CHECK (amount > 0),
  currency               TEXT    NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  balance_after          BIGINT,
  metadata               JSONB NOT NULL DEFAULT '{}',
  idempotency_key        TEXT,
  created_at             BIGINT NOT NULL,
  updated_at             BIGINT NOT NULL,
  completed_at           BIGINT
);
CREATE INDEX transactions_wallet_idx ON transactions (wallet_id, id DESC);
CREATE INDEX transactions_counterparty_idx ON transactions (counterparty_wallet_id, id DESC)
  WHERE counterparty_wallet_id IS NOT NULL;
CREATE UNIQUE INDEX transactions_idempotency_uidx ON transactions (wallet_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE payments (
  id             BIGINT PRIMARY KEY,
  user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  wallet_id      BIGINT REFERENCES wallets (id) ON DELETE RESTRICT,
  transaction_id BIGINT REFERENCES transactions (id) ON DELETE RESTRICT,
  provider       TEXT    NOT NULL CHECK (provider IN ('STRIPE', 'PAYPAL', 'FAWRY', 'INSTAPAY')),
  external_id    TEXT,
  amount         BIGINT NOT NULL CHECK (amount > 0),
  currency       TEXT    NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  status         TEXT    NOT NULL DEFAULT 'PENDING'
                 CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REFUNDED')),
  error          TEXT,
  metadata       JSONB NOT NULL DEFAULT '{}',
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX payments_external_uidx ON payments (provider, external_id);
CREATE INDEX payments_user_idx ON payments (user_id, id DESC);
