-- 016_money (SQLite): the double-entry ledger behind services::Wallets (docs/money.md).
-- Every movement (a `transactions` row) posts ledger lines that sum to zero: a wallet on one side, and
-- another wallet or a system account on the other (PLATFORM: fees and earnings; EXTERNAL: the money
-- outside (providers); HOLD: withdrawals in flight). A wallet's balance equals the sum of its lines.

ALTER TABLE transactions ADD COLUMN description TEXT CHECK (description IS NULL OR length(description) <= 500);
ALTER TABLE transactions ADD COLUMN fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0);
ALTER TABLE transactions ADD COLUMN refund_of INTEGER REFERENCES transactions (id) ON DELETE RESTRICT;
CREATE INDEX transactions_refund_of_idx ON transactions (refund_of) WHERE refund_of IS NOT NULL;

-- One wallet per user per currency (004 allowed one per user).
DROP INDEX wallets_user_uidx;
CREATE UNIQUE INDEX wallets_user_uidx ON wallets (user_id, currency);

CREATE TABLE ledger_lines (
  id             INTEGER PRIMARY KEY,
  transaction_id INTEGER NOT NULL REFERENCES transactions (id) ON DELETE RESTRICT,
  account        TEXT    NOT NULL CHECK (account IN ('WALLET', 'PLATFORM', 'EXTERNAL', 'HOLD')),
  wallet_id      INTEGER REFERENCES wallets (id) ON DELETE RESTRICT,
  amount         INTEGER NOT NULL CHECK (amount <> 0),
  currency       TEXT    NOT NULL CHECK (length(currency) = 3),
  created_at     INTEGER NOT NULL,
  CHECK ((account = 'WALLET') = (wallet_id IS NOT NULL))
);
CREATE INDEX ledger_lines_wallet_idx ON ledger_lines (wallet_id, id) WHERE wallet_id IS NOT NULL;
CREATE INDEX ledger_lines_transaction_idx ON ledger_lines (transaction_id);
CREATE INDEX ledger_lines_system_idx ON ledger_lines (account, currency) WHERE wallet_id IS NULL;
