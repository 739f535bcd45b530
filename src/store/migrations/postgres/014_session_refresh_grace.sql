-- 014_session_refresh_grace (PostgreSQL): a rotated session keeps its successor's tokens sealed
-- (XSalsa20-Poly1305, hex of nonce || ciphertext) under a key derived from the rotated refresh token
-- itself, which the database never stores. A client that retries a refresh whose answer it lost
-- presents the old token again; within AccountsOptions::refresh_reuse_grace the service opens the seal
-- and returns the same successor instead of revoking the family. Without the old token the column is
-- useless; after the grace window it is ignored (the reuse revokes the family).
ALTER TABLE user_sessions ADD COLUMN successor_sealed TEXT;
